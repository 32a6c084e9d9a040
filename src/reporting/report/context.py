"""Report context: everything a template may show, as plain data (dicts, lists, strings, numbers),
composed of one builder per section (report/sections/).

Templates get no frames and no objects with behaviour, so a template editor needs to know only the
names documented in templates/README.md. The context is in the edition's language (report.edition):
fixed wording, region and typology names, worded counts, the narrative, the date and the framework's
texts (English where it gives none); submission texts are as written."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from reporting.counting.aggregate import Aggregates, indicator_evidence
from reporting.framework import Outcome
from reporting.intake.readers import Package
from reporting.intake.validate import PackageValidation
from reporting.report.edition import DEFAULT_LANGUAGE, N_, Edition, edition
from reporting.report.narrative import indicator_paragraphs
from reporting.report.sections import annex, submitted
from reporting.report.sections.figures import (
    TYPOLOGY_GROUPS,
    Figures,
    chart,
    comparison,
    figures_by_indicator,
    previous_totals,
    summary_row,
)
from reporting.report.sections.plain import blocks, framework_text
from reporting.report.sections.results import (
    CpoBlocks,
    country_examples,
    examples_note,
    indicator_results,
    reportable_cpos,
)
from reporting.store.builds import Published
from reporting.vocabulary import EVIDENCE_TYPOLOGIES, REGIONS

log = logging.getLogger(__name__)


ORGANISATION = N_("International Labour Office")
"""Who publishes the report: on its cover, in the edition's language."""


def cover(
    biennium: str,
    generated_on: date | None,
    previous: Published | None,
    words: Edition,
    publication_date: date | None = None,
) -> dict[str, Any]:
    """The cover and introduction: the organisation, the edition's language, the biennium, the date of
    publication (the build's day unless given), the regions and typologies tables use, the earlier
    biennium compared with and the day its figures were published (None: no published figures); the
    build's id and changes are set by a stored build (pipeline) and go to the document's properties,
    with the build's day, not to its cover."""
    built_on = generated_on or date.today()
    published_on = previous.published_on if previous else None
    return {
        "organisation": words.gettext(ORGANISATION),
        "language": words.language,
        "biennium": biennium,
        "generated_on": words.date(built_on),
        "publication_date": words.date(publication_date or built_on),
        "regions": [words.gettext(region) for region in REGIONS],
        "typologies": [words.gettext(typology) for typology in EVIDENCE_TYPOLOGIES],
        "typology_groups": [
            {"name": words.gettext(group), "typologies": [words.gettext(t) for t in typologies]}
            for group, typologies in TYPOLOGY_GROUPS
        ],
        "previous_biennium": previous.biennium if previous else None,
        "previous_published_on": published_on and words.date(published_on),
        "build_id": "",
        "build_short": "",
        "changes": None,
    }


_SUBMITTED_SECTIONS = {
    "examples": "Table 3 (country examples)",
    "lessons": "lessons learned",
    "outputs": "Table 4 (significant outputs)",
}


def empty_sections(outcomes: list[dict[str, Any]]) -> list[str]:
    """The sections of submitted texts left out of the report because nothing was submitted for them,
    for the operator (build log, run summary): "outcome 7: lessons learned"."""
    return [
        f"outcome {o['id']}: {name}"
        for o in outcomes
        for key, name in _SUBMITTED_SECTIONS.items()
        if not o[key]
    ]


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
    left_out = annex.not_reportable(facts.results, outcome.id, words)
    drawn = chart(outcome.id, rows, figures, words)
    examples = country_examples([(i.id, cpos[i.id]) for i in outcome.indicators])
    return {
        "id": outcome.id,
        "title": framework_text(outcome.title, words),
        "short_title": framework_text(outcome.short_title, words),
        "statement": framework_text(outcome.statement, words),
        "narrative": [p for row in rows for p in row["narrative"]],
        "summary_rows": rows,
        "chart": drawn,
        "has_targets": any(t is not None for targets in drawn["target"] for t in targets),
        "has_typologies": any(states for row in rows for states in row["by_typology"].values()),
        "comparison": comparison(rows),
        "indicators": [indicator_results(i, cpos[i.id], words) for i in outcome.indicators],
        "country_examples": examples,
        "examples_note": examples_note(examples, sum(len(cpos[i.id]) for i in outcome.indicators), words),
        "counted": [annex.counted(i, facts.trail, figures[i.id], words) for i in outcome.indicators],
        "examples": submitted.examples(package.examples, outcome.id, words),
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
    publication_date: date | None = None,
) -> dict[str, Any]:
    """The whole report as plain data: the cover, per outcome its sections, the package's lessons and
    what was left out; `previous` is an earlier biennium as published (store.builds.earlier_published)
    to compare with; `language` the edition's; `publication_date` the cover's date (default: the
    build's). A section nothing was submitted for is left out of the report and named in
    `empty_sections` (and the log), never a placeholder."""
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
    lessons = submitted.lessons(package.lessons, "")
    if len(outcomes) == 1:  # a package of one outcome: its lessons are that outcome's, as published
        outcomes[0]["lessons"] = [*outcomes[0]["lessons"], *lessons]
        lessons = []
    rejected = annex.rejected(checked.rejected, words)
    left_out = empty_sections(outcomes)
    if left_out:
        log.info("left out of the report, nothing was submitted for them: %s", "; ".join(left_out))
    return {
        **cover(framework.biennium, generated_on, previous, words, publication_date),
        "outcomes": outcomes,
        "empty_sections": left_out,
        "lessons": lessons,
        "not_reportable_count": sum(len(o["not_reportable"]) for o in outcomes),
        "rejected": rejected,
        "rejected_blocks": blocks(rejected),
    }
