"""The exchange tracker: donations and exchanges of copies between libraries, which move holdings."""
from flask import Flask


def init_app(app: Flask) -> None:
    from exchange import api, demo, report_views, views

    app.cli.add_command(demo.exchange_cli)
    app.register_blueprint(api.bp)
    app.register_blueprint(report_views.bp)
    app.register_blueprint(views.bp)
