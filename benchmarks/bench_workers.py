"""What a second worker buys (`make bench-workers`): two bienniums of a whole-programme package built at
once on a team's installation of two workers, against two other bienniums of the same size built one after
the other on the same installation.

The installation is `make soak`'s (benchmarks/soak.py `team`: a throwaway PostgreSQL, a Prefect server on
it, the store on it, two workers each with a home and data folder of its own, `make deploy`), with its
four synthetic packages (SOAK_OUTCOMES outcomes, SOAK_ROWS rows each; default 19 and 10,000). Each build
is a first build of its biennium (nothing cached), through the `biennial-report/rebuild` deployment, timed
from the first run's creation to the last run's end as the server records them."""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path

from benchmarks.common import Measurement
from benchmarks.soak import BIENNIUMS, FINAL_STATES, ROWS, Soak, team, wait_until

RUN_SECONDS = 1800.0
"""The longest a build may take on a loaded machine before the benchmark gives up."""


def _ended(soak: Soak, run_id: str) -> dict[str, object]:
    """The run once it is in a final state; a build that did not complete stops the benchmark."""
    run: dict[str, object] = wait_until(
        lambda: (r := soak.api.call("GET", f"/flow_runs/{run_id}"))["state_type"] in FINAL_STATES and r,
        RUN_SECONDS,
        f"run {run_id} to end",
        every=0.5,  # the next build of "one after the other" starts within half a second
    )
    if run["state_type"] != "COMPLETED":
        raise RuntimeError(f"the build {run['name']} ended {run['state_name']}: {run['state']}")
    return run


def _seconds(soak: Soak, bienniums: tuple[str, ...], at_once: bool) -> float:
    """From the first run's creation to the last one's end (the server's times)."""
    if at_once:
        runs = [_ended(soak, run_id) for run_id in [soak.rebuild(b) for b in bienniums]]
    else:
        runs = [_ended(soak, soak.rebuild(b)) for b in bienniums]
    first = min(datetime.fromisoformat(str(r["created"])) for r in runs)
    last = max(datetime.fromisoformat(str(r["end_time"])) for r in runs)
    return (last - first).total_seconds()


def run() -> list[Measurement]:
    root = Path(tempfile.mkdtemp(prefix="reporting-bench-workers-"))
    root.chmod(0o755)
    try:
        with team(root) as soak:
            one_after_the_other = _seconds(soak, BIENNIUMS[:2], at_once=False)
            time.sleep(5)  # the server records the last task states of the serial builds
            at_once = _seconds(soak, BIENNIUMS[2:], at_once=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return [
        Measurement(
            f"two bienniums of {ROWS:,} rows built at once on two workers (PostgreSQL)",
            at_once,
            "two others, one after the other",
            one_after_the_other,
            goal_ratio=0.75,
        )
    ]
