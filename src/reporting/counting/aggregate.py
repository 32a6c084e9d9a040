"""The indicator summary and its evidence trail, as pure functions over frames (no files, no database,
no Prefect): the counting rule itself (`rule`) applied to the clean evidence rows."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from reporting.domain import rule
from reporting.domain.member_states import regions_of
from reporting.domain.rule import CPO_RESULT
from reporting.framework import Framework
from reporting.vocabulary import NO, REGIONS, SOURCE_COLUMNS, TOTAL, YES

SUMMARY_COLUMNS = ["biennium", "outcome", "indicator", "region", "target", "achieved"]
EVIDENCE_TRAIL_COLUMNS = [
    "biennium", "outcome", "indicator", "region", "country", "cpo_code", "member_state", "counted",
    "reason", "criteria", "min_criteria", "file", "sheet", "rows", "texts",
]  # fmt: skip
"""indicator_evidence.csv: one row per indicator × CPO result, counted or not and why, and where its
evidence rows are (file, sheet and row numbers as the findings give them)."""
REGIONAL_CPO = "regional, sub-regional or global CPO: listed, not counted"
NOT_A_MEMBER_STATE = "not a member State"
REJECTED = "rows rejected by validation"


def _filled_titles(titles: pd.Series) -> pd.Series:
    """Each row's CPO title as text (missing reads "nan", as `str` gives it), missing where blank: the
    first of a group's that is not missing is its first filled title."""
    text = titles.map(str)
    return text.where(text.str.strip() != "")


def _criteria_by_result(evidence: pd.DataFrame) -> pd.Series:
    """Per CPO result (indexed by CPO_RESULT), the distinct criteria of its rows as a sorted tuple of
    whole numbers: one sort of the distinct (result, criterion) pairs, then one slice per result."""
    pairs = (
        evidence[CPO_RESULT]
        .assign(criterion=evidence["criterion"].astype("int64"))
        .drop_duplicates()
        .sort_values([*CPO_RESULT, "criterion"], kind="stable")
    )
    keys = pairs[CPO_RESULT]
    starts = np.flatnonzero((keys != keys.shift()).any(axis=1).to_numpy())
    criteria = pairs["criterion"].tolist()
    return pd.Series(
        [tuple(criteria[start:end]) for start, end in pairwise([*starts.tolist(), len(pairs)])],
        index=pd.MultiIndex.from_frame(keys.iloc[starts]),
        dtype=object if len(pairs) else "int64",  # no result: the column's type, as `agg` leaves it
    )


