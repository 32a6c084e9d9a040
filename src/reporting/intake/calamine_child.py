"""Workbooks that openpyxl does not read (.xls, .ods) are read by calamine in a child process.

calamine's Rust code can abort the process it runs in on a damaged file: one changed byte in an .xls made
it ask for 1.1 TB of memory, an abort that no Python code can catch. Read in a child process with a
memory limit and a time limit, such a file is refused, and `reporting validate` (or a Prefect worker)
goes on with the other files. The child writes the sheets as JSON, dates and times tagged; it imports
nothing but calamine, so it starts in a few tens of milliseconds.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from python_calamine import (
    CalamineError,
    CalamineWorkbook,
    PasswordError,
    SheetMetadata,
    SheetTypeEnum,
    SheetVisibleEnum,
)

MEMORY_LIMIT = 4 * 1024**3
TIME_LIMIT_SECONDS = 300
DAMAGED = "not a readable workbook (the reader stopped on damaged content)"
TAGGED: dict[str, type[date] | type[time]] = {"datetime": datetime, "date": date, "time": time}


class Unreadable(Exception):
    """The workbook cannot be read; the message says why, in a few words."""


@dataclass(frozen=True)
class CalamineSheet:
    """A sheet as calamine reads it: `rows` from A1 (None when the sheet spans more cells than asked
    for: `height` × `width` says how many), merged ranges as (top, left, bottom, right), 0-based."""

    title: str
    hidden: bool
    height: int
    width: int
    rows: list[list[Any]] | None
    merged: list[tuple[int, int, int, int]]


def read_sheets(content: bytes, max_cells: int) -> list[CalamineSheet]:
    """Every sheet of a workbook, read in a child process; Unreadable when the file cannot be read or
    the child dies on it."""
    try:
        child = subprocess.run(
            [sys.executable, "-I", "-m", "reporting.intake.calamine_child", str(max_cells)],
            input=content,
            capture_output=True,
            timeout=TIME_LIMIT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise Unreadable(
            f"not a readable workbook (reading it took more than {TIME_LIMIT_SECONDS} s)"
        ) from exc
    if child.returncode != 0:
        raise Unreadable(DAMAGED)
    answer = json.loads(child.stdout)
    if "refused" in answer:
        raise Unreadable(answer["refused"])
    return [
        CalamineSheet(
            s["title"],
            s["hidden"],
            s["height"],
            s["width"],
            None if s["rows"] is None else [[_untagged(v) for v in r] for r in s["rows"]],
            [(t, left, b, r) for t, left, b, r in s["merged"]],
        )
        for s in answer["sheets"]
    ]


def _untagged(value: Any) -> Any:
    if isinstance(value, dict):
        return TAGGED[value["type"]].fromisoformat(value["iso"])
    return value


def _tagged(value: Any) -> Any:
    """A cell for JSON: a date or time as its ISO text and type; a duration as text (as it is shown)."""
    for name, kind in TAGGED.items():  # datetime first: a datetime is a date too
        if isinstance(value, kind):
            return {"type": name, "iso": value.isoformat()}
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def _sheet(workbook: CalamineWorkbook, meta: SheetMetadata, max_cells: int) -> dict[str, Any]:
    read: dict[str, Any] = {
        "title": meta.name,
        "hidden": meta.visible != SheetVisibleEnum.Visible,
        "height": 0,
        "width": 0,
        "rows": [],
        "merged": [],
    }
    if meta.typ != SheetTypeEnum.WorkSheet:  # a chart or macro sheet holds no rows
        return read
    sheet = workbook.get_sheet_by_name(meta.name)
    if sheet.end is None:
        return read
    read["height"], read["width"] = sheet.end[0] + 1, sheet.end[1] + 1
    if read["height"] * read["width"] > max_cells:
        return {**read, "rows": None}
    rows = sheet.to_python(skip_empty_area=False)
    merged = [[t, left, b, r] for (t, left), (b, r) in sheet.merged_cell_ranges or []]
    return {**read, "rows": [[_tagged(v) for v in r] for r in rows], "merged": merged}


def _answer(content: bytes, max_cells: int) -> dict[str, Any]:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        return {"sheets": [_sheet(workbook, meta, max_cells) for meta in workbook.sheets_metadata]}
    except PasswordError:
        return {"refused": "the workbook is protected by a password: save it without one"}
    except CalamineError as exc:
        return {"refused": f"not a readable workbook ({exc})"}
    except BaseException as exc:  # a panic in calamine's Rust code: pyo3's PanicException, which no
        if type(exc).__name__ != "PanicException":  # module exports, derives from BaseException
            raise
        return {"refused": DAMAGED}


def main() -> None:
    """The child: the workbook's bytes on stdin, the sheets as JSON on stdout, within MEMORY_LIMIT."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    json.dump(_answer(sys.stdin.buffer.read(), int(sys.argv[1])), sys.stdout)


if __name__ == "__main__":
    main()
