"""`make worker`: a Prefect process worker that stops on the first Ctrl-C or SIGTERM, within seconds.

Prefect's worker stops on SIGINT, taking the flow runs it started with it; those runs would then stay
"Running" in the UI for ever. This wrapper runs the worker in a process group of its own, passes the
first signal on, kills what is left after STOP_SECONDS, and marks the runs that died with it as
cancelled, with the reason, so the UI tells the truth and a rebuild can start at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

STOP_SECONDS = 8.0


def _children(pid: int) -> set[int]:
    """Every process below `pid` (flow runs are the worker's children), read from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _cancel_runs_of(pids: set[int], reason: str) -> list[str]:
    """Mark as cancelled the runs that these (now stopped) processes were running."""
    if not pids:
        return []
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.states import Cancelled

    cancelled = []
    with get_client(sync_client=True) as client:
        running = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(
                        any_=[StateType.RUNNING, StateType.PENDING, StateType.CANCELLING]
                    )
                )
            )
        )
        for run in running:
            if run.infrastructure_pid and run.infrastructure_pid.rsplit(":", 1)[-1] in {str(p) for p in pids}:
                client.set_flow_run_state(run.id, Cancelled(message=reason), force=True)
                cancelled.append(run.name)
    return cancelled


def run_worker(pool: str) -> int:
    command = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", "process"]
    # SIGINT restored: started in the background by a shell, it arrives ignored and the worker would hang.
    worker = subprocess.Popen(
        command, start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
    )
    stopping: list[int] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        if not stopping:
            stopping.append(signum)
            print(
                f"stopping the worker (signal {signum}); its runs are cancelled", file=sys.stderr, flush=True
            )

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while worker.poll() is None and not stopping:
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.wait(timeout=0.2)
    if worker.poll() is not None:
        return worker.returncode
    flow_processes = _children(worker.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_SECONDS
    while worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    for name in _cancel_runs_of(flow_processes, "the worker running it was stopped"):
        print(f"cancelled {name}: the worker running it was stopped", file=sys.stderr, flush=True)
    return 0
