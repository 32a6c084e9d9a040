"""A build asked for again with nothing changed answers at once instead of running every stage again:
the build that made the outputs today, from the same files, template, code and parameters, is the latest
one the store recorded, and every file it wrote is still there as it wrote it. Any difference (a
corrected file, an edited or removed output, another day's date on the cover, a build of any biennium
recorded since, e.g. of the earlier biennium the report compares with, or a review decision) and every
stage runs. Asked by the flow's first task (`pipeline.current`)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from reporting.report.manifest import MANIFEST, sha256_of
from reporting.store.builds import stored_builds
from reporting.store.models import BuildRecord, table
from reporting.store.review import audited_since

PATH_PARAMETERS = ("package", "out", "template")
"""Parameters that name a path: compared as the folders or files they resolve to."""


def _comparable(parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        key: str(Path(value).resolve()) if key in PATH_PARAMETERS and value else value
        for key, value in parameters.items()
    }


def _built_since(engine: Engine, built_at: datetime) -> bool:
    """A build of any biennium recorded after `built_at` (another biennium's figures may be compared)."""
    builds = table(BuildRecord)
    with engine.connect() as conn:
        return (
            conn.execute(select(builds.c.id).where(builds.c.built_at > built_at).limit(1)).first() is not None
        )


def unchanged_build(
    out_dir: Path, identity: str, parameters: dict[str, Any], engine: Engine, today: date
) -> dict[str, Any] | None:
    """The manifest (build.json) of the build that already made what is asked, or None."""
    try:
        made = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        built_on = datetime.fromisoformat(made["built_at"]).astimezone().date()
        same = (
            made["build_id"] == identity
            and built_on == today
            and _comparable(made["parameters"]) == _comparable(parameters)
            and all(sha256_of(out_dir / name) == sha256 for name, sha256 in made["outputs"].items())
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not same:
        return None
    try:
        latest = stored_builds(engine, made["biennium"], limit=1)
        if not latest or latest[0]["build_id"] != identity or _built_since(engine, latest[0]["built_at"]):
            return None
        # A review decision, a lock or a superseded row since changes what counts: build.
        reviewed_since = audited_since(engine, made["biennium"], latest[0]["built_at"])
    except SQLAlchemyError:  # a store not (yet) at the schema that records builds and reviews: build
        return None
    return None if reviewed_since else made
