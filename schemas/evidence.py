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
from reporting.schemas.common import (
    CountryContributionChecks,
    IndicatorRegionRow,
    biennium_matches_package,
    indicator_declared_for_outcome,
    outcome_declared,
)
from reporting.vocabulary import EVIDENCE_TYPOLOGIES

EVIDENCE_KEY = ["biennium", "outcome", "indicator", "cpo_code", "criterion"]
TEXT_COLUMNS = ["cpo_title", "result_achieved", "ilo_contribution"]


class EvidenceRow(IndicatorRegionRow, CountryContributionChecks):
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

    @rules.column_rule("criterion", "error", "The criterion must be a whole number (e.g. 2).")
    def criterion_is_whole_number(cls, criterion: Series[str]) -> pd.Series[bool]:
        return rules.is_whole_number(criterion)

    @rules.column_rule(
        "cpo_code", "error", "The CPO code must be three capital letters and three digits (e.g. ZWE131)."
    )
    def cpo_code_shape(cls, cpo_code: Series[str]) -> pd.Series[bool]:
        return rules.is_cpo_code(cpo_code)

    @rules.column_rule(
        "cpo_code",
        "error",
        "The CPO code's letters are the ISO code of a territory or of a country that is not an ILO "
        "member State: only member States are counted, so the row is set aside. Use the member "
        "State's code, or a regional code (RAF, RAS, RER, GLO, ...) for a regional or global CPO.",
    )
    def country_is_member_state(cls, cpo_code: Series[str]) -> pd.Series[bool]:
        return rules.names_member_state(cpo_code)

    @rules.column_rule("result_achieved", "error", "The result achieved is empty.")
    def result_achieved_filled(cls, text: Series[str]) -> pd.Series[bool]:
        return rules.filled(text)

    @rules.column_rule(
        "typology",
        "warning",
        "Typologies must be ;-separated, from: "
        + ", ".join(EVIDENCE_TYPOLOGIES)
        + ". Unknown ones are ignored (the row is kept).",
    )
    def typology_known(cls, typology: Series[str]) -> pd.Series[bool]:
        return rules.typologies(typology)[1]

    # A copy of an earlier row. Identical rows get identical verdicts from every row rule, so finding
    # copies among all rows is the same as among the rows that pass: it is checked here, where the long
    # texts are at hand.
    @rules.table_rule(
        "warning",
        "",
        "The same row was already given: it is kept once (this copy is set aside).",
        sets_aside=True,
    )
    def duplicate_row(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.first_copies(frame, [*EVIDENCE_KEY, *TEXT_COLUMNS, "region", "country"], EVIDENCE_KEY)

    @rules.table_rule(
        "error",
        "country",
        "The country does not match the CPO code, whose letters are a member State's ISO code.",
    )
    def country_matches_cpo_code(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.country_agrees_with_code(frame)

    @rules.table_rule(
        "warning",
        "country",
        "The country name is not one we recognise, so it could "
        "not be checked against the CPO code (the row is kept).",
    )
    def country_name_known(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.country_recognised(frame)

    @rules.table_rule("error", "region", "The region is not the country's ILO region.")
    def region_matches_country(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.region_agrees_with_country(frame)


class EvidenceTable(pa.DataFrameModel):
    """Rules over the rows that passed the row rules: CPOs described differently on different rows.
    They read only short columns (code, region, title), so they can run on a narrow view."""

    @rules.table_rule(
        "error",
        "region",
        "This CPO is given in more than one region: its rows "
        "are set aside because the region decides where the CPO is counted. "
        "Give one region on every row.",
    )
    def cpo_region_consistent(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.one_value_per(frame, ["cpo_code"], "region")

    @rules.table_rule(
        "warning",
        "cpo_title",
        "This CPO has different titles on different rows; "
        "the rows are kept (the title does not change any count) and the first "
        "title is shown in the report.",
    )
    def cpo_title_consistent(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.one_value_per(frame, ["cpo_code"], "cpo_title")

    @rules.table_rule("warning", "cpo_title", "This CPO has no title on any of its rows (one row needs it).")
    def cpo_title_given(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        return rules.titled(frame)

    class Config:
        strict = False


@rules.framework_rule(
    "error",
    "criterion",
    "This criterion number is not one of the measurement criteria declared for the indicator.",
)
def criterion_declared_for_indicator(frame: pd.DataFrame, framework: Framework) -> pd.Series[bool]:
    return rules.criterion_declared(frame, framework.criteria_frame())


@rules.framework_rule(
    "advice",
    "criterion",
    "Not reportable: this CPO result meets fewer distinct "
    "criteria than the indicator requires. Its rows are kept and listed as not "
    "reportable.",
)
def not_reportable(frame: pd.DataFrame, framework: Framework) -> pd.Series[bool]:
    """False on the first row of a CPO result below the indicator's threshold (the counting rule)."""
    return rules.reportable(frame, framework)


def evidence_against_framework(framework: Framework) -> pa.DataFrameSchema:
    """Declared biennium, outcome, indicator and criterion."""
    return rules.against_framework(
        framework,
        biennium_matches_package,
        outcome_declared,
        indicator_declared_for_outcome,
        criterion_declared_for_indicator,
    )


def evidence_reportability(framework: Framework) -> pa.DataFrameSchema:
    """Advice: a CPO result below the indicator's threshold is listed as not reportable."""
    return rules.against_framework(framework, not_reportable)
