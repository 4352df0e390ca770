"""figures revisions: counters per organisation and per cell that the database bumps itself

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 19:40:00.000000

The dashboard keeps an organisation's figures between requests: it reuses them while the
organisation's revision is unchanged, and works out again only the cells whose own revision
moved. Triggers, not the application, bump them: every write of what the digest's figures
read counts, whichever code path (or replica, or psql session) makes it, in the writer's own
transaction. A cell's meetings, rolls, papers, observations and its people's names bump the
cell; what the whole organisation's figures read (its settings, its cells and their names)
bumps the organisation.

Beware: on SQLite, ``batch_alter_table`` recreates a table and drops its triggers; a later
migration that batch-alters one of the tables below must create its triggers again
(``tests/test_figures_revision.py`` fails otherwise).
"""

from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class _Counter(NamedTuple):
    table: str
    key: str


ORGANISATION = _Counter("figures_revision", "organisation_id")
CELL = _Counter("cell_figures_revision", "cell_id")


class _Feed(NamedTuple):
    """A table the figures read: the counter its writes bump, the keys of that counter a row
    belongs to (``{row}`` is NEW or OLD), the columns the figures read, and which rows count
    at all (None: every row)."""

    table: str
    counter: _Counter
    owners: str
    columns: tuple[str, ...]
    counts: str | None = None


_CELL_OF_MEETING = "SELECT cell_id FROM meeting WHERE meeting.id = {row}.meeting_id"
_FEEDS = (
    _Feed("organisation", ORGANISATION, "SELECT {row}.id", ("name", "cutoff_day", "plan_due_day")),
    # A cell added, renamed or moved changes the organisation's list of cells.
    _Feed(
        "cell",
        ORGANISATION,
        "SELECT {row}.organisation_id",
        ("organisation_id", "name", "created_at"),
    ),
    # A name is read where its person is counted: the cells they are (or were) a member of,
    # at risk there, and those whose meetings they observed.
    _Feed(
        "person",
        CELL,
        "SELECT cell_id FROM membership WHERE membership.person_id = {row}.id "
        "UNION SELECT meeting.cell_id FROM meeting_observer "
        "JOIN meeting ON meeting.id = meeting_observer.meeting_id "
        "WHERE meeting_observer.person_id = {row}.id",
        ("full_name",),
    ),
    _Feed(
        "meeting",
        CELL,
        "SELECT {row}.cell_id",
        ("cell_id", "kind", "status", "starts_at", "late", "roll_closed_at", "minutes_recorded_at"),
    ),
    # Only roll entries count (an answer to an invitation is no figure): a press of "attend"
    # bumps nothing.
    _Feed(
        "invitation",
        CELL,
        _CELL_OF_MEETING,
        ("meeting_id", "person_id", "roll_status", "exempted"),
        counts="{row}.roll_status IS NOT NULL",
    ),
    _Feed("paper_assignment", CELL, _CELL_OF_MEETING, ("meeting_id", "due_at")),
    _Feed(
        "paper_submission",
        CELL,
        "SELECT meeting.cell_id FROM paper_assignment "
        "JOIN meeting ON meeting.id = paper_assignment.meeting_id "
        "WHERE paper_assignment.id = {row}.assignment_id",
        ("assignment_id", "late", "replaced_at"),
    ),
    _Feed(
        "meeting_observer",
        CELL,
        _CELL_OF_MEETING,
        ("meeting_id", "person_id", "observations", "observed_at"),
    ),
)
_EVENTS = ("INSERT", "UPDATE", "DELETE")
# Each new organisation and cell gets its counter (a deleted one's goes with it, by cascade).
_STARTS = ((ORGANISATION, "organisation"), (CELL, "cell"))


def _rows_of(event: str) -> tuple[str, ...]:
    return {"INSERT": ("NEW",), "UPDATE": ("NEW", "OLD"), "DELETE": ("OLD",)}[event]


def _condition(feed: _Feed, event: str, differs: str) -> str | None:
    """When a row's write counts: a row that counts, and for an update a column read changed."""
    counts = (
        " OR ".join(feed.counts.format(row=row) for row in _rows_of(event)) if feed.counts else None
    )
    if event != "UPDATE":
        return counts
    changed = " OR ".join(differs.format(column=column) for column in feed.columns)
    return f"({counts}) AND ({changed})" if counts else changed


def _owners(feed: _Feed, event: str) -> str:
    return " UNION ".join(feed.owners.format(row=row) for row in _rows_of(event))


def _written(feed: _Feed) -> tuple[str, ...]:
    """The writes of the table that count: an organisation counts from its creation, below."""
    return ("UPDATE",) if feed.table == "organisation" else _EVENTS


