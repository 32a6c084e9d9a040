"""Render the report context: the Word documents from a docxtpl template, the same content as Markdown
(report.md, for review and diffs), one chart per outcome, and the summary CSV.

An edition is three documents, rendered one after the other from the same template and context (the
context's `document` says which one the template writes): the report itself (summaries, tables, charts,
a few country examples per indicator, the member States counted), the companion "results by indicator"
(every reportable CPO result in full) and the audit companion (the files, sheets and rows behind each
figure, the results not reportable, the rows set aside). No file name of the package is in the report."""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from docx.shared import Cm
from docxtpl import RichText
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from reporting.errors import OutputError, is_permanent, output_error
from reporting.escaping import csv_text
from reporting.outputs import remove_partial_files, scratch_file, write_text, written_in_place
from reporting.report.accessibility import DescribedImage, chart_description
from reporting.report.chart import PRINT_WIDTH_CM, draw_chart
from reporting.report.draft import draft_ending, draft_markdown, watermark
from reporting.report.edition import DEFAULT_LANGUAGE, N_, edition
from reporting.report.markdown_text import Block, blocks_markdown
from reporting.report.narrative import text_environment
from reporting.report.translation import UntranslatedPassages
from reporting.report.word_template import ReportTemplate, newline_runs_whole, pieces
from reporting.vocabulary import CONTROL_CHARACTERS

log = logging.getLogger(__name__)

MARKDOWN_TEMPLATE = "report.md.j2"
EVIDENCE_CSV = "indicator_evidence.csv"
REPORT, RESULTS, AUDIT = "report", "results", "audit"
SUBTITLES = {
    REPORT: N_("Results by outcome and indicator"),
    RESULTS: N_("Results by indicator: every reportable CPO result (companion document)"),
    AUDIT: N_("Audit companion: the submission's files and rows behind the figures"),
}
"""The documents of an edition (the context's `document`) and the subtitle of each one's cover."""
CHART_WIDTH = Cm(PRINT_WIDTH_CM)
_BLANK_LINES = re.compile(r"\n{3,}")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!~$^])")
_LINE_START_MARKER = re.compile(r"^(\s*)([-+]|\d+[.)])(\s)", re.MULTILINE)


def _rich(runs: list[dict[str, Any]]) -> RichText:
    """Markdown runs (see markdown_text) as one Word rich text; RichText escapes the text itself."""
    rich = RichText()
    for run in runs:
        rich.add(run["text"], bold=run["bold"], italic=run["italic"])
    return rich


def draw_charts(context: dict[str, Any], folder: Path) -> dict[str, Path]:
    """One PNG per outcome, named after it, in `folder` (shared by the Word and Markdown reports)."""
    return {
        o["id"]: draw_chart(o["chart"], folder / f"outcome-{_file_safe(o['id'])}.png")
        for o in context["outcomes"]
    }


def _file_safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "_", name)


FIRST_BOOKMARK_ID = 100_000
"""Bookmarks the report adds are numbered from here (Word's own, e.g. _GoBack, stay below)."""


def _bookmark_filter() -> Any:
    """`{{r x|bookmark }}`: a Word bookmark named `x.bookmark` (a point in the text that a link jumps to),
    numbered in document order."""
    numbers = itertools.count(FIRST_BOOKMARK_ID)

    def bookmark(target: dict[str, Any]) -> Markup:
        number, name = next(numbers), escape(str(target["bookmark"]))
        return Markup(f'<w:bookmarkStart w:id="{number}" w:name="{name}"/><w:bookmarkEnd w:id="{number}"/>')

    return bookmark


def _link(target: dict[str, Any], bold: bool = False) -> Markup:
    """`{{r x|link }}`: `x.text` as a link to the bookmark `x.bookmark` (character style Hyperlink); as
    plain text when `x.bookmark` is empty (nothing to link to: a figure of none)."""
    text = f'<w:t xml:space="preserve">{escape(word_text(target["text"]))}</w:t>'
    if not target.get("bookmark"):
        return Markup(f"<w:r>{'<w:rPr><w:b/></w:rPr>' if bold else ''}{text}</w:r>")
    run_properties = '<w:rStyle w:val="Hyperlink"/>' + ("<w:b/>" if bold else "")
    return Markup(
        f'<w:hyperlink w:anchor="{escape(str(target["bookmark"]))}" w:history="1"><w:r><w:rPr>'
        f"{run_properties}</w:rPr>{text}</w:r></w:hyperlink>"
    )


