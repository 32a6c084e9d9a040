"""The business rules of the submission contract and their registry.

The vectorised functions here say what a rule checks (over text frames, shared by the pandera models and
by anyone who needs the same rule). The registry (`RULES`) says what a rule means to a submitter: its
severity, the column a finding points at, the plain-language message. A rule is declared once, where
its check is: the decorators `column_rule`, `table_rule` and `framework_rule` register it and return the
pandera check named after it (the models in `reporting.schemas`); the findings about files rather than
rows are declared at the end of this module. A check whose name is not in the registry is an error
(`rule_named`), never a finding silently lost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa

from reporting.domain import rule as counting
from reporting.domain.member_states import country_codes, regions_of
from reporting.domain.rule import CPO_RESULT
from reporting.framework import BIENNIUM_PATTERN, Framework
from reporting.vocabulary import EVIDENCE_TYPOLOGIES, REGIONS, YES_NO_SPELLINGS

# Explicit classes, not \d or \s: pandas then runs them in Arrow (RE2) instead of falling back to Python.
CPO_CODE_PATTERN = r"^[A-Z]{3}[0-9]{3}$"
WHOLE_NUMBER_PATTERN = r"^ *[0-9]+ *$"
SIGNED_WHOLE_NUMBER_PATTERN = r"^ *-?[0-9]+ *$"
NOT_SPACE = "[^ \t\n\r\x0b\x0c\xa0]"
COMPARED_ROWS = 20_000
"""Rows whose long texts are compared at once when looking for copies (`first_copies`)."""
Severity = Literal["critical", "error", "warning", "advice"]
SEVERITIES: tuple[Severity, ...] = ("critical", "error", "warning", "advice")


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


def filtered(frame: pd.DataFrame, columns: list[str], rows: np.ndarray) -> dict[str, pd.Series]:
    """Some columns of the `rows` (a mask) of a frame, column by column: pandas takes a frame's rows
    through a copy of every column whole (Arrow text included), a column's rows through Arrow's filter."""
    return {column: frame[column][rows] for column in columns}


def first_copies(frame: pd.DataFrame, columns: list[str], short: list[str]) -> pd.Series[bool]:
    """False on every later copy of a row (same values in `columns`); the short key columns are
    compared first so that long texts are only compared where a copy is possible.

    Rows of different short keys are never copies of each other, so the candidates are compared in
    groups of whole keys of about COMPARED_ROWS rows: comparing texts makes copies of them (pandas
    encodes each column's distinct values), and a group's copies are a fraction of the table's."""
    candidates = frame.duplicated(subset=short, keep=False).to_numpy()
    later = np.zeros(len(frame), dtype=bool)
    if candidates.any():
        narrow = pd.DataFrame(filtered(frame, short, candidates))
        key = narrow.groupby(short, sort=False, dropna=False).ngroup().to_numpy()
        groups = -(-len(key) // COMPARED_ROWS)
        for group in range(groups):
            rows = candidates.copy()
            rows[candidates] = key % groups == group
            later[rows] = pd.DataFrame(filtered(frame, columns, rows)).duplicated(keep="first").to_numpy()
    return pd.Series(~later, index=frame.index, dtype=bool)


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


def reportable(frame: pd.DataFrame, framework: Framework) -> pd.Series[bool]:
    """False on the first row of each CPO result meeting fewer distinct criteria than the indicator's
    `min_criteria`."""
    met = counting.criteria_met(frame, as_number(frame["criterion"]))
    needed = framework.min_criteria(frame["indicator"])
    return counting.is_reportable(met, needed) | ~first_of_group(frame, CPO_RESULT)


# --- the registry: what each rule means to a submitter -----------------------------------------------


@dataclass(frozen=True)
class Rule:
    name: str
    severity: Severity
    column: str
    """The column a finding points at ("" for the whole row, the file or the sheet)."""
    message: str
    sets_aside: bool
    """The rows breaking it stay out of the clean table: every critical rule and error, and a warning
    about a copy (kept once)."""


RULES: dict[str, Rule] = {}
"""Every rule by name, filled as the models are defined (importing `reporting.schemas` loads them all)."""


class UnknownRule(LookupError):
    """A check or a finding names a rule that the registry does not hold: a bug, never a lost finding."""


def declare(name: str, severity: Severity, column: str, message: str, sets_aside: bool = False) -> Rule:
    """Register a rule; a name is declared once."""
    if name in RULES:
        raise ValueError(f"rule {name!r} is declared twice")
    RULES[name] = Rule(name, severity, column, message, sets_aside or severity in ("critical", "error"))
    return RULES[name]


def reason_of(rules: str, translated: Callable[[str], str] = str) -> str:
    """Why a row is set aside: the messages of the rules it broke (`rules`: their names, space-separated),
    each `translated` into the edition's language (the report's annex 2 in French or Spanish)."""
    return " ".join(translated(rule_named(name).message) for name in rules.split())


def rule_named(name: str) -> Rule:
    """The registered rule of that name; an unknown name raises `UnknownRule`."""
    try:
        return RULES[name]
    except KeyError:
        raise UnknownRule(f"no rule named {name!r} is declared (reporting.schemas.rules)") from None


Verdicts = Callable[..., "pd.Series[bool]"]
"""A check method of a pandera model (`cls`, then a column or the frame): True where the rule holds."""
FrameworkVerdicts = Callable[[pd.DataFrame, Framework], "pd.Series[bool]"]
FrameworkCheck = Callable[[Framework], pa.Check]


def column_rule(
    column: str, severity: Severity, message: str, sets_aside: bool = False
) -> Callable[[Verdicts], Any]:
    """Decorate a model's check of one column: the rule named after the method is registered (its
    finding points at that column) and the method becomes pandera's check of that name."""

    def register(check: Verdicts) -> Any:
        declare(check.__name__, severity, column, message, sets_aside)
        return pa.check(column, name=check.__name__)(check)

    return register


def table_rule(
    severity: Severity, column: str, message: str, sets_aside: bool = False
) -> Callable[[Verdicts], Any]:
    """Decorate a model's check of whole rows (`column`: where its finding points): the rule named after
    the method is registered and the method becomes pandera's DataFrame check of that name."""

    def register(check: Verdicts) -> Any:
        declare(check.__name__, severity, column, message, sets_aside)
        return pa.dataframe_check(name=check.__name__)(check)

    return register


def framework_rule(
    severity: Severity, column: str, message: str
) -> Callable[[FrameworkVerdicts], FrameworkCheck]:
    """Decorate a rule that needs the package's framework: the rule named after the function is
    registered and the function becomes a maker of pandera's check for one framework."""

    def register(verdicts: FrameworkVerdicts) -> FrameworkCheck:
        name = verdicts.__name__
        declare(name, severity, column, message)

        def check(framework: Framework) -> pa.Check:
            return pa.Check(lambda frame: verdicts(frame, framework), name=name)

        return check

    return register


def field_rule(name: str, column: str, severity: Severity, message: str, **constraints: Any) -> Any:
    """A rule written as pandera's own Field constraint (`isin=…`, `str_length=…`): registered under its
    name, which the Field carries (`metadata`) so that the constraint's failures are the rule's findings
    (`rule_of_check`). Use it only where the constraint finds exactly the rows the rule means."""
    declare(name, severity, column, message)
    return pa.Field(**constraints, metadata={"rule": name})


def rule_of_check(column: pa.Column, check: pa.Check) -> str:
    """The registered rule a column's check stands for: a Field constraint's rule (`field_rule`), else
    the check's own name."""
    metadata = column.metadata or {}
    return str(metadata["rule"]) if check.name not in RULES and "rule" in metadata else str(check.name)


def field_rules(schema: pa.DataFrameSchema) -> dict[tuple[str, str], str]:
    """(column, failing check as pandera's failure cases name it) → rule, for the Field constraints."""
    return {
        (name, str(check.error or check.name)): rule_of_check(column, check)
        for name, column in schema.columns.items()
        for check in column.checks
        if check.name not in RULES
    }


def against_framework(framework: Framework, *checks: FrameworkCheck) -> pa.DataFrameSchema:
    """The rules of a table that depend on the package's framework, as one schema."""
    return pa.DataFrameSchema(checks=[check(framework) for check in checks])


# --- rules about files, sheets and columns, found by the readers and the validation itself -----------

declare(
    "column_present",
    "critical",
    "",
    "A required column is missing from the file: nothing from this table is used.",
)
declare(
    "column_known",
    "warning",
    "",
    "This column is not part of the submission format: it is kept with the rows but not used.",
)
declare("file_readable", "critical", "", "The file cannot be read:")
declare(
    "file_is_not_a_link",
    "critical",
    "",
    "This is a link to another file or folder: links are not followed, so nothing it points to is "
    "read. Put the file itself in the package.",
)
declare(
    "file_name_printable",
    "critical",
    "",
    "The name holds control characters or bytes that are not text (shown as \N{REPLACEMENT CHARACTER}), "
    "so it is not read. Rename it and send it again.",
)
declare(
    "formula_computed",
    "error",
    "",
    "This cell holds a formula that was saved without its value (the program that wrote the file never "
    "computed it), so the row has no value here: open the file in Excel or LibreOffice and save it, or "
    "type the value.",
)
declare(
    "file_name_distinct",
    "warning",
    "",
    "Another file of the package has a name that looks the same but is written differently (its accents "
    "as composed letters, Unicode NFC, or as letters and combining accents, NFD): both are read, but a "
    "reviewer cannot tell their rows apart. Rename one of them.",
)
declare("file_not_read", "warning", "", "This file is not read: none of its rows is checked or counted.")
declare(
    "rows_present",
    "warning",
    "",
    "There are no rows under the header row: nothing from this table is checked or counted.",
)
declare(
    "sheet_not_read",
    "warning",
    "",
    "This sheet is not read: none of its rows is checked or counted. If it holds rows, give it a "
    "header row with the template's column names (a title block above it is fine).",
)
declare(
    "note_not_read",
    "advice",
    "",
    "Not read: it is not a table of the submission format. Nothing to do unless it holds rows for "
    "the report.",
)
declare(
    "text_cleaned",
    "warning",
    "",
    "Control characters or HTML were removed from this text; the words are kept.",
)
declare(
    "framework_translated",
    "advice",
    "",
    "framework.yaml gives no text in this edition's language for these titles or criteria: the report "
    "shows the English text.",
)
