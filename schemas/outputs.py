"""Significant outputs (outputs.csv) and results-chain country examples (examples.csv)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from reporting.framework import Framework
from reporting.schemas import rules
from reporting.schemas.common import OutcomeRow
from reporting.schemas.evidence import declared_in
from reporting.vocabulary import OUTPUT_TYPOLOGIES


class OutputRow(OutcomeRow):
    typology: Series[str]
    text: Series[str]

    @pa.check("typology", name="output_typology_known")
    def output_typology_known(cls, typology: Series[str]) -> pd.Series[bool]:
        return typology.str.strip().isin(OUTPUT_TYPOLOGIES).astype(bool)

    @pa.check("text", name="text_filled")
    def text_filled(cls, text: Series[str]) -> pd.Series[bool]:
        return rules.filled(text)


class ExampleRow(OutcomeRow):
    country: Series[str]
    ilo_contribution: Series[str]
    results: Series[str]
    gender_specific: Series[str]

    @pa.check("country", name="country_filled")
    def country_filled(cls, country: Series[str]) -> pd.Series[bool]:
        return rules.filled(country)

    @pa.check("ilo_contribution", name="ilo_contribution_filled")
    def ilo_contribution_filled(cls, text: Series[str]) -> pd.Series[bool]:
        return rules.filled(text)

    @pa.check("results", name="results_filled")
    def results_filled(cls, text: Series[str]) -> pd.Series[bool]:
        return rules.filled(text)

    @pa.check("gender_specific", name="gender_specific_yes_no")
    def gender_specific_yes_no(cls, gender_specific: Series[str]) -> pd.Series[bool]:
        return rules.yes_no(gender_specific)[1]


def outputs_against_framework(framework: Framework) -> pa.DataFrameSchema:
    """Outputs and examples belong to the package's biennium and a declared outcome."""
    return declared_in(framework, ["biennium_matches_package", "outcome_declared"])
