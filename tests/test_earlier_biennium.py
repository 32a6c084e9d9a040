"""An earlier biennium is compared as it was published: the figures its final build recorded, never
its rows recounted with today's rule (store.builds.earlier_published)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sqlalchemy import Engine

from reporting.intake.readers import read_package
from reporting.intake.validate import validate_package
from reporting.store.builds import Published, earlier_published, record_build
from reporting.store.database import upgraded_engine
from reporting.store.deliveries import store_package
from reporting.store.review import insert_lock
from tests import report_packages
from tests.report_packages import EARLIER, SAMPLE, earlier_summary


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    """A store holding the rows of 2012-13 (its framework, evidence and targets) and no build of it."""
    earlier = tmp_path / "2012-13"
    shutil.copytree(SAMPLE, earlier)
    framework = yaml.safe_load((earlier / "framework.yaml").read_text(encoding="utf-8"))
    (earlier / "framework.yaml").write_text(
        yaml.safe_dump({**framework, "biennium": "2012-13"}, allow_unicode=True), encoding="utf-8"
    )
    evidence = pd.read_csv(earlier / "evidence" / "evidence.csv", dtype=str, keep_default_na=False)
    evidence.assign(biennium="2012-13").iloc[20:].to_csv(earlier / "evidence" / "evidence.csv", index=False)
    shutil.copy(EARLIER / "targets.csv", earlier / "targets.csv")
    stored = upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}")
    package = read_package(earlier)
    checked = validate_package(package)
    store_package(
        stored, package, checked.evidence.clean, checked.rejected, checked.targets.clean, tmp_path / "archive"
    )
    yield stored
    stored.dispose()


def build(engine: Engine, summary: pd.DataFrame, on: datetime, outcomes: list[str] | None = None) -> None:
    record_build(
        engine,
        {
            "biennium": "2012-13",
            "build_id": f"b-{on.isoformat()}",
            "built_at": on,
            "out_dir": "out",
            "outcomes_json": json.dumps(outcomes),
            "inputs_json": "[]",
            "summary_csv": summary.to_csv(index=False),
            "evidence_csv": "",
        },
    )


def test_without_a_final_build_there_are_no_published_figures(engine: Engine) -> None:
    assert earlier_published(engine, "2012-13") is None  # nothing before it
    found = earlier_published(engine, "2014-15")
    assert found is not None and (found.biennium, found.published_on, found.summary) == (
        "2012-13",
        None,
        None,
    )
    published = earlier_summary()
    build(
        engine, published.assign(achieved_approved=0, achieved_pending=0), datetime(2016, 1, 10, tzinfo=UTC)
    )
    build(engine, published, datetime(2016, 1, 11, tzinfo=UTC), outcomes=["7"])  # part of the report only
    found = earlier_published(engine, "2014-15")
    assert found is not None and found.summary is None


def test_the_figures_are_those_of_the_final_build_not_a_recount(engine: Engine) -> None:
    published = earlier_summary().assign(achieved=lambda s: s["achieved"] + 100)  # no recount gives these
    build(engine, published, datetime(2016, 1, 15, 9, tzinfo=UTC))
    found = earlier_published(engine, "2014-15")
    assert found is not None and found.published_on is not None
    assert found.published_on.isoformat() == "2016-01-15"
    assert found.summary is not None
    pd.testing.assert_frame_equal(found.summary, published, check_dtype=False)


def test_a_build_after_the_lock_does_not_rewrite_what_was_published(engine: Engine) -> None:
    published = earlier_summary()
    build(engine, published, datetime(2016, 1, 15, tzinfo=UTC))
    with engine.begin() as conn:
        insert_lock(conn, "2012-13", "Chief", "report signed off")
    build(engine, published.assign(achieved=0), datetime(2099, 1, 1, tzinfo=UTC))  # e.g. with a new rule
    found = earlier_published(engine, "2014-15")
    assert found is not None and found.summary is not None and found.published_on is not None
    assert found.published_on.isoformat() == "2016-01-15"
    assert found.summary["achieved"].tolist() == published["achieved"].tolist()


def test_the_report_says_when_no_figures_were_published(sample_package: Path, tmp_path: Path) -> None:
    built = report_packages.build(sample_package, tmp_path / "out", previous=Published("2012-13", None, None))
    markdown = built.files.markdown.read_text(encoding="utf-8")
    assert "No published figures of 2012-13 to compare with." in markdown
    assert "Comparison with" not in markdown
