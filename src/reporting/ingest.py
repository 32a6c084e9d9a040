"""Readers: a submission package folder becomes received files (bytes + sha256) and one frame per table.

Every evidence row keeps where it came from (`source_file`, `source_sheet`, `source_row` as the user
sees it in Excel: 1-based, header counted) so that every later finding can point back to it.
All cells are read as text: the schemas decide what is a number, and findings quote what was typed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from charset_normalizer import from_bytes
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.xml import DEFUSEDXML

from reporting.errors import PackageError
from reporting.framework import Framework, parse_framework

EVIDENCE_COLUMNS: tuple[str, ...] = (
    "biennium",
    "outcome",
    "indicator",
    "region",
    "country",
    "cpo_code",
    "cpo_title",
    "criterion",
    "result_achieved",
    "ilo_contribution",
)
OPTIONAL_EVIDENCE_COLUMNS: tuple[str, ...] = ("typology", "gender_specific", "submitted_by")
TARGET_COLUMNS: tuple[str, ...] = ("biennium", "outcome", "indicator", "region", "target")
OUTPUT_COLUMNS: tuple[str, ...] = ("biennium", "outcome", "typology", "text")
EXAMPLE_COLUMNS: tuple[str, ...] = (
    "biennium",
    "outcome",
    "country",
    "ilo_contribution",
    "results",
    "gender_specific",
)
SOURCE_COLUMNS: tuple[str, ...] = ("source_file", "source_sheet", "source_row")
EVIDENCE_SUFFIXES = {".csv", ".xlsx", ".json"}
MAX_SHEET_CELLS = 20_000_000
HEADER_SEARCH_ROWS = 20


@dataclass(frozen=True)
class ReceivedFile:
    """A file exactly as it was submitted; archived byte for byte under its sha256."""

    name: str
    role: str
    content: bytes = field(repr=False)

    @cached_property
    def sha256(self) -> str:
        """Computed once per file: archive, store, cache keys and logs all ask for it."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class Package:
    """What one submission package holds once read: nothing here has been validated yet."""

    root: Path
    framework: Framework
    files: tuple[ReceivedFile, ...]
    evidence: pd.DataFrame
    targets: pd.DataFrame
    outputs: pd.DataFrame
    examples: pd.DataFrame
    lessons: dict[str, str]
    """Lessons learned as Markdown, by outcome id ("" for the whole package)."""


ROLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "evidence": (*EVIDENCE_COLUMNS, *OPTIONAL_EVIDENCE_COLUMNS),
    "targets": TARGET_COLUMNS,
    "outputs": OUTPUT_COLUMNS,
    "examples": EXAMPLE_COLUMNS,
}
"""The columns the contract knows for each table; any other column is kept and reported."""
ROLE_REQUIRED: dict[str, tuple[str, ...]] = {
    "evidence": EVIDENCE_COLUMNS,
    "targets": TARGET_COLUMNS,
    "outputs": OUTPUT_COLUMNS,
    "examples": EXAMPLE_COLUMNS,
}
# What offices' tools write: Excel (UTF-8, UTF-16 "Unicode text", Windows-1252), LibreOffice, Numbers.
TEXT_ENCODINGS = ["utf_8", "utf_16", "utf_32", "cp1252", "latin_1", "mac_roman"]
CSV_DELIMITERS = (",", ";", "\t")
OLD_EXCEL_MAGIC = b"\xd0\xcf\x11\xe0"


def column_name(header: object) -> str:
    """A header cell as the contract names columns: trimmed, lower case, inner spaces as `_`."""
    return "_".join(str(header).split()).lower()


