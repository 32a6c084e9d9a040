"""`biennial-report`: the stages of `reporting.pipeline` as Prefect tasks — receive → read (one task
per file) → assemble → validate → store → select → count → context → compare → render → record.

Each task calls one stage function of the pipeline; the flow only wires them (retries, cache policies,
the write slot) and tells the operator what happened (logs, artifacts). `pipeline.build_report` runs
the same stages without Prefect.
Ingest is one task per file, so a file that cannot be read does not stop the others from being read
(the run still fails, with that file's one-line reason). Tasks that read or render are cached by the
content they work on (flows/caching.py): a rebuild where nothing changed reads nothing again, and a
rebuild where one file changed reads only that file again. Once the framework has named the biennium,
the run holds that biennium's concurrency limit of 1 (`report-<biennium>`), so two rebuilds never
write at once (the second waits, then finds the first one's work in the cache).

Run it with `reporting build PACKAGE --out DIR`, from a deployment (deployments/prefect.yaml:
`prefect deployment run 'biennial-report/rebuild' -p biennium=2014-15`), or directly:
`python flows/biennial_report.py PACKAGE OUT`.
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

import pandas as pd
from pydantic import AfterValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from reporting import settings

settings.configure_prefect()  # before Prefect reads its settings: project-local home, no telemetry

# The chart's drawing modules load with the flow's other modules (the chart imports them only where it
# draws, for the commands that never draw): a first build imports them while its server starts.
import matplotlib.backends.backend_agg  # noqa: E402
import matplotlib.figure  # noqa: E402, F401
from prefect import Task, flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact, create_table_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.client.schemas.objects import State, TaskRun  # noqa: E402
from prefect.runtime import flow_run  # noqa: E402
from prefect.tasks import exponential_backoff  # noqa: E402
from prefect.utilities.annotations import quote  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from reporting import pipeline  # noqa: E402
from reporting.counting.aggregate import Aggregates  # noqa: E402
from reporting.errors import OutputError, PackageError, StrictModeError, is_permanent  # noqa: E402
from reporting.flows.caching import (  # noqa: E402
    BY_CONTEXT_AND_TEMPLATE,
    BY_PACKAGE,
    BY_PACKAGE_AND_REVIEW,
    BY_PACKAGE_DAY_AND_EARLIER,
    BY_RECEIVED_FILE,
)
from reporting.flows.write_slot import write_slot  # noqa: E402
from reporting.framework import BIENNIUM_PATTERN, Framework  # noqa: E402
from reporting.intake.readers import Intake, Package, ReceivedFile, Tables  # noqa: E402
from reporting.intake.validate import PackageValidation  # noqa: E402
from reporting.orchestration import BIENNIAL_REPORT_FLOW  # noqa: E402
from reporting.orchestration.cancelled_build import build_cancelled  # noqa: E402
from reporting.pipeline import BuildComparison, Rendered  # noqa: E402
from reporting.report.draft import draft_markdown  # noqa: E402
from reporting.report.edition import LANGUAGE_NAMES  # noqa: E402
from reporting.report.manifest import build_identity, short_id  # noqa: E402
from reporting.report.pdf import pdf_of  # noqa: E402
from reporting.report.render import ReportFiles  # noqa: E402
from reporting.report.report_link import report_link_markdown  # noqa: E402
from reporting.report.run_summary import findings_artifact_table, region_table, run_summary_markdown  # noqa: E402
from reporting.resources import default_template  # noqa: E402
from reporting.review.build import Reviewed  # noqa: E402
from reporting.store.builds import Published  # noqa: E402
from reporting.store.deliveries import StoreReport  # noqa: E402

Biennium = Annotated[str, Field(pattern=BIENNIUM_PATTERN, description="e.g. 2014-15")]
OUTCOME_PATTERN = r"^[0-9A-Za-z.]+$"
OutcomeId = Annotated[str, Field(pattern=OUTCOME_PATTERN, description="an outcome id, e.g. 7")]
Language = Literal["en", "fr", "es"]


def biennium_like_2014_15(value: str | None) -> str | None:
    """The flow's own check of a biennium, saying what is wrong: it is what stops a run whose parameters
    the server did not check ("Validate parameters" unticked in the Run form) or a direct call, before the
    run reads anything (the server itself checks the form's pattern and names it)."""
    if value is not None and not re.fullmatch(BIENNIUM_PATTERN, value):
        raise PydanticCustomError("biennium", "must look like 2014-15, not '{value}'", {"value": value})
    return value


def form_field(default: Any, title: str, description: str) -> Any:
    """A parameter's default as Prefect's form building reads it: the Run form shows the title and the
    description (Prefect titles a parameter with its name unless the schema's extra says otherwise)."""
    return Field(default, description=description, json_schema_extra={"title": title})


# An optional parameter is shown in the Run form as a plain field (unset means its default), not as a
# "str / None" toggle: its form schema is the value's alone (WithJsonSchema). The server checks each
# value against it (a pattern included) before a run is created.
FORM_TEXT = WithJsonSchema({"type": "string"})
FORM_DATE = WithJsonSchema({"type": "string", "format": "date"})
FORM_LIST = WithJsonSchema({"type": "array", "items": {"type": "string", "pattern": OUTCOME_PATTERN}})
FormBiennium = Annotated[
    str | None,
    AfterValidator(biennium_like_2014_15),
    WithJsonSchema({"type": "string", "pattern": BIENNIUM_PATTERN, "examples": ["2014-15"]}),
]

RUN_TIMEOUT_SECONDS = 4 * 3600
"""A run is stopped after this long. Timeouts are set on the run, not on each task: tasks run in a worker
thread, where Prefect cannot interrupt a blocking read or write (and says so in a warning per task)."""


def transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry what may pass on a second try (a file or database briefly unavailable), never a package
    that is wrong or a disk that is full: trying again gives the same answer."""
    error = state.result(raise_on_failure=False)
    return isinstance(error, OSError | OperationalError) and not is_permanent(error)


class _OneLineForExpectedErrors(logging.Filter):
    """A wrong package or a full disk is logged as its one-line reason, not as a traceback: the
    operator has nothing to debug, only something to fix."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PackageError | StrictModeError | OutputError):
            record.msg = record.getMessage().splitlines()[0]  # it names the error and its reason
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


for _logger in ("prefect.flow_runs", "prefect.task_runs"):
    logging.getLogger(_logger).addFilter(_OneLineForExpectedErrors())


RETRY_TRANSIENT: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": exponential_backoff(backoff_factor=2),
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": transient,
}


