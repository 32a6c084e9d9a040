"""`end-of-biennium`: build the draft, publish it, wait for sign-off in the Prefect UI, then build the
final report and lock the biennium — or record why it was returned.

The wait is Prefect's interactive workflow: the run pauses with a `SignOff` form (the draft's summary
above it); the operator opens the run in the UI, chooses approve or return and resumes it. Approving
approves exactly the results the draft counted (on the rows it counted), so the final report publishes
the figures shown above the form. It pauses with `pause_flow_run`, not `suspend_flow_run`: a suspended
run is started again from the beginning by its deployment's worker, which would build the draft a
second time and needs a worker for a run started from the command line; a paused run waits in its
process (a sleeping process, polling every minute). A run that crashes (its worker's machine lost while
it waits, days may pass) and is run again (the automation of orchestration/crashed_runs.py) builds its
draft again and shows a new form, with keys of its own try: Prefect keeps a form's inputs under its key
for good, so asking again with a key used before is refused ("409 A flow run input with this key
already exists") and an earlier answer is never taken for the new draft.

Only a signer of the people directory answers: an answer from anyone else (or with no directory) is
not taken; the run logs why and shows the form again with the reason above it, so the draft stands
and a signer can still answer.

How a run ends says what happened: Completed (signed off: the final report is out, the biennium
locked), `Returned` (a Failed state by that name, with the signer's comment) or `Expired` (no answer
within `timeout_days`, default 14: the draft stands). Both are failures to Prefect, so the failure
alert (deployments/automations.py) posts them.

Its deployment `end-of-biennium/sign-off` (deployments/prefect.yaml) is the scheduled end of each
biennium: 15 January of even years, the three editions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from time import monotonic
from typing import Annotated, Any, Literal, Self

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import State
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run
from prefect.states import Completed, Failed, Running
from pydantic import ConfigDict, Field, model_validator

from reporting import people, pipeline, settings
from reporting.escaping import markdown_cell, markdown_text
from reporting.flows.biennial_report import FormBiennium, Language, biennial_report, form_field
from reporting.report.draft import returned_markdown
from reporting.review.build import Reviewed
from reporting.review.results import ReviewError, lock, require, sign_off
from reporting.store.database import engine_for

DAY_SECONDS = 24 * 3600
POLL_SECONDS = 60
SIGN_OFF_KEY = "sign-off"
RETURNED = "Returned"
"""The name of the (Failed) state of a run whose draft was returned."""
EXPIRED = "Expired"
"""The name of the (Failed) state of a run that had no answer within `timeout_days`."""
RETURN_NEEDS_A_COMMENT = "returning the draft needs a comment: say what the draft lacks"


class SignOff(RunInput):
    """The sign-off form shown in the UI when the run waits."""

    model_config = ConfigDict(  # the server checks an answer against this schema: no return without a comment
        json_schema_extra={
            "if": {"properties": {"decision": {"const": "return"}}},
            "then": {"properties": {"comment": {"minLength": 1, "pattern": r"\S"}}},
        }
    )

    decision: Literal["approve", "return"] = Field(
        title="Decision",
        description="approve: build the final report (exactly the results the draft counts, no watermark) "
        "and lock the biennium. return: the draft is not accepted; say why below.",
    )
    by: str = Field(
        min_length=1,
        title="Your name",
        description="As the people directory names you (a signer; REPORTING_PEOPLE_FILE). Recorded in the "
        "audit trail.",
    )
    comment: str = Field(
        default="",
        title="Comment",
        description="Required to return the draft: what it lacks (a note on an approval is optional).",
    )

    @model_validator(mode="after")
    def _return_has_a_comment(self) -> Self:
        if self.decision == "return" and not self.comment.strip():
            raise ValueError(RETURN_NEEDS_A_COMMENT)
        return self


def _documents(built: dict[str, Any]) -> str:
    """The .docx of each edition a biennial-report run wrote, as plain text (a state message is not
    Markdown: the UI shows it as it is)."""
    return ", ".join(built["editions"].values())


def _document_list(built: dict[str, Any]) -> str:
    """The .docx of each edition, one Markdown list item each (the UI shows a path as a block of its own)."""
    return "\n".join(f"- {language}: `{docx}`" for language, docx in built["editions"].items())


def sign_off_description(draft: dict[str, Any]) -> str:
    """The Markdown above the form and in the `sign-off-<biennium>` artifact: the figures the draft
    counts (those the final report publishes once approved), where it is, and the results returned."""
    summary = draft["summary"]
    totals = summary[summary["region"] == "Total"]
    rows = "\n".join(
        f"| {markdown_cell(r.indicator)} | {'' if str(r.target) == '<NA>' else r.target} | {r.achieved} | "
        f"{r.achieved_approved} | {r.achieved_pending} |"
        for r in totals.itertuples(index=False)
    )
    reviewed: Reviewed = draft["reviewed"]
    return (
        f"## Sign-off of the implementation report {draft['biennium']} (DRAFT)\n\n"
        f"The draft:\n\n{_document_list(draft)}\n\nIt counts {len(reviewed.counted_rows)} result(s), "
        f"{len(reviewed.pending)} of them not yet approved: approving the draft approves exactly these, "
        "and the final report publishes the figures below. A result submitted or changed since is not "
        "approved by it.\n\n"
        "| indicator | target | achieved | approved | pending |\n|---|---|---|---|---|\n"
        f"{rows}\n\n"
        f"### Returned to their office, not counted ({len(reviewed.returned)})\n\n"
        f"{returned_markdown(reviewed.returned_listed)}\n\n"
        "Choose **approve** or **return** (with a comment) and resume the run."
    )


def _run_name() -> str:
    """`sign-off-<biennium>-<time>-<run id's first letters>`: unique, and sorted by time in the UI."""
    started = flow_run.scheduled_start_time or datetime.now(UTC)
    biennium = pipeline.biennium_of_run(
        flow_run.parameters.get("biennium"), flow_run.parameters.get("package"), started.date()
    )
    return pipeline.run_name(biennium, started, str(flow_run.id), kind="sign-off")


def _expired(timeout_days: float, chosen: str, draft: dict[str, Any]) -> State[Any]:
    """The run's end when no answer came: Prefect refuses any state after an expired pause but its own
    anonymous Failed, so the run is set Running (forced) and then ends in its own state."""
    message = f"no sign-off within {timeout_days:g} days: the draft of {chosen} stands ({_documents(draft)})"
    get_run_logger().warning(message)
    run_id = flow_run.get_id()
    assert run_id is not None  # inside a flow run
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run_id, Running(message="the sign-off expired"), force=True)
    return Failed(name=EXPIRED, message=message)


def _pause_key(attempt: int) -> str:
    """The key of the run's `attempt`-th form in this try of the run: `sign-off`, `sign-off-1`, … on
    the first try, `sign-off-try2`, `sign-off-try2-1`, … on the second. Prefect fires a key once and
    keeps its form's inputs under it, also for a later try of the run."""
    tries = flow_run.run_count
    base = SIGN_OFF_KEY if tries <= 1 else f"{SIGN_OFF_KEY}-try{tries}"
    return base if attempt == 0 else f"{base}-{attempt}"


