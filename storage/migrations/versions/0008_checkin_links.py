"""check-in links: a meeting's token for the QR code shown in the room

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkin_token", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_meeting_checkin_token"), ["checkin_token"])


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_meeting_checkin_token"), type_="unique")
        batch_op.drop_column("checkin_token")