def decode_text(content: bytes, name: str) -> str:
    """The text of a file in whatever encoding the office's tool wrote it.

    Strict UTF-8 (with or without BOM) is taken as it is; anything else is identified by
    charset-normalizer among the encodings offices' tools write. Binary content is refused."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = from_bytes(content, cp_isolation=TEXT_ENCODINGS).best()
        if best is None:
            raise PackageError(
                f"{name}: not a text file in a known encoding (UTF-8, UTF-16, Windows-1252)"
            ) from None
        text = str(best)
    if "\x00" in text:
        raise PackageError(f"{name}: binary content, not a text file")
    return text


def _cell_text(value: object) -> str:
    """A cell as text, the way the user sees it: 7 not 7.0, dates as ISO dates, yes/no for booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _header_score(cells: list[str], role: str) -> int:
    return len({column_name(c) for c in cells} & set(ROLE_COLUMNS[role]))


def _header_at(rows: list[list[str]], role: str) -> int | None:
    """The first row, among the first ones, that names at least half of the table's columns."""
    needed = max(2, (len(ROLE_REQUIRED[role]) + 1) // 2)
    for at, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if _header_score(cells, role) >= needed:
            return at
    return None


def _column_names(header: list[str], width: int) -> list[str]:
    """Header cells as column names; a blank or repeated header cell is named after its Excel column
    (e.g. `column_k`) so that what is under it is kept and reported, never silently merged."""
    names: list[str] = []
    for position in range(width):
        name = column_name(header[position]) if position < len(header) else ""
        if not name or name in names:
            letter = get_column_letter(position + 1).lower()
            name = f"{name}_column_{letter}" if name else f"column_{letter}"
        names.append(name)
    return names


def _table(rows: list[list[str]], header_at: int, name: str, sheet: str) -> pd.DataFrame:
    """The rows under the header as a text frame, blank rows dropped, each with its Excel row number
    (`rows[0]` is row 1)."""
    body = [(header_at + 2 + i, r) for i, r in enumerate(rows[header_at + 1 :])]
    body = [(n, r) for n, r in body if any(c.strip() for c in r)]
    width = max([len(rows[header_at]), *(len(r) for _, r in body)])
    names = _column_names(rows[header_at], width)
    cells = [r + [""] * (width - len(r)) for _, r in body]
    frame = pd.DataFrame(cells, columns=names, dtype=str) if cells else pd.DataFrame(columns=names, dtype=str)
    blank_unnamed = [c for c in names if c.startswith("column_") and not frame[c].str.strip().any()]
    frame = frame.drop(columns=blank_unnamed)
    frame["source_file"] = name
    frame["source_sheet"] = sheet
    frame["source_row"] = pd.Series([n for n, _ in body], dtype="int64")
    return frame


def _csv_records(text: str, delimiter: str, limit: int | None = None) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return list(itertools.islice(reader, limit))
    except csv.Error as exc:
        raise PackageError(f"not a readable CSV table (record {reader.line_num}: {exc})") from exc


def read_csv_table(content: bytes, name: str, role: str = "evidence") -> pd.DataFrame:
    """A CSV as Excel or another tool saved it: any of the usual encodings, `,` `;` or tab delimited,
    quoted multi-line cells kept, title lines above the header skipped."""
    text = decode_text(content, name)
    if not text.strip():
        raise PackageError(f"{name}: the file is empty")

    def fit(delimiter: str) -> tuple[int, int]:
        head = _csv_records(text, delimiter, HEADER_SEARCH_ROWS)
        return max(_header_score(r, role) for r in head), max(len(r) for r in head)

    try:
        rows = _csv_records(text, max(CSV_DELIMITERS, key=fit))
    except PackageError as exc:  # the reason, prefixed with the file it is about
        raise PackageError(f"{name}: {exc}") from exc
    header_at = _header_at(rows, role)
    if header_at is None:  # no recognisable header: the first line is taken, findings will say what lacks
        header_at = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), None)
    if header_at is None:
        raise PackageError(f"{name}: no header row (every cell is empty)")
    return _table(rows, header_at, name, "")


