"""Text as it may go in a workbook cell: shown as typed, never run as a formula.

Every command that writes a workbook (the validation report, the submission template) writes its text
through `cell_value`: a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which a
spreadsheet may skip before reading a formula) is prefixed with `'`, so `=HYPERLINK("http://…","click")`
in a submission or a framework stays text; the control characters the xlsx format cannot hold become
U+FFFD instead of failing the whole write.
"""

from __future__ import annotations

import re
from typing import Any

from reporting.vocabulary import CONTROL_CHARACTERS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_ILLEGAL = re.compile(CONTROL_CHARACTERS)


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is prefixed with `'` (shown as typed, never run)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cell_value(value: Any) -> Any:
    """A value as it may go in a workbook cell: text neutralised and without the control characters
    the xlsx format cannot hold; any other value as it is."""
    if isinstance(value, str):
        return neutralise(XLSX_ILLEGAL.sub("\N{REPLACEMENT CHARACTER}", value))
    return value
