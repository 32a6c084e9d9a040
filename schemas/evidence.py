"""Evidence rows: one per measurement criterion that a CPO meets for one indicator."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from reporting.framework import Framework
from reporting.schemas import rules


class EvidenceRow(pa.DataFrameModel):
    """The row rules of the contract that need nothing but the row itself."""

    biennium: Series[str]
    outcome: Series[str]
    indicator: Series[str]
    region: Series[str]
    country: Series[str]
    cpo_code: Series[str]
    cpo_title: Series[str]
    criterion: Series[str]
    result_achieved: Series[str]
    ilo_contribution: Series[str]

    @pa.check("biennium", name="biennium_is_yyyy_yy")
    def biennium_is_yyyy_yy(cls, biennium: Series[str]) -> pd.Series[bool]:
        return rules.is_biennium(biennium)

    @pa.check("region", name="region_is_one_of_five")
    def region_is_one_of_five(cls, region: Series[str]) -> pd.Series[bool]:
        return rules.is_region(region)

    @pa.check("country", name="country_filled")
    def country_filled(cls, country: Series[str]) -> pd.Series[bool]:
        return rules.filled(country)

    @pa.check("cpo_code", name="cpo_code_shape")
    def cpo_code_shape(cls, cpo_code: Series[str]) -> pd.Series[bool]:
        return cpo_code.str.fullmatch(rules.CPO_CODE_PATTERN).fillna(False).astype(bool)

    @pa.check("criterion", name="criterion_is_whole_number")
    def criterion_is_whole_number(cls, criterion: Series[str]) -> pd.Series[bool]:
        return rules.is_whole_number(criterion)

    @pa.check("result_achieved", name="result_achieved_filled")
    def result_achieved_filled(cls, text: Series[str]) -> pd.Series[bool]:
        return rules.filled(text)

    @pa.check("ilo_contribution", name="ilo_contribution_filled")
    def ilo_contribution_filled(cls, text: Series[str]) -> pd.Series[bool]:
        return rules.filled(text)

    class Config:
        strict = False
        coerce = False


def evidence_against_framework(framework: Framework) -> pa.DataFrameSchema:
    """The rules that depend on the package's framework: declared outcome, indicator and criterion."""
    declared = framework.criteria_frame()

    def biennium_matches_package(frame: pd.DataFrame) -> pd.Series[bool]:
        return (frame["biennium"].str.strip() == framework.biennium).astype(bool)

    def outcome_declared(frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.pairs_declared(frame, ["outcome"], declared)

    def indicator_declared_for_outcome(frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.pairs_declared(frame, ["outcome", "indicator"], declared)

    def criterion_declared_for_indicator(frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.pairs_declared(frame, ["indicator", "criterion"], declared) | ~rules.is_whole_number(
            frame["criterion"]
        )

    return pa.DataFrameSchema(
        checks=[
            pa.Check(biennium_matches_package, name="biennium_matches_package"),
            pa.Check(outcome_declared, name="outcome_declared"),
            pa.Check(indicator_declared_for_outcome, name="indicator_declared_for_outcome"),
            pa.Check(criterion_declared_for_indicator, name="criterion_declared_for_indicator"),
        ]
    )


# Which column a whole-row rule is about, so a finding can point at the cell.
RULE_COLUMNS = {
    "biennium_matches_package": "biennium",
    "outcome_declared": "outcome",
    "indicator_declared_for_outcome": "indicator",
    "criterion_declared_for_indicator": "criterion",
}
