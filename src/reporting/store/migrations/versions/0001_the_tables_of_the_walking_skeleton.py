"""The tables of the walking skeleton (issue 2), exactly as it created them from the models.

A database made by that version (no alembic_version table) is stamped here and upgraded from it.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 18:38:02.950582
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("biennium", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("outcome_title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("indicator", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("min_criteria", sa.Integer(), nullable=False),
        sa.Column("criteria_json", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicator_biennium"), ["biennium"], unique=False)

    op.create_table(
        "received_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("biennium", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("archive_path", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("received_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_received_file_biennium"), ["biennium"], unique=False)
        batch_op.create_index(batch_op.f("ix_received_file_sha256"), ["sha256"], unique=False)

    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_file_id", sa.Integer(), nullable=False),
        sa.Column("source_sheet", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("biennium", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("indicator", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("cpo_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("cpo_title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("criterion", sa.Integer(), nullable=False),
        sa.Column("result_achieved", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ilo_contribution", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["received_file_id"],
            ["received_file.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_biennium"), ["biennium"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_cpo_code"), ["cpo_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_received_file_id"), ["received_file_id"], unique=False)

    op.create_table(
        "rejected_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_file_id", sa.Integer(), nullable=False),
        sa.Column("source_sheet", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("row_json", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["received_file_id"],
            ["received_file.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rejected_row", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rejected_row_received_file_id"), ["received_file_id"], unique=False
        )

    op.create_table(
        "target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_file_id", sa.Integer(), nullable=False),
        sa.Column("biennium", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("indicator", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["received_file_id"],
            ["received_file.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("target", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_target_biennium"), ["biennium"], unique=False)
        batch_op.create_index(batch_op.f("ix_target_received_file_id"), ["received_file_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_target_received_file_id"))
        batch_op.drop_index(batch_op.f("ix_target_biennium"))

    op.drop_table("target")
    with op.batch_alter_table("rejected_row", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejected_row_received_file_id"))

    op.drop_table("rejected_row")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_received_file_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_cpo_code"))
        batch_op.drop_index(batch_op.f("ix_evidence_biennium"))

    op.drop_table("evidence")
    with op.batch_alter_table("received_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_received_file_sha256"))
        batch_op.drop_index(batch_op.f("ix_received_file_biennium"))

    op.drop_table("received_file")
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_biennium"))

    op.drop_table("indicator")
