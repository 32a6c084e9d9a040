"""The comparison with an earlier biennium: its indicator summary recomputed from what the store holds
(rows in force, its own framework and targets), with the same counting rule as the current report."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from reporting.counting.aggregate import aggregate
from reporting.store.storage import IndicatorRecord, TargetRecord, current_evidence, stored_framework, table


def earlier_biennium(engine: Engine, biennium: str) -> str | None:
    """The latest biennium before `biennium` whose framework the store holds ("2012-13" < "2014-15")."""
    indicators = table(IndicatorRecord)
    query = select(indicators.c.biennium).where(indicators.c.biennium < biennium).distinct()
    with engine.connect() as conn:
        found = pd.read_sql(query, conn)["biennium"]
    return str(found.max()) if len(found) else None


def stored_targets(engine: Engine, biennium: str) -> pd.DataFrame:
    """The targets in force for a biennium (no superseded row)."""
    targets = table(TargetRecord)
    query = select(
        targets.c.biennium, targets.c.outcome, targets.c.indicator, targets.c.region, targets.c.target
    ).where(targets.c.biennium == biennium, targets.c.superseded_by_file_id.is_(None))
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def previous_summary(engine: Engine, biennium: str) -> pd.DataFrame | None:
    """The indicator summary (indicator_summary.csv columns) of the biennium before `biennium`, or None
    when the store holds no earlier one. Pass it to report_context(..., previous=...)."""
    earlier = earlier_biennium(engine, biennium)
    framework = stored_framework(engine, earlier) if earlier else None
    if earlier is None or framework is None:
        return None
    evidence = current_evidence(engine, earlier).astype({"criterion": "int64"})
    return aggregate(evidence, stored_targets(engine, earlier), framework).summary
