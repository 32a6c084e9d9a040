"""The store: SQLModel tables (SQLite by default, PostgreSQL via DATABASE_URL) and the archive of
received bytes. The schema is made and changed by the Alembic revisions in reporting/migrations.

Nothing is lost and nothing is stored twice: every received file is archived byte for byte under its
sha256; a file already stored is left as it is; a new version of a file (same name, or covering the same
CPOs) marks the rows of the older one superseded instead of deleting them, so the history of what each
office sent stays queryable. Each received file is stored in one transaction, rows with bulk inserts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, Table, UniqueConstraint, insert, select, update
from sqlmodel import Field, SQLModel, create_engine

from reporting.framework import Criterion, Framework, Indicator, Outcome
from reporting.intake.readers import Package, ReceivedFile
from reporting.store.migrations import upgrade_to_head
from reporting.vocabulary import EVIDENCE_COLUMNS, OPTIONAL_EVIDENCE_COLUMNS


class ReceivedFileRecord(SQLModel, table=True):
    __tablename__ = "received_file"
    __table_args__ = (UniqueConstraint("biennium", "sha256", name="uq_received_file_biennium_sha256"),)
    id: int | None = Field(default=None, primary_key=True)
    biennium: str = Field(index=True)
    name: str
    role: str
    sha256: str = Field(index=True)
    size: int
    received_at: datetime
    archive_path: str
    superseded_by_id: int | None = Field(default=None, foreign_key="received_file.id", index=True)
    superseded_at: datetime | None = None


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
    superseded_by_file_id: int | None = Field(default=None, foreign_key="received_file.id", index=True)


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
    typology: str = Field(default="", sa_column_kwargs={"server_default": ""})
    gender_specific: str = Field(default="", sa_column_kwargs={"server_default": ""})
    submitted_by: str = Field(default="", sa_column_kwargs={"server_default": ""})
    superseded_by_file_id: int | None = Field(default=None, foreign_key="received_file.id", index=True)


class RejectedRowRecord(SQLModel, table=True):
    """A row validation set aside: kept whole (as JSON of what was typed) with its reason."""

    __tablename__ = "rejected_row"
    id: int | None = Field(default=None, primary_key=True)
    received_file_id: int = Field(foreign_key="received_file.id", index=True)
    source_sheet: str
    source_row: int | None
    reason: str
    row_json: str
    superseded_by_file_id: int | None = Field(default=None, foreign_key="received_file.id", index=True)


class BuildRecord(SQLModel, table=True):
    """A build of the report: what it was made from (its input files with their stored ids) and what
    it gave (indicator summary and evidence trail as CSV), so that the next build can say what changed."""

    __tablename__ = "build"
    id: int | None = Field(default=None, primary_key=True)
    biennium: str = Field(index=True)
    build_id: str = Field(index=True)
    built_at: datetime
    flow_run_id: str | None = None
    out_dir: str
    outcomes_json: str
    inputs_json: str
    summary_csv: str
    evidence_csv: str


ROW_TABLES: tuple[type[SQLModel], ...] = (EvidenceRecord, TargetRecord, RejectedRowRecord)
"""The tables whose rows belong to one received file and are superseded with it."""
STORED_EVIDENCE_COLUMNS: tuple[str, ...] = (*EVIDENCE_COLUMNS, *OPTIONAL_EVIDENCE_COLUMNS)
ROW_KEY: tuple[str, ...] = ("cpo_code", "indicator", "criterion")
"""What identifies an evidence row across versions of a file: one criterion met by one CPO."""


def table(model: type[SQLModel]) -> Table:
    found: Table = model.__table__  # type: ignore[attr-defined]
    return found


@dataclass(frozen=True)
class StoreReport:
    files_new: int
    files_already_stored: int
    evidence_rows: int
    rejected_rows: int
    files_superseded: int = 0


def engine_for(url: str) -> Engine:
    """An engine on a database migrated to the newest schema revision."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    upgrade_to_head(engine)
    return engine


def archive(received: ReceivedFile, archive_root: Path) -> Path:
    """Keep the bytes exactly as received, addressed by their sha256, written once and never changed."""
    digest = received.sha256
    target = archive_root / digest[:2] / digest
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        partial.write_bytes(received.content)
        partial.replace(target)
    return target


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


def stored_framework(engine: Engine, biennium: str) -> Framework | None:
    """The framework of an earlier ingest of `biennium` (for checking a single file sent on its own)."""
    indicators = table(IndicatorRecord)
    with engine.connect() as conn:
        rows = conn.execute(
            select(indicators).where(indicators.c.biennium == biennium).order_by(indicators.c.id)
        ).all()
    if not rows:
        return None
    outcomes: dict[str, tuple[str, list[Indicator]]] = {}
    for row in rows:
        criteria = tuple(Criterion.model_validate(c) for c in json.loads(row.criteria_json))
        indicator = Indicator(
            id=row.indicator, title=row.title, min_criteria=row.min_criteria, criteria=criteria
        )
        outcomes.setdefault(row.outcome, (row.outcome_title, []))[1].append(indicator)
    return Framework(
        biennium=biennium,
        outcomes=tuple(
            Outcome(id=oid, title=title, indicators=tuple(items)) for oid, (title, items) in outcomes.items()
        ),
    )


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
                    size=len(received.content),
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


