"""Failure notifications, end to end: `scripts/prefect.sh deploy` with REPORTING_ALERT_WEBHOOK_URL set
creates the automation of deployments/automations.py; a rebuild that fails, run by a real worker, is
posted by the server's automation services to a webhook served here on loopback."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tests.test_orchestration_server import _run_state, _wait_until, trigger_rebuild
from tests.test_schedules import PrefectStack, assert_server_log_clean, prefect_stack

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


@dataclass
class Hooked:
    stack: PrefectStack
    url: str
    received: queue.Queue[dict[str, Any]]


@pytest.fixture(scope="module")
def hooked() -> Iterator[Hooked]:
    received: queue.Queue[dict[str, Any]] = queue.Queue()
    handler = type("Receiver", (_Receiver,), {"received": received})
    webhook = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=webhook.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{webhook.server_address[1]}/alerts/reporting"
    try:
        with prefect_stack({"REPORTING_ALERT_WEBHOOK_URL": url}) as stack:
            yield Hooked(stack, url, received)
    finally:
        webhook.shutdown()
        webhook.server_close()
        thread.join(timeout=10)


def _automations(api: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.post(f"{api}/automations/filter", json={}, timeout=10).json()
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
    }
    ids = {
        f"prefect.deployment.{httpx.get(f'{stack.api}/deployments/name/{n}', timeout=10).json()['id']}"
        for n in (
            "biennial-report/rebuild",
            "end-of-biennium/sign-off",
            "review-reminder/weekly",
        )
    }
    assert set(trigger["match_related"]["prefect.resource.id"]) == ids
    (action,) = automation["actions"]
    assert action["type"] == "send-notification"

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
    assert posted["path"] == "/alerts/reporting"
    text = json.loads(posted["body"])["text"]
    assert finished["name"] in text
    assert finished["state"]["message"] in text
    assert "Failed" in text and "biennial-report/rebuild" in text
    ui = stack.api.removesuffix("/api")
    assert f"{ui}/runs/flow-run/{finished['id']}" in text
    with pytest.raises(queue.Empty):  # one failure, one message
        hooked.received.get(timeout=3)
    assert_server_log_clean(stack)
