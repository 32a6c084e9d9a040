"""Shared fixtures: the sample package, an isolated data folder, the pipeline without Prefect, Prefect's
test harness and one real Prefect stack (tests/prefect_stack.py).

`make test` runs with `--dist loadfile`: each module runs in one process (its module fixtures are made
once), and the modules on the real Prefect stack together in one (PrefectStackScheduling)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from xdist.scheduler import LoadFileScheduling

from tests.prefect_stack import PrefectStack, running_stack
from tests.report_packages import ROOT, SAMPLE, Built, build

__all__ = ["ROOT", "SAMPLE", "Built"]


ON_THE_PREFECT_STACK = (
    "tests/test_notifications.py",
    "tests/test_orchestration_server.py",
    "tests/test_run_form.py",
    "tests/test_schedules.py",  # last: its sign-off locks 2014-15 in the stack's store
)
"""The modules whose tests use the session's real Prefect stack (`prefect_stack`): one xdist work unit."""


class PrefectStackScheduling(LoadFileScheduling):
    """`--dist loadfile`, the modules on the real Prefect stack being one work unit: one process starts
    the stack once for all of them. (`--dist loadgroup` would say it with marks, but it groups nothing
    on pytest 9.2: pytest-xdist issue 1386.)"""

    def _split_scope(self, nodeid: str) -> str:
        module = super()._split_scope(nodeid)
        return "prefect-stack" if module in ON_THE_PREFECT_STACK else module


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadFileScheduling | None:
    return PrefectStackScheduling(config, log) if config.getvalue("dist") == "loadfile" else None


@pytest.fixture(scope="session", autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test run gets its own data folder (database, archive, Prefect home); a local Prefect
    server that a test started for it is stopped at the end."""
    data = tmp_path_factory.mktemp("data")
    os.environ["REPORTING_DATA_DIR"] = str(data)
    os.environ["REPORTING_PEOPLE_FILE"] = str(ROOT / "tests" / "data" / "people.yaml")  # who decides
    os.environ.pop("DATABASE_URL", None)
    from reporting import settings
    from reporting.orchestration import local_server

    settings.configure_prefect()
    yield data
    local_server.stop(say=lambda _: None)


@pytest.fixture
def sample_package(tmp_path: Path) -> Path:
    """A writable copy of the 2014-15 sample package."""
    target = tmp_path / "2014-15"
    shutil.copytree(SAMPLE, target)
    return target


GOLDEN_DAY = date(2026, 12, 2)
"""The day the golden outputs were made (tests/test_golden.py): the sample is built as of that day."""


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The sample package built by the flow's stages called directly (the library without Prefect), as of
    GOLDEN_DAY: built once for the golden comparison and the tests that read the sample's report."""
    return build(SAMPLE, tmp_path_factory.mktemp("out"), generated_on=GOLDEN_DAY)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def prefect_stack() -> Iterator[PrefectStack]:
    """A real server, the deployments and a worker, started once: its modules (ON_THE_PREFECT_STACK)
    are one xdist work unit, so one process starts it."""
    with running_stack() as stack:
        yield stack


def evidence_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Clean evidence rows for counting tests: defaults for every column not given."""
    defaults = {
        "biennium": "2014-15",
        "outcome": "7",
        "indicator": "7.1",
        "region": "Africa",
        "country": "Tunisia",
        "cpo_code": "TUN129",
        "cpo_title": "A CPO",
        "criterion": 1,
        "result_achieved": "Done.",
        "ilo_contribution": "Helped.",
    }
    return pd.DataFrame([{**defaults, **r} for r in rows])
