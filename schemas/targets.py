"""Targets: the number of member States aimed at, per indicator and region."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from reporting.framework import Framework
from reporting.schemas import rules


class TargetRow(pa.DataFrameModel):
    biennium: Series[str]
    outcome: Series[str]
    indicator: Series[str]
    region: Series[str]
    target: Series[str]

    @pa.check("biennium", name="biennium_is_yyyy_yy")
    def biennium_is_yyyy_yy(cls, biennium: Series[str]) -> pd.Series[bool]:
        return rules.is_biennium(biennium)

    @pa.check("region", name="region_is_one_of_five")
    def region_is_one_of_five(cls, region: Series[str]) -> pd.Series[bool]:
        return rules.is_region(region)

    @pa.check("target", name="target_is_non_negative_whole_number")
    def target_is_non_negative_whole_number(cls, target: Series[str]) -> pd.Series[bool]:
        return rules.is_whole_number(target)

    class Config:
        strict = False
        coerce = False


def targets_against_framework(framework: Framework) -> pa.DataFrameSchema:
    declared = framework.criteria_frame()

    def biennium_matches_package(frame: pd.DataFrame) -> pd.Series[bool]:
        return (frame["biennium"].str.strip() == framework.biennium).astype(bool)

    def indicator_declared_for_outcome(frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.pairs_declared(frame, ["outcome", "indicator"], declared)

    return pa.DataFrameSchema(
        checks=[
            pa.Check(biennium_matches_package, name="biennium_matches_package"),
            pa.Check(indicator_declared_for_outcome, name="indicator_declared_for_outcome"),
        ]
    )
