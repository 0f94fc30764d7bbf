"""Alembic environment: run migrations on the connection schema.upgrade() hands over, or on sqlalchemy.url."""
import os

from alembic import context
from sqlalchemy import create_engine

from database import Base, load_models

load_models()  # every package's tables on Base.metadata

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ["DATABASE_URL"]
    with create_engine(url).begin() as connection:
        _run(connection)


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
