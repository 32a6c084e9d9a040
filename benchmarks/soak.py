"""`make soak` (`python -m benchmarks.soak`): what a team runs, on this machine, under the weeks before a
report, with faults injected; one table at the end, exit 1 when a check fails.

Started here, as the README's "A shared server for a team" says: a throwaway PostgreSQL
(tests/postgres_server.py); a Prefect server on it (`PREFECT_API_DATABASE_CONNECTION_URL`); the report's
store on it (`DATABASE_URL`); two workers (`make worker`, scripts/prefect.sh), each from a home, working
folder and data folder of its own, sharing only the share (the packages, the people directory and the
output folder), as two machines would; the deployments registered with `make deploy`.

For SOAK_MINUTES (default 10) it drives four bienniums of synthetic packages (`reporting synth
--outcomes SOAK_OUTCOMES --rows SOAK_ROWS`, default 19 and 10,000), rebuilt again and again; new
versions of evidence files; review decisions (`reporting review approve|return|reopen`); the
end-of-biennium sign-off, answered through the API as the UI answers it; the three editions with PDF of
one biennium; and a package that is wrong. Faults, on a schedule: kill -9 of a worker (and its run's
process) during a run, a restart of the Prefect server, a restart of PostgreSQL, the output folder full
for a while (a tmpfs shrunk to what it holds; skipped where `mount` is refused).

Then, faults and changes stopped, each biennium is rebuilt once more, one after the other, and checked:
every run ended in a final state; each run that crashed was run again by itself (the automation
`rerun-crashed-runs`, orchestration/crashed_runs.py) and completed, and no run that failed for its
package was; each biennium's outputs are byte for byte those of a serial `reporting build` from the
same store; every evidence row of every package is stored once; `reporting audit --verify` passes; no
process started by the soak is left. Everything is stopped and removed at the end, also on Ctrl-C or
SIGTERM (process groups)."""

from __future__ import annotations

import contextlib
import csv
import itertools
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from reporting.orchestration import local_server
from reporting.orchestration.crashed_runs import RERUNS
from reporting.store.models import EvidenceRecord, ReceivedFileRecord, table
from tests.postgres_server import PostgresServer, PostgresUnavailable, free_port, throwaway_postgres

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
MINUTES = float(os.environ.get("SOAK_MINUTES", "10"))
OUTCOMES = int(os.environ.get("SOAK_OUTCOMES", "19"))
ROWS = int(os.environ.get("SOAK_ROWS", "10000"))
BIENNIUMS = ("2016-17", "2018-19", "2020-21", "2022-23")
SIGNED_OFF, WITH_PDF = BIENNIUMS[0], BIENNIUMS[1]
"""The biennium signed off (then locked), and the one built in three editions with PDF."""
EDITIONS = ["en", "fr", "es"]
SIGNER = "PROGRAM"
"""Reviewer and signer of every region in examples/people.yaml (the people directory on the share)."""
RUNS_IN_FLIGHT = 3
"""Rebuilds kept waiting or running: the two workers always have one to take."""
SETTLE_SECONDS = 1200.0
"""After the driven time, how long every run has to reach a final state (a crashed run: 90 s of
silence, then run again)."""
FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
STILL_GOING = ["SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING"]
console = Console(width=150)


class Interrupted(Exception):
    """SIGTERM or SIGHUP: stop driving, clean up (Ctrl-C raises KeyboardInterrupt the same way)."""


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


def say(message: str) -> None:
    console.print(f"[dim]{datetime.now(UTC):%H:%M:%S}[/dim] {message}", highlight=False)


