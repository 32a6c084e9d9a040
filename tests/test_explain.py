"""`reporting explain`: which results make up a figure, and why a CPO result is or is not counted,
answered from the store in one command (plain lines in a pipe)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from reporting import settings
from reporting.cli import app
from reporting.intake.readers import read_package
from reporting.intake.validate import validate_package
from reporting.store.database import upgraded_engine
from reporting.store.deliveries import store_package
from tests.report_packages import NOT_REPORTABLE, rich_package

runner = CliRunner()


@pytest.fixture
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The rich package (a not reportable result, a rejected row, targets) in a store of its own."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    package = read_package(rich_package(tmp_path))
    checked = validate_package(package)
    store_package(
        upgraded_engine(settings.database_url()),
        package,
        checked.evidence.clean,
        checked.rejected,
        checked.targets.clean,
        tmp_path / "archive",
    )
    return tmp_path


def test_a_figure_is_explained_by_its_member_states_and_rows(stored: Path) -> None:
    result = runner.invoke(app, ["explain", "2014-15", "7.1", "africa"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2014-15 indicator 7.1, Africa: 2 (target 2)"
    assert lines[1] == "  NGA  Nigeria/NGA904  criteria 1, 3  counted  [evidence/evidence.csv rows 7 8]"
    assert lines[2].startswith("  TUN  Tunisia/TUN129  criteria 1, 3  counted")
    not_counted = [line for line in lines if "not counted" in line]
    assert any("GHA101" in line and "fewer criteria than required (1 of 2)" in line for line in not_counted)
    assert any("SHA127" in line and "regional" in line for line in not_counted)
    assert "\x1b" not in result.output  # plain lines, no terminal codes


def test_every_region_and_the_total_add_up(stored: Path) -> None:
    result = runner.invoke(app, ["explain", "2014-15", "7.1"])
    assert result.exit_code == 0, result.output
    headers = [line for line in result.output.splitlines() if not line.startswith(" ")]
    figures = {h.split(", ")[1].split(":")[0]: int(h.split(": ")[1].split()[0]) for h in headers}
    assert figures["Total"] == 13 == sum(v for k, v in figures.items() if k != "Total")
    total = result.output.split("indicator 7.1, Total")[1].splitlines()[1:]
    assert len({line.split()[0] for line in total}) == 13


def test_why_a_cpo_is_or_is_not_counted(stored: Path) -> None:
    counted = runner.invoke(app, ["explain", "2014-15", "--cpo", "TUN129"])
    assert counted.exit_code == 0
    assert counted.output.splitlines() == [
        "2014-15 indicator 7.1: Tunisia/TUN129 criteria 1, 3 (2 met, 2 required); counted in Africa "
        "(member State TUN) [evidence/evidence.csv rows 2 3]",
        "2014-15 indicator 8.1: Tunisia/TUN129 criteria 1, 3 (2 met, 2 required); counted in Africa "
        "(member State TUN) [evidence/evidence.csv rows 69 70]",
    ]
    short = runner.invoke(app, ["explain", "2014-15", "--cpo", NOT_REPORTABLE["cpo_code"]])
    assert "not counted: fewer criteria than required (1 of 2)" in short.output
    rejected = runner.invoke(app, ["explain", "2014-15", "--cpo", "gha102"])
    assert "not counted: rows rejected by validation: The region must be one of" in rejected.output
    assert "[evidence/evidence.csv row 67]" in rejected.output


def test_mistakes_are_one_line(stored: Path) -> None:
    assert runner.invoke(app, ["explain", "2014-15", "9.9"]).exit_code == 1
    assert runner.invoke(app, ["explain", "2014-15", "7.1", "Atlantis"]).exit_code == 2
    assert runner.invoke(app, ["explain", "2014-15"]).exit_code == 2
    assert runner.invoke(app, ["explain", "2014-15", "--cpo", "XYZ999"]).exit_code == 1
    assert runner.invoke(app, ["explain", "2010-11", "7.1"]).exit_code == 1
