"""A build killed with SIGKILL as it starts, or while it reads, stores or renders a large package, then
built again: the rebuild completes by itself within REBUILD_SECONDS (the killed build's write slot is
freed by its lease), the killed run ends *Crashed* (Prefect's automation for runs whose heartbeats
stop), every row is stored exactly once, nothing is left running, the write slot is free, the report is
the one an uninterrupted build writes, and no output is ever truncated under its final name — on
SQLite and on PostgreSQL (tests/test_postgres.py's throwaway server).

Each case has its own data folder, hence its own local Prefect server (started by the first build,
stopped at the end with `reporting server stop`). The moment to kill is found by watching, with a
deadline: the server's task runs (reading: some files read, not all), the store (some rows committed,
not all), the output folder (the Word report's `.partial-*` file is being written).

`make test` runs one kill point (SQLite, render); REPORTING_CRASH_MATRIX=full runs all four on both.
benchmarks/reliability.py (`make test-reliability`) runs the whole matrix on a larger package through
`kill_and_rebuild` and tallies what it measured."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.pool import NullPool

from reporting.orchestration import local_server
from reporting.outputs import TEMPORARY_PREFIX
from reporting.store.models import EvidenceRecord, ReceivedFileRecord, RejectedRowRecord, table
from tests.prefect_stack import wait_until
from tests.report_packages import ROOT
from tests.test_postgres import empty_database, postgres_server  # noqa: F401  (fixtures used below)

pytestmark = pytest.mark.slow

REPORTING = ROOT / ".venv" / "bin" / "reporting"
BIENNIUM = "2014-15"
STAGES = ("start", "read", "store", "render")
ROWS = int(os.environ.get("REPORTING_CRASH_ROWS", "2500"))
"""About 8 s of CPU for a build on the 2-core machine (the render alone some 2 s: seconds to see its
partial file at every POLL_SECONDS), plus the server's start; `make test-reliability` kills larger
builds."""
BUILD_SECONDS = 300.0
"""A build, or the wait for its kill point, that takes longer than this is a hang."""
REBUILD_SECONDS = 240.0
"""The build after a kill completes by itself within this (it waits for the killed build's lease)."""
CRASHED_SECONDS = 180.0
"""A killed run is marked Crashed within this: 90 s without a heartbeat, heartbeats every 30 s."""
POLL_SECONDS = 0.05
WORD_REPORT = f"en/implementation-report-{BIENNIUM}.docx"
"""The Word report of a build's one edition (OUT/<language>/)."""


def synthetic_package(folder: Path, rows: int = ROWS) -> Path:
    """`reporting synth --rows N --out FOLDER`: 19 outcomes, CSV evidence files, targets."""
    subprocess.run(
        [str(REPORTING), "synth", "--rows", str(rows), "--out", str(folder)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return folder


def command_env(data: Path, database_url: str | None = None) -> dict[str, str]:
    """This process's environment for a command on the data folder `data` (Prefect's settings derived
    from it, as an operator's shell has them), storing in `database_url` (default: SQLite in `data`)."""
    dropped = ("DATABASE_URL", "REPORTING_DATA_DIR", "REPORTING_OUTPUT_DIR")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k not in dropped}
    env["REPORTING_DATA_DIR"] = str(data)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


# --- what the package holds, what the store holds ------------------------------------------------


def package_rows(package: Path) -> set[tuple[str, str, int]]:
    """Every evidence row of the package as (file, sheet, row as Excel numbers it): header on row 1."""
    rows: set[tuple[str, str, int]] = set()
    for path in sorted((package / "evidence").glob("*.csv")):
        with path.open(newline="", encoding="utf-8-sig") as handle:
            count = sum(1 for _ in csv.reader(handle)) - 1
        rows.update((f"evidence/{path.name}", "", n) for n in range(2, count + 2))
    return rows


def package_files(package: Path) -> set[str]:
    return {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()}


def store_engine(data: Path, database_url: str | None) -> Engine:
    """The build's store, read only (SQLite is opened read-only: never created or locked for long)."""
    if database_url:
        return create_engine(database_url, poolclass=NullPool)
    database = data / "reporting.db"
    return create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.5),
        poolclass=NullPool,
    )


def current_rows_stored(engine: Engine) -> int | None:
    """Evidence rows in force, None while the store does not exist yet (or is locked this instant)."""
    evidence = table(EvidenceRecord)
    try:
        with engine.connect() as conn:
            query = select(func.count()).where(evidence.c.superseded_by_file_id.is_(None))
            return int(conn.execute(query).scalar_one())
    except Exception:
        return None


