"""The comparison with an earlier biennium: its indicator summary recomputed from what the store holds
(rows in force, its own framework and targets), with the same counting rule as the current report."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from reporting.counting.explain import stored_trail
from reporting.store.in_force import biennium_before


def previous_summary(engine: Engine, biennium: str) -> pd.DataFrame | None:
    """The indicator summary (indicator_summary.csv columns) of the biennium before `biennium`, or None
    when the store holds no earlier one. Pass it to report_context(..., previous=...)."""
    earlier = biennium_before(engine, biennium)
    stored = stored_trail(engine, earlier) if earlier else None
    return None if stored is None else stored.summary
