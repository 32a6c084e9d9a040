"""One real Prefect stack for the end-to-end tests (tests/test_orchestration_server.py,
tests/test_schedules.py, tests/test_notifications.py, tests/test_run_form.py), started by the
`prefect_stack` fixture: once for the modules that share it (tests/conftest.py), once for
tests/test_orchestration_server.py on its own.

As an operator runs it: `scripts/prefect.sh start` (what `make server` calls) starts the data folder's
server on a port it picks itself and says which; `scripts/prefect.sh deploy` registers the deployments
and the failure automation (REPORTING_ALERT_WEBHOOK_URL: a webhook served here on loopback); a worker
runs from a folder that is not the repository, e-mailing through an SMTP server started here. The
server's scheduler looks ahead to February 2030 and runs every 2 s. Everything started here is stopped
here, by process group."""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil
from aiosmtpd.smtp import SMTP

from tests.report_packages import ROOT

SCRIPT = ROOT / "scripts" / "prefect.sh"
PREFECT = ROOT / ".venv" / "bin" / "prefect"
PYTHON = ROOT / ".venv" / "bin" / "python"
# By default the scheduler creates runs only 100 days ahead; the test server looks ahead to February 2030.
LOOK_AHEAD_TO = datetime(2030, 2, 1, tzinfo=UTC)
WEBHOOK_PATH = "/alerts/reporting?token=s3cret"
AMINA = "  - {name: Amina Diallo, roles: [reviewer], regions: [Africa], email: amina@example.org}\n"
"""The one reviewer with an address: the weekly reminder mails her Africa's list."""
FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")

T = TypeVar("T")


def wait_until(check: Callable[[], T | None], seconds: float, what: str) -> T:
    """The first truthy answer of `check`, asked every second until the deadline."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


def start_service(
    command: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT
) -> subprocess.Popen[bytes]:
    """A service in a process group of its own, so that stopping it stops all it started."""
    with log.open("ab") as sink:
        return subprocess.Popen(
            command, env=env, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_service(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)


class PatientTransport(httpx.HTTPTransport):
    """A busy test server answers 503 (its SQLite database locked), or a read does not answer within the
    client's timeout (on two loaded cores CI saw a GET wait over a minute): the request is sent again
    until a deadline, as Prefect's own client does. Only a GET is sent again after a timeout, since a
    POST may have been carried out."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + 180
        while True:
            try:
                response = super().handle_request(request)
            except httpx.TimeoutException:
                if request.method != "GET" or time.monotonic() > deadline:
                    raise
                continue
            if response.status_code != 503 or time.monotonic() > deadline:
                return response
            response.close()
            time.sleep(1)


http = httpx.Client(transport=PatientTransport(), timeout=60)
"""The tests' client of the stack's API."""


def run_state(api: str, flow_run_id: str) -> dict[str, Any] | None:
    """The flow run once it is in a final state, else None."""
    run: dict[str, Any] = http.get(f"{api}/flow_runs/{flow_run_id}", timeout=60).json()
    return run if run["state_type"] in FINAL else None


def deployment(api: str, name: str) -> dict[str, Any]:
    """A registered deployment by its full name, `flow/deployment` (e.g. 'end-of-biennium/sign-off')."""
    found = http.get(f"{api}/deployments/name/{name}", timeout=60)
    assert found.status_code == 200, f"{name}: {found.text}"
    read: dict[str, Any] = found.json()
    return read


def trigger_rebuild(env: dict[str, str], *parameters: str) -> str:
    """`prefect deployment run 'biennial-report/rebuild' -p …`, as an operator types it: the run's id."""
    command = [str(PREFECT), "deployment", "run", "biennial-report/rebuild"]
    for parameter in parameters:
        command += ["-p", parameter]
    # the server's answer may wait for its SQLite lock, up to Prefect's busy timeout of 60 s (a run of
    # the suite beside another timed out at 60 s)
    triggered = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert triggered.returncode == 0, triggered.stdout + triggered.stderr
    flow_run_id = re.search(r"UUID:\s*([0-9a-f-]{36})", triggered.stdout)
    assert flow_run_id, triggered.stdout
    return flow_run_id[1]


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
class Inbox:
    """What the SMTP server started here received: (recipients, message)."""

    received: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def processes_of_run(flow_run_id: str) -> list[int]:
    """The live processes of a flow run: Prefect starts them with PREFECT__FLOW_RUN_ID in their
    environment (a zombie's environment reads empty)."""
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):  # gone meanwhile, or not ours to read
            if process.environ().get("PREFECT__FLOW_RUN_ID") == flow_run_id:
                found.append(process.pid)
    return found


def wait_running(api: str, flow_run_id: str) -> str:
    """The run's URL, once the run is Running."""
    run_url = f"{api}/flow_runs/{flow_run_id}"
    wait_until(
        lambda: http.get(run_url, timeout=60).json()["state_type"] == "RUNNING", 120, "the run to start"
    )
    return run_url


