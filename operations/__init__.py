"""Running the Union's catalog: backup and restore of the whole database."""
from flask import Flask


def init_app(app: Flask) -> None:
    from operations import cli

    cli.init_app(app)
