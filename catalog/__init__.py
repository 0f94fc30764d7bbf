"""The catalog: libraries, their MARC records and copies, and MARC import."""
from flask import Flask


def init_app(app: Flask) -> None:
    from catalog import cli, edition_views, permissions, views

    cli.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(edition_views.bp)
    app.jinja_env.globals.update(can_manage_libraries=permissions.can_manage_libraries)
