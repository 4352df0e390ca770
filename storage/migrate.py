"""Alembic, driven from code: `chibo db upgrade`, start-up, and the tests."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from storage.db import Database

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Alembic narrates each step at INFO ("Context impl SQLiteImpl.", every revision applied);
# callers report the outcome instead, from the Migration returned.
logging.getLogger("alembic").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Migration:
    """The schema's revision before a command and after it (None: no schema)."""

    before: str | None
    after: str | None


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def revision_name(revision: str | None) -> str:
    """A revision as an operator reads it: `0006 (working groups)`."""
    if revision is None:
        return "no schema"
    script = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    return f"{revision} ({script.doc})" if script is not None and script.doc else revision


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _migrate(
    connection: Connection, action: Callable[[Config, str], None], revision: str
) -> Migration:
    before = _current(connection)
    action(alembic_config(connection), revision)
    return Migration(before, _current(connection))


async def upgrade(database: Database, revision: str = "head") -> Migration:
    async with database.engine.begin() as connection:
        return await connection.run_sync(lambda sync: _migrate(sync, command.upgrade, revision))


async def downgrade(database: Database, revision: str = "base") -> Migration:
    async with database.engine.begin() as connection:
        return await connection.run_sync(lambda sync: _migrate(sync, command.downgrade, revision))


async def new_revision(database: Database, message: str) -> None:
    """Autogenerate a migration from the difference between the models and a database at head."""
    await upgrade(database)
    async with database.engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.revision(alembic_config(sync), message=message, autogenerate=True)
        )


async def is_empty(database: Database) -> bool:
    async with database.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return not tables


async def is_current(database: Database) -> bool:
    """Whether the database is at the newest migration."""
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    async with database.engine.connect() as connection:
        current = await connection.run_sync(
            lambda sync: set(MigrationContext.configure(sync).get_current_heads())
        )
    return current == heads
