"""INSERT ... ON CONFLICT for both supported dialects."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base


def _insert(session: AsyncSession, model: type[Base], values: dict[str, Any]) -> Any:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model).values(**values)


async def upsert(
    session: AsyncSession, model: type[Base], values: dict[str, Any], conflict_columns: list[str]
) -> None:
    """Insert a row, or overwrite the one with the same conflict columns."""
    statement = _insert(session, model, values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=conflict_columns,
            set_={k: statement.excluded[k] for k in values if k not in conflict_columns},
        )
    )


async def insert_if_absent(
    session: AsyncSession, model: type[Base], values: dict[str, Any], conflict_columns: list[str]
) -> bool:
    """Insert a row unless one with the same conflict columns exists; True when inserted."""
    statement = _insert(session, model, values).on_conflict_do_nothing(
        index_elements=conflict_columns
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))
