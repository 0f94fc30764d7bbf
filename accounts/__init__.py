"""Accounts: who signs in, what they may do, and the audit log of what they did."""
from flask import Flask


def init_app(app: Flask) -> None:
    from accounts import admin, auth, cli, views
    from accounts.audit import record_import
    from catalog import permissions
    from catalog.importer import batch_imported

    auth.init_app(app)
    cli.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    app.jinja_env.globals.update(can_manage_users=permissions.can_manage_users)
    batch_imported.connect(record_import, sender=app, weak=False)