@task(name="receive", cache_policy=NO_CACHE, persist_result=False, **RETRY_TRANSIENT)
def receive(root: Path, biennium: str | None) -> tuple[Framework, Intake]:
    return pipeline.receive(root, biennium)


@task(name="read-file", task_run_name="read-{received.name}", cache_policy=BY_RECEIVED_FILE)
def read_file(received: ReceivedFile) -> Tables:
    tables = pipeline.read(received)
    get_run_logger().info(
        "read %s (%s, sha256 %s): %d row(s) in %d table(s)",
        received.name,
        received.role,
        received.sha256[:12],
        sum(len(t) for t in tables.frames),
        len(tables.frames),
    )
    return tables


@task(name="assemble", cache_policy=NO_CACHE, persist_result=False)
def assemble(
    root: Path, framework: Framework, files: tuple[ReceivedFile, ...], tables: list[Tables]
) -> Package:
    return pipeline.assemble(root, framework, files, tables)


@task(name="validate", cache_policy=BY_PACKAGE)
def validate(package: Package) -> PackageValidation:
    return pipeline.validate(package)


@task(name="store", cache_policy=NO_CACHE, persist_result=False, **RETRY_TRANSIENT)
def store(package: Package, checked: PackageValidation) -> StoreReport:
    return pipeline.store(package, checked, pipeline.Store.configured())


@task(name="select-outcomes", cache_policy=NO_CACHE, persist_result=False)
def select(
    package: Package, checked: PackageValidation, outcomes: list[str] | None
) -> tuple[Package, PackageValidation]:
    return pipeline.select(package, checked, outcomes)


@task(name="review", cache_policy=NO_CACHE, persist_result=False, **RETRY_TRANSIENT)
def review(
    whole: Package, checked_whole: PackageValidation, evidence: pd.DataFrame, draft: bool
) -> tuple[Reviewed, list[str]]:
    return pipeline.review(whole, checked_whole, evidence, pipeline.Store.configured(), draft)


@task(name="aggregate", cache_policy=BY_PACKAGE_AND_REVIEW)
def count(package: Package, checked: PackageValidation, review: Reviewed) -> Aggregates:
    return pipeline.count(package, checked, review)


