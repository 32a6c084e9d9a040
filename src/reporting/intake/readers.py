"""Readers: a submission package folder becomes received files (name, role, sha256) and one frame per table.

Every evidence row keeps where it came from (`source_file`, `source_sheet`, `source_row` as the user
sees it in Excel: 1-based, header counted) so that every later finding can point back to it.
All cells are read as text: the schemas decide what is a number, and findings quote what was typed.

Nothing is dropped without a word: every entry of the package folder, and every sheet of a workbook, is
either read or named in a `Notice` (a link, a format not read, a note, a sheet without a header row),
which the dry run turns into a finding. Links are never followed, so nothing outside the package is read.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import json
import os
import re
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

from charset_normalizer import from_bytes

from reporting.errors import PackageError
from reporting.framework import Framework, parse_framework
from reporting.intake.calamine_child import Unreadable, read_sheets
from reporting.intake.text_cleaning import printable
from reporting.vocabulary import (
    CONTROL_CHARACTERS,
    EVIDENCE_COLUMNS,
    EXAMPLE_COLUMNS,
    OUTPUT_COLUMNS,
    REVIEW_COLUMNS,
    ROLE_COLUMNS,
    ROLE_REQUIRED,
    ROLES,
    SOURCE_COLUMNS,
    TARGET_COLUMNS,
)

if TYPE_CHECKING:  # pandas loads where a table is read: taking a package in (the up-to-date check) does not
    import pandas as pd

T = TypeVar("T")

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
TABLE_SUFFIXES = {".csv", ".tsv", ".json", *WORKBOOK_SUFFIXES}
EVIDENCE_SUFFIXES = {*TABLE_SUFFIXES, ".txt"}
"""In evidence/ a .txt is read as a table when a row names the columns (Excel saves "Unicode text" and
"Text (tab delimited)" as .txt); elsewhere it is a note."""
NOTE_SUFFIXES = {".md", ".txt"}
SYSTEM_NAMES = {"thumbs.db", "desktop.ini", "icon\r", "__macosx"}
"""Files and folders that Windows and macOS leave in folders (as do hidden ones, `.DS_Store`)."""
MAX_SHEET_CELLS = 20_000_000
MAX_COLUMNS = 16_384
"""As many columns as a spreadsheet holds (A to XFD); a wider row is not a table anyone typed."""
DELIMITER_SNIFF_RECORDS = 20
NOTES_WIDTH = 2
"""A sheet none of whose rows fills more cells than this holds notes (label and text), not a table."""


@dataclass(frozen=True)
class OnDisk:
    """Where a received file's bytes are, and their sha256 and size when they were received."""

    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class ReceivedFile:
    """A file exactly as it was submitted; archived byte for byte under its sha256.

    A file taken from a folder keeps where it is, its sha256 and size, not its bytes: they are read
    again for its tables and for the archive, so that a 1.4 GB CSV is not held while its million rows
    are checked; bytes that no longer match the sha256 taken when it was received are refused."""

    name: str
    role: str
    source: bytes | OnDisk = field(repr=False)
    """The bytes themselves (an upload), or the file they were received from."""

    @cached_property
    def sha256(self) -> str:
        """Computed once per file: archive, store, cache keys and logs all ask for it."""
        if isinstance(self.source, OnDisk):
            return self.source.sha256
        return hashlib.sha256(self.source).hexdigest()

    @property
    def size(self) -> int:
        return self.source.size if isinstance(self.source, OnDisk) else len(self.source)

    @property
    def content(self) -> bytes:
        """The bytes as received: read again from disk for a file taken from a folder."""
        if not isinstance(self.source, OnDisk):
            return self.source
        content = _read_bytes(self.source.path, self.name)
        if hashlib.sha256(content).hexdigest() != self.source.sha256:
            raise PackageError(f"{self.name}: changed since it was received; run again once it is saved")
        return content


@dataclass(frozen=True)
class Notice:
    """A package entry or a sheet that is not read (or a name that had to be made printable), for the
    submitter: `rule` names the finding, `detail` says why and what to do."""

    name: str
    rule: str
    detail: str = ""
    sheet: str = ""
    row: int | None = None
    """The Excel row of a notice about one cell (with its `column`)."""
    column: str = ""


@dataclass(frozen=True)
class Intake:
    """What was taken in from a package folder or a single file: the files to read and a notice for
    every entry that is not read."""

    files: tuple[ReceivedFile, ...]
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class Tables:
    """What one file gave: its tables, and a notice for each part of it that is not read."""

    frames: list[pd.DataFrame]
    notices: list[Notice] = field(default_factory=list)


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
    reviews: pd.DataFrame = field(default_factory=lambda: _concat([], REVIEW_COLUMNS))
    """Review decisions made elsewhere (reviews.csv), applied when the package is stored."""


