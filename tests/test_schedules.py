"""The scheduler, end to end: the session's real Prefect stack (tests/prefect_stack.py: the server,
the deployments registered as `make deploy` registers them, and a worker started from a folder that is
not the repository). Prefect's own scheduler service must create the end-of-biennium runs (15
January of even years, 06:00 in Zurich) of the sign-off deployment, a run it creates from a schedule must
be picked up by the worker and build the report, and a run of the sign-off deployment must pause for the
sign-off form and, once answered as the UI answers, build the final report (it locks 2014-15 in the
stack's store: last in the stack's group, which runs in collection order)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.prefect_stack import (
    PYTHON,
    ROOT,
    PrefectStack,
    deployment,
    http,
    processes_of_run,
    run_state,
    wait_until,
)

pytestmark = pytest.mark.slow

RETIRED = ROOT / "deployments" / "retired.py"
END_OF_BIENNIUM_RUNS = [datetime(2028, 1, 15, 5, 0, tzinfo=UTC), datetime(2030, 1, 15, 5, 0, tzinfo=UTC)]


def scheduled_runs(api: str, deployment_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = http.post(
        f"{api}/flow_runs/filter",
        json={
            "flow_runs": {
                "deployment_id": {"any_": [deployment_id]},
                "state": {"type": {"any_": ["SCHEDULED"]}},
            },
            "sort": "EXPECTED_START_TIME_ASC",
        },
        timeout=60,
    ).json()
    return found


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_the_scheduler_creates_the_end_of_biennium_runs(prefect_stack: PrefectStack) -> None:
    """The scheduled runs are the sign-off flow's (draft, pause for sign-off, final report), in the three
    editions; the flow has that one deployment, and the report flow's old scheduled one is gone."""
    started = datetime.now(UTC)
    expected = [when for when in END_OF_BIENNIUM_RUNS if when > started]
    scheduled = deployment(prefect_stack.api, "end-of-biennium/sign-off")
    assert scheduled["entrypoint"] == "reporting.flows.end_of_biennium:end_of_biennium"
    flow = http.get(f"{prefect_stack.api}/flows/{scheduled['flow_id']}", timeout=60).json()
    assert flow["name"] == "end-of-biennium"
    of_the_flow = http.post(
        f"{prefect_stack.api}/deployments/filter", json={"flows": {"id": {"any_": [flow["id"]]}}}, timeout=10
    ).json()
    assert [d["name"] for d in of_the_flow] == ["sign-off"]
    retired = http.get(f"{prefect_stack.api}/deployments/name/biennial-report/end-of-biennium", timeout=60)
    assert retired.status_code == 404

    def all_created() -> list[dict[str, Any]] | None:
        found = scheduled_runs(prefect_stack.api, scheduled["id"])
        return found if found and len(found) >= len(expected) else None

    runs = wait_until(all_created, 30, "the scheduler to create the end-of-biennium runs")
    assert [_utc(r["expected_start_time"]) for r in runs] == expected  # 06:00 in Zurich is 05:00Z in winter
    assert all(_utc(r["expected_start_time"]).year % 2 == 0 for r in runs)  # no odd years
    for run in runs:
        assert run["auto_scheduled"] is True and "auto-scheduled" in run["tags"]
        assert run["created_by"]["type"] == "SCHEDULE"
        assert run["flow_id"] == flow["id"] and run["deployment_id"] == scheduled["id"]
        # the biennium that has just closed, in the three editions
        assert run["parameters"] == {"language": ["en", "fr", "es"]}
        assert run["work_pool_name"] == "reporting"


