"""Results by indicator: per region, each reportable CPO result with its criteria, typologies and the
results and ILO contribution as offices wrote them. Built in one pass over sorted records (no per-CPO
frame operations): 10,000 evidence rows take a fraction of a second."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from reporting.counting.typologies import named_typologies
from reporting.framework import Indicator
from reporting.report.country_names import country_in, name_order
from reporting.report.edition import Edition
from reporting.report.sections.plain import framework_text, is_yes, one_line, paragraphs, records
from reporting.vocabulary import REGIONS

CpoBlocks = dict[str, list[dict[str, Any]]]
"""Per indicator, its reportable CPO results (`cpo_block`), in the results' order."""
EXAMPLES_PER_OUTCOME = 3
"""How many CPO results of an outcome the report shows as country examples (`country_examples`); the
companion document "Results by indicator" prints every one in full."""


def _criterion_rows(evidence: pd.DataFrame) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Evidence rows by (indicator, CPO), sorted by criterion (source order kept for equal criteria)."""
    ordered = evidence.sort_values(["indicator", "cpo_code", "criterion"], kind="stable")
    columns = ("indicator", "cpo_code", "criterion", "result_achieved", "ilo_contribution", "typology")
    by_cpo: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in records(ordered, (*columns, "gender_specific")):
        by_cpo[(row["indicator"], row["cpo_code"])].append(row)
    return by_cpo


def cpo_block(result: dict[str, Any], rows: list[dict[str, Any]], words: Edition) -> dict[str, Any]:
    """One CPO result: where, whether a member State, the criteria met, its typologies (`typology_ids`:
    the contract's names, for counting; `typologies`: in the edition's language) and each criterion's
    texts."""
    typologies = named_typologies(r["typology"] for r in rows)
    return {
        "code": result["cpo_code"],
        "region": result["region"],
        "country": country_in(one_line(result["country"]), words.language),
        "title": one_line(result["cpo_title"]),
        "member_state": bool(result["member_state"]),
        "criteria_met": list(result["criteria"]),
        "typology_ids": typologies,
        "typologies": [words.gettext(typology) for typology in typologies],
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


def reportable_cpos(results: pd.DataFrame, evidence: pd.DataFrame, words: Edition) -> CpoBlocks:
    """Every reportable CPO result as a block, by indicator, ordered as the published report lists
    countries: by region in the framework's order, then by name in the edition's language."""
    rows_by_cpo = _criterion_rows(evidence)
    columns = ("indicator", "region", "cpo_code", "country", "cpo_title", "member_state", "criteria")
    reportable: CpoBlocks = defaultdict(list)
    for r in records(results[results["reportable"]], columns):
        reportable[r["indicator"]].append(cpo_block(r, rows_by_cpo[(r["indicator"], r["cpo_code"])], words))
    for cpos in reportable.values():
        cpos.sort(key=country_order)
    return reportable


def country_order(cpo: dict[str, Any]) -> tuple[int, str, str]:
    """Region in the framework's order, then the country's name as the edition writes it, then the CPO."""
    region = REGIONS.index(cpo["region"]) if cpo["region"] in REGIONS else len(REGIONS)
    return region, name_order(cpo["country"]), cpo["code"]


def country_examples(
    indicators: list[tuple[str, list[dict[str, Any]]]], count: int = EXAMPLES_PER_OUTCOME
) -> list[dict[str, Any]]:
    """The country examples of an outcome, given its indicators' CPO results, the same in every
    edition: each indicator in turn (the framework's order, round again while fewer than `count`)
    gives its member-State result meeting the most criteria (ties: the lower CPO code) in a region no
    example comes from yet. Each shows its first criterion met (`criterion`: number, result,
    contribution); the CPO block (`cpo`) is the one listed in the companion. By indicator, then in
    the report's order of countries."""
    ranked = [
        (
            indicator,
            sorted(
                (c for c in cpos if c["member_state"]), key=lambda c: (-len(c["criteria_met"]), c["code"])
            ),
        )
        for indicator, cpos in indicators
    ]
    chosen: list[dict[str, Any]] = []
    while len(chosen) < count:
        regions = {example["cpo"]["region"] for example in chosen}
        before = len(chosen)
        for indicator, cpos in ranked:
            found = next((c for c in cpos if c["region"] not in regions and c["criteria"]), None)
            if found is not None and len(chosen) < count:
                chosen.append({"indicator": indicator, "cpo": found, "criterion": found["criteria"][0]})
                regions.add(found["region"])
        if len(chosen) == before:
            break
    order = [indicator for indicator, _ in indicators]
    return sorted(chosen, key=lambda e: (order.index(e["indicator"]), country_order(e["cpo"])))


def by_region(cpos: list[dict[str, Any]], words: Edition) -> list[dict[str, Any]]:
    """CPO results under their region's name, in the framework's order (regions without any left out)."""
    return [
        {"name": words.gettext(region), "cpos": [c for c in cpos if c["region"] == region]}
        for region in REGIONS
        if any(c["region"] == region for c in cpos)
    ]


def indicator_results(indicator: Indicator, cpos: list[dict[str, Any]], words: Edition) -> dict[str, Any]:
    """One indicator of "results by indicator": its reportability rule and criteria, and its CPO
    results by region (regions without any left out)."""
    return {
        "id": indicator.id,
        "title": framework_text(indicator.title, words),
        "reportability": framework_text(indicator.reportability, words),
        "min_criteria": indicator.min_criteria,
        "criteria": [{"number": c.number, "text": framework_text(c.text, words)} for c in indicator.criteria],
        "regions": by_region(cpos, words),
        "cpo_count": len(cpos),
    }


def examples_note(examples: list[dict[str, Any]], results: int, words: Edition) -> str:
    """What the country examples of an outcome are, and where the others are."""
    if not examples:
        return ""
    note = words.gettext(
        "%(shown)s of the %(num)s reportable CPO results of this outcome, each with the texts of its first "
        "criterion met; every result, with every criterion met, is in the companion document “Results by "
        "indicator”."
    )
    return note % {"shown": words.number(len(examples)), "num": words.number(results)}
