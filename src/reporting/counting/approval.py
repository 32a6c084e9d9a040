"""Which CPO results the report may count: the approved ones (final report), or every one (draft).

A result's approval holds for the rows it was given on: `result_versions` fingerprints each result's
rows, and a result counts as approved only while the rows counted are the ones approved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pandas as pd

from reporting.vocabulary import EVIDENCE_COLUMNS, OPTIONAL_EVIDENCE_COLUMNS

Result = tuple[str, str]
"""(indicator, CPO code)."""
VERSIONED_COLUMNS = tuple(c for c in (*EVIDENCE_COLUMNS, *OPTIONAL_EVIDENCE_COLUMNS) if c != "submitted_by")


def result_versions(evidence: pd.DataFrame) -> dict[Result, str]:
    """A fingerprint of each CPO result's rows (whatever their order, file or row numbers, whether read
    from a package or from the store): another fingerprint, other rows. Column by column, one line of
    text per row: no copy of the whole table, no Python call per row but one append."""
    if evidence.empty:
        return {}
    lines = _versioned_text(evidence, VERSIONED_COLUMNS[0])
    for column in VERSIONED_COLUMNS[1:]:
        lines = lines + "\x1f" + _versioned_text(evidence, column)
    rows: dict[Result, list[str]] = {}
    keys = zip(evidence["indicator"].astype(str), evidence["cpo_code"].astype(str), lines, strict=True)
    for indicator, code, line in keys:
        rows.setdefault((indicator, code), []).append(line)
    return {
        key: hashlib.sha256("\x1e".join(sorted(texts)).encode("utf-8")).hexdigest()[:16]
        for key, texts in rows.items()
    }


def _versioned_text(evidence: pd.DataFrame, column: str) -> pd.Series[str]:
    """A column as its rows' version reads it: text, empty where missing (an optional column missing is
    a column left empty), the criterion as a whole number."""
    if column not in evidence.columns:
        return pd.Series("", index=evidence.index, dtype=str)
    text = evidence[column].astype("string").fillna("").astype(str)
    if column == "criterion":
        return pd.to_numeric(text, errors="coerce").astype("Int64").astype(str)
    return text


def approved_results(versions: Mapping[Result, str], approved: Mapping[Result, str]) -> set[Result]:
    """The results (`versions`: result → version of its rows, `result_versions`) approved on exactly
    these rows (`approved`: result → approved version)."""
    return {key for key, version in versions.items() if approved.get(key) == version}


def only(evidence: pd.DataFrame, results: set[Result]) -> pd.DataFrame:
    """The evidence rows of these results."""
    keys = zip(evidence["indicator"].astype(str), evidence["cpo_code"].astype(str), strict=True)
    return evidence[[key in results for key in keys]]


def draft_summary(summary: pd.DataFrame, approved: pd.DataFrame) -> pd.DataFrame:
    """A draft's indicator summary (every reportable result counted) with `achieved_approved`, the
    figure of the approved results alone, and `achieved_pending`, what the results still pending add
    to it (achieved = achieved_approved + achieved_pending)."""
    keys = ["outcome", "indicator", "region"]
    figures = approved[[*keys, "achieved"]].rename(columns={"achieved": "achieved_approved"})
    merged = summary.merge(figures, on=keys, how="left", validate="one_to_one")
    merged["achieved_approved"] = merged["achieved_approved"].fillna(0).astype("int64")
    merged["achieved_pending"] = merged["achieved"] - merged["achieved_approved"]
    return merged
