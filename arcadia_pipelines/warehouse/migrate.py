"""Alembic migrations, applied by `arcadia-pipelines migrate` and before every run."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .dialect import dialect_of

VERSION_TABLE = "arcadia_alembic_version"  # our own, so a platform's Alembic table is untouched
_HERE = Path(__file__).parent


def alembic_config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(conn: sa.Connection) -> str | None:
    return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def upgrade(engine: sa.Engine) -> str:
    """Bring the warehouse to the newest schema; cheap and safe when it already is there,
    and when several runs start at once (they take turns)."""
    head = head_revision()
    with engine.connect() as conn:
        if current_revision(conn) == head:
            return head
    with engine.begin() as conn:
        dialect_of(conn).lock_partition(conn, "arcadia_pipelines.migrate")
        if current_revision(conn) != head:
            command.upgrade(alembic_config(conn), "head")
    return head
