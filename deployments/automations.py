"""Failure notifications, as code: a Prefect automation that tells the operators when a run of a
deployment of deployments/prefect.yaml fails, crashes, times out or is returned at the sign-off.

`make deploy` (scripts/prefect.sh deploy) runs this after registering the deployments; running it again
updates the automation and its webhook block in place (found by name), it never adds a second one.

    REPORTING_ALERT_WEBHOOK_URL=https://hooks.example.org/... python deployments/automations.py

The notification is a JSON POST `{"text": "<subject>\\n<body>"}` to that URL (what Slack and Mattermost
incoming webhooks accept) naming the flow run, its state and state message, and a link to the run in
the Prefect UI (PREFECT_UI_URL or PREFECT_API_URL of the server; when the server was started without
either, the address this script deployed to). The URL carries a token: it is stored in the
`reporting-alerts` block (Custom Webhook) as one of the block's secrets (the block's `url` is only the
placeholder `{{webhook_url}}`), so the API and the UI show it masked; it is never printed. With the
variable unset nothing is created and an automation left by an earlier deploy is kept as it is. On a
server without the deployments (`make deploy` not run), it says so in one line and saves nothing.

The server runs automations with its triggers and actions services, both governed by
PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED (on by default, started by `prefect server start`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from reporting import settings

settings.configure_prefect()

from prefect import get_client  # noqa: E402
from prefect.automations import Automation, EventTrigger, Posture, SendNotification  # noqa: E402
from prefect.blocks.notifications import CustomWebhookNotificationBlock  # noqa: E402
from prefect.exceptions import ObjectNotFound  # noqa: E402
from prefect.settings import get_current_settings  # noqa: E402
from prefect.types import SecretDict  # noqa: E402

URL_VARIABLE = "REPORTING_ALERT_WEBHOOK_URL"
AUTOMATION = "biennial-report-failed"
BLOCK = "reporting-alerts"
DEPLOYMENTS_FILE = Path(__file__).resolve().parent / "prefect.yaml"
# Failed, Crashed (the process died), TimedOut (a Failed state by another name: the run's timeout),
# Returned (the sign-off returned the draft) and Expired (no sign-off answer within timeout_days): the
# state's name, so a run ending in any of them is posted with its message (the signer's comment).
ALERTED_STATES = ("Failed", "Crashed", "TimedOut", "Returned", "Expired")
ALERT_EVENTS = {f"prefect.flow-run.{state}" for state in ALERTED_STATES}
SECRET = "webhook_url"
SUBJECT = "Report run {{ flow_run.name }} {{ flow_run.state.name }}"
BODY = (
    "{{ flow.name }}/{{ deployment.name }}: run {{ flow_run.name }} ended {{ flow_run.state.name }}.\n"
    "{{ flow_run.state.message }}\n"
)


def run_link(ui_base: str | None) -> str:
    """The run's page: `flow_run|ui_url` needs the server to know its address (PREFECT_UI_URL or
    PREFECT_API_URL in the server's environment); a server started without either renders it as None,
    so the address this script deployed to (the operators' view of the server) stands in."""
    if not ui_base:
        return "{{ flow_run|ui_url }}"
    fallback = json.dumps(f"{ui_base.rstrip('/')}/runs/flow-run/")
    return f"{{{{ (flow_run|ui_url) or ({fallback} ~ flow_run.id) }}}}"


def deployment_names(prefect_file: Path = DEPLOYMENTS_FILE) -> list[str]:
    """Every deployment that `make deploy` registers, as `flow/deployment` (the flow is named after its
    entrypoint's function: biennial_report is `biennial-report`); a new one is covered without editing
    this file."""
    document: dict[str, Any] = yaml.safe_load(prefect_file.read_text(encoding="utf-8"))
    return [
        f"{str(d['entrypoint']).rsplit(':', 1)[1].replace('_', '-')}/{d['name']}"
        for d in document["deployments"]
    ]


def failure_automation(block_id: Any, deployment_ids: list[str], ui_base: str | None) -> Automation:
    return Automation(
        name=AUTOMATION,
        description=f"Notifies the operators ({BLOCK} block) when a run of a prefect.yaml deployment fails.",
        enabled=True,
        trigger=EventTrigger(
            expect=ALERT_EVENTS,
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={
                "prefect.resource.role": "deployment",
                "prefect.resource.id": [f"prefect.deployment.{i}" for i in deployment_ids],
            },
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[
            SendNotification(block_document_id=block_id, subject=SUBJECT, body=BODY + run_link(ui_base))
        ],
    )


def main() -> int:
    url = settings.current().alert_webhook_url.strip()
    if not url:
        print(f"{URL_VARIABLE} is not set: no failure notification created or changed.")
        return 0
    with get_client(sync_client=True) as client:
        try:  # before anything is saved: a server without the deployments is left as it was
            ids = [str(client.read_deployment_by_name(name).id) for name in deployment_names()]
        except ObjectNotFound:
            print(f"no deployments on {client.api_url}: run `make deploy` first; no alert saved.")
            return 1
        block = CustomWebhookNotificationBlock(
            name=BLOCK,
            url="{{" + SECRET + "}}",
            secrets=SecretDict({SECRET: url}),
            json_data={"text": "{{subject}}\n{{body}}"},
        )
        block_id = block.save(BLOCK, overwrite=True)
        wanted = failure_automation(block_id, ids, get_current_settings().ui_url)
        existing = client.read_automations_by_name(AUTOMATION)
        if existing:
            wanted.id = existing[0].id
            wanted.update()
            for extra in existing[1:]:  # left by two deploys at once: one is enough
                client.delete_automation(extra.id)
            done = "updated"
        else:
            wanted.create()
            done = "created"
    names = ", ".join(deployment_names())
    states = ", ".join(ALERTED_STATES)
    print(f"Automation {AUTOMATION!r} {done}: a run of {names} ending {states} is posted to {URL_VARIABLE}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
