"""Feedback to submitters: check a package or a single file without storing anything (a dry run), and
write what was found where a submitter can act on it — a workbook with their own rows, the offending
cells highlighted and a message column, plus the findings as CSV.

Text written to either file is neutralised against formula injection: a cell that starts with `=`,
`+`, `-` or `@` is prefixed with `'`, so a spreadsheet shows it as typed and never runs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rich.table import Table
from rich.text import Text

from reporting import settings
from reporting.errors import PackageError
from reporting.framework import Framework, load_framework
from reporting.ingest import SOURCE_COLUMNS, ReceivedFile, read_received
from reporting.validate import (
    FINDING_COLUMNS,
    SEVERITIES,
    read_for_checking,
    unreadable_file_finding,
    validate_package,
)

BLOCKING = ("critical", "error")
"""Severities that make `reporting validate` exit 1: something submitted will not be used."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TABLE_ROLES = ("evidence", "targets", "outputs", "examples")
FILL = {"critical": "FFC7CE", "error": "FFC7CE", "warning": "FFEB9C", "advice": "DDEBF7"}
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
REPORT_XLSX = "validation-report.xlsx"
REPORT_CSV = "validation-report.csv"


@dataclass(frozen=True)
class Checked:
    """A dry run's outcome: the files as received, every row read from them, and every finding."""

    files: tuple[ReceivedFile, ...]
    rows: pd.DataFrame
    findings: pd.DataFrame

    @property
    def blocking(self) -> bool:
        return bool(self.findings["severity"].isin(BLOCKING).any())


def check(path: Path, framework: Framework | None = None) -> Checked:
    """Read and validate a package folder, or one evidence file, as `reporting build` would, storing
    nothing. A file that cannot be read is a critical finding and the others are still checked; a
    package that cannot be taken in at all (no framework.yaml, no evidence) is one critical finding."""
    try:
        package, unreadable = read_for_checking(path, framework)
    except PackageError as exc:
        return Checked(files=(), rows=pd.DataFrame(), findings=unreadable_file_finding(exc))
    findings = validate_package(package, unreadable).findings
    order = findings["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    findings = findings.assign(_order=order).sort_values(["_order", "file", "row"], kind="stable")
    rows = pd.concat(
        [package.evidence, package.targets, package.outputs, package.examples], ignore_index=True
    ).dropna(axis="columns", how="all")
    return Checked(
        files=package.files,
        rows=rows,
        findings=findings.drop(columns="_order").astype({"row": "Int64"}).reset_index(drop=True),
    )


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is prefixed with `'` (shown as typed, never run)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    """A value as it may go in a workbook: missing is empty, text neutralised and without the control
    characters the xlsx format cannot hold."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return neutralise(XLSX_ILLEGAL.sub("\N{REPLACEMENT CHARACTER}", value))
    return value


def _sheet_titles(names: Iterable[str], taken: set[str]) -> dict[str, str]:
    """Excel sheet titles (31 characters, no []:*?/\\), one per file, unique; a long name keeps its
    extension and loses the end of its stem."""
    titles = {}
    for name in names:
        path = Path(re.sub(r"[\[\]:*?\\]", "_", name))
        stem, suffix = path.stem or "file", path.suffix[:8]
        title, n = stem[: 28 - len(suffix)] + suffix, 1
        while title.lower() in taken:
            n += 1
            title = f"{stem[: 25 - len(suffix)]}~{n}{suffix}"
        taken.add(title.lower())
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

    out_dir.mkdir(parents=True, exist_ok=True)
    findings = checked.findings
    csv_path = out_dir / REPORT_CSV
    findings.map(neutralise).to_csv(csv_path, index=False, encoding="utf-8-sig")

    styles = _styles()
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("findings")
    _lay_out(summary, [_width(name, findings[name]) for name in FINDING_COLUMNS])
    summary.append([_header_cell(summary, c, styles) for c in FINDING_COLUMNS])
    for record in findings.to_dict("records"):
        summary.append([_cell(record[c]) for c in FINDING_COLUMNS])
    tables = [f.name for f in checked.files if f.role in TABLE_ROLES]
    titles = _sheet_titles(tables, {"findings"})
    for name in tables:
        rows = checked.rows[checked.rows["source_file"] == name] if len(checked.rows) else checked.rows
        if not len(rows):
            rows = pd.DataFrame(columns=list(SOURCE_COLUMNS))
        mine = findings[findings["file"] == name]
        _file_sheet(workbook, titles[name], rows.dropna(axis="columns", how="all"), mine, styles)
    xlsx_path = out_dir / REPORT_XLSX
    workbook.save(xlsx_path)
    return xlsx_path, csv_path


def findings_table(findings: pd.DataFrame, limit: int = 200) -> Table:
    """The console summary: one line per finding (file, sheet, row, column, rule, message)."""
    table = Table(title=f"{len(findings)} finding(s)", show_lines=False)
    for column in ("severity", "file", "sheet", "row", "column", "rule", "message"):
        table.add_column(column, overflow="fold", style="red" if column == "severity" else None)
    for record in findings.head(limit).to_dict("records"):
        row = "" if pd.isna(record["row"]) else str(record["row"])
        table.add_row(  # submitted text, never Rich markup
            *(Text(str(record[c])) for c in ("severity", "file", "sheet")),
            row,
            *(Text(str(record[c])) for c in ("column", "rule", "message")),
        )
    if len(findings) > limit:
        table.caption = f"{len(findings) - limit} more in the report files"
    return table


def framework_for_file(path: Path) -> Framework | None:
    """The framework a single file is checked against when none is given: framework.yaml beside it
    (or in the package folder above evidence/), else the one stored by an earlier ingest of the
    biennium the file's rows name."""
    for folder in (path.parent, path.parent.parent):
        if (folder / "framework.yaml").is_file():
            return load_framework(folder / "framework.yaml")
    url = settings.database_url()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return None  # nothing ingested yet (and a dry run creates no database)
    try:
        frames = read_received(ReceivedFile(path.name, "evidence", path.read_bytes()))
    except (PackageError, OSError):
        return None
    named = pd.concat([f["biennium"] for f in frames if "biennium" in f.columns], ignore_index=True)
    if not len(named):
        return None
    from reporting.storage import engine_for, stored_framework

    return stored_framework(engine_for(url), str(named.str.strip().mode().iloc[0]))
