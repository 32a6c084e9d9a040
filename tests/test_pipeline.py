"""The pipeline without Prefect: a stored build records what the flow records, the dry run imports only
the intake, and a run's name and artifact keys say which biennium and package it builds."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from reporting.errors import PackageError
from reporting.intake.stages import check
from reporting.pipeline import Store, biennium_of_run, report_keys, run_name
from reporting.store.builds import stored_builds
from reporting.store.database import upgraded_engine
from reporting.store.in_force import current_evidence
from tests.report_packages import SAMPLE, Built, build
from tests.test_sample_package import EXPECTED_CSV


def test_a_stored_build_keeps_the_package_and_records_the_build(tmp_path: Path) -> None:
    where = Store(upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}"), tmp_path / "archive")
    first = build(SAMPLE, tmp_path / "first", where=where)
    assert first.files.summary_csv.read_text(encoding="utf-8") == EXPECTED_CSV
    assert len(current_evidence(where.engine, "2014-15")) == 65
    assert first.build_json is not None
    manifest = json.loads(first.build_json.read_text(encoding="utf-8"))
    assert manifest["build_id"] == first.context["build_id"] and manifest["flow_run_id"] is None
    assert {i["status"] for i in manifest["inputs"]} == {"current"}

    again = build(SAMPLE, tmp_path / "again", where=where)
    assert again.context["build_id"] == first.context["build_id"]  # same inputs, same id
    assert [b["build_id"] for b in stored_builds(where.engine, "2014-15")] == [first.context["build_id"]] * 2


def test_a_build_that_stores_nothing_has_no_build_id(sample_build: Built) -> None:
    assert sample_build.build_json is None
    assert sample_build.context["build_id"] == ""


def test_the_dry_run_imports_only_the_intake(tmp_path: Path) -> None:
    """`reporting validate` stays quick to start and runs where Prefect is not set up: it imports
    neither Prefect nor the store (SQLAlchemy) nor the report renderer."""
    script = (
        "import sys\nfrom reporting.cli import app\n"
        f"try:\n    app(['validate', {str(SAMPLE)!r}, '--report-dir', {str(tmp_path)!r}])\n"
        "except SystemExit as done:\n    assert done.code == 0, done.code\n"
        "unwanted = ('prefect', 'sqlalchemy', 'sqlmodel', 'docx', 'docxtpl')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in unwanted\n"
        "    or m.startswith(('reporting.store', 'reporting.report', 'reporting.pipeline'))))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "validation-report.xlsx").is_file()


def test_the_dry_run_reads_what_it_can_and_names_the_rest(sample_package: Path) -> None:
    (sample_package / "evidence" / "broken.json").write_text("{not json", "utf-8")
    package, checked = check(sample_package)
    assert len(package.evidence) == 65
    files = checked.files
    assert files.loc[files["file"] == "evidence/broken.json", "severity"].tolist() == ["critical"]
    with pytest.raises(PackageError, match="needs a framework"):
        check(sample_package / "evidence" / "evidence.csv")


def test_a_run_is_named_after_its_biennium_and_package(tmp_path: Path) -> None:
    started = datetime(2026, 12, 2, 17, 5, 9)
    assert run_name("2014-15", started, "0a1b2c3d-ffff") == "report-2014-15-20261202-170509-0a1b2c"
    assert biennium_of_run("2016-17", str(SAMPLE), date(2027, 1, 1)) == "2016-17"
    assert biennium_of_run(None, str(SAMPLE), date(2027, 1, 1)) == "2014-15"
    assert biennium_of_run(None, None, date(2028, 1, 15)) == "2026-27"
    assert biennium_of_run(None, str(tmp_path / "My package!"), date(2027, 1, 1)) == "My-package-"
    assert report_keys("2014-15", tmp_path / "Trial Run") == "report-2014-15-from-trial-run"
