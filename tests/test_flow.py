"""The `biennial-report` flow under Prefect's test harness, and the `reporting build` command."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from reporting.cli import app
from tests.test_sample_package import EXPECTED_CSV

pytestmark = pytest.mark.usefixtures("prefect_harness")
runner = CliRunner()


def test_flow_builds_the_sample_report(sample_package: Path, tmp_path: Path) -> None:
    from reporting.flows.biennial_report import biennial_report

    state = biennial_report(package=str(sample_package), out=str(tmp_path / "out"), return_state=True)
    assert state.is_completed()
    result = state.result()
    assert Path(result["docx"]).name == "implementation-report-2014-15.docx"
    assert Path(result["docx"]).stat().st_size > 20_000
    assert Path(result["summary_csv"]).read_text(encoding="utf-8") == EXPECTED_CSV
    assert result["rows_ingested"] == 65 and result["rows_rejected"] == 0


def test_the_publication_date_asked_of_the_flow_is_on_the_cover(sample_package: Path, tmp_path: Path) -> None:
    from reporting.flows.biennial_report import biennial_report

    for day, shown in (("2016-03-31", "31 March 2016"), ("2016-04-01", "1 April 2016")):  # not a cached cover
        result = biennial_report(package=str(sample_package), out=str(tmp_path / "out"), publication_date=day)
        assert shown in (Path(result["docx"]).parent / "report.md").read_text(encoding="utf-8")


def test_build_command_writes_both_files(sample_package: Path, tmp_path: Path) -> None:
    outcome = runner.invoke(app, ["build", str(sample_package), "--out", str(tmp_path / "o")])
    assert outcome.exit_code == 0, outcome.output
    assert (tmp_path / "o" / "en" / "implementation-report-2014-15.docx").is_file()  # OUT/<language>/
    assert (tmp_path / "o" / "en" / "indicator_summary.csv").is_file()
    rows = [line.split() for line in outcome.output.splitlines()]
    assert any(row[:2] == ["7", "7.1"] and row[-1] == "13" for row in rows), outcome.output  # achieved
    assert "65 evidence rows read, 0 rejected" in outcome.output


def test_rejected_rows_are_reported_not_fatal_unless_strict(sample_package: Path, tmp_path: Path) -> None:
    evidence = sample_package / "evidence" / "evidence.csv"
    frame = pd.read_csv(evidence, dtype=str, keep_default_na=False)
    frame.loc[0, "region"] = "Europe"
    frame.to_csv(evidence, index=False)

    lenient = runner.invoke(app, ["build", str(sample_package), "--out", str(tmp_path / "a")])
    assert lenient.exit_code == 0, lenient.output
    assert "1 rejected" in lenient.output

    strict = runner.invoke(app, ["build", str(sample_package), "--out", str(tmp_path / "b"), "--strict"])
    assert strict.exit_code == 1
    assert "rejected" in strict.output and "Traceback" not in strict.output
    assert not (tmp_path / "b" / "en" / "indicator_summary.csv").exists()


def test_a_package_without_framework_fails_with_one_line(sample_package: Path, tmp_path: Path) -> None:
    (sample_package / "framework.yaml").unlink()
    outcome = runner.invoke(app, ["build", str(sample_package), "--out", str(tmp_path / "o")])
    assert outcome.exit_code == 1
    assert "no framework.yaml" in outcome.output
    assert "Traceback" not in outcome.output
    assert len(outcome.output.strip().splitlines()) == 1


def test_an_unreadable_evidence_file_fails_with_one_line(sample_package: Path, tmp_path: Path) -> None:
    (sample_package / "evidence" / "broken.xlsx").write_bytes(b"not a workbook")
    outcome = runner.invoke(app, ["build", str(sample_package), "--out", str(tmp_path / "o")])
    assert outcome.exit_code == 1
    assert "broken.xlsx" in outcome.output and "Traceback" not in outcome.output


def test_every_unreadable_file_is_named_in_the_runs_message(sample_package: Path, tmp_path: Path) -> None:
    from reporting.flows.biennial_report import biennial_report

    names = [f"broken-{n}.xlsx" for n in range(8)]
    for name in names:
        (sample_package / "evidence" / name).write_bytes(b"not a workbook")
    state = biennial_report(package=str(sample_package), out=str(tmp_path / "o"), return_state=True)
    assert state.is_failed()
    message = str(state.message)
    assert message.count("\n") == 0 and "8 file(s) cannot be read" in message
    assert "broken-0.xlsx" in message and "and 2 more" in message
    assert sum(name in message for name in names) == 6  # the first with its reason, then five by name


def test_an_edited_report_is_kept_before_a_rebuild_writes_a_new_one(
    sample_package: Path, tmp_path: Path
) -> None:
    from docx import Document

    out = tmp_path / "o"
    first = runner.invoke(app, ["build", str(sample_package), "--out", str(out)])
    assert first.exit_code == 0, first.output
    report = out / "en" / "implementation-report-2014-15.docx"
    edited = Document(str(report))
    edited.add_paragraph("Reviewed by the programming unit.")
    edited.save(str(report))
    edited_bytes = report.read_bytes()

    again = runner.invoke(app, ["build", str(sample_package), "--out", str(out)])
    assert again.exit_code == 0, again.output
    (kept,) = report.parent.glob("implementation-report-2014-15.edited-*.docx")
    assert kept.read_bytes() == edited_bytes
    assert "kept as" in again.output and kept.name in again.output
    assert report.read_bytes() != edited_bytes and Document(str(report)).paragraphs

    unchanged = runner.invoke(app, ["build", str(sample_package), "--out", str(out)])
    assert (
        unchanged.exit_code == 0 and len(list(report.parent.glob("*.edited-*.docx"))) == 1
    )  # nothing new to keep


def test_out_naming_a_file_fails_at_once_in_one_line(sample_package: Path, tmp_path: Path) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from reporting.flows.biennial_report import biennial_report

    not_a_folder = tmp_path / "report.txt"
    not_a_folder.write_text("a file")
    state = biennial_report(package=str(sample_package), out=str(not_a_folder), return_state=True)
    assert state.is_failed()
    assert "not a directory" in str(state.message) and str(not_a_folder) in str(state.message)
    deadline = time.monotonic() + 60
    renders: list[Any] = []
    with get_client(sync_client=True) as client:  # task runs are written asynchronously: wait for it
        while not (renders and renders[0].state and renders[0].state.is_final()):
            assert time.monotonic() < deadline, f"the render task run was not recorded final: {renders}"
            tasks = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
            )
            renders = [t for t in tasks if t.task_key.startswith("render")]
            time.sleep(0.2)
    (render,) = renders
    assert render.run_count == 1  # not retried: the same call gives the same answer
    outcome = runner.invoke(app, ["build", str(sample_package), "--out", str(not_a_folder)])
    assert outcome.exit_code == 1 and "Traceback" not in outcome.output
    (error,) = [line for line in outcome.output.splitlines() if not line.startswith("warning: ")]
    assert error.startswith(f"error: not a directory: {not_a_folder}/")  # its edition's folder in it


def test_a_build_names_every_entry_and_sheet_it_does_not_read(sample_package: Path, tmp_path: Path) -> None:
    from reporting.flows.biennial_report import biennial_report

    evidence = sample_package / "evidence"
    (evidence / "IMPORTANT.CSV.bak").write_bytes((evidence / "evidence.csv").read_bytes())
    (evidence / "passwd.csv").symlink_to("/etc/passwd")
    result = biennial_report(package=str(sample_package), out=str(tmp_path / "o"))
    findings = result["findings_table"]
    named = dict(zip(findings["file"], findings["rule"], strict=True))
    assert named["evidence/IMPORTANT.CSV.bak"] == "file_not_read"
    assert named["evidence/passwd.csv"] == "file_is_not_a_link"
    assert result["rows_ingested"] == 65  # the copy and the link added no row
