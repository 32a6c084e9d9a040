"""`biennial-report`: package folder → readers → schemas → store → aggregate → context → render.

Each task calls one library function; the flow only wires them and tells the operator what happened.
Run it with `reporting build PACKAGE --out DIR`, or directly: `python flows/biennial_report.py PACKAGE OUT`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from reporting import settings

settings.configure_prefect()  # before Prefect reads its settings: project-local home, no telemetry

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact, create_table_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.runtime import flow_run  # noqa: E402

from reporting.aggregate import Aggregates, aggregate  # noqa: E402
from reporting.context import report_context  # noqa: E402
from reporting.errors import StrictModeError  # noqa: E402
from reporting.ingest import Package, read_package  # noqa: E402
from reporting.render import ReportFiles, default_template, render_report  # noqa: E402
from reporting.run_summary import region_table, run_summary_markdown  # noqa: E402
from reporting.storage import StoreReport, engine_for, store_package  # noqa: E402
from reporting.validate import PackageValidation, validate_package  # noqa: E402


@task(name="ingest", retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
def ingest(package_dir: Path) -> Package:
    package = read_package(package_dir)
    logger = get_run_logger()
    for received in package.files:
        logger.info("received %s (%s, sha256 %s)", received.name, received.role, received.sha256[:12])
    return package


@task(name="validate", cache_policy=NO_CACHE)
def validate(package: Package) -> PackageValidation:
    return validate_package(package)


@task(name="store", retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
def store(package: Package, checked: PackageValidation) -> StoreReport:
    return store_package(
        engine_for(settings.database_url()),
        package,
        evidence=checked.evidence.clean,
        rejected=checked.rejected,
        targets=checked.targets.clean,
        archive_root=settings.archive_dir(),
    )


@task(name="aggregate", cache_policy=NO_CACHE)
def count(package: Package, checked: PackageValidation) -> Aggregates:
    return aggregate(checked.evidence.clean, checked.targets.clean, package.framework)


@task(name="render", retries=1, cache_policy=NO_CACHE)
def render(context: dict[str, Any], aggregates: Aggregates, template: Path, out_dir: Path) -> ReportFiles:
    return render_report(context, aggregates.summary, template, out_dir)


def _run_name() -> str:
    package = Path(str(flow_run.parameters.get("package", "package"))).name
    return f"report-{package}-{flow_run.scheduled_start_time.strftime('%Y%m%d-%H%M%S')}"


@flow(name="biennial-report", flow_run_name=_run_name, log_prints=True)
def biennial_report(
    package: str, out: str = "out", template: str | None = None, strict: bool = False
) -> dict[str, Any]:
    """Build the implementation report of one submission package into `out`."""
    logger = get_run_logger()
    received = ingest(Path(package))
    checked = validate(received)
    stored = store(received, checked)
    logger.info(
        "stored %d new file(s), %d already stored; %d evidence rows, %d rejected",
        stored.files_new,
        stored.files_already_stored,
        stored.evidence_rows,
        stored.rejected_rows,
    )
    findings = checked.findings
    if len(findings):
        logger.warning("%d finding(s); %d row(s) set aside", len(findings), len(checked.rejected))
        create_table_artifact(
            key=f"report-{received.framework.biennium}-findings",
            table=[{str(k): v for k, v in r.items()} for r in findings.astype(str).to_dict("records")],
            description="Validation findings (file, sheet, row, column, rule)",
        )
    if strict and len(checked.rejected):
        raise StrictModeError(f"--strict: {len(checked.rejected)} row(s) rejected by validation")
    aggregates = count(received, checked)
    context = report_context(received, checked, aggregates)
    files = render(context, aggregates, Path(template) if template else default_template(), Path(out))
    biennium = received.framework.biennium
    create_markdown_artifact(
        key=f"report-{biennium}-summary",
        markdown=run_summary_markdown(
            biennium,
            aggregates.summary,
            aggregates.results,
            rows_ingested=len(received.evidence),
            rows_rejected=len(checked.evidence.rejected),
            docx_path=str(files.docx.resolve()),
        ),
        description=f"Implementation report {biennium}: counts vs targets",
    )
    create_table_artifact(
        key=f"report-{biennium}-by-region",
        table=region_table(aggregates.summary),
        description="Member States with a reportable result, by indicator and region",
    )
    return {
        "biennium": biennium,
        "docx": str(files.docx),
        "summary_csv": str(files.summary_csv),
        "rows_ingested": len(received.evidence),
        "rows_rejected": len(checked.evidence.rejected),
        "findings": len(findings),
        "summary": aggregates.summary,
    }


if __name__ == "__main__":
    biennial_report(package=sys.argv[1], out=sys.argv[2] if len(sys.argv) > 2 else "out")
