"""A run whose process is gone (killed, its machine down) ends *Crashed*, by Prefect's own mechanism
("Detect zombie flows" in Prefect's docs): every flow run sends a heartbeat event every
PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds (30: settings.configure_prefect), and the server's automation
AUTOMATION marks *Crashed* a run that, once Running, has sent neither a heartbeat nor a final state for
SILENCE_SECONDS.
A killed run therefore ends *Crashed* within SILENCE_SECONDS of its start or last heartbeat. The
automation is made where runs start: `reporting build` before its run, `make deploy`, and every run's
write slot (a server reached some other way); an automation sees only the runs that start after it.

A deployment's run that ended *Crashed* (its worker or machine died, the server went away under it) is
run again by itself: the automation RERUN sets it *AwaitingRetry* (Scheduled), as Prefect's own
retries do, and a worker of its pool takes it again, at most RERUNS times. A run that *failed* (a wrong
package, a full disk) is not run again: trying again would give the same answer.

A run can also crash before it starts: its process could not reach the server (restarting) as it began,
Prefect's client failing fast on a first connection, and its worker reported it *Crashed*. It has not
counted a try (`prefect.run-count` 0), so RERUN_UNSTARTED, not RERUN, runs it again: at most once per
UNSTARTED_EVERY for each run, so that a run whose process never reaches its server is not started again
and again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prefect import get_client
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification

AUTOMATION = "crash-silent-flow-runs"
SILENCE_SECONDS = 90
"""Three heartbeats missed: the run's process is gone."""
RERUN = "rerun-crashed-runs"
RERUNS = 2
"""A run crashed on its first or second try is run again; one that crashes a third time stays Crashed."""
RERUN_UNSTARTED = "rerun-runs-crashed-before-they-started"
UNSTARTED_EVERY = timedelta(minutes=30)
"""A run that crashed before it started is run again at once, and then not again for this long."""


def silent_runs_crash() -> AutomationCore:
    return AutomationCore(
        name=AUTOMATION,
        description="Marks Crashed a flow run that stopped sending heartbeats (its process is gone).",
        trigger=EventTrigger(
            # From the run's start too: a run killed before its first heartbeat reached the server
            # would otherwise never be expected to send one, and stay Running for good.
            after={"prefect.flow-run.Running", "prefect.flow-run.heartbeat"},
            expect={
                "prefect.flow-run.heartbeat",
                "prefect.flow-run.Completed",
                "prefect.flow-run.Failed",
                "prefect.flow-run.Cancelled",
                "prefect.flow-run.Crashed",
            },
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=SILENCE_SECONDS),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                name="Crashed",
                force=False,
                message=f"no heartbeat for {SILENCE_SECONDS} s: the run's process is gone (killed?)",
            )
        ],
    )


def _rerun(name: str, description: str, run_counts: range, **throttle: Any) -> AutomationCore:
    """The automation that sets a deployment's Crashed run *AwaitingRetry* (Scheduled), for the tries
    counted so far (`prefect.run-count`) in `run_counts`. A run of no deployment (a build in a `reporting
    build` process) has no worker to run it again: the server refuses it the Scheduled state, and it stays
    Crashed."""
    return AutomationCore(
        name=name,
        description=description,
        trigger=EventTrigger(
            expect={"prefect.flow-run.Crashed"},
            match=ResourceSpecification(
                {
                    "prefect.resource.id": ["prefect.flow-run.*"],
                    "prefect.run-count": [str(tries) for tries in run_counts],
                }
            ),
            match_related=ResourceSpecification({"prefect.resource.role": "deployment"}),
            posture=Posture.Reactive,
            threshold=1,
            **throttle,
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.SCHEDULED,
                name="AwaitingRetry",
                force=False,  # a run that has left Crashed meanwhile (cancelled by hand) is left alone
                message="crashed (its worker, machine or server went away): run again",
            )
        ],
    )


def crashed_runs_rerun() -> AutomationCore:
    """A run that keeps crashing is left Crashed after RERUNS reruns."""
    return _rerun(
        RERUN,
        f"Runs again, at most {RERUNS} times, a deployment's flow run that crashed.",
        range(1, RERUNS + 1),
    )


def unstarted_runs_rerun() -> AutomationCore:
    """Each run its own bucket of UNSTARTED_EVERY (Prefect's reactive trigger fires on the first event of
    a bucket and ignores the others until the bucket ends)."""
    minutes = UNSTARTED_EVERY.total_seconds() / 60
    description = (
        f"Runs again a deployment's flow run that crashed before it started, once in {minutes:g} min."
    )
    return _rerun(
        RERUN_UNSTARTED,
        description,
        range(0, 1),
        for_each={"prefect.resource.id"},
        within=UNSTARTED_EVERY,
    )


def detect_crashed_runs() -> None:
    """Create the automations on the server unless they are there."""
    with get_client(sync_client=True) as client:
        for name, automation in (
            (AUTOMATION, silent_runs_crash),
            (RERUN, crashed_runs_rerun),
            (RERUN_UNSTARTED, unstarted_runs_rerun),
        ):
            if not client.read_automations_by_name(name):
                client.create_automation(automation())
