"""`reporting audit --verify`: is the audit trail whole, and do the review and lock tables say what it
says? Anything changed outside the program (an entry removed or edited, a status or a lock set by hand)
is one line naming it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from reporting.store.models import table
from reporting.store.review import AuditEntryRecord, BienniumLockRecord, ResultReviewRecord, entry_hash

LOCKED = "locked"


def _named(entry: dict[str, Any]) -> str:
    about = " ".join(str(entry[c]) for c in ("biennium", "cpo_code", "indicator") if entry[c])
    return f"audit entry {entry['id']} ({entry['at']:%Y-%m-%d %H:%M} UTC, {entry['what']}, {about})"


def chain_problems(entries: list[dict[str, Any]]) -> list[str]:
    """Where the chain breaks: an entry whose content no longer gives its hash (edited, or written by
    something else than the program), an entry that does not follow the one before (removed between)."""
    problems: list[str] = []
    previous = ""
    for entry in entries:
        if entry["previous_hash"] != previous:
            problems.append(f"{_named(entry)}: the entry before it was removed or rewritten")
        if entry_hash(entry) != entry["entry_hash"]:
            problems.append(
                f"{_named(entry)}: edited or written outside the program (its hash does not match)"
            )
        previous = entry["entry_hash"]
    return problems


def _latest(entries: list[dict[str, Any]], what: str, *key: str) -> dict[tuple[str, ...], str]:
    """The newest value the trail gives per key for entries of one kind."""
    return {tuple(e[k] for k in key): e["new_value"] for e in entries if e["what"] == what}


def table_problems(
    entries: list[dict[str, Any]], statuses: dict[tuple[str, ...], str], locked: set[str]
) -> list[str]:
    """Statuses and locks that no entry explains, or that the trail says otherwise."""
    problems: list[str] = []
    said = _latest(entries, "status", "biennium", "indicator", "cpo_code")
    for key in sorted(set(said) | set(statuses)):
        result = "result {} {} {}".format(*key)
        if key not in statuses:
            problems.append(f"{result}: removed from the review table (the audit trail says {said[key]})")
        elif key not in said:
            problems.append(f"{result}: status {statuses[key]} that no audit entry explains")
        elif said[key] != statuses[key]:
            problems.append(f"{result}: status {statuses[key]}, but the audit trail says {said[key]}")
    lock_said = _latest(entries, "lock", "biennium")
    for (biennium,) in sorted(set(lock_said) | {(b,) for b in locked}):
        trail_locked = lock_said.get((biennium,)) == LOCKED
        if biennium in locked and not trail_locked:
            problems.append(f"biennium {biennium}: locked, but no audit entry locked it")
        elif biennium not in locked and trail_locked:
            problems.append(f"biennium {biennium}: unlocked, but no audit entry unlocked it")
    return problems


def verify_trail(engine: Engine) -> tuple[int, list[str]]:
    """How many entries the trail holds, and every problem found in it and against the tables."""
    audit, review, locks = (table(m) for m in (AuditEntryRecord, ResultReviewRecord, BienniumLockRecord))
    with engine.connect() as conn:
        entries = [dict(r) for r in conn.execute(select(audit).order_by(audit.c.id)).mappings()]
        statuses: dict[tuple[str, ...], str] = {
            (str(r.biennium), str(r.indicator), str(r.cpo_code)): str(r.status)
            for r in conn.execute(
                select(review.c.biennium, review.c.indicator, review.c.cpo_code, review.c.status)
            )
        }
        locked = {str(b) for b in conn.execute(select(locks.c.biennium)).scalars()}
    return len(entries), chain_problems(entries) + table_problems(entries, statuses, locked)
