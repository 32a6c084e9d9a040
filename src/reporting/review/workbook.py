"""The review sheet reviewers work in: one row per CPO result with a decision dropdown and a comment
column, written by `reporting review export` and read back by `reporting review import`.

Each row carries the version of the rows it shows (a hidden column), so a decision taken on rows that
have changed since the export is refused for that row, with the reason.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from reporting.errors import PackageError
from reporting.escaping import workbook_cell
from reporting.intake.readers import refuse_zip_bomb
from reporting.outputs import written_in_place
from reporting.review.results import ACTIONS, Decision, ReviewError

SHEET = "review"
SHOWN = {
    "biennium": ("biennium", 10),
    "region": ("region", 14),
    "country": ("country", 16),
    "cpo_code": ("CPO", 9),
    "cpo_title": ("CPO title", 30),
    "indicator": ("indicator", 9),
    "criteria": ("criteria met", 12),
    "reportable": ("reportable", 10),
    "texts": ("texts", 70),
    "status": ("status", 11),
    "comment": ("last comment", 25),
    "version": ("version", 4),
}
DECISION, COMMENT = "decision", "comment for the office"


def export_sheet(results: pd.DataFrame, out: Path) -> Path:
    """Write the review sheet of `results` (results_frame rows) to `out`, complete or not at all."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    headers = [title for title, _ in SHOWN.values()] + [DECISION, COMMENT]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in results.itertuples(index=False):
        values = [getattr(row, column) for column in SHOWN]
        values[list(SHOWN).index("reportable")] = "yes" if row.reportable else "no"
        sheet.append([workbook_cell(str(v)) for v in values] + ["", ""])
    for index, (_, width) in enumerate([*SHOWN.values(), (DECISION, 12), (COMMENT, 40)], start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    version = sheet.cell(1, list(SHOWN).index("version") + 1).column_letter
    sheet.column_dimensions[version].hidden = True
    texts = list(SHOWN).index("texts") + 1
    for cells in sheet.iter_rows(min_row=2, min_col=texts, max_col=texts):
        cells[0].alignment = Alignment(wrap_text=True, vertical="top")
    decision = sheet.cell(1, len(SHOWN) + 1).column_letter
    dropdown = DataValidation(type="list", formula1=f'"{",".join(ACTIONS)}"', allow_blank=True)
    dropdown.add(f"{decision}2:{decision}{max(2, len(results) + 1)}")
    sheet.add_data_validation(dropdown)
    sheet.freeze_panes = "A2"
    with written_in_place(out) as partial:
        book.save(partial)
    return out


def read_decisions(path: Path, by: str) -> tuple[str, list[Decision]]:
    """The biennium and the decisions of a filled-in review sheet (rows without a decision are left)."""
    try:
        content = path.read_bytes()
        refuse_zip_bomb(content, path.name)  # before anything inflates it, as for a submission
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except PackageError as refused:
        raise ReviewError(str(refused)) from None
    except Exception as exc:
        raise ReviewError(f"{path}: not a review sheet ({exc})") from None
    if SHEET not in book.sheetnames:
        raise ReviewError(f"{path}: no sheet named {SHEET!r} (write one with reporting review export)")
    rows = [
        ["" if v is None else str(v).strip() for v in row] for row in book[SHEET].iter_rows(values_only=True)
    ]
    book.close()
    expected = [title for title, _ in SHOWN.values()] + [DECISION, COMMENT]
    if not rows or rows[0][: len(expected)] != expected:
        raise ReviewError(f"{path}: its header is not the review sheet's ({', '.join(expected)})")
    named = {title: n for n, title in enumerate(expected)}

    def cell(row: list[str], title: str) -> str:
        return row[named[title]] if len(row) > named[title] else ""

    decisions = [
        Decision(
            indicator=cell(row, "indicator"),
            cpo_code=cell(row, "CPO"),
            action=cell(row, DECISION),
            by=by,
            comment=cell(row, COMMENT),
            version=cell(row, "version"),
        )
        for row in rows[1:]
        if cell(row, DECISION)
    ]
    bienniums = {row[named["biennium"]] for row in rows[1:] if row and row[0]}
    if len(bienniums) != 1:
        raise ReviewError(
            f"{path}: a review sheet is for one biennium (found: {', '.join(sorted(bienniums))})"
        )
    return bienniums.pop(), decisions