def word_text(value: object) -> str:
    """Text that Word can hold: control characters dropped."""
    return re.sub(CONTROL_CHARACTERS, "", str(value))


def render_docx(
    context: dict[str, Any],
    template: Path,
    out: Path,
    charts: dict[str, Path],
    passages: UntranslatedPassages,
) -> Path:
    """Fill the Word template. The template runs sandboxed and every value is escaped (autoescape), so
    text such as `<w:p>`, `&` or `{{ x }}` in a submission appears literally. `passages`: the edition's
    passages printed untranslated, tagged with their language."""
    with scratch_file(out.parent, "document.xml") as body_file:
        document = ReportTemplate(
            template, body_file, context.get("language"), passages.tag if passages.count else None
        )
        if context.get("draft"):  # marked as the template is filled: a written .docx is never reopened
            language = context.get("language", DEFAULT_LANGUAGE)
            document.init_docx()
            watermark(document.docx, language)
            document.ending = draft_ending(
                document.docx, context["draft"].get("returned", []), language, passages.count
            )
        document.render(context, jinja_env=_word_environment(document, context, charts), autoescape=True)
        _set_properties(document.docx.core_properties, context)
        written = _written_sha256(out)
        previous = written.read_text().split() if written.is_file() else []
        with written_in_place(out) as partial:
            document.save(str(partial))
            # Both digests are ours while the new file replaces the old: a kill in between is not an edit.
            write_text(written, "\n".join([*previous[-1:], _sha256(partial)]))
    write_text(written, _sha256(out))
    return out


def _word_environment(document: ReportTemplate, context: dict[str, Any], charts: dict[str, Path]) -> Any:
    """The sandboxed jinja environment of the Word template: the edition's translations and the filters
    the template uses."""
    environment = SandboxedEnvironment(autoescape=True, extensions=["jinja2.ext.i18n"])
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        edition(context.get("language", DEFAULT_LANGUAGE)).translations, newstyle=True
    )
    environment.filters["rich"] = _rich
    environment.filters["bookmark"] = _bookmark_filter()
    environment.filters["link"] = _link
    environment.filters["breakable"] = breakable
    described = {o["id"]: chart_description(o["id"], o["chart"]) for o in context["outcomes"]}
    environment.filters["chart"] = lambda outcome_id: (
        DescribedImage(document, str(charts[outcome_id]), described[outcome_id], width=CHART_WIDTH)
        if outcome_id in charts
        else ""
    )
    return environment


def _set_properties(properties: Any, context: dict[str, Any]) -> None:
    """The document's properties say how it was made, which its cover does not: from what, the day it
    was built and, for a stored build, the build (build.json says what it is); its author is the
    organisation, named in the edition's language as on the cover (not the template's author)."""
    _ = edition(context.get("language", DEFAULT_LANGUAGE)).gettext
    if context.get("organisation"):
        properties.author = str(context["organisation"])
    made = (
        _("Generated on %(date)s, build %(build)s.")
        % {"date": context["generated_on"], "build": context["build_short"]}
        if context.get("build_short")
        else _("Generated on %(date)s.") % {"date": context["generated_on"]}
    )
    built_from = _(
        "Built from the country offices' submissions; figures count the member States with a reportable "
        "result under each indicator."
    )
    properties.comments = f"{built_from} {made}"
    if context.get("build_id"):
        properties.identifier = str(context["build_id"])
        properties.version = str(context.get("build_short", ""))


def breakable(text: object) -> str:
    """A table header's text that may wrap after a slash ("Regulatory/ Legal framework"): a zero-width
    space after each, so that a narrow column breaks there rather than inside a word."""
    return str(text).replace("/", "/\u200b")


