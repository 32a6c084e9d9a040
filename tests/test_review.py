"""The review of CPO results: every transition and every refusal, the locks, and the audit trail of a
full cycle entry by entry. The `check_*` scenarios take any engine: tests/test_postgres.py runs them on
PostgreSQL too."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from reporting.counting.approval import approved_results, only, result_versions
from reporting.intake.readers import file_intake, package_intake
from reporting.review.results import (
    Decision,
    LockedError,
    ReviewError,
    approved_versions,
    decide,
    lock,
    refuse_if_locked,
    results_frame,
    select_results,
    sync,
    unlock,
)
from reporting.store.database import upgraded_engine
from reporting.store.in_force import current_evidence
from reporting.store.review import audit_entries
from tests.test_storage import EVIDENCE, copy_sample, ingest, sample_rows

B = "2014-15"
TUN = ("7.1", "TUN129")


def status_of(engine: Engine, indicator: str, cpo: str) -> str:
    results = results_frame(engine, B)
    return str(select_results(results, indicator=indicator, cpo=cpo)["status"].iloc[0])


def one(engine: Engine, action: str, comment: str = "", by: str = "Ana", version: str | None = None) -> None:
    """One decision on TUN129 under 7.1; a refusal raises ReviewError with its reason."""
    outcome = decide(engine, B, [Decision(*TUN, action, by, comment, version)])
    if outcome.refused:
        raise ReviewError(outcome.refused[0][1])


def received(engine: Engine, tmp_path: Path) -> Path:
    package = copy_sample(tmp_path / B)
    ingest(engine, package, tmp_path / "archive")
    sync(engine, B)
    return package


def new_version_of_tunisia(package: Path, engine: Engine, tmp_path: Path) -> None:
    rows = sample_rows(package)
    first = rows.index[rows["cpo_code"] == "TUN129"][0]
    rows.loc[first, "result_achieved"] = str(rows.loc[first, "result_achieved"]) + " (corrected)"
    rows.to_csv(package / EVIDENCE, index=False)
    ingest(engine, package, tmp_path / "archive")


def trail(engine: Engine, cpo: str | None = None) -> list[tuple[str, ...]]:
    entries = audit_entries(engine, biennium=B, cpo_code=cpo)
    columns = ["by", "indicator", "cpo_code", "what", "old_value", "new_value", "reason"]
    return [tuple(str(v) for v in row) for row in entries[columns].itertuples(index=False)]


def check_full_cycle(engine: Engine, tmp_path: Path) -> None:
    """submit, return, resubmit, approve, lock, a late file refused, unlock: entry by entry."""
    package = received(engine, tmp_path)
    assert status_of(engine, *TUN) == "submitted"
    before = result_versions(current_evidence(engine, B))[TUN]
    one(engine, "return", "Criterion 2 needs a source.")
    assert status_of(engine, *TUN) == "returned"
    new_version_of_tunisia(package, engine, tmp_path)
    assert status_of(engine, *TUN) == "submitted"
    after = result_versions(current_evidence(engine, B))[TUN]
    one(engine, "approve", by="Ben")
    assert status_of(engine, *TUN) == "approved"
    lock(engine, B, "Chief", "sent to the Governing Body")
    late = tmp_path / "late.csv"
    late.write_text((package / EVIDENCE).read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(LockedError, match=r"biennium 2014-15 is locked \(by Chief.*refused: late.csv"):
        refuse_if_locked(engine, B, file_intake(late).files, tmp_path / "archive")
    unlock(engine, B, "Chief", "a correction from the office")

    assert trail(engine, "TUN129") == [
        ("intake", "7.1", "TUN129", "status", "", "submitted", "rows in evidence/evidence.csv"),
        ("Ana", "7.1", "TUN129", "status", "submitted", "returned", "Criterion 2 needs a source."),
        ("intake", "7.1", "TUN129", "rows", before, after, "rows in evidence/evidence.csv"),
        (
            "intake", "7.1", "TUN129", "status", "returned", "submitted",
            "a new version of its rows arrived (evidence/evidence.csv); the returned status was for "
            "the earlier rows",
        ),
        ("Ben", "7.1", "TUN129", "status", "submitted", "approved", ""),
    ]  # fmt: skip
    others = [e for e in trail(engine) if e[2] == ""]
    late_sha = file_intake(late).files[0].sha256
    archived = tmp_path / "archive" / late_sha[:2] / late_sha
    assert archived.read_bytes() == late.read_bytes()  # the refused file is kept as received
    assert [e[3:6] for e in others] == [
        ("file superseded", others[0][4], others[0][5]),
        ("lock", "unlocked", "locked"),
        ("file refused", "", f"late.csv {late_sha[:12]} ({archived})"),
        ("lock", "locked", "unlocked"),
    ]
    assert others[0][4].startswith("evidence/evidence.csv ") and others[0][5] != others[0][4]
    assert [e[0] for e in others] == ["intake", "Chief", "intake", "Chief"]
    assert [e[6] for e in others[1:]] == [
        "sent to the Governing Body",
        "biennium locked by Chief",
        "a correction from the office",
    ]


def check_refusals(engine: Engine, tmp_path: Path) -> None:
    """Every refusal, each with its reason; a refused decision changes nothing."""
    received(engine, tmp_path)
    entries = len(audit_entries(engine))
    for action, comment, reason in [
        ("return", "", "returning needs a comment"),
        ("return", "   ", "returning needs a comment"),
        ("reopen", "a reason", "it is already submitted"),
        ("publish", "", "unknown decision 'publish'"),
    ]:
        with pytest.raises(ReviewError, match=reason):
            one(engine, action, comment)
    with pytest.raises(ReviewError, match="rows changed since the sheet was exported"):
        one(engine, "approve", version="0" * 16)
    one(engine, "approve")
    with pytest.raises(ReviewError, match=r"it is approved, not submitted$"):
        one(engine, "approve")
    with pytest.raises(ReviewError, match=r"it is approved, not submitted: reopen it first$"):
        one(engine, "return", "too late")
    with pytest.raises(ReviewError, match="reopening needs a reason"):
        one(engine, "reopen")
    one(engine, "reopen", "approved by mistake")
    one(engine, "return", "Which ministry?")
    with pytest.raises(ReviewError, match="it is returned, not submitted: reopen it first"):
        one(engine, "approve")
    outcome = decide(engine, B, [Decision("7.1", "XXX999", "approve", "Ana")])
    assert [why for _, why in outcome.refused] == ["no current rows: nothing to decide on"]
    # all or nothing: one refusal, nothing applied
    outcome = decide(
        engine, B, [Decision("7.1", "SHA127", "approve", "Ana"), Decision(*TUN, "approve", "Ana")]
    )
    assert outcome.applied == [] and len(outcome.refused) == 1
    assert status_of(engine, "7.1", "SHA127") == "submitted"
    assert len(audit_entries(engine)) == entries + 3
    lock(engine, B, "Chief")
    with pytest.raises(ReviewError, match="already locked"):
        lock(engine, B, "Chief")
    locked = r"biennium 2014-15 is locked \(by Chief, .* UTC\): unlock it first"
    with pytest.raises(ReviewError, match=locked):
        one(engine, "reopen", "new facts")
    with pytest.raises(ReviewError, match="unlocking needs a reason"):
        unlock(engine, B, "Chief", " ")
    unlock(engine, B, "Chief", "new facts")
    with pytest.raises(ReviewError, match="is not locked"):
        unlock(engine, B, "Chief", "again")


def check_new_version_of_an_approved_result(engine: Engine, tmp_path: Path) -> None:
    """Approved, then new rows: back to submitted, and the audit says why; no longer counted."""
    package = received(engine, tmp_path)
    one(engine, "approve")
    approved = approved_versions(engine, B)
    assert TUN in approved_results(result_versions(current_evidence(engine, B)), approved)
    new_version_of_tunisia(package, engine, tmp_path)
    changes = sync(engine, B)
    assert [(c.cpo_code, c.what, c.old_value, c.new_value) for c in changes if c.what == "status"] == [
        ("TUN129", "status", "approved", "submitted")
    ]
    assert "a new version of its rows arrived" in changes[-1].reason
    evidence = current_evidence(engine, B)
    assert TUN not in approved_results(result_versions(evidence), approved)  # rows no longer in force
    assert status_of(engine, *TUN) == "submitted"
    assert sync(engine, B) == []  # nothing new: nothing recorded


def check_audit_is_append_only(engine: Engine, tmp_path: Path) -> None:
    received(engine, tmp_path)
    for statement in ("UPDATE audit_entry SET by = 'someone else'", "DELETE FROM audit_entry"):
        refused = pytest.raises(DBAPIError, match="audit entries are never changed or removed")
        with refused, engine.begin() as c:
            c.execute(text(statement))
    assert set(audit_entries(engine)["by"]) == {"intake"}


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}")


def test_full_cycle_audit_trail(engine: Engine, tmp_path: Path) -> None:
    check_full_cycle(engine, tmp_path)


def test_every_refusal(engine: Engine, tmp_path: Path) -> None:
    check_refusals(engine, tmp_path)


def test_a_new_version_of_an_approved_result_is_submitted_again(engine: Engine, tmp_path: Path) -> None:
    check_new_version_of_an_approved_result(engine, tmp_path)


def test_the_audit_trail_is_append_only(engine: Engine, tmp_path: Path) -> None:
    check_audit_is_append_only(engine, tmp_path)


def test_a_locked_biennium_lets_files_already_stored_pass(engine: Engine, tmp_path: Path) -> None:
    package = received(engine, tmp_path)
    lock(engine, B, "Chief")
    _, intake = package_intake(package)
    refuse_if_locked(engine, B, intake.files, tmp_path / "archive")  # a rebuild of what was locked


def test_a_sheet_changed_since_export_is_refused_row_by_row(engine: Engine, tmp_path: Path) -> None:
    package = received(engine, tmp_path)
    versions = result_versions(current_evidence(engine, B))
    sheet = [
        Decision(*TUN, "approve", "Ana", version=versions[TUN]),
        Decision("7.1", "SHA127", "approve", "Ana", version=versions[("7.1", "SHA127")]),
    ]
    new_version_of_tunisia(package, engine, tmp_path)
    outcome = decide(engine, B, sheet, partial="stale", source="review sheet")
    assert [(d.cpo_code, why) for d, why in outcome.refused] == [
        ("TUN129", "its rows changed since the sheet was exported: export again and decide on the new rows")
    ]
    assert [(e.cpo_code, e.new_value, e.reason) for e in outcome.applied] == [
        ("SHA127", "approved", f"review sheet; on rows {versions[('7.1', 'SHA127')]}")
    ]


def test_only_results_approved_on_the_rows_counted_count() -> None:
    evidence = pd.DataFrame(
        {
            "indicator": ["7.1", "7.1", "7.2"],
            "cpo_code": ["TUN129", "TUN129", "KHM129"],
            "criterion": [1, 2, 1],
            "result_achieved": ["a", "b", "c"],
        }
    )
    versions = result_versions(evidence)
    assert result_versions(evidence.iloc[::-1]) == versions  # row order does not matter
    assert approved_results(versions, {TUN: versions[TUN]}) == {TUN}
    assert approved_results(versions, {TUN: "older"}) == set()
    assert list(only(evidence, {TUN})["criterion"]) == [1, 2]
