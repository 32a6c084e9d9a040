"""`biennial-report`: `reporting.pipeline.publish` with each stage a Prefect task.

The order of the stages is `publish`'s alone; this module only wraps the pipeline's stage functions in
tasks (retries, cache policies), holds the biennium's write slot while the run writes, and tells the
operator what happened (logs, artifacts). Ingest is one task per file, so a file that cannot be read
does not stop the others from being read (the run still fails, with that file's one-line reason). Tasks
that read or render are cached by the content they work on (flows/caching.py): a rebuild where one file
changed reads only that file again. A first task, `up-to-date`, ends the run at once when today's build
of the same inputs into the same folder made the outputs (the `force` parameter builds anyway).

Run it with `reporting build PACKAGE --out DIR`, from a deployment (deployments/prefect.yaml:
`prefect deployment run 'biennial-report/rebuild' -p biennium=2014-15`), or directly:
`python flows/biennial_report.py PACKAGE OUT`. Prefect's settings are the caller's to configure
(`settings.configure_prefect()`, before Prefect is imported): the CLI, the worker and the tests do.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal, cast

from prefect import flow, get_run_logger, task
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.states import Completed
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.utilities.annotations import quote
from pydantic import AfterValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from reporting import pipeline
from reporting.errors import PackageError
from reporting.flows.artifacts import edition_artifacts, findings_artifact, summary_artifacts
from reporting.flows.caching import (
    BY_CONTEXT_AND_TEMPLATE,
    BY_PACKAGE,
    BY_PACKAGE_AND_REVIEW,
    BY_PACKAGE_DAY_AND_EARLIER,
    BY_RECEIVED_FILE,
)
from reporting.flows.task_options import RETRY, UNCACHED
from reporting.flows.write_slot import write_slot
from reporting.framework import BIENNIUM_PATTERN
from reporting.intake.readers import ReceivedFile, Tables
from reporting.orchestration import BIENNIAL_REPORT_FLOW
from reporting.orchestration.cancelled_build import build_cancelled

Biennium = Annotated[str, Field(pattern=BIENNIUM_PATTERN, description="e.g. 2014-15")]
OUTCOME_PATTERN = r"^[0-9A-Za-z.]+$"
OutcomeId = Annotated[str, Field(pattern=OUTCOME_PATTERN, description="an outcome id, e.g. 7")]
Language = Literal["en", "fr", "es"]
RUN_TIMEOUT_SECONDS = 4 * 3600
"""A run is stopped after this long. Timeouts are set on the run, not on each task: tasks run in a worker
thread, where Prefect cannot interrupt a blocking read or write (and says so in a warning per task)."""


def biennium_like_2014_15(value: str | None) -> str | None:
    """The flow's own check of a biennium, saying what is wrong: it stops a run whose parameters the
    server did not check ("Validate parameters" unticked in the Run form) or a direct call."""
    if value is not None and not re.fullmatch(BIENNIUM_PATTERN, value):
        raise PydanticCustomError("biennium", "must look like 2014-15, not '{value}'", {"value": value})
    return value


def form_field(default: Any, title: str, description: str) -> Any:
    """A parameter's default as Prefect's form building reads it: the Run form shows the title and the
    description (Prefect titles a parameter with its name unless the schema's extra says otherwise)."""
    return Field(default, description=description, json_schema_extra={"title": title})


# An optional parameter is shown in the Run form as a plain field (unset means its default), not as a
# "str / None" toggle: its form schema is the value's alone (WithJsonSchema).
FORM_TEXT = WithJsonSchema({"type": "string"})
FORM_DATE = WithJsonSchema({"type": "string", "format": "date"})
FORM_LIST = WithJsonSchema({"type": "array", "items": {"type": "string", "pattern": OUTCOME_PATTERN}})
FormBiennium = Annotated[
    str | None,
    AfterValidator(biennium_like_2014_15),
    WithJsonSchema({"type": "string", "pattern": BIENNIUM_PATTERN, "examples": ["2014-15"]}),
]


read_file = task(name="read-file", task_run_name="read-{received.name}", cache_policy=BY_RECEIVED_FILE)(
    pipeline.read
)
render = task(name="render", cache_policy=BY_CONTEXT_AND_TEMPLATE, **RETRY)(pipeline.render)


def _quoting(call: Callable[..., Any]) -> Callable[..., Any]:
    """The task given its arguments quoted: Prefect would otherwise walk every list and dict of a
    report's context and frames looking for futures (seconds for a 10,000-row report)."""
    return lambda *arguments: call(*(quote(a) for a in arguments))


def _read_all(files: tuple[ReceivedFile, ...]) -> list[Tables]:
    """Every file is read (one task each) before a failure is raised: the log lists every file that
    cannot be read, and the run's message names them (the first with its reason, then the others)."""
    futures = read_file.map(files)
    futures.wait()
    logger = get_run_logger()
    failed: list[tuple[ReceivedFile, BaseException]] = []
    for received, future in zip(files, futures, strict=True):
        if not future.state.is_completed():
            error = future.state.result(raise_on_failure=False)
            failed.append((received, error if isinstance(error, BaseException) else PackageError(str(error))))
            logger.error("%s could not be read: %s", received.name, error)
    if failed:
        raise pipeline.unreadable(failed)
    tables = [future.result() for future in futures]
    rows = sum(len(frame) for file_tables in tables for frame in file_tables.frames)
    logger.info("using %d file(s), %d row(s): %s", len(files), rows, ", ".join(f.name for f in files))
    return tables


STAGES = pipeline.Stages(
    receive=task(name="receive", **UNCACHED, **RETRY)(pipeline.receive),
    writing=write_slot,
    current=task(name="up-to-date", **UNCACHED, **RETRY)(pipeline.current),
    read_all=_read_all,
    assemble=task(name="assemble", **UNCACHED)(pipeline.assemble),
    validate=task(name="validate", cache_policy=BY_PACKAGE)(pipeline.validate),
    store=task(name="store", **UNCACHED, **RETRY)(pipeline.store),
    select=task(name="select-outcomes", **UNCACHED)(pipeline.select),
    review=_quoting(task(name="review", **UNCACHED, **RETRY)(pipeline.review)),
    count=task(name="aggregate", cache_policy=BY_PACKAGE_AND_REVIEW)(pipeline.count),
    earlier=task(name="earlier-biennium", **UNCACHED, **RETRY)(pipeline.earlier),
    translations=task(name="translations", **UNCACHED, **RETRY)(pipeline.translations),
    context=task(name="context", cache_policy=BY_PACKAGE_DAY_AND_EARLIER)(pipeline.context),
    compare=_quoting(task(name="compare-builds", **UNCACHED, **RETRY)(pipeline.compare_builds)),
    render=_quoting(render),
    render_again=_quoting(render.with_options(refresh_cache=True)),
    export_pdfs=task(name="pdfs", **UNCACHED)(pipeline.export_pdfs),
    record=task(name="manifest", **UNCACHED, **RETRY)(pipeline.record),
    checked=findings_artifact,
    published=edition_artifacts,
)
"""The pipeline's stages as this flow's tasks."""


def _run_name() -> str:
    """`report-<biennium>-<time>-<run id's first letters>`: unique, and sorted by time in the UI."""
    parameters, started = flow_run.parameters, flow_run.scheduled_start_time
    biennium = pipeline.biennium_of_run(parameters.get("biennium"), parameters.get("package"), started.date())
    return pipeline.run_name(biennium, started, str(flow_run.id))


@flow(
    name=BIENNIAL_REPORT_FLOW,
    flow_run_name=_run_name,
    log_prints=True,
    timeout_seconds=RUN_TIMEOUT_SECONDS,
    on_cancellation=[build_cancelled],  # build.json says which editions are missing
    # A file per core is read at a time: reading is CPU-bound, so more threads only add memory (the 19
    # files of a whole programme read at once took 1.5 GB at 100,000 rows; peak 2.77 GB, now 2.29 GB).
    # (The cast: Prefect's flow decorator types its task runner invariantly in the kind of future.)
    task_runner=cast("TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=os.cpu_count() or 1)),
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
    force: bool = form_field(
        False, "Force", "Build even when today's build of the same inputs made the outputs, untouched since."
    ),
) -> dict[str, Any]:
    """Build the implementation report of one biennium's submission package (each parameter is described
    in the Run form)."""
    asked = pipeline.Parameters(
        package, biennium, outcomes, template, out, strict, pdf, language, draft, publication_date, force
    )
    run_id = str(flow_run.id) if flow_run.id else None
    made = pipeline.publish(asked, pipeline.Store.configured(), STAGES, get_run_logger(), run_id)
    if isinstance(made, pipeline.Current):
        # The run ends in this state, its message the answer; the caller receives its data.
        return cast(dict[str, Any], Completed(message=made.line, data=made.as_result()))
    summary_artifacts(made, pipeline.report_keys(made.package.framework.biennium, made.package.root))
    return made.as_result()


if __name__ == "__main__":  # the same as `reporting build PACKAGE --out OUT`: the data folder's server
    from reporting.cli import app

    app(["build", sys.argv[1], *(["--out", sys.argv[2]] if len(sys.argv) > 2 else [])])