# What offices' tools write: Excel (UTF-8, UTF-16 "Unicode text", Windows-1252), LibreOffice, Numbers.
TEXT_ENCODINGS = ["utf_8", "utf_16", "utf_32", "cp1252", "latin_1", "mac_roman"]
CSV_DELIMITERS = (",", ";", "\t")
BINARY_SIGNATURES: dict[bytes, str] = {
    b"PK\x03\x04": "a ZIP archive: a workbook? name it .xlsx",
    b"\xd0\xcf\x11\xe0": "an Office 97 file: a workbook? name it .xls",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
}
BINARY_CONTROL_SHARE = 0.05
BINARY_CONTROL_FEW = 16
"""Text may hold a few control characters (they are cleaned, with a warning); a file where more than
BINARY_CONTROL_FEW of them make up more than 5% of the characters is binary, not text."""
ODF_MIMETYPE = b"application/vnd.oasis.opendocument"
MB = 1024**2
RATIO_CHECKED_ABOVE = MB
"""A part of less than 1 MB unpacked is harmless whatever its compression ratio (a sheet of one value
repeated compresses hundreds of times)."""

_CONTROL = re.compile(CONTROL_CHARACTERS)
_CONTENT = re.compile(rf"[^\s{CONTROL_CHARACTERS[1:-1]}]")
"""A character that makes a text more than blank: neither a space nor a control character."""
SCAN_BYTES = 8 * MB
SPACES = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""The spaces in Python's sense (`str.isspace`), inside a class Arrow's regular expressions run."""
_FILLED = f"[^{SPACES}]"
"""A character that is not a space: a cell holding one is filled (no stripped copy of a long column is
made to know)."""
PARSE_ROWS = 20_000
"""pandas parses a CSV this many rows at a time: each part's cells are Python strings only until they
become Arrow strings, so a large file's Python strings never all exist at once."""
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
"""A formula element of a worksheet's XML (`<f>1+2</f>`, with or without a namespace prefix)."""
_SURROGATE = re.compile("[\ud800-\udfff]")


def column_name(header: object) -> str:
    """A header cell as the contract names columns: trimmed, lower case, inner spaces as `_`, control
    characters dropped (a stray NUL does not hide a column)."""
    return "_".join(_CONTROL.sub("", str(header)).split()).lower()


@dataclass(frozen=True)
class TextScan:
    """What one pass over a text file's bytes found: the encoding it is in, how many characters and
    control characters it holds, whether anything but spaces and control characters."""

    encoding: str
    characters: int
    controls: int
    blank: bool


def _scan(content: bytes, encoding: str) -> TextScan:
    """Decode `content` a slice at a time (a large file is never held twice as text); UnicodeDecodeError
    when it is not in `encoding`."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(content)
    characters = controls = 0
    blank = True
    for start in range(0, max(len(content), 1), SCAN_BYTES):
        text = decoder.decode(view[start : start + SCAN_BYTES], final=start + SCAN_BYTES >= len(content))
        characters += len(text)
        controls += len(_CONTROL.findall(text))
        blank = blank and not _CONTENT.search(text)
    return TextScan(encoding, characters, controls, blank)


def scan_text(content: bytes, name: str) -> TextScan:
    """How a file's text is encoded, as whatever tool of an office wrote it.

    Strict UTF-8 (with or without BOM) is taken as it is; anything else is identified by
    charset-normalizer among the encodings offices' tools write. A few control characters (a NUL in
    a cell) keep the file text; binary content (a known binary signature, or many control
    characters) is refused."""
    kind = next((what for magic, what in BINARY_SIGNATURES.items() if content.startswith(magic)), "")
    if kind:
        raise PackageError(f"{name}: binary content ({kind}), not a text file")
    try:
        scan = _scan(content, "utf-8-sig")
    except UnicodeDecodeError:
        best = from_bytes(content, cp_isolation=TEXT_ENCODINGS).best()
        if best is None:
            raise PackageError(
                f"{name}: not a text file in a known encoding (UTF-8, UTF-16, Windows-1252)"
            ) from None
        scan = _scan(content, best.encoding)
    if scan.controls > max(BINARY_CONTROL_FEW, scan.characters * BINARY_CONTROL_SHARE):
        raise PackageError(f"{name}: binary content, not a text file ({scan.controls:,} control characters)")
    return scan


def decode_text(content: bytes, name: str) -> str:
    """The text of a file in whatever encoding the office's tool wrote it (see `scan_text`)."""
    return content.decode(scan_text(content, name).encoding)


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