def wait_until(check: Callable[[], Any], seconds: float, what: str, every: float = 1.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


# --- services: each in a process group of its own ----------------------------------------------------


@dataclass
class Service:
    name: str
    command: list[str]
    env: dict[str, str]
    cwd: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None
    groups: list[int] = field(default_factory=list)
    """Every process group this service had (a restart makes a new one): checked for leftovers."""

    def start(self) -> None:
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=self.cwd,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.groups.append(self.process.pid)

    def kill(self) -> None:
        """kill -9 of everything the service started (a machine that dies)."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=60)

    def stop(self, seconds: float = 30) -> None:
        """SIGTERM, as a service manager stops it; SIGKILL to the group after `seconds`."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=seconds)
        with contextlib.suppress(ProcessLookupError):  # what it left in its group
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


# --- the Prefect API, as the UI and `prefect deployment run` use it ---------------------------------


class Api:
    """The server's REST API; every call retried until it answers (the server may be restarting)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.Client(base_url=url, timeout=60)

    def call(self, method: str, path: str, body: Any = None, seconds: float = 300) -> Any:
        deadline = time.monotonic() + seconds
        while True:
            try:
                response = self.client.request(method, path, json=body)
                if response.status_code < 500:
                    response.raise_for_status()
                    return response.json() if response.content else None
                problem = f"{response.status_code} {response.text[:200]}"
            except httpx.TransportError as error:
                problem = repr(error)
            if time.monotonic() > deadline:
                raise RuntimeError(f"{method} {path}: {problem}")
            time.sleep(2)

    def healthy(self) -> bool:
        try:
            return self.client.get("/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def runs(self, states: list[str] | None = None) -> list[dict[str, Any]]:
        """Every flow run (subflows too), or those in these state types."""
        found: list[dict[str, Any]] = []
        filters: dict[str, Any] = {"state": {"type": {"any_": states}}} if states else {}
        while True:
            body = {
                "flow_runs": filters,
                "limit": 200,
                "offset": len(found),
                "sort": "EXPECTED_START_TIME_ASC",
            }
            page = self.call("POST", "/flow_runs/filter", body)
            found += page
            if len(page) < 200:
                return found

    def states_of(self, run_id: str) -> list[dict[str, Any]]:
        states: list[dict[str, Any]] = self.call("GET", f"/flow_run_states/?flow_run_id={run_id}")
        return sorted(states, key=lambda s: s["timestamp"])

    def deployment(self, name: str) -> str:
        return str(self.call("GET", f"/deployments/name/{name}")["id"])


# --- the share: packages, people, output folder -----------------------------------------------------


def synthetic_packages(packages: Path) -> dict[str, int]:
    """Four bienniums of `reporting synth` packages (the sample's biennium renamed); rows of each."""
    rows: dict[str, int] = {}
    for number, biennium in enumerate(BIENNIUMS):
        folder = packages / biennium
        subprocess.run(
            [
                str(BIN / "reporting"),
                "synth",
                "--outcomes",
                str(OUTCOMES),
                "--rows",
                str(ROWS),
                "--seed",
                str(2015 + number),
                "--out",
                str(folder),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        for path in folder.rglob("*"):
            if path.suffix in (".csv", ".yaml"):
                path.write_text(
                    path.read_text(encoding="utf-8").replace("2014-15", biennium), encoding="utf-8"
                )
        rows[biennium] = len(evidence_rows(folder))
    return rows


def evidence_rows(package: Path) -> set[tuple[str, int]]:
    """Every evidence row of the package: (file, row as a spreadsheet numbers it, header on row 1)."""
    found: set[tuple[str, int]] = set()
    for path in sorted((package / "evidence").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            count = sum(1 for _ in csv.reader(handle)) - 1
        found.update((f"evidence/{path.name}", n) for n in range(2, count + 2))
    return found


def new_version_of_a_file(package: Path, version: int, rng: random.Random) -> str:
    """A corrected evidence file arrives: one result's text changed, written under a temporary name and
    renamed (as a copy onto the share would be), so a build never reads half of it."""
    path = rng.choice(sorted((package / "evidence").glob("*.csv")))
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    row = rng.randrange(1, len(rows))
    column = rows[0].index("result_achieved")
    rows[row][column] = re.sub(r" \(corrected \d+\)$", "", rows[row][column]) + f" (corrected {version})"
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    partial.replace(path)
    return f"{package.name}/{path.name} row {row + 1}"


def wrong_package(folder: Path) -> Path:
    """The sample with one evidence file that cannot be read (binary content): its runs must fail, once."""
    shutil.copytree(ROOT / "examples" / "2014-15", folder)
    victim = sorted((folder / "evidence").iterdir())[0]
    victim.write_bytes(b"\x00\x01binary\x00" * 100)
    return folder


@dataclass
class OutputDisk:
    """The output folder on a tmpfs of its own, which can be made full (shrunk to what it holds)."""

    folder: Path
    mounted: bool = False
    why_not: str = ""

    def mount(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4g,mode=0755", "tmpfs", str(self.folder)],
            capture_output=True,
            text=True,
            check=False,
        )
        self.mounted = done.returncode == 0
        self.why_not = "" if self.mounted else (done.stderr.strip() or f"mount exited {done.returncode}")

    def resize(self, size: str) -> None:
        subprocess.run(
            ["mount", "-o", f"remount,size={size}", str(self.folder)], check=True, capture_output=True
        )

    def fill(self) -> None:
        """Full: the tmpfs shrunk to the pages it uses."""
        used = shutil.disk_usage(self.folder).used
        self.resize(str(max(used, 4096)))

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.folder)], check=False, capture_output=True)
            self.mounted = False


# --- what was started, and how it ended -------------------------------------------------------------


@dataclass
class Launched:
    id: str
    kind: str
    biennium: str
    parameters: dict[str, Any]


@dataclass
class Soak:
    root: Path
    postgres: PostgresServer
    api: Api
    server: Service
    workers: list[Service]
    env: dict[str, str]
    """The operator's environment: the two URLs, the share, the people directory."""
    share: Path
    rows: dict[str, int]
    today: str
    disk: OutputDisk
    rng: random.Random = field(default_factory=lambda: random.Random(24))
    launched: dict[str, Launched] = field(default_factory=dict)
    faults: Counter[str] = field(default_factory=Counter)
    changes: Counter[str] = field(default_factory=Counter)
    load: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    disk_full_between: list[tuple[float, float]] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)
    serial: list[Service] = field(default_factory=list)
    review_states: dict[tuple[str, str, str], str] = field(default_factory=dict)

    # runs

    def start_run(self, deployment: str, kind: str, biennium: str, parameters: dict[str, Any]) -> str:
        deployment_id = self.api.deployment(deployment)
        run = self.api.call(
            "POST", f"/deployments/{deployment_id}/create_flow_run", {"parameters": parameters}
        )
        self.launched[run["id"]] = Launched(run["id"], kind, biennium, parameters)
        return str(run["id"])

    def rebuild(self, biennium: str, final: bool = False) -> str:
        parameters: dict[str, Any] = {"biennium": biennium, "publication_date": self.today}
        parameters |= final_parameters(biennium) if final else {}
        kind = "editions+pdf" if parameters.get("pdf") else "rebuild"
        return self.start_run("biennial-report/rebuild", kind, biennium, parameters)

    def active(self) -> list[dict[str, Any]]:
        """The soak's runs not ended yet: still going, or crashed and due to be run again (after a
        server restart, Prefect may hold the Crashed event up to 15 minutes before acting on it)."""
        return [
            r
            for r in self.api.runs([*STILL_GOING, "CRASHED"])
            if r["id"] in self.launched and (r["state_type"] != "CRASHED" or r["run_count"] <= RERUNS)
        ]

    def answer_sign_offs(self) -> None:
        """A paused sign-off run is approved as the UI does it: its form read, the input sent."""
        for run in self.api.runs(["PAUSED"]):
            if run["id"] not in self.launched or run["state"]["id"] in self.answered:
                continue
            keyset = (run["state"].get("state_details") or {}).get("run_input_keyset")
            if not keyset:
                continue
            form = self.api.client.get(f"/flow_runs/{run['id']}/input/{keyset['schema']}")
            if form.status_code != 200:
                continue  # the form is saved just after the pause
            answer = self.api.call(
                "POST",
                f"/flow_runs/{run['id']}/resume",
                {"run_input": {"decision": "approve", "by": SIGNER, "comment": "soak: signed off"}},
            )
            self.answered.add(run["state"]["id"])
            say(f"sign-off of {run['name']} approved through the API: {answer['status']}")

    # changes

    def review_decision(self) -> None:
        """approve, return or reopen a result of a biennium not signed off, by the CLI as a reviewer does."""
        built = {
            self.launched[r["id"]].biennium for r in self.api.runs(["COMPLETED"]) if r["id"] in self.launched
        }
        choices = [b for b in BIENNIUMS if b != SIGNED_OFF and b in built]  # its results are in the store
        if not choices:
            return
        biennium = self.rng.choice(choices)
        reviews = list(
            csv.DictReader((self.share / "packages" / biennium / "reviews.csv").open(encoding="utf-8"))
        )
        pick = self.rng.choice(reviews[:50])
        key = (biennium, pick["indicator"], pick["cpo_code"])
        status = self.review_states.get(key, "approved")
        action, option, status_after = {
            "approved": ("reopen", "--reason", "submitted"),
            "submitted": (self.rng.choice(["approve", "return"]), "--comment", ""),
            "returned": ("reopen", "--reason", "submitted"),
        }[status]
        status_after = status_after or {"approve": "approved", "return": "returned"}[action]
        command = [str(BIN / "reporting"), "review", action, "--biennium", biennium, "--by", SIGNER]
        command += ["--indicator", pick["indicator"], "--cpo", pick["cpo_code"], option, f"soak {action}"]
        done = subprocess.run(
            command, env=self.env, cwd=self.root, capture_output=True, text=True, timeout=300
        )
        if done.returncode == 0:
            self.review_states[key] = status_after
            self.changes[f"review {action}"] += 1
            say(f"review {action}: {biennium} {pick['indicator']} {pick['cpo_code']}")
        else:
            self.notes.append(f"review {action} {key} refused: {(done.stderr or done.stdout).strip()[-300:]}")

    def new_file_version(self) -> None:
        biennium = self.rng.choice([b for b in BIENNIUMS if b != SIGNED_OFF])
        what = new_version_of_a_file(self.share / "packages" / biennium, sum(self.changes.values()), self.rng)
        self.changes["new file version"] += 1
        say(f"new version of {what}")

    # faults

    def kill_a_worker(self) -> bool:
        """kill -9 of a worker that is running a rebuild, and of that run's process (its machine died);
        the worker is started again, as the machine comes back."""
        running = [
            r
            for r in self.api.runs(["RUNNING"])
            if self.launched.get(r["id"], None) and r["infrastructure_pid"]
        ]
        for run in running:
            pid = int(str(run["infrastructure_pid"]).rsplit(":", 1)[-1])
            if not local_server.running(pid):
                continue  # killed before, not yet marked Crashed
            for worker in self.workers:
                if run["id"] in worker.log_text():
                    worker.kill()
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                    self.faults["kill -9 a worker during a run"] += 1
                    say(f"killed {worker.name} (-9) and the process of {run['name']}")
                    worker.start()
                    return True
        return False

    def restart_server(self) -> None:
        self.server.stop()
        self.server.start()
        wait_until(self.api.healthy, 300, "the Prefect server after its restart", every=2)
        self.faults["restart the Prefect server"] += 1
        say("Prefect server restarted")

    def restart_postgres(self) -> None:
        self.postgres.restart()
        self.faults["restart PostgreSQL"] += 1
        say("PostgreSQL restarted")

    def full_output_disk(self, seconds: float) -> None:
        if not self.disk.mounted:
            return
        self.disk.fill()
        started = time.monotonic()
        say(f"output folder full for {seconds:.0f} s")
        try:
            while time.monotonic() - started < seconds:
                self.tick()
                time.sleep(2)
        finally:
            self.disk.resize("4g")
        self.disk_full_between.append((started, time.monotonic()))
        self.faults["output folder full"] += 1

    def tick(self) -> None:
        self.load.append(os.getloadavg()[0])
        self.answer_sign_offs()


def final_parameters(biennium: str) -> dict[str, Any]:
    """What each biennium's last build asks for: the three editions (with PDF for one)."""
    if biennium == WITH_PDF:
        return {"language": EDITIONS, "pdf": True}
    if biennium == SIGNED_OFF:
        return {"language": EDITIONS}
    return {"language": "en"}


def drive(soak: Soak, minutes: float) -> None:
    """The weeks before a report, in `minutes`: rebuilds kept going, changes and faults on a schedule."""
    seconds = minutes * 60
    started = time.monotonic()
    at = {  # the moment of each one-off event, as a share of the time
        "wrong package": 0.1,
        "kill 1": 0.2,
        "sign-off": 0.25,
        "server": 0.35,
        "editions+pdf": 0.4,
        "postgres": 0.5,
        "kill 2": 0.6,
        "disk": 0.75,
    }
    done: set[str] = set()
    next_change = next_decision = started + 20
    turn = 0
    while (now := time.monotonic()) - started < seconds:
        soak.tick()
        if len([r for r in soak.active() if soak.launched[r["id"]].kind == "rebuild"]) < RUNS_IN_FLIGHT:
            soak.rebuild(BIENNIUMS[turn % len(BIENNIUMS)])
            turn += 1
        if now > next_decision:
            soak.review_decision()
            next_decision = now + 15
        if now > next_change:
            soak.new_file_version()
            next_change = now + 40
        due = [e for e, share in at.items() if e not in done and now - started >= share * seconds]
        for event in due:
            if event.startswith("kill") and not soak.kill_a_worker():
                continue  # no rebuild running this instant: next time round
            done.add(event)
            if event == "wrong package":
                soak.start_run(
                    "biennial-report/rebuild",
                    "wrong package",
                    "2014-15",
                    {"package": str(soak.share / "wrong")},
                )
            elif event == "sign-off":
                soak.start_run("end-of-biennium/sign-off", "sign-off", SIGNED_OFF, {"biennium": SIGNED_OFF})
                say(f"the end-of-biennium sign-off of {SIGNED_OFF} started")
            elif event == "editions+pdf":
                soak.rebuild(WITH_PDF, final=True)
                say(f"the three editions of {WITH_PDF} with PDF started")
            elif event == "server":
                soak.restart_server()
            elif event == "postgres":
                soak.restart_postgres()
            elif event == "disk":
                soak.full_output_disk(min(30, 0.05 * seconds))
        time.sleep(3)


def settle(soak: Soak, seconds: float = SETTLE_SECONDS) -> bool:
    """Wait until no run of the soak is scheduled, pending, running, paused or cancelling."""
    deadline = time.monotonic() + seconds
    told = 0.0
    while time.monotonic() < deadline:
        soak.tick()
        active = soak.active()
        if not active:
            return True
        if time.monotonic() - told > 60:
            say("waiting for " + ", ".join(f"{r['name']} ({r['state_name']})" for r in active))
            told = time.monotonic()
        time.sleep(5)
    return False


def final_round(soak: Soak) -> dict[str, str]:
    """Each biennium rebuilt once more, one after the other, nothing changing: the outputs compared."""
    last: dict[str, str] = {}
    for biennium in BIENNIUMS:
        last[biennium] = soak.rebuild(biennium, final=True)
        settle(soak)
    return last


# --- the checks --------------------------------------------------------------------------------------


@dataclass
class Verdict:
    runs: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    crashed_recovered: int = 0
    failed_as_they_should: int = 0
    rerun_after: list[float] = field(default_factory=list)
    """Seconds from each Crashed state of a run to its AwaitingRetry (the automation acting)."""


def check_runs(soak: Soak) -> Verdict:
    verdict = Verdict(runs=soak.api.runs())
    for run in verdict.runs:
        state = run["state_type"]
        ours = soak.launched.get(run["id"])
        what = f"{run['name']} ({ours.kind if ours else 'subflow'}): {state} {run['state_name']}"
        if state not in FINAL_STATES:
            verdict.problems.append(f"not in a final state: {what}")
            continue
        history = soak.api.states_of(run["id"])
        crashed = any(s["type"] == "CRASHED" for s in history)
        if ours and ours.kind == "wrong package":
            if state == "FAILED" and not crashed and run["run_count"] == 1:
                verdict.failed_as_they_should += 1
            else:
                verdict.problems.append(
                    f"a wrong package's run was not failed once: {what}, {run['run_count']} tries"
                )
            continue
        message = ((run["state"] or {}).get("message") or "")[:300]
        # said, not retried: the next rebuild takes the new file, or writes on a disk with room again
        said_why = state == "FAILED" and (during(soak, run) or changed_while_read(run))
        if crashed and ours:
            verdict.rerun_after += rerun_delays(history)
            if state == "COMPLETED":
                verdict.crashed_recovered += 1
            elif said_why:  # run again after its crash, then met another fault of the soak
                verdict.failed_as_they_should += 1
            else:
                verdict.problems.append(f"crashed and not run again to completion: {what}: {message}")
            continue
        if said_why and ours:
            verdict.failed_as_they_should += 1
            continue
        if state != "COMPLETED" and ours:
            verdict.problems.append(f"{what}: {message}")
    return verdict


def rerun_delays(history: list[dict[str, Any]]) -> list[float]:
    delays = []
    for crashed, then in itertools.pairwise(history):
        if crashed["type"] == "CRASHED" and then["name"] == "AwaitingRetry":
            delays.append(
                (
                    datetime.fromisoformat(then["timestamp"]) - datetime.fromisoformat(crashed["timestamp"])
                ).total_seconds()
            )
    return delays


def during(soak: Soak, run: dict[str, Any]) -> bool:
    """Whether the run failed for a full output folder (said in its state message)."""
    message = ((run["state"] or {}).get("message") or "").lower()
    return bool(soak.disk_full_between) and "no space left" in message


def changed_while_read(run: dict[str, Any]) -> bool:
    """Whether the run failed because a new version of a file arrived between its receipt and its
    reading (the build says so and stops: it never mixes two versions of a package)."""
    return "changed since it was received" in ((run["state"] or {}).get("message") or "")


NOT_COMPARED = ("build.json", ".implementation-report-")
"""A build's record (when, by which run, into which folder) and the sidecar holding the .docx's sha256
(its zip stamps each part with the time of writing): the .docx itself is compared part by part."""


def same_output(mine: Path, theirs: Path) -> bool:
    """Byte for byte; a .docx part by part (the zip's timestamps aside); a PDF by its text (LibreOffice
    stamps each with the time it was made)."""
    if mine.suffix == ".docx":
        with zipfile.ZipFile(mine) as a, zipfile.ZipFile(theirs) as b:
            return a.namelist() == b.namelist() and all(a.read(n) == b.read(n) for n in a.namelist())
    if mine.suffix == ".pdf":
        text = [
            subprocess.run(["pdftotext", str(p), "-"], capture_output=True, check=True).stdout
            for p in (mine, theirs)
        ]
        return text[0] == text[1]
    return mine.read_bytes() == theirs.read_bytes()


def differences(mine: Path, theirs: Path) -> list[str]:
    names = {p.relative_to(theirs) for p in theirs.rglob("*") if p.is_file()}
    names |= {p.relative_to(mine) for p in mine.rglob("*") if p.is_file() and ".edited-" not in p.name}
    return [
        str(name)
        for name in sorted(names)
        if not name.name.startswith(NOT_COMPARED)
        and not (
            (mine / name).is_file() and (theirs / name).is_file() and same_output(mine / name, theirs / name)
        )
    ]


def compare_with_serial_builds(soak: Soak) -> list[str]:
    """Each biennium built again, one after the other, by `reporting build` from the same store, into a
    folder of its own: every output of each edition must be the soak's."""
    problems: list[str] = []
    serial = soak.root / "serial"
    env = soak.env | {"REPORTING_DATA_DIR": str(serial / "data")}
    env.pop("PREFECT_API_URL")  # the data folder's own server: a build as one engineer runs it
    try:
        for biennium in BIENNIUMS:
            parameters = final_parameters(biennium)
            languages = (
                parameters["language"]
                if isinstance(parameters["language"], list)
                else [parameters["language"]]
            )
            command = [str(BIN / "reporting"), "build", str(soak.share / "packages" / biennium)]
            command += ["--out", str(serial / biennium), "--publication-date", soak.today, "--force"]
            command += [a for language in languages for a in ("--language", language)]
            command += ["--pdf"] if parameters.get("pdf") else []
            build = Service(f"serial build {biennium}", command, env, soak.root, soak.root / "serial.log")
            soak.serial.append(build)
            build.start()
            assert build.process is not None
            if build.process.wait(timeout=3600) != 0:
                problems.append(f"serial build of {biennium} failed: {build.log_text()[-500:]}")
                continue
            for language in languages:
                found = differences(
                    soak.share / "reports" / biennium / language, serial / biennium / language
                )
                problems += [
                    f"{biennium}/{language}/{name} differs from the serial build's" for name in found
                ]
    finally:
        for build in soak.serial:
            build.stop()  # SIGTERM first: the build stops its LibreOffice
        subprocess.run([str(BIN / "reporting"), "server", "stop"], env=env, capture_output=True, timeout=120)
    return problems


def check_store(soak: Soak) -> tuple[list[str], int]:
    """Every evidence row of every package's current files stored once; the audit trail verified."""
    problems: list[str] = []
    engine = create_engine(soak.env["DATABASE_URL"], poolclass=NullPool)
    files, evidence = table(ReceivedFileRecord), table(EvidenceRecord)
    stored_total = 0
    with engine.connect() as conn:
        for biennium in BIENNIUMS:
            current = conn.execute(
                select(files.c.id, files.c.name).where(
                    files.c.biennium == biennium, files.c.superseded_by_id.is_(None)
                )
            ).all()
            names = {file_id: name for file_id, name in current}
            stored = [
                (names[file_id], row)
                for file_id, row in conn.execute(
                    select(evidence.c.received_file_id, evidence.c.source_row).where(
                        evidence.c.received_file_id.in_(list(names)),
                        evidence.c.superseded_by_file_id.is_(None),
                    )
                )
            ]
            expected = evidence_rows(soak.share / "packages" / biennium)
            distinct = set(stored)
            stored_total += len(stored)
            if distinct != expected or len(stored) != len(distinct):
                problems.append(
                    f"{biennium}: {len(expected - distinct)} row(s) lost, "
                    f"{len(stored) - len(distinct)} duplicated, {len(distinct - expected)} unexpected"
                )
    engine.dispose()
    audit = subprocess.run(
        [str(BIN / "reporting"), "audit", "--verify"],
        env=soak.env,
        cwd=soak.root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if audit.returncode != 0:
        problems.append(f"reporting audit --verify: {(audit.stdout + audit.stderr).strip()[-500:]}")
    return problems, stored_total


# --- the table ---------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def print_table(soak: Soak, verdict: Verdict, minutes: float, problems: list[str]) -> None:
    ours = [r for r in verdict.runs if r["id"] in soak.launched]
    completed = [r for r in ours if r["state_type"] == "COMPLETED"]
    table_ = Table(
        title=f"make soak: {minutes:g} min driven, 4 bienniums of {OUTCOMES} outcomes, {ROWS:,} rows each"
    )
    table_.add_column("measure")
    table_.add_column("figure", justify="right")
    rows: list[tuple[str, str]] = [
        ("runs started (deployment runs; subflows not counted)", str(len(ours))),
        ("completed", str(len(completed))),
        ("crashed and run again by themselves, then completed", str(verdict.crashed_recovered)),
        (
            "failed as they should (a wrong package; the output folder full; a file changed while read)",
            str(verdict.failed_as_they_should),
        ),
    ]
    by_kind: dict[str, list[float]] = {}
    speeds: list[float] = []
    for run in completed:
        launched = soak.launched[run["id"]]
        seconds = float(run["total_run_time"])
        by_kind.setdefault(launched.kind, []).append(seconds)
        if launched.kind == "rebuild" and seconds:
            speeds.append(soak.rows[launched.biennium] / seconds)
    for kind, seconds_ in sorted(by_kind.items()):
        rows.append(
            (f"run time of a completed '{kind}' run, p50 / p95 (n={len(seconds_)})",
             f"{percentile(seconds_, 0.5):.0f} s / {percentile(seconds_, 0.95):.0f} s")
        )  # fmt: skip
    if verdict.rerun_after:
        rows.append(
            ("from Crashed to run again (the automation), p50 / max",
             f"{statistics.median(verdict.rerun_after):.0f} s / {max(verdict.rerun_after):.0f} s")
        )  # fmt: skip
    if speeds:
        rows.append(
            (
                "rows per second of a rebuild (package rows / run time), p50",
                f"{statistics.median(speeds):,.0f}",
            )
        )
    for change, number in sorted(soak.changes.items()):
        rows.append((f"change: {change}", str(number)))
    for fault, number in sorted(soak.faults.items()):
        rows.append((f"fault: {fault}", str(number)))
    if not soak.disk.mounted and not soak.faults["output folder full"]:
        rows.append(("fault: output folder full", f"skipped ({soak.disk.why_not})"))
    if soak.load:
        rows.append(
            ("load of the machine (1-min average): min / mean / max",
             f"{min(soak.load):.1f} / {statistics.fmean(soak.load):.1f} / {max(soak.load):.1f} "
             f"({os.cpu_count()} cores)")
        )  # fmt: skip
    rows.append(("checks failed", str(len(problems))))
    for measure, figure in rows:
        table_.add_row(measure, figure)
    console.print(table_)


# --- set-up and clean-up ----------------------------------------------------------------------------


def fresh_env(home: Path, **settings: str) -> dict[str, str]:
    """A machine's environment: its own home, nothing of this shell's Prefect or store settings."""
    kept = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ", "TERM")}
    home.mkdir(parents=True, exist_ok=True)
    return kept | {"HOME": str(home), "TMPDIR": str(home), **settings}


@contextlib.contextmanager
def team(root: Path) -> Iterator[Soak]:
    """Everything a team runs, started in order and stopped in reverse, whatever happens."""
    stack = contextlib.ExitStack()
    with stack:
        say("starting a throwaway PostgreSQL")
        postgres = stack.enter_context(throwaway_postgres())
        store_url = postgres.create_database("reporting")
        prefect_url = postgres.create_database("prefect").replace("postgresql+psycopg", "postgresql+asyncpg")
        share = root / "share"
        disk = OutputDisk(share / "reports")
        disk.mount()
        stack.callback(disk.unmount)
        say("writing four synthetic packages" + ("" if disk.mounted else f" (no tmpfs: {disk.why_not})"))
        rows = synthetic_packages(share / "packages")
        wrong_package(share / "wrong")
        shutil.copy2(ROOT / "examples" / "people.yaml", share / "people.yaml")

        port = free_port()
        api_url = f"http://127.0.0.1:{port}/api"
        server_env = fresh_env(
            root / "server" / "home",
            PREFECT_HOME=str(root / "server" / "prefect"),
            PREFECT_API_DATABASE_CONNECTION_URL=prefect_url,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            DO_NOT_TRACK="1",
        )
        server = Service(
            "prefect server",
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            server_env,
            root / "server",
            root / "server.log",
        )
        stack.callback(check_left, [server])
        stack.callback(server.stop)
        say(f"starting the Prefect server on PostgreSQL: {api_url}")
        server.start()
        api = Api(api_url)
        wait_until(api.healthy, 600, "the Prefect server", every=2)

        shared = {
            "PREFECT_API_URL": api_url,
            "DATABASE_URL": store_url,
            "REPORTING_OUTPUT_DIR": str(share / "reports"),
            "REPORTING_PACKAGES_DIR": str(share / "packages"),
            "REPORTING_PEOPLE_FILE": str(share / "people.yaml"),
        }
        operator = fresh_env(
            root / "operator" / "home", REPORTING_DATA_DIR=str(root / "operator" / "data"), **shared
        )
        say("make deploy")
        deployed = subprocess.run(
            ["make", "--no-print-directory", "-C", str(ROOT), "deploy"],
            env=operator,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if deployed.returncode != 0:
            raise RuntimeError(f"make deploy failed:\n{(deployed.stdout + deployed.stderr)[-3000:]}")
        workers = []
        for number in (1, 2):
            machine = root / f"worker-{number}"
            (machine / "work").mkdir(parents=True)
            env = fresh_env(machine / "home", REPORTING_DATA_DIR=str(machine / "data"), **shared)
            workers.append(
                Service(
                    f"worker {number}",
                    [str(ROOT / "scripts" / "prefect.sh"), "worker"],
                    env,
                    machine / "work",
                    root / f"worker-{number}.log",
                )
            )
        stack.callback(check_left, workers)
        for worker in workers:
            stack.callback(worker.stop)
            worker.start()
        say("two workers started")
        yield Soak(
            root=root,
            postgres=postgres,
            api=api,
            server=server,
            workers=workers,
            env=operator,
            share=share,
            rows=rows,
            today=datetime.now(UTC).date().isoformat(),
            disk=disk,
        )


LEFT: list[str] = []


def check_left(services: list[Service]) -> None:
    """A process group of the soak still alive after its service was stopped."""
    LEFT.extend(f"{s.name} (process group {g})" for s in services for g in s.groups if group_alive(g))


def main() -> int:
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupted)
    root = Path(tempfile.mkdtemp(prefix="reporting-soak-"))
    root.chmod(0o755)
    problems: list[str] = []
    run_pids: set[int] = set()
    verdict = Verdict()
    soak: Soak | None = None
    try:
        with team(root) as soak:
            say(f"driving for {MINUTES:g} min")
            drive(soak, MINUTES)
            say("faults and changes stopped: waiting for every run to end")
            if not settle(soak):
                problems.append(
                    f"runs still going {SETTLE_SECONDS:.0f} s after the end: "
                    + ", ".join(r["name"] for r in soak.active())
                )
            say("the last build of each biennium, one after the other")
            final_round(soak)
            verdict = check_runs(soak)
            problems += verdict.problems
            run_pids = {
                int(str(r["infrastructure_pid"]).rsplit(":", 1)[-1])
                for r in verdict.runs
                if r.get("infrastructure_pid")
            }
            store_problems, _ = check_store(soak)
            problems += store_problems
            say("serial rebuilds from the same store")
            problems += compare_with_serial_builds(soak)
    except (KeyboardInterrupt, Interrupted) as stop:
        problems.append(f"interrupted ({stop.__class__.__name__} {stop}): stopped and removed everything")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if soak is not None:
            check_left(soak.serial)
        problems += [f"left running: {what}" for what in LEFT]
        problems += [
            f"left running: a flow run's process {pid}"
            for pid in sorted(run_pids)
            if local_server.running(pid)
        ]
        shutil.rmtree(root, ignore_errors=True)
    if soak is not None:
        print_table(soak, verdict, MINUTES, problems)
        for note in soak.notes:
            console.print(f"note: {note}", highlight=False)
    for problem in problems:
        console.print(f"[red]FAILED[/red] {problem}", highlight=False)
    return 1 if problems else 0


if __name__ == "__main__":
    with contextlib.suppress(PostgresUnavailable):
        sys.exit(main())
    sys.exit("no PostgreSQL server can be started here (make system-deps)")
