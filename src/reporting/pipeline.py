"""The pipeline of a report, one function per stage, and `publish`, the one composition of them:
receive → up to date? → read → validate → store → review → count → context → per edition: compare →
render → PDF → record.

`publish` is the only place that orders the stages. It calls them through `Stages`: the functions of
this module in process (tests, benchmarks), or the `biennial-report` flow's tasks, which wrap the same
functions (retries, caching, the write slot, artifacts). The intake stages (receive, read, assemble,
validate) are those of `reporting.intake.stages`, where the dry run of `reporting validate` chains them
storing nothing. This module imports no Prefect. Each function belongs to one stage folder: intake/,
store/, counting/, report/."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from reporting import settings
from reporting.counting.aggregate import Aggregates, aggregate, result_texts
from reporting.counting.approval import draft_summary
from reporting.errors import StrictModeError
from reporting.framework import Framework, load_framework
from reporting.intake.readers import Intake, Package, ReceivedFile, Tables
from reporting.intake.selection import closed_biennium, output_folder, package_folder, select_outcomes
from reporting.intake.stages import assemble as assemble
from reporting.intake.stages import read as read
from reporting.intake.stages import read_all as read_all
from reporting.intake.stages import receive as receive
from reporting.intake.stages import unreadable as unreadable
from reporting.intake.stages import validate as validate
from reporting.intake.validate import (
    PackageValidation,
    concat_findings,
    notice_findings,
    untranslated_findings,
)
from reporting.outputs import edition_folder as edition_folder
from reporting.report.changes import (
    Snapshot,
    as_text,
    changes_context,
    changes_markdown,
    compare,
    earlier_builds,
    summary_line,
)
from reporting.report.context import report_context
from reporting.report.edition import DEFAULT_LANGUAGE, LANGUAGE_NAMES, check_language, edition
from reporting.report.manifest import (
    build_identity,
    file_sha256,
    library_fingerprint,
    manifest,
    short_id,
    stored_inputs,
    summary_figures,
    write_manifest,
)
from reporting.report.pdf import export_pdfs as write_pdfs_together
from reporting.report.pdf import pdf_of
from reporting.report.render import ReportFiles, render_report, set_aside_edited_report
from reporting.report.translation import (
    UNTRANSLATED,
    in_edition,
    passages,
    reported_evidence,
    untranslated,
    untranslated_context,
    untranslated_line,
)
from reporting.report.up_to_date import unchanged_build
from reporting.resources import default_template
from reporting.review.build import NothingApproved, Reviewed, apply_decisions, as_draft, reviewed
from reporting.review.results import refuse_if_locked
from reporting.store.builds import Published, earlier_published, record_build
from reporting.store.database import upgraded_engine
from reporting.store.deliveries import StoreReport, store_package
from reporting.store.review import approval_state
from reporting.store.translations import stored_translations

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Store:
    """Where builds keep what they received and made: the database and the archive of files as received."""

    engine: Engine
    archive: Path

    @classmethod
    def configured(cls) -> Store:
        """The data folder's store (or the database DATABASE_URL names), upgraded to the newest schema
        revision when it is behind (a first build in a new data folder makes it)."""
        return cls(upgraded_engine(settings.database_url()), settings.archive_dir())


# --- what a run builds, and what it is called -------------------------------------------------------


def biennium_of_run(biennium: str | None, package: str | None, day: date) -> str:
    """The biennium a run builds, for its name: asked for, else the package's (its framework), else the
    one that has just closed on `day`."""
    if biennium:
        return biennium
    if not package:
        return closed_biennium(day)
    try:
        return load_framework(Path(package) / "framework.yaml").biennium
    except Exception:  # the run itself reports what is wrong with the package
        return re.sub(r"[^0-9A-Za-z-]+", "-", Path(package).name)[:20] or "package"


def run_name(biennium: str, started: datetime, run_id: str, kind: str = "report") -> str:
    """`<kind>-<biennium>-<time>-<run id's first letters>` (`report-…`, `sign-off-…`): unique, and sorted
    by time."""
    return f"{kind}-{biennium}-{started.strftime('%Y%m%d-%H%M%S')}-{run_id[:6]}"


def report_keys(biennium: str, root: Path) -> str:
    """`report-<biennium>` for the biennium's configured package; a package from elsewhere gets keys of
    its own, so that a trial build never replaces the biennium's latest report."""
    if root.resolve() == package_folder(biennium).resolve():
        return f"report-{biennium}"
    return (
        f"report-{biennium}-from-{re.sub(r'[^a-z0-9]+', '-', root.name.lower()).strip('-')[:30] or 'package'}"
    )


