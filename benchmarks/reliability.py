"""`make test-reliability` (`python -m benchmarks.reliability`): hostile cases, one table.

- **kill matrix**: `reporting build` of a 20,000-row package (REPORTING_RELIABILITY_ROWS) SIGKILLed
  as it starts or while it reads, stores or renders, then built again, on SQLite and on PostgreSQL (a
  throwaway server, tests/test_postgres.py): tests/test_crash_recovery.kill_and_rebuild measures each case;
- **bad corpus**: `reporting validate` and `reporting build` on every file of tests/data/bad/evidence
  (built as a one-file package with tests/data/bad/framework.yaml) and every package of
  tests/data/bad/packages; a build that succeeds must have stored the rows tests/test_bad_corpus.py
  says are clean, each once;
- **--out** naming a file, or a folder under a file;
- **full disk** (a small tmpfs, mounted here as root): the output folder full; the store's disk
  filling up half-way through a large package, then space freed and the build run again (every row
  once); the whole data folder on a full disk; Prefect's home (database, leases) filling up under a
  running server, then freed: built again, and again after a server restart;
- **trust** (benchmarks/reliability_trust.py): decisions under no name or by the submitter, a status
  edited in the database (another build id, named by `audit --verify`), an audit entry removed.

A command is a *clear error* when it exits 1 or 2 with one `error:` line (or, for validate, its
findings) and no traceback; a *traceback* when any output shows one; a *hang* when it runs over its
deadline; *accepted* when it succeeds (a format that is read, a killed build rebuilt with every check
passing). *Other failures*: anything else that is wrong — an error line that is a traceback's tail, a
kill case's check failing (slot held, process left, outputs differ), a process left after `reporting
server stop`. Exits 1 when any traceback, lost or duplicated row, hang or other failure was seen.
`python -m benchmarks.reliability kill corpus out disk trust` runs the sections named (all by default)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select

from reporting.store.models import EvidenceRecord, ReceivedFileRecord, RejectedRowRecord, table
from tests.test_crash_recovery import (
    BIENNIUM,
    REPORTING,
    ROOT,
    STAGES,
    KillCase,
    audit_store,
    command_env,
    incomplete_outputs,
    kill_and_rebuild,
    processes_of,
    reference_build,
    stop_server,
    store_engine,
    synthetic_package,
)

BAD = ROOT / "tests" / "data" / "bad"
SAMPLE = ROOT / "examples" / "2014-15"
ROWS = int(os.environ.get("REPORTING_RELIABILITY_ROWS", "20000"))
COMMAND_SECONDS = 180.0
"""A corpus command running longer than this is a hang (a build takes 5-20 s here)."""
EXPECTED_STDERR = (
    "error:",
    "warning:",
    "starting the local Prefect server",
    "using the local Prefect server",
    "refused:",  # a review decision refused, one line each, before the error line
)


COUNTS = ("tried", "accepted", "clear_errors", "tracebacks", "rows_lost", "rows_duplicated", "hangs", "other")


@dataclass
class Tally:
    group: str
    tried: int = 0
    accepted: int = 0
    clear_errors: int = 0
    tracebacks: int = 0
    rows_lost: int = 0
    rows_duplicated: int = 0
    hangs: int = 0
    other: int = 0
    not_tried: str = ""
    notes: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        """Count `other`'s cases in this one."""
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.notes += other.notes

    @property
    def failed(self) -> bool:
        return bool(self.tracebacks or self.rows_lost or self.rows_duplicated or self.hangs or self.other)


@dataclass(frozen=True)
class Ran:
    args: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float

    @property
    def hung(self) -> bool:
        return self.returncode is None

    def verdict(self, findings_are_clear: bool = False) -> str:
        """hang, traceback, accepted (exit 0), clear (one-line error) or unclear."""
        if self.hung:
            return "hang"
        if "Traceback" in self.stdout + self.stderr:
            return "traceback"
        if self.returncode == 0:
            return "accepted"
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("error:")]
        strange = [line for line in lines if not line.startswith(EXPECTED_STDERR)]
        one_line = len(errors) == 1 or (findings_are_clear and not errors and "finding(s)" in self.stdout)
        if any('File "' in line or "^^^" in line for line in errors):  # a traceback's tail as the reason
            return "unclear"
        return "clear" if self.returncode in (1, 2) and not strange and one_line else "unclear"

    def said(self) -> str:
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return " | ".join(text[-3:])[:300]


