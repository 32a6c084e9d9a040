"""Failure notifications, end to end: `scripts/prefect.sh deploy` with REPORTING_ALERT_WEBHOOK_URL set
creates the automation of deployments/automations.py, the URL kept as a secret; a rebuild that fails, run
by a real worker, or a sign-off run that ends Returned, is posted by the server's automation services to a
webhook served here on loopback. The weekly reminder, run by the worker, posts its summary there too and
e-mails the reviewers through an SMTP server started here."""

from __future__ import annotations

import importlib
import json
import queue
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.conftest import ROOT, SAMPLE
from tests.test_orchestration_server import _run_state, _wait_until, trigger_rebuild
from tests.test_schedules import PrefectStack, prefect_stack

pytestmark = pytest.mark.slow
AUTOMATIONS = ROOT / "deployments" / "automations.py"
PYTHON = ROOT / ".venv" / "bin" / "python"


class _Receiver(BaseHTTPRequestHandler):
    received: queue.Queue[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.put({"path": self.path, "body": body.decode("utf-8", errors="replace")})
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


class _Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@dataclass
class Hooked:
    stack: PrefectStack
    url: str
    received: queue.Queue[dict[str, Any]]
    inbox: _Inbox


@pytest.fixture(scope="module")
def hooked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hooked]:
    received: queue.Queue[dict[str, Any]] = queue.Queue()
    handler = type("Receiver", (_Receiver,), {"received": received})
    webhook = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=webhook.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{webhook.server_address[1]}/alerts/reporting?token=s3cret"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        smtp_port = probe.getsockname()[1]
    inbox = _Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    directory = tmp_path_factory.mktemp("people") / "people.yaml"
    directory.write_text(
        "people:\n  - {name: Amina Diallo, roles: [reviewer], regions: [Africa], email: amina@example.org}\n",
        encoding="utf-8",
    )
    mail = {
        "REPORTING_SMTP_HOST": "127.0.0.1",
        "REPORTING_SMTP_PORT": str(smtp_port),
        "REPORTING_SMTP_STARTTLS": "false",
        "REPORTING_SMTP_SENDER": "reporting@example.org",
        "REPORTING_PEOPLE_FILE": str(directory),
    }
    try:
        with prefect_stack({"REPORTING_ALERT_WEBHOOK_URL": url, **mail}) as stack:
            yield Hooked(stack, url, received, inbox)
    finally:
        smtp.stop()
        webhook.shutdown()
        webhook.server_close()
        thread.join(timeout=60)


