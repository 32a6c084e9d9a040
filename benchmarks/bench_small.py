"""The user's real case: the 65-row sample package (examples/2014-15) built with the command line, each
step a new process as a user runs it.

(a) `reporting build examples/2014-15 --out DIR` in a new data folder (the first build, which starts the
data folder's local Prefect server) against the same stages without Prefect (`pipeline.build_report`:
read, validate, store into a new data folder, count, render) in a new process, imports included as for
the command;
(b) the same build run again with nothing changed (the server is running, the tasks are cached) against
pandoc turning that build's report.md into a Word document, as bench_render does.

The local server is stopped at the end (`reporting server stop`) and the temporary folders removed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import Measurement

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "examples/2014-15"  # as the user types it, from the project folder
REPEAT = 3
PAUSE_SECONDS = 3
"""Between builds, not timed: the server may still be recording the previous run's task states."""

# Not inherited from the process running the benchmarks (other benchmarks set some of them): the builds
# use the new data folder, its database and its own local server.
NOT_INHERITED = ("PREFECT_HOME", "PREFECT_LOCAL_STORAGE_PATH", "PREFECT_API_URL", "DATABASE_URL")

LIBRARY_ONLY = (
    "import sys\nfrom pathlib import Path\nfrom reporting.pipeline import Store, build_report\n"
    "build_report(Path(sys.argv[1]), Path(sys.argv[2]) / 'plain', where=Store.configured())"
)
"""The same stages in process, into the data folder's store (REPORTING_DATA_DIR), as the command does."""


def _timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    """Seconds for one process, from start to exit; its output is kept for a failure's message only."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-10:])
        raise RuntimeError(f"{' '.join(command[:3])} … exited with {done.returncode}:\n{tail}")
    return seconds


def run() -> list[Measurement]:
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        raise SystemExit("bench-small needs pandoc (apt-get install pandoc): it is a baseline")
    reporting = Path(sys.executable).parent / "reporting"
    work = Path(tempfile.mkdtemp(prefix="bench-small-"))
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env["REPORTING_DATA_DIR"] = str(work / "data")  # new: the first build starts its server
    out = work / "out"
    build = [str(reporting), "build", PACKAGE, "--out", str(out)]
    try:
        first = _timed(build, env, ROOT)
        again = []
        for _ in range(REPEAT):
            time.sleep(PAUSE_SECONDS)
            again.append(_timed(build, env, ROOT))
        pandoc_seconds = min(_timed([pandoc, "report.md", "-o", "x.docx"], env, out) for _ in range(REPEAT))
        plain = []
        for number in range(REPEAT):
            folder = work / f"plain-{number}"  # a new database and output folder each time
            folder.mkdir()
            plain_env = {**env, "REPORTING_DATA_DIR": str(folder / "data")}
            plain.append(_timed([sys.executable, "-c", LIBRARY_ONLY, PACKAGE, str(folder)], plain_env, ROOT))
    finally:
        subprocess.run(
            [str(reporting), "server", "stop"], cwd=ROOT, env=env, capture_output=True, check=False
        )
        shutil.rmtree(work, ignore_errors=True)
    return [
        Measurement(
            "65-row sample: first build (CLI)",
            first,
            "same stages without Prefect",
            min(plain),
            goal_ratio=3.0,
        ),
        Measurement(
            "65-row sample: build again (CLI)",
            min(again),
            "pandoc report.md → docx",
            pandoc_seconds,
            goal_ratio=3.0,
        ),
    ]
