"""working groups

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 08:10:54.657449
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_observer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_person_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("observations", sa.Text(), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_person_id"],
            ["person.id"],
            name=op.f("fk_meeting_observer_assigned_by_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_observer_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_meeting_observer_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_observer")),
        sa.UniqueConstraint(
            "meeting_id", "person_id", name=op.f("uq_meeting_observer_meeting_id_person_id")
        ),
    )
    with op.batch_alter_table("meeting_observer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_observer_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("meeting_observer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_observer_person_id"))

    op.drop_table("meeting_observer")
