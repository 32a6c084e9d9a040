"""What the package's tables share: the biennium and outcome every row names, and for the tables about
an indicator in a region, those columns too; the rules of the columns that evidence rows and country
examples share; and the rules that hold a table to the package's framework — each declared once."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from reporting.framework import Framework
from reporting.schemas import rules
from reporting.vocabulary import REGIONS


class OutcomeRow(pa.DataFrameModel):
    """A row about one outcome, for one biennium."""

    biennium: Series[str]
    outcome: Series[str]

    @rules.column_rule(
        "biennium",
        "error",
        "The biennium must be written YYYY-YY, the second year following the first (e.g. 2014-15).",
    )
    def biennium_is_yyyy_yy(cls, biennium: Series[str]) -> pd.Series[bool]:
        return rules.is_biennium(biennium)

    class Config:
        strict = False
        coerce = False


class IndicatorRegionRow(OutcomeRow):
    """A row about one indicator of one outcome in one region, for one biennium."""

    indicator: Series[str]
    region: Series[str] = rules.field_rule(
        "region_is_one_of_five",
        "region",
        "error",
        "The region must be one of: " + ", ".join(REGIONS) + ".",
        isin=REGIONS,
    )


class CountryContributionChecks(pa.DataFrameModel):
    """The rules of the columns that an evidence row and a country example share; the models that
    inherit them declare the columns (`country`, `ilo_contribution`, `gender_specific`)."""

    @rules.column_rule("country", "error", "The country (or region/body for a regional CPO) is empty.")
    def country_filled(cls, country: Series[str]) -> pd.Series[bool]:
        return rules.filled(country)

    @rules.column_rule("ilo_contribution", "error", "The ILO contribution is empty.")
    def ilo_contribution_filled(cls, text: Series[str]) -> pd.Series[bool]:
        return rules.filled(text)

    @rules.column_rule(
        "gender_specific",
        "warning",
        "gender_specific must be yes or no: the value is ignored (the row is kept).",
    )
    def gender_specific_yes_no(cls, gender_specific: Series[str]) -> pd.Series[bool]:
        return rules.yes_no(gender_specific)[1]


# --- the rules that need the package's framework (any table with biennium and outcome) ---------------


@rules.framework_rule(
    "error", "biennium", "The biennium differs from the package's biennium in framework.yaml."
)
def biennium_matches_package(frame: pd.DataFrame, framework: Framework) -> pd.Series[bool]:
    return (frame["biennium"].str.strip() == framework.biennium).astype(bool)


@rules.framework_rule("error", "outcome", "This outcome is not declared in framework.yaml.")
def outcome_declared(frame: pd.DataFrame, framework: Framework) -> pd.Series[bool]:
    return rules.pairs_declared(frame, ["outcome"], framework.criteria_frame())


@rules.framework_rule(
    "error", "indicator", "This indicator is not declared for this outcome in framework.yaml."
)
def indicator_declared_for_outcome(frame: pd.DataFrame, framework: Framework) -> pd.Series[bool]:
    return rules.pairs_declared(frame, ["outcome", "indicator"], framework.criteria_frame())