@task(name="earlier-biennium", cache_policy=NO_CACHE, persist_result=False, **RETRY_TRANSIENT)
def earlier(biennium: str) -> Published | None:
    return pipeline.earlier(biennium, pipeline.Store.configured())


@task(name="context", cache_policy=BY_PACKAGE_DAY_AND_EARLIER)
def context(
    package: Package,
    checked: PackageValidation,
    aggregates: Aggregates,
    previous: Published | None,
    language: str,
    review: Reviewed,
    publication_date: date | None,
    translated: dict[str, str],
) -> dict[str, Any]:
    return pipeline.context(
        package,
        checked,
        aggregates,
        previous,
        language=language,
        review=review,
        publication_date=publication_date,
        translated=translated,
    )


@task(name="translations", cache_policy=NO_CACHE, persist_result=False, **RETRY_TRANSIENT)
def translations(language: str) -> dict[str, str]:
    """The translation memory's passages in the edition's language, read once per build."""
    return pipeline.translations(language, pipeline.Store.configured())


@task(name="compare-builds", cache_policy=NO_CACHE, persist_result=False, **RETRY_TRANSIENT)
def compare_builds(
    biennium: str,
    identifier: str,
    outcomes: list[str] | None,
    files: tuple[ReceivedFile, ...],
    aggregates: Aggregates,
    evidence: pd.DataFrame,
) -> BuildComparison:
    return pipeline.compare_builds(
        biennium, identifier, outcomes, files, aggregates, evidence, pipeline.Store.configured()
    )


@task(name="render", cache_policy=BY_CONTEXT_AND_TEMPLATE, **RETRY_TRANSIENT)
def render(
    context: dict[str, Any],
    summary: pd.DataFrame,
    template: Path,
    out_dir: Path,
    evidence: pd.DataFrame | None = None,
) -> Rendered:
    return pipeline.render(context, summary, template, out_dir, evidence)


@task(name="pdf", cache_policy=NO_CACHE, persist_result=False)
def export_pdf(files: ReportFiles) -> ReportFiles:
    return pipeline.export_pdf(files)


@task(name="manifest", cache_policy=NO_CACHE, persist_result=False, **RETRY_TRANSIENT)
def record(
    identifier: str,
    biennium: str,
    inputs: list[dict[str, Any]],
    template: Path,
    parameters: dict[str, Any],
    files: ReportFiles,
    figures: dict[str, Any],
    out_dir: Path,
) -> Path:
    run_id = str(flow_run.id) if flow_run.id else None
    return pipeline.record(
        identifier,
        biennium,
        inputs,
        template,
        parameters,
        files,
        figures,
        out_dir,
        pipeline.Store.configured(),
        run_id,
    )


def _render(
    report: dict[str, Any],
    aggregates: Aggregates,
    template: Path,
    out_dir: Path,
    refresh: bool = False,
) -> Rendered:
    """The render task, given the context quoted: Prefect would otherwise walk every list and dict of it
    looking for futures (seconds for a 10,000-row report); it hands the task the context itself."""
    call = render.with_options(refresh_cache=True) if refresh else render
    rendered: Rendered = call(  # type: ignore[call-overload]
        quote(report), aggregates.summary, template, out_dir, quote(aggregates.evidence)
    )
    return rendered


def _read_all(files: tuple[ReceivedFile, ...]) -> list[Tables]:
    """Every file is read (one task each) before a failure is raised: the log lists every file that
    cannot be read, and the run's message names them (the first with its reason, then the others)."""
    futures = read_file.map(files)
    futures.wait()
    failed: list[tuple[ReceivedFile, BaseException]] = []
    for received, future in zip(files, futures, strict=True):
        if not future.state.is_completed():
            error = future.state.result(raise_on_failure=False)
            failed.append((received, error if isinstance(error, BaseException) else PackageError(str(error))))
    logger = get_run_logger()
    for received, error in failed:
        logger.error("%s could not be read: %s", received.name, error)
    if failed:
        raise pipeline.unreadable(failed)
    tables = [future.result() for future in futures]
    logger.info(
        "using %d file(s), %d row(s): %s",
        len(files),
        sum(len(frame) for file_tables in tables for frame in file_tables.frames),
        ", ".join(f.name for f in files),
    )
    return tables


def _run_day() -> date:
    scheduled = flow_run.scheduled_start_time
    return scheduled.date() if scheduled else datetime.now(UTC).date()


