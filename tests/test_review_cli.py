"""`reporting review …`, `lock`, `unlock`, `audit` on a store holding the sample: what they print, what
they refuse (exit 1), and the review sheet's round trip through Excel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from reporting.cli import app
from reporting.store.database import upgraded_engine
from tests.test_review import new_version_of_tunisia
from tests.test_storage import copy_sample, ingest

runner = CliRunner()


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample received into a store of its own (DATABASE_URL), no reviewer set."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.delenv("REPORTING_REVIEWER", raising=False)
    folder = copy_sample(tmp_path / "2014-15")
    ingest(upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}"), folder, tmp_path / "archive")
    return folder


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_list_approve_return_reopen(package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run("review", "list", "--region", "Africa")
    assert code == 0 and "Africa\tTunisia\tTUN129\t7.1\t1, 3\tyes\tsubmitted\tintake\t\n" in out
    assert out.endswith("\n4 result(s): 4 submitted, 0 returned, 0 approved\n")
    code, out = run("review", "approve", "--cpo", "TUN129")
    assert code == 1 and "give --by NAME (or set REPORTING_REVIEWER)" in out
    monkeypatch.setenv("REPORTING_REVIEWER", "Ana")
    assert run("review", "approve") == (1, "error: choose the results: --cpo, --indicator and/or --region\n")
    code, out = run("review", "return", "--cpo", "TUN129")
    assert code == 1 and "returning needs a comment" in out and "nothing was changed" in out
    code, out = run("review", "approve", "--cpo", "TUN129", "--indicator", "7.1")
    assert (code, out) == (0, "TUN129 7.1: submitted → approved (by Ana)\n")
    code, out = run("review", "return", "--cpo", "TUN129", "--comment", "late", "--by", "Ben")
    assert code == 1 and "it is approved, not submitted: reopen it first" in out
    code, out = run("review", "reopen", "--cpo", "TUN129", "--reason", "by mistake", "--by", "Ben")
    assert (code, out) == (0, "TUN129 7.1: approved → submitted (by Ben)\n")
    code, out = run("review", "list", "--status", "approved")
    assert code == 0 and "0 approved" in out
    assert run("review", "list", "--status", "done")[0] == 1


def test_lock_unlock_and_audit(package: Path, tmp_path: Path) -> None:
    assert run("review", "list")[0] == 0
    assert run("lock", "2014-15", "--by", "Chief", "--reason", "sent") == (0, "2014-15 is locked\n")
    code, out = run("review", "approve", "--region", "Africa", "--by", "Ana")
    assert code == 1 and "biennium 2014-15 is locked (by Chief" in out
    code, out = run("unlock", "2014-15", "--by", "Chief")
    assert code == 1 and "unlocking needs a reason" in out
    assert run("unlock", "2014-15", "--by", "Chief", "--reason", "correction")[0] == 0
    assert run("audit", "--biennium", "2014-15", "--since", "yesterday")[0] == 1
    code, _ = run("audit", "--biennium", "2014-15", "--csv", str(tmp_path / "audit.csv"))
    entries = pd.read_csv(tmp_path / "audit.csv", dtype=str, keep_default_na=False)
    assert code == 0
    assert list(entries["what"].iloc[-2:]) == ["lock", "lock"]
    assert list(entries["new_value"].iloc[-2:]) == ["locked", "unlocked"]
    assert list(entries["reason"].iloc[-2:]) == ["sent", "correction"]
    code, out = run("audit", "--cpo", "TUN129")
    assert code == 0 and out.splitlines()[1:] == [
        f"{entries['at'][0]}\tintake\t2014-15\t7.1\tTUN129\tstatus"
        "\t\tsubmitted\trows in evidence/evidence.csv"
    ]


def test_review_sheet_round_trip(package: Path, tmp_path: Path) -> None:
    """Export for Africa, decide in Excel, import: applied and listed; a row whose results changed
    since the export is refused with its reason, the others applied; a bad decision applies nothing."""
    sheet = tmp_path / "africa.xlsx"
    code, out = run("review", "export", "--region", "Africa", "--out", str(sheet))
    assert (code, out) == (0, f"4 result(s) of 2014-15 to review: {sheet}\n")
    book = load_workbook(sheet)
    rows = book["review"]
    header = [c.value for c in rows[1]]
    assert header[-2:] == ["decision", "comment for the office"]
    assert rows.data_validations.dataValidation[0].formula1 == '"approve,return,reopen"'
    codes = [rows.cell(r, 4).value for r in range(2, rows.max_row + 1)]
    assert codes == ["NGA904", "SHA127", "TUN129", "ETH155"]
    rows.cell(2, len(header) - 1, "approve")
    rows.cell(3, len(header) - 1, "return")
    rows.cell(4, len(header) - 1, "approve")
    book.save(sheet)
    code, out = run("review", "import", str(sheet), "--by", "Ana")
    assert code == 1 and "refused: SHA127 7.1: returning needs a comment" in out
    assert "nothing was changed" in out
    rows.cell(3, len(header), "Which ministry?")
    book.save(sheet)
    new_version_of_tunisia(package, upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}"), tmp_path)
    code, out = run("review", "import", str(sheet), "--by", "Ana")
    assert code == 1
    assert out.splitlines() == [
        "NGA904 7.1: submitted → approved (by Ana)",
        "SHA127 7.1: submitted → returned (by Ana)",
        "refused: TUN129 7.1: its rows changed since the sheet was exported: export again and decide on "
        "the new rows",
        "error: 1 decision(s) refused; the others were applied",
    ]
