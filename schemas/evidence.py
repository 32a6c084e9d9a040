"""Evidence rows: one per measurement criterion that a CPO meets for one indicator.

Three models, run in order by `reporting.intake.validate`: the row rules (`EvidenceRow`), the rules that need
the package's framework (`evidence_against_framework`), and, on the rows that passed, the table rules
(`EvidenceTable`) and the reportability advice (`evidence_reportability`)."""

from __future__ import annotations

from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from reporting.framework import Framework
from reporting.schemas import rules
from reporting.schemas.common import IndicatorRegionRow

EVIDENCE_KEY = ["biennium", "outcome", "indicator", "cpo_code", "criterion"]
TEXT_COLUMNS = ["cpo_title", "result_achieved", "ilo_contribution"]


class EvidenceRow(IndicatorRegionRow):
    """The row rules of the contract that need nothing but the row itself."""

    country: Series[str]
    cpo_code: Series[str]
    cpo_title: Series[str]
    criterion: Series[str]
    result_achieved: Series[str]
    ilo_contribution: Series[str]
    typology: Optional[Series[str]]  # noqa: UP045 (pandera reads Optional[] as "column may be absent")
    gender_specific: Optional[Series[str]]  # noqa: UP045
    submitted_by: Optional[Series[str]]  # noqa: UP045

    @pa.check("criterion", name="criterion_is_whole_number")
    def criterion_is_whole_number(cls, criterion: Series[str]) -> pd.Series[bool]:
        return rules.is_whole_number(criterion)

    @pa.check("country", name="country_filled")
    def country_filled(cls, country: Series[str]) -> pd.Series[bool]:
        return rules.filled(country)

    @pa.check("cpo_code", name="cpo_code_shape")
    def cpo_code_shape(cls, cpo_code: Series[str]) -> pd.Series[bool]:
        return rules.is_cpo_code(cpo_code)

    @pa.check("cpo_code", name="country_is_member_state")
    def country_is_member_state(cls, cpo_code: Series[str]) -> pd.Series[bool]:
        return rules.names_member_state(cpo_code)

    @pa.check("result_achieved", name="result_achieved_filled")
    def result_achieved_filled(cls, text: Series[str]) -> pd.Series[bool]:
        return rules.filled(text)

    @pa.check("ilo_contribution", name="ilo_contribution_filled")
    def ilo_contribution_filled(cls, text: Series[str]) -> pd.Series[bool]:
        return rules.filled(text)

    @pa.check("typology", name="typology_known")
    def typology_known(cls, typology: Series[str]) -> pd.Series[bool]:
        return rules.typologies(typology)[1]

    @pa.check("gender_specific", name="gender_specific_yes_no")
    def gender_specific_yes_no(cls, gender_specific: Series[str]) -> pd.Series[bool]:
        return rules.yes_no(gender_specific)[1]

    # A copy of an earlier row. Identical rows get identical verdicts from every row rule, so finding
    # copies among all rows is the same as among the rows that pass: it is checked here, where the long
    # texts are at hand.
    @pa.dataframe_check(name="duplicate_row")
    def duplicate_row(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.first_copies(frame, [*EVIDENCE_KEY, *TEXT_COLUMNS, "region", "country"], EVIDENCE_KEY)

    @pa.dataframe_check(name="country_matches_cpo_code")
    def country_matches_cpo_code(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.country_agrees_with_code(frame)

    @pa.dataframe_check(name="country_name_known")
    def country_name_known(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.country_recognised(frame)

    @pa.dataframe_check(name="region_matches_country")
    def region_matches_country(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.region_agrees_with_country(frame)


class EvidenceTable(pa.DataFrameModel):
    """Rules over the rows that passed the row rules: CPOs described differently on different rows.
    They read only short columns (code, region, title), so they can run on a narrow view."""

    @pa.dataframe_check(name="cpo_region_consistent")
    def cpo_region_consistent(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.one_value_per(frame, ["cpo_code"], "region")

    @pa.dataframe_check(name="cpo_title_consistent")
    def cpo_title_consistent(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.one_value_per(frame, ["cpo_code"], "cpo_title")

    @pa.dataframe_check(name="cpo_title_given")
    def cpo_title_given(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.titled(frame)

    class Config:
        strict = False


def declared_in(framework: Framework, checks: list[str]) -> pa.DataFrameSchema:
    """The rules that depend on the package's framework (any table with biennium and outcome)."""
    declared = framework.criteria_frame()
    available = {
        "biennium_matches_package": lambda f: (f["biennium"].str.strip() == framework.biennium).astype(bool),
        "outcome_declared": lambda f: rules.pairs_declared(f, ["outcome"], declared),
        "indicator_declared_for_outcome": lambda f: rules.pairs_declared(
            f, ["outcome", "indicator"], declared
        ),
        "criterion_declared_for_indicator": lambda f: rules.criterion_declared(f, declared),
    }
    return pa.DataFrameSchema(checks=[pa.Check(available[name], name=name) for name in checks])


def evidence_against_framework(framework: Framework) -> pa.DataFrameSchema:
    """Declared biennium, outcome, indicator and criterion."""
    return declared_in(
        framework,
        [
            "biennium_matches_package",
            "outcome_declared",
            "indicator_declared_for_outcome",
            "criterion_declared_for_indicator",
        ],
    )


def evidence_reportability(framework: Framework) -> pa.DataFrameSchema:
    """Advice: a CPO result below the indicator's threshold is listed as not reportable."""
    thresholds = framework.indicators_frame()
    return pa.DataFrameSchema(
        checks=[pa.Check(lambda f: rules.reportable(f, thresholds), name="not_reportable")]
    )
