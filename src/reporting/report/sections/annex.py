"""The annexes: the member States counted behind each figure of Table 2 (in the main report by name
and CPO, `listed`; in the audit companion with the files and rows of their evidence, `states`), the CPO
results that are not reportable, and the rows validation set aside — so that every row sent is
accounted for."""

from __future__ import annotations

from typing import Any

import pandas as pd

from reporting.framework import Indicator
from reporting.report.country_names import country_in, name_order
from reporting.report.edition import Edition
from reporting.report.sections.figures import Figures, figure_link
from reporting.report.sections.plain import framework_text, one_line, records
from reporting.schemas.rules import reason_of
from reporting.vocabulary import REGIONS, TOTAL


def counted(indicator: Indicator, trail: pd.DataFrame, figures: Figures, words: Edition) -> dict[str, Any]:
    """The annex block of one indicator: per region (and in total) the member States counted, each
    with its CPO results, criteria and evidence rows (`states`), and as one line of countries and CPO
    codes without the package's files (`listed`); the counts are Table 2's."""
    rows = list(
        records(
            trail[(trail["indicator"] == indicator.id) & (trail["counted"] == "yes")],
            ("region", "member_state", "country", "cpo_code", "criteria", "file", "rows"),
        )
    )

    def states(region: str | None) -> list[dict[str, Any]]:
        listed = [
            {
                "state": r["member_state"],
                "country": country_in(one_line(r["country"]), words.language),
                "code": r["cpo_code"],
                "criteria": r["criteria"],
                "evidence": one_line(f"{r['file']} {r['rows']}".strip()),
            }
            for r in rows
            if region is None or r["region"] == region
        ]
        return sorted(listed, key=lambda s: (name_order(s["country"]), s["code"]))

    return {
        "id": indicator.id,
        "title": framework_text(indicator.title, words),
        "achieved": int(figures[TOTAL]["achieved"]),
        **figure_link(indicator.id, TOTAL),
        "regions": [
            {
                "name": words.gettext(region),
                "achieved": int(figures[region]["achieved"]),
                "states": (counted_in := states(region)),
                "listed": listed(counted_in),
                **figure_link(indicator.id, region),
            }
            for region in REGIONS
        ],
    }


def listed(states: list[dict[str, Any]]) -> str:
    """The member States counted as the main report's annex lists them, as the results name a CPO:
    "Kenya/KEN102, KEN105; Tunisia/TUN129" — each country once, in the given order, with its CPO codes
    (no punctuation that a language spaces differently, no parentheses that a name may hold)."""
    codes: dict[str, list[str]] = {}
    for state in states:
        codes.setdefault(state["country"], []).append(state["code"])
    return "; ".join(f"{country}/{', '.join(cpos)}" for country, cpos in codes.items())


def not_reportable(results: pd.DataFrame, outcome_id: str, words: Edition) -> list[dict[str, Any]]:
    """The outcome's CPO results that meet too few criteria to be reported, with what they meet."""
    return [
        {
            "indicator": r["indicator"],
            "code": r["cpo_code"],
            "country": country_in(one_line(r["country"]), words.language),
            "criteria_met": ", ".join(str(c) for c in r["criteria"]),
            "min_criteria": int(r["min_criteria"]),
        }
        for r in records(
            results[(results["outcome"] == outcome_id) & ~results["reportable"]],
            ("indicator", "cpo_code", "country", "criteria", "min_criteria"),
        )
    ]


def rejected(frame: pd.DataFrame, words: Edition) -> list[dict[str, Any]]:
    """Every row validation set aside: where it was sent and why it is not used, in the edition's words."""
    return [
        {
            "file": one_line(r["source_file"]),
            "sheet": one_line(r["source_sheet"]),
            "row": "" if pd.isna(r["source_row"]) else int(r["source_row"]),
            "reason": one_line(reason_of(r["rules"], words.gettext)),
        }
        for r in records(frame, ("source_file", "source_sheet", "source_row", "rules"))
    ]
