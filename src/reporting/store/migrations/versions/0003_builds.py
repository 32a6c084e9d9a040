"""Builds: each build of the report, what it was made from and what it gave.

A build compares itself with the previous build of its biennium: the input files it used (with their
stored ids), the indicator summary and the evidence trail it wrote.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 14:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "build",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("biennium", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("build_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("built_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("flow_run_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("out_dir", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("outcomes_json", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("inputs_json", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("summary_csv", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("evidence_csv", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("build", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_build_biennium"), ["biennium"], unique=False)
        batch_op.create_index(batch_op.f("ix_build_build_id"), ["build_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("build", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_build_build_id"))
        batch_op.drop_index(batch_op.f("ix_build_biennium"))
    op.drop_table("build")
