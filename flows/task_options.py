"""How the `biennial-report` tasks meet failure: what is retried (an expected failure is logged in one
line by Prefect's logging configuration: orchestration/run_logging.py)."""

from __future__ import annotations

from typing import Any

from prefect import Task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.tasks import exponential_backoff
from sqlalchemy.exc import OperationalError

from reporting.errors import is_permanent


def transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry what may pass on a second try (a file or database briefly unavailable), never a package
    that is wrong or a disk that is full: trying again gives the same answer."""
    error = state.result(raise_on_failure=False)
    return isinstance(error, OSError | OperationalError) and not is_permanent(error)


RETRY: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": exponential_backoff(backoff_factor=2),
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": transient,
}
UNCACHED: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False}