def _header_needed(role: str) -> int:
    return max(2, (len(ROLE_REQUIRED[role]) + 1) // 2)


def _header_at(rows: Iterable[list[str]], role: str) -> int | None:
    """The first row that names at least half of the table's required columns, however far down
    (a title block above the table is skipped)."""
    needed = _header_needed(role)
    return next((at for at, cells in enumerate(rows) if _header_score(cells, role) >= needed), None)


def column_letter(position: int) -> str:
    """Excel's letters of the 1-based column `position` (1 → A, 27 → AA): openpyxl's, without importing
    openpyxl for a CSV file."""
    letters = ""
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _column_names(header: list[str], width: int) -> list[str]:
    """Header cells as column names; a blank or repeated header cell is named after its Excel column
    (e.g. `column_k`) so that what is under it is kept and reported, never silently merged."""
    names: list[str] = []
    for position in range(width):
        name = column_name(header[position]) if position < len(header) else ""
        if not name or name in names:
            letter = column_letter(position + 1).lower()
            name = f"{name}_column_{letter}" if name else f"column_{letter}"
        names.append(name)
    return names


def _too_wide(width: int, name: str, sheet: str) -> None:
    if width > MAX_COLUMNS:
        where = f"sheet {sheet!r} has" if sheet else "has"
        raise PackageError(
            f"{name}: {where} a row of {width:,} cells, more than the {MAX_COLUMNS:,} columns read"
        )


def _framed(cells: pd.DataFrame, header: list[str], first_row: int, name: str, sheet: str) -> pd.DataFrame:
    """The rows under a header row (`cells`: text, "" where a row is shorter, numbered from Excel's
    `first_row`) named by the header's cells, blank rows and blank unnamed columns dropped, each row
    with its file, sheet and Excel row number."""
    import pandas as pd

    _too_wide(len(cells.columns), name, sheet)
    names = _column_names(header, len(cells.columns))
    cells.columns = pd.Index(names)
    filled = {c: cells[c].str.contains(_FILLED, regex=True) for c in names}
    numbers = pd.Series(range(first_row, first_row + len(cells)), index=cells.index, dtype="int64")
    if names:
        kept = pd.concat(filled.values(), axis="columns").any(axis="columns")
        if not kept.all():  # a frame without blank rows is kept as it is, not copied
            cells, numbers = cells[kept], numbers[kept]
    blank_unnamed = [c for c in names if c.startswith("column_") and not filled[c].any()]
    frame = cells.drop(columns=blank_unnamed).reset_index(drop=True)
    frame["source_file"] = name
    frame["source_sheet"] = sheet
    frame["source_row"] = numbers.reset_index(drop=True)
    return frame


def _table(rows: list[list[str]], header_at: int, name: str, sheet: str) -> pd.DataFrame:
    """The rows under the header as a text frame, blank rows dropped, each with its Excel row number
    (`rows[0]` is row 1)."""
    import pandas as pd

    body = rows[header_at + 1 :]
    width = max([len(rows[header_at]), *(len(r) for r in body)])
    _too_wide(width, name, sheet)
    cells = pd.DataFrame([r + [""] * (width - len(r)) for r in body], columns=range(width), dtype=str)
    return _framed(cells, rows[header_at], header_at + 2, name, sheet)


def _records(content: bytes, scan: TextScan, delimiter: str) -> Iterator[list[str]]:
    """The records of a delimited text, read as they are asked for (never all held as Python lists)."""
    lines = io.TextIOWrapper(io.BytesIO(content), encoding=scan.encoding, newline="")
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise PackageError(f"not a readable CSV table (record {reader.line_num}: {exc})") from exc


@dataclass(frozen=True)
class Layout:
    """Where a delimited text's table is: its delimiter, and the record that names its columns (None
    when no record does)."""

    delimiter: str
    header_at: int | None


def _layout(content: bytes, scan: TextScan, role: str) -> Layout:
    """The delimiter is the one under which a header row comes soonest; a delimiter is only read as far
    as it could still do better. With no header anywhere, the one giving the widest first records."""
    best: Layout | None = None
    for delimiter in CSV_DELIMITERS:
        limit = None if best is None else best.header_at
        try:
            at = _header_at(itertools.islice(_records(content, scan, delimiter), limit), role)
        except PackageError:  # a delimiter that does not fit the text
            continue
        if at is not None:
            best = Layout(delimiter, at)
    if best is not None:
        return best

    def width(delimiter: str) -> int:
        try:
            first = itertools.islice(_records(content, scan, delimiter), DELIMITER_SNIFF_RECORDS)
            return max((len(r) for r in first), default=0)
        except PackageError:
            return 0

    return Layout(max(CSV_DELIMITERS, key=width), None)


def _first_filled(content: bytes, scan: TextScan, delimiter: str) -> int | None:
    records = _records(content, scan, delimiter)
    return next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)