def current_evidence(engine: Engine, biennium: str) -> pd.DataFrame:
    """The evidence rows in force for a biennium (no superseded row), with the file each came from."""
    evidence, files = table(EvidenceRecord), table(ReceivedFileRecord)
    query = (
        select(
            *(evidence.c[c] for c in STORED_EVIDENCE_COLUMNS),
            files.c.name.label("source_file"),
            evidence.c.source_sheet,
            evidence.c.source_row,
        )
        .join(files, files.c.id == evidence.c.received_file_id)
        .where(evidence.c.biennium == biennium, evidence.c.superseded_by_file_id.is_(None))
        .order_by(evidence.c.id)
    )
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def _evidence_of(conn: Connection, where: Any) -> pd.DataFrame:
    evidence = table(EvidenceRecord)
    query = select(*(evidence.c[c] for c in STORED_EVIDENCE_COLUMNS)).where(where).order_by(evidence.c.id)
    return pd.read_sql(query, conn).drop_duplicates(subset=list(ROW_KEY))


def _changes(new: pd.DataFrame, old: pd.DataFrame) -> pd.DataFrame:
    """Row by row (keyed on CPO, indicator, criterion): added, removed, or changed and in which columns."""
    compared = [c for c in STORED_EVIDENCE_COLUMNS if c not in ROW_KEY]
    both = new.merge(old, on=list(ROW_KEY), how="outer", suffixes=("", "_old"), indicator=True)
    differing = pd.DataFrame({c: both[c].fillna("") != both[f"{c}_old"].fillna("") for c in compared})
    both["change"] = both["_merge"].map({"left_only": "added", "right_only": "removed", "both": "changed"})
    both["columns"] = [
        ", ".join(c for c in compared if row[c]) if change == "changed" else ""
        for change, row in zip(both["change"], differing.to_dict("records"), strict=True)
    ]
    kept = both[(both["change"] != "changed") | (both["columns"] != "")]
    return kept[["change", *ROW_KEY, "columns"]].sort_values([*ROW_KEY]).reset_index(drop=True)


def version_changes(engine: Engine, file_id: int) -> pd.DataFrame:
    """What a version changed against the rows it superseded: one line per added, removed or changed
    evidence row (`columns` names what changed)."""
    evidence = table(EvidenceRecord)
    with engine.connect() as conn:
        new = _evidence_of(conn, evidence.c.received_file_id == file_id)
        old = _evidence_of(conn, evidence.c.superseded_by_file_id == file_id)
    return _changes(new, old)


HISTORY_COLUMNS = [
    "file_id", "name", "role", "sha256", "received_at", "status", "superseded_by", "superseded_at",
    "evidence_rows", "rejected_rows", "added", "removed", "changed",
]  # fmt: skip


def file_history(engine: Engine, biennium: str) -> pd.DataFrame:
    """Every file received for a biennium, oldest first: whether it is current or which file
    superseded it and when, its rows, and how many rows it added, removed or changed."""
    files, evidence, rejected = table(ReceivedFileRecord), table(EvidenceRecord), table(RejectedRowRecord)
    with engine.connect() as conn:
        history = pd.read_sql(
            select(
                files.c.id.label("file_id"),
                files.c.name,
                files.c.role,
                files.c.sha256,
                files.c.received_at,
                files.c.superseded_by_id.label("superseded_by"),
                files.c.superseded_at,
            )
            .where(files.c.biennium == biennium)
            .order_by(files.c.id),
            conn,
        )
        counts = {
            name: pd.read_sql(
                select(model.c.received_file_id, model.c.id).where(
                    model.c.received_file_id.in_(history["file_id"])
                ),
                conn,
            )
            .groupby("received_file_id")
            .size()
            for name, model in (("evidence_rows", evidence), ("rejected_rows", rejected))
        }
        replacing = set(
            pd.read_sql(
                select(evidence.c.superseded_by_file_id)
                .where(evidence.c.biennium == biennium, evidence.c.superseded_by_file_id.is_not(None))
                .distinct(),
                conn,
            )["superseded_by_file_id"]
        )
    history["status"] = history["superseded_by"].isna().map({True: "current", False: "superseded"})
    history["superseded_by"] = history["superseded_by"].astype("Int64")
    for name, per_file in counts.items():
        history[name] = history["file_id"].map(per_file).fillna(0).astype("int64")
    tallies = {
        int(f): version_changes(engine, int(f))["change"].value_counts()
        for f in history["file_id"]
        if f in replacing
    }
    for change in ("added", "removed", "changed"):
        history[change] = pd.array(
            [int(tallies[f].get(change, 0)) if f in tallies else pd.NA for f in history["file_id"]],
            dtype="Int64",
        )
    return history[HISTORY_COLUMNS]


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


def evidence_of_files(engine: Engine, file_ids: list[int]) -> pd.DataFrame:
    """The evidence rows stored from these received files (in force or superseded since)."""
    evidence = table(EvidenceRecord)
    query = (
        select(*(evidence.c[c] for c in STORED_EVIDENCE_COLUMNS))
        .where(evidence.c.received_file_id.in_(file_ids))
        .order_by(evidence.c.id)
    )
    with engine.connect() as conn:
        return pd.read_sql(query, conn)
