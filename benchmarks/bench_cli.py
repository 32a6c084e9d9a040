"""The commands a user runs without a flow, each a new process as the user runs it (issue 11: under 1 s
each): `reporting validate examples/2014-15` (the sample's dry run, its two report files written),
`reporting --help`, and `reporting build` asked again once the sample is built (the up-to-date answer,
which must import neither pandas nor Prefect to be quick), against Python importing pandas and reading
the sample's CSV files with plain pandas, what any pandas tool pays before it does anything. The four are
run in turn, 5 times; each figure is the median."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import Measurement, process_seconds

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "examples/2014-15"  # as the user types it, from the project folder
REPEAT = 5
PLAIN_PANDAS = (
    "import sys\nimport pandas as pd\n"
    "for name in sys.argv[1:]:\n    pd.read_csv(name, dtype=str, keep_default_na=False)"
)
BASELINE = "python: import pandas, read the sample's CSVs"
LABELS = {
    "validate": "65-row sample: `reporting validate` (CLI)",
    "help": "`reporting --help`",
    "up to date": "65-row sample built, `reporting build` again: up to date (CLI)",
}
"""Each timed command's row in the table (each goal: under 1 s)."""


def run() -> list[Measurement]:
    reporting = str(Path(sys.executable).parent / "reporting")
    csv_files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / PACKAGE).rglob("*.csv"))
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as work:
        env = {**os.environ, "REPORTING_DATA_DIR": str(Path(work) / "data")}
        build = [reporting, "build", PACKAGE, "--out", str(Path(work) / "out")]
        commands = {
            "baseline": [sys.executable, "-c", PLAIN_PANDAS, *csv_files],
            "validate": [reporting, "validate", PACKAGE, "--report-dir", work],
            "help": [reporting, "--help"],
            "up to date": build,
        }
        try:
            for answer in ("Report", "Up to date: build "):  # built once (not timed), then up to date
                said = subprocess.run(build, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
                if answer not in said.stdout:
                    raise RuntimeError(f"`reporting build` did not say {answer!r}:\n{said.stdout[-2000:]}")
            times: dict[str, list[float]] = {name: [] for name in commands}
            for _ in range(REPEAT):
                for name, command in commands.items():
                    times[name].append(process_seconds(command, env, ROOT))
        finally:
            subprocess.run([reporting, "server", "stop"], cwd=ROOT, env=env, capture_output=True, check=False)
    print(f"bench cli: load average {os.getloadavg()[0]:.1f} at the end", file=sys.stderr)
    baseline = statistics.median(times["baseline"])
    return [
        Measurement(
            label, statistics.median(times[name]), BASELINE, baseline, goal_ratio=None, goal_seconds=1.0
        )
        for name, label in LABELS.items()
    ]
