"""attendance

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 07:34:52.009661
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("roll_status", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("exempted", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkin_code", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("roll_opened_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("roll_opened_at")
        batch_op.drop_column("checkin_code")

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("exempted")
        batch_op.drop_column("roll_status")
        batch_op.drop_column("checked_in_at")
