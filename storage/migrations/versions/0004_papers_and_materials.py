"""papers and materials

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 07:46:08.562280
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_file")),
        sa.UniqueConstraint("sha256", name=op.f("uq_stored_file_sha256")),
    )
    op.create_table(
        "meeting_material",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("added_by_person_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_person_id"],
            ["person.id"],
            name=op.f("fk_meeting_material_added_by_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_file.id"], name=op.f("fk_meeting_material_file_id_stored_file")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_material_meeting_id_meeting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_material")),
    )
    with op.batch_alter_table("meeting_material", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_material_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "paper_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by_person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by_person_id"],
            ["person.id"],
            name=op.f("fk_paper_assignment_assigned_by_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_paper_assignment_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_paper_assignment_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_assignment")),
    )
    with op.batch_alter_table("paper_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_paper_assignment_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_paper_assignment_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "paper_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file_type", sa.String(length=10), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["paper_assignment.id"],
            name=op.f("fk_paper_submission_assignment_id_paper_assignment"),
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_file.id"], name=op.f("fk_paper_submission_file_id_stored_file")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_submission")),
    )
    with op.batch_alter_table("paper_submission", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_paper_submission_assignment_id"), ["assignment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("paper_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_submission_assignment_id"))

    op.drop_table("paper_submission")
    with op.batch_alter_table("paper_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_assignment_person_id"))
        batch_op.drop_index(batch_op.f("ix_paper_assignment_meeting_id"))

    op.drop_table("paper_assignment")
    with op.batch_alter_table("meeting_material", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_material_meeting_id"))

    op.drop_table("meeting_material")
    op.drop_table("stored_file")
