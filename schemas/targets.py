"""Targets: the number of member States aimed at, per indicator and region."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from reporting.framework import Framework
from reporting.schemas import rules
from reporting.schemas.common import (
    IndicatorRegionRow,
    biennium_matches_package,
    indicator_declared_for_outcome,
    outcome_declared,
)

TARGET_KEY = ["biennium", "outcome", "indicator", "region"]


class TargetRow(IndicatorRegionRow):
    target: Series[str]

    @rules.column_rule("target", "error", "The target must be a whole number (e.g. 3).")
    def target_is_whole_number(cls, target: Series[str]) -> pd.Series[bool]:
        return rules.is_whole_number(target, signed=True)

    @rules.table_rule("error", "target", "The target cannot be negative.")
    def target_not_negative(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return (rules.as_number(frame["target"]).fillna(0) >= 0).astype(bool)


class TargetTable(pa.DataFrameModel):
    """One target per indicator and region: a repeated equal target is a copy, differing ones conflict."""

    @rules.table_rule(
        "warning",
        "target",
        "The same target was already given for this indicator "
        "and region: it is kept once (this copy is set aside).",
        sets_aside=True,
    )
    def target_duplicate(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.first_copies(frame, [*TARGET_KEY, "target"], TARGET_KEY)

    @rules.table_rule(
        "error",
        "target",
        "Different targets are given for the same indicator and "
        "region: all of them are set aside until one is chosen.",
    )
    def target_conflict(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.one_value_per(frame, TARGET_KEY, "target")

    class Config:
        strict = False


def targets_against_framework(framework: Framework) -> pa.DataFrameSchema:
    """Declared biennium and indicator (an unknown indicator in targets.csv is refused)."""
    return rules.against_framework(
        framework, biennium_matches_package, outcome_declared, indicator_declared_for_outcome
    )
