"""Report context: everything a template may show, as plain data (dicts, lists, strings, numbers).

Templates get no frames and no objects with behaviour, so a template editor needs to know only the
names documented in templates/README.md. Built in one pass over sorted records (no per-CPO frame
operations): 10,000 evidence rows take a fraction of a second."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

import pandas as pd

from reporting.counting.aggregate import Aggregates, indicator_evidence
from reporting.intake.readers import Package
from reporting.intake.validate import PackageValidation
from reporting.report.markdown_text import markdown_blocks
from reporting.report.narrative import indicator_paragraphs, member_states_text
from reporting.vocabulary import CONTROL_CHARACTERS, EVIDENCE_TYPOLOGIES, OUTPUT_TYPOLOGIES, REGIONS, TOTAL

_CONTROL = re.compile(CONTROL_CHARACTERS)
NO_TARGET = "no target set"
TABLE_BLOCK_ROWS = 1_000
"""Longest table the report holds: LibreOffice and Word lay out long tables super-linearly."""


def word_safe(text: object) -> str:
    """Drop control characters that Word cannot hold (docxtpl silently eats or splits on them)."""
    return _CONTROL.sub("", "" if text is None or text is pd.NA else str(text))


def one_line(text: object) -> str:
    """A value shown on one line (titles, names): line breaks and tabs become spaces."""
    return " ".join(word_safe(text).split())


def paragraphs(text: object) -> list[str]:
    """A cell's text as the paragraphs the submitter typed (line breaks separate them)."""
    return [line.strip() for line in word_safe(text).splitlines() if line.strip()]


def is_yes(value: object) -> bool:
    """Validation spells every yes/no answer `yes` or `no` (or leaves it blank)."""
    return word_safe(value).strip() == "yes"


def _typologies(values: Iterable[object]) -> list[str]:
    """The union of `;`-separated typologies over rows, in the contract's order (case ignored)."""
    named = {t.strip().lower() for v in values for t in word_safe(v).split(";")}
    return [t for t in EVIDENCE_TYPOLOGIES if t.lower() in named]


def _target(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)  # type: ignore[call-overload]


def _against(achieved: int, target: int | None) -> str:
    """A Table 2 cell: "3 (target 2)", or the bare figure when no target is set."""
    return str(achieved) if target is None else f"{achieved} (target {target})"


