"""What every benchmark returns, and the one table `make bench` prints."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

EDITION_MARKDOWN = ("report.md", "report-results.md", "report-audit.md")
"""Each edition's three documents as Markdown: the same content as the build's three Word documents,
what the pandoc baselines convert."""


@dataclass(frozen=True)
class Measurement:
    name: str
    seconds: float
    baseline: str
    baseline_seconds: float
    goal_ratio: float | None
    """None: the goal is a time alone (goal_seconds), the ratio is shown for scale."""
    goal_seconds: float | None = None
    unit: str = "s"
    """What `seconds` and `baseline_seconds` count: seconds, or another unit (MB of memory)."""

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds

    @property
    def met(self) -> bool:
        return (self.goal_ratio is None or self.ratio <= self.goal_ratio) and (
            self.goal_seconds is None or self.seconds <= self.goal_seconds
        )


def best_of(repeat: int, action: Callable[[], object]) -> float:
    """The fastest of `repeat` runs, in seconds (the least disturbed by the rest of the machine)."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def process_seconds(command: list[str], env: dict[str, str], cwd: Path) -> float:
    """Seconds for one new process, from start to exit, as a user runs the command; its output is kept
    for a failure's message only."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-10:])
        raise RuntimeError(f"{' '.join(command[:3])} … exited with {done.returncode}:\n{tail}")
    return seconds


@dataclass(frozen=True)
class Used:
    """What one process used, from start to exit."""

    seconds: float
    cpu_seconds: float
    peak_mb: float


LAUNCHER = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvpe(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as said:
    said.write(f"{time.perf_counter() - started} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""
"""Starts the measured command from a small process: a process started from a large one (a benchmark
that built a package in memory) reports that one's peak as its own, Linux keeping the memory high-water
mark of the address space it replaces at exec (in one `make bench` run every build measured 1,061 MB,
the running benchmarks' own peak)."""


def used(command: list[str], env: dict[str, str], cwd: Path, exits: tuple[int, ...] = (0,)) -> Used:
    """Run `command` as a new process (its output discarded; one of `exits` expected)."""
    with tempfile.TemporaryDirectory() as scratch:
        said = Path(scratch) / "used"
        child = subprocess.run(
            [sys.executable, "-c", LAUNCHER, str(said), *command],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if child.returncode not in exits:
            raise RuntimeError(
                f"{' '.join(command[:3])} … exited with {child.returncode}: {child.stderr[-2000:]}"
            )
        seconds, cpu, peak_kb = said.read_text().split()
    return Used(float(seconds), float(cpu), float(peak_kb) / 1024)


def print_table(measurements: list[Measurement]) -> None:
    table = Table(title="Benchmarks (ratio = figure / baseline, both measured in this run)")
    for column in ("benchmark", "figure", "baseline", "baseline time", "ratio", "goal", "met"):
        table.add_column(column, justify="right" if column not in ("benchmark", "baseline") else "left")
    for m in measurements:
        goals = [f"≤ {m.goal_ratio:g}×"] if m.goal_ratio is not None else []
        goal = ", ".join(goals + ([f"≤ {m.goal_seconds:g} s"] if m.goal_seconds else []))
        table.add_row(
            m.name,
            f"{m.seconds:.2f} {m.unit}",
            m.baseline,
            f"{m.baseline_seconds:.2f} {m.unit}",
            f"{m.ratio:.2f}×",
            goal,
            "yes" if m.met else "NO",
        )
    Console(width=140).print(table)
