"""What an operator reads after a run: counts vs targets, rows ingested / rejected / not reportable,
the indicator × region table and the validation findings (as Prefect artifacts show them)."""

from __future__ import annotations

import pandas as pd

from reporting.vocabulary import TOTAL


def _cell(value: object) -> str:
    return "–" if value is None or pd.isna(value) else str(value)  # type: ignore[call-overload]


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
        f"# Implementation report {biennium}",
        "",
        f"- Outcomes: **{', '.join(outcomes)}** only" if outcomes else "- Outcomes: **all**",
        f"- Evidence rows ingested: **{rows_ingested}**; rejected by validation: **{rows_rejected}**",
        f"- CPO results: **{len(results)}**, "
        f"of which not reportable: **{int((~results['reportable']).sum())}**",
        f"- Report: `{docx_path}`",
        *(
            [f"- The report had been edited since it was written: kept as `{edited_kept}`"]
            if edited_kept
            else []
        ),
        "",
        "| Outcome | Indicator | Target | Achieved (member States) |",
        "|---|---|---:|---:|",
        *(f"| {r.outcome} | {r.indicator} | {_cell(r.target)} | {r.achieved} |" for r in totals.itertuples()),
    ]
    return "\n".join(lines)


def region_table(summary: pd.DataFrame) -> list[dict[str, object]]:
    """Indicator × region, one row per indicator, for a table artifact."""
    wide = summary.pivot_table(
        index=["outcome", "indicator"], columns="region", values="achieved", sort=False
    ).reset_index()
    return [
        {str(k): (v if isinstance(v, str) else int(v)) for k, v in row.items()}
        for row in wide.to_dict("records")
    ]


def findings_artifact_table(findings: pd.DataFrame) -> dict[str, list[str]]:
    """The findings as columns of text for a table artifact (empty columns when there is none, so the
    table still shows what would be listed)."""
    return {str(c): ["" if pd.isna(v) else str(v) for v in findings[c]] for c in findings.columns}