def _delimited_table(
    content: bytes, scan: TextScan, layout: Layout, header_at: int, name: str
) -> pd.DataFrame:
    """The table from its header record on, parsed by pandas' C reader as text (a large file is read
    in seconds, its cells as Arrow strings): as wide as its widest record (measured only when a record
    is wider than the header)."""
    import pandas as pd

    header = next(itertools.islice(_records(content, scan, layout.delimiter), header_at, None))

    def parsed(width: int) -> pd.DataFrame:
        _too_wide(width, name, "")
        with pd.read_csv(
            io.BytesIO(content),
            sep=layout.delimiter,
            header=None,
            names=range(width),
            skiprows=header_at,
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            encoding=scan.encoding,
            engine="c",
            chunksize=PARSE_ROWS,
        ) as chunks:
            return pd.concat(chunks, ignore_index=True)

    try:
        try:
            cells = parsed(len(header))
        except pd.errors.ParserError:  # a record wider than the header, or text no CSV reader reads
            records = itertools.islice(_records(content, scan, layout.delimiter), header_at, None)
            widest = max(len(r) for r in records)
            if widest <= len(header):
                raise
            cells = parsed(widest)
    except pd.errors.ParserError as exc:
        reason = str(exc).strip().splitlines()[-1].removeprefix("Error tokenizing data. ")
        raise PackageError(f"{name}: not a readable CSV table ({reason})") from exc
    if not len(cells) or cells.iloc[0].tolist()[: len(header)] != header:
        raise PackageError(f"{name}: not a readable CSV table (its quotes do not pair up)")
    return _framed(cells.iloc[1:], header, header_at + 2, name, "")


def _text_layout(content: bytes, name: str, role: str) -> tuple[TextScan, Layout]:
    scan = scan_text(content, name)
    if scan.blank:
        raise PackageError(f"{name}: the file is empty")
    try:
        return scan, _layout(content, scan, role)
    except PackageError as exc:  # the reason, prefixed with the file it is about
        raise PackageError(f"{name}: {exc}") from exc


def read_csv_table(content: bytes, name: str, role: str = "evidence") -> pd.DataFrame:
    """A CSV (or TSV) as Excel or another tool saved it: any of the usual encodings, `,` `;` or tab
    delimited, quoted multi-line cells kept, title lines above the header skipped."""
    scan, layout = _text_layout(content, name, role)
    header_at = layout.header_at
    if header_at is None:  # no recognisable header: the first line is taken, findings will say what lacks
        try:
            header_at = _first_filled(content, scan, layout.delimiter)
        except PackageError as exc:
            raise PackageError(f"{name}: {exc}") from exc
    if header_at is None:
        raise PackageError(f"{name}: no header row (every cell is empty)")
    return _delimited_table(content, scan, layout, header_at, name)


def _text_file_tables(content: bytes, name: str, role: str) -> Tables:
    """A .txt is read as a table only when a row names the columns; otherwise it is a note, named."""
    scan, layout = _text_layout(content, name, role)
    if layout.header_at is None:
        return Tables(
            [],
            [
                Notice(
                    name,
                    "file_not_read",
                    f"A text file in which no row names the {role} columns. If it holds rows, give it "
                    "the template's header row or save it as CSV; a note belongs beside framework.yaml.",
                )
            ],
        )
    return _one_table(_delimited_table(content, scan, layout, layout.header_at, name), name)


@dataclass(frozen=True)
class Sheet:
    """A worksheet's cells as text, whatever the workbook format (`rows[0]` is Excel's row 1)."""

    title: str
    hidden: bool
    rows: list[list[str]]
    uncomputed: dict[tuple[int, int], str] = field(default_factory=dict)
    """Formulas saved without a value (row, column, 0-based → the formula), e.g. by a script that
    wrote the workbook and no spreadsheet ever computed."""


