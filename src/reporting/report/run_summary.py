"""What an operator reads after a run: counts vs targets, rows ingested / rejected / not reportable,
the indicator × region table and the validation findings (as Prefect artifacts show them).

The Prefect UI reads every cell and text of an artifact as Markdown: everything here that is not the
program's own wording goes through `escaping` (a finding quotes the submitted value)."""

from __future__ import annotations

import pandas as pd

from reporting.escaping import markdown_cell, markdown_text
from reporting.vocabulary import TOTAL


def _cell(value: object) -> str:
    return "–" if value is None or pd.isna(value) else markdown_cell(value)  # type: ignore[call-overload]


def run_summary_markdown(
    biennium: str,
    summary: pd.DataFrame,
    results: pd.DataFrame,
    rows_ingested: int,
    rows_rejected: int,
    docx_path: str,
    outcomes: list[str] | None = None,
    edited_kept: str | None = None,
) -> str:
    """Counts vs targets per indicator (Total row), and what happened to the rows read."""
    totals = summary[summary["region"] == TOTAL]
    lines = [
        f"# Implementation report {markdown_text(biennium)}",
        "",
        f"- Outcomes: **{markdown_text(', '.join(outcomes))}** only" if outcomes else "- Outcomes: **all**",
        f"- Evidence rows ingested: **{rows_ingested}**; rejected by validation: **{rows_rejected}**",
        f"- CPO results: **{len(results)}**, "
        f"of which not reportable: **{int((~results['reportable']).sum())}**",
        f"- Report: {markdown_text(docx_path)}",
        *(
            [f"- The report had been edited since it was written: kept as {markdown_text(edited_kept)}"]
            if edited_kept
            else []
        ),
        "",
        "| Outcome | Indicator | Target | Achieved (member States) |",
        "|---|---|---:|---:|",
        *(
            f"| {_cell(r.outcome)} | {_cell(r.indicator)} | {_cell(r.target)} | {_cell(r.achieved)} |"
            for r in totals.itertuples()
        ),
    ]
    return "\n".join(lines)


def region_table(summary: pd.DataFrame) -> list[dict[str, object]]:
    """Indicator × region, one row per indicator, for a table artifact (text escaped, counts as they are)."""
    wide = summary.pivot_table(
        index=["outcome", "indicator"], columns="region", values="achieved", sort=False
    ).reset_index()
    return [
        {markdown_cell(k): (markdown_cell(v) if isinstance(v, str) else int(v)) for k, v in row.items()}
        for row in wide.to_dict("records")
    ]


def findings_artifact_table(findings: pd.DataFrame) -> dict[str, list[str]]:
    """The findings as columns of escaped text for a table artifact (empty columns when there is none,
    so the table still shows what would be listed)."""
    return {
        markdown_cell(c): ["" if pd.isna(v) else markdown_cell(v) for v in findings[c]]
        for c in findings.columns
    }
