"""The people directory: decisions by anyone it does not name in the right role (and region, for a
reviewer) are refused in one line, and no one approves results they submitted (four eyes) — on the
command line, in a review sheet, in a package's reviews.csv and at sign-off."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from reporting import people
from reporting.cli import app
from reporting.intake.readers import read_package
from reporting.intake.validate import validate_package
from reporting.review.build import apply_decisions
from reporting.review.results import Decision, ReviewError, decide, results_frame, sign_off, sync
from reporting.review.workbook import export_sheet
from reporting.store.database import upgraded_engine
from tests.test_storage import EVIDENCE, copy_sample, ingest, sample_rows

B = "2014-15"
DIRECTORY = """
people:
  - name: Ana Lima
    roles: [reviewer]
    regions: [Africa]
    languages: [en, fr]
  - name: Ben Okafor
    roles: [reviewer]
    regions: [all]
  - name: Chief
    roles: [signer, operator]
  - name: PROGRAM
    roles: [reviewer]
    regions: [all]
"""


@pytest.fixture
def directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "people.yaml"
    path.write_text(DIRECTORY, encoding="utf-8")
    monkeypatch.setenv("REPORTING_PEOPLE_FILE", str(path))
    return path


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, directory: Path) -> Path:
    """The sample, TUN129's rows submitted by Ana Lima, received into a store of its own."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.delenv("REPORTING_REVIEWER", raising=False)
    folder = copy_sample(tmp_path / B)
    rows = sample_rows(folder)
    rows["submitted_by"] = rows["cpo_code"].map({"TUN129": "Ana Lima"}).fillna("")
    rows.to_csv(folder / EVIDENCE, index=False)
    (folder / "reviews.csv").unlink()
    ingest(upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}"), folder, tmp_path / "archive")
    return folder


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_the_directory_is_read_and_checked(directory: Path) -> None:
    ana = people.require(" ana lima ", people.REVIEWER, "africa")
    assert ana.name == "Ana Lima" and ana.languages == ("en", "fr")
    with pytest.raises(people.NotAllowed, match="Ana Lima does not review results of Americas"):
        people.require("Ana Lima", people.REVIEWER, "Americas")
    with pytest.raises(people.NotAllowed, match="Chief is not a reviewer"):
        people.require("Chief", people.REVIEWER)
    with pytest.raises(people.NotAllowed, match="'-' is not in the people directory"):
        people.require("-", people.SIGNER)
    directory.write_text("people:\n  - name: X\n    roles: [boss]\n", encoding="utf-8")
    with pytest.raises(people.NotAllowed, match=r"is not valid: people\.0\.roles\.0: Input should be"):
        people.load()
    directory.write_text("people:\n  - {name: X, roles: [signer]}\n  - {name: x, roles: [reviewer]}\n")
    with pytest.raises(people.NotAllowed, match="is not valid: people: Value error, named more than once: X"):
        people.load()
    directory.unlink()
    with pytest.raises(people.NotAllowed, match=r"no people directory at .*people\.yaml"):
        people.load()


def test_the_command_line_refuses_anyone_the_directory_does_not_allow(package: Path) -> None:
    code, out = run("review", "approve", "--cpo", "NGA904", "--by", "-")
    assert (code, out) == (1, f"error: '-' is not in the people directory ({people.directory_file()})\n")
    code, out = run("review", "approve", "--cpo", "NGA904", "--by", "Chief")
    assert (code, out) == (1, "error: Chief is not a reviewer in the people directory\n")
    code, out = run("review", "approve", "--region", "Americas", "--by", "Ana Lima")
    assert code == 1 and "Ana Lima does not review results of Americas (people directory)" in out
    code, out = run("review", "approve", "--cpo", "TUN129", "--by", "Ana Lima")  # her own rows
    assert code == 1 and "Ana Lima submitted these rows: someone else approves them (four eyes)" in out
    assert run("review", "approve", "--cpo", "TUN129", "--by", "Ben Okafor")[0] == 0
    assert run("lock", B, "--by", "Ana Lima")[0] == 1 and run("lock", B, "--by", "Chief")[0] == 0


def test_a_review_sheet_is_refused_by_someone_not_in_the_directory(package: Path, tmp_path: Path) -> None:
    engine = upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}")
    sheet = export_sheet(results_frame(engine, B).assign(biennium=B), tmp_path / "sheet.xlsx")
    code, out = run("review", "import", str(sheet), "--by", "Someone")
    assert code == 1 and "'Someone' is not in the people directory" in out


def test_reviews_csv_rows_by_people_not_allowed_are_findings(package: Path, tmp_path: Path) -> None:
    engine = upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}")
    sample = copy_sample(tmp_path / "sample")
    reviews = pd.read_csv(sample / "reviews.csv", dtype=str, keep_default_na=False)
    reviews.loc[reviews["cpo_code"] == "TUN129", "by"] = "Ana Lima"  # her own submission
    reviews.loc[reviews["cpo_code"] == "NGA904", "by"] = "Nobody"
    reviews.to_csv(package / "reviews.csv", index=False)
    ingest(engine, package, tmp_path / "archive")
    read = read_package(package)
    notes = apply_decisions(engine, read, validate_package(read))
    unknown = f"'Nobody' is not in the people directory ({people.directory_file()})"
    assert sorted(notes) == [
        f"reviews.csv: NGA904 7.1: not applied: {unknown}",
        "reviews.csv: TUN129 7.1: not applied: Ana Lima submitted these rows: someone else approves them "
        "(four eyes)",
    ]
    assert (results_frame(engine, B)["status"] == "approved").sum() == 20


def test_sign_off_needs_a_signer_who_did_not_submit(package: Path, tmp_path: Path) -> None:
    engine = upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with pytest.raises(ReviewError, match="Ben Okafor is not a signer"):
        sign_off(engine, B, "Ben Okafor", approve=True)
    rows = sample_rows(package)
    rows["submitted_by"] = "Chief"
    rows.to_csv(package / EVIDENCE, index=False)
    ingest(engine, package, tmp_path / "archive")
    sync(engine, B)
    waiting = results_frame(engine, B)
    counted = {(r.indicator, r.cpo_code): r.version for r in waiting.itertuples()}  # as a draft counts them
    with pytest.raises(ReviewError, match="Chief submitted these rows: someone else approves them"):
        sign_off(engine, B, "Chief", approve=True, counted=counted)
    assert not decide(engine, B, [Decision("7.1", "TUN129", "approve", "Ben Okafor")]).refused


def test_without_a_directory_no_one_decides(package: Path, directory: Path, tmp_path: Path) -> None:
    directory.unlink()
    code, out = run("review", "approve", "--cpo", "TUN129", "--by", "Ben Okafor")
    assert code == 1 and "no people directory at" in out
    engine = upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}")
    outcome = decide(engine, B, [Decision("7.1", "TUN129", "approve", "Ben Okafor")])
    assert outcome.applied == [] and "no people directory at" in outcome.refused[0][1]
