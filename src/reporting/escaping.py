"""Text from a submission shown where it could come alive: escaped for the place it goes.

The Prefect UI renders every Markdown artifact, and every cell of a table artifact, as Markdown: a
submission value `[x](javascript:alert(1))` would become a live link and `<img src=x>` an image. Every
value that comes from a submission (or is typed by a person: a comment, a name) goes into an artifact
through `markdown_text` (running text) or `markdown_cell` (a table cell), and reads there as typed.
"""

from __future__ import annotations

import string

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_BACKSLASHED = frozenset(string.punctuation) - _ENTITIES.keys()
"""CommonMark lets a backslash escape any ASCII punctuation; `<`, `>` and `&` become entities instead,
so no HTML tag, autolink or entity of the submission survives."""


def markdown_text(value: object) -> str:
    """`value` as Markdown that shows exactly its characters: no link, image, emphasis or HTML."""
    return "".join(
        _ENTITIES.get(char) or (f"\\{char}" if char in _BACKSLASHED else char) for char in str(value)
    )


def markdown_cell(value: object) -> str:
    """`value` for a Markdown table cell: escaped, and on one line (a line break would end the row)."""
    return markdown_text(" ".join(str(value).split()))
