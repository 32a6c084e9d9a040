"""The store's review tables: the status of each CPO result, the biennium locks and the audit trail.

A CPO result (biennium × indicator × CPO) is `submitted` when its rows arrive, `returned` with a
reviewer's comment, `approved` once accepted; only approved results count in the final report. The audit
trail is append-only: this module offers a way to add an entry and ways to read them, none to change or
remove one. Each entry carries the hash of the one before it (a hash chain, `entry_hash`), so that an
entry removed or edited outside the program shows. Made by the Alembic revisions 0004 and 0005.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    UniqueConstraint,
    bindparam,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlmodel import Field, SQLModel

from reporting.store.models import table

if TYPE_CHECKING:  # the trail and the reviews are read as frames; asking whether there is an entry is not
    import pandas as pd

SUBMITTED, RETURNED, APPROVED = "submitted", "returned", "approved"
STATUSES = (SUBMITTED, RETURNED, APPROVED)


class ResultReviewRecord(SQLModel, table=True):
    """The review status of one CPO result, and the fingerprint of the rows it was given on (`version`,
    empty while the result has no rows in force)."""

    __tablename__ = "result_review"
    __table_args__ = (
        UniqueConstraint("biennium", "indicator", "cpo_code", name="uq_result_review_biennium_indicator_cpo"),
    )
    id: int | None = Field(default=None, primary_key=True)
    biennium: str = Field(index=True)
    indicator: str
    cpo_code: str = Field(index=True)
    status: str
    version: str
    changed_by: str
    changed_at: datetime
    comment: str = ""


class AuditEntryRecord(SQLModel, table=True):
    """One thing that happened to the figures' inputs: who, when, what, the old and new value, why; and
    the hash chain: the hash of the entry before (`previous_hash`, unique: the chain never forks) and
    this entry's own (`entry_hash`, over its content and `previous_hash`)."""

    __tablename__ = "audit_entry"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    by: str
    biennium: str = Field(index=True)
    indicator: str = ""
    cpo_code: str = Field(default="", index=True)
    what: str
    old_value: str = ""
    new_value: str = ""
    reason: str = ""
    previous_hash: str = Field(default="", index=True, unique=True, sa_column_kwargs={"server_default": ""})
    entry_hash: str = Field(default="", sa_column_kwargs={"server_default": ""})


class BienniumLockRecord(SQLModel, table=True):
    """A locked biennium: no ingest, no review change until it is unlocked (with a reason)."""

    __tablename__ = "biennium_lock"
    biennium: str = Field(primary_key=True)
    locked_by: str
    locked_at: datetime
    reason: str = ""


AUDIT_LOCK = 7_302_016
"""PostgreSQL advisory lock key held while appending to the trail (the migrations hold 7_302_015)."""
AUDIT_COLUMNS = ["at", "by", "biennium", "indicator", "cpo_code", "what", "old_value", "new_value", "reason"]


@dataclass(frozen=True)
class Entry:
    """An audit entry to record (`at` is the time it is recorded)."""

    by: str
    biennium: str
    what: str
    old_value: str = ""
    new_value: str = ""
    reason: str = ""
    indicator: str = ""
    cpo_code: str = ""


@dataclass(frozen=True)
class Lock:
    biennium: str
    locked_by: str
    locked_at: datetime
    reason: str


def now() -> datetime:
    return datetime.now(UTC)


def entry_hash(entry: dict[str, Any]) -> str:
    """The hash of an audit entry as stored (AUDIT_COLUMNS and `previous_hash`): sha256 of its content
    as canonical JSON, the time in UTC to the microsecond."""
    at = entry["at"]
    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    content = [at.isoformat(timespec="microseconds")]
    content += [str(entry[column]) for column in AUDIT_COLUMNS[1:]]
    content.append(str(entry["previous_hash"]))
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest()


def chain_head(conn: Connection) -> str:
    """The hash of the latest entry ("" while the trail is empty)."""
    audit = table(AuditEntryRecord)
    head = conn.execute(select(audit.c.entry_hash).order_by(audit.c.id.desc()).limit(1)).scalar()
    return "" if head is None else str(head)


def record(conn: Connection, *entries: Entry) -> None:
    """Append audit entries, each chained to the one before (the only way an entry is written; none is
    ever changed or removed). On PostgreSQL writers of the trail take turns (an advisory lock), so that
    two never chain to the same entry; on SQLite the database has one writer at a time, and the unique
    `previous_hash` refuses a fork in any case."""
    if not entries:
        return
    if conn.dialect.name == "postgresql":  # held until the transaction ends; needs no table privilege
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK})
    previous, at, rows = chain_head(conn), now(), []
    for e in entries:
        row = {"at": at, **vars(e), "previous_hash": previous}
        previous = row["entry_hash"] = entry_hash(row)
        rows.append(row)
    conn.execute(insert(table(AuditEntryRecord)), rows)


