"""What offices wrote beyond the evidence rows: significant outputs (by typology), country examples
and lessons learned, per outcome."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from reporting.report.country_names import country_in
from reporting.report.edition import Edition
from reporting.report.markdown_text import markdown_blocks
from reporting.report.sections.plain import is_yes, one_line, paragraphs, records, word_safe
from reporting.vocabulary import OUTPUT_TYPOLOGIES


def outputs(frame: pd.DataFrame, outcome_id: str, words: Edition) -> list[dict[str, Any]]:
    """Significant outputs grouped by typology (contract order first, named in the edition's language;
    another typology as submitted), numbered throughout."""
    by_typology: dict[str, list[str]] = defaultdict(list)
    for r in records(frame, ("outcome", "typology", "text")):
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
        shown = words.gettext(typology) if typology in OUTPUT_TYPOLOGIES else typology
        groups.append({"typology": shown, "outputs": items})
    return groups


def examples(frame: pd.DataFrame, outcome_id: str, words: Edition) -> list[dict[str, Any]]:
    """Country examples: the ILO's contribution and the results, marked when gender-specific (an "X",
    as the published table marks it)."""
    columns = ("outcome", "country", "ilo_contribution", "results", "gender_specific")
    return [
        {
            "country": country_in(one_line(r["country"]), words.language),
            "contribution": paragraphs(r["ilo_contribution"]),
            "results": paragraphs(r["results"]),
            "gender_specific": is_yes(r["gender_specific"]),
            "mark": "X" if is_yes(r["gender_specific"]) else "",
        }
        for r in records(frame, columns)
        if str(r["outcome"]).strip() == outcome_id
    ]


def lessons(texts: dict[str, str], outcome_id: str) -> list[dict[str, Any]]:
    """The lessons of an outcome ("" for the whole package) as Markdown blocks."""
    return markdown_blocks(texts.get(outcome_id, ""), clean=word_safe)