def _automations(api: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.post(f"{api}/automations/filter", json={}, timeout=60).json()
    return [a for a in found if a["name"] == "biennial-report-failed"]


def _automations_script(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [str(PYTHON), str(AUTOMATIONS)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_deploy_creates_one_automation_and_running_it_again_updates_it(hooked: Hooked) -> None:
    stack = hooked.stack
    assert "Automation 'biennial-report-failed' created" in stack.deploy_output
    assert hooked.url not in stack.deploy_output  # the URL may hold a token: never printed

    again = _automations_script(stack.env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Automation 'biennial-report-failed' updated" in again.stdout

    (automation,) = _automations(stack.api)
    trigger = automation["trigger"]
    assert set(trigger["expect"]) == {
        "prefect.flow-run.Failed",
        "prefect.flow-run.Crashed",
        "prefect.flow-run.TimedOut",
        "prefect.flow-run.Returned",
        "prefect.flow-run.Expired",
    }
    ids = {
        f"prefect.deployment.{httpx.get(f'{stack.api}/deployments/name/{n}', timeout=60).json()['id']}"
        for n in (
            "biennial-report/rebuild",
            "end-of-biennium/sign-off",
            "review-reminder/weekly",
            "check-submission/portal",
        )
    }
    assert set(trigger["match_related"]["prefect.resource.id"]) == ids
    (action,) = automation["actions"]
    assert action["type"] == "send-notification"
    # the URL carries a token: the API (and so the UI) shows the block's secret masked
    block = httpx.get(f"{stack.api}/block_documents/{action['block_document_id']}", timeout=60)
    assert block.status_code == 200 and "s3cret" not in block.text and hooked.url not in block.text
    assert block.json()["data"]["url"] == "{{webhook_url}}"

    unset = {k: v for k, v in stack.env.items() if k != "REPORTING_ALERT_WEBHOOK_URL"}
    skipped = _automations_script(unset)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "REPORTING_ALERT_WEBHOOK_URL is not set" in skipped.stdout
    assert len(_automations(stack.api)) == 1


def test_a_failed_rebuild_is_posted_to_the_webhook(hooked: Hooked) -> None:
    stack = hooked.stack
    flow_run_id = trigger_rebuild(stack.env, "package=/nonexistent/2014-15")
    finished = _wait_until(lambda: _run_state(stack.api, flow_run_id), 90, "the rebuild to fail")
    assert finished["state_type"] == "FAILED", stack.worker_log.read_text(errors="replace")[-5000:]
    assert "/nonexistent/2014-15: not a package folder" in finished["state"]["message"]

    try:
        posted = hooked.received.get(timeout=30)
    except queue.Empty:
        raise AssertionError(
            "no notification within 30 s\n" + stack.server_log.read_text(errors="replace")[-5000:]
        ) from None
    assert posted["path"] == "/alerts/reporting?token=s3cret"
    text = json.loads(posted["body"])["text"]
    assert finished["name"] in text
    assert finished["state"]["message"] in text
    assert "Failed" in text and "biennial-report/rebuild" in text
    ui = stack.api.removesuffix("/api")
    assert f"{ui}/runs/flow-run/{finished['id']}" in text
    with pytest.raises(queue.Empty):  # one failure, one message
        hooked.received.get(timeout=3)


def _posted(hooked: Hooked, containing: str, seconds: float = 30) -> str:
    """The text of the next notification that contains `containing` (others are skipped)."""
    while True:
        try:
            text: str = json.loads(hooked.received.get(timeout=seconds)["body"])["text"]
        except queue.Empty:
            log = hooked.stack.server_log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"nothing posted with {containing!r} within {seconds} s\n{log}") from None
        if containing in text:
            return text


def test_a_sign_off_run_that_ends_returned_is_posted_with_the_comment(hooked: Hooked) -> None:
    """The sign-off flow ends a returned draft in a state named Returned (its comment as the message):
    set here through the API on a run that the worker will not take before 2099."""
    api = hooked.stack.api
    sign_off = httpx.get(f"{api}/deployments/name/end-of-biennium/sign-off", timeout=60).json()
    created = httpx.post(
        f"{api}/deployments/{sign_off['id']}/create_flow_run",
        json={"state": {"type": "SCHEDULED", "state_details": {"scheduled_time": "2099-01-15T05:00:00Z"}}},
        timeout=60,
    ).json()
    returned = httpx.post(
        f"{api}/flow_runs/{created['id']}/set_state",
        json={
            "state": {"type": "COMPLETED", "name": "Returned", "message": "returned by Chief: 7.1 is wrong"},
            "force": True,
        },
        timeout=60,
    )
    assert returned.status_code in (200, 201), returned.text
    text = _posted(hooked, created["name"])
    assert "Returned" in text and "returned by Chief: 7.1 is wrong" in text


def test_the_weekly_reminder_posts_its_summary_and_mails_each_regions_reviewers(
    hooked: Hooked, tmp_path: Path
) -> None:
    """A package stored without review decisions (every result awaits one: a draft), then the reminder run
    by the worker: the summary reaches the webhook, Africa's reviewer gets Africa's list by e-mail."""
    stack = hooked.stack
    package = tmp_path / "2014-15"
    shutil.copytree(SAMPLE, package)
    (package / "reviews.csv").unlink()
    built = trigger_rebuild(stack.env, f"package={package}", f"out={tmp_path / 'out'}", "draft=true")
    finished = _wait_until(lambda: _run_state(stack.api, built), 180, "the rebuild")
    assert finished["state_type"] == "COMPLETED", stack.worker_log.read_text(errors="replace")[-5000:]

    weekly = httpx.get(f"{stack.api}/deployments/name/review-reminder/weekly", timeout=60).json()
    created = httpx.post(
        f"{stack.api}/deployments/{weekly['id']}/create_flow_run",
        json={"parameters": {"biennium": "2014-15"}},
        timeout=60,
    ).json()
    reminded = _wait_until(lambda: _run_state(stack.api, created["id"]), 90, "the reminder")
    assert reminded["state_type"] == "COMPLETED", stack.worker_log.read_text(errors="replace")[-5000:]
    text = _posted(hooked, "Review of 2014-15")
    assert "result(s) awaiting a decision (" in text and "Africa " in text, text
    ((to, mail),) = hooked.inbox.received
    assert to == ["amina@example.org"]
    assert mail["Subject"].startswith("Review of 2014-15: ") and mail["Subject"].endswith(
        "of Africa await you"
    )
    body = mail.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert body.startswith("Dear Amina Diallo,") and "submitted since" in body


def test_on_a_server_without_the_deployments_the_alert_says_so_and_saves_nothing(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    monkeypatch.setenv("REPORTING_ALERT_WEBHOOK_URL", "https://hooks.example.org/T0/B0/token")
    monkeypatch.syspath_prepend(str(ROOT / "deployments"))
    automations = importlib.import_module("automations")
    assert automations.main() == 1
    said = capsys.readouterr().out.strip()
    assert said.startswith("no deployments on http") and said.endswith("no alert saved.")
    assert len(said.splitlines()) == 1
    with pytest.raises(ValueError, match="Unable to find block document"):
        CustomWebhookNotificationBlock.load(automations.BLOCK)
