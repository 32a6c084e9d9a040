"""`reporting validate`: a dry run with exit codes 0 (nothing set aside), 1 (an error or critical
finding), 2 (misuse); the Rich summary; progress lines on a terminal only; the xlsx and csv reports
(highlighted cells, message column, formula text neutralised); nothing stored."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from rich.console import Console
from rich.text import Text
from typer.testing import CliRunner

from reporting import cli
from reporting.escaping import neutralise
from reporting.intake import feedback
from reporting.intake.validate import FINDING_COLUMNS
from tests.conftest import SAMPLE

runner = CliRunner()
EVIDENCE = Path("evidence") / "evidence.csv"
HYPERLINK = '=HYPERLINK("http://example.invalid","click")'


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wide terminal, so each finding prints on one line."""
    monkeypatch.setattr(cli.console, "width", 300)


@pytest.fixture
def no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the store at a database that does not exist: a dry run must not create it."""
    database = tmp_path / "store" / "reporting.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    return database


def validate(*args: str | Path) -> tuple[int, str]:
    outcome = runner.invoke(cli.app, ["validate", *map(str, args)])
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit), outcome.exception
    return outcome.exit_code, outcome.output


def errors(csv: Path) -> pd.DataFrame:
    """The findings of the CSV report that set something aside (advice and warnings left out)."""
    findings = pd.read_csv(csv, dtype=str, keep_default_na=False)
    return findings[findings["severity"].isin(["critical", "error"])].reset_index(drop=True)


def spoil(package: Path) -> pd.DataFrame:
    """Three bad cells in the sample: a region as a formula, a CPO code as a negative number, an empty
    result; and one good row whose text starts with '='."""
    rows = pd.read_csv(package / EVIDENCE, dtype=str, keep_default_na=False)
    rows.loc[0, "region"] = HYPERLINK
    rows.loc[1, "cpo_code"] = "-12"
    rows.loc[2, "result_achieved"] = ""
    rows.loc[3, "ilo_contribution"] = "=SUM(A1:A9) is how the office counted"
    rows.to_csv(package / EVIDENCE, index=False)
    return rows


def test_the_sample_passes_and_stores_nothing(
    sample_package: Path, tmp_path: Path, no_database: Path
) -> None:
    code, output = validate(sample_package, "--report-dir", tmp_path / "report")
    assert code == 0, output
    assert "65 row(s) read, 1 finding(s): nothing would be set aside" in output
    findings = pd.read_csv(tmp_path / "report" / "validation-report.csv")
    assert list(findings.columns) == FINDING_COLUMNS
    assert findings[["severity", "file", "rule"]].values.tolist() == [
        ["advice", "README.md", "note_not_read"]
    ]
    workbook = load_workbook(tmp_path / "report" / "validation-report.xlsx")
    assert workbook.sheetnames == ["findings", "evidence.csv"]
    assert workbook["evidence.csv"].max_row == 66
    assert not no_database.exists()
    assert not no_database.parent.exists()


def test_bad_rows_exit_1_with_highlighted_cells_and_messages(
    sample_package: Path, tmp_path: Path, no_database: Path
) -> None:
    spoil(sample_package)
    report = tmp_path / "report"
    code, output = validate(sample_package, "--report-dir", report)
    assert code == 1
    assert "some rows would be set aside." in output
    for rule in ("region_is_one_of_five", "cpo_code_shape", "result_achieved_filled"):
        assert rule in output
    assert "evidence/evidence.csv" in output

    findings = errors(report / "validation-report.csv")
    cells = findings[["row", "column"]].drop_duplicates()  # row as the user sees it in Excel
    assert list(cells.itertuples(index=False, name=None)) == [
        ("2", "region"),
        ("3", "cpo_code"),
        ("4", "result_achieved"),
    ]
    assert {"region_is_one_of_five", "cpo_code_shape", "result_achieved_filled"} <= set(findings["rule"])
    assert set(findings.loc[findings["row"] == "2", "value"]) == {"'" + HYPERLINK}  # neutralised
    assert set(findings.loc[findings["row"] == "3", "value"]) == {"'-12"}

    workbook = load_workbook(report / "validation-report.xlsx")
    summary = workbook["findings"]
    assert [c.value for c in summary[1]] == FINDING_COLUMNS
    assert summary.cell(row=2, column=FINDING_COLUMNS.index("value") + 1).value == "'" + HYPERLINK

    sheet = workbook["evidence.csv"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["row", "message", "biennium"]
    assert sheet.freeze_panes == "C2"  # row number and message stay in view
    first = {name: sheet.cell(row=2, column=i + 1) for i, name in enumerate(header)}
    assert first["row"].value == 2
    assert first["region"].fill.fgColor.rgb.endswith("FFC7CE")
    assert first["country"].fill.fgColor.rgb in (None, "00000000")
    assert first["region"].value == "'" + HYPERLINK and first["region"].data_type == "s"
    assert "region: The region must be one of" in first["message"].value
    third = {name: sheet.cell(row=4, column=i + 1) for i, name in enumerate(header)}
    assert third["result_achieved"].fill.fgColor.rgb.endswith("FFC7CE")
    assert third["message"].value == "result_achieved: The result achieved is empty."
    good = {name: sheet.cell(row=5, column=i + 1) for i, name in enumerate(header)}
    assert good["ilo_contribution"].value == "'=SUM(A1:A9) is how the office counted"
    assert good["message"].value is None
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)  # no formula anywhere
    assert not no_database.exists()


def test_progress_lines_on_a_terminal_only(
    sample_package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = validate(sample_package, "--report-dir", tmp_path)  # CliRunner: not a terminal
    assert code == 0 and "…" not in output and "reading" not in output
    terminal = io.StringIO()
    monkeypatch.setattr(cli, "errors", Console(file=terminal, force_terminal=True, width=200))
    code, output = validate(sample_package, "--report-dir", tmp_path)
    assert code == 0 and "…" not in output
    lines = [line.strip() for line in Text.from_ansi(terminal.getvalue()).plain.splitlines()]
    assert lines == ["… reading 3 file(s)", "… validating 65 row(s)", "… writing the validation report"]


def test_an_unreadable_file_is_a_critical_finding_naming_it(sample_package: Path, tmp_path: Path) -> None:
    (sample_package / "evidence" / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    code, output = validate(sample_package, "--report-dir", tmp_path)
    assert code == 1
    # in a pipe, one plain line per finding: file:sheet:row: column: rule: message
    assert "evidence/broken.xlsx::: : file_readable: The file cannot be read" in output
    assert "65 row(s) read" in output  # the readable file is still checked
    findings = errors(tmp_path / "validation-report.csv")
    assert list(findings[["severity", "file", "rule"]].itertuples(index=False, name=None)) == [
        ("critical", "evidence/broken.xlsx", "file_readable")
    ]
    assert "not a readable Excel workbook" in findings.loc[0, "message"]
    assert "broken.xlsx" in load_workbook(tmp_path / "validation-report.xlsx").sheetnames


def test_a_package_without_framework_is_a_critical_finding(sample_package: Path, tmp_path: Path) -> None:
    (sample_package / "framework.yaml").unlink()
    code, output = validate(sample_package, "--report-dir", tmp_path)
    assert code == 1
    assert "no framework.yaml" in output


def test_a_single_file_with_a_framework(sample_package: Path, tmp_path: Path, no_database: Path) -> None:
    loose = tmp_path / "loose" / "tunisia.csv"
    loose.parent.mkdir()
    shutil.copy(sample_package / EVIDENCE, loose)
    code, output = validate(loose, "--framework", SAMPLE / "framework.yaml", "--report-dir", tmp_path / "r")
    assert code == 0, output
    assert "65 row(s) read, 0 finding(s)" in output
    assert load_workbook(tmp_path / "r" / "validation-report.xlsx").sheetnames == ["findings", "tunisia.csv"]

    spoil(sample_package)
    code, output = validate(sample_package / EVIDENCE, "--report-dir", tmp_path / "r")  # framework.yaml above
    assert code == 1 and set(errors(tmp_path / "r" / "validation-report.csv")["row"]) == {"2", "3", "4"}


def test_a_single_file_uses_the_framework_of_an_earlier_ingest(
    sample_package: Path, tmp_path: Path, no_database: Path
) -> None:
    loose = tmp_path / "loose" / "tunisia.csv"
    loose.parent.mkdir()
    shutil.copy(sample_package / EVIDENCE, loose)
    code, output = validate(loose, "--report-dir", tmp_path)
    assert code == 2 and "give --framework" in output

    from reporting import settings
    from reporting.store.database import upgraded_engine
    from tests.test_storage import ingest

    ingest(upgraded_engine(settings.database_url()), sample_package, tmp_path / "archive")
    code, output = validate(loose, "--report-dir", tmp_path)
    assert code == 0, output


def test_misuse_exits_2(tmp_path: Path) -> None:
    assert validate(tmp_path / "nowhere")[0] == 2
    assert validate(SAMPLE, "--no-such-option")[0] == 2
    bad = tmp_path / "framework.yaml"
    bad.write_text("biennium: 2014\n", encoding="utf-8")
    code, output = validate(SAMPLE, "--framework", bad, "--report-dir", tmp_path)
    assert code == 2 and "biennium" in output


@pytest.mark.parametrize(
    ("typed", "exported"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Viet Nam", "Viet Nam"),
        (7, 7),
    ],
)
def test_neutralise(typed: object, exported: object) -> None:
    assert neutralise(typed) == exported


def test_sheet_titles_fit_excel_and_stay_unique() -> None:
    from reporting.intake.feedback import _sheet_titles

    long = "two_sheets_and_instructions_long_name.xlsx"
    names = [
        f"evidence/{long}",
        f"evidence/more/{long}",
        "evidence/a[1]?.csv",
        "'quoted'",
        "evidence/History.csv",
        "history",
        "x\x1b[31mred\nline.csv",
        "FINDINGS",
        "\N{GRINNING FACE}" * 40 + ".csv",
    ]
    titles = _sheet_titles(names, {"findings"})
    assert list(titles.values()) == [
        "two_sheets_and_instruction.xlsx",
        "two_sheets_and_instructi~2.xlsx",
        "a_1__.csv",
        "quoted",
        "History.csv",
        "history~2",  # "History" itself is Excel's
        "x\N{REPLACEMENT CHARACTER}_31mred\N{REPLACEMENT CHARACTER}line.csv",
        "FINDINGS~2",
        "\N{GRINNING FACE}" * 13 + ".csv",  # 31 UTF-16 units: each face counts two
    ]
    assert all(len(t.encode("utf-16-le")) <= 62 for t in titles.values())


def test_submitted_headers_and_markup_like_text_stay_text(sample_package: Path, tmp_path: Path) -> None:
    """A column header is submitted text too (neutralised in the workbook), and `[/]` in a title is
    printed as typed, not read as console markup."""
    rows = pd.read_csv(sample_package / EVIDENCE, dtype=str, keep_default_na=False)
    rows.loc[0, "cpo_title"] = "Capacités [/] renforcées [bold]"
    rows.loc[0, "region"] = "Europe"
    rows[HYPERLINK] = "1"
    rows.to_csv(sample_package / EVIDENCE, index=False)
    code, output = validate(sample_package, "--report-dir", tmp_path / "report")
    assert code == 1, output
    header = [
        c.value for c in load_workbook(tmp_path / "report" / "validation-report.xlsx")["evidence.csv"][1]
    ]
    assert "'" + HYPERLINK.lower() in header
    assert not any(str(v).startswith("=") for v in header)


def test_history_lists_a_first_delivery(
    sample_package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reporting.intake.readers import read_package
    from reporting.intake.validate import validate_package
    from reporting.store.database import upgraded_engine
    from reporting.store.deliveries import store_package

    url = f"sqlite:///{tmp_path / 'history.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    package = read_package(sample_package)
    checked = validate_package(package)
    store_package(
        upgraded_engine(url),
        package,
        checked.evidence.clean,
        checked.rejected,
        checked.targets.clean,
        tmp_path / "a",
    )
    outcome = runner.invoke(cli.app, ["history", "2014-15"])
    assert outcome.exit_code == 0, outcome.output
    assert "evidence/evidence.csv" in outcome.output and "current" in outcome.output


def test_a_malformed_framework_beside_a_single_file_is_a_misuse(tmp_path: Path) -> None:
    shutil.copy(SAMPLE / EVIDENCE, tmp_path / "evidence.csv")
    (tmp_path / "framework.yaml").write_text("biennium: 2014-15\noutcomes: [", encoding="utf-8")
    code, output = validate(tmp_path / "evidence.csv", "--report-dir", tmp_path / "report")
    assert code == 2
    assert "framework.yaml" in output and "Traceback" not in output


def test_links_are_not_followed_and_named(sample_package: Path, tmp_path: Path) -> None:
    """`evidence/passwd.csv → /etc/passwd` is a critical finding, never a sheet of the report."""
    (sample_package / "evidence" / "passwd.csv").symlink_to("/etc/passwd")
    (sample_package / "evidence" / "etc").symlink_to("/etc", target_is_directory=True)
    code, output = validate(sample_package, "--report-dir", tmp_path)
    assert code == 1 and "65 row(s) read" in output
    findings = errors(tmp_path / "validation-report.csv")
    assert findings[["file", "rule"]].values.tolist() == [
        ["evidence/etc", "file_is_not_a_link"],
        ["evidence/passwd.csv", "file_is_not_a_link"],
    ]
    workbook = load_workbook(tmp_path / "validation-report.xlsx")
    assert workbook.sheetnames == ["findings", "evidence.csv"]
    assert "root:" not in (tmp_path / "validation-report.csv").read_text(encoding="utf-8-sig")


def test_files_not_read_are_named_and_what_is_readable_is_read(sample_package: Path, tmp_path: Path) -> None:
    evidence = sample_package / "evidence"
    rows = pd.read_csv(evidence / "evidence.csv", dtype=str, keep_default_na=False)
    rows.head(4).to_csv(evidence / "more.tsv", sep="\t", index=False)
    (evidence / "results.txt").write_text("Results to follow.\n", encoding="utf-8")
    (evidence / "IMPORTANT.CSV.bak").write_text("biennium\n", encoding="utf-8")
    code, output = validate(sample_package, "--report-dir", tmp_path)
    assert code == 0, output  # warnings and advice only: nothing would be set aside
    assert "69 row(s) read" in output
    findings = pd.read_csv(tmp_path / "validation-report.csv", dtype=str, keep_default_na=False)
    named = findings[findings["rule"].isin(["file_not_read", "note_not_read"])]
    assert sorted(named["file"]) == ["README.md", "evidence/IMPORTANT.CSV.bak", "evidence/results.txt"]
    assert "more.tsv" in load_workbook(tmp_path / "validation-report.xlsx").sheetnames


def test_hostile_file_names_give_findings_and_a_sound_report(sample_package: Path, tmp_path: Path) -> None:
    """A name with control characters is a critical finding (the file is not read); the report's sheet
    titles are all valid for Excel, and the terminal receives no escape sequence."""
    evidence = sample_package / "evidence"
    names = [
        "x\x1b[31mred.csv",
        "'quoted'.csv",
        "History.csv",
        "a[1]:*?.csv",
        "EVIDENCE.CSV",
        "line\nbreak.csv",
    ]
    for name in names:
        shutil.copy(evidence / "evidence.csv", evidence / name)
    (evidence / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    code, output = validate(sample_package, "--report-dir", tmp_path)
    assert code == 1 and "\x1b" not in output and "Traceback" not in output
    findings = pd.read_csv(tmp_path / "validation-report.csv", dtype=str, keep_default_na=False)
    assert set(findings.loc[findings["rule"] == "file_name_printable", "file"]) == {
        "evidence/x\N{REPLACEMENT CHARACTER}[31mred.csv",
        "evidence/line\N{REPLACEMENT CHARACTER}break.csv",
    }
    assert set(findings.loc[findings["rule"] == "file_readable", "file"]) == {"evidence/deep.json"}
    titles = load_workbook(tmp_path / "validation-report.xlsx").sheetnames
    assert (
        len(titles) == len({t.casefold() for t in titles}) == 7
    )  # findings, evidence.csv, 4 copies, deep.json
    for title in titles:
        assert len(title) <= 31 and not title.startswith("'") and not title.endswith("'")
        assert not set(title) & set("[]:*?/\\\n\x1b") and title.casefold() != "history"


def test_the_report_files_appear_whole_or_not_at_all(
    sample_package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report that fails half-way leaves the earlier files whole and no temporary file behind."""
    from openpyxl import Workbook

    report = tmp_path / "report"
    validate(sample_package, "--report-dir", report)
    before = {p.name: p.read_bytes() for p in report.iterdir()}
    assert set(before) == {"validation-report.xlsx", "validation-report.csv"}

    save = Workbook.save

    def disk_full_at_the_end(self: Workbook, filename: str) -> None:
        save(self, filename)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Workbook, "save", disk_full_at_the_end)
    spoil(sample_package)
    outcome = runner.invoke(cli.app, ["validate", str(sample_package), "--report-dir", str(report)])
    assert isinstance(outcome.exception, OSError)
    assert {p.name: p.read_bytes() for p in report.iterdir()} == before