def _spread_merged(grid: list[list[Any]], ranges: Iterable[tuple[int, int, int, int]]) -> None:
    """Each merged range (top, left, bottom, right; 0-based, inclusive) takes its first cell's value in
    every cell, within the cells the sheet has."""
    for top, left, bottom, right in ranges:
        if top >= len(grid) or left >= len(grid[top]):
            continue
        value = grid[top][left]
        for row in grid[top : bottom + 1]:
            row[left : right + 1] = [value] * max(0, min(right + 1, len(row)) - left)


def _too_many_cells(name: str, title: str, rows: int, columns: int) -> None:
    if rows * columns > MAX_SHEET_CELLS:  # a stray cell at XFD1048576 is a 6 KB file
        raise PackageError(
            f"{name}: sheet {title!r} spans {rows:,} rows × {columns:,} columns, more than the "
            f"{MAX_SHEET_CELLS:,} cells read: delete the cells far from the table"
        )


def _has_formulas(content: bytes) -> bool:
    """Whether a worksheet of an .xlsx holds a formula: only then is it read a second time, for its
    formulas (openpyxl gives either the values last computed or the formulas)."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    sheets = [p for p in archive.namelist() if p.startswith("xl/worksheets/") and p.endswith(".xml")]
    return any(_FORMULA.search(archive.read(part)) for part in sheets)


def _openpyxl_sheets(content: bytes, name: str) -> Iterator[Sheet]:
    """An Office Open XML workbook (.xlsx, .xlsm) through openpyxl and defusedxml: XML bombs refused,
    formulas as the values Excel last computed."""
    from openpyxl import load_workbook  # here: a package of CSV files never needs it
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # openpyxl parses workbooks safely (no XML bombs) only through defusedxml
        raise PackageError(f"{name}: refusing to open a workbook without defusedxml installed")
    try:
        workbook = load_workbook(io.BytesIO(content), data_only=True)
    except Exception as exc:  # openpyxl and defusedxml raise many types for a broken or hostile workbook
        cause = exc.__cause__ or exc.__context__
        if cause is not None and type(cause).__module__.startswith("defusedxml"):
            raise PackageError(f"{name}: refused: its XML declares entities (a possible XML bomb)") from exc
        raise PackageError(f"{name}: not a readable Excel workbook ({exc.__class__.__name__})") from exc
    formulas = load_workbook(io.BytesIO(content)) if _has_formulas(content) else None
    try:
        for sheet in workbook.worksheets:
            _too_many_cells(name, sheet.title, sheet.max_row, sheet.max_column)
            grid = [list(r) for r in sheet.iter_rows(values_only=True)]
            uncomputed = {
                (cell.row - 1, cell.column - 1): str(cell.value)
                for row in (formulas[sheet.title].iter_rows() if formulas else ())
                for cell in row
                if cell.data_type == "f" and grid[cell.row - 1][cell.column - 1] is None
            }
            _spread_merged(
                grid,
                ((m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in sheet.merged_cells),
            )
            yield Sheet(
                sheet.title,
                sheet.sheet_state != "visible",
                [[_cell_text(v) for v in r] for r in grid],
                uncomputed,
            )
        for chart in workbook.chartsheets:
            yield Sheet(chart.title, chart.sheet_state != "visible", [])
    finally:
        workbook.close()


def _calamine_sheets(content: bytes, name: str) -> list[Sheet]:
    """Any other workbook (.xls, .ods) through calamine, in a child process (see `calamine_child`):
    values as last computed, merged ranges spread where the format records them (.xls)."""
    try:
        read = read_sheets(content, MAX_SHEET_CELLS)
    except Unreadable as exc:
        raise PackageError(f"{name}: {exc}") from exc
    sheets = []
    for sheet in read:
        if sheet.rows is None:
            _too_many_cells(name, sheet.title, sheet.height, sheet.width)
        grid = sheet.rows or []
        _spread_merged(grid, sheet.merged)
        sheets.append(Sheet(sheet.title, sheet.hidden, [[_cell_text(v) for v in r] for r in grid]))
    return sheets


def _sheet_notice(sheet: Sheet, title: str, name: str, role: str) -> Notice:
    """Why a sheet without a header row is not read: a hidden, empty or notes sheet is advice, a sheet
    that looks like a table a warning."""
    widest = max((sum(1 for c in r if c.strip()) for r in sheet.rows), default=0)
    if sheet.hidden:
        return Notice(name, "note_not_read", "A hidden sheet.", title)
    if widest == 0:
        return Notice(name, "note_not_read", "An empty sheet (or a chart).", title)
    if widest <= NOTES_WIDTH:
        return Notice(name, "note_not_read", "Notes: no row fills more than two cells.", title)
    return Notice(
        name,
        "sheet_not_read",
        f"No row names at least {_header_needed(role)} of the {role} columns "
        f"({', '.join(ROLE_REQUIRED[role])}).",
        title,
    )


def refuse_zip_bomb(content: bytes, name: str) -> None:
    """A workbook that is a zip archive (.xlsx, .xlsm, .ods) is refused (PackageError naming the part)
    when a part would unpack to more than the settings allow, alone or with the others, or unpacks to
    more than `zip_ratio_max` bytes per byte stored: judged from the sizes its directory declares,
    before anything is inflated. Python's zipfile (openpyxl) never inflates a part past its declared
    size; calamine's child (.ods) reads under a memory limit whatever the archive declares."""
    from reporting import settings  # here: taking a package in without reading it needs no settings

    try:
        parts = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, ValueError):  # not a zip archive: its reader says what it is
        return
    limits = settings.current()
    most = limits.zip_part_max_mb * MB
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > most or (part.file_size > RATIO_CHECKED_ABOVE and ratio > limits.zip_ratio_max):
            raise PackageError(
                f"{name}: refused: its part {printable(part.filename)!r} would unpack to "
                f"{part.file_size / MB:,.1f} MB from {part.compress_size / MB:,.2f} MB (the limits: "
                f"{limits.zip_part_max_mb:,} MB, {limits.zip_ratio_max:,} times): a possible zip bomb"
            )
    total = sum(part.file_size for part in parts)
    if total > most:
        raise PackageError(
            f"{name}: refused: its parts would unpack to {total / MB:,.1f} MB together, more than the "
            f"{limits.zip_part_max_mb:,} MB read: a possible zip bomb"
        )


