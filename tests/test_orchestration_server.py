"""End to end against a real Prefect server, as an operator runs it (this module's own stack,
tests/prefect_stack.py: `scripts/prefect.sh` starts the server on a port it picks, registers the
deployments and runs a worker); `prefect deployment run` triggers a rebuild; the run, its artifacts, the
schedule and the UI's flow-run page are then checked through the API and a headless Chromium."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reporting.escaping import markdown_text
from reporting.framework import BIENNIUM_PATTERN
from tests.prefect_stack import (
    PREFECT,
    ROOT,
    PrefectStack,
    deployment,
    http,
    large_package,
    processes_of_run,
    run_state,
    running_stack,
    stop_service,
    trigger_rebuild,
    wait_running,
    wait_until,
)

pytestmark = pytest.mark.slow


@dataclass
class LocalPrefect:
    stack: PrefectStack
    out: Path
    flow_run: dict[str, Any]

    @property
    def api(self) -> str:
        return self.stack.api

    @property
    def env(self) -> dict[str, str]:
        return self.stack.env

    @property
    def data(self) -> Path:
        return self.stack.data

    @property
    def work(self) -> Path:
        return self.stack.work


@pytest.fixture(scope="module")
def prefect_stack() -> Iterator[PrefectStack]:
    """This module's own stack, started and stopped with it (conftest.py's stack serves the other
    end-to-end modules): a work unit of its own that runs beside theirs, and whatever process runs it,
    what its runs store and approve never meets their tests."""
    with running_stack() as stack:
        yield stack


@pytest.fixture(scope="module")
def local_prefect(prefect_stack: PrefectStack) -> LocalPrefect:
    """One `rebuild` run of 2014-15 on the module's stack, triggered as the README says, in a new shell in
    the checkout: the project's settings and server first."""
    assert "make worker" in prefect_stack.deploy_output
    assert "prefect worker start" not in prefect_stack.deploy_output
    out = prefect_stack.work / "out"
    triggered = subprocess.run(
        [
            "bash",
            "-c",
            'eval "$(.venv/bin/reporting server env)" && .venv/bin/prefect deployment run '
            f"'biennial-report/rebuild' -p biennium=2014-15 -p out={out}",
        ],
        cwd=ROOT,
        env={k: v for k, v in prefect_stack.operator.items() if not k.startswith("PREFECT_")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    flow_run_id = re.search(r"UUID:\s*([0-9a-f-]{36})", triggered.stdout)
    assert flow_run_id, triggered.stdout + triggered.stderr
    finished = wait_until(lambda: run_state(prefect_stack.api, flow_run_id[1]), 240, "the rebuild run")
    if finished["state_type"] != "COMPLETED":
        print(prefect_stack.worker_log.read_text(errors="replace")[-5000:])
    return LocalPrefect(prefect_stack, out, finished)


def test_a_triggered_rebuild_completes_with_its_artifacts_and_report(local_prefect: LocalPrefect) -> None:
    run = local_prefect.flow_run
    assert run["state_type"] == "COMPLETED", run["state"]
    assert run["name"].startswith("report-2014-15-")
    assert run["parameters"]["biennium"] == "2014-15"

    found = http.post(
        f"{local_prefect.api}/artifacts/filter",
        json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}},
        timeout=60,
    ).json()
    artifacts = {a["key"]: a for a in found if a["key"]}
    assert set(artifacts) == {
        "report-2014-15-summary",
        "report-2014-15-by-region",
        "report-2014-15-findings",
        "report-2014-15-docx",
        "report-2014-15-changes",
    }
    summary = artifacts["report-2014-15-summary"]["data"]
    assert "| 7 | 7\\.1 | – | 13 |" in summary and "| 7 | 7\\.2 | – | 7 |" in summary  # escaped Markdown
    assert "Evidence rows ingested: **65**" in summary
    table = artifacts["report-2014-15-by-region"]["data"]
    rows = {r["indicator"]: r for r in (json.loads(table) if isinstance(table, str) else table)}
    assert rows["7\\.1"]["Total"] == 13 and rows["7\\.2"]["Total"] == 7
    docx = local_prefect.out / "en" / "implementation-report-2014-15.docx"
    assert markdown_text(docx) in artifacts["report-2014-15-docx"]["data"]  # the path, shown as text
    assert docx.stat().st_size > 20_000
    assert (local_prefect.data / "prefect" / "prefect.db").is_file()  # the server's database
    assert any((local_prefect.data / "prefect" / "storage").iterdir())  # persisted task results
    assert any((local_prefect.data / "prefect" / "cache-keys").iterdir())  # their keys, apart (caching.py)


