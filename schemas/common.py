"""What the package's tables share: the biennium and outcome every row names, and for the tables about
an indicator in a region, those columns too — with their rules, written once."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from reporting.schemas import rules


class OutcomeRow(pa.DataFrameModel):
    """A row about one outcome, for one biennium."""

    biennium: Series[str]
    outcome: Series[str]

    @pa.check("biennium", name="biennium_is_yyyy_yy")
    def biennium_is_yyyy_yy(cls, biennium: Series[str]) -> pd.Series[bool]:
        return rules.is_biennium(biennium)

    class Config:
        strict = False
        coerce = False


class IndicatorRegionRow(OutcomeRow):
    """A row about one indicator of one outcome in one region, for one biennium."""

    indicator: Series[str]
    region: Series[str]

    @pa.check("region", name="region_is_one_of_five")
    def region_is_one_of_five(cls, region: Series[str]) -> pd.Series[bool]:
        return rules.is_region(region)