def test_above_the_workbook_rows_the_workbook_holds_the_most_severe_findings_and_their_rows(
    sample_package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_database: Path
) -> None:
    """A large package gets a workbook bounded in size (and says so in it and on the console); the CSV
    keeps every finding."""
    monkeypatch.setattr(feedback, "WORKBOOK_ROWS", 2)
    spoil(sample_package)
    report = tmp_path / "report"
    code, output = validate(sample_package, "--report-dir", report)
    assert code == 1
    assert " ".join(output.split()).count("65 rows were read, more than the 2 a workbook shows") == 1
    findings = pd.read_csv(report / "validation-report.csv", dtype=str, keep_default_na=False)
    assert len(findings) > 2
    workbook = load_workbook(report / "validation-report.xlsx")
    assert workbook.sheetnames == ["abridged", "findings", "evidence.csv"]
    assert "holds the 2 most severe of the" in workbook["abridged"]["A1"].value
    shown = [[str(c.value or "") for c in r] for r in workbook["findings"].iter_rows(min_row=2)]
    assert shown == findings.head(2).values.tolist()
    rows = [r[0].value for r in workbook["evidence.csv"].iter_rows(min_row=2)]
    assert rows == sorted({int(r) for r in findings.head(2)["row"]})


def test_the_validation_loads_pandera_as_it_is() -> None:
    """No import trick hides hypothesis from pandera (issue 21): in a process that loaded the validation,
    pandera can still synthesise data, as its documentation says."""
    import subprocess
    import sys

    script = (
        "import reporting.intake.validate\nimport pandera.pandas as pa\n"
        "print(len(pa.DataFrameSchema({'a': pa.Column(int)}).example(size=2)))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "2", done.stderr[-500:]


def test_many_findings_print_the_first_then_counts_per_rule(sample_package: Path, tmp_path: Path) -> None:
    rows = pd.read_csv(sample_package / EVIDENCE, dtype=str, keep_default_na=False)
    rows["result_achieved"] = ""  # 65 errors
    rows.loc[:9, "region"] = "Atlantis"  # and 10 more, of another rule
    rows.to_csv(sample_package / EVIDENCE, index=False)
    code, output = validate(sample_package, "--report-dir", tmp_path)
    assert code == 1
    lines = output.splitlines()
    assert sum(": result_achieved: " in line for line in lines) == cli.FINDING_LINES - 10  # plain lines
    every = pd.read_csv(tmp_path / "validation-report.csv", dtype=str, keep_default_na=False)
    assert len(errors(tmp_path / "validation-report.csv")) == 75  # the files keep every one
    assert f"{len(every)} finding(s), {cli.FINDING_LINES} shown above; all of them: " in output
    assert str(tmp_path / "validation-report.csv") in output
    counts = [line.strip() for line in lines if line.startswith("  ")]
    assert "65 error result_achieved_filled" in counts and "10 error region_is_one_of_five" in counts
