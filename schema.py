"""Create or upgrade the database schema with Alembic, and the `flask init` command."""
from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

import database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine) -> None:
    """Bring the schema of the engine's database to the newest migration."""
    config = alembic_config(str(engine.url.render_as_string(hide_password=False)))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the database schema and add the Union's libraries."""
    from catalog.libraries import seed_union

    upgrade(database.engine())
    with database.transaction() as db:
        added = seed_union(db)
    click.echo(_("Cơ sở dữ liệu đã sẵn sàng (%(kind)s); đã thêm %(count)s thư viện.",
                 kind=current_app.config["DATABASE_URL"].split("://")[0], count=added))


def init_app(app: Flask) -> None:
    app.cli.add_command(init_command)
