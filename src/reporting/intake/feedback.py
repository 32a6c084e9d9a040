"""Feedback to submitters: check a package or a single file without storing anything (a dry run), and
write what was found where a submitter can act on it — a workbook with their own rows, the offending
cells highlighted and a message column, plus the findings as CSV.

Text written to either file is neutralised against formula injection: a cell that starts with `=`,
`+`, `-` or `@` is prefixed with `'`, so a spreadsheet shows it as typed and never runs it. Both files
are written under a temporary name and renamed into place: a killed run never leaves half a report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
from rich.table import Table
from rich.text import Text

from reporting import settings
from reporting.errors import PackageError
from reporting.escaping import csv_text, workbook_cell
from reporting.framework import Framework, load_framework
from reporting.intake.readers import Package, ReceivedFile, file_intake, read_received
from reporting.intake.text_cleaning import printable
from reporting.intake.validate import (
    FINDING_COLUMNS,
    SEVERITIES,
    PackageValidation,
)
from reporting.outputs import write_text, written_in_place
from reporting.schemas.rules import filtered
from reporting.vocabulary import SOURCE_COLUMNS

BLOCKING = ("critical", "error")
"""Severities that make `reporting validate` exit 1: something submitted will not be used."""
TABLE_ROLES = ("evidence", "targets", "outputs", "examples")
FILL = {"critical": "FFC7CE", "error": "FFC7CE", "warning": "FFEB9C", "advice": "DDEBF7"}
REPORT_XLSX = "validation-report.xlsx"
REPORT_CSV = "validation-report.csv"
SHEET_TITLE_UNITS = 31
"""Excel's limit on a sheet title, in UTF-16 code units (a character beyond U+FFFF counts two)."""
SHEET_TITLE_UNSAFE = re.compile(r"[\[\]:*?\\]")
RESERVED_SHEET_TITLES = {"history"}
"""Excel keeps "History" for itself (a workbook with such a sheet is "repaired" on opening)."""
WORKBOOK_ROWS = 5_000
"""A check of more rows than this writes a workbook of its 5,000 most severe findings and only the rows
they point at (the CSV keeps every finding): openpyxl writes about 2,000 rows a second, and a workbook of
every row of a million-row file took minutes and 405 MB — no one reads that, and the rows are theirs."""
ABRIDGED_SHEET = "abridged"


@dataclass(frozen=True)
class Checked:
    """A dry run's outcome: the files as received, every row read from them, and every finding."""

    files: tuple[ReceivedFile, ...]
    rows: pd.DataFrame
    """Every row read; above WORKBOOK_ROWS, only the rows the workbook's findings point at."""
    findings: pd.DataFrame
    rows_read: int = 0

    @property
    def blocking(self) -> bool:
        return bool(self.findings["severity"].isin(BLOCKING).any())

    @property
    def abridged(self) -> bool:
        """Whether the workbook holds only some findings and rows (more than WORKBOOK_ROWS were read)."""
        return self.rows_read > WORKBOOK_ROWS


def abridged_note(checked: Checked) -> str:
    """What an abridged workbook leaves out, said in it and on the console."""
    shown = min(len(checked.findings), WORKBOOK_ROWS)
    return (
        f"{checked.rows_read:,} rows were read, more than the {WORKBOOK_ROWS:,} a workbook shows: "
        f"{REPORT_XLSX} holds the {shown:,} most severe of the {len(checked.findings):,} findings and, "
        f"for each file, only the rows they point at. Every finding is in {REPORT_CSV}."
    )


