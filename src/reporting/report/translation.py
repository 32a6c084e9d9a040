"""The report's submission texts in the edition's language: which passages a translator is given, the
stored translations put in place of the texts they translate, and what stays untranslated.

A passage is a text as an office submitted it (a result, a contribution, a CPO title, a country example
of the results chain, an output, an outcome's lessons) or a framework text that framework.yaml gives no
translation for. It is known by the sha256 of its text: the translation memory (store.translations)
holds translations by that hash, so a text translated once is translated wherever and whenever it comes
back, and a text an office changed is a new passage. A passage without a translation is printed as
written, and its runs in the .docx say which language it is in (`w:lang`: a screen reader switches
voice, the PDF carries `/Lang`). Offices write in English, French or Spanish: a passage's language is
told by its commonest short words (English when none is found), and a passage already in the edition's
language is not one to translate."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from docx.oxml.ns import qn
from docx.oxml.parser import OxmlElement

from reporting.counting.aggregate import Aggregates
from reporting.framework import SOURCE_LANGUAGE, Framework, Wording, is_translated
from reporting.intake.readers import Package
from reporting.intake.validate import PackageValidation
from reporting.report.accessibility import language_tag
from reporting.report.edition import LANGUAGE_NAMES
from reporting.report.markdown_text import markdown_blocks
from reporting.report.sections.plain import one_line, paragraphs, records, word_safe

UNTRANSLATED = "untranslated"
"""The report context's key: the passages of the edition left in their original language."""
EVIDENCE_TEXTS = {
    "cpo_title": "The title of a country programme outcome (CPO): a heading, keep it short.",
    "result_achieved": "The result a country office reports for a CPO under this indicator.",
    "ilo_contribution": "The ILO's contribution to that result, as the office describes it.",
}
EXAMPLE_TEXTS = {
    "results": "A country example of the results chain (Table 3): the results in the country.",
    "ilo_contribution": "A country example of the results chain (Table 3): the ILO's contribution.",
}
OUTPUT_NOTE = "A significant output of the outcome, listed under its typology."
LESSONS_NOTE = "Lessons learned, in Markdown: keep its marks (*, **, -, 1.) where they are."
FRAMEWORK_NOTE = "A text of the results framework that framework.yaml gives in English only."
STOP_WORDS = {
    language: frozenset(words.split())
    for language, words in {
        "en": "the of and to in for with on by is are was were has have that this from at an",
        "fr": "le la les des du de et pour dans une un sur par est sont avec au aux qui ont été",
        "es": "el la los las del de y para con una un por es son que se al sobre ha han fue",
    }.items()
}
"""Short words that tell the three languages of the submissions apart."""
_WORD = re.compile(r"[^\W\d_]+")
GENERAL_NOTE = (
    "Translate the text as written; keep names, figures, codes and acronyms. Line breaks separate "
    "paragraphs: keep them."
)


def source_text(value: object) -> str:
    """A passage's text as the report prints it (what its hash is taken of)."""
    return word_safe(value).strip()


def source_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def original_language(text: str) -> str:
    """The language a passage is written in: the one most of its short words belong to (English on a
    tie with it, or when it has none)."""
    words = _WORD.findall(text.casefold())
    scores = {language: sum(w in stops for w in words) for language, stops in STOP_WORDS.items()}
    best = max(scores, key=lambda language: scores[language])
    return best if scores[best] > scores[SOURCE_LANGUAGE] else SOURCE_LANGUAGE


@dataclass(frozen=True)
class Passage:
    """A text of the report to translate, with where it first appears (for the translator)."""

    text: str
    column: str
    note: str
    biennium: str
    language: str
    indicator: str = ""
    cpo: str = ""
    outcome: str = ""

    @property
    def key(self) -> str:
        return source_hash(self.text)


