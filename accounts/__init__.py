"""Accounts: who signs in, what they may do, and the audit log of what they did."""
from flask import Flask


def init_app(app: Flask) -> None:
    from accounts import admin, auth, cli, views
    from accounts.audit import record_edition_decision, record_import, record_library_change
    from catalog import permissions
    from catalog.edition_decisions import edition_decided
    from catalog.importer import batch_imported
    from catalog.libraries import library_changed

    auth.init_app(app)
    cli.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    app.jinja_env.globals.update(can_manage_users=permissions.can_manage_users)
    batch_imported.connect(record_import, sender=app, weak=False)
    library_changed.connect(record_library_change, sender=app, weak=False)
    edition_decided.connect(record_edition_decision, sender=app, weak=False)
