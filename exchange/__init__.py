"""The exchange tracker: donations and exchanges of copies between libraries, which move holdings."""
from flask import Flask


def init_app(app: Flask) -> None:
    from exchange import api, report_views, views

    app.register_blueprint(api.bp)
    app.register_blueprint(report_views.bp)
    app.register_blueprint(views.bp)
