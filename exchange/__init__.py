"""The exchange tracker: donations and exchanges of copies between libraries, which move holdings."""
from flask import Flask


def init_app(app: Flask) -> None:
    from exchange import api

    app.register_blueprint(api.bp)
