"""digest roll indexes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLL_WHERE = {
    "sqlite_where": sa.text("roll_status IS NOT NULL AND exempted IS 0"),
    "postgresql_where": sa.text("roll_status IS NOT NULL AND exempted IS false"),
}
UNEXCUSED_WHERE = {
    "sqlite_where": sa.text("roll_status = 'unexcused' AND exempted IS 0"),
    "postgresql_where": sa.text("roll_status = 'unexcused' AND exempted IS false"),
}


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index("ix_invitation_roll", ["meeting_id", "roll_status"], **ROLL_WHERE)
        batch_op.create_index(
            "ix_invitation_unexcused", ["meeting_id", "person_id"], **UNEXCUSED_WHERE
        )


def downgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index("ix_invitation_unexcused", **UNEXCUSED_WHERE)
        batch_op.drop_index("ix_invitation_roll", **ROLL_WHERE)
