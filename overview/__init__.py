"""What the Union's pages show at a glance: the home page and each member library's page."""
from flask import Flask


def init_app(app: Flask) -> None:
    from overview import views

    app.register_blueprint(views.bp)