def test_a_mistyped_parameter_is_refused_before_anything_runs(local_prefect: LocalPrefect) -> None:
    refused = subprocess.run(
        [str(PREFECT), "deployment", "run", "biennial-report/rebuild", "-p", "biennium=2014-2015"],
        env=local_prefect.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0
    assert "Validation failed for field 'biennium'" in refused.stdout + refused.stderr


@pytest.mark.parametrize(
    ("parameters", "reason"),
    [
        ({"biennium": "2014-15", "colour": "red"}, "'colour' was unexpected"),
        ({"biennium": "2014-15", "outcome": "7"}, "'outcome' was unexpected"),  # `outcomes` mistyped
        ({"biennium": "2014-2015"}, "Validation failed for field 'biennium'"),
        ({"biennium": "2014-15", "strict": "maybe"}, "Validation failed for field 'strict'"),
    ],
)
def test_the_rest_api_and_the_ui_form_refuse_a_wrong_parameter_before_a_run_exists(
    local_prefect: LocalPrefect, parameters: dict[str, Any], reason: str
) -> None:
    """The UI's Run form posts to this endpoint: what the CLI refuses, it refuses too, with the reason."""
    rebuild = deployment(local_prefect.api, "biennial-report/rebuild")
    before = http.post(f"{local_prefect.api}/flow_runs/count", json={}, timeout=60).json()
    answer = http.post(
        f"{local_prefect.api}/deployments/{rebuild['id']}/create_flow_run",
        json={"parameters": parameters},
        timeout=60,
    )
    assert answer.status_code in (409, 422), answer.text
    assert reason in answer.json()["detail"]
    assert http.post(f"{local_prefect.api}/flow_runs/count", json={}, timeout=60).json() == before


def test_the_end_of_biennium_schedule_reads_back(local_prefect: LocalPrefect) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from prefect.client.schemas.schedules import RRuleSchedule

    scheduled = deployment(local_prefect.api, "end-of-biennium/sign-off")
    assert scheduled["entrypoint"] == "reporting.flows.end_of_biennium:end_of_biennium"
    assert scheduled["parameters"] == {"language": ["en", "fr", "es"]}
    (entry,) = scheduled["schedules"]
    schedule = entry["schedule"]
    assert entry["active"] is True
    assert schedule["timezone"] == "Europe/Zurich"
    assert "FREQ=YEARLY;INTERVAL=2;BYMONTH=1;BYMONTHDAY=15;BYHOUR=6;BYMINUTE=0" in schedule["rrule"]
    zurich = ZoneInfo("Europe/Zurich")
    upcoming = RRuleSchedule(**schedule).to_rrule().xafter(datetime(2026, 2, 1, tzinfo=zurich), count=3)
    assert [d.astimezone(zurich).replace(tzinfo=None) for d in upcoming] == [
        datetime(2028, 1, 15, 6, 0),
        datetime(2030, 1, 15, 6, 0),
        datetime(2032, 1, 15, 6, 0),
    ]
    assert scheduled["enforce_parameter_schema"] is True

    rebuild = deployment(local_prefect.api, "biennial-report/rebuild")
    assert rebuild["schedules"] == [] and rebuild["enforce_parameter_schema"] is True
    assert rebuild["parameter_openapi_schema"]["properties"]["biennium"]["pattern"] == BIENNIUM_PATTERN


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1440,900",
    "--virtual-time-budget=15000",
    "--hide-scrollbars",
]


