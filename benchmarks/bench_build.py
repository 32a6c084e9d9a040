"""A 10,000-row, 19-outcome package built through the Prefect flow, against the same composition run in
process without Prefect (`pipeline.publish` into a new database): the orchestration (task runs,
persisted results, artifacts) must cost little, and the whole build stay well under a minute."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from benchmarks.common import Measurement, best_of
from reporting import settings


def build_without_prefect(package: Path, work: Path, database: str = "plain.db") -> None:
    """The flow's composition of the stages called in process (`pipeline.publish`), storing into
    `work/database` and rendering into `work/plain` (the baseline of bench_build and bench_memory)."""
    from reporting.pipeline import Parameters, Store, publish
    from reporting.store.database import upgraded_engine

    where = Store(upgraded_engine(f"sqlite:///{work / database}"), work / "plain-archive")
    publish(Parameters(package=str(package), out=str(work / "plain")), where)


def run() -> list[Measurement]:
    work = Path(tempfile.mkdtemp(prefix="bench-build-"))
    os.environ["REPORTING_DATA_DIR"] = str(work / "data")
    settings.configure_prefect()
    from prefect.testing.utilities import prefect_test_harness

    from reporting.flows.biennial_report import biennial_report
    from reporting.synth import synthetic_package

    package = synthetic_package(work / "package", rows=10_000, outcomes=19)

    databases = iter(range(100))

    def library_only() -> None:
        build_without_prefect(package, work, f"plain-{next(databases)}.db")

    baseline = best_of(2, library_only)
    with prefect_test_harness(server_startup_timeout=120):
        # Once: a second build of the same files would come from the task cache (see bench_rebuild).
        flow_seconds = best_of(1, lambda: biennial_report(package=str(package), out=str(work / "flow")))
    return [
        Measurement(
            "build 10k rows / 19 outcomes (flow)",
            flow_seconds,
            "same stages without Prefect",
            baseline,
            goal_ratio=1.5,
            goal_seconds=60,
        )
    ]