def _written_sha256(docx: Path) -> Path:
    """Beside the report, the sha256 of the .docx as the build wrote it (to notice an edit)."""
    return docx.with_name(f".{docx.name}.sha256")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def set_aside_edited_report(docx: Path) -> Path | None:
    """Edits made in Word are never overwritten: a report that differs from what the last build wrote
    (or that no build of this folder wrote) is renamed `<name>.edited-<time>.docx` before the new one
    is written. Returns the name it was kept under, None when there was nothing to keep."""
    if not docx.is_file():
        return None
    written = _written_sha256(docx)
    if written.is_file() and _sha256(docx) in written.read_text().split():
        return None
    kept = docx.with_name(f"{docx.stem}.edited-{datetime.now():%Y%m%d-%H%M%S}{docx.suffix}")
    os.replace(docx, kept)
    return kept


def markdown_escape(value: object) -> str:
    """Text shown literally in Markdown: punctuation that Markdown reads is backslash-escaped."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", str(value))
    return _LINE_START_MARKER.sub(_escape_marker, text)


def _escape_marker(match: re.Match[str]) -> str:
    """A list marker at the start of a line ("- ", "+ ", "1. ", "2) ") stays text: "\\- ", "1\\. "."""
    indent, marker, space = match.groups()
    return f"{indent}{marker[:-1]}\\{marker[-1]}{space}"


def _finalize(value: object) -> object:
    if value is None:
        return ""
    return value if isinstance(value, Markup) else markdown_escape(value)


def render_markdown(context: dict[str, Any], out: Path, charts: dict[str, Path]) -> Path:
    """report.md from templates/report.md.j2: the same content, every value escaped for Markdown."""
    environment = text_environment(context.get("language", DEFAULT_LANGUAGE)).overlay(finalize=_finalize)
    environment.filters["lessons"] = lambda blocks: Markup(blocks_markdown(_escaped(blocks)))
    environment.filters["chart"] = lambda outcome_id: (
        Markup(charts[outcome_id].relative_to(out.parent).as_posix()) if outcome_id in charts else ""
    )
    text = _blank_lines_collapsed(environment.get_template(MARKDOWN_TEMPLATE).generate(context))
    if context.get("draft"):
        text = draft_markdown(
            text,
            int(context["draft"]["pending"]),
            context["draft"].get("returned", []),
            context.get("language", DEFAULT_LANGUAGE),
        )
    with written_in_place(out) as partial, partial.open("w", encoding="utf-8", newline="") as written:
        written.writelines(text)  # as the template's output comes: a large report is never held whole
    return out


def _blank_lines_collapsed(fragments: Iterable[str]) -> Iterator[str]:
    """The template's output in pieces of about a million characters, never more than one blank line in
    a row (the template's conditional blocks leave runs of them)."""
    for piece in newline_runs_whole(pieces(fragments)):
        yield _BLANK_LINES.sub("\n\n", piece)


def _escaped(blocks: list[Block]) -> list[Block]:
    return [{**b, "runs": [{**r, "text": markdown_escape(r["text"])} for r in b["runs"]]} for b in blocks]


@dataclass(frozen=True)
class Companion:
    """A companion document of the report (`RESULTS`, `AUDIT`): its Word file, Markdown and PDF."""

    kind: str
    docx: Path
    markdown: Path
    pdf: Path | None = None


@dataclass(frozen=True)
class ReportFiles:
    """What the render of an edition wrote: the report, its companion documents and the CSV files."""

    docx: Path
    summary_csv: Path
    markdown: Path
    evidence_csv: Path | None = None
    pdf: Path | None = None
    """The PDF, written after the render when asked (report.pdf.write_pdf)."""
    companions: tuple[Companion, ...] = ()

    @property
    def documents(self) -> list[Path]:
        """The Word documents of the edition: the report, then its companions."""
        return [self.docx, *(c.docx for c in self.companions)]

    @property
    def outputs(self) -> list[Path]:
        """Every file written (build.json lists them)."""
        written = [self.docx, self.pdf, self.markdown]
        for companion in self.companions:
            written += [companion.docx, companion.pdf, companion.markdown]
        return [f for f in (*written, self.summary_csv, self.evidence_csv) if f]

    def with_pdfs(self, export: Callable[[Path], Path]) -> ReportFiles:
        """The same files with the PDF of each document, `export(docx)` writing it."""
        return replace(
            self,
            pdf=export(self.docx),
            companions=tuple(replace(c, pdf=export(c.docx)) for c in self.companions),
        )


def document_names(biennium: str) -> dict[str, tuple[str, str]]:
    """The Word and Markdown file names of each document of an edition."""
    stem = f"implementation-report-{biennium}"
    return {
        REPORT: (f"{stem}.docx", "report.md"),
        RESULTS: (f"{stem}-results.docx", "report-results.md"),
        AUDIT: (f"{stem}-audit.docx", "report-audit.md"),
    }


def render_report(
    context: dict[str, Any],
    summary: pd.DataFrame,
    template: Path,
    out_dir: Path,
    evidence: pd.DataFrame | None = None,
) -> ReportFiles:
    """Every output of a build into `out_dir`: the Word report named after the biennium and its two
    companions (`-results`, `-audit`), each with its Markdown (report.md, report-results.md,
    report-audit.md; charts in charts/), indicator_summary.csv and, given the trail of the figures
    (aggregate.indicator_evidence), indicator_evidence.csv."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"not a directory: {out_dir}")
    remove_partial_files(out_dir)
    try:
        return _render_all(context, summary, template, out_dir, evidence)
    except OSError as error:
        if is_permanent(error):
            raise output_error(error, out_dir) from error
        raise


def _render_all(
    context: dict[str, Any],
    summary: pd.DataFrame,
    template: Path,
    out_dir: Path,
    evidence: pd.DataFrame | None,
) -> ReportFiles:
    charts = draw_charts(context, out_dir / "charts")
    names = document_names(str(context["biennium"]))
    passages = UntranslatedPassages(context)  # the edition's: found once for its three documents
    written = {}
    for kind in (REPORT, RESULTS, AUDIT):  # one at a time: a document's rendering is freed before the next
        docx, markdown = out_dir / names[kind][0], out_dir / names[kind][1]
        if kind != REPORT:  # the report's own edits are set aside by the caller (pipeline)
            kept = set_aside_edited_report(docx)
            if kept:
                log.warning("%s was edited since it was written: kept as %s", docx.name, kept.name)
        document = document_context(context, kind)
        written[kind] = (
            render_docx(document, template, docx, charts, passages),
            render_markdown(document, markdown, charts),
        )
    return ReportFiles(
        docx=written[REPORT][0],
        summary_csv=write_summary_csv(summary, out_dir / "indicator_summary.csv"),
        markdown=written[REPORT][1],
        evidence_csv=(None if evidence is None else write_evidence_csv(evidence, out_dir / EVIDENCE_CSV)),
        companions=tuple(Companion(kind, *written[kind]) for kind in (RESULTS, AUDIT)),
    )


def document_context(context: dict[str, Any], kind: str) -> dict[str, Any]:
    """The context of one document of the edition: which one (`document`) and its cover's subtitle."""
    words = edition(context.get("language", DEFAULT_LANGUAGE))
    return {**context, "document": kind, "subtitle": words.gettext(SUBTITLES[kind])}


def write_evidence_csv(evidence: pd.DataFrame, out: Path) -> Path:
    """`indicator_evidence.csv`: one row per indicator × CPO result (aggregate.EVIDENCE_TRAIL_COLUMNS),
    its text as a spreadsheet shows it and never runs it (a country `=HYPERLINK(…)`)."""
    return write_text(out, csv_text(evidence))


def write_summary_csv(summary: pd.DataFrame, out: Path) -> Path:
    """`indicator_summary.csv`: biennium,outcome,indicator,region,target,achieved (target empty if unset)."""
    return write_text(out, csv_text(summary))
