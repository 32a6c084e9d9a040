"""The business rules of the submission contract: vectorised functions over text frames (shared by the
pandera models and by anyone who needs the same rule), and for every rule its severity, the column a
finding points at, and the plain-language message a submitter reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reporting.counting import rule as counting
from reporting.counting.member_states import country_codes, regions_of
from reporting.counting.rule import CPO_RESULT
from reporting.framework import BIENNIUM_PATTERN
from reporting.vocabulary import EVIDENCE_TYPOLOGIES, OUTPUT_TYPOLOGIES, REGIONS, YES_NO_SPELLINGS

# Explicit classes, not \d or \s: pandas then runs them in Arrow (RE2) instead of falling back to Python.
CPO_CODE_PATTERN = r"^[A-Z]{3}[0-9]{3}$"
WHOLE_NUMBER_PATTERN = r"^ *[0-9]+ *$"
SIGNED_WHOLE_NUMBER_PATTERN = r"^ *-?[0-9]+ *$"
NOT_SPACE = "[^ \t\n\r\x0b\x0c\xa0]"
SEVERITIES: tuple[str, ...] = ("critical", "error", "warning", "advice")


# --- row rules -------------------------------------------------------------------------------------


def filled(series: pd.Series[str]) -> pd.Series[bool]:
    """Not empty and not only spaces (searching for one non-space character; long texts are not copied)."""
    return series.astype(str).str.contains(NOT_SPACE, regex=True).fillna(False).astype(bool)


def per_value(series: pd.Series[str], rule: Callable[[pd.Series[str]], pd.Series[bool]]) -> pd.Series[bool]:
    """A rule evaluated once per distinct value (a column of few values, such as the biennium)."""
    codes, uniques = pd.factorize(series.astype(str))
    verdicts = rule(pd.Series(uniques, dtype="str")).to_numpy(dtype=bool)
    return pd.Series(verdicts[codes], index=series.index, dtype=bool)


def is_biennium(series: pd.Series[str]) -> pd.Series[bool]:
    """`YYYY-YY` with the second year the one after the first (2014-15, 2019-20, 1999-00)."""
    return per_value(series, _is_biennium)


def _is_biennium(text: pd.Series[str]) -> pd.Series[bool]:
    shaped = text.str.fullmatch(BIENNIUM_PATTERN.strip("^$")).fillna(False)
    first = pd.to_numeric(text.str[:4], errors="coerce")
    second = pd.to_numeric(text.str[5:7], errors="coerce")
    return (shaped & (((first + 1) % 100) == second)).astype(bool)


def is_region(series: pd.Series[str]) -> pd.Series[bool]:
    return series.isin(REGIONS).astype(bool)


def is_cpo_code(series: pd.Series[str]) -> pd.Series[bool]:
    return series.astype(str).str.fullmatch(CPO_CODE_PATTERN).fillna(False).astype(bool)


def is_whole_number(series: pd.Series[str], signed: bool = False) -> pd.Series[bool]:
    """Plain ASCII digits (spaces around allowed): not "1_2", "٩", "2.5" or "1e1", which Python's
    int() or float() would turn into numbers the submitter did not write."""
    pattern = SIGNED_WHOLE_NUMBER_PATTERN if signed else WHOLE_NUMBER_PATTERN
    return series.astype(str).str.fullmatch(pattern).fillna(False).astype(bool)


def as_number(series: pd.Series) -> pd.Series:
    """The numbers in a column that may still be text (NaN where it is not a number); each distinct
    text is converted once (criteria and targets take few values)."""
    if pd.api.types.is_numeric_dtype(series):
        return series
    codes, uniques = pd.factorize(series.astype(str))
    texts = pd.Series(uniques, dtype=object)
    whole = texts.str.fullmatch(SIGNED_WHOLE_NUMBER_PATTERN).fillna(False).astype(bool)
    numbers = pd.to_numeric(texts.where(whole), errors="coerce").to_numpy(dtype=float)
    return pd.Series(np.append(numbers, np.nan)[codes], index=series.index)


def names_member_state(cpo_code: pd.Series[str]) -> pd.Series[bool]:
    """Code letters that are an ISO alpha-3 code name a member State: a territory or a non-member (ATA,
    PRI, PSE) is never counted. Letters that are no ISO code mark a regional or global CPO (exempt)."""
    return (counting.is_member_state(cpo_code) | counting.is_regional(cpo_code)).astype(bool)


def country_agrees_with_code(frame: pd.DataFrame) -> pd.Series[bool]:
    """A member State's CPO: a recognised country name must be the country of the code's letters."""
    member_state = counting.is_member_state(frame["cpo_code"])
    named = country_codes(frame["country"].astype(str).str.strip())
    return (~member_state | named.isna() | (named == counting.state_code(frame["cpo_code"]))).astype(bool)


def country_recognised(frame: pd.DataFrame) -> pd.Series[bool]:
    """A member State's CPO names a country we recognise (else its agreement cannot be checked)."""
    member_state = counting.is_member_state(frame["cpo_code"])
    return (~member_state | country_codes(frame["country"].astype(str).str.strip()).notna()).astype(bool)