@dataclass
class PrefectStack:
    api: str
    env: dict[str, str]
    """The operator's environment with PREFECT_API_URL: for Prefect's own commands."""
    operator: dict[str, str]
    """As an operator's shell has it: the data folder, no PREFECT_API_URL (scripts/prefect.sh finds it)."""
    work: Path
    data: Path
    worker: subprocess.Popen[bytes]
    worker_log: Path
    deploy_output: str
    webhook_url: str
    received: queue.Queue[dict[str, Any]]
    inbox: Inbox

    def start_worker(self, log: Path) -> subprocess.Popen[bytes]:
        """Another worker, as the stack's own is started."""
        return start_worker(self.work, self.operator, log)

    def replace_worker(self) -> None:
        """A new worker for the tests after one that stopped the stack's own."""
        stop_service(self.worker)
        self.worker = self.start_worker(self.worker_log)


def start_worker(work: Path, operator: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`make worker` run from a folder that is not the repository (it must not need it)."""
    elsewhere = work / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    return start_service([str(SCRIPT), "worker"], operator, log, cwd=elsewhere)


def _operator_env(work: Path, webhook_url: str, smtp_port: int) -> dict[str, str]:
    inherited = {"DATABASE_URL", "REPORTING_PACKAGES_DIR", "REPORTING_ALERT_WEBHOOK_URL"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k not in inherited}
    people = work / "people.yaml"
    people.write_text((ROOT / "tests" / "data" / "people.yaml").read_text("utf-8") + AMINA, "utf-8")
    look_ahead = max(LOOK_AHEAD_TO - datetime.now(UTC), timedelta(days=100))
    return env | {
        "REPORTING_DATA_DIR": str(work / "data"),
        "REPORTING_PEOPLE_FILE": str(people),
        "REPORTING_ALERT_WEBHOOK_URL": webhook_url,
        "REPORTING_SMTP_HOST": "127.0.0.1",
        "REPORTING_SMTP_PORT": str(smtp_port),
        "REPORTING_SMTP_STARTTLS": "false",
        "REPORTING_SMTP_SENDER": "reporting@example.org",
        "PREFECT_SERVER_PORT": "0",  # the server picks a free port and says which
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        # ISO 8601: a number of seconds, as Prefect's documentation suggests, fails the server's start-up
        "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME": f"PT{int(look_ahead.total_seconds())}S",
        # every 2 s instead of 60 s: a schedule added to a deployment gets its run at once
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
    }


@contextmanager
def _webhook() -> Iterator[tuple[str, queue.Queue[dict[str, Any]]]]:
    received: queue.Queue[dict[str, Any]] = queue.Queue()
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{WEBHOOK_PATH}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=60)


@contextmanager
def smtp_server(handler: Any, **options: Any) -> Iterator[int]:
    """aiosmtpd's SMTP protocol (with `handler` and SMTP's `options`) on a port the system picks, served
    from a thread of its own: its port."""
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(lambda: SMTP(handler, **options), "127.0.0.1", 0))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=60)
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()


SCRIPT_SECONDS = 600
"""`deploy` runs six Prefect commands, each importing Prefect: over 3 minutes at a load of 15."""


def _script(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`scripts/prefect.sh COMMAND`, as `make server`, `make deploy` and `make server-stop` run it."""
    return subprocess.run(
        [str(SCRIPT), command], env=env, capture_output=True, text=True, timeout=SCRIPT_SECONDS, check=False
    )


@contextmanager
def running_stack() -> Iterator[PrefectStack]:
    """Server, `scripts/prefect.sh deploy`, and a worker; all stopped at the end."""
    work = Path(tempfile.mkdtemp(prefix="reporting-stack-"))
    inbox = Inbox()
    with _webhook() as (webhook_url, received), smtp_server(inbox) as smtp_port:
        operator = _operator_env(work, webhook_url, smtp_port)
        stack: PrefectStack | None = None
        try:
            server = _script("start", operator)
            assert server.returncode == 0, server.stdout[-3000:] + server.stderr[-3000:]
            address = re.search(r"Prefect server: (http://127\.0\.0\.1:\d+)", server.stdout)
            assert address, server.stdout
            api = f"{address[1]}/api"
            deployed = _script("deploy", operator)
            assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
            stack = PrefectStack(
                api=api,
                env=operator | {"PREFECT_API_URL": api},
                operator=operator,
                work=work,
                data=work / "data",
                worker=start_worker(work, operator, work / "worker.log"),
                worker_log=work / "worker.log",
                deploy_output=deployed.stdout + deployed.stderr,
                webhook_url=webhook_url,
                received=received,
                inbox=inbox,
            )
            yield stack
        finally:
            if stack is not None:
                stop_service(stack.worker)
            _script("stop", operator)
            shutil.rmtree(work, ignore_errors=True)


def large_package(stack: PrefectStack) -> Path:
    """A package of 2016-17 whose build runs long enough to be cancelled or stopped half-way (made once
    per stack); of 2016-17, its rows stored in the stack's store leave 2014-15's sign-off alone."""
    from reporting.synth import synthetic_package

    folder = stack.work / "large" / "2016-17"
    if not folder.is_dir():
        synthetic_package(folder, rows=20_000, outcomes=19, seed=3)
        for path in (p for p in folder.rglob("*") if p.suffix in (".yaml", ".csv")):
            path.write_text(path.read_text("utf-8").replace("2014-15", "2016-17"), "utf-8")
    return folder
