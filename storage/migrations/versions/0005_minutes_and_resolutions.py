"""minutes and resolutions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 07:52:38.586930
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "resolution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("comments_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("votes_for", sa.Integer(), nullable=True),
        sa.Column("votes_against", sa.Integer(), nullable=True),
        sa.Column("votes_abstain", sa.Integer(), nullable=True),
        sa.Column("full_members", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_resolution_meeting_id_meeting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_resolution_meeting_id")),
    )
    op.create_table(
        "resolution_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resolution_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_resolution_comment_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["resolution_id"],
            ["resolution.id"],
            name=op.f("fk_resolution_comment_resolution_id_resolution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution_comment")),
    )
    with op.batch_alter_table("resolution_comment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resolution_comment_resolution_id"), ["resolution_id"], unique=False
        )

    op.create_table(
        "resolution_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resolution_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.String(length=500), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_resolution_task_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["resolution_id"],
            ["resolution.id"],
            name=op.f("fk_resolution_task_resolution_id_resolution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution_task")),
    )
    with op.batch_alter_table("resolution_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resolution_task_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_resolution_task_resolution_id"), ["resolution_id"], unique=False
        )

    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("opinions", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("conclusion", sa.Text(), nullable=True))

    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chair", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("note_taker", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("note_taker")
        batch_op.drop_column("chair")

    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_column("conclusion")
        batch_op.drop_column("opinions")
        batch_op.drop_column("report")

    with op.batch_alter_table("resolution_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resolution_task_resolution_id"))
        batch_op.drop_index(batch_op.f("ix_resolution_task_person_id"))

    op.drop_table("resolution_task")
    with op.batch_alter_table("resolution_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resolution_comment_resolution_id"))

    op.drop_table("resolution_comment")
    op.drop_table("resolution")
