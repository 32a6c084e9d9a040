"""The scheduler, end to end: a real `prefect server` (scripts/prefect.sh server, own data folder and
port), the deployments registered as `make deploy` registers them, and a worker started from a folder
that is not the repository. Prefect's own scheduler service must create the end-of-biennium runs (15
January of even years, 06:00 in Zurich), and a run it creates from a schedule must be picked up by the
worker and build the report. Anything the server logs as an error fails the tests.

`prefect_stack` is shared with tests/test_notifications.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_orchestration_server import (
    PREFECT,
    SCRIPT,
    _free_port,
    _healthy,
    _run_state,
    _start,
    _stop,
    _wait_until,
)

pytestmark = pytest.mark.slow
__all__ = ["PREFECT", "PrefectStack", "assert_server_log_clean", "deployment", "prefect_stack"]

# By default the scheduler creates runs only 100 days ahead; the test server looks ahead to February 2030.
LOOK_AHEAD_TO = datetime(2030, 2, 1, tzinfo=UTC)
END_OF_BIENNIUM_RUNS = [datetime(2028, 1, 15, 5, 0, tzinfo=UTC), datetime(2030, 1, 15, 5, 0, tzinfo=UTC)]
SERVER_LOG_ERRORS = re.compile(r"ERROR|Traceback|InvalidRequestError")


@dataclass
class PrefectStack:
    api: str
    env: dict[str, str]
    work: Path
    server_log: Path
    worker_log: Path
    deploy_output: str


def _stack_env(work: Path, port: int, extra: dict[str, str]) -> dict[str, str]:
    inherited = {"DATABASE_URL", "REPORTING_PACKAGES_DIR", "REPORTING_ALERT_WEBHOOK_URL"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k not in inherited}
    look_ahead = max(LOOK_AHEAD_TO - datetime.now(UTC), timedelta(days=100))
    return env | {
        "REPORTING_DATA_DIR": str(work / "data"),
        "PREFECT_SERVER_PORT": str(port),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",  # the server log is read while the server runs
        # ISO 8601: a number of seconds, as Prefect's documentation suggests, fails the server's start-up
        "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME": f"PT{int(look_ahead.total_seconds())}S",
        # every 2 s instead of 60 s: a schedule added to a deployment gets its run at once
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
        **extra,
    }


@contextmanager
def prefect_stack(extra_env: dict[str, str] | None = None) -> Iterator[PrefectStack]:
    """Server, `scripts/prefect.sh deploy`, and a worker whose current folder is a temporary one."""
    work = Path(tempfile.mkdtemp(prefix="reporting-sched-"))
    port = _free_port()
    env = _stack_env(work, port, extra_env or {})
    api = env["PREFECT_API_URL"]
    server_log, worker_log = work / "server.log", work / "worker.log"
    started: list[subprocess.Popen[bytes]] = []
    try:
        # as operators start it, the server is not told its own address (PREFECT_API_URL): nothing may need it
        server_env = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
        server = _start([str(SCRIPT), "server"], server_env, server_log)
        started.append(server)
        _wait_until(lambda: _healthy(api) or server.poll() is not None, 120, "the Prefect server")
        assert server.poll() is None, server_log.read_text(errors="replace")[-3000:]

        deployed = subprocess.run(
            [str(SCRIPT), "deploy"], env=env, capture_output=True, text=True, timeout=180, check=False
        )
        assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]

        elsewhere = work / "elsewhere"  # not the repository: the worker must not need the deployer's folder
        elsewhere.mkdir()
        started.append(_start(["env", "-C", str(elsewhere), str(SCRIPT), "worker"], env, worker_log))
        yield PrefectStack(api, env, work, server_log, worker_log, deployed.stdout + deployed.stderr)
    finally:
        for process in reversed(started):
            _stop(process)
        shutil.rmtree(work, ignore_errors=True)


def assert_server_log_clean(stack: PrefectStack) -> None:
    """Read while the server runs (its shutdown may print harmless CancelledError tracebacks)."""
    lines = stack.server_log.read_text(errors="replace").splitlines()
    errors = [i for i, line in enumerate(lines) if SERVER_LOG_ERRORS.search(line)]
    assert not errors, "\n".join(lines[max(errors[0] - 5, 0) : errors[0] + 40])


def deployment(api: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(f"{api}/deployments/name/biennial-report/{name}", timeout=10).json()
    return found


def scheduled_runs(api: str, deployment_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.post(
        f"{api}/flow_runs/filter",
        json={
            "flow_runs": {
                "deployment_id": {"any_": [deployment_id]},
                "state": {"type": {"any_": ["SCHEDULED"]}},
            },
            "sort": "EXPECTED_START_TIME_ASC",
        },
        timeout=10,
    ).json()
    return found


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(scope="module")
def stack() -> Iterator[PrefectStack]:
    with prefect_stack() as running:
        yield running


def test_the_scheduler_creates_the_end_of_biennium_runs(stack: PrefectStack) -> None:
    started = datetime.now(UTC)
    expected = [when for when in END_OF_BIENNIUM_RUNS if when > started]
    scheduled = deployment(stack.api, "end-of-biennium")

    def all_created() -> list[dict[str, Any]] | None:
        found = scheduled_runs(stack.api, scheduled["id"])
        return found if found and len(found) >= len(expected) else None

    runs = _wait_until(all_created, 30, "the scheduler to create the end-of-biennium runs")
    assert [_utc(r["expected_start_time"]) for r in runs] == expected  # 06:00 in Zurich is 05:00Z in winter
    assert all(_utc(r["expected_start_time"]).year % 2 == 0 for r in runs)  # no odd years
    for run in runs:
        assert run["auto_scheduled"] is True and "auto-scheduled" in run["tags"]
        assert run["created_by"]["type"] == "SCHEDULE"
        # the biennium that has just closed, in the three editions
        assert run["parameters"] == {"language": ["en", "fr", "es"]}
        assert run["work_pool_name"] == "reporting"
    assert_server_log_clean(stack)


def test_a_scheduled_run_is_created_by_the_server_and_run_by_a_worker(stack: PrefectStack) -> None:
    """A one-off schedule on the registered `rebuild` deployment, 15 s ahead: the scheduler service creates
    the run, the worker (started from a temporary folder) runs it, the report is written to `out`."""
    rebuild = deployment(stack.api, "rebuild")
    at = (datetime.now(UTC) + timedelta(seconds=15)).replace(microsecond=0)
    out = stack.work / "scheduled-out"
    added = httpx.post(
        f"{stack.api}/deployments/{rebuild['id']}/schedules",
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
        timeout=10,
    )
    assert added.status_code == 201, added.text
    (created,) = _wait_until(
        lambda: scheduled_runs(stack.api, rebuild["id"]), 12, "the scheduler to create the rebuild run"
    )
    assert _utc(created["expected_start_time"]) == at
    assert created["auto_scheduled"] is True and created["created_by"]["type"] == "SCHEDULE"

    finished = _wait_until(lambda: _run_state(stack.api, created["id"]), 120, "the worker to run it")
    worker_log = stack.worker_log.read_text(errors="replace")
    assert finished["state_type"] == "COMPLETED", worker_log[-5000:]
    assert finished["name"].startswith("report-2014-15-")
    assert (out / "implementation-report-2014-15.docx").stat().st_size > 20_000
    assert_server_log_clean(stack)
