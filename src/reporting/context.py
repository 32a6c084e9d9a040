"""Report context: everything a template may show, as plain data (dicts, lists, strings, numbers).

Templates get no frames and no objects with behaviour, so a template editor needs to know only the
names documented in templates/README.md."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pandas as pd

from reporting.aggregate import Aggregates
from reporting.ingest import Package
from reporting.settings import REGIONS, TOTAL
from reporting.validate import PackageValidation

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
NO_TARGET = "no target set"


def clean_text(text: object) -> str:
    """Drop control characters that Word cannot hold (docxtpl silently eats or splits on them)."""
    return CONTROL_CHARACTERS.sub("", "" if text is None or text is pd.NA else str(text))


def paragraphs(text: object) -> list[str]:
    """A cell's text as the paragraphs the submitter typed (line breaks separate them)."""
    return [line.strip() for line in clean_text(text).splitlines() if line.strip()]


def _number(value: object) -> str:
    return NO_TARGET if value is None or pd.isna(value) else str(int(value))  # type: ignore[call-overload]


def _summary_rows(summary: pd.DataFrame, outcome_id: str) -> list[dict[str, Any]]:
    rows = []
    mine = summary[summary["outcome"] == outcome_id]
    for indicator_id, part in mine.groupby("indicator", sort=False):
        by_region = {r["region"]: r for r in part.to_dict("records")}
        total = by_region[TOTAL]
        rows.append(
            {
                "indicator": indicator_id,
                "target": _number(total["target"]),
                "achieved": int(total["achieved"]),
                "by_region": {
                    region: {
                        "achieved": int(by_region[region]["achieved"]),
                        "target": _number(by_region[region]["target"]),
                    }
                    for region in REGIONS
                },
            }
        )
    return rows


def _cpo_block(result: dict[Any, Any], rows: pd.DataFrame) -> dict[str, Any]:
    return {
        "code": result["cpo_code"],
        "country": clean_text(result["country"]),
        "title": clean_text(result["cpo_title"]),
        "member_state": bool(result["member_state"]),
        "criteria_met": list(result["criteria"]),
        "criteria": [
            {
                "number": int(row["criterion"]),
                "result": paragraphs(row["result_achieved"]),
                "contribution": paragraphs(row["ilo_contribution"]),
            }
            for row in rows.sort_values("criterion", kind="stable").to_dict("records")
        ],
    }


def report_context(
    package: Package,
    checked: PackageValidation,
    aggregates: Aggregates,
    generated_on: date | None = None,
) -> dict[str, Any]:
    """The whole report as plain data: per outcome a summary table and the results by indicator."""
    framework = package.framework
    evidence = checked.evidence.clean
    results, summary, rejected = aggregates.results, aggregates.summary, checked.rejected
    rows_by_cpo = dict(list(evidence.groupby(["indicator", "cpo_code"], sort=False)))
    outcomes = []
    for outcome in framework.outcomes:
        indicators = []
        for indicator in outcome.indicators:
            mine = results[(results["indicator"] == indicator.id) & results["reportable"]]
            regions = [
                {
                    "name": region,
                    "cpos": [
                        _cpo_block(r, rows_by_cpo[(indicator.id, r["cpo_code"])])
                        for r in mine[mine["region"] == region].to_dict("records")
                    ],
                }
                for region in REGIONS
            ]
            indicators.append(
                {
                    "id": indicator.id,
                    "title": clean_text(indicator.title),
                    "reportability": clean_text(indicator.reportability),
                    "min_criteria": indicator.min_criteria,
                    "criteria": [
                        {"number": c.number, "text": clean_text(c.text)} for c in indicator.criteria
                    ],
                    "regions": [r for r in regions if r["cpos"]],
                }
            )
        not_reportable = results[(results["outcome"] == outcome.id) & ~results["reportable"]]
        outcomes.append(
            {
                "id": outcome.id,
                "title": clean_text(outcome.title),
                "short_title": clean_text(outcome.short_title),
                "statement": clean_text(outcome.statement),
                "summary_rows": _summary_rows(summary, outcome.id),
                "indicators": indicators,
                "not_reportable": [
                    {
                        "indicator": r["indicator"],
                        "code": r["cpo_code"],
                        "country": clean_text(r["country"]),
                        "criteria_met": ", ".join(str(c) for c in r["criteria"]),
                        "min_criteria": int(r["min_criteria"]),
                    }
                    for r in not_reportable.to_dict("records")
                ],
            }
        )
    return {
        "biennium": framework.biennium,
        "generated_on": (generated_on or date.today()).strftime("%d %B %Y").lstrip("0"),
        "regions": list(REGIONS),
        "outcomes": outcomes,
        "rejected": [
            {
                "file": clean_text(r["source_file"]),
                "sheet": clean_text(r["source_sheet"]),
                "row": "" if pd.isna(r["source_row"]) else int(r["source_row"]),
                "reason": clean_text(r["reason"]),
            }
            for r in rejected.to_dict("records")
        ],
    }
