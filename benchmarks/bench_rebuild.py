"""A rebuild where nothing changed, against the first build of the same package in the same run: the
task cache (keyed on the files' sha256, the template's and the library's) must make it several times
faster (ratio ≤ 0.3). Also a rebuild after one of the 19 evidence files changed, which reads only that
file again (validation, counting and rendering span files, so they are redone)."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import Measurement
from reporting import settings

PAUSE_SECONDS = 3
"""Between builds, not timed: the test server's SQLite is still recording the previous run's task
states for a moment, and a run started at once waits behind those writes (up to ~2 s measured)."""


def _seconds(action: Callable[[], object]) -> float:
    time.sleep(PAUSE_SECONDS)
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run() -> list[Measurement]:
    work = Path(tempfile.mkdtemp(prefix="bench-rebuild-"))
    os.environ["REPORTING_DATA_DIR"] = str(work / "data")
    for key in ("PREFECT_HOME", "PREFECT_LOCAL_STORAGE_PATH"):
        os.environ.pop(key, None)  # this run's own data folder, so the first build starts cold
    settings.configure_prefect()
    from prefect.testing.utilities import prefect_test_harness

    from reporting.flows.biennial_report import biennial_report
    from reporting.synth import synthetic_package

    package = synthetic_package(work / "package", rows=10_000, outcomes=19)

    def build() -> None:
        biennial_report(package=str(package), out=str(work / "out"))

    with prefect_test_harness(server_startup_timeout=120):
        first = _seconds(build)
        unchanged = min(_seconds(build) for _ in range(2))
        changed = package / "evidence" / "outcome-07.csv"
        changed.write_text(changed.read_text("utf-8") + "\n", "utf-8")
        one_file = _seconds(build)
    return [
        Measurement("rebuild, nothing changed (10k rows)", unchanged, "first build", first, goal_ratio=0.3),
        Measurement("rebuild, 1 of 19 files changed", one_file, "first build", first, goal_ratio=1.0),
    ]
