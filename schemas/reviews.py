"""Review decisions made elsewhere (reviews.csv beside framework.yaml): one per CPO result."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from reporting.framework import Framework
from reporting.schemas import rules
from reporting.schemas.common import (
    OutcomeRow,
    biennium_matches_package,
    indicator_declared_for_outcome,
    outcome_declared,
)
from reporting.vocabulary import REVIEW_DECISIONS


class ReviewRow(OutcomeRow):
    indicator: Series[str]
    cpo_code: Series[str]
    decision: Series[str]
    by: Series[str]

    @pa.check("cpo_code", name="cpo_code_shape")  # the evidence rows' rule (schemas/evidence.py)
    def cpo_code_shape(cls, cpo_code: Series[str]) -> pd.Series[bool]:
        return rules.is_cpo_code(cpo_code)

    @rules.column_rule(
        "decision",
        "error",
        "The decision must be " + " or ".join(REVIEW_DECISIONS) + ": the row is not applied.",
    )
    def decision_known(cls, decision: Series[str]) -> pd.Series[bool]:
        return decision.str.strip().isin(REVIEW_DECISIONS).astype(bool)

    @rules.column_rule("by", "error", "Who took the decision is empty: the row is not applied.")
    def reviewer_named(cls, by: Series[str]) -> pd.Series[bool]:
        return rules.filled(by)

    @rules.table_rule(
        "error", "comment", "A returned result needs a comment for the office: the row is not applied."
    )
    def returned_with_comment(cls, frame: pd.DataFrame) -> pd.Series[bool]:
        comment = frame["comment"] if "comment" in frame else pd.Series("", index=frame.index)
        return ((frame["decision"].str.strip() != "returned") | rules.filled(comment)).astype(bool)


def reviews_against_framework(framework: Framework) -> pa.DataFrameSchema:
    """Declared biennium, outcome and indicator."""
    return rules.against_framework(
        framework, biennium_matches_package, outcome_declared, indicator_declared_for_outcome
    )
