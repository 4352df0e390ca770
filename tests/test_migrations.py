"""The migrations create exactly the schema the models describe, and undo it."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from storage import migrate
from storage.db import Database
from storage.models import Base


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_matches_models(database: Database) -> None:
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []


async def test_downgrade_to_base_then_upgrade_again(database: Database) -> None:
    model_tables = set(Base.metadata.tables)

    async def tables() -> set[str]:
        async with database.engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        return set(names) - {"alembic_version"}

    assert await tables() == model_tables
    assert await migrate.is_current(database)
    await migrate.downgrade(database, "base")
    assert await tables() == set()
    assert not await migrate.is_current(database)
    await migrate.upgrade(database)
    assert await tables() == model_tables
    assert await migrate.is_current(database)
