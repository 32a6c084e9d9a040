"""The counting rule of the report, as pure functions over frames (no files, no database, no Prefect)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reporting.countries import member_state_codes, regions_of
from reporting.framework import Framework
from reporting.settings import REGIONS, TOTAL

SUMMARY_COLUMNS = ["biennium", "outcome", "indicator", "region", "target", "achieved"]


def _first_filled(values: pd.Series) -> str:
    filled = values[values.astype(str).str.strip() != ""]
    return str(filled.iloc[0]) if len(filled) else ""


def reportable_results(evidence: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """One row per CPO result (outcome, indicator, CPO): the distinct criteria it meets and whether
    that reaches the indicator's `min_criteria` (a criterion listed twice counts once)."""
    thresholds = framework.indicators_frame()
    grouped = evidence.groupby(["outcome", "indicator", "cpo_code"], sort=False)
    results = grouped.agg(
        region=("region", "first"),
        country=("country", "first"),
        cpo_title=("cpo_title", _first_filled),
        criteria=("criterion", lambda c: tuple(sorted(set(int(x) for x in c)))),
    ).reset_index()
    results["criteria_met"] = results["criteria"].map(len).astype("int64")
    results = results.merge(thresholds, on=["outcome", "indicator"], how="left", validate="many_to_one")
    results["reportable"] = results["criteria_met"] >= results["min_criteria"]
    results["member_state"] = results["cpo_code"].str[:3].isin(member_state_codes())
    return results


def member_state_counts(results: pd.DataFrame) -> pd.DataFrame:
    """Distinct member States with at least one reportable CPO result, per indicator and region.

    Member States are identified by their ISO code (a State with two CPOs counts once) and counted in
    their one ILO region, so the regions always add up to the Total; territories, non-member States and
    regional, sub-regional and global CPOs are never counted."""
    counted = results[results["reportable"] & results["member_state"]].assign(
        state=lambda r: r["cpo_code"].str[:3], region=lambda r: regions_of(r["state"])
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


@dataclass(frozen=True)
class Aggregates:
    results: pd.DataFrame
    summary: pd.DataFrame


def aggregate(evidence: pd.DataFrame, targets: pd.DataFrame, framework: Framework) -> Aggregates:
    """Reportable results and the indicator summary (member States vs targets) of clean rows."""
    results = reportable_results(evidence, framework)
    return Aggregates(results, indicator_summary(member_state_counts(results), targets, framework))