def read_workbook(content: bytes, name: str, role: str = "evidence") -> Tables:
    """Every sheet of a workbook (.xlsx, .xlsm, .xls, .ods — told apart by content, not by name) whose
    header row, anywhere in it, names the table's columns; merged cells as their value in every cell
    of the range. Every other sheet is named in a notice; a workbook with no such sheet is refused."""
    refuse_zip_bomb(content, name)
    sheets: Iterable[Sheet] = (
        _calamine_sheets(content, name)
        if not content.startswith(b"PK\x03\x04") or ODF_MIMETYPE in content[:100]
        else _openpyxl_sheets(content, name)
    )
    read = Tables([])
    for sheet in sheets:
        title = printable(sheet.title)
        header_at = _header_at(sheet.rows, role)
        if header_at is None:
            read.notices.append(_sheet_notice(sheet, title, name, role))
            continue
        read.frames.append(_table(sheet.rows, header_at, name, title))
        read.notices.extend(
            Notice(
                name,
                "formula_computed",
                f"Cell {column_letter(column + 1)}{row + 1}: {formula}",
                title,
                row + 1,
                _column_names(sheet.rows[header_at], column + 1)[column],
            )
            for (row, column), formula in sorted(sheet.uncomputed.items())
            if row > header_at
        )
        if read.frames[-1].empty:
            read.notices.append(Notice(name, "rows_present", sheet=title))
    if not read.frames:
        raise PackageError(
            f"{name}: no sheet has a header row naming the {role} columns ({', '.join(ROLE_REQUIRED[role])})"
        )
    return read


def _text_of(value: str) -> str:
    """A lone surrogate (JSON's "\\ud800") is valid JSON but no text that can be stored or written out."""
    return _SURROGATE.sub("\N{REPLACEMENT CHARACTER}", value)


