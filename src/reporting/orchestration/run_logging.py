"""How flow runs log an expected failure: as its one-line reason, never as a traceback.

A wrong package, a strict refusal, a full disk or a wrong parameter leaves the operator nothing to
debug, only something to fix. The filter is set in Prefect's logging configuration (Prefect's own file
with the filter added to its run loggers, given as PREFECT_LOGGING_SETTINGS_PATH by
`settings.configure_prefect`), so it applies from a run's first line in every process that runs flows —
also to a parameter refused before the flow's body begins, which Prefect logs with its traceback.
"""

from __future__ import annotations

import importlib.util
import logging
import tempfile
from pathlib import Path

from reporting.errors import OutputError, PackageError, StrictModeError

RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
FILTER = "one_line_for_expected_errors"
FILE_NAME = "logging.yml"


def expected(error: BaseException) -> bool:
    """Whether `error` is a failure the run's message explains in full (no programming error)."""
    from prefect.exceptions import ParameterTypeError  # imported once Prefect logs, never before

    return isinstance(error, PackageError | StrictModeError | OutputError | ParameterTypeError)


class OneLineForExpectedErrors(logging.Filter):
    """An expected failure logged as one line that says its reason, without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and expected(error):
            said = record.getMessage().splitlines()[0]
            reason = " ".join(str(error).split())
            record.msg = said if type(error).__name__ in said else f"{said}: {reason}"
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


def prefect_default_logging() -> Path:
    """Prefect's own logging configuration file, found without importing Prefect (its settings are read
    at import: `configure_prefect` runs first)."""
    found = importlib.util.find_spec("prefect")
    assert found is not None and found.origin is not None, "Prefect is a dependency of this project"
    return Path(found.origin).parent / "logging" / FILE_NAME


def write_settings(folder: Path) -> Path | None:
    """Prefect's logging configuration with the filter on its run loggers, written into `folder` (when it
    differs from what is there); None when it cannot be written (a full disk): Prefect's default applies."""
    import yaml

    config = yaml.safe_load(prefect_default_logging().read_text(encoding="utf-8"))
    config["filters"] = {FILTER: {"()": f"{__name__}.{OneLineForExpectedErrors.__name__}"}}
    for name in RUN_LOGGERS:
        config["loggers"][name]["filters"] = [FILTER]
    text = "# Written by reporting.orchestration.run_logging from Prefect's own file.\n" + yaml.safe_dump(
        config, sort_keys=False
    )
    target = folder / FILE_NAME
    try:
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            return target
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, suffix=".tmp", delete=False) as f:
            scratch = Path(f.name)  # each process its own, then renamed: never half a file
        try:
            scratch.write_text(text, encoding="utf-8")
            scratch.replace(target)
        finally:
            scratch.unlink(missing_ok=True)
    except OSError:
        return None
    return target
