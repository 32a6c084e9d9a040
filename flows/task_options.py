"""How the `biennial-report` tasks meet failure: what is retried, and what is logged in one line."""

from __future__ import annotations

import logging
from typing import Any

from prefect import Task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.tasks import exponential_backoff
from sqlalchemy.exc import OperationalError

from reporting.errors import OutputError, PackageError, StrictModeError, is_permanent


def transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry what may pass on a second try (a file or database briefly unavailable), never a package
    that is wrong or a disk that is full: trying again gives the same answer."""
    error = state.result(raise_on_failure=False)
    return isinstance(error, OSError | OperationalError) and not is_permanent(error)


class OneLineForExpectedErrors(logging.Filter):
    """A wrong package or a full disk is logged as its one-line reason, not as a traceback: the
    operator has nothing to debug, only something to fix."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PackageError | StrictModeError | OutputError):
            record.msg = record.getMessage().splitlines()[0]  # it names the error and its reason
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


def log_expected_errors_in_one_line() -> None:
    """Prefect's run loggers log a wrong package, a strict refusal or a full disk as its one line."""
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, OneLineForExpectedErrors) for f in logger.filters):
            logger.addFilter(OneLineForExpectedErrors())


RETRY: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": exponential_backoff(backoff_factor=2),
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": transient,
}
UNCACHED: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False}
