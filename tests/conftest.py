"""Shared fixtures: the sample package, an isolated data folder, the pipeline without Prefect, Prefect's
test harness and one real Prefect stack (tests/prefect_stack.py).

`make test` runs with `--dist loadfile`: each module runs in one process (its module fixtures are made
once), the modules sharing the real Prefect stack together in one (PrefectStackScheduling), the longest
first (LONGEST_FIRST)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
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
    "tests/test_run_form.py",
    "tests/test_schedules.py",  # last: its sign-off locks 2014-15 in the stack's store
)
"""Modules whose tests share one real Prefect stack (`prefect_stack`): one xdist work unit, so one
process starts the stack once for all of them. tests/test_orchestration_server.py, whose runs wait longest
(a worker's stop, a heartbeat's silence), starts a stack of its own (a module fixture) and is a unit of
its own, so that the two run side by side."""


class PrefectStackScheduling(LoadFileScheduling):
    """`--dist loadfile`, the modules of ON_THE_PREFECT_STACK being one work unit. (`--dist loadgroup`
    would say it with marks, but it groups nothing on pytest 9.2: pytest-xdist issue 1386.)"""

    def _split_scope(self, nodeid: str) -> str:
        module = super()._split_scope(nodeid)
        return "prefect-stack" if module in ON_THE_PREFECT_STACK else module


LONGEST_FIRST = (
    "tests/test_orchestration_server.py",
    "tests/test_crash_recovery.py",
    *ON_THE_PREFECT_STACK,
    "tests/test_flow.py",
    "tests/test_orchestration.py",
    "tests/test_local_server.py",
    "tests/test_report_pdf.py",
    "tests/test_portal_browser.py",
)
"""The work units that take a minute or more (mostly waiting on a lease, a heartbeat, a server or a
browser), started first so that none of them is left to run alone at the end; the rest follow in
file order."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        module = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(module) if module in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: within a unit, tests keep their order


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadFileScheduling | None:
    if config.getvalue("dist") != "loadfile":
        return None
    config.option.loadscopereorder = False  # the units in the order of the items (LONGEST_FIRST)
    return PrefectStackScheduling(config, log)


DATA_DIR = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Every test process gets its own data folder (database, archive, Prefect home and result
    storage), set before collection imports anything: Prefect reads its settings when first imported,
    and a module collected first would otherwise fix Prefect's home in the checkout's `data/`, shared by
    every process and every earlier run (a cached read served across tests). An operator's own Prefect
    (but for its logging) or database settings never reach the tests."""
    data = Path(tempfile.mkdtemp(prefix="reporting-tests-data-"))
    config.stash[DATA_DIR] = data
    for key in [k for k in os.environ if k.startswith("PREFECT_") and "_LOGGING_" not in k]:
        del os.environ[key]
    os.environ.pop("DATABASE_URL", None)
    os.environ["REPORTING_DATA_DIR"] = str(data)
    os.environ["REPORTING_PEOPLE_FILE"] = str(ROOT / "tests" / "data" / "people.yaml")  # who decides
    from reporting import settings

    settings.configure_prefect()


def pytest_unconfigure(config: pytest.Config) -> None:
    data = config.stash.get(DATA_DIR, None)
    if data is not None:
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def isolated_data_dir(pytestconfig: pytest.Config) -> Iterator[Path]:
    """The test process's data folder (pytest_configure); a local Prefect server that a test started
    for it is stopped at the end."""
    from reporting.orchestration import local_server

    yield pytestconfig.stash[DATA_DIR]
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


UNUSED_BY_THE_HARNESS = tuple(
    f"PREFECT_SERVER_SERVICES_{service}_ENABLED"
    for service in ("TRIGGERS", "SCHEDULER", "LATE_RUNS", "FOREMAN", "CANCELLATION_CLEANUP")
)
"""The harness's flows run in the test's process, none from a deployment, a schedule or a worker."""


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Prefect's test server, without the services its tests do not use (automations, schedules, late
    runs, workers' health, cancellations' clean-up): on SQLite their writes contend with the task-run
    recorder's ("database is locked", Prefect issue 18934), whose flush was seen to wait a minute for the
    lock (SQLite's busy timeout in Prefect is 60 s), a test reading its run's task runs stalling as long.
    Fewer writers make it rarer (a 60 s stall is still seen now and then in a full run). Those services
    run on the real servers of tests/prefect_stack.py and tests/test_crash_recovery.py."""
    from prefect.testing.utilities import prefect_test_harness

    with contextlib.ExitStack() as harness:
        os.environ.update(dict.fromkeys(UNUSED_BY_THE_HARNESS, "false"))
        try:
            harness.enter_context(prefect_test_harness(server_startup_timeout=120))
        finally:
            for variable in UNUSED_BY_THE_HARNESS:
                del os.environ[variable]
        yield


@pytest.fixture(scope="session")
def prefect_stack() -> Iterator[PrefectStack]:
    """A real server, the deployments and a worker, started once for the modules of
    ON_THE_PREFECT_STACK (one xdist work unit)."""
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
