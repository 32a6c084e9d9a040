"""Figures never change without a trace: the build id covers the review's approvals, and a package's
reviews.csv applies row by row."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sqlalchemy import update

from reporting.intake.readers import read_package
from reporting.intake.validate import validate_package
from reporting.pipeline import Store
from reporting.review.build import apply_decisions, reviewed
from reporting.review.results import Decision, decide, sync
from reporting.store.database import upgraded_engine
from reporting.store.models import table
from reporting.store.review import ResultReviewRecord, reviews
from tests.report_packages import build
from tests.test_storage import copy_sample, ingest

B = "2014-15"


def _built(build_json: Path | None) -> tuple[str, list[dict[str, object]]]:
    assert build_json is not None
    made = json.loads(build_json.read_text(encoding="utf-8"))
    return made["build_id"], made["summary"]["figures"]


def test_a_status_changed_in_the_database_gives_another_build_id(
    sample_package: Path, tmp_path: Path
) -> None:
    where = Store(upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}"), tmp_path / "archive")
    (sample_package / "reviews.csv").unlink()  # the reviewers decide in the store
    ingest(where.engine, sample_package, where.archive)
    sync(where.engine, B)
    results = [Decision(i, c, "approve", "Ana") for i, c in every_result(where)]
    assert not decide(where.engine, B, results).refused
    first_id, first_totals = _built(build(sample_package, tmp_path / "one", where=where).build_json)
    again_id, _ = _built(build(sample_package, tmp_path / "two", where=where).build_json)
    assert again_id == first_id  # nothing changed: the same id
    review = table(ResultReviewRecord)
    with where.engine.begin() as conn:  # an approval withdrawn behind the program's back
        conn.execute(update(review).where(review.c.cpo_code == "TUN129").values(status="submitted"))
    edited_id, edited_totals = _built(build(sample_package, tmp_path / "three", where=where).build_json)
    assert edited_totals != first_totals
    assert edited_id != first_id


def every_result(where: Store) -> list[tuple[str, str]]:
    """Every result of the biennium."""
    with where.engine.connect() as conn:
        return sorted(reviews(conn, B))


def test_reviews_csv_applies_row_by_row_and_names_what_it_could_not_apply(tmp_path: Path) -> None:
    engine = upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}")
    package = copy_sample(tmp_path / B)
    reviews = pd.read_csv(package / "reviews.csv", dtype=str, keep_default_na=False)
    reviews.loc[[0, 1], "cpo_code"] = ["ZZZ999", "ZZZ998"]  # no such results: TUN129 and SHA127 lose theirs
    reviews.to_csv(package / "reviews.csv", index=False)
    ingest(engine, package, tmp_path / "archive")
    read = read_package(package)
    checked = validate_package(read)
    notes = apply_decisions(engine, read, checked)
    assert notes == [
        "reviews.csv: ZZZ999 7.1, ZZZ998 7.1: not applied: no current rows: nothing to decide on"
    ]
    counted = reviewed(engine, B, checked.evidence.clean, draft=False)
    assert len(counted.approved) == 20 and counted.pending == {("7.1", "TUN129"), ("7.1", "SHA127")}


def test_a_reason_refusing_many_results_names_ten_and_counts_the_rest(tmp_path: Path) -> None:
    engine = upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}")
    package = copy_sample(tmp_path / B)
    reviews = pd.read_csv(package / "reviews.csv", dtype=str, keep_default_na=False)
    reviews["cpo_code"] = [f"ZZZ{n:03d}" for n in range(len(reviews))]  # none of them a result
    reviews.to_csv(package / "reviews.csv", index=False)
    ingest(engine, package, tmp_path / "archive")
    read = read_package(package)
    (note,) = apply_decisions(engine, read, validate_package(read))
    named = ", ".join(f"ZZZ{n:03d} 7.1" for n in range(10))
    why = "not applied: no current rows: nothing to decide on"
    assert note == f"reviews.csv: {named} and {len(reviews) - 10} more: {why}"
