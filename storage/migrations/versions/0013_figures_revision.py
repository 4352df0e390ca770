"""figures revision: a counter per organisation that the database bumps itself

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-01 19:40:00.000000

The dashboard keeps an organisation's figures between requests and reuses them while the
organisation's revision is unchanged. Triggers, not the application, bump it: every write of
what the digest's figures read counts, whichever code path (or replica, or psql session)
makes it, in the writer's own transaction.

Beware: on SQLite, ``batch_alter_table`` recreates a table and drops its triggers; a later
migration that batch-alters one of the tables below must create its triggers again
(``tests/test_figures_revision.py`` fails otherwise).
"""

from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class _Feed(NamedTuple):
    """A table the figures read: the organisations a row of it belongs to (``{row}`` is NEW or
    OLD), the columns the figures read, and which rows count at all (None: every row)."""

    table: str
    organisations: str
    columns: tuple[str, ...]
    counts: str | None = None


_OF_MEETING = (
    "SELECT cell.organisation_id FROM meeting JOIN cell ON cell.id = meeting.cell_id "
    "WHERE meeting.id = {row}.meeting_id"
)
_FEEDS = (
    _Feed("organisation", "SELECT {row}.id", ("name", "cutoff_day", "plan_due_day")),
    _Feed("cell", "SELECT {row}.organisation_id", ("organisation_id", "name", "created_at")),
    _Feed(
        "meeting",
        "SELECT organisation_id FROM cell WHERE cell.id = {row}.cell_id",
        ("cell_id", "kind", "status", "starts_at", "late", "roll_closed_at", "minutes_recorded_at"),
    ),
    # Only roll entries count (an answer to an invitation is no figure): a press of "attend"
    # does not bump the organisation.
    _Feed(
        "invitation",
        _OF_MEETING,
        ("meeting_id", "person_id", "roll_status", "exempted"),
        counts="{row}.roll_status IS NOT NULL",
    ),
    _Feed("paper_assignment", _OF_MEETING, ("meeting_id", "due_at")),
    _Feed(
        "paper_submission",
        "SELECT cell.organisation_id FROM paper_assignment "
        "JOIN meeting ON meeting.id = paper_assignment.meeting_id "
        "JOIN cell ON cell.id = meeting.cell_id "
        "WHERE paper_assignment.id = {row}.assignment_id",
        ("assignment_id", "late", "replaced_at"),
    ),
    _Feed(
        "meeting_observer", _OF_MEETING, ("meeting_id", "person_id", "observations", "observed_at")
    ),
    # A name is read wherever its person is counted (members at risk, observers): a rename,
    # rare, bumps every organisation.
    _Feed("person", "SELECT organisation_id FROM figures_revision", ("full_name",)),
)
_EVENTS = ("INSERT", "UPDATE", "DELETE")


def _bump(organisations: str) -> str:
    """SQLite's bump: its writers take turns and it updates a row in place."""
    return (
        "UPDATE figures_revision SET revision = revision + 1 "
        f"WHERE organisation_id IN ({organisations})"
    )


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


def _organisations(feed: _Feed, event: str) -> str:
    return " UNION ".join(feed.organisations.format(row=row) for row in _rows_of(event))


def _written(feed: _Feed) -> tuple[str, ...]:
    """The writes of the table that count: an organisation counts from its creation, below."""
    return ("UPDATE",) if feed.table == "organisation" else _EVENTS


def _triggers() -> list[tuple[str, _Feed, str]]:
    """Each trigger's name, its table and the write it follows."""
    return [
        (f"figures_revision_{feed.table}_{event.lower()}", feed, event)
        for feed in _FEEDS
        for event in _written(feed)
    ]


_CREATED = "figures_revision_organisation_created"
_KEEP_ROW = "INSERT INTO figures_revision (organisation_id, revision) VALUES (NEW.id, 0);"


def _sqlite_triggers() -> list[str]:
    statements = [f"CREATE TRIGGER {_CREATED} AFTER INSERT ON organisation BEGIN {_KEEP_ROW} END"]
    for name, feed, event in _triggers():
        condition = _condition(feed, event, "NEW.{column} IS NOT OLD.{column}")
        when = f" WHEN {condition}" if condition else ""
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {feed.table} FOR EACH ROW{when} "
            f"BEGIN {_bump(_organisations(feed, event))}; END"
        )
    return statements


# On PostgreSQL a row updated again and again in one transaction leaves a version per update
# that each later update walks past: an organisation is bumped once per transaction (a
# transaction-local setting remembers it, and is undone with a savepoint rolled back).
_BUMP_ONCE = """CREATE FUNCTION figures_revision_bump(organisations integer[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    organisation integer;
    bumped text;
BEGIN
    FOREACH organisation IN ARRAY organisations LOOP
        CONTINUE WHEN organisation IS NULL;
        bumped := 'chibo.figures_bumped_' || organisation;
        IF current_setting(bumped, true) IS DISTINCT FROM txid_current()::text THEN
            UPDATE figures_revision SET revision = revision + 1
            WHERE organisation_id = organisation;
            PERFORM set_config(bumped, txid_current()::text, true);
        END IF;
    END LOOP;
END $$"""


def _postgresql_triggers() -> list[str]:
    statements = [
        f"CREATE FUNCTION {_CREATED}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {_KEEP_ROW} RETURN NULL; END $$",
        f"CREATE TRIGGER {_CREATED} AFTER INSERT ON organisation "
        f"FOR EACH ROW EXECUTE FUNCTION {_CREATED}()",
        _BUMP_ONCE,
    ]
    for feed in _FEEDS:
        branches = " ELSIF ".join(
            f"TG_OP = '{event}' THEN "
            f"PERFORM figures_revision_bump(ARRAY({_organisations(feed, event)}));"
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
    op.create_table(
        "figures_revision",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    op.execute(
        "INSERT INTO figures_revision (organisation_id, revision) SELECT id, 0 FROM organisation"
    )
    for statement in _sqlite_triggers() if _is_sqlite() else _postgresql_triggers():
        op.execute(statement)


def downgrade() -> None:
    if _is_sqlite():
        for name in [_CREATED, *(name for name, _, _ in _triggers())]:
            op.execute(f"DROP TRIGGER {name}")
    else:
        op.execute(f"DROP TRIGGER {_CREATED} ON organisation")
        op.execute(f"DROP FUNCTION {_CREATED}()")
        for name, feed, _ in _triggers():
            op.execute(f"DROP TRIGGER {name} ON {feed.table}")
        for feed in _FEEDS:
            op.execute(f"DROP FUNCTION figures_revision_{feed.table}()")
        op.execute("DROP FUNCTION figures_revision_bump(integer[])")
    op.drop_table("figures_revision")
