"""Which CPO results the report may count: the approved ones (final report), or every one (draft).

A result's approval holds for the rows it was given on: `result_versions` fingerprints each result's
rows, and a result counts as approved only while the rows counted are the ones approved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pandas as pd

from reporting.store.models import STORED_EVIDENCE_COLUMNS

Result = tuple[str, str]
"""(indicator, CPO code)."""
VERSIONED_COLUMNS = tuple(c for c in STORED_EVIDENCE_COLUMNS if c != "submitted_by")


def result_versions(evidence: pd.DataFrame) -> dict[Result, str]:
    """A fingerprint of each CPO result's rows (whatever their order, file or row numbers, whether read
    from a package or from the store): another fingerprint, other rows."""
    if evidence.empty:
        return {}
    texts = (
        pd.DataFrame(
            {c: evidence[c] if c in evidence.columns else "" for c in VERSIONED_COLUMNS}, index=evidence.index
        )
        .astype("string")
        .fillna("")
        .astype(str)
    )  # an optional column missing is a column left empty
    texts = texts.assign(
        criterion=pd.to_numeric(texts["criterion"], errors="coerce").astype("Int64").astype(str)
    )
    lines = texts[VERSIONED_COLUMNS[0]].str.cat(list(texts[list(VERSIONED_COLUMNS[1:])].values.T), sep="\x1f")
    keyed = pd.DataFrame({"indicator": texts["indicator"], "cpo_code": texts["cpo_code"], "line": lines})
    joined = (
        keyed.groupby(["indicator", "cpo_code"], sort=False)["line"]
        .agg(lambda rows: "\x1e".join(sorted(rows)))
        .reset_index()
    )
    return {
        (str(indicator), str(code)): hashlib.sha256(str(text).encode("utf-8")).hexdigest()[:16]
        for indicator, code, text in joined.itertuples(index=False)
    }


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
