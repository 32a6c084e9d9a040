"""The audit trail as a hash chain: each entry carries the hash of the one before and its own.

The entries already there are chained in the order they were recorded (the append-only triggers are
set aside for that, and put back). On PostgreSQL, TRUNCATE of the trail is refused too (a statement
trigger: the row triggers do not see it).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 03:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from reporting.store.review import AUDIT_COLUMNS, entry_hash

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "audit entries are never changed or removed"
APPEND_ONLY = {  # as revision 0004 made them
    "sqlite": [
        f"CREATE TRIGGER audit_entry_no_{verb} BEFORE {verb.upper()} ON audit_entry "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        for verb in ("update", "delete")
    ],
    "postgresql": [
        "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    ],
}
DROP_APPEND_ONLY = {
    "sqlite": ["DROP TRIGGER audit_entry_no_update", "DROP TRIGGER audit_entry_no_delete"],
    "postgresql": ["DROP TRIGGER audit_entry_append_only ON audit_entry"],
}
NO_TRUNCATE = (
    "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()"
)


def _chain_existing_entries() -> None:
    audit = sa.table(
        "audit_entry",
        sa.column("id", sa.Integer()),
        *(
            sa.column(c, sqlmodel.sql.sqltypes.UTCDateTime() if c == "at" else sa.String())
            for c in AUDIT_COLUMNS
        ),
        sa.column("previous_hash", sa.String()),
        sa.column("entry_hash", sa.String()),
    )
    bind = op.get_bind()
    previous = ""
    for row in bind.execute(sa.select(audit).order_by(audit.c.id)).mappings().all():
        own = entry_hash({**row, "previous_hash": previous})
        bind.execute(
            sa.update(audit).where(audit.c.id == row["id"]).values(previous_hash=previous, entry_hash=own)
        )
        previous = own


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in DROP_APPEND_ONLY[dialect]:
        op.execute(statement)
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("previous_hash", sqlmodel.sql.sqltypes.AutoString(), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("entry_hash", sqlmodel.sql.sqltypes.AutoString(), server_default="", nullable=False)
        )
    _chain_existing_entries()
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_previous_hash"), ["previous_hash"], unique=True)
    for statement in APPEND_ONLY[dialect]:
        op.execute(statement)
    if dialect == "postgresql":
        op.execute(NO_TRUNCATE)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER audit_entry_no_truncate ON audit_entry")
    for statement in DROP_APPEND_ONLY[dialect]:
        op.execute(statement)
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_previous_hash"))
        batch_op.drop_column("entry_hash")
        batch_op.drop_column("previous_hash")
    for statement in APPEND_ONLY[dialect]:
        op.execute(statement)
