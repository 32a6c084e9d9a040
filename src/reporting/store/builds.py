"""Builds of the report kept in the store: what each was made from and what it gave, so that the next
build can say what changed (report.changes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert, select

from reporting.store.models import BuildRecord, table


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
