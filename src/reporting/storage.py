"""The store: SQLModel tables (SQLite by default, PostgreSQL via DATABASE_URL) and the archive of
received bytes. Rows go in with bulk inserts; each received file is stored in one transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, insert, select
from sqlmodel import Field, SQLModel, create_engine

from reporting.framework import Framework
from reporting.ingest import EVIDENCE_COLUMNS, Package, ReceivedFile


class ReceivedFileRecord(SQLModel, table=True):
    __tablename__ = "received_file"
    id: int | None = Field(default=None, primary_key=True)
    biennium: str = Field(index=True)
    name: str
    role: str
    sha256: str = Field(index=True)
    size: int
    received_at: datetime
    archive_path: str


class IndicatorRecord(SQLModel, table=True):
    __tablename__ = "indicator"
    id: int | None = Field(default=None, primary_key=True)
    biennium: str = Field(index=True)
    outcome: str
    outcome_title: str
    indicator: str
    title: str
    min_criteria: int
    criteria_json: str


class TargetRecord(SQLModel, table=True):
    __tablename__ = "target"
    id: int | None = Field(default=None, primary_key=True)
    received_file_id: int = Field(foreign_key="received_file.id", index=True)
    biennium: str = Field(index=True)
    outcome: str
    indicator: str
    region: str
    target: int


class EvidenceRecord(SQLModel, table=True):
    __tablename__ = "evidence"
    id: int | None = Field(default=None, primary_key=True)
    received_file_id: int = Field(foreign_key="received_file.id", index=True)
    source_sheet: str
    source_row: int
    biennium: str = Field(index=True)
    outcome: str
    indicator: str
    region: str
    country: str
    cpo_code: str = Field(index=True)
    cpo_title: str
    criterion: int
    result_achieved: str
    ilo_contribution: str


class RejectedRowRecord(SQLModel, table=True):
    """A row validation set aside: kept whole (as JSON of what was typed) with its reason."""

    __tablename__ = "rejected_row"
    id: int | None = Field(default=None, primary_key=True)
    received_file_id: int = Field(foreign_key="received_file.id", index=True)
    source_sheet: str
    source_row: int | None
    reason: str
    row_json: str


@dataclass(frozen=True)
class StoreReport:
    files_new: int
    files_already_stored: int
    evidence_rows: int
    rejected_rows: int


def engine_for(url: str) -> Engine:
    """An engine with the schema in place (tables are created when missing)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    return engine


def archive(received: ReceivedFile, archive_root: Path) -> Path:
    """Keep the bytes exactly as received, addressed by their sha256 (written once, never changed)."""
    target = archive_root / received.sha256[:2] / received.sha256
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        partial.write_bytes(received.content)
        partial.replace(target)
    return target


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, object]]:
    return frame[columns].to_dict("records")  # type: ignore[return-value]


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
    with engine.begin() as conn:
        conn.execute(
            IndicatorRecord.__table__.delete().where(  # type: ignore[attr-defined]
                IndicatorRecord.__table__.c.biennium == framework.biennium  # type: ignore[attr-defined]
            )
        )
        conn.execute(insert(IndicatorRecord), rows)


def store_package(
    engine: Engine,
    package: Package,
    evidence: pd.DataFrame,
    rejected: pd.DataFrame,
    targets: pd.DataFrame,
    archive_root: Path,
) -> StoreReport:
    """Archive every received file and store its clean and rejected rows; a file already stored
    (same sha256 for the same biennium) is left as it is, so re-ingesting changes nothing."""
    biennium = package.framework.biennium
    _store_framework(engine, package.framework)
    new = known = stored_rows = stored_rejected = 0
    for received in package.files:
        path = archive(received, archive_root)
        with engine.begin() as conn:
            existing = conn.execute(
                select(ReceivedFileRecord.__table__.c.id).where(  # type: ignore[attr-defined]
                    ReceivedFileRecord.__table__.c.sha256 == received.sha256,  # type: ignore[attr-defined]
                    ReceivedFileRecord.__table__.c.biennium == biennium,  # type: ignore[attr-defined]
                )
            ).first()
            if existing is not None:
                known += 1
                continue
            inserted = conn.execute(
                insert(ReceivedFileRecord).values(
                    biennium=biennium,
                    name=received.name,
                    role=received.role,
                    sha256=received.sha256,
                    size=len(received.content),
                    received_at=datetime.now(UTC),
                    archive_path=str(path),
                )
            ).inserted_primary_key
            assert inserted is not None
            file_id = inserted[0]
            new += 1
            mine = evidence[evidence["source_file"] == received.name]
            if len(mine):
                rows = _records(mine, [*EVIDENCE_COLUMNS, "source_sheet", "source_row"])
                conn.execute(insert(EvidenceRecord), [{**r, "received_file_id": file_id} for r in rows])
                stored_rows += len(rows)
            mine_targets = targets[targets["source_file"] == received.name]
            if len(mine_targets):
                rows = _records(mine_targets, ["biennium", "outcome", "indicator", "region", "target"])
                conn.execute(insert(TargetRecord), [{**r, "received_file_id": file_id} for r in rows])
            mine_rejected = rejected[rejected["source_file"] == received.name]
            if len(mine_rejected):
                conn.execute(
                    insert(RejectedRowRecord),
                    [
                        {
                            "received_file_id": file_id,
                            "source_sheet": str(r["source_sheet"]),
                            "source_row": int(r["source_row"]),
                            "reason": str(r["reason"]),
                            "row_json": json.dumps(
                                {k: ("" if pd.isna(v) else str(v)) for k, v in r.items()}, ensure_ascii=False
                            ),
                        }
                        for r in mine_rejected.to_dict("records")
                    ],
                )
                stored_rejected += len(mine_rejected)
    return StoreReport(new, known, stored_rows, stored_rejected)
