"""`end-of-biennium`: build the draft, publish it, wait for sign-off in the Prefect UI, then build the
final report and lock the biennium — or record why it was returned.

The wait is Prefect's interactive workflow: the run pauses with a `SignOff` form (the draft's summary
above it); the operator opens the run in the UI, chooses approve or return and resumes it. It pauses
with `pause_flow_run`, not `suspend_flow_run`: a suspended run is started again from the beginning by
its deployment's worker, which would build the draft a second time and needs a worker for a run started
from the command line; a paused run waits in its process (a sleeping process, polling every minute).
No answer within `timeout_days` (default 14) leaves the draft, and the run ends Completed saying so.

Its deployment `end-of-biennium/sign-off` (deployments/prefect.yaml) is the scheduled end of each
biennium: 15 January of even years, the three editions.
"""

from __future__ import annotations

from typing import Any, Literal

from reporting import settings

settings.configure_prefect()  # before Prefect reads its settings: project-local home, no telemetry

from prefect import flow, get_run_logger  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402
from prefect.client.orchestration import get_client  # noqa: E402
from prefect.client.schemas.objects import State  # noqa: E402
from prefect.exceptions import FlowPauseTimeout  # noqa: E402
from prefect.flow_runs import pause_flow_run  # noqa: E402
from prefect.input import RunInput  # noqa: E402
from prefect.runtime import flow_run  # noqa: E402
from prefect.states import Completed, Running  # noqa: E402
from pydantic import Field  # noqa: E402

from reporting.flows.biennial_report import Biennium, Language, biennial_report  # noqa: E402
from reporting.review.results import lock, sign_off  # noqa: E402
from reporting.store.database import engine_for  # noqa: E402

DAY_SECONDS = 24 * 3600
POLL_SECONDS = 60
SIGN_OFF_KEY = "sign-off"


class SignOff(RunInput):
    """The sign-off form shown in the UI when the run waits."""

    decision: Literal["approve", "return"] = Field(
        description="approve: build the final report (approved results only, no watermark) and lock the "
        "biennium. return: the draft is not accepted; say why below."
    )
    by: str = Field(min_length=1, description="Your name (recorded in the audit trail).")
    comment: str = Field(default="", description="Why the draft is returned (or a note on the approval).")


def _documents(built: dict[str, Any]) -> str:
    """The .docx of each edition a biennial-report run wrote."""
    return ", ".join(f"`{docx}`" for docx in built["editions"].values())


def sign_off_description(draft: dict[str, Any]) -> str:
    """The Markdown above the form: what the draft counts and where it is."""
    summary = draft["summary"]
    totals = summary[summary["region"] == "Total"]
    rows = "\n".join(
        f"| {r.indicator} | {'' if str(r.target) == '<NA>' else r.target} | {r.achieved} | "
        f"{r.achieved_approved} | {r.achieved_pending} |"
        for r in totals.itertuples(index=False)
    )
    return (
        f"## Sign-off of the implementation report {draft['biennium']} (DRAFT)\n\n"
        f"Draft: {_documents(draft)}. {draft.get('pending', 0)} result(s) not yet approved are counted "
        "in it; approving the draft approves them.\n\n"
        "| indicator | target | achieved (draft) | approved | pending |\n|---|---|---|---|---|\n"
        f"{rows}\n\nChoose **approve** or **return** (with a comment) and resume the run."
    )


@flow(name="end-of-biennium", log_prints=True)
def end_of_biennium(
    package: str | None = None,
    biennium: Biennium | None = None,
    out: str | None = None,
    language: Language | list[Language] = "en",
    timeout_days: float = 14.0,
) -> State[Any]:
    """Build the draft of a biennium's report, wait for sign-off (SignOff form in the UI), then build
    the final report and lock the biennium, or record the return. package, biennium, out, language: as
    for biennial-report (the draft and the final report in the same editions). timeout_days: how long
    to wait for the sign-off before leaving the draft."""
    logger = get_run_logger()
    draft = biennial_report(package=package, biennium=biennium, out=out, language=language, draft=True)
    chosen = str(draft["biennium"])
    create_markdown_artifact(
        key=f"sign-off-{chosen}", markdown=sign_off_description(draft), description="Awaiting sign-off"
    )
    logger.info("the draft of %s waits for sign-off in the UI (up to %g days)", chosen, timeout_days)
    try:
        answer = pause_flow_run(
            wait_for_input=SignOff.with_initial_data(description=sign_off_description(draft)),
            timeout=max(1, round(timeout_days * DAY_SECONDS)),
            poll_interval=min(POLL_SECONDS, max(1, round(timeout_days * DAY_SECONDS / 4))),
            key=SIGN_OFF_KEY,
        )
    except FlowPauseTimeout:
        message = (
            f"no sign-off within {timeout_days:g} days: the draft of {chosen} stands ({_documents(draft)})"
        )
        logger.warning(message)
        run_id = flow_run.get_id()
        assert run_id is not None  # inside a flow run
        with get_client(sync_client=True) as client:  # out of the expired pause, to end as Completed
            client.set_flow_run_state(run_id, Running(message=message), force=True)
        return Completed(message=message)
    engine = engine_for(settings.database_url())
    if answer.decision == "return":
        sign_off(engine, chosen, answer.by, approve=False, comment=answer.comment)
        message = f"the draft of {chosen} was returned by {answer.by}: {answer.comment or 'no comment given'}"
        logger.warning(message)
        return Completed(message=message)
    sign_off(engine, chosen, answer.by, approve=True, comment=answer.comment)
    final = biennial_report(package=package, biennium=chosen, out=out, language=language)
    lock(engine, chosen, answer.by, "report signed off")
    message = f"signed off by {answer.by}: final report {_documents(final)}; {chosen} is locked"
    logger.info(message)
    return Completed(message=message, data=final["docx"])
