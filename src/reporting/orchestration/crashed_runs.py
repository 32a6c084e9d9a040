"""A run whose process is gone (killed, its machine down) ends *Crashed*, by Prefect's own mechanism
("Detect zombie flows" in Prefect's docs): every flow run sends a heartbeat event every
PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds (30: settings.configure_prefect), and the server's automation
AUTOMATION marks *Crashed* a run that, once Running, has sent neither a heartbeat nor a final state for
SILENCE_SECONDS.
A killed run therefore ends *Crashed* within SILENCE_SECONDS of its start or last heartbeat. The
automation is made where runs start: `reporting build` before its run, `make deploy`, and every run's
write slot (a server reached some other way); an automation sees only the runs that start after it."""

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


def detect_crashed_runs() -> None:
    """Create the automation on the server unless it is there."""
    with get_client(sync_client=True) as client:
        if not client.read_automations_by_name(AUTOMATION):
            client.create_automation(silent_runs_crash())