def package_of(biennium: str | None, package: str | None, day: date) -> tuple[str | None, Path]:
    """The biennium a run is asked to build (None: the package's) and its package folder: the one given,
    else the folder named after the biennium asked for, else after the one that closed on `day`."""
    wanted = biennium or (None if package else closed_biennium(day))
    return wanted, Path(package) if package else package_folder(str(wanted))


def out_folder(out: str | Path | None, biennium: str) -> Path:
    """The output folder asked for, else the biennium's (its editions go into OUT/<language>/, see
    edition_folder)."""
    return Path(out).resolve() if out else output_folder(biennium)


def languages_of(language: str | Iterable[str]) -> list[str]:
    """The editions asked for ("fr", or several), each once, in the order given."""
    asked = [language] if isinstance(language, str) else list(language)
    return [check_language(a) for a in dict.fromkeys(asked)] or [DEFAULT_LANGUAGE]


# --- intake: what a build adds to the stages of reporting.intake.stages ---------------------------------


def noting_intake(checked: PackageValidation, intake: Intake, tables: list[Tables]) -> PackageValidation:
    """The validation with a finding for every entry and sheet that was not read: nothing is skipped
    unsaid. (Apart from `validate`, whose result is cached by the files read.)"""
    notices = [*intake.notices, *(n for t in tables for n in t.notices)]
    return dataclasses.replace(checked, files=notice_findings(notices))


def noting_translations(
    checked: PackageValidation, framework: Framework, languages: list[str]
) -> PackageValidation:
    """The validation with an advice finding for each edition that shows framework texts in English."""
    found = [untranslated_findings(framework, language, LANGUAGE_NAMES[language]) for language in languages]
    found = [f for f in found if len(f)]
    if not found:
        return checked
    return dataclasses.replace(checked, files=concat_findings([checked.files, *found]))


def refuse_rejected(checked: PackageValidation) -> None:
    """--strict: a build where validation set any row aside stops before anything is stored."""
    if len(checked.rejected):
        raise StrictModeError(f"--strict: {len(checked.rejected)} row(s) rejected by validation")


def select(
    package: Package, checked: PackageValidation, outcomes: list[str] | None
) -> tuple[Package, PackageValidation]:
    """The package restricted to the outcomes asked for (all by default), after it was stored whole."""
    return select_outcomes(package, checked, outcomes)


# --- store ------------------------------------------------------------------------------------------


def store(package: Package, checked: PackageValidation, where: Store) -> StoreReport:
    """The files as received archived, their rows (clean and rejected) and the targets stored; in a
    locked biennium, files it does not hold yet are archived and refused (LockedError)."""
    refuse_if_locked(where.engine, package.framework.biennium, package.files, where.archive)
    return store_package(
        where.engine,
        package,
        evidence=checked.evidence.clean,
        rejected=checked.rejected,
        targets=checked.targets.clean,
        archive_root=where.archive,
    )


# --- counting ---------------------------------------------------------------------------------------


def review(
    whole: Package, checked_whole: PackageValidation, evidence: pd.DataFrame, where: Store, draft: bool
) -> tuple[Reviewed, list[str]]:
    """The package's review decisions applied (reviews.csv), and which results of `evidence` (the
    selected outcomes') the report counts: the approved ones, or all in a draft. Also returns what of
    the decisions could not be applied, one line per reason."""
    notes = apply_decisions(where.engine, whole, checked_whole)
    try:
        return reviewed(where.engine, whole.framework.biennium, evidence, draft), notes
    except NothingApproved as nothing:  # say why the package's own decisions did not apply
        raise NothingApproved("; ".join([str(nothing), *notes])) from None


def count(package: Package, checked: PackageValidation, review: Reviewed | None = None) -> Aggregates:
    """Member States per indicator and region against the targets, with the trail to the evidence:
    of every result, or of the results the review lets count (a draft's summary also gives the figures
    of the approved results alone: achieved_approved, achieved_pending)."""
    if review is None:
        return aggregate(checked.evidence.clean, checked.targets.clean, package.framework, checked.rejected)
    counted = count(package, review.counted(checked))
    if not review.draft:
        return counted
    approved = count(package, dataclasses.replace(review, draft=False).counted(checked))
    return dataclasses.replace(counted, summary=draft_summary(counted.summary, approved.summary))


