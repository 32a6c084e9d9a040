"""Text from a submission shown where it could come alive: escaped for the place it goes.

The Prefect UI renders every Markdown artifact, and every cell of a table artifact, as Markdown: a
submission value `[x](javascript:alert(1))` would become a live link and `<img src=x>` an image. Every
value that comes from a submission (or is typed by a person: a comment, a name) goes into an artifact
through `markdown_text` (running text) or `markdown_cell` (a table cell), and reads there as typed.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which it
may skip before reading a formula) as a formula: `=HYPERLINK("http://…","click")` in a submission would
be a live link in whoever opens the output. Every workbook cell the program writes goes through
`workbook_cell`, every CSV through `csv_text`: such text is prefixed with `'` (shown as typed, never run);
numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING, Any

from reporting.vocabulary import CONTROL_CHARACTERS

if TYPE_CHECKING:  # a workbook writer (the submission template) needs no pandas
    import pandas as pd

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_BACKSLASHED = frozenset(string.punctuation) - _ENTITIES.keys()
"""CommonMark lets a backslash escape any ASCII punctuation; `<`, `>` and `&` become entities instead,
so no HTML tag, autolink or entity of the submission survives."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_ILLEGAL = re.compile(CONTROL_CHARACTERS)


def markdown_text(value: object) -> str:
    """`value` as Markdown that shows exactly its characters: no link, image, emphasis or HTML."""
    return "".join(
        _ENTITIES.get(char) or (f"\\{char}" if char in _BACKSLASHED else char) for char in str(value)
    )


def markdown_cell(value: object) -> str:
    """`value` for a Markdown table cell: escaped, and on one line (a line break would end the row)."""
    return markdown_text(" ".join(str(value).split()))


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is prefixed with `'` (shown as typed, never run)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def workbook_cell(value: Any) -> Any:
    """A value as it may go in a workbook cell: text neutralised and without the control characters
    the xlsx format cannot hold (U+FFFD instead of failing the whole write); any other value as it is."""
    if isinstance(value, str):
        return neutralise(XLSX_ILLEGAL.sub("\N{REPLACEMENT CHARACTER}", value))
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every text cell `neutralise`d; columns of numbers or times are left as they are."""
    import pandas as pd

    changed = {}
    for name, column in frame.items():
        if pd.api.types.is_string_dtype(column):  # text only (missing cells aside): vectorised
            formula = column.str.startswith(FORMULA_STARTS, na=False)
        elif column.dtype == object:  # text among other values
            formula = column.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS)).astype(bool)
        else:
            continue
        if formula.any():
            changed[name] = column.mask(formula, "'" + column[formula].astype(str))
    if not changed:
        return frame
    result = frame.copy(deep=False)  # copy-on-write: the frame given is left as it was
    for name, values in changed.items():
        result[name] = values
    return result


def csv_text(frame: pd.DataFrame) -> str:
    """`frame` as CSV (no index, missing cells empty), its text neutralised (`neutralised`)."""
    return neutralised(frame).to_csv(index=False, na_rep="")