def region_agrees_with_country(frame: pd.DataFrame) -> pd.Series[bool]:
    """A member State's CPO sits in the ILO region of that State (regional CPOs are exempt)."""
    member_state = counting.is_member_state(frame["cpo_code"])
    expected = regions_of(counting.state_code(frame["cpo_code"]))
    known_region = is_region(frame["region"])  # an unknown region is the region rule's finding
    return (~member_state | ~known_region | (expected == frame["region"])).astype(bool)


def _canonical_items(
    series: pd.Series[str], allowed: tuple[str, ...]
) -> tuple[pd.Series[str], pd.Series[bool]]:
    """`;`-separated items spelled as the contract spells them, and whether every item was known."""
    by_key = {a.casefold(): a for a in allowed}
    canonical: dict[str, tuple[str, bool]] = {}
    for value in pd.unique(series.astype(str)):
        items = [i.strip() for i in str(value).split(";") if i.strip()]
        known = [by_key[i.casefold()] for i in items if i.casefold() in by_key]
        canonical[value] = ("; ".join(dict.fromkeys(known)), len(known) == len(items))
    pairs = series.astype(str).map(canonical)
    return pairs.str[0].astype(str), pairs.str[1].astype(bool)


def typologies(series: pd.Series[str]) -> tuple[pd.Series[str], pd.Series[bool]]:
    """Evidence typologies (`;`-separated, from the five of the contract), canonically spelled."""
    return _canonical_items(series, EVIDENCE_TYPOLOGIES)


def yes_no(series: pd.Series[str]) -> tuple[pd.Series[str], pd.Series[bool]]:
    """`yes`/`no` (also y/n, true/false, 1/0, oui/non, sí/no); blank is allowed and stays blank."""
    key = series.astype(str).str.strip().str.casefold()
    canonical = key.map(YES_NO_SPELLINGS)
    return canonical.fillna("").astype(str), (canonical.notna() | (key == "")).astype(bool)


# --- framework rules -------------------------------------------------------------------------------


def row_keys(frame: pd.DataFrame, columns: list[str]) -> pd.Series[str]:
    """The key columns of each row as one text (trimmed, joined by a separator no cell holds)."""
    key = frame[columns[0]].astype(str).str.strip()
    for column in columns[1:]:
        key = key + "\x1f" + frame[column].astype(str).str.strip()
    return key


def pairs_declared(frame: pd.DataFrame, keys: list[str], declared: pd.DataFrame) -> pd.Series[bool]:
    """True where the row's key columns form a combination declared in the framework."""
    allowed = set(row_keys(declared.astype({k: str for k in keys}), keys))
    return row_keys(frame, keys).isin(allowed).astype(bool)


def criterion_declared(frame: pd.DataFrame, declared: pd.DataFrame) -> pd.Series[bool]:
    """The criterion number is one declared for the row's indicator (a non-number is another rule's)."""
    whole = is_whole_number(frame["criterion"])
    probe = frame.assign(
        criterion=frame["criterion"].astype(str).str.strip().str.lstrip("0").where(whole, "")
    )
    return (pairs_declared(probe, ["indicator", "criterion"], declared) | ~whole).astype(bool)


# --- table rules -----------------------------------------------------------------------------------


def first_copies(frame: pd.DataFrame, columns: list[str], short: list[str]) -> pd.Series[bool]:
    """False on every later copy of a row (same values in `columns`); the short key columns are
    compared first so that long texts are only compared where a copy is possible."""
    candidates = frame.duplicated(subset=short, keep=False)
    later = frame[candidates].duplicated(subset=columns, keep="first")
    return ~later.reindex(frame.index, fill_value=False).astype(bool)