def _framework_texts(framework: Framework) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(text, column, where) of each framework text."""
    for outcome in framework.outcomes:
        for column in ("title", "short_title", "statement"):
            yield getattr(outcome, column), f"outcome {column}", {"outcome": outcome.id}
        for indicator in outcome.indicators:
            where = {"outcome": outcome.id, "indicator": indicator.id}
            yield indicator.title, "indicator title", where
            yield indicator.reportability, "indicator reportability", where
            for criterion in indicator.criteria:
                yield criterion.text, f"criterion {criterion.number}", where


def passages(package: Package, evidence: pd.DataFrame, language: str) -> list[Passage]:
    """Every passage of the report to translate into `language` (each text once, where it first
    appears): the texts of `evidence` (the rows the report may show), the country examples, outputs and
    lessons not written in `language`, and the framework's texts without a translation into it."""
    biennium, found = package.framework.biennium, dict[str, Passage]()

    def add(value: object, column: str, note: str, **where: str) -> None:
        text = source_text(value)
        if text and source_hash(text) not in found and (written := original_language(text)) != language:
            found[source_hash(text)] = Passage(
                text, column, f"{note} {GENERAL_NOTE}", biennium, written, **where
            )

    for text, column, where in _framework_texts(package.framework):
        if not is_translated(text, language):
            add(text, column, FRAMEWORK_NOTE, **where)
    for row in records(evidence, ("indicator", "cpo_code", *EVIDENCE_TEXTS)):
        for column, note in EVIDENCE_TEXTS.items():
            add(row[column], column, note, indicator=str(row["indicator"]), cpo=str(row["cpo_code"]))
    for row in records(package.examples, ("outcome", "country", *EXAMPLE_TEXTS)):
        for column, note in EXAMPLE_TEXTS.items():
            add(
                row[column],
                f"example {column}",
                note,
                outcome=str(row["outcome"]),
                cpo=one_line(row["country"]),
            )
    for row in records(package.outputs, ("outcome", "text")):
        add(row["text"], "output", OUTPUT_NOTE, outcome=str(row["outcome"]))
    for outcome, text in package.lessons.items():
        add(text, "lessons", LESSONS_NOTE, outcome=outcome)
    return list(found.values())


def untranslated(found: Iterable[Passage], translations: Mapping[str, str]) -> list[Passage]:
    """The passages with no stored translation (a changed text's old translation does not apply)."""
    return [p for p in found if p.key not in translations]


