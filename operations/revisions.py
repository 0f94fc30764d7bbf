"""Alembic revisions for backup and restore: which one a database is at, and moving one there on a connection."""
from __future__ import annotations

from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from schema import MIGRATIONS, alembic_config

VERSION_TABLE = "alembic_version"


def current(conn: Connection) -> str | None:
    """The database's revision; None when it has no schema yet."""
    return MigrationContext.configure(conn).get_current_revision()


def head() -> str:
    return _script().get_current_head()


def known(revision: str) -> bool:
    return revision in _newest_first()


def migrate(conn: Connection, target: str) -> None:
    """Upgrade or downgrade the schema to `target`, inside the connection's transaction."""
    now = current(conn)
    if now == target:
        return
    config = alembic_config(conn.engine.url.render_as_string(hide_password=False))
    config.attributes["connection"] = conn
    order = _newest_first()
    if now is None or order.index(target) < order.index(now):
        command.upgrade(config, target)
    else:
        command.downgrade(config, target)


def _newest_first() -> list[str]:
    return [script.revision for script in _script().walk_revisions()]


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))
