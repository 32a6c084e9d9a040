"""The Excel submission template of a framework: the evidence sheet country offices fill in, with
dropdowns where the contract allows only listed values, and the criteria texts in full beside it, so a
file filled in from the template passes validation the first time.

The framework's texts are written as text, never as formulas (`escaping.workbook_cell`), and the file
appears complete or not at all (`outputs.written_in_place`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reporting.escaping import workbook_cell
from reporting.framework import Framework
from reporting.outputs import written_in_place
from reporting.vocabulary import (
    EVIDENCE_COLUMNS,
    EVIDENCE_TYPOLOGIES,
    OPTIONAL_EVIDENCE_COLUMNS,
    REGIONS,
    YES_NO,
)

ROWS = 5000
"""How many rows the dropdowns and text formats cover."""
LINE = 95
"""About how many characters fit on one line of the instructions' text column (110 wide)."""

GUIDANCE: dict[str, str] = {
    "biennium": "The biennium, YYYY-YY (e.g. 2014-15): pick it from the list.",
    "outcome": "The outcome number, from the list (see the instructions sheet).",
    "indicator": "The indicator of that outcome, from the list (e.g. 7.1).",
    "region": "One of the five regions, from the list.",
    "country": "The country as written (e.g. Viet Nam), or the region or body for a regional/global CPO.",
    "cpo_code": "Three capital letters and three digits (e.g. ZWE131): the ISO alpha-3 code of the country, "
    "or RAS, RAF, RER, GLO, ... for a regional or global CPO.",
    "cpo_title": "The CPO's title (may be left blank on every row of a CPO but one).",
    "criterion": "The number of ONE measurement criterion the CPO meets for this indicator: one row per "
    "criterion met.",
    "result_achieved": "What the country did (several paragraphs, French or Spanish are fine).",
    "ilo_contribution": "What the Office did.",
    "typology": "Optional. One or more of the typologies, separated by ';'.",
    "gender_specific": "Optional. yes or no.",
    "submitted_by": "Optional. Who prepared this row.",
}
WIDE = {"cpo_title": 40, "result_achieved": 60, "ilo_contribution": 60, "typology": 30, "country": 22}
TEXT_COLUMNS = ("biennium", "outcome", "indicator", "cpo_code")
"""Kept as text so Excel does not turn 7.10 into 7.1 or 2014-15 into a date."""


def _lists(framework: Framework) -> dict[str, list[Any]]:
    """The allowed values of each dropdown, one column of the hidden `lists` sheet each."""
    return {
        "biennium": [framework.biennium],
        "outcome": [o.id for o in framework.outcomes],
        "indicator": [i.id for o in framework.outcomes for i in o.indicators],
        "region": list(REGIONS),
        "criterion": sorted({c.number for o in framework.outcomes for i in o.indicators for c in i.criteria}),
        "typology": list(EVIDENCE_TYPOLOGIES),
        "gender_specific": list(YES_NO),
    }


def _instructions(sheet: Any, framework: Framework, columns: list[str]) -> None:
    from openpyxl.styles import Alignment, Font

    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 110
    lines: list[tuple[str, str, bool]] = [
        (framework.biennium, "Results submission: how to fill in this template", True),
        ("", "Fill in the 'evidence' sheet: one row per measurement criterion that a country programme "
         "outcome (CPO) meets for one indicator. A CPO that meets criteria 1 and 3 of indicator 7.1 has "
         "two rows. Save as .xlsx and send it; run `reporting validate FILE` to check it first.", False),
        ("", "", False),
        ("Column", "What to write (columns in bold on the evidence sheet are required)", True),
        *((c, GUIDANCE[c], False) for c in columns),
        ("", "", False),
        ("Measurement criteria", "A CPO result is reportable for an indicator when it meets at least the "
         "number of distinct criteria shown.", True),
    ]  # fmt: skip
    for outcome in framework.outcomes:
        lines.append((f"Outcome {outcome.id}", outcome.title, True))
        for indicator in outcome.indicators:
            lines.append((f"Indicator {indicator.id}", indicator.title, True))
            threshold = (
                f"To be counted as reportable, results must meet at least {indicator.min_criteria} "
                "of the following criteria:"
            )
            lines.append(("", indicator.reportability or threshold, False))
            lines.extend((f"criterion {c.number}", c.text, False) for c in indicator.criteria)
    for label, text, strong in lines:
        sheet.append([workbook_cell(label), workbook_cell(text)])
        sheet.row_dimensions[sheet.max_row].height = 15 * (1 + len(text) // LINE)  # wrapped text
        for cell in sheet[sheet.max_row]:
            cell.alignment = wrap
            if strong:
                cell.font = bold


def write_submission_template(framework: Framework, out: Path) -> Path:
    """Write the template: `evidence` (header frozen, dropdowns, text formats), `instructions` (every
    column explained, the criteria texts in full) and a hidden `lists` sheet the dropdowns read."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = [*EVIDENCE_COLUMNS, *OPTIONAL_EVIDENCE_COLUMNS]
    workbook = Workbook()
    evidence = workbook.active
    evidence.title = "evidence"
    evidence.append(columns)
    evidence.freeze_panes = "A2"
    required_fill = PatternFill("solid", start_color="D9E1F2", end_color="D9E1F2")
    for position, name in enumerate(columns, start=1):
        letter = get_column_letter(position)
        header = evidence.cell(row=1, column=position)
        header.font = Font(bold=name in EVIDENCE_COLUMNS)
        header.fill = required_fill if name in EVIDENCE_COLUMNS else PatternFill()
        header.comment = Comment(GUIDANCE[name], "template")
        header.alignment = Alignment(vertical="top")
        dimension = evidence.column_dimensions[letter]
        dimension.width = WIDE.get(name, max(12, len(name) + 4))
        if name in TEXT_COLUMNS:
            dimension.number_format = "@"
        if name in WIDE:
            dimension.alignment = Alignment(wrap_text=True, vertical="top")

    lists = workbook.create_sheet("lists")
    for position, (name, values) in enumerate(_lists(framework).items(), start=1):
        letter = get_column_letter(position)
        lists.cell(row=1, column=position, value=f"{name} values")
        for offset, value in enumerate(values, start=2):
            lists.cell(row=offset, column=position, value=workbook_cell(value))
        target = get_column_letter(columns.index(name) + 1)
        free_text = name == "typology"  # several typologies may be given, separated by ';'
        validation = DataValidation(
            type="list",
            formula1=f"=lists!${letter}$2:${letter}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=not free_text,
            errorTitle=f"Not a {name} of the framework",
            error=GUIDANCE[name],
            promptTitle=name,
            prompt=GUIDANCE[name][:255],
            showInputMessage=True,
        )
        validation.add(f"{target}2:{target}{ROWS + 1}")
        evidence.add_data_validation(validation)
    lists.sheet_state = "hidden"

    _instructions(workbook.create_sheet("instructions", 1), framework, columns)
    for printed in (evidence, workbook["instructions"]):  # printed landscape, one page wide
        printed.page_setup.orientation = "landscape"
        printed.page_setup.fitToWidth, printed.page_setup.fitToHeight = 1, 0
        printed.sheet_properties.pageSetUpPr.fitToPage = True
    with written_in_place(out) as temporary:
        workbook.save(temporary)
    return out