def one_value_per(frame: pd.DataFrame, key: list[str], column: str) -> pd.Series[bool]:
    """False on every row of a key whose non-blank values of `column` differ."""
    values = frame[column].astype(str).str.strip()
    values = values.where(values != "")
    distinct: pd.Series = values.groupby([frame[k] for k in key]).transform("nunique")
    return (distinct <= 1).astype(bool)


def first_of_group(frame: pd.DataFrame, key: list[str]) -> pd.Series[bool]:
    return ~frame.duplicated(subset=key, keep="first")


def titled(frame: pd.DataFrame) -> pd.Series[bool]:
    """False on the first row of a CPO whose title is blank on every row."""
    has_title = filled(frame["cpo_title"]).groupby(frame["cpo_code"]).transform("any").astype(bool)
    return (has_title | ~first_of_group(frame, ["cpo_code"])).astype(bool)


def distinct_criteria(frame: pd.DataFrame) -> pd.Series[str]:
    """Per row, the distinct criteria its CPO result (outcome, indicator, CPO) meets, e.g. "1, 3"."""
    keys = list(zip(*(frame[k] for k in CPO_RESULT), strict=True))
    met: dict[tuple[str, str, str], set[int]] = {}
    for key, number in zip(keys, as_number(frame["criterion"]), strict=True):
        if number == number:  # not NaN
            met.setdefault(key, set()).add(int(number))
    listed = [", ".join(str(n) for n in sorted(met.get(key, ()))) for key in keys]
    return pd.Series(listed, index=frame.index, dtype="str")


def reportable(frame: pd.DataFrame, thresholds: pd.DataFrame) -> pd.Series[bool]:
    """False on the first row of each CPO result meeting fewer distinct criteria than the indicator's
    `min_criteria` (`thresholds`: outcome, indicator, min_criteria)."""
    met = counting.criteria_met(frame, as_number(frame["criterion"]))
    # indicator ids are unique across the framework, so the indicator alone names the threshold
    needed = frame["indicator"].map(thresholds.set_index("indicator")["min_criteria"]).fillna(0)
    return counting.is_reportable(met, needed) | ~first_of_group(frame, CPO_RESULT)


# --- what each rule means to a submitter --------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    severity: str
    column: str
    message: str
    sets_aside: bool = False
    """A warning that still keeps the row out of the clean table (a duplicate is kept once)."""


def _rule(severity: str, column: str, message: str, sets_aside: bool = False) -> Rule:
    return Rule(severity, column, message, sets_aside or severity in ("critical", "error"))