def _sheet_rows(sheet: Any, name: str) -> list[list[str]]:
    """The cells of a sheet as text, a merged range's value repeated in each of its cells."""
    if sheet.max_row * sheet.max_column > MAX_SHEET_CELLS:  # a stray cell at XFD1048576 is a 6 KB file
        raise PackageError(
            f"{name}: sheet {sheet.title!r} spans {sheet.max_row:,} rows × {sheet.max_column:,} columns, "
            f"more than the {MAX_SHEET_CELLS:,} cells read: delete the cells far from the table"
        )
    grid = [list(r) for r in sheet.iter_rows(values_only=True)]
    for merged in sheet.merged_cells.ranges:
        value = grid[merged.min_row - 1][merged.min_col - 1]
        for row in grid[merged.min_row - 1 : merged.max_row]:
            row[merged.min_col - 1 : merged.max_col] = [value] * (merged.max_col - merged.min_col + 1)
    return [[_cell_text(v) for v in row] for row in grid]


def read_xlsx_tables(content: bytes, name: str, role: str = "evidence") -> list[pd.DataFrame]:
    """Every sheet whose header row (within the first rows) names the table's columns; formulas are
    read as the values Excel last computed, merged cells as their value in every cell of the range."""
    if not DEFUSEDXML:  # openpyxl parses workbooks safely (no XML bombs) only through defusedxml
        raise PackageError(f"{name}: refusing to open a workbook without defusedxml installed")
    if content.startswith(OLD_EXCEL_MAGIC):
        raise PackageError(f"{name}: an old .xls (or encrypted) workbook: save it as .xlsx and send it again")
    try:
        workbook = load_workbook(io.BytesIO(content), data_only=True)
    except Exception as exc:  # openpyxl and defusedxml raise many types for a broken or hostile workbook
        cause = exc.__cause__ or exc.__context__
        if cause is not None and type(cause).__module__.startswith("defusedxml"):
            raise PackageError(f"{name}: refused: its XML declares entities (a possible XML bomb)") from exc
        raise PackageError(f"{name}: not a readable Excel workbook ({exc.__class__.__name__})") from exc
    frames = []
    for sheet in workbook.worksheets:
        rows = _sheet_rows(sheet, name)
        header_at = _header_at(rows, role)
        if header_at is not None:
            frames.append(_table(rows, header_at, name, sheet.title))
    workbook.close()
    if not frames:
        raise PackageError(
            f"{name}: no sheet has a header row naming the {role} columns "
            f"({', '.join(ROLE_REQUIRED[role])}) within its first {HEADER_SEARCH_ROWS} rows"
        )
    return frames


