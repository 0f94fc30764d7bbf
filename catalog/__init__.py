"""The catalog: libraries, their MARC records and copies, and MARC import."""
from flask import Flask


def init_app(app: Flask) -> None:
    from catalog import cli, edition_views, editions, permissions, views
    from catalog.changes import catalog_changed

    cli.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(edition_views.bp)
    # After an import commits: group what it wrote into editions (the search index, which follows the
    # same signal, clusters first too, so the order of listeners does not matter).
    catalog_changed.connect(editions.cluster_after_change, sender=app, weak=False)
    app.jinja_env.globals.update(can_manage_libraries=permissions.can_manage_libraries)