def run(args: list[str], env: dict[str, str], seconds: float = COMMAND_SECONDS) -> Ran:
    started = time.monotonic()
    try:
        done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired as expired:
        out = (expired.stdout or b"").decode(errors="replace")
        return Ran(args, None, out, (expired.stderr or b"").decode(errors="replace"), seconds)
    return Ran(
        args,
        done.returncode,
        done.stdout.decode(errors="replace"),
        done.stderr.decode(errors="replace"),
        time.monotonic() - started,
    )


def count(tally: Tally, ran: Ran, name: str, findings_are_clear: bool = False) -> str:
    verdict = ran.verdict(findings_are_clear)
    tally.tried += 1
    if verdict == "accepted":
        tally.accepted += 1
    elif verdict == "clear":
        tally.clear_errors += 1
    elif verdict == "traceback":
        tally.tracebacks += 1
        tally.notes.append(f"TRACEBACK {name}: {' '.join(ran.args[1:])}")
    elif verdict == "hang":
        tally.hangs += 1
        tally.notes.append(f"HANG (> {COMMAND_SECONDS:.0f} s) {name}: {' '.join(ran.args[1:])}")
    else:
        tally.other += 1
        tally.notes.append(f"UNCLEAR exit {ran.returncode} {name}: {ran.said()}")
    return verdict


# --- the kill matrix --------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres() -> Iterator[Callable[[], contextlib.AbstractContextManager[str]] | str]:
    """The throwaway PostgreSQL server of tests/test_postgres.py (its fixtures, called directly):
    yields a factory of new empty databases, or the reason there is none."""
    import pytest

    from tests.test_postgres import empty_database, postgres_server

    server = contextlib.contextmanager(postgres_server.__wrapped__)
    try:
        with server() as url:
            yield lambda: contextlib.contextmanager(empty_database.__wrapped__)(url)
    except pytest.skip.Exception as skipped:
        yield str(skipped)


def tally_kill(tally: Tally, case: KillCase) -> None:
    tally.tried += 1
    problems = case.problems()
    audit = case.audit
    if audit is not None:
        tally.rows_lost += audit.lost
        tally.rows_duplicated += audit.duplicated
    tally.tracebacks += case.tracebacks
    tally.hangs += case.hung
    rebuilt = f"rebuilt in {case.rebuilt.seconds:.0f} s" if case.rebuilt else "not rebuilt"
    tally.notes.append(
        f"{case.name}: killed at '{case.killed.killed_at}' after {case.killed.seconds:.0f} s, {rebuilt}"
        + (f"; left {', '.join(case.leftover_partials)}" if case.leftover_partials else "")
    )
    measured = case.tracebacks or case.hung or (audit and (audit.lost or audit.duplicated))
    if not problems:
        tally.accepted += 1
    elif not measured:
        tally.other += 1
    tally.notes += [f"  PROBLEM {p}" for p in problems]


def kill_matrix(work: Path) -> list[Tally]:
    package = synthetic_package(work / "package", rows=ROWS)
    reference = reference_build(package, work / "reference")
    sqlite = Tally("kill -9 at start/read/store/render, rebuild: SQLite")
    for stage in STAGES:
        tally_kill(sqlite, kill_and_rebuild(package, reference, work / f"sqlite-{stage}", stage))
    pg = Tally("kill -9 at start/read/store/render, rebuild: PostgreSQL")
    with postgres() as databases:
        if isinstance(databases, str):
            pg.not_tried = databases
        else:
            for stage in STAGES:
                with databases() as url:
                    tally_kill(pg, kill_and_rebuild(package, reference, work / f"pg-{stage}", stage, url))
    return [sqlite, pg]


# --- the bad corpus ---------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stored_rows(engine: Engine, digests: set[str]) -> tuple[int, int]:
    """(evidence rows, copies of a source row beyond its first) stored for the files of these sha256."""
    files, evidence, rejected = table(ReceivedFileRecord), table(EvidenceRecord), table(RejectedRowRecord)
    with engine.connect() as conn:
        ids = [
            i
            for (i,) in conn.execute(
                select(files.c.id).where(files.c.biennium == BIENNIUM, files.c.sha256.in_(digests))
            )
        ]
        clean = conn.execute(
            select(evidence.c.received_file_id, evidence.c.source_sheet, evidence.c.source_row).where(
                evidence.c.received_file_id.in_(ids)
            )
        ).all()
        set_aside = conn.execute(
            select(rejected.c.received_file_id, rejected.c.source_sheet, rejected.c.source_row).where(
                rejected.c.received_file_id.in_(ids), rejected.c.source_row.is_not(None)
            )
        ).all()
    keys = [tuple(r) for r in (*clean, *set_aside)]
    return len(clean), len(keys) - len(set(keys))


