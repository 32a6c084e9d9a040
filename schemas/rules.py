"""Vectorised rule functions shared by the table contracts, and the plain-language text of every rule."""

from __future__ import annotations

import pandas as pd

from reporting.framework import BIENNIUM_PATTERN
from reporting.settings import REGIONS

CPO_CODE_PATTERN = r"^[A-Z]{3}\d{3}$"
WHOLE_NUMBER_PATTERN = r"^\s*\d+\s*$"


def filled(series: pd.Series[str]) -> pd.Series[bool]:
    return (series.astype(str).str.strip() != "").astype(bool)


def is_biennium(series: pd.Series[str]) -> pd.Series[bool]:
    """`YYYY-YY` with the second year the one after the first (2014-15, 2019-20, 1999-00)."""
    text = series.astype(str)
    shaped = text.str.fullmatch(BIENNIUM_PATTERN.strip("^$")).fillna(False)
    first = pd.to_numeric(text.str[:4], errors="coerce")
    second = pd.to_numeric(text.str[5:7], errors="coerce")
    return (shaped & (((first + 1) % 100) == second)).astype(bool)


def is_region(series: pd.Series[str]) -> pd.Series[bool]:
    return series.isin(REGIONS).astype(bool)


def is_whole_number(series: pd.Series[str]) -> pd.Series[bool]:
    return series.astype(str).str.fullmatch(WHOLE_NUMBER_PATTERN).fillna(False).astype(bool)


def pairs_declared(frame: pd.DataFrame, keys: list[str], declared: pd.DataFrame) -> pd.Series[bool]:
    """True where the row's key columns form a combination declared in the framework."""
    probe = frame[keys].astype(str).apply(lambda c: c.str.strip())
    allowed = pd.MultiIndex.from_frame(declared[keys].astype(str))
    return pd.Series(pd.MultiIndex.from_frame(probe).isin(allowed), index=frame.index, dtype=bool)


MESSAGES: dict[str, str] = {
    "biennium_is_yyyy_yy": "The biennium must be written YYYY-YY, the second year following the first "
    "(e.g. 2014-15).",
    "biennium_matches_package": "The biennium differs from the package's biennium in framework.yaml.",
    "outcome_declared": "This outcome is not declared in framework.yaml.",
    "indicator_declared_for_outcome": "This indicator is not declared for this outcome in framework.yaml.",
    "criterion_declared_for_indicator": "This criterion number is not one of the measurement criteria "
    "declared for the indicator.",
    "region_is_one_of_five": "The region must be one of: " + ", ".join(REGIONS) + ".",
    "country_filled": "The country (or region/body for a regional CPO) is empty.",
    "cpo_code_shape": "The CPO code must be three capital letters and three digits (e.g. ZWE131).",
    "criterion_is_whole_number": "The criterion must be a whole number (e.g. 2).",
    "result_achieved_filled": "The result achieved is empty.",
    "ilo_contribution_filled": "The ILO contribution is empty.",
    "target_is_non_negative_whole_number": "The target must be a whole number, zero or more.",
    "column_present": "A required column is missing from the file.",
}