def read_json_table(content: bytes, name: str) -> pd.DataFrame:
    """A list of row objects, or `{"rows": [...]}`; values kept as text, row = position in the list."""
    import pandas as pd

    try:
        data = json.loads(decode_text(content, name))
        rows = data.get("rows") if isinstance(data, dict) else data
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise PackageError(f'{name}: expected a list of row objects or {{"rows": [...]}}')
        records = [{_text_of(column_name(k)): _text_of(_cell_text(v)) for k, v in r.items()} for r in rows]
    except json.JSONDecodeError as exc:
        raise PackageError(f"{name}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    except ValueError as exc:  # a number of more than 4,300 digits
        raise PackageError(f"{name}: not readable JSON ({exc})") from exc
    except RecursionError as exc:
        raise PackageError(
            f"{name}: not readable JSON (nested too deeply; rows are objects in a list)"
        ) from exc
    frame = pd.DataFrame(records, dtype=str).fillna("")  # a key some rows lack is blank there
    frame["source_file"] = name
    frame["source_sheet"] = ""
    frame["source_row"] = pd.Series(range(1, len(frame) + 1), dtype="int64")
    return frame


def _one_table(frame: pd.DataFrame, name: str) -> Tables:
    """A file holding one table; a notice when it has no rows (a header alone, or `[]`)."""
    return Tables([frame], [Notice(name, "rows_present")] if frame.empty else [])


def read_tables(received: ReceivedFile) -> Tables:
    """The tables of one received file (none for the framework and lessons, which are not tables), by
    its format, and a notice for each part of it that is not read."""
    if received.role not in ROLE_COLUMNS:
        return Tables([])
    content, name, role = received.content, received.name, received.role
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return read_workbook(content, name, role)
    if suffix == ".json":
        return _one_table(read_json_table(content, name), name)
    if suffix == ".txt":
        return _text_file_tables(content, name, role)
    if suffix in (".csv", ".tsv"):
        return _one_table(read_csv_table(content, name, role), name)
    raise PackageError(
        f"{name}: unsupported {role} format {suffix!r} (use .csv, .tsv, .xlsx, .xlsm, .xls, .ods or .json)"
    )


def read_received(received: ReceivedFile) -> list[pd.DataFrame]:
    """The tables of one received file; a file that cannot be read raises PackageError (one line)."""
    return read_tables(received).frames


def _concat(frames: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    import pandas as pd

    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in (*columns, *SOURCE_COLUMNS)})
    return pd.concat(frames, ignore_index=True)


# --- taking a package in --------------------------------------------------------------------------------


