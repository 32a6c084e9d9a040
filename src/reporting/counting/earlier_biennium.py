"""The comparison with an earlier biennium: its indicator summary recomputed from what the store holds
(rows in force, its own framework and targets), with the same counting rule as the current report."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from reporting.counting.aggregate import aggregate
from reporting.store.in_force import biennium_before, current_evidence, stored_framework, stored_targets


def previous_summary(engine: Engine, biennium: str) -> pd.DataFrame | None:
    """The indicator summary (indicator_summary.csv columns) of the biennium before `biennium`, or None
    when the store holds no earlier one. Pass it to report_context(..., previous=...)."""
    earlier = biennium_before(engine, biennium)
    framework = stored_framework(engine, earlier) if earlier else None
    if earlier is None or framework is None:
        return None
    evidence = current_evidence(engine, earlier).astype({"criterion": "int64"})
    return aggregate(evidence, stored_targets(engine, earlier), framework).summary