@dataclass(frozen=True)
class StoreAudit:
    expected: int
    """Evidence rows in the package."""
    stored: int
    """Evidence and set-aside rows of the current versions of the package's files."""
    lost: int
    """Rows of the package found in neither."""
    duplicated: int
    """Copies beyond the first of a stored row."""
    unexpected: int
    """Stored rows that are no row of the package."""
    file_records: dict[str, int]
    """Current received-file records by name (each package file once)."""


def audit_store(engine: Engine, package: Path) -> StoreAudit:
    files, evidence, rejected = table(ReceivedFileRecord), table(EvidenceRecord), table(RejectedRowRecord)
    with engine.connect() as conn:
        current = conn.execute(
            select(files.c.id, files.c.name).where(
                files.c.biennium == BIENNIUM, files.c.superseded_by_id.is_(None)
            )
        ).all()
        names = {file_id: name for file_id, name in current}
        stored: list[tuple[str, str, int]] = []
        for rows in (evidence, rejected):
            found = conn.execute(
                select(rows.c.received_file_id, rows.c.source_sheet, rows.c.source_row).where(
                    rows.c.received_file_id.in_(list(names)), rows.c.superseded_by_file_id.is_(None)
                )
            ).all()
            stored.extend((names[file_id], sheet, row) for file_id, sheet, row in found)
    expected = package_rows(package)
    distinct = set(stored)
    return StoreAudit(
        expected=len(expected),
        stored=len(stored),
        lost=len(expected - distinct),
        duplicated=len(stored) - len(distinct),
        unexpected=len(distinct - expected),
        file_records=dict(Counter(names.values())),
    )


# --- the data folder's Prefect server and processes ---------------------------------------------


def recorded_server(data: Path) -> tuple[int, str] | None:
    """(PID, API URL) of the data folder's server, as its registry lists it."""
    server = local_server.server_for(data)
    return (server.pid, server.api_url) if server else None


def processes_of(data: Path, work: Path) -> dict[int, str]:
    """Live processes started for this data folder (REPORTING_DATA_DIR or PREFECT_HOME in it) or
    naming the case's folder on their command line: the builds, and any Prefect server they started.
    Other engineers' builds and servers on this machine are not ours to count."""
    found: dict[int, str] = {}
    markers = (f"REPORTING_DATA_DIR={data}", f"PREFECT_HOME={data}")
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        try:
            environ, command = process.environ(), " ".join(process.cmdline())
        except psutil.Error:  # gone meanwhile, a zombie, or not ours to read
            continue
        if not command:  # a kernel thread
            continue
        if any(f"{k}={v}".startswith(markers) for k, v in environ.items()) or str(work) in command:
            found[process.pid] = command
    return found


def orphans(data: Path, work: Path) -> list[str]:
    """Processes of the data folder other than the recorded server (and its process group)."""
    server = recorded_server(data)
    left = []
    for pid, command in processes_of(data, work).items():
        with contextlib.suppress(ProcessLookupError):
            if server and os.getpgid(pid) == os.getpgid(server[0]):  # the server and its watchdog
                continue
        left.append(f"{pid}: {command[:160]}")
    return left


def active_slots(api: str) -> int:
    limit = httpx.get(f"{api}/v2/concurrency_limits/report-{BIENNIUM}", timeout=10)
    limit.raise_for_status()
    return int(limit.json()["active_slots"])


def flow_run_states(api: str) -> list[str]:
    runs = httpx.post(f"{api}/flow_runs/filter", json={"sort": "START_TIME_ASC"}, timeout=10).json()
    return [str(run["state_type"]) for run in runs]


def settled_run_states(api: str) -> list[str]:
    """The flow runs' states once the killed one is no longer Running (or after CRASHED_SECONDS)."""
    deadline = time.monotonic() + CRASHED_SECONDS
    while "RUNNING" in (states := flow_run_states(api)) and time.monotonic() < deadline:
        time.sleep(1)
    return states


def stop_server(data: Path, work: Path, env: dict[str, str] | None = None) -> list[str]:
    """`reporting server stop` for the data folder (in `env`, default `command_env(data)`); returns
    what is still running for it after that."""
    subprocess.run(
        [str(REPORTING), "server", "stop"],
        env=env or command_env(data),
        capture_output=True,
        timeout=60,
        check=False,
    )
    try:
        wait_until(lambda: not processes_of(data, work), 20, "the data folder's processes to end")
    except AssertionError:
        return [f"{pid}: {command[:160]}" for pid, command in processes_of(data, work).items()]
    return []