def approvals(biennium: str, where: Store) -> str:
    """The fingerprint of the biennium's approvals (a part of the build id)."""
    return approval_state(where.engine, biennium)


def earlier(biennium: str, where: Store | None) -> Published | None:
    """The biennium before, when the store holds it, with the figures its final build published."""
    return None if where is None else earlier_published(where.engine, biennium)


# --- report: context, comparison with earlier builds, render, build record --------------------------


def translations(language: str, where: Store | None) -> dict[str, str]:
    """The translation memory's passages in the edition's language, by source hash (none for English or
    without a store): read once per build, and given to `context` as a plain mapping."""
    if language == DEFAULT_LANGUAGE or where is None:
        return {}
    return stored_translations(where.engine, language)


def context(
    package: Package,
    checked: PackageValidation,
    aggregates: Aggregates,
    previous: Published | None = None,
    generated_on: date | None = None,
    language: str = DEFAULT_LANGUAGE,
    review: Reviewed | None = None,
    publication_date: date | None = None,
    translated: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the templates show, as plain data, in the edition's language (report/context.py): the
    submission texts with a stored translation (`translated`, from `translations`) in that language,
    the others listed as untranslated; a draft's marks its results not yet approved.
    `publication_date`: the cover's date (default the build's)."""
    translated = translated or {}
    if language != DEFAULT_LANGUAGE:
        shown = reported_evidence(checked.evidence.clean, aggregates.results)
        left = untranslated(passages(package, shown, language), translated)
        package, checked, aggregates = in_edition(package, checked, aggregates, language, translated)
    report = report_context(
        package,
        checked,
        aggregates,
        generated_on,
        previous=previous,
        language=language,
        publication_date=publication_date,
    )
    if language != DEFAULT_LANGUAGE:
        report[UNTRANSLATED] = untranslated_context(left)
    return as_draft(report, aggregates.results, review) if review is not None and review.draft else report


def refuse_untranslated(report: dict[str, Any]) -> None:
    """--strict: a final edition with passages in their original language is not built."""
    count = (report.get(UNTRANSLATED) or {}).get("count", 0)
    if count and not report.get("draft"):
        raise StrictModeError(f"--strict: {untranslated_line(count, report['language'])}")


@dataclass(frozen=True)
class BuildComparison:
    """This build against the earlier ones of its biennium in the store."""

    report: dict[str, Any]
    """For report.md: the changes since the latest build made of other inputs (changes_context)."""
    markdown: str
    """The changes since the previous build, for the operator (the run's `-changes` artifact)."""
    line: str
    """The terminal summary's line about the previous build."""
    inputs: list[dict[str, Any]]
    """This build's input files with their stored ids."""


def compare_builds(
    biennium: str,
    identifier: str,
    outcomes: list[str] | None,
    files: tuple[ReceivedFile, ...],
    aggregates: Aggregates,
    evidence: pd.DataFrame,
    where: Store,
) -> BuildComparison:
    """This build's figures, members counted, result texts and inputs against the stored builds."""
    inputs = stored_inputs(where.engine, biennium, files)
    trail = aggregates.evidence if aggregates.evidence is not None else pd.DataFrame()
    new = Snapshot(as_text(aggregates.summary), as_text(trail), inputs, result_texts(evidence), identifier)
    last, baseline = earlier_builds(where.engine, biennium, identifier, outcomes)
    since_last = compare(last, new) if last else None
    since_baseline = compare(baseline, new) if baseline else None
    return BuildComparison(
        report=changes_context(since_baseline, baseline),
        markdown=changes_markdown(biennium, since_last, last),
        line=summary_line(since_last, last),
        inputs=inputs,
    )


def stamped(report: dict[str, Any], identifier: str, comparison: BuildComparison) -> dict[str, Any]:
    """The context with the build's id and the changes since an earlier build (for the cover), the
    earlier build's date in the edition's language."""
    changes = comparison.report
    if changes.get("built_at"):
        day = datetime.fromisoformat(changes["built_at"]).date()
        changes = {**changes, "date": edition(report.get("language", DEFAULT_LANGUAGE)).date(day)}
    return {**report, "build_id": identifier, "build_short": short_id(identifier), "changes": changes}


def keep_edited_report(out_dir: Path, biennium: str) -> Path | None:
    """A Word report edited since it was written is renamed aside, never overwritten: its new name."""
    return set_aside_edited_report(out_dir / f"implementation-report-{biennium}.docx")


@dataclass(frozen=True)
class Rendered:
    """The report files and the sha256 of the .docx as written, to notice a removed or edited file."""

    files: ReportFiles
    docx_sha256: str

    @property
    def intact(self) -> bool:
        """The files are still as rendered (a render served from a cache may have been removed since)."""
        files = self.files
        return file_sha256(files.docx) == self.docx_sha256 and all(f.is_file() for f in files.outputs)


def render(
    context: dict[str, Any],
    summary: pd.DataFrame,
    template: Path,
    out_dir: Path,
    evidence: pd.DataFrame | None = None,
) -> Rendered:
    """The Word report, report.md, the indicator summary and the evidence trail into `out_dir`."""
    files = render_report(context, summary, template, out_dir, evidence)
    return Rendered(files, file_sha256(files.docx))


def export_pdfs(editions: list[ReportFiles]) -> list[ReportFiles]:
    """The PDF of every document of every edition beside its .docx (LibreOffice, contents and page
    numbers updated, tagged), laid out together: one soffice per core, each given the next document."""
    documents = [docx for files in editions for docx in files.documents]
    made = dict(zip(documents, write_pdfs_together(documents), strict=True))
    return [files.with_pdfs(made.__getitem__) for files in editions]


def build_figures(aggregates: Aggregates, rows_ingested: int, rows_rejected: int) -> dict[str, Any]:
    """The figures build.json records: every figure, CPO results, rows read and rejected."""
    return {
        **summary_figures(aggregates.summary, aggregates.results),
        "rows_ingested": rows_ingested,
        "rows_rejected": rows_rejected,
    }


def record(
    identifier: str,
    biennium: str,
    inputs: list[dict[str, Any]],
    template: Path,
    parameters: dict[str, Any],
    files: ReportFiles,
    figures: dict[str, Any],
    out_dir: Path,
    where: Store,
    flow_run_id: str | None = None,
) -> Path:
    """DIR/build.json (the inputs with their stored ids, template, code, parameters, run and figures),
    and the build recorded in the store for the next one to compare with."""
    built_at = datetime.now(UTC)
    outputs = files.outputs
    written = write_manifest(
        out_dir,
        manifest(
            identifier=identifier,
            biennium=biennium,
            inputs=inputs,
            template=template,
            parameters=parameters,
            outputs=outputs,
            summary=figures,
            flow_run_id=flow_run_id,
            code=library_fingerprint(),
            built_at=built_at,
        ),
    )
    record_build(
        where.engine,
        {
            "biennium": biennium,
            "build_id": identifier,
            "built_at": built_at,
            "flow_run_id": flow_run_id,
            "out_dir": str(out_dir),
            "outcomes_json": json.dumps(parameters.get("outcomes")),
            "inputs_json": json.dumps(inputs),
            "summary_csv": files.summary_csv.read_text(encoding="utf-8"),
            "evidence_csv": files.evidence_csv.read_text(encoding="utf-8") if files.evidence_csv else "",
        },
    )
    return written


# --- the one composition of the stages ----------------------------------------------------------------


@dataclass(frozen=True)
class Parameters:
    """What a build is asked for: the `biennial-report` flow's parameters (its Run form), the options
    of `reporting build`, and what build.json records. Defined once; every caller builds from it."""

    package: str | None = None
    """A package folder; None: the biennium's folder under REPORTING_PACKAGES_DIR."""
    biennium: str | None = None
    """None: the package's, or the one that has just closed."""
    outcomes: list[str] | None = None
    template: str | None = None
    out: str | None = None
    """The output folder; None: the biennium's (each edition goes into OUT/<language>/)."""
    strict: bool = False
    pdf: bool = False
    language: str | Sequence[str] = DEFAULT_LANGUAGE
    draft: bool = False
    publication_date: date | None = None
    force: bool = False
    """Build even when today's build of the same inputs into the same folder is current."""

    def recorded(self, root: Path, language: str, out_dir: Path) -> dict[str, Any]:
        """The parameters of one edition as build.json records them (and the up-to-date answer
        compares them)."""
        return {
            "package": str(root),
            "outcomes": self.outcomes,
            "template": self.template,
            "out": str(out_dir),
            "strict": self.strict,
            "pdf": self.pdf,
            "language": language,
            "draft": self.draft,
            "publication_date": self.publication_date.isoformat() if self.publication_date else None,
        }


@dataclass(frozen=True)
class Edition:
    """What the build of one language wrote."""

    language: str
    context: dict[str, Any]
    files: ReportFiles
    build_json: Path | None = None
    """build.json, for a build that was stored."""
    comparison: BuildComparison | None = None
    """This build against the earlier ones, for a build that was stored."""
    edited: Path | None = None
    """Where a Word report edited since it was written was kept."""


@dataclass(frozen=True)
class Built:
    """What a build made: the package as read and selected, its validation, counts and editions."""

    package: Package
    checked: PackageValidation
    findings: pd.DataFrame
    """Every finding of the whole package (before the outcomes were selected)."""
    aggregates: Aggregates
    editions: dict[str, Edition]
    """By language, in the order asked (the first is the build's main edition)."""
    review: Reviewed | None = None
    """What the review let count, for a build that was stored (a draft's sign-off approves its results)."""

    @property
    def first(self) -> Edition:
        return next(iter(self.editions.values()))

    @property
    def context(self) -> dict[str, Any]:
        return self.first.context

    @property
    def files(self) -> ReportFiles:
        return self.first.files

    @property
    def build_json(self) -> Path | None:
        return self.first.build_json

    def as_result(self) -> dict[str, Any]:
        """The build as plain data: the flow run's result, what `reporting build` prints."""
        first, review = self.first, self.review
        files = first.files
        return {
            "biennium": self.package.framework.biennium,
            "docx": str(files.docx),
            "pdf": str(files.pdf) if files.pdf else None,
            "editions": {language: str(e.files.docx) for language, e in self.editions.items()},
            "companions": {
                language: [str(c.docx) for c in e.files.companions] for language, e in self.editions.items()
            },
            "pdfs": {
                language: str(e.files.pdf) if e.files.pdf else None for language, e in self.editions.items()
            },
            "summary_csv": str(files.summary_csv),
            "evidence_csv": str(files.evidence_csv) if files.evidence_csv else None,
            "build_json": str(first.build_json) if first.build_json else None,
            "build_id": first.context.get("build_id"),
            "changes": first.comparison.line if first.comparison else None,
            "rows_ingested": len(self.package.evidence),
            "rows_rejected": len(self.checked.evidence.rejected),
            "findings": len(self.findings),
            "findings_table": self.findings,
            "summary": self.aggregates.summary,
            "edited_kept": str(first.edited) if first.edited else None,
            "draft": bool(review and review.draft),
            "pending": len(review.pending) if review else 0,
            "reviewed": review,
        }


@dataclass(frozen=True)
class Current:
    """Nothing to do: today's build of the same files, template, code and parameters made the outputs,
    and they are as it wrote them."""

    biennium: str
    out_dir: Path
    manifest: dict[str, Any]
    """Its build.json."""

    @property
    def line(self) -> str:
        return (
            f"Up to date: build {self.manifest['build_short_id']} ({self.manifest['built_at']}) made these "
            "outputs from the same files, template, code and parameters; nothing to do (--force runs the "
            "flow again)."
        )

    def as_result(self) -> dict[str, Any]:
        return {
            "biennium": self.biennium,
            "up_to_date": self.line,
            "outputs": [str(self.out_dir / name) for name in self.manifest["outputs"]],
            "build_id": self.manifest["build_id"],
        }


def current(
    parameters: Parameters, root: Path, intake: Intake, biennium: str, where: Store
) -> Current | None:
    """The build that already made what is asked, today, from the same inputs (None: build)."""
    template = Path(parameters.template) if parameters.template else default_template()
    identity = build_identity(
        intake.files, template, parameters.outcomes, parameters.draft, approvals(biennium, where)
    )
    language = languages_of(parameters.language)[0]  # its build.json says what was made
    out_dir = edition_folder(out_folder(parameters.out, biennium), language, parameters.draft)
    asked = parameters.recorded(root, language, out_dir)
    made = unchanged_build(out_dir, identity, asked, where.engine, date.today())
    return None if made is None else Current(biennium, out_dir, made)


Log = logging.Logger | logging.LoggerAdapter[logging.Logger]


def _nothing(*_: object) -> None:
    """A hook an in-process build does not use."""


@dataclass(frozen=True)
class Stages:
    """How `publish` calls each stage: the functions above in process, or the flow's tasks wrapping
    the same functions (retries, caches, the write slot, artifacts)."""

    receive: Callable[..., tuple[Framework, Intake]] = receive
    writing: Callable[[str], AbstractContextManager[Any]] = lambda biennium: contextlib.nullcontext()
    """Held from the moment the biennium is known to the end (the flow: its write slot)."""
    current: Callable[..., Current | None] = current
    read_all: Callable[[tuple[ReceivedFile, ...]], list[Tables]] = read_all
    assemble: Callable[..., Package] = assemble
    validate: Callable[[Package], PackageValidation] = validate
    store: Callable[..., StoreReport] = store
    select: Callable[..., tuple[Package, PackageValidation]] = select
    review: Callable[..., tuple[Reviewed, list[str]]] = review
    count: Callable[..., Aggregates] = count
    earlier: Callable[[str, Store | None], Published | None] = earlier
    translations: Callable[[str, Store | None], dict[str, str]] = translations
    context: Callable[..., dict[str, Any]] = context
    compare: Callable[..., BuildComparison] = compare_builds
    render: Callable[..., Rendered] = render
    render_again: Callable[..., Rendered] = render
    """A render that does not trust a cached one (the files were removed or edited since)."""
    export_pdfs: Callable[[list[ReportFiles]], list[ReportFiles]] = export_pdfs
    record: Callable[..., Path] = record
    checked: Callable[[str, str, pd.DataFrame], None] = _nothing
    """Told the validation findings (report keys, biennium, findings)."""
    published: Callable[[str, str, Edition], None] = _nothing
    """Told each edition written (its report keys, biennium, the edition)."""


IN_PROCESS = Stages()


def publish(
    parameters: Parameters,
    where: Store | None,
    stages: Stages = IN_PROCESS,
    log: Log = logger,
    run_id: str | None = None,
) -> Built | Current:
    """Every stage, once, in this order: receive → (up to date?) → read → assemble → validate → store →
    select → review → count → context → per edition: compare → render → PDF → record. Given a store
    (`where`) the package is stored, its review decisions applied, only approved results counted (every
    one in a draft), compared with the earlier biennium and earlier builds, and each edition recorded;
    without one, nothing is kept but the report files, and every result counts."""
    wanted, root = package_of(parameters.biennium, parameters.package, date.today())
    log.info("building %s from %s", wanted or "the package", root)
    framework, intake = stages.receive(root, wanted)
    biennium = framework.biennium
    # Asked before the write slot: a run writing meanwhile from the same inputs makes the same files.
    if where is not None and not parameters.force:
        made = stages.current(parameters, root, intake, biennium, where)
        if made is not None:
            log.info("%s", made.line)
            return made
    with stages.writing(biennium):
        languages = languages_of(parameters.language)
        keys = report_keys(biennium, root)
        tables = stages.read_all(intake.files)
        whole = stages.assemble(root, framework, intake.files, tables)
        log.info("validating %d evidence row(s)", len(whole.evidence))
        checked_whole = noting_translations(
            noting_intake(stages.validate(whole), intake, tables), framework, languages
        )
        findings = checked_whole.findings
        if len(findings):
            log.warning("%d finding(s); %d row(s) set aside", len(findings), len(checked_whole.rejected))
        stages.checked(keys, biennium, findings)
        if parameters.strict:
            refuse_rejected(checked_whole)
        if where is not None:
            stored = stages.store(whole, checked_whole, where)
            log.info(
                "stored %d new file(s), %d already stored; the report uses %d evidence row(s), %d rejected",
                stored.files_new,
                stored.files_already_stored,
                len(whole.evidence),
                len(checked_whole.rejected),
            )
        package, checked = stages.select(whole, checked_whole, parameters.outcomes)
        reviewed = None
        if where is not None:
            reviewed, notes = stages.review(
                whole, checked_whole, checked.evidence.clean, where, parameters.draft
            )
            for note in notes:
                log.warning("%s", note)
            if reviewed.pending:
                counted = (
                    "counted in this DRAFT"
                    if parameters.draft
                    else "left out (reporting review list; --draft counts them)"
                )
                log.warning("%d result(s) not yet approved: %s", len(reviewed.pending), counted)
        log.info("counting member States per indicator and region")
        aggregates = stages.count(package, checked, reviewed)
        previous = stages.earlier(biennium, where)
        reports = {
            language: stages.context(
                package,
                checked,
                aggregates,
                previous,
                language=language,
                review=reviewed,
                publication_date=parameters.publication_date,
                translated=stages.translations(language, where),
            )
            for language in languages
        }
        if parameters.strict:  # no edition is written while one has untranslated passages
            for report in reports.values():
                refuse_untranslated(report)
        template = Path(parameters.template) if parameters.template else default_template()
        out_dir = out_folder(parameters.out, biennium)
        figures = build_figures(aggregates, len(package.evidence), len(checked.evidence.rejected))
        written = [
            _written(
                parameters,
                report,
                package,
                checked,
                aggregates,
                intake,
                template,
                edition_folder(out_dir, str(report["language"]), parameters.draft),
                where,
                stages,
                log,
            )
            for report in reports.values()
        ]
        if parameters.pdf:
            log.info("writing the PDFs (LibreOffice)")
            with_pdfs = stages.export_pdfs([w.files for w in written])
            written = [dataclasses.replace(w, files=pdfs) for w, pdfs in zip(written, with_pdfs, strict=True)]
        editions: dict[str, Edition] = {}
        for done in written:
            earlier_pdf = pdf_of(done.files.docx)
            if not parameters.pdf and earlier_pdf.exists():
                log.warning("%s is from an earlier build: build with --pdf to update it", earlier_pdf)
            made_edition = _recorded(parameters, root, done, biennium, figures, where, stages, log, run_id)
            language = made_edition.language
            stages.published(
                keys if language == languages[0] else f"{keys}-{language}", biennium, made_edition
            )
            editions[language] = made_edition
        return Built(package, checked, findings, aggregates, editions, reviewed)


@dataclass(frozen=True)
class _Written:
    """One language's report as rendered, before its PDF and its record."""

    language: str
    context: dict[str, Any]
    files: ReportFiles
    out_dir: Path
    template: Path
    identifier: str | None
    comparison: BuildComparison | None
    edited: Path | None


def _written(
    parameters: Parameters,
    report: dict[str, Any],
    package: Package,
    checked: PackageValidation,
    aggregates: Aggregates,
    intake: Intake,
    template: Path,
    out_dir: Path,
    where: Store | None,
    stages: Stages,
    log: Log,
) -> _Written:
    """One language's report (its context given): compared with the biennium's earlier builds, an
    edited Word report kept aside, rendered (again if its files were removed or edited since a cached
    render)."""
    biennium, language = package.framework.biennium, str(report["language"])
    comparison = identifier = None
    if where is not None:
        identifier = build_identity(
            intake.files, template, parameters.outcomes, parameters.draft, approvals(biennium, where)
        )
        comparison = stages.compare(
            biennium,
            identifier,
            parameters.outcomes,
            intake.files,
            aggregates,
            checked.evidence.clean,
            where,
        )
        report = stamped(report, identifier, comparison)
    edited = keep_edited_report(out_dir, biennium)
    if edited:
        log.warning("the report was edited since it was written: kept as %s", edited)
    log.info("rendering the report into %s", out_dir)
    rendered = stages.render(report, aggregates.summary, template, out_dir, aggregates.evidence)
    if not rendered.intact:
        log.info("%s was removed or edited since it was rendered: rendering again", rendered.files.docx)
        rendered = stages.render_again(report, aggregates.summary, template, out_dir, aggregates.evidence)
    return _Written(language, report, rendered.files, out_dir, template, identifier, comparison, edited)


def _recorded(
    parameters: Parameters,
    root: Path,
    done: _Written,
    biennium: str,
    figures: dict[str, Any],
    where: Store | None,
    stages: Stages,
    log: Log,
    run_id: str | None,
) -> Edition:
    """One language's edition recorded (build.json and the store), its PDFs made or not."""
    build_json = None
    if where is not None and done.identifier is not None and done.comparison is not None:
        build_json = stages.record(
            done.identifier,
            biennium,
            done.comparison.inputs,
            done.template,
            parameters.recorded(root, done.language, done.out_dir),
            done.files,
            figures,
            done.out_dir,
            where,
            run_id,
        )
        log.info("build %s: %s", short_id(done.identifier), build_json)
        log.info("%s", done.comparison.line)
    log.info("report written: %s", done.files.docx)
    return Edition(done.language, done.context, done.files, build_json, done.comparison, done.edited)
