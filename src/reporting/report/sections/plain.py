"""Values as the templates get them: text Word can hold, rows as dicts, long tables cut into blocks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pandas as pd

from reporting.framework import in_language, is_translated
from reporting.vocabulary import CONTROL_CHARACTERS, YES, YES_NO_SPELLINGS

if TYPE_CHECKING:
    from reporting.report.edition import Edition

_CONTROL = re.compile(CONTROL_CHARACTERS)
TABLE_BLOCK_ROWS = 1_000
"""Longest table the report holds: LibreOffice and Word lay out long tables super-linearly."""


def word_safe(text: object) -> str:
    """Drop control characters that Word cannot hold (docxtpl silently eats or splits on them)."""
    return _CONTROL.sub("", "" if text is None or text is pd.NA else str(text))


def one_line(text: object) -> str:
    """A value shown on one line (titles, names): line breaks and tabs become spaces."""
    return " ".join(word_safe(text).split())


def framework_text(text: str, words: Edition) -> str:
    """A text of framework.yaml (an outcome's or indicator's title, statement, rule, criterion) as the
    edition shows it: in the edition's language where framework.yaml gives it, else in English; on one
    line; typeset as the edition's language writes it (French: ’ and no-break spaces) when in it."""
    shown = one_line(in_language(text, words.language))
    return words.typeset(shown) if is_translated(text, words.language) else shown


def paragraphs(text: object) -> list[str]:
    """A cell's text as the paragraphs the submitter typed (line breaks separate them)."""
    return [line.strip() for line in word_safe(text).splitlines() if line.strip()]


def is_yes(value: object) -> bool:
    """A yes/no answer that means yes, however the contract lets it be spelt ("yes", "X", "✓", "oui")."""
    return YES_NO_SPELLINGS.get(word_safe(value).strip().casefold()) == YES


def blocks(rows: list[Any], size: int = TABLE_BLOCK_ROWS) -> list[list[Any]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def records(frame: pd.DataFrame, columns: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Rows as dicts without DataFrame.to_dict's per-row overhead; absent optional columns are ""."""
    names = list(columns)
    values = [frame[c].tolist() if c in frame else [""] * len(frame) for c in names]
    for row in zip(*values, strict=True):
        yield dict(zip(names, row, strict=True))
