"""minutes numbers and opinions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 11:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_opinion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("speaker", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["agenda_item.id"], name=op.f("fk_item_opinion_item_id_agenda_item")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_item_opinion_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_opinion")),
    )
    with op.batch_alter_table("item_opinion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_opinion_item_id"), ["item_id"], unique=False)

    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("minutes_number", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("minutes_number")

    with op.batch_alter_table("item_opinion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_opinion_item_id"))

    op.drop_table("item_opinion")