def _run_name() -> str:
    """`report-<biennium>-<time>-<run id's first letters>`: unique, and sorted by time in the UI."""
    biennium = pipeline.biennium_of_run(
        flow_run.parameters.get("biennium"), flow_run.parameters.get("package"), _run_day()
    )
    return pipeline.run_name(biennium, flow_run.scheduled_start_time, str(flow_run.id))


@flow(
    name=BIENNIAL_REPORT_FLOW,
    flow_run_name=_run_name,
    log_prints=True,
    timeout_seconds=RUN_TIMEOUT_SECONDS,
    on_cancellation=[build_cancelled],  # build.json says which editions are missing
)
def biennial_report(
    package: Annotated[str | None, FORM_TEXT] = form_field(
        None,
        "Package folder",
        "A submission package's folder. Empty: the biennium's folder under REPORTING_PACKAGES_DIR.",
    ),
    biennium: FormBiennium = form_field(
        None,
        "Biennium",
        "Four digits, a dash, two digits, e.g. 2014-15. Empty: the package's biennium, or on a scheduled run "
        "the one that has just closed.",
    ),
    outcomes: Annotated[list[OutcomeId] | None, FORM_LIST] = form_field(
        None, "Outcomes", "Build only these outcomes, e.g. 7. Empty: every outcome."
    ),
    template: Annotated[str | None, FORM_TEXT] = form_field(
        None, "Word template", "A .docx template. Empty: templates/implementation-report.docx."
    ),
    out: Annotated[str | None, FORM_TEXT] = form_field(
        None,
        "Output folder",
        "Where the report is written. Empty: `REPORTING_OUTPUT_DIR/<biennium>`, else `out/<biennium>`.",
    ),
    strict: bool = form_field(False, "Strict", "Fail when validation rejects any row."),
    pdf: bool = form_field(
        False,
        "PDF",
        "Also write the report as PDF (LibreOffice headless: tagged, contents and page numbers).",
    ),
    language: Language | list[Language] = form_field(
        "en",
        "Language",
        "The edition: en, fr or es, or several, each into its own folder `OUT/<language>/` (a draft's into "
        "`OUT/draft/<language>/`).",
    ),
    draft: bool = form_field(
        False,
        "Draft",
        "Count every reportable result not returned to its office, not only the approved ones, and mark the "
        "report DRAFT (those returned are listed in a draft annex).",
    ),
    publication_date: Annotated[date | None, FORM_DATE] = form_field(
        None, "Publication date", "The date on the cover, e.g. 2016-03-31. Empty: the day of the build."
    ),
) -> dict[str, Any]:
    """Build the implementation report of one biennium's submission package (each parameter is described
    in the Run form)."""
    wanted, root = pipeline.package_of(biennium, package, _run_day())
    get_run_logger().info("building %s from %s", wanted or "the package", root)
    framework, intake = receive(root, wanted)
    with write_slot(framework.biennium):
        languages = pipeline.languages_of(language)
        return _build(
            root, framework, intake, outcomes, template, out, strict, pdf, languages, draft, publication_date
        )


def _build(
    root: Path,
    framework: Framework,
    intake: Intake,
    outcomes: list[str] | None,
    template: str | None,
    out: str | None,
    strict: bool,
    pdf: bool,
    languages: list[str],
    draft: bool,
    publication_date: date | None,
) -> dict[str, Any]:
    """The stages after the framework was read, holding the biennium's write slot: take the package in,
    count what the review lets count, publish each edition."""
    whole, checked_whole = _take_in(root, framework, intake, languages, strict)
    received, checked = select(whole, checked_whole, outcomes)
    reviewed, aggregates = _count(whole, checked_whole, received, checked, draft)
    parameters = {
        "package": str(root),
        "outcomes": outcomes,
        "template": template,
        "strict": strict,
        "pdf": pdf,
        "draft": draft,
        "publication_date": publication_date.isoformat() if publication_date else None,
    }
    return _publish(
        intake,
        received,
        checked,
        reviewed,
        aggregates,
        template,
        out,
        parameters,
        languages,
        findings=checked_whole.findings,
    )


