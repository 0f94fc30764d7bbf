"""Alembic environment: run migrations on the connection schema.upgrade() hands over, or on sqlalchemy.url."""
import os

from alembic import context
from sqlalchemy import create_engine

import accounts.models  # noqa: F401 - registers the accounts tables on Base.metadata
import catalog.models  # noqa: F401 - registers the catalog tables on Base.metadata
import exchange.models  # noqa: F401 - registers the exchange tables on Base.metadata
from database import Base

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
