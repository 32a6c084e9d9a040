"""Review: the status of each CPO result, biennium locks, and the append-only audit trail.

The database itself refuses to change or remove an audit entry (a trigger on SQLite and PostgreSQL), so
the trail stays whole even for a tool that bypasses the library.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 16:50:56.093259
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "audit entries are never changed or removed"
APPEND_ONLY = {
    "sqlite": [
        f"CREATE TRIGGER audit_entry_no_{verb} BEFORE {verb.upper()} ON audit_entry "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        for verb in ("update", "delete")
    ],
    "postgresql": [
        "CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$",
        "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    ],
}
DROP_APPEND_ONLY = {
    "sqlite": ["DROP TRIGGER audit_entry_no_update", "DROP TRIGGER audit_entry_no_delete"],
    "postgresql": [
        "DROP TRIGGER audit_entry_append_only ON audit_entry",
        "DROP FUNCTION audit_entry_append_only()",
    ],
}


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("biennium", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("indicator", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("cpo_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("what", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("old_value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("new_value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_biennium"), ["biennium"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_cpo_code"), ["cpo_code"], unique=False)

    op.create_table(
        "biennium_lock",
        sa.Column("biennium", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("locked_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("locked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("biennium"),
    )
    op.create_table(
        "result_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("biennium", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("indicator", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("cpo_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "biennium", "indicator", "cpo_code", name="uq_result_review_biennium_indicator_cpo"
        ),
    )
    with op.batch_alter_table("result_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_result_review_biennium"), ["biennium"], unique=False)
        batch_op.create_index(batch_op.f("ix_result_review_cpo_code"), ["cpo_code"], unique=False)
    for statement in APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table("result_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_result_review_cpo_code"))
        batch_op.drop_index(batch_op.f("ix_result_review_biennium"))

    op.drop_table("result_review")
    op.drop_table("biennium_lock")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_cpo_code"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_biennium"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))

    op.drop_table("audit_entry")