def _take_in(
    root: Path, framework: Framework, intake: Intake, languages: list[str], strict: bool
) -> tuple[Package, PackageValidation]:
    """Read every file, validate the whole package (findings as an artifact) and store it: the whole
    package is stored whichever outcomes are built."""
    logger = get_run_logger()
    tables = _read_all(intake.files)
    whole = assemble(root, framework, intake.files, tables)
    logger.info("validating %d evidence row(s)", len(whole.evidence))
    checked = pipeline.noting_translations(
        pipeline.noting_intake(validate(whole), intake, tables), framework, languages
    )
    findings = checked.findings
    if len(findings):
        logger.warning("%d finding(s); %d row(s) set aside", len(findings), len(checked.rejected))
    create_table_artifact(
        key=f"{pipeline.report_keys(framework.biennium, root)}-findings",
        table=findings_artifact_table(findings),
        description=f"Validation findings {framework.biennium} (file, sheet, row, column, rule): "
        f"{len(findings)}",
    )
    if strict:
        pipeline.refuse_rejected(checked)
    stored = store(whole, checked)
    logger.info(
        "stored %d new file(s), %d already stored; the report uses %d evidence row(s), %d rejected",
        stored.files_new,
        stored.files_already_stored,
        len(whole.evidence),
        len(checked.rejected),
    )
    return whole, checked


def _count(
    whole: Package,
    checked_whole: PackageValidation,
    received: Package,
    checked: PackageValidation,
    draft: bool,
) -> tuple[Reviewed, Aggregates]:
    """Apply the review (the package's decisions, the store's statuses) and count the member States:
    approved results only, or every reportable one in a draft."""
    logger = get_run_logger()
    reviewed: Reviewed
    reviewed, notes = review(  # type: ignore[call-overload]
        whole, checked_whole, quote(checked.evidence.clean), draft
    )
    for note in notes:
        logger.warning("%s", note)
    if reviewed.pending:
        counted = (
            "counted in this DRAFT" if draft else "left out (reporting review list; --draft counts them)"
        )
        logger.warning("%d result(s) not yet approved: %s", len(reviewed.pending), counted)
    logger.info("counting member States per indicator and region")
    return reviewed, count(received, checked, reviewed)


def _publish(
    intake: Intake,
    received: Package,
    checked: PackageValidation,
    reviewed: Reviewed,
    aggregates: Aggregates,
    template: str | None,
    out: str | None,
    parameters: dict[str, Any],
    languages: list[str],
    findings: pd.DataFrame,
) -> dict[str, Any]:
    """Each edition rendered and recorded, the run's summary and counts as artifacts, and what was
    written (the run's result)."""
    biennium = received.framework.biennium
    keys = pipeline.report_keys(biennium, received.root)
    previous = earlier(biennium)
    template_file = Path(template) if template else default_template()
    out_dir = pipeline.out_folder(out, biennium)
    rows_ingested, rows_rejected = len(received.evidence), len(checked.evidence.rejected)
    figures = pipeline.build_figures(aggregates, rows_ingested, rows_rejected)
    reports = {
        language: context(
            received,
            checked,
            aggregates,
            previous,
            language,
            reviewed,
            _published_on(parameters),
            translations(language),
        )
        for language in languages
    }
    if parameters["strict"]:  # no edition is written while one has untranslated passages
        for report in reports.values():
            pipeline.refuse_untranslated(report)
    editions = {
        language: _edition(
            reports[language],
            aggregates,
            intake,
            checked,
            template_file,
            pipeline.edition_folder(out_dir, language, bool(parameters["draft"])),
            {**parameters, "language": language},
            figures,
            keys if language == languages[0] else f"{keys}-{language}",
        )
        for language in languages
    }
    files_out, identifier, build_json, comparison, edited = editions[languages[0]]
    draft = bool(parameters["draft"])
    summary = run_summary_markdown(
        biennium,
        aggregates.summary,
        aggregates.results,
        rows_ingested=rows_ingested,
        rows_rejected=rows_rejected,
        docx_path=str(files_out.docx),
        outcomes=parameters["outcomes"],
        edited_kept=str(edited) if edited else None,
    )
    create_markdown_artifact(
        key=f"{keys}-summary",
        markdown=draft_markdown(summary, len(reviewed.pending), reviewed.returned_listed)
        if draft
        else summary,
        description=f"Implementation report {biennium}: counts vs targets",
    )
    create_table_artifact(
        key=f"{keys}-by-region",
        table=region_table(aggregates.summary),
        description="Member States with a reportable result, by indicator and region",
    )
    return {
        "biennium": biennium,
        "docx": str(files_out.docx),
        "pdf": str(files_out.pdf) if files_out.pdf else None,
        "editions": {language: str(e.files.docx) for language, e in editions.items()},
        "pdfs": {language: str(e.files.pdf) if e.files.pdf else None for language, e in editions.items()},
        "summary_csv": str(files_out.summary_csv),
        "evidence_csv": str(files_out.evidence_csv) if files_out.evidence_csv else None,
        "build_json": str(build_json),
        "build_id": identifier,
        "changes": comparison.line,
        "rows_ingested": rows_ingested,
        "rows_rejected": rows_rejected,
        "findings": len(findings),
        "findings_table": findings,
        "summary": aggregates.summary,
        "edited_kept": str(edited) if edited else None,
        "draft": draft,
        "pending": len(reviewed.pending),
        "reviewed": reviewed,
    }


