"""Readers: a submission package folder becomes received files (bytes + sha256) and one frame per table.

Every evidence row keeps where it came from (`source_file`, `source_sheet`, `source_row` as the user
sees it in Excel: 1-based, header counted) so that every later finding can point back to it.
All cells are read as text: the schemas decide what is a number, and findings quote what was typed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

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
HEADER_SEARCH_ROWS = 20


@dataclass(frozen=True)
class ReceivedFile:
    """A file exactly as it was submitted; archived byte for byte under its sha256."""

    name: str
    role: str
    content: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
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


def _normalise_columns(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def _with_source(frame: pd.DataFrame, name: str, sheet: str, rows: list[int]) -> pd.DataFrame:
    frame = _normalise_columns(frame)
    frame["source_file"] = name
    frame["source_sheet"] = sheet
    frame["source_row"] = rows
    return frame


def _decode(content: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "utf-16") if content[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise PackageError(f"{name}: not readable as text (neither UTF-8 nor Windows-1252)") from exc


def read_csv_table(content: bytes, name: str) -> pd.DataFrame:
    """A CSV as Excel or another tool saved it: `,` or `;` delimited, quoted multi-line cells kept."""
    text = _decode(content, name)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, sep=delimiter, quoting=csv.QUOTE_MINIMAL
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise PackageError(f"{name}: not a readable CSV table ({exc})") from exc
    return _with_source(frame, name, "", list(range(2, len(frame) + 2)))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx_tables(content: bytes, name: str, required: tuple[str, ...]) -> list[pd.DataFrame]:
    """Every sheet whose header row (within the first rows) carries the required columns."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise PackageError(f"{name}: not a readable Excel workbook ({exc.__class__.__name__})") from exc
    frames = []
    for sheet in workbook.worksheets:
        rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        for header_at, header in enumerate(rows[:HEADER_SEARCH_ROWS]):
            names = [h.strip().lower() for h in header]
            if set(required) <= set(names):
                body = [r for r in rows[header_at + 1 :]]
                numbers = [header_at + 2 + i for i, r in enumerate(body) if any(c.strip() for c in r)]
                body = [r for r in body if any(c.strip() for c in r)]
                frame = pd.DataFrame(body, columns=names, dtype=str) if body else pd.DataFrame(columns=names)
                frames.append(_with_source(frame, name, sheet.title, numbers))
                break
    workbook.close()
    return frames


def read_json_table(content: bytes, name: str) -> pd.DataFrame:
    """A list of row objects, or `{"rows": [...]}`; values kept as text."""
    try:
        data = json.loads(_decode(content, name))
    except json.JSONDecodeError as exc:
        raise PackageError(f"{name}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise PackageError(f'{name}: expected a list of row objects or {{"rows": [...]}}')
    frame = pd.DataFrame([{k: _cell_text(v) for k, v in r.items()} for r in rows], dtype=str)
    return _with_source(frame, name, "", list(range(1, len(frame) + 1)))


def read_evidence_file(received: ReceivedFile) -> list[pd.DataFrame]:
    """One frame per table found in an evidence file (a workbook may hold several sheets)."""
    suffix = Path(received.name).suffix.lower()
    if suffix == ".csv":
        return [read_csv_table(received.content, received.name)]
    if suffix == ".xlsx":
        return read_xlsx_tables(received.content, received.name, required=("cpo_code", "criterion"))
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


def _package_paths(root: Path) -> list[tuple[Path, str]]:
    """Every file of the package that the contract names, with its role, in a stable order."""
    evidence_dir = root / "evidence"
    evidence = (
        sorted(p for p in evidence_dir.rglob("*") if p.is_file() and p.suffix.lower() in EVIDENCE_SUFFIXES)
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
    framework = parse_framework(_decode(files[0].content, "framework.yaml"), "framework.yaml")
    return framework, files


def read_received(received: ReceivedFile) -> list[pd.DataFrame]:
    """The tables of one received file (none for the framework and lessons, which are not tables)."""
    if received.role == "evidence":
        return read_evidence_file(received)
    if received.role in ("targets", "outputs", "examples"):
        return [read_csv_table(received.content, received.name)]
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
        lessons={lessons_outcome(f.name): _decode(f.content, f.name) for f in files if f.role == "lessons"},
    )


def read_package(root: Path) -> Package:
    """Read every file of a package folder; refuse (PackageError) only what cannot be read at all."""
    framework, files = receive_package(root)
    return assemble_package(root, framework, files, [read_received(f) for f in files])