RULES: dict[str, Rule] = {
    # the file
    "column_present": _rule(
        "critical", "", "A required column is missing from the file: nothing from this table is used."
    ),
    "column_known": _rule(
        "warning",
        "",
        "This column is not part of the submission format: it is kept with the rows but not used.",
    ),
    # the package's entries and a workbook's sheets: each is read or named
    "file_is_not_a_link": _rule(
        "critical",
        "",
        "This is a link to another file or folder: links are not followed, so nothing it points to is "
        "read. Put the file itself in the package.",
    ),
    "file_name_printable": _rule(
        "critical",
        "",
        "The name holds control characters or bytes that are not text (shown as \N{REPLACEMENT CHARACTER}), "
        "so it is not read. Rename it and send it again.",
    ),
    "file_not_read": _rule("warning", "", "This file is not read: none of its rows is checked or counted."),
    "rows_present": _rule(
        "warning",
        "",
        "There are no rows under the header row: nothing from this table is checked or counted.",
    ),
    "sheet_not_read": _rule(
        "warning",
        "",
        "This sheet is not read: none of its rows is checked or counted. If it holds rows, give it a "
        "header row with the template's column names (a title block above it is fine).",
    ),
    "note_not_read": _rule(
        "advice",
        "",
        "Not read: it is not a table of the submission format. Nothing to do unless it holds rows for "
        "the report.",
    ),
    # any table
    "biennium_is_yyyy_yy": _rule(
        "error",
        "biennium",
        "The biennium must be written YYYY-YY, the second year following the first (e.g. 2014-15).",
    ),
    "biennium_matches_package": _rule(
        "error", "biennium", "The biennium differs from the package's biennium in framework.yaml."
    ),
    "outcome_declared": _rule("error", "outcome", "This outcome is not declared in framework.yaml."),
    "indicator_declared_for_outcome": _rule(
        "error", "indicator", "This indicator is not declared for this outcome in framework.yaml."
    ),
    "region_is_one_of_five": _rule(
        "error", "region", "The region must be one of: " + ", ".join(REGIONS) + "."
    ),
    "text_cleaned": _rule(
        "warning", "", "Control characters or HTML were removed from this text; the words are kept."
    ),
    "gender_specific_yes_no": _rule(
        "warning",
        "gender_specific",
        "gender_specific must be yes or no: the value is ignored (the row is kept).",
    ),
    # evidence rows
    "country_filled": _rule("error", "country", "The country (or region/body for a regional CPO) is empty."),
    "cpo_code_shape": _rule(
        "error", "cpo_code", "The CPO code must be three capital letters and three digits (e.g. ZWE131)."
    ),
    "criterion_is_whole_number": _rule(
        "error", "criterion", "The criterion must be a whole number (e.g. 2)."
    ),
    "criterion_declared_for_indicator": _rule(
        "error",
        "criterion",
        "This criterion number is not one of the measurement criteria declared for the indicator.",
    ),
    "result_achieved_filled": _rule("error", "result_achieved", "The result achieved is empty."),
    "ilo_contribution_filled": _rule("error", "ilo_contribution", "The ILO contribution is empty."),
    "country_is_member_state": _rule(
        "error",
        "cpo_code",
        "The CPO code's letters are the ISO code of a territory or of a country that is not an ILO "
        "member State: only member States are counted, so the row is set aside. Use the member "
        "State's code, or a regional code (RAF, RAS, RER, GLO, ...) for a regional or global CPO.",
    ),
    "country_matches_cpo_code": _rule(
        "error",
        "country",
        "The country does not match the CPO code, whose letters are a member State's ISO code.",
    ),
    "country_name_known": _rule(
        "warning",
        "country",
        "The country name is not one we recognise, so it could "
        "not be checked against the CPO code (the row is kept).",
    ),
    "region_matches_country": _rule("error", "region", "The region is not the country's ILO region."),
    "typology_known": _rule(
        "warning",
        "typology",
        "Typologies must be ;-separated, from: "
        + ", ".join(EVIDENCE_TYPOLOGIES)
        + ". Unknown ones are ignored (the row is kept).",
    ),
    # evidence table
    "duplicate_row": _rule(
        "warning",
        "",
        "The same row was already given: it is kept once (this copy is set aside).",
        sets_aside=True,
    ),
    "cpo_region_consistent": _rule(
        "error",
        "region",
        "This CPO is given in more than one region: its rows "
        "are set aside because the region decides where the CPO is counted. "
        "Give one region on every row.",
    ),
    "cpo_title_consistent": _rule(
        "warning",
        "cpo_title",
        "This CPO has different titles on different rows; "
        "the rows are kept (the title does not change any count) and the first "
        "title is shown in the report.",
    ),
    "cpo_title_given": _rule(
        "warning", "cpo_title", "This CPO has no title on any of its rows (one row needs it)."
    ),
    "not_reportable": _rule(
        "advice",
        "criterion",
        "Not reportable: this CPO result meets fewer distinct "
        "criteria than the indicator requires. Its rows are kept and listed as not "
        "reportable.",
    ),
    # targets
    "target_is_whole_number": _rule("error", "target", "The target must be a whole number (e.g. 3)."),
    "target_not_negative": _rule("error", "target", "The target cannot be negative."),
    "target_duplicate": _rule(
        "warning",
        "target",
        "The same target was already given for this indicator "
        "and region: it is kept once (this copy is set aside).",
        sets_aside=True,
    ),
    "target_conflict": _rule(
        "error",
        "target",
        "Different targets are given for the same indicator and "
        "region: all of them are set aside until one is chosen.",
    ),
    # outputs and examples
    "output_typology_known": _rule(
        "error", "typology", "The typology of an output must be one of: " + ", ".join(OUTPUT_TYPOLOGIES) + "."
    ),
    "text_filled": _rule("error", "text", "The output text is empty."),
    "results_filled": _rule("error", "results", "The results text is empty."),
}