def _published_on(parameters: dict[str, Any]) -> date | None:
    """The cover's date the run was asked for (None: the day of the build)."""
    asked = parameters["publication_date"]
    return date.fromisoformat(asked) if asked else None


class Edition(NamedTuple):
    """What the build of one language wrote."""

    files: ReportFiles
    identifier: str
    build_json: Path
    comparison: BuildComparison
    edited: Path | None


def _edition(
    report: dict[str, Any],
    aggregates: Aggregates,
    intake: Intake,
    checked: PackageValidation,
    template_file: Path,
    out_dir: Path,
    parameters: dict[str, Any],
    figures: dict[str, Any],
    keys: str,
) -> Edition:
    """One language's report (its context given): compared with the biennium's earlier builds,
    rendered into `out_dir` (and its PDF with `parameters["pdf"]`), recorded (build.json and the store)
    and linked from the Prefect UI."""
    logger = get_run_logger()
    biennium, language, outcomes = str(report["biennium"]), str(report["language"]), parameters["outcomes"]
    approvals = pipeline.approvals(biennium, pipeline.Store.configured())
    identifier = build_identity(intake.files, template_file, outcomes, parameters["draft"], approvals)
    comparison: BuildComparison = compare_builds(  # type: ignore[call-overload]
        biennium, identifier, outcomes, quote(intake.files), quote(aggregates), quote(checked.evidence.clean)
    )
    report = pipeline.stamped(report, identifier, comparison)
    edited = pipeline.keep_edited_report(out_dir, biennium)
    if edited:
        logger.warning("the report was edited since it was written: kept as %s", edited)
    logger.info("rendering the report into %s", out_dir)
    rendered = _render(report, aggregates, template_file, out_dir)
    if not rendered.intact:
        logger.info("%s was removed or edited since it was rendered: rendering again", rendered.files.docx)
        rendered = _render(report, aggregates, template_file, out_dir, refresh=True)
    files_out = rendered.files
    if parameters["pdf"]:
        logger.info("writing the PDF (LibreOffice)")
        files_out = export_pdf(files_out)
    elif pdf_of(files_out.docx).exists():
        logger.warning("%s is from an earlier build: build with --pdf to update it", pdf_of(files_out.docx))
    build_json = record(
        identifier,
        biennium,
        comparison.inputs,
        template_file,
        {**parameters, "out": str(out_dir)},
        files_out,
        figures,
        out_dir,
    )
    logger.info("build %s: %s", short_id(identifier), build_json)
    create_markdown_artifact(
        key=f"{keys}-changes",
        markdown=comparison.markdown,
        description=f"What changed since the previous build of {biennium}",
    )
    logger.info("%s", comparison.line)
    share = settings.current()
    create_markdown_artifact(
        key=f"{keys}-docx",
        markdown=report_link_markdown(files_out.docx, share.output_dir, share.output_url),
        description=f"The Word report {biennium}, {LANGUAGE_NAMES[language]} (editable before it goes out)",
    )
    if files_out.pdf:
        create_markdown_artifact(
            key=f"{keys}-pdf",
            markdown=report_link_markdown(files_out.pdf, share.output_dir, share.output_url),
            description=f"The report {biennium}, {LANGUAGE_NAMES[language]}, as PDF (tagged, contents and "
            "page numbers updated)",
        )
    logger.info("report written: %s", files_out.docx)
    return Edition(files_out, identifier, build_json, comparison, edited)


if __name__ == "__main__":  # the same as `reporting build PACKAGE --out OUT`: the data folder's server
    from reporting.cli import app

    app(["build", sys.argv[1], *(["--out", sys.argv[2]] if len(sys.argv) > 2 else [])])
