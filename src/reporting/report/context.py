"""Report context: everything a template may show, as plain data (dicts, lists, strings, numbers),
composed of one builder per section (report/sections/).

Templates get no frames and no objects with behaviour, so a template editor needs to know only the
names documented in templates/README.md. The context is in the edition's language (report.edition):
fixed wording, region and typology names, worded counts, the narrative, the date and the framework's
texts (English where it gives none); submission texts are as written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from reporting.counting.aggregate import Aggregates, indicator_evidence
from reporting.framework import Outcome, in_language
from reporting.intake.readers import Package
from reporting.intake.validate import PackageValidation
from reporting.report.edition import DEFAULT_LANGUAGE, Edition, edition
from reporting.report.narrative import indicator_paragraphs
from reporting.report.sections import annex, submitted
from reporting.report.sections.figures import (
    Figures,
    chart,
    comparison,
    figures_by_indicator,
    previous_totals,
    summary_row,
)
from reporting.report.sections.plain import blocks, one_line
from reporting.report.sections.results import CpoBlocks, indicator_results, reportable_cpos
from reporting.store.builds import Published
from reporting.vocabulary import EVIDENCE_TYPOLOGIES, REGIONS


def cover(
    biennium: str, generated_on: date | None, previous: Published | None, words: Edition
) -> dict[str, Any]:
    """The cover and introduction: the edition's language, the biennium, the day, the regions and
    typologies tables use, the earlier biennium compared with and the day its figures were published
    (None: no published figures); the build's id and changes are set by a stored build (pipeline)."""
    published_on = previous.published_on if previous else None
    return {
        "language": words.language,
        "biennium": biennium,
        "generated_on": words.date(generated_on or date.today()),
        "regions": [words.gettext(region) for region in REGIONS],
        "typologies": [words.gettext(typology) for typology in EVIDENCE_TYPOLOGIES],
        "previous_biennium": previous.biennium if previous else None,
        "previous_published_on": published_on and words.date(published_on),
        "build_id": "",
        "build_short": "",
        "changes": None,
    }


@dataclass(frozen=True)
class _Facts:
    """What the outcomes' sections are drawn from, indexed once for the whole report."""

    package: Package
    results: pd.DataFrame
    figures: dict[str, Figures]
    cpos: CpoBlocks
    trail: pd.DataFrame
    previous_biennium: str | None
    previous_totals: dict[str, int]
    words: Edition


def _outcome(outcome: Outcome, facts: _Facts) -> dict[str, Any]:
    """One outcome's part of the report, section by section."""
    figures, cpos, package, words = facts.figures, facts.cpos, facts.package, facts.words
    language = words.language
    rows = [
        summary_row(i, figures[i.id], cpos[i.id], facts.previous_totals, words) for i in outcome.indicators
    ]
    for row in rows:
        row["narrative"] = indicator_paragraphs(row, facts.previous_biennium, language)
    left_out = annex.not_reportable(facts.results, outcome.id)
    return {
        "id": outcome.id,
        "title": one_line(in_language(outcome.title, language)),
        "short_title": one_line(in_language(outcome.short_title, language)),
        "statement": one_line(in_language(outcome.statement, language)),
        "narrative": [p for row in rows for p in row["narrative"]],
        "summary_rows": rows,
        "chart": chart(outcome.id, rows, figures, words),
        "comparison": comparison(rows),
        "indicators": [indicator_results(i, cpos[i.id], words) for i in outcome.indicators],
        "counted": [annex.counted(i, facts.trail, figures[i.id], words) for i in outcome.indicators],
        "examples": submitted.examples(package.examples, outcome.id),
        "lessons": submitted.lessons(package.lessons, outcome.id),
        "outputs": submitted.outputs(package.outputs, outcome.id, words),
        "not_reportable": left_out,
        "not_reportable_blocks": blocks(left_out),
    }


def report_context(
    package: Package,
    checked: PackageValidation,
    aggregates: Aggregates,
    generated_on: date | None = None,
    *,
    previous: Published | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> dict[str, Any]:
    """The whole report as plain data: the cover, per outcome its sections, the package's lessons and
    what was left out; `previous` is an earlier biennium as published (store.builds.earlier_published)
    to compare with; `language` the edition's."""
    framework, results, words = package.framework, aggregates.results, edition(language)
    trail = aggregates.evidence
    if trail is None:
        trail = indicator_evidence(checked.evidence.clean, results, framework)
    previous_biennium, totals = previous_totals(previous.summary if previous else None)
    facts = _Facts(
        package,
        results,
        figures_by_indicator(aggregates.summary),
        reportable_cpos(results, checked.evidence.clean, words),
        trail,
        previous_biennium,
        totals,
        words,
    )
    outcomes = [_outcome(outcome, facts) for outcome in framework.outcomes]
    rejected = annex.rejected(checked.rejected, words)
    return {
        **cover(framework.biennium, generated_on, previous, words),
        "outcomes": outcomes,
        "lessons": submitted.lessons(package.lessons, ""),
        "not_reportable_count": sum(len(o["not_reportable"]) for o in outcomes),
        "rejected": rejected,
        "rejected_blocks": blocks(rejected),
    }