def test_a_scheduled_run_is_created_by_the_server_and_run_by_a_worker(prefect_stack: PrefectStack) -> None:
    """A one-off schedule on the registered `rebuild` deployment, 15 s ahead: the scheduler service creates
    the run, the worker (started from a temporary folder) runs it, the report is written to `out`."""
    rebuild = deployment(prefect_stack.api, "biennial-report/rebuild")
    at = (datetime.now(UTC) + timedelta(seconds=15)).replace(microsecond=0)
    out = prefect_stack.work / "scheduled-out"
    added = http.post(
        f"{prefect_stack.api}/deployments/{rebuild['id']}/schedules",
        json=[
            {
                "schedule": {
                    "rrule": f"DTSTART:{at:%Y%m%dT%H%M%S}\nRRULE:FREQ=DAILY;COUNT=1",
                    "timezone": "UTC",
                },
                "active": True,
                "parameters": {"biennium": "2014-15", "out": str(out)},
            }
        ],
        timeout=60,
    )
    assert added.status_code == 201, added.text
    (created,) = wait_until(
        lambda: scheduled_runs(prefect_stack.api, rebuild["id"]),
        12,
        "the scheduler to create the rebuild run",
    )
    assert _utc(created["expected_start_time"]) == at
    assert created["auto_scheduled"] is True and created["created_by"]["type"] == "SCHEDULE"

    finished = wait_until(lambda: run_state(prefect_stack.api, created["id"]), 120, "the worker to run it")
    worker_log = prefect_stack.worker_log.read_text(errors="replace")
    assert finished["state_type"] == "COMPLETED", worker_log[-5000:]
    assert finished["name"].startswith("report-2014-15-")
    assert (out / "en" / "implementation-report-2014-15.docx").stat().st_size > 20_000