def reportable_results(evidence: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """One row per CPO result (outcome, indicator, CPO): the distinct criteria it meets and whether
    that reaches the indicator's `min_criteria` (a criterion listed twice counts once). Built-in group
    reductions only: the reviewer's page computes it for a whole biennium on every load."""
    evidence = evidence[[*CPO_RESULT, "region", "country", "criterion"]].assign(
        criteria_met=rule.criteria_met(evidence, evidence["criterion"]),
        cpo_title=_filled_titles(evidence["cpo_title"]),
    )
    results = evidence.groupby(CPO_RESULT, sort=False).agg(
        region=("region", "first"),
        country=("country", "first"),
        cpo_title=("cpo_title", "first"),
        criteria_met=("criteria_met", "first"),
    )
    results["cpo_title"] = results["cpo_title"].fillna("")
    results.insert(3, "criteria", _criteria_by_result(evidence).reindex(results.index))
    results = results.reset_index()
    results["criteria_met"] = results["criteria_met"].astype("int64")
    results["min_criteria"] = framework.min_criteria(results["indicator"])
    results["reportable"] = rule.is_reportable(results["criteria_met"], results["min_criteria"])
    results["member_state"] = rule.is_member_state(results["cpo_code"])
    return results


def member_state_counts(results: pd.DataFrame) -> pd.DataFrame:
    """Distinct member States with at least one reportable CPO result, per indicator and region.

    Member States are identified by their ISO code (a State with two CPOs counts once) and counted in
    their one ILO region, so the regions always add up to the Total; territories, non-member States and
    regional, sub-regional and global CPOs are never counted."""
    counted = results[rule.is_counted(results["reportable"], results["member_state"])].assign(
        state=lambda r: rule.state_code(r["cpo_code"]), region=lambda r: regions_of(r["state"])
    )
    by_region = counted.groupby(["outcome", "indicator", "region"])["state"].nunique()
    total = counted.groupby(["outcome", "indicator"])["state"].nunique()
    total.index = pd.MultiIndex.from_tuples(
        [(o, i, TOTAL) for o, i in total.index], names=["outcome", "indicator", "region"]
    )
    return pd.concat([by_region, total]).rename("achieved").reset_index()


def indicator_summary(counts: pd.DataFrame, targets: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Target and achieved for every indicator × the five regions, plus a Total row (zero where none).

    The Total target is the sum of the regional targets; it is empty when no region has a target."""
    grid = pd.MultiIndex.from_tuples(
        [(o.id, i.id, r) for o in framework.outcomes for i in o.indicators for r in (*REGIONS, TOTAL)],
        names=["outcome", "indicator", "region"],
    ).to_frame(index=False)
    regional = targets[["outcome", "indicator", "region", "target"]]
    totals = regional.groupby(["outcome", "indicator"], as_index=False)["target"].sum().assign(region=TOTAL)
    all_targets = pd.concat([regional, totals], ignore_index=True)
    summary = grid.merge(counts, on=["outcome", "indicator", "region"], how="left").merge(
        all_targets, on=["outcome", "indicator", "region"], how="left"
    )
    summary["achieved"] = summary["achieved"].fillna(0).astype("int64")
    summary["target"] = summary["target"].astype("Int64")
    summary["biennium"] = framework.biennium
    return summary[SUMMARY_COLUMNS]


def _sources(evidence: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per `keys` group, where its rows come from: `file`, `sheet` and `rows` ("2 3 7"); rows from
    several files or sheets give "; "-separated lists aligned by position. One pass over the sorted
    rows: no frame per group."""
    frame = evidence[keys].copy()
    for column in SOURCE_COLUMNS:
        frame[column] = evidence.get(column, "")
    frame["source_file"] = frame["source_file"].astype("string").fillna("").astype(str)
    frame["source_sheet"] = frame["source_sheet"].astype("string").fillna("").astype(str)
    frame["source_row"] = pd.to_numeric(frame["source_row"], errors="coerce").astype("Int64")
    frame = frame.sort_values([*keys, "source_file", "source_sheet", "source_row"], kind="stable")
    frame["source_row"] = frame["source_row"].astype("string").fillna("")
    rows_by_sheet: dict[tuple[tuple[object, ...], str, str], dict[str, None]] = {}  # distinct, in order
    columns = [*keys, "source_file", "source_sheet", "source_row"]
    for *key, file, sheet, row in zip(*(frame[c].tolist() for c in columns), strict=True):
        rows = rows_by_sheet.setdefault((tuple(key), file, sheet), {})
        if row:
            rows[row] = None
    by_key: dict[tuple[object, ...], tuple[list[str], list[str], list[str]]] = {}
    for (group, file, sheet), rows in rows_by_sheet.items():
        files, sheets, numbers = by_key.setdefault(group, ([], [], []))
        files.append(file)
        sheets.append(sheet)
        numbers.append(" ".join(rows))
    return pd.DataFrame(
        [(*key, "; ".join(f), "; ".join(s), "; ".join(r)) for key, (f, s, r) in by_key.items()],
        columns=[*keys, "file", "sheet", "rows"],
    )


def result_texts(evidence: pd.DataFrame) -> dict[tuple[str, str], str]:
    """The texts of each CPO result (indicator, CPO code): per criterion met, in order, the result
    achieved and the ILO contribution — what a reader of the report sees of it."""
    columns = ["indicator", "cpo_code", "criterion", "result_achieved", "ilo_contribution"]
    if evidence.empty or not set(columns) <= set(evidence.columns):
        return {}
    rows = (
        evidence[columns]
        .astype({"criterion": "int64"})
        .sort_values(
            ["indicator", "cpo_code", "criterion", "result_achieved", "ilo_contribution"], kind="stable"
        )
    )
    texts: dict[tuple[str, str], list[str]] = {}
    for indicator, code, criterion, result, contribution in rows.itertuples(index=False):
        texts.setdefault((str(indicator), str(code)), []).append(
            f"[criterion {criterion}] {'' if pd.isna(result) else result} [ILO] "
            f"{'' if pd.isna(contribution) else contribution}"
        )
    return {key: "\n".join(parts) for key, parts in texts.items()}


def texts_digest(text: str) -> str:
    """A short fingerprint of a result's texts (indicator_evidence.csv `texts`): another digest, another
    text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _not_counted_reason(reportable: bool, member_state: bool, regional: bool, met: int, required: int) -> str:
    reasons = []
    if not member_state:
        reasons.append(REGIONAL_CPO if regional else NOT_A_MEMBER_STATE)
    if not reportable:
        reasons.append(f"fewer criteria than required ({met} of {required})")
    return "; ".join(reasons)


def _rejected_results(rejected: pd.DataFrame, counted_keys: set[tuple[str, str, str]]) -> pd.DataFrame:
    """CPO results whose every row validation set aside: not counted, with the rules' reasons."""
    columns = ["biennium", "outcome", "indicator", "region", "country", "cpo_code", "criterion", "reason"]
    if rejected.empty or not {"indicator", "cpo_code"} <= set(rejected.columns):
        return pd.DataFrame(columns=EVIDENCE_TRAIL_COLUMNS)
    rows = rejected.assign(
        **{c: rejected[c].astype("string").fillna("").str.strip() if c in rejected else "" for c in columns}
    )
    rows = rows[(rows["cpo_code"] != "") & (rows["indicator"] != "")]
    keys = zip(*(rows[k] for k in CPO_RESULT), strict=True)
    rows = rows[[key not in counted_keys for key in keys]]
    if rows.empty:
        return pd.DataFrame(columns=EVIDENCE_TRAIL_COLUMNS)
    grouped = (
        rows.groupby(CPO_RESULT, sort=False)
        .agg(
            biennium=("biennium", "first"),
            region=("region", "first"),
            country=("country", "first"),
            criteria=("criterion", lambda c: ", ".join(sorted(set(c) - {""}, key=lambda x: (len(x), x)))),
            reason=("reason", lambda r: f"{REJECTED}: " + " / ".join(dict.fromkeys(r))),
        )
        .reset_index()
        .merge(_sources(rows, CPO_RESULT), on=CPO_RESULT, how="left")
    )
    return grouped.assign(member_state="", counted=NO, min_criteria="", texts="")[EVIDENCE_TRAIL_COLUMNS]


def indicator_evidence(
    evidence: pd.DataFrame,
    results: pd.DataFrame,
    framework: Framework,
    rejected: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The trail behind every figure: one row per indicator × CPO result (indicator_evidence.csv).

    `counted` is yes exactly for the results `member_state_counts` counts, in the region it counts
    them in, so counting the distinct `member_state` of the counted rows per indicator and region gives
    the indicator summary. A result not counted says why (regional CPO, fewer criteria than required,
    rows rejected by validation); `file`, `sheet`, `rows` locate its evidence rows."""
    digests = {key: texts_digest(text) for key, text in result_texts(evidence).items()}
    trail = results
    if len(results):
        trail = results.merge(_sources(evidence, CPO_RESULT), on=CPO_RESULT, how="left")
    if len(trail):
        state = rule.state_code(trail["cpo_code"])
        counted = rule.is_counted(trail["reportable"], trail["member_state"])
        trail = trail.assign(
            biennium=framework.biennium,
            region=trail["region"].where(~trail["member_state"], regions_of(state)),
            member_state=state.where(trail["member_state"], ""),
            counted=counted.map({True: YES, False: NO}),
            reason=[
                _not_counted_reason(bool(r), bool(m), bool(g), int(n), int(q))
                for r, m, g, n, q in zip(
                    trail["reportable"],
                    trail["member_state"],
                    rule.is_regional(trail["cpo_code"]),
                    trail["criteria_met"],
                    trail["min_criteria"],
                    strict=True,
                )
            ],
            criteria=trail["criteria"].map(lambda c: ", ".join(str(x) for x in c)),
            min_criteria=trail["min_criteria"].astype("int64").astype(str),
            texts=[
                digests.get((str(i), str(c)), "")
                for i, c in zip(trail["indicator"], trail["cpo_code"], strict=True)
            ],
        )[EVIDENCE_TRAIL_COLUMNS]
    else:
        trail = pd.DataFrame(columns=EVIDENCE_TRAIL_COLUMNS)
    counted_keys = set(zip(*(results[k] for k in CPO_RESULT), strict=True)) if len(results) else set()
    if rejected is not None:
        trail = pd.concat([trail, _rejected_results(rejected, counted_keys)], ignore_index=True)
    return _in_report_order(trail.fillna(""), framework)


def _in_report_order(trail: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Indicators in the framework's order, regions in the report's, then CPO code."""
    indicators = {i.id: n for n, i in enumerate(i for o in framework.outcomes for i in o.indicators)}
    regions = {r: n for n, r in enumerate(REGIONS)}
    order = pd.DataFrame(
        {
            "i": trail["indicator"].map(indicators).fillna(len(indicators)),
            "x": trail["indicator"].astype(str),
            "r": trail["region"].map(regions).fillna(len(regions)),
            "y": trail["region"].astype(str),
            "c": trail["cpo_code"].astype(str),
        }
    ).sort_values(["i", "x", "r", "y", "c"], kind="stable")
    return trail.loc[order.index].reset_index(drop=True)[EVIDENCE_TRAIL_COLUMNS].astype(str)


def counted_by_region(trail: pd.DataFrame) -> pd.DataFrame:
    """The figures of an indicator_evidence table: distinct member States of its counted rows per
    outcome, indicator and region, and in total (as member_state_counts gives them)."""
    counted = trail[trail["counted"] == YES]
    by_region = counted.groupby(["outcome", "indicator", "region"])["member_state"].nunique()
    total = counted.groupby(["outcome", "indicator"])["member_state"].nunique()
    total.index = pd.MultiIndex.from_tuples(
        [(o, i, TOTAL) for o, i in total.index], names=["outcome", "indicator", "region"]
    )
    return pd.concat([by_region, total]).rename("achieved").reset_index()


@dataclass(frozen=True)
class Aggregates:
    results: pd.DataFrame
    summary: pd.DataFrame
    evidence: pd.DataFrame | None = None
    """indicator_evidence: every CPO result, counted or not and why, with its evidence rows."""


def aggregate(
    evidence: pd.DataFrame,
    targets: pd.DataFrame,
    framework: Framework,
    rejected: pd.DataFrame | None = None,
) -> Aggregates:
    """Reportable results, the indicator summary (member States vs targets) of clean rows, and the
    trail from each figure to its evidence rows (with the results whose rows were all `rejected`)."""
    results = reportable_results(evidence, framework)
    return Aggregates(
        results,
        indicator_summary(member_state_counts(results), targets, framework),
        indicator_evidence(evidence, results, framework, rejected),
    )