def read_json_table(content: bytes, name: str) -> pd.DataFrame:
    """A list of row objects, or `{"rows": [...]}`; values kept as text, row = position in the list."""
    try:
        data = json.loads(decode_text(content, name))
    except json.JSONDecodeError as exc:
        raise PackageError(f"{name}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise PackageError(f'{name}: expected a list of row objects or {{"rows": [...]}}')
    records = [{column_name(k): _cell_text(v) for k, v in r.items()} for r in rows]
    frame = pd.DataFrame(records, dtype=str).fillna("")  # a key some rows lack is blank there
    frame["source_file"] = name
    frame["source_sheet"] = ""
    frame["source_row"] = pd.Series(range(1, len(frame) + 1), dtype="int64")
    return frame


def read_evidence_file(received: ReceivedFile) -> list[pd.DataFrame]:
    """One frame per table found in an evidence file (a workbook may hold several sheets)."""
    suffix = Path(received.name).suffix.lower()
    if suffix == ".csv":
        return [read_csv_table(received.content, received.name)]
    if suffix == ".xlsx":
        return read_xlsx_tables(received.content, received.name)
    if suffix == ".json":
        return [read_json_table(received.content, received.name)]
    raise PackageError(f"{received.name}: unsupported evidence format {suffix!r} (use .csv, .xlsx or .json)")


def _read_bytes(path: Path, root: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PackageError(f"{path.relative_to(root)}: cannot be read ({exc.strerror})") from exc


def _concat(frames: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in (*columns, *SOURCE_COLUMNS)})
    return pd.concat(frames, ignore_index=True)


def is_evidence_file(path: Path) -> bool:
    """An evidence file by its suffix; Excel's lock files (`~$name.xlsx`) and hidden files are not."""
    return path.suffix.lower() in EVIDENCE_SUFFIXES and not path.name.startswith(("~$", "."))


def _package_paths(root: Path) -> list[tuple[Path, str]]:
    """Every file of the package that the contract names, with its role, in a stable order."""
    evidence_dir = root / "evidence"
    evidence = (
        sorted(p for p in evidence_dir.rglob("*") if p.is_file() and is_evidence_file(p))
        if evidence_dir.is_dir()
        else []
    )
    if not evidence:
        raise PackageError(f"{root}: no evidence files (*.csv, *.xlsx, *.json) under evidence/")
    paths = [(root / "framework.yaml", "framework"), *((p, "evidence") for p in evidence)]
    for name, role in (("targets.csv", "targets"), ("outputs.csv", "outputs"), ("examples.csv", "examples")):
        if (root / name).is_file():
            paths.append((root / name, role))
    lessons = [root / "lessons.md", *sorted(root.glob("lessons-*.md")), *sorted(root.glob("lessons/*.md"))]
    paths.extend((p, "lessons") for p in lessons if p.is_file())
    return paths


def receive_package(root: Path) -> tuple[Framework, tuple[ReceivedFile, ...]]:
    """Take in the bytes of every package file (nothing parsed but the framework, which names the
    biennium everything else belongs to)."""
    if not root.is_dir():
        raise PackageError(f"{root}: not a package folder")
    if not (root / "framework.yaml").is_file():
        raise PackageError(f"{root}: no framework.yaml: a package needs one")
    files = tuple(
        ReceivedFile(path.relative_to(root).as_posix(), role, _read_bytes(path, root))
        for path, role in _package_paths(root)
    )
    framework = parse_framework(decode_text(files[0].content, "framework.yaml"), "framework.yaml")
    return framework, files


def read_received(received: ReceivedFile) -> list[pd.DataFrame]:
    """The tables of one received file (none for the framework and lessons, which are not tables)."""
    if received.role == "evidence":
        return read_evidence_file(received)
    if received.role in ("targets", "outputs", "examples"):
        return [read_csv_table(received.content, received.name, received.role)]
    return []


def lessons_outcome(name: str) -> str:
    """`lessons.md` is for the whole package (""); `lessons-7.md` or `lessons/7.md` for outcome 7."""
    stem = Path(name).stem
    if name.startswith("lessons/"):
        return stem
    return stem.removeprefix("lessons-") if stem.startswith("lessons-") else ""


def assemble_package(
    root: Path, framework: Framework, files: tuple[ReceivedFile, ...], tables: list[list[pd.DataFrame]]
) -> Package:
    """Put the tables read from each file (`tables[i]` from `files[i]`) together, one frame per role."""
    by_role: dict[str, list[pd.DataFrame]] = {}
    for received, frames in zip(files, tables, strict=True):
        by_role.setdefault(received.role, []).extend(frames)
    return Package(
        root=root,
        framework=framework,
        files=files,
        evidence=_concat(by_role.get("evidence", []), EVIDENCE_COLUMNS),
        targets=_concat(by_role.get("targets", []), TARGET_COLUMNS),
        outputs=_concat(by_role.get("outputs", []), OUTPUT_COLUMNS),
        examples=_concat(by_role.get("examples", []), EXAMPLE_COLUMNS),
        lessons={
            lessons_outcome(f.name): decode_text(f.content, f.name) for f in files if f.role == "lessons"
        },
    )


def read_package(root: Path) -> Package:
    """Read every file of a package folder; refuse (PackageError) only what cannot be read at all."""
    framework, files = receive_package(root)
    return assemble_package(root, framework, files, [read_received(f) for f in files])


def receive_file(path: Path, role: str = "evidence") -> ReceivedFile:
    """One file given on its own, taken in as received (its name without folders)."""
    if not path.is_file():
        raise PackageError(f"{path}: no such file")
    return ReceivedFile(path.name, role, _read_bytes(path, path.parent))
