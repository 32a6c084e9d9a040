"""The figures of an outcome: Table 1 (target and achieved by region, member States by typology),
Table 2's cells and where each points in the annex, the chart's data and the comparison with the
earlier biennium."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from reporting.counting.typologies import member_states_by_typology
from reporting.framework import Indicator
from reporting.report.edition import N_, Edition
from reporting.report.narrative import member_states_text
from reporting.report.sections.plain import framework_text, records
from reporting.vocabulary import EVIDENCE_TYPOLOGIES, REGIONS, TOTAL

NO_TARGET = N_("no target set")
TYPOLOGY_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Results"), EVIDENCE_TYPOLOGIES[:3]),
    (N_("Capacity development"), EVIDENCE_TYPOLOGIES[3:]),
)
"""Table 1's group headers over the typologies, as the published table has them."""

Figures = dict[str, dict[str, Any]]
"""One indicator's figures by region (and Total): the indicator summary's row (`target`, `achieved`)."""

_REGION_KEYS = {
    "Africa": "africa",
    "Americas": "americas",
    "Arab States": "arab",
    "Asia and the Pacific": "asia",
    "Europe and Central Asia": "europe",
    TOTAL: "total",
}


def figures_by_indicator(summary: pd.DataFrame) -> dict[str, Figures]:
    """The indicator summary as indicator → region → figures."""
    figures: dict[str, Figures] = {}
    for r in records(summary, ("indicator", "region", "target", "achieved")):
        figures.setdefault(r["indicator"], {})[r["region"]] = r
    return figures


def target(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)  # type: ignore[call-overload]


def _against(achieved: int, target_of: int | None, words: Edition) -> str:
    """A Table 2 cell: "3 (target 2)", or the bare figure when no target is set."""
    if target_of is None:
        return words.number(achieved)
    against = words.gettext("%(achieved)s (target %(target)s)")
    return against % {"achieved": words.number(achieved), "target": words.number(target_of)}


NO_LINK = {"bookmark": "", "anchor": ""}
"""A region's figure of none: the report's annex has no entry for it, so Table 2 does not link it."""


def figure_link(indicator: str, region: str) -> dict[str, str]:
    """Where a figure of Table 2 points in the annex of member States counted: `bookmark` (a Word
    bookmark name: letters, digits, underscores, at most 40) and `anchor` (a Markdown/HTML id)."""
    safe = re.sub(r"[^A-Za-z0-9]+", "_", indicator).strip("_")
    key = _REGION_KEYS.get(region) or re.sub(r"[^A-Za-z0-9]+", "_", region).strip("_").lower()
    bookmark = f"ms_{safe}_{key}"[:40]
    return {"bookmark": bookmark, "anchor": bookmark.replace("_", "-")}


def summary_row(
    indicator: Indicator,
    figures: Figures,
    cpos: list[dict[str, Any]],
    previous: dict[str, int],
    words: Edition,
) -> dict[str, Any]:
    """One Table 1 row: target and achieved worded as published, by region, and member States by
    typology; plus the facts the narrative templates word (regions above or below their target). Region
    and typology names (also as keys) in the edition's language; the links keep the contract's names."""
    total = figures[TOTAL]
    target_total = target(total["target"])
    achieved = {region: int(figures[region]["achieved"]) for region in REGIONS}
    targets = {region: target(figures[region]["target"]) for region in REGIONS}
    member_states = [c for c in cpos if c["member_state"]]
    name = {region: words.gettext(region) for region in REGIONS}
    compared: list[dict[str, Any]] = [
        {"region": name[region], "achieved": achieved[region], "target": target_of}
        for region in REGIONS
        if (target_of := targets[region]) is not None
    ]
    counted = member_states_by_typology((c["country"], c["typology_ids"]) for c in member_states)
    by_typology = {words.gettext(typology): ", ".join(states) for typology, states in counted.items()}
    no_target = words.gettext(NO_TARGET)
    return {
        "id": indicator.id,
        "indicator": indicator.id,
        "title": framework_text(indicator.title, words),
        "target": target_total,
        "target_text": (
            no_target
            if target_total is None
            else member_states_text(
                target_total, [(name[r], targets[r] or 0) for r in REGIONS], words.language
            )
        ),
        "achieved": int(total["achieved"]),
        "achieved_text": member_states_text(
            int(total["achieved"]), [(name[r], achieved[r]) for r in REGIONS], words.language
        ),
        "by_region": {
            name[region]: {
                "achieved": achieved[region],
                "target": no_target if targets[region] is None else targets[region],
                "text": _against(achieved[region], targets[region], words),
                **(figure_link(indicator.id, region) if achieved[region] else NO_LINK),
            }
            for region in REGIONS
        },
        "total_text": _against(int(total["achieved"]), target_total, words),
        "total": {
            "text": _against(int(total["achieved"]), target_total, words),
            **figure_link(indicator.id, TOTAL),
        },
        "by_typology": by_typology,
        "typologies": [{"name": name, "member_states": states} for name, states in by_typology.items()],
        "above": [c for c in compared if c["achieved"] > c["target"]],
        "below": [c for c in compared if c["achieved"] < c["target"]],
        "regional_cpos": sum(1 for c in cpos if not c["member_state"]),
        "previous": previous.get(indicator.id),
    }


def chart(
    outcome_id: str, rows: list[dict[str, Any]], figures: dict[str, Figures], words: Edition
) -> dict[str, Any]:
    """The outcome's chart: member States achieved and targeted, per indicator and region, its
    labels in the edition's language."""
    regions = [words.gettext(region) for region in REGIONS]
    title = words.gettext("Outcome %(id)s: member States by region, target and achieved")
    return {
        "language": words.language,
        "title": title % {"id": outcome_id},
        "indicators": [r["id"] for r in rows],
        "regions": regions,
        "achieved": [[r["by_region"][g]["achieved"] for g in regions] for r in rows],
        "target": [[target(figures[r["id"]][g]["target"]) for g in REGIONS] for r in rows],
    }


def previous_totals(previous: pd.DataFrame | None) -> tuple[str | None, dict[str, int]]:
    """The earlier biennium's name and its achieved total per indicator (from its indicator summary)."""
    if previous is None or previous.empty:
        return None, {}
    totals = previous[previous["region"] == TOTAL]
    biennium = str(previous["biennium"].iloc[0])
    return biennium, {str(i): int(a) for i, a in zip(totals["indicator"], totals["achieved"], strict=True)}


def comparison(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each indicator's total against the earlier biennium's, where that one reported it."""
    return [
        {
            "indicator": r["id"],
            "previous": r["previous"],
            "current": r["achieved"],
            "change": f"{r['achieved'] - r['previous']:+d}",
        }
        for r in rows
        if r["previous"] is not None
    ]