def _chromium(url: str, *action: str) -> subprocess.CompletedProcess[str]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (scripts/system-deps.sh installs it; needs root and apt)")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *action, url],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )


def _visible_text(dom: str) -> str:
    dom = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", dom)))


def test_the_ui_shows_the_completed_run(local_prefect: LocalPrefect) -> None:
    run = local_prefect.flow_run
    page = f"{local_prefect.api.removesuffix('/api')}/runs/flow-run/{run['id']}"
    text = _visible_text(_chromium(page, "--dump-dom").stdout)
    assert run["name"] in text, text[:2000]
    assert "Completed" in text and "biennial-report" in text

    screenshots = Path(os.environ.get("REPORTING_UI_SCREENSHOTS", ROOT / "out" / "ui"))
    screenshots.mkdir(parents=True, exist_ok=True)
    picture = screenshots / "flow-run.png"
    picture.unlink(missing_ok=True)
    _chromium(page, f"--screenshot={picture}")
    assert picture.stat().st_size > 10_000


CANCELLED_SECONDS = 90


def test_two_workers_share_the_runs(local_prefect: LocalPrefect) -> None:
    """Three rebuilds started at once with two workers running: each worker takes one at a time
    (`--limit`, REPORTING_WORKER_LIMIT), so both get runs (without a limit the first took all three)."""
    second_log = local_prefect.work / "worker-2.log"
    second = local_prefect.stack.start_worker(second_log)
    try:
        wait_until(lambda: "started" in second_log.read_text(errors="replace").lower(), 120, "worker 2")
        runs = [
            trigger_rebuild(local_prefect.env, "biennium=2014-15", f"out={local_prefect.work / f'share-{n}'}")
            for n in range(3)
        ]
        for run in runs:
            finished = wait_until(lambda run=run: run_state(local_prefect.api, run), 300, "the three runs")
            assert finished["state_type"] == "COMPLETED", finished["state"]
        logs = [local_prefect.stack.worker_log.read_text(errors="replace"), second_log.read_text()]
        taken = [{run for run in runs if run in log} for log in logs]
        assert all(taken), taken
    finally:
        stop_service(second)


def test_a_run_cancelled_from_the_ui_is_cancelled_at_once_and_says_what_is_missing(
    local_prefect: LocalPrefect,
) -> None:
    """The UI's Cancel button (the run set Cancelling): the worker stops the run through Prefect's
    cancellation and the run is Cancelled (it stayed Cancelling for 5 minutes behind the project's own
    worker wrapper), and its output folder's build.json says it was cancelled and which editions are
    missing. The run's process stops within a second; Prefect then runs the on_cancellation hook in a new
    process that imports the flow (3.5 s of CPU): Cancelled after 6-7 s on a quiet machine but 35-48 s at
    load 11, hence the deadline of CANCELLED_SECONDS rather than the issue's 30 s."""
    out = local_prefect.work / "cancelled"
    package = large_package(local_prefect.stack)
    languages = 'language=["en","fr"]'
    flow_run_id = trigger_rebuild(local_prefect.env, f"package={package}", f"out={out}", languages)
    run_url = wait_running(local_prefect.api, flow_run_id)
    cancelling = {"state": {"type": "CANCELLING", "name": "Cancelling"}}
    assert http.post(f"{run_url}/set_state", json=cancelling, timeout=60).json()["status"] == "ACCEPT"
    run = wait_until(
        lambda: run_state(local_prefect.api, flow_run_id), CANCELLED_SECONDS, "the run to be cancelled"
    )
    assert run["state_type"] == "CANCELLED", run["state"]
    of_the_run = {"logs": {"flow_run_id": {"any_": [flow_run_id]}}}
    logs = http.post(f"{local_prefect.api}/logs/filter", json=of_the_run, timeout=60).json()
    assert (out / "build.json").is_file(), [log["message"][:300] for log in logs][-15:]
    said = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert said["cancelled"] is True and said["editions_missing"], said
    assert sorted(said["editions_written"] + said["editions_missing"]) == ["en", "fr"], said


