"""What the store holds in force for a biennium (no superseded row): its framework, targets, evidence
rows and rejected rows — what the report, `reporting explain` and the earlier-biennium comparison count
from."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from reporting.framework import Criterion, Framework, Indicator, Outcome
from reporting.store.models import (
    STORED_EVIDENCE_COLUMNS,
    EvidenceRecord,
    IndicatorRecord,
    ReceivedFileRecord,
    RejectedRowRecord,
    TargetRecord,
    table,
)


def biennium_before(engine: Engine, biennium: str) -> str | None:
    """The latest biennium before `biennium` whose framework the store holds ("2012-13" < "2014-15")."""
    indicators = table(IndicatorRecord)
    query = select(indicators.c.biennium).where(indicators.c.biennium < biennium).distinct()
    with engine.connect() as conn:
        found = pd.read_sql(query, conn)["biennium"]
    return str(found.max()) if len(found) else None


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


def stored_targets(engine: Engine, biennium: str) -> pd.DataFrame:
    """The targets in force for a biennium (no superseded row)."""
    targets = table(TargetRecord)
    query = select(
        targets.c.biennium, targets.c.outcome, targets.c.indicator, targets.c.region, targets.c.target
    ).where(targets.c.biennium == biennium, targets.c.superseded_by_file_id.is_(None))
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def _located_rows_in_force(
    engine: Engine, model: type[SQLModel], columns: Sequence[str], biennium: str
) -> pd.DataFrame:
    """The `columns` of a row table's rows in force for a biennium, in the order stored, each with the
    file, sheet and row it came from."""
    rows, files = table(model), table(ReceivedFileRecord)
    query = (
        select(
            *(rows.c[c] for c in columns),
            files.c.name.label("source_file"),
            rows.c.source_sheet,
            rows.c.source_row,
        )
        .join(files, files.c.id == rows.c.received_file_id)
        .where(files.c.biennium == biennium, rows.c.superseded_by_file_id.is_(None))
        .order_by(rows.c.id)
    )
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def current_evidence(engine: Engine, biennium: str) -> pd.DataFrame:
    """The evidence rows in force for a biennium (no superseded row), with the file each came from."""
    return _located_rows_in_force(engine, EvidenceRecord, STORED_EVIDENCE_COLUMNS, biennium)


def current_rejected(engine: Engine, biennium: str) -> pd.DataFrame:
    """The rows validation set aside that are in force for a biennium, as typed, with file, sheet, row
    and reason."""
    stored = _located_rows_in_force(engine, RejectedRowRecord, ("row_json", "reason"), biennium)
    typed = pd.DataFrame([json.loads(r) for r in stored["row_json"]], index=stored.index)
    located = stored.drop(columns="row_json")
    return pd.concat([typed.drop(columns=[c for c in located if c in typed]), located], axis=1)


@dataclass(frozen=True)
class InForce:
    """Everything in force for a biennium, read at once for counting it again (`reporting explain`)."""

    framework: Framework
    evidence: pd.DataFrame
    targets: pd.DataFrame
    rejected: pd.DataFrame


def in_force(engine: Engine, biennium: str) -> InForce | None:
    """The framework, evidence rows (criterion as a number), targets and rejected rows in force for a
    biennium; None when the store holds no framework for it."""
    framework = stored_framework(engine, biennium)
    if framework is None:
        return None
    evidence = current_evidence(engine, biennium).astype({"criterion": "int64"})
    return InForce(framework, evidence, stored_targets(engine, biennium), current_rejected(engine, biennium))