def _triggers() -> list[tuple[str, _Feed, str]]:
    """Each trigger's name, its feed and the write it follows."""
    return [
        (f"figures_revision_{feed.table}_{event.lower()}", feed, event)
        for feed in _FEEDS
        for event in _written(feed)
    ]


def _started(counter: _Counter) -> str:
    return f"figures_revision_{counter.table}_started"


def _start(counter: _Counter) -> str:
    return f"INSERT INTO {counter.table} ({counter.key}, revision) VALUES (NEW.id, 0);"


def _sqlite_triggers() -> list[str]:
    statements = [
        f"CREATE TRIGGER {_started(counter)} AFTER INSERT ON {table} BEGIN {_start(counter)} END"
        for counter, table in _STARTS
    ]
    for name, feed, event in _triggers():
        condition = _condition(feed, event, "NEW.{column} IS NOT OLD.{column}")
        when = f" WHEN {condition}" if condition else ""
        # SQLite's writers take turns and it updates a row in place: a bump per row is cheap.
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {feed.table} FOR EACH ROW{when} "
            f"BEGIN UPDATE {feed.counter.table} SET revision = revision + 1 "
            f"WHERE {feed.counter.key} IN ({_owners(feed, event)}); END"
        )
    return statements


def _bump_once(counter: _Counter) -> str:
    """On PostgreSQL a row updated again and again in one transaction leaves a version per
    update that each later update walks past: a counter is bumped once per transaction, the
    first time (its row's version is then this transaction's own, which ``xmin`` tells; after
    a savepoint rolled back, the version seen is the earlier one again, and it is bumped
    again). The owners are locked in the order of their ids, so that two writers bumping
    several of them cannot wait on each other."""
    return f"""CREATE FUNCTION {counter.table}_bump(owners integer[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE {counter.table} SET revision = revision + 1
    WHERE {counter.key} IN (
        SELECT {counter.key} FROM {counter.table}
        WHERE {counter.key} = ANY(owners) AND xmin <> pg_current_xact_id()::xid
        ORDER BY {counter.key}
        FOR UPDATE
    )
$$"""


def _postgresql_triggers() -> list[str]:
    statements = []
    for counter, table in _STARTS:
        statements += [
            f"CREATE FUNCTION {_started(counter)}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {_start(counter)} RETURN NULL; END $$",
            f"CREATE TRIGGER {_started(counter)} AFTER INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {_started(counter)}()",
            _bump_once(counter),
        ]
    for feed in _FEEDS:
        branches = " ELSIF ".join(
            f"TG_OP = '{event}' THEN "
            f"PERFORM {feed.counter.table}_bump(ARRAY({_owners(feed, event)}));"
            for event in _written(feed)
        )
        statements.append(
            f"CREATE FUNCTION figures_revision_{feed.table}() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN IF {branches} END IF; RETURN NULL; END $$"
        )
    for name, feed, event in _triggers():
        condition = _condition(feed, event, "NEW.{column} IS DISTINCT FROM OLD.{column}")
        when = f" WHEN ({condition})" if condition else ""
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {feed.table} FOR EACH ROW{when} "
            f"EXECUTE FUNCTION figures_revision_{feed.table}()"
        )
    return statements


def _is_sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def upgrade() -> None:
    for counter, table in _STARTS:
        op.create_table(
            counter.table,
            sa.Column(counter.key, sa.Integer(), nullable=False),
            sa.Column("revision", sa.BigInteger(), nullable=False),
            sa.ForeignKeyConstraint([counter.key], [f"{table}.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint(counter.key),
        )
        op.execute(
            f"INSERT INTO {counter.table} ({counter.key}, revision) SELECT id, 0 FROM {table}"
        )
    for statement in _sqlite_triggers() if _is_sqlite() else _postgresql_triggers():
        op.execute(statement)


def downgrade() -> None:
    sqlite = _is_sqlite()
    for name, feed, _ in _triggers():
        op.execute(f"DROP TRIGGER {name}" if sqlite else f"DROP TRIGGER {name} ON {feed.table}")
    for counter, table in _STARTS:
        started = _started(counter)
        op.execute(f"DROP TRIGGER {started}" if sqlite else f"DROP TRIGGER {started} ON {table}")
    if not sqlite:
        for feed in _FEEDS:
            op.execute(f"DROP FUNCTION figures_revision_{feed.table}()")
        for counter, _ in _STARTS:
            op.execute(f"DROP FUNCTION {_started(counter)}()")
            op.execute(f"DROP FUNCTION {counter.table}_bump(integer[])")
    for counter, _ in reversed(_STARTS):
        op.drop_table(counter.table)