def test_the_worker_stops_on_the_first_sigterm_and_its_run_does_not_stay_running(
    local_prefect: LocalPrefect,
) -> None:
    """A run is under way; one SIGTERM to the worker, as a service manager sends it, stops the worker
    (Prefect's own handling) and the run's process with it, so that the run's heartbeats stop and the
    server's automation for silent runs, which `make deploy` made, ends it *Crashed* instead of leaving it
    "Running" for ever (tests/test_crash_recovery.py waits the automation's 90 s for a killed build;
    waiting them here too made this module the longest unit of `make test`). The stack then gets a new
    worker."""
    from reporting.orchestration.crashed_runs import AUTOMATION

    stack = local_prefect.stack
    flow_run_id = trigger_rebuild(local_prefect.env, f"package={large_package(stack)}")
    run_url = wait_running(local_prefect.api, flow_run_id)
    try:
        wait_until(lambda: processes_of_run(flow_run_id), 60, "the run's process")
        stack.worker.send_signal(signal.SIGTERM)
        stack.worker.wait(timeout=180)  # its graceful stop took over 60 s at a load of 20
        wait_until(lambda: not processes_of_run(flow_run_id), 60, "the run's process to stop")
        run = http.get(run_url, timeout=60).json()
        assert run["state_type"] in ("RUNNING", "CRASHED"), run["state"]  # not finished behind our back
        by_name = {"automations": {"name": {"any_": [AUTOMATION]}}}
        (silent_runs,) = http.post(f"{local_prefect.api}/automations/filter", json=by_name, timeout=60).json()
        assert silent_runs["enabled"], silent_runs
    finally:  # the automation would end it, then run it again, beside the module's other tests
        cancel = {"state": {"type": "CANCELLED", "name": "Cancelled"}, "force": True}
        http.post(f"{run_url}/set_state", json=cancel, timeout=60).raise_for_status()
        stack.replace_worker()


def test_a_run_that_crashed_before_it_started_is_run_again(local_prefect: LocalPrefect) -> None:
    """A run's process that cannot reach the server as it starts (the server restarting) exits, and its
    worker reports the run Crashed before it counted a try (run count 0, as `make soak` saw). The
    automation that `make deploy` made for such runs sets it AwaitingRetry, and the worker runs it again
    (here it fails at once: it names no package)."""
    from datetime import UTC, datetime, timedelta

    from reporting.orchestration.crashed_runs import RERUN_UNSTARTED, UNSTARTED_EVERY

    api = local_prefect.api
    rebuild = deployment(api, "biennial-report/rebuild")
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()  # no worker takes it before it crashes
    scheduled = {"type": "SCHEDULED", "state_details": {"scheduled_time": later}}
    created = http.post(f"{api}/deployments/{rebuild['id']}/create_flow_run", json={"state": scheduled})
    run_id = created.json()["id"]
    crashed = {"type": "CRASHED", "name": "Crashed", "message": "Process exited with status code: 1."}
    http.post(
        f"{api}/flow_runs/{run_id}/set_state", json={"state": crashed, "force": True}
    ).raise_for_status()

    def states() -> list[str]:
        history = http.get(f"{api}/flow_run_states/", params={"flow_run_id": run_id}).json()
        return [state["name"] for state in sorted(history, key=lambda s: s["timestamp"])]

    wait_until(lambda: "AwaitingRetry" in states(), 120, "the run that crashed before it started to be rerun")
    assert states()[:3] == ["Scheduled", "Crashed", "AwaitingRetry"]
    wait_until(lambda: run_state(api, run_id), 180, "the run again to end")
    assert states().count("Running") == 1
    by_name = {"automations": {"name": {"any_": [RERUN_UNSTARTED]}}}
    (automation,) = http.post(f"{api}/automations/filter", json=by_name).json()
    assert automation["trigger"]["within"] == UNSTARTED_EVERY.total_seconds()
    assert automation["trigger"]["for_each"] == ["prefect.resource.id"]  # each run its own bucket