def _trail(
    columns: list[str], biennium: str | None, cpo_code: str | None, since: datetime | None
) -> Select[Any]:
    """The audit entries of a biennium, a CPO and from a time on (`since` included), oldest first."""
    audit = table(AuditEntryRecord)
    query = select(*(audit.c[c] for c in columns)).order_by(audit.c.id)
    if biennium is not None:
        query = query.where(audit.c.biennium == biennium)
    if cpo_code is not None:
        query = query.where(audit.c.cpo_code == cpo_code)
    if since is not None:
        query = query.where(audit.c.at >= since)
    return query


def audit_entries(
    engine: Engine,
    biennium: str | None = None,
    cpo_code: str | None = None,
    since: datetime | None = None,
) -> pd.DataFrame:
    """The audit trail, oldest first, filtered by biennium, CPO and time (AUDIT_COLUMNS)."""
    import pandas as pd

    with engine.connect() as conn:
        return pd.read_sql(_trail(AUDIT_COLUMNS, biennium, cpo_code, since), conn)


def audited_since(engine: Engine, biennium: str, since: datetime) -> bool:
    """Whether anything was recorded in the biennium's audit trail from `since` on (one row asked for,
    not the trail read)."""
    with engine.connect() as conn:
        return conn.execute(_trail(["id"], biennium, None, since).limit(1)).first() is not None


def reviews(conn: Connection, biennium: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every CPO result's review of a biennium, by (indicator, CPO code)."""
    review = table(ResultReviewRecord)
    rows = conn.execute(select(review).where(review.c.biennium == biennium)).all()
    return {(r.indicator, r.cpo_code): dict(r._mapping) for r in rows}


def approval_state(engine: Engine, biennium: str) -> str:
    """A fingerprint of the biennium's approvals (sha256 of each approved result with the version of the
    rows it was approved on, sorted): what the review lets the report count. A part of the build id, so
    that a status changed, also outside the program, gives another id."""
    review = table(ResultReviewRecord)
    with engine.connect() as conn:
        approved = conn.execute(
            select(review.c.indicator, review.c.cpo_code, review.c.version).where(
                review.c.biennium == biennium, review.c.status == APPROVED
            )
        ).all()
    lines = sorted("\x1f".join(map(str, row)) for row in approved)
    return hashlib.sha256("\x1e".join(lines).encode("utf-8")).hexdigest()


def review_frame(engine: Engine, biennium: str) -> pd.DataFrame:
    """The reviews of a biennium as a frame (indicator, cpo_code, status, version, changed_by, …)."""
    import pandas as pd

    review = table(ResultReviewRecord)
    with engine.connect() as conn:
        return pd.read_sql(
            select(review)
            .where(review.c.biennium == biennium)
            .order_by(review.c.indicator, review.c.cpo_code),
            conn,
        )


def insert_reviews(conn: Connection, biennium: str, reviews: list[dict[str, Any]]) -> None:
    """New reviews (each: indicator, cpo_code and its values) in one statement: a first build of the whole
    programme submits thousands of results."""
    if reviews:
        changed_at = now()
        rows = [{"biennium": biennium, "changed_at": changed_at, **review} for review in reviews]
        conn.execute(insert(table(ResultReviewRecord)), rows)


def update_reviews(conn: Connection, biennium: str, changes: list[dict[str, Any]]) -> None:
    """Change reviews (each: indicator, cpo_code and the values to set) in one executemany per set of
    columns changed: a new version of the whole programme's rows changes thousands of results."""
    review = table(ResultReviewRecord)
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        columns = tuple(c for c in change if c not in ("indicator", "cpo_code"))
        by_columns.setdefault(columns, []).append(change)
    for columns, rows in by_columns.items():
        statement = (
            update(review)
            .where(
                review.c.biennium == biennium,
                review.c.indicator == bindparam("result_indicator"),
                review.c.cpo_code == bindparam("result_cpo_code"),
            )
            .values({c: bindparam(f"new_{c}") for c in columns})
        )
        conn.execute(
            statement,
            [
                {"result_indicator": r["indicator"], "result_cpo_code": r["cpo_code"]}
                | {f"new_{c}": r[c] for c in columns}
                for r in rows
            ],
        )


def lock_of(conn: Connection, biennium: str) -> Lock | None:
    locks = table(BienniumLockRecord)
    row = conn.execute(select(locks).where(locks.c.biennium == biennium)).first()
    return None if row is None else Lock(row.biennium, row.locked_by, row.locked_at, row.reason)


def insert_lock(conn: Connection, biennium: str, by: str, reason: str) -> None:
    conn.execute(
        insert(table(BienniumLockRecord)).values(
            biennium=biennium, locked_by=by, locked_at=now(), reason=reason
        )
    )


def remove_lock(conn: Connection, biennium: str) -> None:
    locks = table(BienniumLockRecord)
    conn.execute(delete(locks).where(locks.c.biennium == biennium))