def _signers_answer(description: str, timeout_days: float) -> SignOff | None:
    """The first answer given by a signer of the people directory (None: none within `timeout_days`).
    Whether someone may sign off is known only once they answer: an answer from anyone else is logged
    and the form shown again with the reason above it (each pause with a key of its own, `_pause_key`)."""
    logger = get_run_logger()
    deadline = monotonic() + timeout_days * DAY_SECONDS
    above, attempt = description, 0
    while (left := deadline - monotonic()) > 0:
        try:
            answer = pause_flow_run(
                wait_for_input=SignOff.with_initial_data(description=above),
                timeout=max(1, round(left)),
                poll_interval=min(POLL_SECONDS, max(1, round(timeout_days * DAY_SECONDS / 4))),
                key=_pause_key(attempt),
            )
        except FlowPauseTimeout:
            return None
        try:
            require(answer.by, people.SIGNER)
        except ReviewError as refused:
            logger.warning(
                "the answer of %s is not taken: %s; the form waits for a signer", answer.by, refused
            )
            why = f"the answer of {markdown_text(answer.by)}: {markdown_text(refused)}"
            above = f"**Not taken: {why}.**\n\n{description}"
            attempt += 1
            continue
        return answer
    return None


@flow(name="end-of-biennium", flow_run_name=_run_name, log_prints=True)
def end_of_biennium(
    package: str = form_field(
        "",
        "Package folder",
        "The submission package folder; empty: the folder named after the biennium under "
        "REPORTING_PACKAGES_DIR (default examples/).",
    ),
    biennium: FormBiennium = form_field(
        None,
        "Biennium",
        "The biennium signed off: four digits, a dash, two digits, e.g. 2026-27; empty: the package's, "
        "or on a scheduled run the biennium that has just closed.",
    ),
    out: str = form_field(
        "",
        "Output folder",
        "Where the reports go: each edition into OUT/<language>/, the draft into OUT/draft/<language>/; "
        "empty: REPORTING_OUTPUT_DIR/<biennium>, else out/<biennium>.",
    ),
    language: Language | list[Language] = form_field(
        "en", "Editions", "en, fr or es, or several: the draft and the final report in each."
    ),
    timeout_days: Annotated[float, Field(gt=0)] = form_field(
        14.0,
        "Days to wait for the sign-off",
        "With no answer by then the run ends Expired and the draft stands.",
    ),
) -> State[Any]:
    """Build the draft of a biennium's report, wait for sign-off (SignOff form in the UI), then build
    the final report and lock the biennium (Completed), or record the return (Returned)."""
    logger = get_run_logger()
    draft = biennial_report(
        package=package or None, biennium=biennium, out=out or None, language=language, draft=True, force=True
    )
    chosen = str(draft["biennium"])
    description = sign_off_description(draft)
    create_markdown_artifact(key=f"sign-off-{chosen}", markdown=description, description="Awaiting sign-off")
    logger.info("the draft of %s waits for sign-off in the UI (up to %g days)", chosen, timeout_days)
    answer = _signers_answer(description, timeout_days)
    if answer is None:
        return _expired(timeout_days, chosen, draft)
    engine = engine_for(settings.database_url())
    if answer.decision == "return":
        sign_off(engine, chosen, answer.by, approve=False, comment=answer.comment)
        message = f"the draft of {chosen} was returned by {answer.by}: {answer.comment.strip()}"
        logger.warning(message)
        return Failed(name=RETURNED, message=message)
    reviewed: Reviewed = draft["reviewed"]
    sign_off(engine, chosen, answer.by, approve=True, comment=answer.comment, counted=reviewed.counted_rows)
    final = biennial_report(package=package or None, biennium=chosen, out=out or None, language=language)
    lock(engine, chosen, answer.by, "report signed off")
    message = f"signed off by {answer.by}: final report {_documents(final)}; {chosen} is locked"
    logger.info(message)
    return Completed(message=message, data=final["docx"])
