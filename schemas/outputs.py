"""Significant outputs (outputs.csv) and results-chain country examples (examples.csv)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from reporting.framework import Framework
from reporting.schemas import rules
from reporting.schemas.common import (
    CountryContributionChecks,
    OutcomeRow,
    biennium_matches_package,
    outcome_declared,
)
from reporting.vocabulary import OUTPUT_TYPOLOGIES


class OutputRow(OutcomeRow):
    typology: Series[str]
    text: Series[str]

    @rules.column_rule(
        "typology", "error", "The typology of an output must be one of: " + ", ".join(OUTPUT_TYPOLOGIES) + "."
    )
    def output_typology_known(cls, typology: Series[str]) -> pd.Series[bool]:
        return typology.str.strip().isin(OUTPUT_TYPOLOGIES).astype(bool)

    @rules.column_rule("text", "error", "The output text is empty.")
    def text_filled(cls, text: Series[str]) -> pd.Series[bool]:
        return rules.filled(text)


class ExampleRow(OutcomeRow, CountryContributionChecks):
    country: Series[str]
    ilo_contribution: Series[str]
    results: Series[str]
    gender_specific: Series[str]

    @rules.column_rule("results", "error", "The results text is empty.")
    def results_filled(cls, text: Series[str]) -> pd.Series[bool]:
        return rules.filled(text)


def outputs_against_framework(framework: Framework) -> pa.DataFrameSchema:
    """Outputs and examples belong to the package's biennium and a declared outcome."""
    return rules.against_framework(framework, biennium_matches_package, outcome_declared)
