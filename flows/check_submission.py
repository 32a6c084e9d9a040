"""`check-submission`: the check of one portal upload, as `reporting validate` checks a file. The portal
creates a run of the `check-submission/portal` deployment for each upload (never checking in its own web
request), so each check is visible in the Prefect UI with its findings as an artifact; the findings and
the highlighted validation workbook are written beside the upload, where the submitter's page reads
them (reporting.portal.uploads). Prefect's settings are the caller's to configure, as for every flow
(the worker's from `reporting server env`)."""

from __future__ import annotations

from typing import Annotated

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run
from pydantic import Field

from reporting import settings
from reporting.escaping import markdown_cell
from reporting.portal import uploads
from reporting.store.database import engine_for

SHOWN = ("file", "sheet", "row", "column", "rule", "message")
MOST_SHOWN = 200
"""Findings listed in the artifact (the workbook holds them all)."""

Biennium = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", description="The biennium, e.g. 2014-15.")]
UploadId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$", description="The upload's id (the portal's).")]


def findings_markdown(upload: uploads.Upload) -> str:
    """The findings as a Markdown table, every value escaped (they quote what a submitter typed)."""
    lines = [
        f"**{markdown_cell(upload.original_name)}** by {markdown_cell(upload.submitted_by)}: "
        f"{upload.rows} row(s) read, {len(upload.findings)} finding(s)"
        + (", some rows would be set aside" if upload.blocking else ""),
        "",
        "| " + " | ".join(SHOWN) + " |",
        "|" + "---|" * len(SHOWN),
    ]
    lines += [
        "| " + " | ".join(markdown_cell(f.get(c, "")) for c in SHOWN) + " |"
        for f in upload.findings[:MOST_SHOWN]
    ]
    return "\n".join(lines)


@flow(name="check-submission", flow_run_name="check-{biennium}-{upload}", log_prints=False)
def check_submission(biennium: Biennium, upload: UploadId) -> str:
    """Check one upload of the portal and save its findings where the submitter's page reads them.

    Args:
        biennium: The biennium, e.g. 2014-15.
        upload: The upload's id (the portal's).
    """
    found = uploads.load(biennium, upload)
    if found is None:
        raise ValueError(f"no upload {upload} of {biennium} in {uploads.uploads_dir()}")
    found.flow_run = str(flow_run.id)
    checked = uploads.check(engine_for(settings.database_url()), found)
    create_markdown_artifact(
        key=f"submission-check-{biennium}",
        markdown=findings_markdown(checked),
        description=f"Findings of an upload of {biennium}",
    )
    get_run_logger().info(
        "%s: %s, %d finding(s)", checked.original_name, checked.state, len(checked.findings)
    )
    if checked.state == uploads.FAILED:
        raise RuntimeError(str(checked.findings[0]["message"]))
    return checked.state
