"""The user's real case: the 65-row sample package (examples/2014-15) built with the command line, each
step a new process as a user runs it, in REPEAT rounds; each round:

(a) the same stages without Prefect (`pipeline.publish`, the flow's own composition: read, validate,
store into a new data folder, count, render) in a new process, imports included as for the command, then
`reporting build examples/2014-15 --out DIR` in another new data folder (the first build, which starts
that folder's local Prefect server: its start is timed) — the first build against the stages alone;
(b) the same build run again in a new process with nothing changed (the server is running, the build is
up to date), then pandoc turning that build's report.md into a Word document, as bench_render does —
the build again against pandoc.

The pairs are measured side by side in each round (the load of a shared machine changes between
rounds); the table shows the fastest of the rounds for each. Each round's server is stopped
(`reporting server stop`, not timed) before the next round starts, and the folders are removed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import Measurement, process_seconds

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "examples/2014-15"  # as the user types it, from the project folder
REPEAT = 3
PAUSE_SECONDS = 3
"""Between builds, not timed: the server may still be recording the previous run's task states."""

# Not inherited from the process running the benchmarks (other benchmarks set some of them): the builds
# use the new data folder, its database and its own local server.
NOT_INHERITED = ("PREFECT_HOME", "PREFECT_LOCAL_STORAGE_PATH", "PREFECT_API_URL", "DATABASE_URL")

LIBRARY_ONLY = (
    "import sys\nfrom reporting.pipeline import Parameters, Store, publish\n"
    "publish(Parameters(package=sys.argv[1], out=sys.argv[2] + '/plain'), Store.configured())"
)
"""The same stages in process, into the data folder's store (REPORTING_DATA_DIR), as the command does."""


def _round(work: Path, env: dict[str, str], reporting: Path, pandoc: str) -> tuple[float, ...]:
    """(stages without Prefect, first build, build again, pandoc) in seconds, in new data folders."""
    (work / "plain").mkdir(parents=True)
    plain_env = {**env, "REPORTING_DATA_DIR": str(work / "plain" / "data")}
    library_only = [sys.executable, "-c", LIBRARY_ONLY, PACKAGE, str(work / "plain")]
    plain = process_seconds(library_only, plain_env, ROOT)
    build_env = {**env, "REPORTING_DATA_DIR": str(work / "data")}  # new: the first build starts its server
    out = work / "out"
    build = [str(reporting), "build", PACKAGE, "--out", str(out)]
    try:
        first = process_seconds(build, build_env, ROOT)
        time.sleep(PAUSE_SECONDS)
        again = process_seconds(build, build_env, ROOT)
        pandoc_seconds = process_seconds([pandoc, "report.md", "-o", "x.docx"], env, out / "en")
    finally:
        subprocess.run(
            [str(reporting), "server", "stop"], cwd=ROOT, env=build_env, capture_output=True, check=False
        )
    print(
        f"  stages alone {plain:.2f} s, first build {first:.2f} s ({first / plain:.2f}×); "
        f"again {again:.2f} s, pandoc {pandoc_seconds:.2f} s ({again / pandoc_seconds:.2f}×); "
        f"load {os.getloadavg()[0]:.1f}",
        file=sys.stderr,
        flush=True,
    )
    return plain, first, again, pandoc_seconds


def run() -> list[Measurement]:
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        raise SystemExit("bench-small needs pandoc (apt-get install pandoc): it is a baseline")
    reporting = Path(sys.executable).parent / "reporting"
    work = Path(tempfile.mkdtemp(prefix="bench-small-"))
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    try:
        rounds = [_round(work / f"round-{number}", env, reporting, pandoc) for number in range(REPEAT)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    plain, first, again, pandoc_seconds = (min(column) for column in zip(*rounds, strict=True))
    return [
        Measurement(
            "65-row sample: first build (CLI)", first, "same stages without Prefect", plain, goal_ratio=3.0
        ),
        Measurement(
            "65-row sample: build again (CLI)",
            again,
            "pandoc report.md → docx",
            pandoc_seconds,
            goal_ratio=3.0,
        ),
    ]
