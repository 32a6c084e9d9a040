"""Peak memory of a whole-programme build (19 outcomes, every member State) at two sizes, each in a new
process running the stages without Prefect (`pipeline.publish` into a new database): memory must
grow with the rows, not faster (issue 24: a 100k-row build used 5.9 GB; goal ≤ 2 GB). The figure is the
peak per row at the larger size, its baseline the peak per row at the smaller: ≤ 1× is growth no faster
than linear. `BENCH_MEMORY_ROWS=10000,50000` chooses the sizes (one build at a time)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_build import build_without_prefect
from benchmarks.common import Measurement, used
from reporting.resources import examples_dir

SIZES = (5_000, 20_000)


def peak_megabytes(package: Path, work: Path) -> float:
    """The peak resident memory, in MB, of a new process building `package` without Prefect."""
    env = {
        **os.environ,
        "REPORTING_DATA_DIR": str(work / "data"),
        "REPORTING_PEOPLE_FILE": str(examples_dir() / "people.yaml"),  # the reviewer of reviews.csv
    }
    command = [sys.executable, "-m", "benchmarks.bench_memory", str(package), str(work)]
    return used(command, env, Path(__file__).resolve().parents[1]).peak_mb


def run() -> list[Measurement]:
    from reporting.synth import synthetic_package

    small, large = (int(n) for n in os.environ.get("BENCH_MEMORY_ROWS", ",".join(map(str, SIZES))).split(","))
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    peaks = {}
    for rows in (small, large):
        package = synthetic_package(work / f"package-{rows}", rows=rows, outcomes=19)
        peaks[rows] = peak_megabytes(package, work / f"build-{rows}")
        print(f"peak memory of a {rows}-row build: {peaks[rows]:.0f} MB", file=sys.stderr)
    return [
        Measurement(
            f"peak memory per 1k rows, {large:,} rows (MB)",
            peaks[large] / large * 1000,
            f"per 1k rows at {small:,} rows",
            peaks[small] / small * 1000,
            goal_ratio=1,
            unit="MB",
        )
    ]


if __name__ == "__main__":  # the child: one build
    target = Path(sys.argv[2])
    target.mkdir(parents=True)
    build_without_prefect(Path(sys.argv[1]), target)
