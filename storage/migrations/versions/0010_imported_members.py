"""imported members

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01 17:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "imported_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("joined_party_on", sa.Date(), nullable=True),
        sa.Column("full_member_on", sa.Date(), nullable=True),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("imported_by_person_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cell_id"], ["cell.id"], name=op.f("fk_imported_member_cell_id_cell")
        ),
        sa.ForeignKeyConstraint(
            ["imported_by_person_id"],
            ["person.id"],
            name=op.f("fk_imported_member_imported_by_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_imported_member_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_member")),
        sa.UniqueConstraint(
            "cell_id", "name_key", name=op.f("uq_imported_member_cell_id_name_key")
        ),
        sa.UniqueConstraint("claim_token", name=op.f("uq_imported_member_claim_token")),
    )


def downgrade() -> None:
    op.drop_table("imported_member")