def regular_files(folder: Path) -> list[Path]:
    """The package's files, links not followed (a build reads none of them)."""
    found = []
    for base, folders, names in os.walk(folder):
        found += [Path(base, n) for n in names if not Path(base, n).is_symlink()]
        folders[:] = [f for f in folders if not Path(base, f).is_symlink()]
    return found


BUILD_STREAMS = 2
"""Corpus builds run in this many streams at once, each on a data folder (and server) of its own,
beside the validations: a build mostly waits (Prefect's start-up and exit), about 11 s each here."""


def corpus(work: Path) -> list[Tally]:
    from tests import test_bad_corpus as expected

    cases: list[tuple[str, Path, Path | None, int | None]] = []  # name, package, single file, clean rows
    for path in sorted((BAD / "evidence").iterdir()):
        package = work / "packages" / path.name
        (package / "evidence").mkdir(parents=True)
        shutil.copy2(BAD / "framework.yaml", package / "framework.yaml")
        shutil.copy2(path, package / "evidence" / path.name)
        clean = expected.EVIDENCE_CASES.get(path.name)
        cases.append((path.name, package, path, clean[1] if clean else None))
    for folder in sorted((BAD / "packages").iterdir()):
        if folder.is_dir():
            clean_rows: int | None = None
            if folder.name in expected.PACKAGE_CASES:
                clean_rows = 6
            elif folder.name in expected.INTAKE_CASES:
                clean_rows = expected.INTAKE_CASES[folder.name][1]
            cases.append((f"packages/{folder.name}", folder, None, clean_rows))

    def validate_all() -> Tally:
        tally = Tally("bad corpus: reporting validate (file or package)")
        env = command_env(work / "data-validate")
        for name, package, single, _ in cases:
            target = [str(single), "--framework", str(BAD / "framework.yaml")] if single else [str(package)]
            report = work / "validation" / name.replace("/", "_")
            ran = run([str(REPORTING), "validate", *target, "--report-dir", str(report)], env)
            count(tally, ran, name, findings_are_clear=True)
        return tally

    def build_all(stream: int) -> Tally:
        tally = Tally("bad corpus: reporting build")
        folder = work / f"builds-{stream}"  # its processes are found by this folder (and its data)
        data = folder / "data"
        env = command_env(data)
        engine = store_engine(data, None)
        try:
            for name, package, _, clean in cases[stream::BUILD_STREAMS]:
                out = folder / "out" / name.replace("/", "_")
                ran = run([str(REPORTING), "build", str(package), "--out", str(out)], env)
                verdict = count(tally, ran, name)
                if verdict == "clear":
                    tally.notes.append(f"{name}: {ran.said()}")
                if verdict != "accepted" or clean is None:
                    continue
                rows, copies = stored_rows(engine, {sha256(p) for p in regular_files(package)})
                tally.rows_lost += max(0, clean - rows)
                tally.rows_duplicated += copies
                if rows > clean:
                    tally.other += 1
                if rows != clean or copies:
                    tally.notes.append(
                        f"ROWS {name}: {rows} clean row(s) stored ({copies} copies), {clean} expected"
                    )
                truncated = incomplete_outputs(out, None)
                if truncated:
                    tally.other += 1
                    tally.notes.append(f"TRUNCATED {name}: {truncated}")
        finally:
            engine.dispose()
            left = stop_server(data, folder)
        if left:
            tally.other += 1
            tally.notes.append(f"LEFT RUNNING after server stop: {left}")
        return tally

    with ThreadPoolExecutor(max_workers=1 + BUILD_STREAMS) as pool:
        validating = pool.submit(validate_all)
        building = [pool.submit(build_all, stream) for stream in range(BUILD_STREAMS)]
        validations = validating.result()
        streams = [future.result() for future in building]
    builds = Tally("bad corpus: reporting build")
    for stream in streams:
        builds.add(stream)
    return [validations, builds]


# --- --out, full disk -------------------------------------------------------------------------------