# --- outputs ---------------------------------------------------------------------------------------

PNG_END = b"IEND\xaeB`\x82"


def incomplete(path: Path, reference: Path | None) -> str | None:
    """Why a file under its final name is not a complete output, None if it is. `reference`: the same
    file written by an uninterrupted build of the same package (report.md, the CSV: byte-identical)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:  # replaced or set aside this instant: checked under its new name
        return None
    suffix = path.suffix
    if suffix == ".docx":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as docx:
                broken = docx.testzip()
                has_body = "word/document.xml" in docx.namelist()
        except zipfile.BadZipFile as error:
            return f"not a zip ({len(data)} bytes): {error}"
        return f"corrupt member {broken}" if broken else None if has_body else "no word/document.xml"
    if suffix in (".md", ".csv"):
        if reference is not None and reference.is_file():
            expected = reference.read_bytes()
            return None if data == expected else f"{len(data)} bytes, not the {len(expected)} expected"
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            return f"not UTF-8: {error}"
        if not text.endswith("\n"):
            return "does not end with a line break"
        if suffix == ".csv" and len({len(r) for r in csv.reader(io.StringIO(text))}) > 1:
            return "rows of different lengths"
        return None
    if suffix == ".png":
        return None if data.startswith(b"\x89PNG") and data.endswith(PNG_END) else "truncated PNG"
    if suffix == ".sha256":
        return None if re.fullmatch(rb"[0-9a-f]{64}", data.strip()) else f"not a sha256: {data[:80]!r}"
    if suffix == ".json":  # build.json: what the build was made from (its time and run differ per build)
        try:
            json.loads(data)
        except ValueError as error:
            return f"not JSON ({len(data)} bytes): {error}"
        return None
    return None if data else "empty"


def final_outputs(out: Path) -> list[Path]:
    """Every file of the output folder under a final name (not a `.partial-*` being written)."""
    if not out.is_dir():
        return []
    return sorted(p for p in out.rglob("*") if p.is_file() and not p.name.startswith(TEMPORARY_PREFIX))


def incomplete_outputs(out: Path, reference: Path | None) -> list[str]:
    found = []
    for path in final_outputs(out):
        relative = path.relative_to(out)
        problem = incomplete(path, reference / relative if reference else None)
        if problem:
            found.append(f"{relative}: {problem}")
    return found


# --- a build watched, and killed at a stage -------------------------------------------------------


@dataclass
class Watched:
    returncode: int | None
    """None: killed here (at `killed_at`, or after BUILD_SECONDS: `hung`)."""
    output: str
    seconds: float
    killed_at: str | None = None
    hung: bool = False
    truncated: list[str] = field(default_factory=list)
    """Outputs found incomplete under a final name while it ran or after it ended."""


KillPoint = Callable[[], str | None]


def watch_build(
    package: Path,
    out: Path,
    env: dict[str, str],
    reference: Path | None,
    kill_at: KillPoint | None = None,
    seconds: float = BUILD_SECONDS,
) -> Watched:
    """Run `reporting build PACKAGE --out OUT`; every output that appears under a final name is checked
    as it appears; with `kill_at`, SIGKILL the build the first time it names the stage reached."""
    started = time.monotonic()
    checked: dict[Path, tuple[int, int]] = {}
    truncated: list[str] = []

    def check_new_outputs() -> None:
        for path in final_outputs(out):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if checked.get(path) != (stat.st_size, stat.st_mtime_ns):
                checked[path] = (stat.st_size, stat.st_mtime_ns)
                relative = path.relative_to(out)
                problem = incomplete(path, reference / relative if reference else None)
                if problem:
                    truncated.append(f"{relative}: {problem}")

    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [str(REPORTING), "build", str(package), "--out", str(out)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        killed_at, hung = None, False
        try:
            while process.poll() is None:
                if time.monotonic() - started > seconds:
                    hung = True
                    break
                killed_at = kill_at() if kill_at else None
                if killed_at:
                    break
                check_new_outputs()
                time.sleep(POLL_SECONDS)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        check_new_outputs()
        log.seek(0)
        output = log.read().decode(errors="replace")
    return Watched(
        returncode=None if killed_at or hung else process.returncode,
        output=output,
        seconds=time.monotonic() - started,
        killed_at=killed_at,
        hung=hung,
        truncated=truncated,
    )


def kill_point(stage: str, data: Path, out: Path, engine: Engine, rows: int, files: int) -> KillPoint:
    """A check that names the stage once the build is in it (polled every POLL_SECONDS)."""
    client = httpx.Client(timeout=2)

    def starting() -> str | None:
        server = recorded_server(data)
        if server is None:
            return None
        try:
            runs = client.post(f"{server[1]}/flow_runs/filter", json={"limit": 5}).json()
        except (httpx.HTTPError, ValueError):
            return None
        return "start: the run has started" if any(r["state_type"] == "RUNNING" for r in runs) else None

    def reading() -> str | None:
        server = recorded_server(data)
        if server is None:
            return None
        try:
            runs = client.post(f"{server[1]}/task_runs/filter", json={"limit": 200}).json()
        except (httpx.HTTPError, ValueError):
            return None
        names = [(str(r["name"]), str(r["state_type"])) for r in runs]
        reads = [state for name, state in names if name.startswith("read-")]
        done = reads.count("COMPLETED")
        if 0 < done < files and not any(name.startswith("assemble") for name, _ in names):
            return f"read: {done} of {files} files read"
        return None

    def storing() -> str | None:
        stored = current_rows_stored(engine)
        return f"store: {stored} of {rows} rows committed" if stored and 0 < stored < rows else None

    def rendering() -> str | None:
        partial = (
            next(out.glob(f"*/{TEMPORARY_PREFIX}{Path(WORD_REPORT).stem}-*"), None) if out.is_dir() else None
        )
        return f"render: {partial.name} being written" if partial else None

    return {"start": starting, "read": reading, "store": storing, "render": rendering}[stage]


def reference_build(package: Path, work: Path) -> Path:
    """The outputs of an uninterrupted build of `package` (own data folder, server stopped after)."""
    data, out = work / "data", work / "out"
    built = watch_build(package, out, command_env(data), reference=None)
    left = stop_server(data, work)
    assert built.returncode == 0, built.output[-3000:]
    assert not built.truncated and not left, (built.truncated, left)
    return out


@dataclass
class KillCase:
    """What one kill-and-rebuild case measured (the reliability table is tallied from these)."""

    database: str
    stage: str
    killed: Watched
    truncated_after_kill: list[str]
    orphans_after_kill: list[str]
    rebuilt: Watched | None = None
    audit: StoreAudit | None = None
    slots_held: int | None = None
    run_states: list[str] = field(default_factory=list)
    orphans_after_rebuild: list[str] = field(default_factory=list)
    outputs_differ: list[str] = field(default_factory=list)
    leftover_partials: list[str] = field(default_factory=list)
    """`.partial-*` files left in the output folder after the rebuild (not outputs, but litter)."""
    left_after_stop: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def name(self) -> str:
        return f"{self.database}, killed during {self.stage}"

    @property
    def hung(self) -> bool:
        return self.killed.hung or bool(self.rebuilt and self.rebuilt.hung)

    @property
    def tracebacks(self) -> int:
        outputs = [self.killed.output, self.rebuilt.output if self.rebuilt else ""]
        return sum("Traceback" in output for output in outputs)

    def problems(self) -> list[str]:
        """Everything that is not as it must be, one line each (empty: the case passed)."""
        found: list[str] = []
        if self.error:
            found.append(self.error)
        if self.killed.hung:
            found.append(f"hang: {self.stage} not reached within {BUILD_SECONDS:.0f} s")
        elif self.killed.killed_at is None:
            found.append(f"the build ended (exit {self.killed.returncode}) before {self.stage} was seen")
        found += [
            f"truncated under a final name: {t}" for t in self.killed.truncated + self.truncated_after_kill
        ]
        found += [f"left running after the kill: {o}" for o in self.orphans_after_kill]
        rebuilt = self.rebuilt
        if rebuilt is not None:
            if rebuilt.hung:
                found.append(f"hang: the rebuild did not complete within {REBUILD_SECONDS:.0f} s")
            elif rebuilt.returncode != 0:
                found.append(f"the rebuild failed (exit {rebuilt.returncode}): {rebuilt.output[-800:]}")
            found += [f"truncated under a final name in the rebuild: {t}" for t in rebuilt.truncated]
        if self.tracebacks:
            found.append("a traceback was printed")
        audit = self.audit
        if audit is not None:
            if audit.lost or audit.duplicated or audit.unexpected or audit.stored != audit.expected:
                found.append(f"store: {audit}")
            if any(count != 1 for count in audit.file_records.values()):
                found.append(f"a file is stored more than once: {audit.file_records}")
        if self.slots_held:
            found.append(f"the write slot report-{BIENNIUM} is still held: {self.slots_held} active slot(s)")
        if self.run_states and self.run_states != ["CRASHED", "COMPLETED"]:
            found.append(
                f"flow runs (oldest first): {self.run_states}, not the killed one crashed, then completed"
            )
        found += [f"left running after the rebuild: {o}" for o in self.orphans_after_rebuild]
        found += [f"differs from an uninterrupted build: {d}" for d in self.outputs_differ]
        found += [f"still running after `reporting server stop`: {o}" for o in self.left_after_stop]
        return found


def kill_and_rebuild(
    package: Path, reference: Path, work: Path, stage: str, database_url: str | None = None
) -> KillCase:
    """Build `package` into a new data folder, SIGKILL the build during `stage`, build again, and
    measure. The data folder's server is stopped before returning, whatever happened."""
    data, out = work / "data", work / "out"
    env = command_env(data, database_url)
    engine = store_engine(data, database_url)
    expected_rows = len(package_rows(package))
    files = len(package_files(package))
    kill = kill_point(stage, data, out, engine, expected_rows, files)
    case = KillCase(
        "postgresql" if database_url else "sqlite",
        stage,
        killed=watch_build(package, out, env, reference, kill_at=kill),
        truncated_after_kill=[],
        orphans_after_kill=[],
    )
    try:
        case.truncated_after_kill = incomplete_outputs(out, reference)
        case.orphans_after_kill = orphans(data, work)
        if case.killed.killed_at is None:
            return case
        case.rebuilt = watch_build(package, out, env, reference, seconds=REBUILD_SECONDS)
        if case.rebuilt.returncode != 0:
            return case
        case.audit = audit_store(engine, package)
        server = recorded_server(data)
        if server is None:
            case.error = "no server recorded in the data folder after the rebuild"
            return case
        case.slots_held = active_slots(server[1])
        case.run_states = settled_run_states(server[1])
        case.orphans_after_rebuild = orphans(data, work)
        for name in ("en/indicator_summary.csv", "en/report.md"):
            mine, theirs = out / name, reference / name
            if not mine.is_file() or mine.read_bytes() != theirs.read_bytes():
                case.outputs_differ.append(name)
        problem = incomplete(out / WORD_REPORT, None) if (out / WORD_REPORT).is_file() else "missing"
        if problem:
            case.outputs_differ.append(f"{WORD_REPORT}: {problem}")
        case.leftover_partials = sorted(p.name for p in out.rglob(f"{TEMPORARY_PREFIX}*"))
    except Exception as error:  # measured, not raised: the server is still stopped below
        case.error = f"{error.__class__.__name__}: {error}"
    finally:
        case.left_after_stop = stop_server(data, work)
        engine.dispose()
    return case


