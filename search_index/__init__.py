"""The search index: derived from the catalog, kept in step through the catalog's change feed."""
from flask import Flask


def init_app(app: Flask) -> None:
    from catalog.changes import catalog_changed
    from search_index import cli, views
    from search_index.sync import sync_after_change
    from search_index.view import open_views

    open_views.cache_mb = app.config["SEARCH_CACHE_MB"]

    app.cli.add_command(cli.search_cli)
    app.register_blueprint(views.bp)
    if app.config.get("SEARCH_SYNC", "inline") == "inline":  # else the follower process does it (follower.py)
        catalog_changed.connect(sync_after_change, sender=app, weak=False)


def start_background_work(app: Flask) -> None:
    """Called by create_app once every package is wired: the catch-up thread queries at once, and its first query
    configures every mapped class defined so far; started earlier, it met a class (TransferEvent) whose related
    class was not imported yet, and that failure stayed for every later query of the process."""
    from search_index.sync import catch_up_in_background

    if app.config.get("SEARCH_SYNC_ON_START"):
        app.extensions["search_catch_up"] = catch_up_in_background(app)
