"""An expected failure of a run is logged as one line with its reason, from the run's first line
(Prefect's logging configuration carries the filter: orchestration/run_logging.py)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from reporting.errors import PackageError
from reporting.orchestration.run_logging import OneLineForExpectedErrors, write_settings

pytestmark = pytest.mark.filterwarnings("ignore:Logger 'prefect.flow_runs' attempted to send logs")


def _logged(caplog: pytest.LogCaptureFixture, error: Exception, message: str) -> logging.LogRecord:
    """What Prefect's run logger records of `message` logged with `error` (and its traceback)."""
    import prefect.main  # noqa: F401  (Prefect configures its logging when its API is imported)

    logger = logging.getLogger("prefect.flow_runs")
    with caplog.at_level(logging.ERROR, logger="prefect.flow_runs"):
        try:
            raise error
        except Exception:
            logger.error(message, exc_info=True)
    return caplog.records[-1]


def test_prefects_run_loggers_are_configured_with_the_filter() -> None:
    import prefect.main  # noqa: F401

    assert Path(os.environ["PREFECT_LOGGING_SETTINGS_PATH"]).is_file()
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        assert any(isinstance(f, OneLineForExpectedErrors) for f in logging.getLogger(name).filters), name


def test_a_refused_parameter_is_one_line_with_its_reason(caplog: pytest.LogCaptureFixture) -> None:
    from prefect.exceptions import ParameterTypeError

    refused = ParameterTypeError(
        "Flow run received invalid parameters:\n - biennium: must look like 2014-15, not '2014-2015'"
    )
    record = _logged(caplog, refused, "Engine execution exited with unexpected exception")
    assert record.getMessage() == (
        "Engine execution exited with unexpected exception: Flow run received invalid parameters: "
        "- biennium: must look like 2014-15, not '2014-2015'"
    )
    assert record.exc_info is None and "Traceback" not in caplog.text


def test_a_message_that_names_the_error_is_not_repeated(caplog: pytest.LogCaptureFixture) -> None:
    wrong = PackageError("/srv/pkg: not a package folder")
    record = _logged(caplog, wrong, f"Encountered exception during execution: {wrong!r}")
    assert (
        record.getMessage()
        == "Encountered exception during execution: PackageError('/srv/pkg: not a package folder')"
    )
    assert record.exc_info is None


def test_a_programming_error_keeps_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    record = _logged(caplog, ValueError("a bug"), "Engine execution exited with unexpected exception")
    assert record.exc_info is not None and "Traceback" in caplog.text


def test_where_the_file_cannot_be_written_prefects_default_applies(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "home"
    not_a_folder.write_text("a file")
    assert write_settings(not_a_folder) is None
    assert write_settings(tmp_path) == tmp_path / "logging.yml"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "logging.yml"]  # no scratch file left
