"""`reporting explain`: which results make up a figure, and why a CPO result is or is not counted,
from what the store holds for a biennium (read by the caller: store.in_force), with the same counting
rule as the report (aggregate.indicator_evidence)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reporting.counting.aggregate import aggregate
from reporting.framework import Framework
from reporting.vocabulary import REGIONS, TOTAL


@dataclass(frozen=True)
class StoredTrail:
    framework: Framework
    summary: pd.DataFrame
    trail: pd.DataFrame


def stored_trail(
    framework: Framework, evidence: pd.DataFrame, targets: pd.DataFrame, rejected: pd.DataFrame
) -> StoredTrail:
    """The indicator summary and evidence trail of the rows in force of a biennium."""
    aggregates = aggregate(evidence, targets, framework, rejected)
    assert aggregates.evidence is not None
    return StoredTrail(framework, aggregates.summary, aggregates.evidence)


def _where(row: pd.Series) -> str:
    """`file[:sheet] rows 2 3 7` (several files or sheets: each in turn)."""
    files, sheets, rows = (str(row[c]).split("; ") for c in ("file", "sheet", "rows"))
    parts = [
        f"{f}{':' + s if s else ''} row{'s' if len(r.split()) > 1 else ''} {r}"
        for f, s, r in zip(files, sheets, rows, strict=False)
        if f
    ]
    return "; ".join(parts) or "no file recorded"


def result_line(row: pd.Series) -> str:
    """One CPO result on one line: country/code, criteria, counted or why not, where its rows are."""
    counted = "counted" if row["counted"] == "yes" else f"not counted: {row['reason']}"
    return (
        f"{row['country']}/{row['cpo_code']}  criteria {row['criteria'] or '-'}  {counted}  [{_where(row)}]"
    )


def figure_lines(stored: StoredTrail, indicator: str, region: str | None) -> list[str]:
    """The figure of INDICATOR (in REGION, else in every region and the Total), the member States and
    CPO results behind it, then the results of that indicator that are not counted and why."""
    summary = stored.summary[stored.summary["indicator"] == indicator]
    trail = stored.trail[stored.trail["indicator"] == indicator]
    regions = [region] if region else [*REGIONS, TOTAL]
    lines: list[str] = []
    for name in regions:
        figure = summary[summary["region"] == name]
        achieved = int(figure["achieved"].iloc[0]) if len(figure) else 0
        target = figure["target"].iloc[0] if len(figure) else None
        against = "" if target is None or pd.isna(target) else f" (target {int(target)})"
        lines.append(f"{stored.framework.biennium} indicator {indicator}, {name}: {achieved}{against}")
        here = trail if name == TOTAL else trail[trail["region"] == name]
        counted = here[here["counted"] == "yes"]
        for state, results in counted.groupby("member_state", sort=True):
            for _, row in results.iterrows():
                lines.append(f"  {state}  {result_line(row)}")
        if name != TOTAL or region:
            for _, row in here[here["counted"] != "yes"].iterrows():
                lines.append(f"  -    {result_line(row)}")
    return lines


def cpo_lines(stored: StoredTrail, code: str) -> list[str]:
    """Every result of CPO `code` (one per indicator): counted or not and why, its criteria against
    those required, and where its evidence rows are."""
    trail = stored.trail[stored.trail["cpo_code"].str.upper() == code.strip().upper()]
    lines = []
    for _, row in trail.iterrows():
        met = len(str(row["criteria"]).split(", ")) if row["criteria"] else 0
        required = f" ({met} met, {row['min_criteria']} required)" if row["min_criteria"] else ""
        verdict = (
            f"counted in {row['region']} (member State {row['member_state']})"
            if row["counted"] == "yes"
            else f"not counted: {row['reason']}"
        )
        lines.append(
            f"{stored.framework.biennium} indicator {row['indicator']}: {row['country']}/{row['cpo_code']} "
            f"criteria {row['criteria'] or '-'}{required}; {verdict} [{_where(row)}]"
        )
    return lines
