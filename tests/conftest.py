"""Shared fixtures: the sample package, an isolated data folder, and the pipeline without Prefect."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "2014-15"


@pytest.fixture(scope="session", autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every test run gets its own data folder (database, archive, Prefect home)."""
    data = tmp_path_factory.mktemp("data")
    os.environ["REPORTING_DATA_DIR"] = str(data)
    os.environ.pop("DATABASE_URL", None)
    from reporting import settings

    settings.configure_prefect()
    return data


@pytest.fixture
def sample_package(tmp_path: Path) -> Path:
    """A writable copy of the 2014-15 sample package."""
    target = tmp_path / "2014-15"
    shutil.copytree(SAMPLE, target)
    return target


@dataclass
class Built:
    package: Any
    checked: Any
    aggregates: Any
    context: dict[str, Any]
    files: Any


def build_without_prefect(package_dir: Path, out_dir: Path) -> Built:
    """The flow's stages called directly: the library is usable (and testable) without Prefect."""
    from reporting.aggregate import aggregate
    from reporting.context import report_context
    from reporting.ingest import read_package
    from reporting.render import default_template, render_report
    from reporting.validate import validate_package

    package = read_package(package_dir)
    checked = validate_package(package)
    aggregates = aggregate(checked.evidence.clean, checked.targets.clean, package.framework)
    context = report_context(package, checked, aggregates)
    files = render_report(context, aggregates.summary, default_template(), out_dir)
    return Built(package, checked, aggregates, context, files)


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_without_prefect(SAMPLE, tmp_path_factory.mktemp("out"))


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


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
