"""Failure notifications, end to end on the session's Prefect stack (tests/prefect_stack.py):
`scripts/prefect.sh deploy` with REPORTING_ALERT_WEBHOOK_URL set creates the automation of
deployments/automations.py, the URL kept as a secret; a rebuild that fails, run
by a real worker, or a sign-off run that ends Returned, is posted by the server's automation services to a
webhook served here on loopback. The weekly reminder, run by the worker, posts its summary there too and
e-mails the reviewers through an SMTP server started here."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.prefect_stack import (
    PYTHON,
    ROOT,
    WEBHOOK_PATH,
    PrefectStack,
    http,
    run_state,
    trigger_rebuild,
    wait_until,
)
from tests.report_packages import SAMPLE

pytestmark = pytest.mark.slow
AUTOMATIONS = ROOT / "deployments" / "automations.py"


@pytest.fixture
def hooked(prefect_stack: PrefectStack) -> PrefectStack:
    """The session's stack, its webhook's queue emptied of what earlier tests' runs posted."""
    while True:
        try:
            prefect_stack.received.get_nowait()
        except queue.Empty:
            return prefect_stack


def _automations(api: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = http.post(f"{api}/automations/filter", json={}, timeout=60).json()
    return [a for a in found if a["name"] == "biennial-report-failed"]


def _automations_script(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [str(PYTHON), str(AUTOMATIONS)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_deploy_creates_one_automation_and_running_it_again_updates_it(hooked: PrefectStack) -> None:
    stack = hooked
    assert "Automation 'biennial-report-failed' created" in stack.deploy_output
    assert stack.webhook_url not in stack.deploy_output  # the URL may hold a token: never printed

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
        f"prefect.deployment.{http.get(f'{stack.api}/deployments/name/{n}', timeout=60).json()['id']}"
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
    block = http.get(f"{stack.api}/block_documents/{action['block_document_id']}", timeout=60)
    assert block.status_code == 200 and "s3cret" not in block.text and stack.webhook_url not in block.text
    assert block.json()["data"]["url"] == "{{webhook_url}}"

    unset = {k: v for k, v in stack.env.items() if k != "REPORTING_ALERT_WEBHOOK_URL"}
    skipped = _automations_script(unset)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "REPORTING_ALERT_WEBHOOK_URL is not set" in skipped.stdout
    assert len(_automations(stack.api)) == 1


def test_a_failed_rebuild_is_posted_to_the_webhook(hooked: PrefectStack) -> None:
    stack = hooked
    flow_run_id = trigger_rebuild(stack.env, "package=/nonexistent/2014-15")
    finished = wait_until(lambda: run_state(stack.api, flow_run_id), 90, "the rebuild to fail")
    assert finished["state_type"] == "FAILED", stack.worker_log.read_text(errors="replace")[-5000:]
    assert "/nonexistent/2014-15: not a package folder" in finished["state"]["message"]

    posted = _posted(hooked, finished["name"])
    assert posted["path"] == WEBHOOK_PATH
    text = json.loads(posted["body"])["text"]
    assert finished["state"]["message"] in text
    assert "Failed" in text and "biennial-report/rebuild" in text
    ui = stack.api.removesuffix("/api")
    assert f"{ui}/runs/flow-run/{finished['id']}" in text
    # one failure, one message: Prefect's events are delivered at least once, so on a loaded machine the
    # same message may come again, but never a second alert (a Crashed after the Failed, say)
    with pytest.raises(AssertionError, match="nothing posted"):
        while True:
            again = _posted_text(hooked, finished["name"], seconds=3)
            assert again == text, again


def _posted(stack: PrefectStack, containing: str, seconds: float = 30) -> dict[str, Any]:
    """The next notification whose text contains `containing` (others, of other tests' runs, are
    skipped): its path and body."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            posted = stack.received.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            raise AssertionError(f"nothing posted with {containing!r} within {seconds} s") from None
        if containing in json.loads(posted["body"])["text"]:
            return posted


def _posted_text(stack: PrefectStack, containing: str, seconds: float = 30) -> str:
    text: str = json.loads(_posted(stack, containing, seconds)["body"])["text"]
    return text


def test_a_sign_off_run_that_ends_returned_is_posted_with_the_comment(hooked: PrefectStack) -> None:
    """The sign-off flow ends a returned draft in a state named Returned (its comment as the message):
    set here through the API on a run that the worker will not take before 2099."""
    api = hooked.api
    sign_off = http.get(f"{api}/deployments/name/end-of-biennium/sign-off", timeout=60).json()
    created = http.post(
        f"{api}/deployments/{sign_off['id']}/create_flow_run",
        json={"state": {"type": "SCHEDULED", "state_details": {"scheduled_time": "2099-01-15T05:00:00Z"}}},
        timeout=60,
    ).json()
    returned = http.post(
        f"{api}/flow_runs/{created['id']}/set_state",
        json={
            "state": {"type": "COMPLETED", "name": "Returned", "message": "returned by Chief: 7.1 is wrong"},
            "force": True,
        },
        timeout=60,
    )
    assert returned.status_code in (200, 201), returned.text
    text = _posted_text(hooked, created["name"])
    assert "Returned" in text and "returned by Chief: 7.1 is wrong" in text


def test_the_weekly_reminder_posts_its_summary_and_mails_each_regions_reviewers(
    hooked: PrefectStack, tmp_path: Path
) -> None:
    """A package stored without review decisions (every result awaits one: a draft), then the reminder run
    by the worker: the summary reaches the webhook, Africa's reviewer gets Africa's list by e-mail."""
    stack = hooked
    mailed_before = len(stack.inbox.received)
    package = tmp_path / "2014-15"
    shutil.copytree(SAMPLE, package)
    (package / "reviews.csv").unlink()
    built = trigger_rebuild(stack.env, f"package={package}", f"out={tmp_path / 'out'}", "draft=true")
    finished = wait_until(lambda: run_state(stack.api, built), 180, "the rebuild")
    assert finished["state_type"] == "COMPLETED", stack.worker_log.read_text(errors="replace")[-5000:]

    weekly = http.get(f"{stack.api}/deployments/name/review-reminder/weekly", timeout=60).json()
    created = http.post(
        f"{stack.api}/deployments/{weekly['id']}/create_flow_run",
        json={"parameters": {"biennium": "2014-15"}},
        timeout=60,
    ).json()
    reminded = wait_until(lambda: run_state(stack.api, created["id"]), 90, "the reminder")
    assert reminded["state_type"] == "COMPLETED", stack.worker_log.read_text(errors="replace")[-5000:]
    text = _posted_text(hooked, "Review of 2014-15")
    assert "result(s) awaiting a decision (" in text and "Africa " in text, text
    ((to, mail),) = stack.inbox.received[mailed_before:]
    assert to == ["amina@example.org"]
    assert mail["Subject"].startswith("Review of 2014-15: ") and mail["Subject"].endswith(
        "of Africa await you"
    )
    body = mail.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert body.startswith("Dear Amina Diallo,") and "submitted since" in body
