"""What every table about an indicator in a region shares: its key columns and their rules."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from reporting.schemas import rules


class IndicatorRegionRow(pa.DataFrameModel):
    """A row about one indicator of one outcome in one region, for one biennium."""

    biennium: Series[str]
    outcome: Series[str]
    indicator: Series[str]
    region: Series[str]

    @pa.check("biennium", name="biennium_is_yyyy_yy")
    def biennium_is_yyyy_yy(cls, biennium: Series[str]) -> pd.Series[bool]:
        return rules.is_biennium(biennium)

    @pa.check("region", name="region_is_one_of_five")
    def region_is_one_of_five(cls, region: Series[str]) -> pd.Series[bool]:
        return rules.is_region(region)

    class Config:
        strict = False
        coerce = False
