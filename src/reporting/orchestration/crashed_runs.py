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
package, a full disk) is not run again: trying again would give the same answer."""

from __future__ import annotations

from datetime import timedelta

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


def crashed_runs_rerun() -> AutomationCore:
    """A deployment's run that crashed goes back to its work pool. The state event carries the run's
    tries so far (`prefect.run-count`): a run that keeps crashing is left Crashed after RERUNS reruns. A
    run of no deployment (a build in a `reporting build` process) has no worker to run it again: the
    server refuses it the Scheduled state, and it stays Crashed."""
    return AutomationCore(
        name=RERUN,
        description=f"Runs again, at most {RERUNS} times, a deployment's flow run that crashed.",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Crashed"},
            match=ResourceSpecification(
                {
                    "prefect.resource.id": ["prefect.flow-run.*"],
                    "prefect.run-count": [str(tries) for tries in range(1, RERUNS + 1)],
                }
            ),
            match_related=ResourceSpecification({"prefect.resource.role": "deployment"}),
            posture=Posture.Reactive,
            threshold=1,
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


def detect_crashed_runs() -> None:
    """Create the automations on the server unless they are there."""
    with get_client(sync_client=True) as client:
        for name, automation in ((AUTOMATION, silent_runs_crash), (RERUN, crashed_runs_rerun)):
            if not client.read_automations_by_name(name):
                client.create_automation(automation())