def reported_evidence(evidence: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    """The evidence rows of the CPO results the report lists (reportable, counted)."""
    if "reportable" not in results:
        return evidence
    listed = results.loc[results["reportable"].astype(bool), ["indicator", "cpo_code"]].drop_duplicates()
    return evidence.merge(listed, on=["indicator", "cpo_code"], how="inner")


# --- the stored translations put in place ----------------------------------------------------------------


def _translated(value: object, translations: Mapping[str, str]) -> object:
    return translations.get(source_hash(source_text(value)), value)


def _frame_in(frame: pd.DataFrame | None, columns: Iterable[str], translations: Mapping[str, str]) -> Any:
    if frame is None or frame.empty:
        return frame
    translated = frame.copy()
    for column in columns:
        if column in translated:
            translated[column] = translated[column].map(lambda v: _translated(v, translations))
    return translated


def _wording_in(text: str, language: str, translations: Mapping[str, str]) -> str:
    """A framework text with the stored translation added where framework.yaml gives none."""
    stored = translations.get(source_hash(source_text(text)))
    if stored is None or is_translated(text, language):
        return text
    known = text.translations if isinstance(text, Wording) else {}
    return Wording(str(text), {**known, language: stored})


def _framework_in(framework: Framework, language: str, translations: Mapping[str, str]) -> Framework:
    def worded(model: Any, *names: str) -> dict[str, str]:
        return {n: _wording_in(getattr(model, n), language, translations) for n in names}

    outcomes = tuple(
        o.model_copy(
            update={
                **worded(o, "title", "short_title", "statement"),
                "indicators": tuple(
                    i.model_copy(
                        update={
                            **worded(i, "title", "reportability"),
                            "criteria": tuple(c.model_copy(update=worded(c, "text")) for c in i.criteria),
                        }
                    )
                    for i in o.indicators
                ),
            }
        )
        for o in framework.outcomes
    )
    return framework.model_copy(update={"outcomes": outcomes})


def in_edition(
    package: Package,
    checked: PackageValidation,
    aggregates: Aggregates,
    language: str,
    translations: Mapping[str, str],
) -> tuple[Package, PackageValidation, Aggregates]:
    """The package, its clean evidence and its counts with every passage that has a stored translation
    into `language` replaced by it (nothing changes for the source language or without translations)."""
    if language == SOURCE_LANGUAGE or not translations:
        return package, checked, aggregates
    evidence_columns = list(EVIDENCE_TEXTS)
    package = dataclasses.replace(
        package,
        framework=_framework_in(package.framework, language, translations),
        examples=_frame_in(package.examples, EXAMPLE_TEXTS, translations),
        outputs=_frame_in(package.outputs, ["text"], translations),
        lessons={k: str(_translated(v, translations)) for k, v in package.lessons.items()},
    )
    clean = _frame_in(checked.evidence.clean, evidence_columns, translations)
    checked = dataclasses.replace(checked, evidence=dataclasses.replace(checked.evidence, clean=clean))
    aggregates = dataclasses.replace(
        aggregates,
        results=_frame_in(aggregates.results, evidence_columns, translations),
        evidence=_frame_in(aggregates.evidence, evidence_columns, translations),
    )
    return package, checked, aggregates


def untranslated_context(left: list[Passage]) -> dict[str, Any]:
    """What the context says of the passages left in their original language: how many, and which in
    each language."""
    by_language: dict[str, list[str]] = {}
    for passage in left:
        by_language.setdefault(passage.language, []).append(passage.text)
    return {"count": len(left), "texts": by_language}


def untranslated_line(count: int, language: str) -> str:
    """One line: how many passages of an edition are not translated."""
    return (
        f"{count} passage(s) of the {LANGUAGE_NAMES[language]} edition have no translation and are printed "
        "in their original language (reporting translation export)"
    )


# --- the .docx: untranslated passages tagged with their language -------------------------------------


def _fragments(texts: Iterable[str]) -> set[str]:
    """The pieces of text the report prints of these passages: the whole text on one line, each of its
    paragraphs, and (lessons being Markdown) each block's text and runs."""
    pieces: set[str] = set()
    for text in texts:
        pieces.add(one_line(text))
        pieces.update(paragraphs(text))
        for block in markdown_blocks(text, clean=word_safe):
            pieces.add(one_line(block["text"]))
            pieces.update(one_line(run["text"]) for run in block["runs"])
    pieces.discard("")
    return pieces


def _set_language(run: Any, tag: str) -> None:
    properties = run.find(qn("w:rPr"))
    if properties is None:
        properties = OxmlElement("w:rPr")
        run.insert(0, properties)
    lang = properties.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        properties.append(lang)
    lang.set(qn("w:val"), tag)


def _run_text(element: Any) -> str:
    return "".join(t.text or "" for t in element.iter(qn("w:t")))


PREFIX_LONGEST = 40
"""A run may start with the template's own words before a passage ("1. ", "Résultat 8 : ")."""


def _passage_run(run: Any, pieces: set[str]) -> Any | None:
    """The run that holds only a passage: `run` itself, or, where the run starts with the template's
    words before the passage, a run split off it for the passage; None when it holds no passage."""
    text = _run_text(run)
    if one_line(text) in pieces:
        return run
    texts = list(run.iter(qn("w:t")))
    if len(texts) != 1:
        return None
    for at in (i + 1 for i, c in enumerate(text[:PREFIX_LONGEST]) if c == " "):
        if one_line(text[at:]) in pieces:
            prefix = copy.deepcopy(run)
            next(prefix.iter(qn("w:t"))).text = text[:at]
            run.addprevious(prefix)
            texts[0].text = text[at:]
            return run
    return None


class UntranslatedPassages:
    """The passages an edition prints in their original language (the context's UNTRANSLATED), to tag
    their runs in the Word body with that language: a screen reader reads them in its voice, and Word
    checks their spelling in it."""

    def __init__(self, context: Mapping[str, Any]) -> None:
        left = context.get(UNTRANSLATED) or {}
        self.count = int(left.get("count") or 0)
        texts: Mapping[str, Iterable[str]] = (left.get("texts") or {}) if self.count else {}
        self._by_language = [(_fragments(texts[written]), language_tag(written)) for written in texts]

    def tag(self, body: Any) -> int:
        """Tag the runs of the passages in the paragraphs under `body` (an lxml element: the body, or one
        holding some of its paragraphs and tables); returns how many runs were tagged."""
        tagged = 0
        for pieces, tag in self._by_language:
            for paragraph in body.iter(qn("w:p")):
                whole = one_line(_run_text(paragraph)) in pieces
                for run in list(paragraph.iter(qn("w:r"))):
                    passage = run if whole else _passage_run(run, pieces)
                    if passage is not None:
                        _set_language(passage, tag)
                        tagged += 1
        return tagged