def test_deploy_deletes_the_retired_scheduled_deployment_and_its_runs(prefect_stack: PrefectStack) -> None:
    """A server deployed to before the sign-off still has `biennial-report/end-of-biennium` and its 2028
    run (the final report with no sign-off): deploying again deletes both (deployments/retired.py)."""
    assert "no retired deployment to delete" in prefect_stack.deploy_output
    rebuild = deployment(prefect_stack.api, "biennial-report/rebuild")
    left = http.post(
        f"{prefect_stack.api}/deployments/",
        json={
            "name": "end-of-biennium",
            "flow_id": rebuild["flow_id"],
            "entrypoint": "reporting.flows.biennial_report:biennial_report",
            "work_pool_name": "reporting",
        },
        timeout=60,
    )
    assert left.status_code in (200, 201), left.text
    its_run = http.post(
        f"{prefect_stack.api}/deployments/{left.json()['id']}/create_flow_run",
        json={"state": {"type": "SCHEDULED", "state_details": {"scheduled_time": "2028-01-15T05:00:00Z"}}},
        timeout=60,
    )
    assert its_run.status_code == 201, its_run.text

    retired = subprocess.run(
        [str(PYTHON), str(RETIRED)],
        env=prefect_stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert retired.returncode == 0, retired.stdout + retired.stderr
    assert "retired deployments deleted: biennial-report/end-of-biennium" in retired.stdout
    gone = http.get(f"{prefect_stack.api}/deployments/name/biennial-report/end-of-biennium", timeout=60)
    assert gone.status_code == 404
    assert http.get(f"{prefect_stack.api}/flow_runs/{its_run.json()['id']}", timeout=60).status_code == 404
    assert deployment(prefect_stack.api, "end-of-biennium/sign-off")[
        "schedules"
    ]  # kept: only the retired one goes


def test_a_sign_off_run_pauses_for_the_form_and_the_approval_resumes_it(prefect_stack: PrefectStack) -> None:
    """A run of the sign-off deployment created through the server (one edition, as `-p language=en`),
    run by the worker: it builds the draft and pauses with the form, the draft's summary above it. While
    it waits (days may pass) its worker's machine is lost; the run is run again by itself and shows a
    new form. The answer the UI sends resumes it, and it builds the final report and locks the
    biennium."""
    sign_off = deployment(prefect_stack.api, "end-of-biennium/sign-off")
    out = prefect_stack.work / "signed-off"
    # the run checks for an answer every timeout/4 (at most every minute): a 40 s pause checks every 10 s
    created = http.post(
        f"{prefect_stack.api}/deployments/{sign_off['id']}/create_flow_run",
        json={
            "parameters": {
                "biennium": "2014-15",
                "language": "en",
                "out": str(out),
                "timeout_days": 40 / 86400,
            }
        },
        timeout=60,
    )
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]

    def form_shown(other_than: dict[str, str] | None = None) -> dict[str, Any] | None:
        """The paused run once its form (not `other_than`) can be shown (the UI waits for the schema
        too), or its end."""
        run: dict[str, Any] = http.get(f"{prefect_stack.api}/flow_runs/{run_id}", timeout=60).json()
        if run["state_type"] in ("COMPLETED", "FAILED", "CANCELLED"):
            return run
        keyset = (run["state"] or {}).get("state_details", {}).get("run_input_keyset")
        if run["state_type"] != "PAUSED" or not keyset or keyset == other_than:
            return None
        schema = http.get(f"{prefect_stack.api}/flow_runs/{run_id}/input/{keyset['schema']}", timeout=60)
        return run if schema.status_code == 200 else None

    paused = wait_until(form_shown, 120, "the sign-off run to pause with its form")
    assert paused["state_type"] == "PAUSED", prefect_stack.worker_log.read_text(errors="replace")[-5000:]
    keyset = paused["state"]["state_details"]["run_input_keyset"]
    above = http.get(f"{prefect_stack.api}/flow_runs/{run_id}/input/{keyset['description']}", timeout=60)
    assert "Sign-off of the implementation report 2014-15 (DRAFT)" in above.text
    assert paused["name"].startswith("sign-off-2014-15-")
    assert (out / "draft" / "en" / "implementation-report-2014-15.docx").is_file()
    assert "(DRAFT)" in (out / "draft" / "en" / "report.md").read_text(encoding="utf-8").splitlines()[0]

    # The worker's machine is lost (the worker and the run's process killed). The run ends Crashed, as the
    # automation for silent runs ends it 90 s after its last heartbeat (that wait is tested in
    # tests/test_orchestration_server.py; here the state is set as the automation sets it), and the
    # automation for crashed runs runs it again on the new worker: it builds the draft again and shows a
    # new form, whose answer is its own (Prefect keeps the first form's inputs under the first key).
    os.killpg(prefect_stack.worker.pid, signal.SIGKILL)
    prefect_stack.worker.wait(timeout=60)
    for pid in processes_of_run(run_id):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not processes_of_run(run_id), 60, "the paused run's process to end")
    crashed = {
        "type": "CRASHED",
        "name": "Crashed",
        "message": "no heartbeat for 90 s: the run's process is gone",
    }
    marked = http.post(
        f"{prefect_stack.api}/flow_runs/{run_id}/set_state",
        json={"state": crashed, "force": False},
        timeout=60,
    )
    assert marked.json()["status"] == "ACCEPT", marked.text
    prefect_stack.replace_worker()
    paused = wait_until(lambda: form_shown(other_than=keyset), 300, "the sign-off run again to pause")
    assert paused["state_type"] == "PAUSED", prefect_stack.worker_log.read_text(errors="replace")[-5000:]
    assert paused["run_count"] == 2
    keyset = paused["state"]["state_details"]["run_input_keyset"]
    above = http.get(f"{prefect_stack.api}/flow_runs/{run_id}/input/{keyset['description']}", timeout=60)
    assert "Sign-off of the implementation report 2014-15 (DRAFT)" in above.text

    answered = http.post(  # sent again while a busy server answers 503 (tests/prefect_stack.PatientTransport)
        f"{prefect_stack.api}/flow_runs/{run_id}/resume",
        json={"run_input": {"decision": "approve", "by": "Chief", "comment": ""}},
    )
    assert answered.status_code == 201 and answered.json()["status"] == "ACCEPT", answered.text
    finished = wait_until(lambda: run_state(prefect_stack.api, run_id), 90, "the signed-off run to end")
    assert finished["state_type"] == "COMPLETED", prefect_stack.worker_log.read_text(errors="replace")[-5000:]
    message = finished["state"]["message"]
    assert "signed off by Chief" in message and "2014-15 is locked" in message, message
    assert "(DRAFT)" not in (out / "en" / "report.md").read_text(encoding="utf-8").splitlines()[0]