def wrong_out(work: Path) -> Tally:
    tally = Tally("--out names a file / a folder under a file")
    data = work / "data"
    env = command_env(data)
    target = work / "a-file.txt"
    target.write_text("not a folder\n")
    try:
        for out in (target, target / "report"):
            ran = run([str(REPORTING), "build", str(SAMPLE), "--out", str(out)], env)
            if count(tally, ran, f"--out {out.relative_to(work)}") == "clear":
                tally.notes.append(f"--out {out.relative_to(work)}: {ran.said()}")
            if target.read_text() != "not a folder\n":
                tally.other += 1
                tally.notes.append(f"--out {out}: the file was changed")
    finally:
        left = stop_server(data, work)
    if left:
        tally.other += 1
        tally.notes.append(f"LEFT RUNNING after server stop: {left}")
    return tally


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[str | None]:
    """A tmpfs of `size` mounted on `folder` (yields None), or why it cannot be (yields the reason)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        yield f"cannot mount a tmpfs: {(mounted.stderr or mounted.stdout).strip()[:120]}"
        return
    try:
        yield None
    finally:
        if subprocess.run(["umount", str(folder)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def fill(folder: Path, leave: int) -> None:
    """Fill the file system of `folder` but `leave` bytes."""
    free = shutil.disk_usage(folder).free
    with (folder / "filler").open("wb") as filler:
        filler.write(b"\0" * max(0, free - leave))


def full_disk(work: Path, large: Path) -> Tally:
    tally = Tally("full disk: output folder, store half-way, whole data folder, Prefect's home")
    data = work / "data"

    def stop_and_check(data: Path) -> None:
        left = stop_server(data, work)
        if left:
            tally.other += 1
            tally.notes.append(f"LEFT RUNNING after server stop: {left}")

    # 1. The output folder's disk is full: a clear error, no final name truncated, nothing left behind.
    disk = work / "out-disk"
    with tmpfs(disk, "2m") as reason:
        if reason:
            tally.not_tried = reason
            return tally
        fill(disk, 48 * 1024)
        out = disk / "report"
        try:
            ran = run([str(REPORTING), "build", str(SAMPLE), "--out", str(out)], command_env(data))
        finally:
            stop_and_check(data)
        if count(tally, ran, "output folder on a full disk") == "clear":
            tally.notes.append(f"output folder full: {ran.said()}")
        truncated = incomplete_outputs(out, None)
        if truncated:
            tally.other += 1
            tally.notes.append(f"TRUNCATED under a final name: {truncated}")
        if out.is_dir() and any(p.name.startswith(".partial-") for p in out.rglob("*")):
            tally.notes.append(f"partial files left: {sorted(p.name for p in out.rglob('.partial-*'))}")

    # 2. The store's disk fills up half-way through a large package; space is freed; built again.
    store_disk = work / "store-disk"
    with tmpfs(store_disk, "6m") as reason:
        if reason:
            tally.notes.append(f"store half-way: {reason}")
        else:
            data = store_disk / "data"
            env = command_env(data) | {
                "PREFECT_HOME": str(work / "store-prefect"),
                "PREFECT_LOCAL_STORAGE_PATH": str(work / "store-prefect" / "storage"),
            }
            out = work / "store-out"
            engine = store_engine(data, None)
            try:
                ran = run([str(REPORTING), "build", str(large), "--out", str(out)], env)
                if count(tally, ran, "store's disk full half-way") == "clear":
                    tally.notes.append(f"store's disk full half-way: {ran.said()}")
                subprocess.run(["mount", "-o", "remount,size=256m", str(store_disk)], check=True)
                again = run([str(REPORTING), "build", str(large), "--out", str(out)], env)
                if count(tally, again, "built again once space is freed") == "accepted":
                    audit = audit_store(engine, large)
                    tally.rows_lost += audit.lost
                    tally.rows_duplicated += audit.duplicated
                    tally.notes.append(
                        f"built again: {audit.stored} of {audit.expected} rows stored, "
                        f"{audit.lost} lost, {audit.duplicated} duplicated"
                    )
                    if audit.unexpected or any(n != 1 for n in audit.file_records.values()):
                        tally.other += 1
                        tally.notes.append(f"store after the full disk: {audit}")
            finally:
                engine.dispose()
                left = stop_server(data, work, env)
                if left:
                    tally.other += 1
                    tally.notes.append(f"LEFT RUNNING after server stop: {left}")

    # 3. The whole data folder (store, archive, Prefect's home) on a full disk.
    data_disk = work / "data-disk"
    with tmpfs(data_disk, "2m") as reason:
        if reason:
            tally.notes.append(f"data folder full: {reason}")
        else:
            fill(data_disk, 16 * 1024)
            data = data_disk / "data"
            try:
                ran = run(
                    [str(REPORTING), "build", str(SAMPLE), "--out", str(work / "data-out")], command_env(data)
                )
            finally:
                stop_and_check(data)
            if count(tally, ran, "data folder on a full disk") == "clear":
                tally.notes.append(f"data folder full: {ran.said()}")
            if processes_of(data, work):
                tally.other += 1
    prefect_home_full(work, tally)
    return tally


def prefect_home_full(work: Path, tally: Tally) -> None:
    """Prefect's home (its database, lease records, results) fills up under a running server: a build
    fails with one line; once space is freed the next build completes by itself, and so does one after
    the server is restarted (a slot counted as taken whose lease record was lost is taken back)."""
    home = work / "prefect-disk"
    with tmpfs(home, "96m") as reason:
        if reason:
            tally.notes.append(f"Prefect's home full: {reason}")
            return
        data = work / "home-data"
        env = command_env(data) | {
            "PREFECT_HOME": str(home),
            "PREFECT_LOCAL_STORAGE_PATH": str(home / "storage"),
        }
        build = [str(REPORTING), "build", str(SAMPLE), "--out", str(work / "home-out")]
        try:
            first = run(build, env)
            if first.returncode != 0:
                tally.other += 1
                tally.notes.append(f"Prefect's home: the first build failed: {first.said()}")
                return
            fill(home, 16 * 1024)
            full = run([*build, "--force"], env)
            if count(tally, full, "Prefect's home on a full disk") == "clear":
                tally.notes.append(f"Prefect's home full: {full.said()}")
            (home / "filler").unlink()
            again = run([*build, "--force"], env)
            if count(tally, again, "built again once Prefect's home has space") != "accepted":
                tally.notes.append(f"built again after Prefect's home was full: {again.said()}")
            taken_back = "took back the write slot" in again.stderr
            tally.notes.append(
                f"built again in {again.seconds:.0f} s; a slot without holder taken back: {taken_back}"
            )
            stop_server(data, work, env)
            restarted = run([*build, "--force"], env)
            if count(tally, restarted, "built again after a server restart") != "accepted":
                tally.notes.append(f"built again after a restart: {restarted.said()}")
        finally:
            left = stop_server(data, work, env)
            if left:
                tally.other += 1
                tally.notes.append(f"LEFT RUNNING after server stop: {left}")


# --- the table ----------------------------------------------------------------------------------------


def print_table(tallies: list[Tally], seconds: float) -> None:
    columns = (
        "cases",
        "tried",
        "accepted",
        "clear errors",
        "tracebacks",
        "rows lost",
        "rows duplicated",
        "hangs",
        "other failures",
    )
    table_ = Table(title=f"Reliability: hostile cases ({seconds / 60:.1f} min)")
    for column in columns:
        table_.add_column(column, justify="left" if column == "cases" else "right")
    total = Tally("total")
    for t in tallies:
        if t.not_tried and not t.tried:
            table_.add_row(t.group, "not tried", t.not_tried, *[""] * 6)
            continue
        total.add(t)
        table_.add_row(t.group, *_figures(t))
    table_.add_row("[bold]total[/bold]", *_figures(total))
    Console(width=170).print(table_)


def _figures(t: Tally) -> list[str]:
    return [str(getattr(t, name)) for name in COUNTS]


SECTIONS = ("kill", "corpus", "out", "disk", "trust")


def main(sections: list[str]) -> int:
    chosen = sections or list(SECTIONS)
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        print(f"unknown section(s): {', '.join(sorted(unknown))}; available: {', '.join(SECTIONS)}")
        return 2
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="reporting-reliability-"))
    from benchmarks import reliability_trust  # it imports this module's helpers

    sections_run: dict[str, Callable[[Path], list[Tally]]] = {
        "kill": kill_matrix,
        "corpus": corpus,
        "out": lambda folder: [wrong_out(folder)],
        "disk": lambda folder: [full_disk(folder, synthetic_package(folder / "package", rows=10_000))],
        "trust": lambda folder: [reliability_trust.trust(folder)],
    }
    tallies: list[Tally] = []
    try:
        for name in chosen:
            print(f"{name} …", file=sys.stderr, flush=True)
            folder = work / name
            folder.mkdir(parents=True)
            began = time.monotonic()
            try:
                tallies += sections_run[name](folder)
            except Exception as error:  # the table is still printed, this section counted as failed
                tallies.append(Tally(name, tried=1, other=1, notes=[f"the section failed: {error!r}"]))
            print(f"{name}: {(time.monotonic() - began) / 60:.1f} min", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for t in tallies:
        for note in t.notes:
            print(f"{t.group.split(':')[0]}: {note}")
    print_table(tallies, time.monotonic() - started)
    return 1 if any(t.failed for t in tallies) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