# --- the tests -------------------------------------------------------------------------------------

DEFAULT_CASES = [("sqlite", "render")]
CASES = (
    [(database, stage) for database in ("sqlite", "postgresql") for stage in STAGES]
    if os.environ.get("REPORTING_CRASH_MATRIX") == "full"
    else DEFAULT_CASES
)


@pytest.fixture(scope="module")
def large_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic_package(tmp_path_factory.mktemp("crash-package") / "package")


@pytest.fixture(scope="module")
def uninterrupted(large_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reference_build(large_package, tmp_path_factory.mktemp("crash-reference"))


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for SQLite in the case's data folder, else a new database on the throwaway PostgreSQL."""
    if request.param == "sqlite":
        yield None
    else:
        yield request.getfixturevalue("empty_database")


@pytest.mark.parametrize(
    ("database_url", "stage"), CASES, indirect=["database_url"], ids=[f"{d}-{s}" for d, s in CASES]
)
def test_a_build_killed_during_a_stage_leaves_nothing_lost_doubled_held_or_truncated(
    database_url: str | None, stage: str, large_package: Path, uninterrupted: Path, tmp_path: Path
) -> None:
    case = kill_and_rebuild(large_package, uninterrupted, tmp_path, stage, database_url)
    audit = case.audit
    print(
        f"\n{case.name}: killed at '{case.killed.killed_at}' after {case.killed.seconds:.1f} s; "
        f"rebuilt in {case.rebuilt.seconds if case.rebuilt else float('nan'):.1f} s; "
        + (f"{audit.stored} of {audit.expected} rows stored" if audit else "")
        + (f"; left behind: {', '.join(case.leftover_partials)}" if case.leftover_partials else "")
    )
    assert not case.problems(), "\n".join(case.problems())
    assert case.audit is not None and case.audit.expected >= ROWS * 0.95
