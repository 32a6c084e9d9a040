"""What a `biennial-report` run shows in the Prefect UI besides its logs: the validation findings, each
edition's changes since the previous build and links to its files, the counts against the targets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from reporting import pipeline, settings
from reporting.report.draft import draft_markdown
from reporting.report.edition import LANGUAGE_NAMES
from reporting.report.report_link import report_link_markdown
from reporting.report.run_summary import findings_artifact_table, region_table, run_summary_markdown


def findings_artifact(keys: str, biennium: str, findings: pd.DataFrame) -> None:
    """The validation findings of the whole package, one row each."""
    create_table_artifact(
        key=f"{keys}-findings",
        table=findings_artifact_table(findings),
        description=f"Validation findings {biennium} (file, sheet, row, column, rule): {len(findings)}",
    )


def edition_artifacts(keys: str, biennium: str, edition: pipeline.Edition) -> None:
    """The changes since the previous build, and links to the edition's Word report and PDF."""
    if edition.comparison is not None:
        create_markdown_artifact(
            key=f"{keys}-changes",
            markdown=edition.comparison.markdown,
            description=f"What changed since the previous build of {biennium}",
        )
    share, files, language = settings.current(), edition.files, LANGUAGE_NAMES[edition.language]
    create_markdown_artifact(
        key=f"{keys}-docx",
        markdown=_links(files.documents, share),
        description=f"The Word report {biennium}, {language}, and its companions, results by indicator "
        "and audit (editable before they go out)",
    )
    pdfs = [pdf for pdf in (files.pdf, *(c.pdf for c in files.companions)) if pdf is not None]
    if pdfs:
        create_markdown_artifact(
            key=f"{keys}-pdf",
            markdown=_links(pdfs, share),
            description=f"The report {biennium}, {language}, and its companions as PDF (tagged, contents "
            "and page numbers updated)",
        )


def _links(documents: list[Path], share: settings.Settings) -> str:
    """Where each document is: its path to copy, and its web links where the share or portal has one."""
    return "\n".join(report_link_markdown(path, share.output_dir, share.output_url) for path in documents)


def summary_artifacts(built: pipeline.Built, keys: str) -> None:
    """The run's counts against the targets, and the member States by region."""
    biennium, aggregates, review = built.package.framework.biennium, built.aggregates, built.review
    summary = run_summary_markdown(
        biennium,
        aggregates.summary,
        aggregates.results,
        rows_ingested=len(built.package.evidence),
        rows_rejected=len(built.checked.evidence.rejected),
        docx_path=str(built.files.docx),
        outcomes=flow_run.parameters.get("outcomes"),
        edited_kept=str(built.first.edited) if built.first.edited else None,
    )
    if review is not None and review.draft:
        summary = "".join(draft_markdown([summary], len(review.pending), review.returned_listed))
    create_markdown_artifact(
        key=f"{keys}-summary",
        markdown=summary,
        description=f"Implementation report {biennium}: counts vs targets",
    )
    create_table_artifact(
        key=f"{keys}-by-region",
        table=region_table(aggregates.summary),
        description="Member States with a reportable result, by indicator and region",
    )