def _blocks(rows: list[Any], size: int = TABLE_BLOCK_ROWS) -> list[list[Any]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def _records(frame: pd.DataFrame, columns: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Rows as dicts without DataFrame.to_dict's per-row overhead; absent optional columns are ""."""
    names = list(columns)
    values = [frame[c].tolist() if c in frame else [""] * len(frame) for c in names]
    for row in zip(*values, strict=True):
        yield dict(zip(names, row, strict=True))


def _criterion_rows(evidence: pd.DataFrame) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Evidence rows by (indicator, CPO), sorted by criterion (source order kept for equal criteria)."""
    ordered = evidence.sort_values(["indicator", "cpo_code", "criterion"], kind="stable")
    columns = ("indicator", "cpo_code", "criterion", "result_achieved", "ilo_contribution", "typology")
    by_cpo: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in _records(ordered, (*columns, "gender_specific")):
        by_cpo[(row["indicator"], row["cpo_code"])].append(row)
    return by_cpo


def _cpo_block(result: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "code": result["cpo_code"],
        "region": result["region"],
        "country": one_line(result["country"]),
        "title": one_line(result["cpo_title"]),
        "member_state": bool(result["member_state"]),
        "criteria_met": list(result["criteria"]),
        "typologies": _typologies(r["typology"] for r in rows),
        "gender_specific": any(is_yes(r["gender_specific"]) for r in rows),
        "criteria": [
            {
                "number": int(row["criterion"]),
                "result": paragraphs(row["result_achieved"]),
                "contribution": paragraphs(row["ilo_contribution"]),
            }
            for row in rows
        ],
    }


_REGION_KEYS = {
    "Africa": "africa",
    "Americas": "americas",
    "Arab States": "arab",
    "Asia and the Pacific": "asia",
    "Europe and Central Asia": "europe",
    TOTAL: "total",
}


def figure_link(indicator: str, region: str) -> dict[str, str]:
    """Where a figure of Table 2 points in the annex of member States counted: `bookmark` (a Word
    bookmark name: letters, digits, underscores, at most 40) and `anchor` (a Markdown/HTML id)."""
    safe = re.sub(r"[^A-Za-z0-9]+", "_", indicator).strip("_")
    key = _REGION_KEYS.get(region) or re.sub(r"[^A-Za-z0-9]+", "_", region).strip("_").lower()
    bookmark = f"ms_{safe}_{key}"[:40]
    return {"bookmark": bookmark, "anchor": bookmark.replace("_", "-")}


def _counted_annex(indicator: Any, trail: pd.DataFrame, figures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The annex block of one indicator: per region (and in total) the member States counted, each
    with its CPO results, criteria and evidence rows; the counts are Table 2's."""
    counted = trail[(trail["indicator"] == indicator.id) & (trail["counted"] == "yes")]
    rows = list(
        _records(counted, ("region", "member_state", "country", "cpo_code", "criteria", "file", "rows"))
    )

    def states(region: str | None) -> list[dict[str, Any]]:
        return [
            {
                "state": r["member_state"],
                "country": one_line(r["country"]),
                "code": r["cpo_code"],
                "criteria": r["criteria"],
                "evidence": one_line(f"{r['file']} {r['rows']}".strip()),
            }
            for r in sorted(rows, key=lambda r: (one_line(r["country"]), r["cpo_code"]))
            if region is None or r["region"] == region
        ]

    return {
        "id": indicator.id,
        "title": one_line(indicator.title),
        "achieved": int(figures[TOTAL]["achieved"]),
        **figure_link(indicator.id, TOTAL),
        "regions": [
            {
                "name": region,
                "achieved": int(figures[region]["achieved"]),
                "states": states(region),
                **figure_link(indicator.id, region),
            }
            for region in REGIONS
        ],
    }


def _summary_row(
    indicator: Any,
    figures: dict[str, dict[str, Any]],
    cpos: list[dict[str, Any]],
    previous: dict[str, int],
) -> dict[str, Any]:
    """One Table 1 row: target and achieved worded as published, by region, and member States by
    typology; plus the facts the narrative templates word (regions above or below their target)."""
    total = figures[TOTAL]
    target = _target(total["target"])
    by_region = {region: figures[region] for region in REGIONS}
    achieved = {region: int(by_region[region]["achieved"]) for region in REGIONS}
    targets = {region: _target(by_region[region]["target"]) for region in REGIONS}
    member_states = [c for c in cpos if c["member_state"]]
    compared: list[dict[str, Any]] = [
        {"region": region, "achieved": achieved[region], "target": target_of}
        for region in REGIONS
        if (target_of := targets[region]) is not None
    ]
    by_typology = {
        typology: ", ".join(dict.fromkeys(c["country"] for c in member_states if typology in c["typologies"]))
        for typology in EVIDENCE_TYPOLOGIES
    }
    row = {
        "id": indicator.id,
        "indicator": indicator.id,
        "title": one_line(indicator.title),
        "target": target,
        "target_text": (
            NO_TARGET
            if target is None
            else member_states_text(target, [(r, targets[r] or 0) for r in REGIONS])
        ),
        "achieved": int(total["achieved"]),
        "achieved_text": member_states_text(int(total["achieved"]), [(r, achieved[r]) for r in REGIONS]),
        "by_region": {
            region: {
                "achieved": achieved[region],
                "target": NO_TARGET if targets[region] is None else targets[region],
                "text": _against(achieved[region], targets[region]),
                **figure_link(indicator.id, region),
            }
            for region in REGIONS
        },
        "total_text": _against(int(total["achieved"]), target),
        "total": {"text": _against(int(total["achieved"]), target), **figure_link(indicator.id, TOTAL)},
        "by_typology": by_typology,
        "typologies": [{"name": t, "member_states": by_typology[t]} for t in EVIDENCE_TYPOLOGIES],
        "above": [c for c in compared if c["achieved"] > c["target"]],
        "below": [c for c in compared if c["achieved"] < c["target"]],
        "regional_cpos": sum(1 for c in cpos if not c["member_state"]),
        "previous": previous.get(indicator.id),
    }
    return row


def _previous_totals(previous: pd.DataFrame | None) -> tuple[str | None, dict[str, int]]:
    """The earlier biennium's name and its achieved total per indicator (from its indicator summary)."""
    if previous is None or previous.empty:
        return None, {}
    totals = previous[previous["region"] == TOTAL]
    biennium = str(previous["biennium"].iloc[0])
    return biennium, {str(i): int(a) for i, a in zip(totals["indicator"], totals["achieved"], strict=True)}


def _examples(examples: pd.DataFrame, outcome_id: str) -> list[dict[str, Any]]:
    columns = ("outcome", "country", "ilo_contribution", "results", "gender_specific")
    return [
        {
            "country": one_line(r["country"]),
            "contribution": paragraphs(r["ilo_contribution"]),
            "results": paragraphs(r["results"]),
            "gender_specific": is_yes(r["gender_specific"]),
            "mark": "X" if is_yes(r["gender_specific"]) else "",
        }
        for r in _records(examples, columns)
        if str(r["outcome"]).strip() == outcome_id
    ]


def _outputs(outputs: pd.DataFrame, outcome_id: str) -> list[dict[str, Any]]:
    """Table 4: significant outputs grouped by typology (contract order first), numbered throughout."""
    by_typology: dict[str, list[str]] = defaultdict(list)
    for r in _records(outputs, ("outcome", "typology", "text")):
        if str(r["outcome"]).strip() == outcome_id and word_safe(r["text"]).strip():
            by_typology[one_line(r["typology"])].append(word_safe(r["text"]).strip())
    order = [t for t in OUTPUT_TYPOLOGIES if t in by_typology]
    order += [t for t in by_typology if t not in OUTPUT_TYPOLOGIES]
    groups, number = [], 1
    for typology in order:
        items = []
        for text in by_typology[typology]:
            items.append({"number": number, "paragraphs": paragraphs(text)})
            number += 1
        groups.append({"typology": typology, "outputs": items})
    return groups


def _lessons(lessons: dict[str, str], key: str) -> list[dict[str, Any]]:
    return markdown_blocks(lessons.get(key, ""), clean=word_safe)


def report_context(
    package: Package,
    checked: PackageValidation,
    aggregates: Aggregates,
    generated_on: date | None = None,
    *,
    previous: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The whole report as plain data: per outcome the narrative, Table 1, chart data, results by
    indicator, Table 3, lessons, Table 4 and what was left out; `previous` is the indicator summary
    of an earlier biennium (see earlier_biennium.previous_summary) to compare with."""
    framework = package.framework
    results, summary, rejected = aggregates.results, aggregates.summary, checked.rejected
    rows_by_cpo = _criterion_rows(checked.evidence.clean)
    figures: dict[tuple[str, str], dict[str, Any]] = {
        (r["indicator"], r["region"]): r
        for r in _records(summary, ("indicator", "region", "target", "achieved"))
    }
    result_columns = ("indicator", "region", "cpo_code", "country", "cpo_title", "member_state", "criteria")
    reportable = defaultdict(list)
    for r in _records(results[results["reportable"]], result_columns):
        reportable[r["indicator"]].append(_cpo_block(r, rows_by_cpo[(r["indicator"], r["cpo_code"])]))
    previous_biennium, previous_totals = _previous_totals(previous)
    trail = aggregates.evidence
    if trail is None:
        trail = indicator_evidence(checked.evidence.clean, results, framework)

    outcomes = []
    for outcome in framework.outcomes:
        indicators, summary_rows = [], []
        for indicator in outcome.indicators:
            cpos = reportable[indicator.id]
            row = _summary_row(
                indicator, {r: figures[(indicator.id, r)] for r in (*REGIONS, TOTAL)}, cpos, previous_totals
            )
            row["narrative"] = indicator_paragraphs(row, previous_biennium)
            summary_rows.append(row)
            indicators.append(
                {
                    "id": indicator.id,
                    "title": one_line(indicator.title),
                    "reportability": one_line(indicator.reportability),
                    "min_criteria": indicator.min_criteria,
                    "criteria": [{"number": c.number, "text": one_line(c.text)} for c in indicator.criteria],
                    "regions": [
                        {"name": region, "cpos": [c for c in cpos if c["region"] == region]}
                        for region in REGIONS
                        if any(c["region"] == region for c in cpos)
                    ],
                    "cpo_count": len(cpos),
                }
            )
        not_reportable_rows = [
            {
                "indicator": r["indicator"],
                "code": r["cpo_code"],
                "country": one_line(r["country"]),
                "criteria_met": ", ".join(str(c) for c in r["criteria"]),
                "min_criteria": int(r["min_criteria"]),
            }
            for r in _records(
                results[(results["outcome"] == outcome.id) & ~results["reportable"]],
                ("indicator", "cpo_code", "country", "criteria", "min_criteria"),
            )
        ]
        outcomes.append(
            {
                "id": outcome.id,
                "title": one_line(outcome.title),
                "short_title": one_line(outcome.short_title),
                "statement": one_line(outcome.statement),
                "narrative": [p for row in summary_rows for p in row["narrative"]],
                "summary_rows": summary_rows,
                "chart": {
                    "title": f"Outcome {outcome.id}: member States by region, target and achieved",
                    "indicators": [r["id"] for r in summary_rows],
                    "regions": list(REGIONS),
                    "achieved": [[r["by_region"][g]["achieved"] for g in REGIONS] for r in summary_rows],
                    "target": [
                        [_target(figures[(r["id"], g)]["target"]) for g in REGIONS] for r in summary_rows
                    ],
                },
                "comparison": [
                    {
                        "indicator": r["id"],
                        "previous": r["previous"],
                        "current": r["achieved"],
                        "change": f"{r['achieved'] - r['previous']:+d}",
                    }
                    for r in summary_rows
                    if r["previous"] is not None
                ],
                "indicators": indicators,
                "counted": [
                    _counted_annex(i, trail, {r: figures[(i.id, r)] for r in (*REGIONS, TOTAL)})
                    for i in outcome.indicators
                ],
                "examples": _examples(package.examples, outcome.id),
                "lessons": _lessons(package.lessons, outcome.id),
                "outputs": _outputs(package.outputs, outcome.id),
                "not_reportable": not_reportable_rows,
                "not_reportable_blocks": _blocks(not_reportable_rows),
            }
        )
    rejected_rows = [
        {
            "file": one_line(r["source_file"]),
            "sheet": one_line(r["source_sheet"]),
            "row": "" if pd.isna(r["source_row"]) else int(r["source_row"]),
            "reason": one_line(r["reason"]),
        }
        for r in _records(rejected, ("source_file", "source_sheet", "source_row", "reason"))
    ]
    return {
        "biennium": framework.biennium,
        "generated_on": (generated_on or date.today()).strftime("%d %B %Y").lstrip("0"),
        "regions": list(REGIONS),
        "typologies": list(EVIDENCE_TYPOLOGIES),
        "previous_biennium": previous_biennium,
        "outcomes": outcomes,
        "lessons": _lessons(package.lessons, ""),
        "not_reportable_count": sum(len(o["not_reportable"]) for o in outcomes),
        "rejected": rejected_rows,
        "rejected_blocks": _blocks(rejected_rows),
        "build_id": "",  # set by the flow (manifest.build_id), as are the changes since an earlier build
        "build_short": "",
        "changes": None,
    }
