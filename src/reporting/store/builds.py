"""Builds of the report kept in the store: what each was made from and what it gave, so that the next
build can say what changed (report.changes) and the next biennium's report can compare with the figures
this one published."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, insert, select

from reporting.store.models import BuildRecord, table
from reporting.store.review import lock_of

if TYPE_CHECKING:  # read only for a comparison: the up-to-date answer (report.up_to_date) loads no pandas
    import pandas as pd

DRAFT_COLUMN = "achieved_pending"
"""A draft's indicator summary gives what the results still pending add (counting.approval): a summary
with this column was never published."""


def _is_draft(summary_csv: str) -> bool:
    """Whether a recorded indicator summary is a draft's (its header names DRAFT_COLUMN)."""
    return DRAFT_COLUMN in summary_csv.partition("\n")[0].split(",")


def _summary(summary_csv: str) -> pd.DataFrame:
    """A recorded indicator summary as a frame, its ids as text ("7.1" stays "7.1", "7" stays "7")."""
    import pandas as pd

    return pd.read_csv(io.StringIO(summary_csv), dtype={"outcome": str, "indicator": str, "biennium": str})


def record_build(engine: Engine, build: dict[str, Any]) -> int:
    """Keep a build (BuildRecord's columns) to compare later builds with; returns its row id."""
    with engine.begin() as conn:
        inserted = conn.execute(insert(table(BuildRecord)).values(**build)).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def stored_builds(engine: Engine, biennium: str, limit: int = 50) -> list[dict[str, Any]]:
    """The latest builds of a biennium, newest first."""
    builds = table(BuildRecord)
    query = (
        select(builds)
        .where(builds.c.biennium == biennium)
        .order_by(builds.c.built_at.desc(), builds.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


@dataclass(frozen=True)
class Published:
    """An earlier biennium as its final report published it: the build's date and indicator summary
    (both None when no final build of it is recorded: it is not recounted with today's rule)."""

    biennium: str
    published_on: date | None
    summary: pd.DataFrame | None


@dataclass(frozen=True)
class Draft:
    """A draft build as the store recorded it: when, its id, the outcomes it covered (None: all) and
    its indicator summary (biennium, outcome, indicator, region, target, achieved, achieved_approved,
    achieved_pending)."""

    build_id: str
    built_at: datetime
    outcomes: list[str] | None
    summary: pd.DataFrame


def latest_draft(engine: Engine, biennium: str) -> Draft | None:
    """The latest draft build of a biennium (its summary has DRAFT_COLUMN), its figures as recorded, not
    counted again; None when no draft was built. Each edition of a build is recorded: one is enough."""
    builds = table(BuildRecord)
    query = (
        select(builds.c.build_id, builds.c.built_at, builds.c.outcomes_json, builds.c.summary_csv)
        .where(builds.c.biennium == biennium)
        .order_by(builds.c.built_at.desc(), builds.c.id.desc())
    )
    with engine.connect() as conn:
        for build_id, built_at, outcomes_json, summary_csv in conn.execute(query):
            if _is_draft(summary_csv):
                return Draft(str(build_id), built_at, json.loads(outcomes_json), _summary(summary_csv))
    return None


def earlier_published(engine: Engine, biennium: str) -> Published | None:
    """The latest biennium before `biennium` whose framework the store holds, with the figures of its
    final build: the latest build over every outcome that is no draft (and, once the biennium is locked,
    built before the lock). None when the store holds no earlier biennium."""
    from reporting.store.in_force import biennium_before

    earlier = biennium_before(engine, biennium)
    if earlier is None:
        return None
    builds = table(BuildRecord)
    query = (
        select(builds.c.built_at, builds.c.summary_csv)
        .where(builds.c.biennium == earlier, builds.c.outcomes_json == json.dumps(None))
        .order_by(builds.c.built_at.desc(), builds.c.id.desc())
    )
    with engine.connect() as conn:
        lock = lock_of(conn, earlier)
        if lock is not None:
            query = query.where(builds.c.built_at <= lock.locked_at)
        for built_at, summary_csv in conn.execute(query):
            if not _is_draft(summary_csv):
                return Published(earlier, built_at.date(), _summary(summary_csv))
    return Published(earlier, None, None)