def _read_regular(path: Path, name: str, read: Callable[[io.BufferedReader], T]) -> T:
    """`read` of a regular file, never through a link: O_NOFOLLOW also refuses a file swapped for a
    link after the folder was listed."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with open(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise PackageError(f"{name}: cannot be read (not a regular file)")
            return read(file)
    except OSError as exc:
        raise PackageError(f"{name}: cannot be read ({exc.strerror})") from exc


def _read_bytes(path: Path, name: str) -> bytes:
    return _read_regular(path, name, lambda file: file.read())


def _received(path: Path, name: str, role: str) -> ReceivedFile:
    """A file taken from disk: its sha256 and size taken now, its bytes read again when needed."""
    sha256, size = _read_regular(
        path, name, lambda file: (hashlib.file_digest(file, "sha256").hexdigest(), file.tell())
    )
    return ReceivedFile(name, role, OnDisk(path, sha256, size))


def _passed_over(raw: str, name: str) -> Notice | None:
    """Why an entry (`raw`: its own name, `name`: its path as shown) is not read whatever it holds: a
    link, a file or folder a tool leaves behind, a name with control characters (it could not be told
    apart from another one shown alike); None for an entry that may be read."""
    if raw.startswith("~$"):
        return Notice(name, "note_not_read", "Excel's lock file, left while the workbook is open.")
    if raw.startswith(".") or raw.lower() in SYSTEM_NAMES:
        return Notice(name, "note_not_read", "A hidden or system file or folder (not opened).")
    if printable(raw) != raw:
        return Notice(name, "file_name_printable")
    return None


def _is_lessons(parts: tuple[str, ...]) -> bool:
    file = parts[-1]
    if len(parts) == 1:
        return file == "lessons.md" or (file.startswith("lessons-") and file.endswith(".md"))
    return len(parts) == 2 and parts[0] == "lessons" and file.endswith(".md")


def _role(parts: tuple[str, ...], name: str) -> str | Notice:
    """What a package file is, by where it sits and what it is called: a role the contract reads, or a
    notice saying why it is not read and what to do."""
    file = parts[-1]
    path = PurePosixPath(file.lower())
    top = len(parts) == 1
    if top and file == "framework.yaml":
        return "framework"
    if top and path.stem in ("targets", "outputs", "examples", "reviews") and path.suffix in TABLE_SUFFIXES:
        return path.stem
    if _is_lessons(parts):
        return "lessons"
    if parts[0] == "evidence" and not top and path.suffix in EVIDENCE_SUFFIXES:
        return "evidence"
    if path.suffix in NOTE_SUFFIXES:
        return Notice(name, "note_not_read", "Notes for people: only tables and lessons*.md are read.")
    if path.suffix in TABLE_SUFFIXES:
        return Notice(
            name,
            "file_not_read",
            "A table outside evidence/: evidence is read from evidence/ (and its sub-folders), targets, "
            "outputs and examples from targets.csv, outputs.csv and examples.csv beside framework.yaml. "
            "Move it there.",
        )
    return Notice(
        name,
        "file_not_read",
        f"Its format ({path.suffix or 'no extension'}) is not read: save its rows in evidence/ as "
        "CSV, TSV, XLSX, XLSM, XLS, ODS or JSON.",
    )


def _survey(root: Path) -> tuple[list[tuple[Path, str, str]], list[Notice]]:
    """(path, name, role) of every package file to read, framework first, and a notice for every other
    entry. Links are not followed, neither to a file nor to a folder; hidden and system folders are
    named, not opened."""
    taken: list[tuple[Path, str, str]] = []
    notices: list[Notice] = []
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            raise PackageError(f"{printable(str(folder))}: cannot be listed ({exc.strerror})") from exc
        for entry in entries:
            path = Path(entry.path)
            name = printable(path.relative_to(root).as_posix())
            passed_over = _passed_over(entry.name, name)
            if entry.is_symlink():
                notices.append(Notice(name, "file_is_not_a_link"))
            elif passed_over is not None:
                notices.append(passed_over)
            elif entry.is_dir(follow_symlinks=False):
                folders.append(path)
            elif not entry.is_file(follow_symlinks=False):
                notices.append(
                    Notice(name, "file_not_read", "Not a regular file (a device, pipe or socket).")
                )
            else:
                role = _role(PurePosixPath(name).parts, name)
                if isinstance(role, Notice):
                    notices.append(role)
                else:
                    taken.append((path, name, role))
    taken.sort(key=lambda t: (ROLES.index(t[2]), t[1]))
    notices += _look_alike([name for _, name, _ in taken])
    return taken, sorted(notices, key=lambda n: n.name)


def _look_alike(names: list[str]) -> list[Notice]:
    """A notice for each name that differs from another only in Unicode normalisation (`ô` as one
    character, NFC, as Windows writes it, or as `o` and a combining accent, NFD, as macOS does): both
    are read, and shown alike everywhere their rows are."""
    alike: dict[str, list[str]] = {}
    for name in names:
        alike.setdefault(unicodedata.normalize("NFC", name), []).append(name)
    return [
        Notice(
            name,
            "file_name_distinct",
            "This one's accents are "
            + ("composed (NFC)." if unicodedata.is_normalized("NFC", name) else "combining (NFD)."),
        )
        for group in alike.values()
        if len(group) > 1
        for name in group
    ]


def package_intake(root: Path) -> tuple[Framework, Intake]:
    """Take in the bytes of every package file the contract reads, and a notice for every other entry
    (nothing parsed but the framework, which names the biennium everything else belongs to)."""
    if not root.is_dir():
        raise PackageError(f"{root}: not a package folder")
    taken, notices = _survey(root)
    if not taken or taken[0][2] != "framework":
        raise PackageError(f"{root}: no framework.yaml: a package needs one (a link to one is not followed)")
    files = tuple(_received(path, name, role) for path, name, role in taken)
    framework = parse_framework(decode_text(files[0].content, "framework.yaml"), "framework.yaml")
    return framework, Intake(files, tuple(notices))


def require_evidence(root: Path, files: tuple[ReceivedFile, ...]) -> None:
    """A package without evidence files cannot be built: PackageError, in one line."""
    if not any(f.role == "evidence" for f in files):
        raise PackageError(f"{root}: no evidence files (*.csv, *.xlsx, *.json, …) under evidence/")


def receive_package(root: Path) -> tuple[Framework, Intake]:
    """The framework and the intake of a package that can be built: its files to read and a notice for
    every entry that is not read (a package without evidence files raises PackageError)."""
    framework, intake = package_intake(root)
    require_evidence(root, intake.files)
    return framework, intake


def file_intake(path: Path, role: str = "evidence") -> Intake:
    """One file given on its own, taken in as received (its name without folders); a link, or a name
    with control characters, is named, not read."""
    name = printable(path.name)
    if path.is_symlink():
        return Intake((), (Notice(name, "file_is_not_a_link"),))
    if name != path.name:
        return Intake((), (Notice(name, "file_name_printable"),))
    if not path.is_file():
        raise PackageError(f"{path}: no such file")
    return Intake((_received(path, name, role),))


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
        reviews=_concat(by_role.get("reviews", []), REVIEW_COLUMNS),
        lessons={
            lessons_outcome(f.name): decode_text(f.content, f.name) for f in files if f.role == "lessons"
        },
    )


def read_package(root: Path) -> Package:
    """Read every file of a package folder; refuse (PackageError) only what cannot be read at all."""
    framework, intake = receive_package(root)
    return assemble_package(root, framework, intake.files, [read_received(f) for f in intake.files])
