"""The weekly reminder of the review: per region, the results still submitted or returned, oldest
first (a Markdown artifact of the `review-reminder` flow; what a submission or a reviewer wrote is
escaped, `escaping`)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from reporting.escaping import markdown_cell, markdown_text
from reporting.store.review import RETURNED, SUBMITTED


def reminder_markdown(biennium: str, results: pd.DataFrame, now: datetime) -> str:
    """`results` as results_frame gives them: a section per region listing what awaits a decision."""
    waiting = awaiting_decision(results)
    lines = [f"# Review of {markdown_text(biennium)}: {len(waiting)} result(s) awaiting a decision", ""]
    if waiting.empty:
        return "\n".join([*lines, "Every result has been approved."]) + "\n"
    for region, rows in waiting.groupby("region", sort=True):
        lines += [f"## {markdown_cell(region or 'no region')} ({len(rows)})", ""]
        lines += [
            "| since | days | CPO | indicator | country | status | comment |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in rows.itertuples(index=False):
            since = pd.Timestamp(str(r.changed_at))
            since = since.tz_localize("UTC") if since.tzinfo is None else since
            days = (pd.Timestamp(now) - since).days
            cells = [
                since.strftime("%Y-%m-%d"),
                str(days),
                r.cpo_code,
                r.indicator,
                r.country,
                r.status,
                r.comment,
            ]
            lines.append("| " + " | ".join(markdown_cell(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def awaiting_decision(results: pd.DataFrame) -> pd.DataFrame:
    """The results still submitted or returned, oldest first."""
    return results[results["status"].isin([SUBMITTED, RETURNED])].sort_values(["changed_at", "cpo_code"])
