"""Versions of received files: superseded rows, optional evidence columns, one file stored once.

A new version of a file marks the older rows superseded (kept, not deleted); the evidence keeps the
optional typology, gender_specific and submitted_by columns; (biennium, sha256) is unique.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:38:38.818394
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("typology", sqlmodel.sql.sqltypes.AutoString(), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "gender_specific", sqlmodel.sql.sqltypes.AutoString(), server_default="", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("submitted_by", sqlmodel.sql.sqltypes.AutoString(), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("superseded_by_file_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_evidence_superseded_by_file_id"), ["superseded_by_file_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_evidence_superseded_by_file_id", "received_file", ["superseded_by_file_id"], ["id"]
        )

    with op.batch_alter_table("received_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("superseded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_received_file_superseded_by_id"), ["superseded_by_id"], unique=False
        )
        batch_op.create_unique_constraint("uq_received_file_biennium_sha256", ["biennium", "sha256"])
        batch_op.create_foreign_key(
            "fk_received_file_superseded_by_id", "received_file", ["superseded_by_id"], ["id"]
        )

    with op.batch_alter_table("rejected_row", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_by_file_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_rejected_row_superseded_by_file_id"), ["superseded_by_file_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_rejected_row_superseded_by_file_id", "received_file", ["superseded_by_file_id"], ["id"]
        )

    with op.batch_alter_table("target", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_by_file_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_target_superseded_by_file_id"), ["superseded_by_file_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_target_superseded_by_file_id", "received_file", ["superseded_by_file_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("target", schema=None) as batch_op:
        batch_op.drop_constraint("fk_target_superseded_by_file_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_target_superseded_by_file_id"))
        batch_op.drop_column("superseded_by_file_id")

    with op.batch_alter_table("rejected_row", schema=None) as batch_op:
        batch_op.drop_constraint("fk_rejected_row_superseded_by_file_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_rejected_row_superseded_by_file_id"))
        batch_op.drop_column("superseded_by_file_id")

    with op.batch_alter_table("received_file", schema=None) as batch_op:
        batch_op.drop_constraint("fk_received_file_superseded_by_id", type_="foreignkey")
        batch_op.drop_constraint("uq_received_file_biennium_sha256", type_="unique")
        batch_op.drop_index(batch_op.f("ix_received_file_superseded_by_id"))
        batch_op.drop_column("superseded_at")
        batch_op.drop_column("superseded_by_id")

    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_constraint("fk_evidence_superseded_by_file_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_evidence_superseded_by_file_id"))
        batch_op.drop_column("superseded_by_file_id")
        batch_op.drop_column("submitted_by")
        batch_op.drop_column("gender_specific")
        batch_op.drop_column("typology")