def checked(package: Package, validation: PackageValidation) -> Checked:
    """A dry run's outcome (stages.dry_run) as the submitter reads it: the most severe findings first,
    every row read (above WORKBOOK_ROWS, the rows the workbook's findings point at: a large file's rows
    are not copied)."""
    findings = validation.findings
    order = findings["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    findings = findings.assign(_order=order).sort_values(["_order", "file", "row"], kind="stable")
    findings = findings.drop(columns="_order").astype({"row": "Int64"}).reset_index(drop=True)
    tables = [package.evidence, package.targets, package.outputs, package.examples]
    read = sum(len(t) for t in tables)
    if read > WORKBOOK_ROWS:
        tables = [_rows_shown(t, findings.head(WORKBOOK_ROWS)) for t in tables]
    rows = pd.concat(tables, ignore_index=True).dropna(axis="columns", how="all")
    return Checked(files=package.files, rows=rows, findings=findings, rows_read=read)


def _rows_shown(table: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    """The rows of `table` that `findings` point at (file, sheet and row). Their row numbers pick the
    few candidates first: a (file, sheet, row) key of every row of a large table would be a Python
    tuple each."""
    shown = pd.MultiIndex.from_frame(findings[["file", "sheet", "row"]].dropna())
    near = table["source_row"].isin(shown.get_level_values("row")).to_numpy(copy=True)
    keys = pd.DataFrame(filtered(table, list(SOURCE_COLUMNS), near))
    near[near] = pd.MultiIndex.from_frame(keys).isin(shown)
    return pd.DataFrame(filtered(table, list(table.columns), near))


def _cell(value: Any) -> Any:
    """A value as it may go in a workbook: missing is empty, text as `escaping.workbook_cell` makes it."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return workbook_cell(value)


def _cut(text: str, units: int) -> str:
    """The start of `text` in at most `units` UTF-16 code units, as Excel counts a title's length."""
    kept, used = [], 0
    for character in text:
        used += 2 if ord(character) > 0xFFFF else 1
        if used > units:
            break
        kept.append(character)
    return "".join(kept)


def _sheet_title(stem: str, suffix: str, mark: str) -> str:
    """`stem` cut to fit before `mark` (e.g. `~2`) and `suffix`; no apostrophe first or last."""
    fitted = _cut(stem, SHEET_TITLE_UNITS - len(mark) - len(suffix.encode("utf-16-le")) // 2)
    return (fitted + mark + suffix).strip("'") or f"file{mark}"


def _sheet_titles(names: Iterable[str], taken: set[str]) -> dict[str, str]:
    """Excel sheet titles, one per file (its name without folders): at most 31 characters, none of
    []:*?/\\ or a control character, no apostrophe first or last, unique ignoring case and never a
    title Excel keeps for itself; a long name keeps its extension and loses the end of its stem."""
    used = {t.casefold() for t in taken} | RESERVED_SHEET_TITLES
    titles = {}
    for name in names:
        path = PurePosixPath(SHEET_TITLE_UNSAFE.sub("_", printable(name)))
        stem, suffix = path.stem, _cut(path.suffix, 8)
        title, n = _sheet_title(stem, suffix, ""), 1
        while title.casefold() in used:
            n += 1
            title = _sheet_title(stem, suffix, f"~{n}")
        used.add(title.casefold())
        titles[name] = title
    return titles


def _file_sheet(
    workbook: Any, title: str, rows: pd.DataFrame, findings: pd.DataFrame, styles: dict[str, Any]
) -> None:
    """One submitted file: its rows as read, each finding's cell highlighted, and the messages in a
    column next to the row number (both stay in view while scrolling through the columns)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title)
    columns = [c for c in rows.columns if c not in SOURCE_COLUMNS]
    with_sheet = bool(rows["source_sheet"].astype(str).str.len().gt(0).any()) if len(rows) else False
    header = [*(["sheet"] if with_sheet else []), "row", "message", *columns]
    widths = {"sheet": 12, "row": 6, "message": 50} | {name: _width(name, rows[name]) for name in columns}
    _lay_out(
        sheet, [widths[name] for name in header], freeze=f"{get_column_letter(header.index('message') + 2)}2"
    )
    sheet.append([_header_cell(sheet, h, styles) for h in header])
    by_row: dict[tuple[str, int], list[dict[Any, Any]]] = {}
    for finding in findings.dropna(subset=["row"]).to_dict("records"):
        by_row.setdefault((str(finding["sheet"]), int(finding["row"])), []).append(finding)
    for at, record in enumerate(rows.to_dict("records"), start=2):
        found = by_row.get((str(record["source_sheet"]), int(record["source_row"])), [])
        marked = {str(f["column"]): str(f["severity"]) for f in found}
        message = "\n".join(f"{f['column']}: {f['message']}" for f in found) or None
        if message:  # tall enough for the wrapped message (no spreadsheet re-measures a written row)
            lines = sum(1 + len(line) // (widths["message"] - 2) for line in message.split("\n"))
            sheet.row_dimensions[at].height = 15 * lines
        values = {"sheet": record["source_sheet"], "row": record["source_row"], "message": message}
        cells = []
        for name in header:
            cell = WriteOnlyCell(sheet, value=_cell(values[name] if name in values else record[name]))
            if name in marked or (name == "row" and found and not marked.keys() & set(columns)):
                cell.fill = styles[marked.get(name, found[0]["severity"])]
            if name == "message":
                cell.alignment = styles["wrap"]
            cells.append(cell)
        sheet.append(cells)


def _width(name: str, values: pd.Series[Any]) -> int:
    """A column as wide as its header and most of its values, within 8 to 70 characters."""
    lengths = values.head(200).astype(str).fillna("").str.len()
    typical = int(lengths.quantile(0.9)) if len(lengths) else 0
    return max(8, min(70, max(len(name), typical) + 2))


def _lay_out(sheet: Any, widths: list[int], freeze: str = "A2") -> None:
    """Header row frozen, column widths, printed landscape one page wide."""
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = freeze
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _header_cell(sheet: Any, name: str, styles: dict[str, Any]) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=_cell(name))  # a header is submitted text too
    cell.font = styles["bold"]
    return cell


def _styles() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Font, PatternFill

    fills: dict[str, Any] = {s: PatternFill("solid", start_color=c, end_color=c) for s, c in FILL.items()}
    return {**fills, "bold": Font(bold=True), "wrap": Alignment(wrap_text=True, vertical="top")}


def write_report(checked: Checked, out_dir: Path) -> tuple[Path, Path]:
    """`validation-report.xlsx` (findings first, then one sheet per submitted table file) and
    `validation-report.csv` (the findings), both neutralised against formula injection."""
    from openpyxl import Workbook

    findings = checked.findings.head(WORKBOOK_ROWS) if checked.abridged else checked.findings
    styles = _styles()
    workbook = Workbook(write_only=True)
    if checked.abridged:
        note = workbook.create_sheet(ABRIDGED_SHEET)
        _lay_out(note, [120])
        note.append([_header_cell(note, abridged_note(checked), styles)])
    summary = workbook.create_sheet("findings")
    _lay_out(summary, [_width(name, findings[name]) for name in FINDING_COLUMNS])
    summary.append([_header_cell(summary, c, styles) for c in FINDING_COLUMNS])
    for record in findings.to_dict("records"):
        summary.append([_cell(record[c]) for c in FINDING_COLUMNS])
    tables = [f.name for f in checked.files if f.role in TABLE_ROLES]
    titles = _sheet_titles(tables, {"findings", ABRIDGED_SHEET})
    for name in tables:
        rows = checked.rows[checked.rows["source_file"] == name] if len(checked.rows) else checked.rows
        if not len(rows):
            rows = pd.DataFrame(columns=list(SOURCE_COLUMNS))
        mine = findings[findings["file"] == name]
        _file_sheet(workbook, titles[name], rows.dropna(axis="columns", how="all"), mine, styles)
    with written_in_place(out_dir / REPORT_XLSX) as temporary:
        workbook.save(temporary)
    csv = csv_text(checked.findings)  # every finding, whatever the workbook holds
    return out_dir / REPORT_XLSX, write_text(out_dir / REPORT_CSV, csv, encoding="utf-8-sig")


def findings_console_table(findings: pd.DataFrame, limit: int = 200) -> Table:
    """The console summary: one line per finding (file, sheet, row, column, rule, message)."""
    table = Table(title=f"{len(findings)} finding(s)", show_lines=False)
    for column in ("severity", "file", "sheet", "row", "column", "rule", "message"):
        table.add_column(column, overflow="fold", style="red" if column == "severity" else None)
    for record in findings.head(limit).to_dict("records"):
        row = "" if pd.isna(record["row"]) else str(record["row"])
        table.add_row(  # submitted text, never Rich markup nor a terminal's escape sequence
            *(_console_text(record[c]) for c in ("severity", "file", "sheet")),
            row,
            *(_console_text(record[c]) for c in ("column", "rule", "message")),
        )
    if len(findings) > limit:
        table.caption = f"{len(findings) - limit} more in the report files"
    return table


def _console_text(value: object) -> Text:
    """Submitted text for the terminal: its lines kept, every control character (ESC first) shown as
    U+FFFD, so that a name or a message cannot colour, move or clear the screen."""
    return Text("\n".join(printable(line) for line in str(value).split("\n")))


def framework_for_file(path: Path) -> Framework | None:
    """The framework a single file is checked against when none is given: framework.yaml beside it
    (or in the package folder above evidence/), else the one stored by an earlier ingest of the
    biennium the file's rows name."""
    for folder in (path.parent, path.parent.parent):
        beside = folder / "framework.yaml"
        if beside.is_file() and not beside.is_symlink():  # a link is not followed
            return load_framework(beside)
    url = settings.database_url()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return None  # nothing ingested yet (and a dry run creates no database)
    try:
        frames = [frame for received in file_intake(path).files for frame in read_received(received)]
    except PackageError:
        return None
    named = pd.concat(
        [f["biennium"] for f in frames if "biennium" in f.columns] or [pd.Series(dtype=str)],
        ignore_index=True,
    )
    if not len(named):
        return None
    from reporting.store.database import engine_for
    from reporting.store.in_force import stored_framework

    return stored_framework(engine_for(url), str(named.str.strip().mode().iloc[0]))
