"""A package's own review decisions (reviews.csv): validated like any table, applied once per version
of the file, each decision in the audit trail as imported; what a build then counts."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from reporting.counting.approval import draft_summary
from reporting.intake.readers import read_package
from reporting.intake.validate import validate_package
from reporting.review.build import NothingApproved, Reviewed, apply_decisions, reviewed
from reporting.review.results import Decision, decide, results_frame
from reporting.store.database import upgraded_engine
from reporting.store.review import audit_entries
from tests.test_storage import copy_sample, ingest

B = "2014-15"


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}")


def received(engine: Engine, package: Path, tmp_path: Path, draft: bool = False) -> Reviewed:
    """The package stored, its decisions applied, and what a build of it would count."""
    ingest(engine, package, tmp_path / "archive")
    read = read_package(package)
    checked = validate_package(read)
    assert apply_decisions(engine, read, checked) == []
    return reviewed(engine, B, checked.evidence.clean, draft)


def test_a_bad_reviews_file_gets_findings_and_its_rows_are_not_applied(tmp_path: Path) -> None:
    package = copy_sample(tmp_path / B)
    reviews = pd.read_csv(package / "reviews.csv", dtype=str, keep_default_na=False)
    reviews.loc[0, "decision"] = "ok"
    reviews.loc[1, "by"] = " "
    reviews.loc[2, ["decision", "comment"]] = ["returned", ""]
    reviews.loc[3, "indicator"] = "7.9"
    reviews.to_csv(package / "reviews.csv", index=False)
    checked = validate_package(read_package(package))
    found = checked.findings[checked.findings["file"] == "reviews.csv"]
    assert sorted(zip(found["row"].astype(int), found["rule"], strict=True)) == [
        (2, "decision_known"),
        (3, "reviewer_named"),
        (4, "returned_with_comment"),
        (5, "indicator_declared_for_outcome"),
    ]
    assert len(checked.reviews.clean) == len(reviews) - 4


def test_the_samples_decisions_are_imported_once_and_audited(engine: Engine, tmp_path: Path) -> None:
    package = copy_sample(tmp_path / B)
    first = received(engine, package, tmp_path)
    assert len(first.approved) == 22 and first.pending == set()
    results = results_frame(engine, B)
    assert set(results["status"]) == {"approved"} and set(results["changed_by"]) == {"PROGRAM"}
    entries = audit_entries(engine, biennium=B)
    imported = entries[entries["by"] == "PROGRAM"]
    assert len(imported) == 22
    sha = hashlib.sha256((package / "reviews.csv").read_bytes()).hexdigest()[:12]
    reasons = imported["reason"].str.replace(r"on rows [0-9a-f]{16}$", "on rows V", regex=True)
    published = "Published in the programme implementation report 2014-15"
    assert set(reasons) == {f"{published}; imported from reviews.csv {sha}; on rows V"}
    # a reviewer reopens one: building the same package again does not approve it behind their back
    decide(engine, B, [Decision("7.1", "TUN129", "reopen", "Ana", "check the source")])
    again = received(engine, package, tmp_path)
    assert ("7.1", "TUN129") in again.pending
    assert len(audit_entries(engine, biennium=B)) == len(entries) + 1


def test_a_reviewers_return_stands_when_new_rows_arrive_with_the_same_reviews_file(
    engine: Engine, tmp_path: Path
) -> None:
    """The package's reviews.csv approved TUN129's rows; a reviewer returned it; the office sends a new
    version of its rows. The same reviews.csv (unchanged) must not approve the new rows over the
    reviewer's return. A new version of reviews.csv, sent after them, is a decision on them."""
    package = copy_sample(tmp_path / B)
    received(engine, package, tmp_path)
    for action in ("reopen", "return"):
        comment = "name the law (its figures are imported from the census)"  # a person's, all the same
        decided = decide(engine, B, [Decision("7.1", "TUN129", action, "Ana", comment)])
        assert decided.refused == [] and len(decided.applied) == 1
    evidence = package / "evidence" / "evidence.csv"
    rows = pd.read_csv(evidence, dtype=str, keep_default_na=False)
    tunisia = rows["cpo_code"] == "TUN129"
    rows.loc[tunisia, "ilo_contribution"] = rows.loc[tunisia, "ilo_contribution"] + " (the law of 2016)"
    rows.to_csv(evidence, index=False)
    again = received(engine, package, tmp_path, draft=True)
    assert ("7.1", "TUN129") in again.pending  # submitted again, awaiting a reviewer
    assert results_frame(engine, B).set_index("cpo_code").loc["TUN129", "changed_by"] == "intake"
    reviews = pd.read_csv(package / "reviews.csv", dtype=str, keep_default_na=False)
    reviews["comment"] = reviews["comment"] + " (checked again)"
    reviews.to_csv(package / "reviews.csv", index=False)
    assert ("7.1", "TUN129") in received(engine, package, tmp_path).approved


def test_a_final_build_with_nothing_approved_builds_nothing(engine: Engine, tmp_path: Path) -> None:
    package = copy_sample(tmp_path / B)
    (package / "reviews.csv").unlink()
    with pytest.raises(NothingApproved, match=r"^nothing approved in 2014-15 \(22 result\(s\) await review"):
        received(engine, package, tmp_path)
    draft = received(engine, package, tmp_path, draft=True)
    assert len(draft.pending) == 22 and draft.approved == frozenset()


def test_a_draft_summary_says_what_the_pending_results_add() -> None:
    keys = {"outcome": ["7", "7"], "indicator": ["7.1", "7.1"], "region": ["Africa", "Total"]}
    summary = pd.DataFrame({**keys, "target": [None, None], "achieved": [3, 5]})
    approved = pd.DataFrame({**keys, "target": [None, None], "achieved": [1, 4]})
    draft = draft_summary(summary, approved)
    assert list(draft["achieved_approved"]) == [1, 4] and list(draft["achieved_pending"]) == [2, 1]
