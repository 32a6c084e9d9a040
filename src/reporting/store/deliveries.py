"""Storing a delivery: its framework, and each received file archived with its clean and rejected rows.

A file already stored is left as it is; a new version of a file (same name, or covering the same CPOs)
marks the rows of the older one superseded instead of deleting them, so the versions of what each
office sent stay queryable (store.versions). Each received file is stored in one transaction, rows
with bulk inserts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, update
from sqlmodel import SQLModel

from reporting.framework import Framework
from reporting.intake.readers import Package, ReceivedFile
from reporting.store.archive import archive
from reporting.store.models import (
    ROW_TABLES,
    STORED_EVIDENCE_COLUMNS,
    EvidenceRecord,
    IndicatorRecord,
    ReceivedFileRecord,
    RejectedRowRecord,
    TargetRecord,
    table,
)


@dataclass(frozen=True)
class StoreReport:
    files_new: int
    files_already_stored: int
    evidence_rows: int
    rejected_rows: int
    files_superseded: int = 0


def _now() -> datetime:
    return datetime.now(UTC)


def _text(value: Any) -> str:
    """A cell as text; a missing cell (None, NaN, NA) is empty."""
    return "" if value is None or pd.isna(value) else str(value)


def _texts(column: pd.Series[Any]) -> pd.Series[str]:
    """A column as text, missing cells empty (vectorised `_text`)."""
    return column.astype("string").fillna("").astype(str)


def _store_framework(engine: Engine, framework: Framework) -> None:
    rows = [
        {
            "biennium": framework.biennium,
            "outcome": o.id,
            "outcome_title": o.title,
            "indicator": i.id,
            "title": i.title,
            "min_criteria": i.min_criteria,
            "criteria_json": json.dumps([c.model_dump() for c in i.criteria], ensure_ascii=False),
        }
        for o in framework.outcomes
        for i in o.indicators
    ]
    indicators = table(IndicatorRecord)
    with engine.begin() as conn:
        conn.execute(indicators.delete().where(indicators.c.biennium == framework.biennium))
        conn.execute(insert(IndicatorRecord), rows)


def _insert_rows(conn: Connection, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """One bulk insert (executemany), never one ORM object per row."""
    if rows:
        conn.execute(table(model).insert(), rows)


def _column_records(frame: pd.DataFrame, file_id: int) -> list[dict[str, Any]]:
    """Rows as dicts for one executemany, built column by column (row-wise `to_dict` is ~10x slower
    on Arrow-backed text)."""
    names = [*map(str, frame.columns), "received_file_id"]
    columns = [frame[c].tolist() for c in frame.columns]
    return [dict(zip(names, (*values, file_id), strict=True)) for values in zip(*columns, strict=True)]


def _evidence_rows(frame: pd.DataFrame, file_id: int) -> list[dict[str, Any]]:
    present = [c for c in STORED_EVIDENCE_COLUMNS if c in frame.columns]
    part = frame[[*present, "source_sheet", "source_row"]]
    return _column_records(part.assign(**{c: _texts(part[c]) for c in present if c != "criterion"}), file_id)


def _target_rows(frame: pd.DataFrame, file_id: int) -> list[dict[str, Any]]:
    return _column_records(frame[["biennium", "outcome", "indicator", "region", "target"]], file_id)


def _rejected_rows(frame: pd.DataFrame, file_id: int) -> list[dict[str, Any]]:
    return [
        {
            "received_file_id": file_id,
            "source_sheet": str(r["source_sheet"]),
            "source_row": None if pd.isna(r["source_row"]) else int(r["source_row"]),
            "reason": str(r["reason"]),
            "row_json": json.dumps({str(k): _text(v) for k, v in r.items()}, ensure_ascii=False),
        }
        for r in frame.to_dict("records")
    ]


def _cpo_results(*frames: pd.DataFrame) -> set[tuple[str, str]]:
    """The (indicator, CPO code) pairs a file reports on: a file about TUN129 under 7.2 is no new
    version of one about TUN129 under 7.1."""
    results: set[tuple[str, str]] = set()
    for frame in frames:
        if {"indicator", "cpo_code"} <= set(frame.columns):
            pairs = zip(
                _texts(frame["indicator"]).str.strip(), _texts(frame["cpo_code"]).str.strip(), strict=True
            )
            results.update((i, c) for i, c in pairs if c)
    return results


def _older_versions(
    conn: Connection,
    biennium: str,
    received: ReceivedFile,
    digest: str,
    cpo_results: set[tuple[str, str]],
    delivered: set[str],
) -> list[int]:
    """The current files that `received` (sha256 `digest`) is a new version of: the same name and
    role, or (evidence) a file of an earlier delivery — named in `delivered` neither by name nor by
    sha256 — whose CPO results (indicator, CPO) are all covered by this one."""
    files = table(ReceivedFileRecord)
    current = conn.execute(
        select(files.c.id, files.c.name, files.c.sha256).where(
            files.c.biennium == biennium,
            files.c.role == received.role,
            files.c.superseded_by_id.is_(None),
            files.c.sha256 != digest,
        )
    ).all()
    older = [r.id for r in current if r.name == received.name]
    others = [r.id for r in current if r.name not in delivered and r.sha256 not in delivered]
    if received.role != "evidence" or not cpo_results or not others:
        return older
    evidence = table(EvidenceRecord)
    covered = conn.execute(
        select(evidence.c.received_file_id, evidence.c.indicator, evidence.c.cpo_code)
        .where(evidence.c.received_file_id.in_(others))
        .distinct()
    ).all()
    by_file: dict[int, set[tuple[str, str]]] = {}
    for file_id, indicator, code in covered:
        by_file.setdefault(file_id, set()).add((indicator, code))
    return older + [f for f, results in by_file.items() if results <= cpo_results]


def _supersede(conn: Connection, older: list[int], newer: int) -> None:
    files = table(ReceivedFileRecord)
    conn.execute(
        update(files).where(files.c.id.in_(older)).values(superseded_by_id=newer, superseded_at=_now())
    )
    for model in ROW_TABLES:
        rows = table(model)
        conn.execute(
            update(rows)
            .where(rows.c.received_file_id.in_(older), rows.c.superseded_by_file_id.is_(None))
            .values(superseded_by_file_id=newer)
        )


def _reinstate(conn: Connection, file_id: int) -> None:
    """A superseded file and its rows are in force again (it was sent again after a newer version)."""
    files = table(ReceivedFileRecord)
    conn.execute(update(files).where(files.c.id == file_id).values(superseded_by_id=None, superseded_at=None))
    for model in ROW_TABLES:
        rows = table(model)
        conn.execute(
            update(rows).where(rows.c.received_file_id == file_id).values(superseded_by_file_id=None)
        )


def store_package(
    engine: Engine,
    package: Package,
    evidence: pd.DataFrame,
    rejected: pd.DataFrame,
    targets: pd.DataFrame,
    archive_root: Path,
) -> StoreReport:
    """Archive every received file and store its clean and rejected rows, one transaction per file.

    A file already stored (same sha256 for the same biennium) is left as it is, so re-ingesting changes
    nothing; a new version of a stored file supersedes the older file's rows (kept, marked superseded);
    an older version sent again is in force again, superseding the version that had replaced it."""
    biennium = package.framework.biennium
    _store_framework(engine, package.framework)
    files = table(ReceivedFileRecord)
    delivered = {f.name for f in package.files} | {f.sha256 for f in package.files}
    new = known = stored_rows = stored_rejected = superseded = 0
    for received in package.files:
        digest = received.sha256
        path = archive(received, archive_root)
        with engine.begin() as conn:
            mine = evidence[evidence["source_file"] == received.name]
            mine_rejected = rejected[rejected["source_file"] == received.name]
            results = _cpo_results(mine, mine_rejected)
            existing = conn.execute(
                select(files.c.id, files.c.superseded_by_id).where(
                    files.c.sha256 == digest, files.c.biennium == biennium
                )
            ).first()
            if existing is not None:
                if existing.superseded_by_id is not None:  # an older version sent again: in force again
                    older = _older_versions(conn, biennium, received, digest, results, delivered)
                    _reinstate(conn, existing.id)
                    _supersede(conn, older, existing.id)
                    superseded += len(older)
                known += 1
                continue
            inserted = conn.execute(
                insert(files).values(
                    biennium=biennium,
                    name=received.name,
                    role=received.role,
                    sha256=digest,
                    size=received.size,
                    received_at=_now(),
                    archive_path=str(path),
                )
            ).inserted_primary_key
            assert inserted is not None
            file_id = int(inserted[0])
            new += 1
            older = _older_versions(conn, biennium, received, digest, results, delivered)
            if older:
                _supersede(conn, older, file_id)
                superseded += len(older)
            _insert_rows(conn, EvidenceRecord, _evidence_rows(mine, file_id))
            _insert_rows(
                conn, TargetRecord, _target_rows(targets[targets["source_file"] == received.name], file_id)
            )
            _insert_rows(conn, RejectedRowRecord, _rejected_rows(mine_rejected, file_id))
            stored_rows += len(mine)
            stored_rejected += len(mine_rejected)
    return StoreReport(new, known, stored_rows, stored_rejected, superseded)
