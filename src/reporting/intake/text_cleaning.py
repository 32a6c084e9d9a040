"""Text cells as users paste them: control characters and HTML (tags, entities) removed, words kept.

Word rendering chokes on control characters (docxtpl drops or splits on them, python-docx raises), and
text copied from a web form carries tags. Cleaning keeps every word, puts a line break where a block tag
(`<br>`, `<p>`, `<li>`, …) separated lines, and says what it removed so the submitter can be told. A
script or style element is code, not words: it goes with its content (`<script>alert(1)</script>`).
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from reporting.vocabulary import CONTROL_CHARACTERS

if TYPE_CHECKING:  # `printable` names a package's files before any table is read: no pandas for it
    import pandas as pd

# Only the tags of web forms and word processors: "<minimum wage and working >" is prose, not a tag.
HTML_TAG_NAMES = (
    "a|abbr|b|big|blockquote|br|center|code|del|div|em|font|h[1-6]|hr|i|img|ins|li|mark|o:p|ol|p|pre|q|s|"
    "small|span|strike|strong|sub|sup|table|tbody|td|tfoot|th|thead|tr|tt|u|ul|script|style"
)
HTML_TAG = rf"(?:(?i:</?(?:{HTML_TAG_NAMES})(?:[ \t\n\r/][^<>]*)?>)|<!--[^>]*-->)"  # no \s: Arrow runs it
HTML_ENTITY = r"&(?:[A-Za-z]+|#[0-9]+|#[xX][0-9A-Fa-f]+);"
NEEDS_CLEANING = f"{CONTROL_CHARACTERS}|{HTML_TAG}|{HTML_ENTITY}|\r"
# One character class that every cell needing cleaning contains: a fast first pass over long texts.
MAY_NEED_CLEANING = CONTROL_CHARACTERS[:-1] + "<&\r]"

_CONTROL = re.compile(CONTROL_CHARACTERS)
_TAG = re.compile(HTML_TAG)
_CODE_ELEMENT = re.compile(r"<(script|style)\b[^<>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_ENTITY = re.compile(HTML_ENTITY)
_BLOCK_TAG = re.compile(r"</?(?:br|p|div|li|ul|ol|tr|h[1-6])\b[^<>]*>", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str) -> tuple[str, str]:
    """The text without control characters and HTML, and what was removed (empty when nothing)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    removed = []
    controls = sorted({f"U+{ord(c):04X}" for c in _CONTROL.findall(text)})
    if controls:
        removed.append("control characters " + ", ".join(controls))
        text = _CONTROL.sub("", text)
    code: list[str] = []
    while found := [f"<{m.group(1).lower()}>" for m in _CODE_ELEMENT.finditer(text)]:  # until none is left
        code += found
        text = _CODE_ELEMENT.sub("", text)
    if code:
        removed.append("HTML code " + " ".join(dict.fromkeys(code)) + " (with its content)")
    tags = list(dict.fromkeys(t.lower() for t in _TAG.findall(text)))
    if tags:
        removed.append("HTML tags " + " ".join(tags[:5]) + (" …" if len(tags) > 5 else ""))
        text = _TAG.sub("", _BLOCK_TAG.sub("\n", text))
        text = _BLANK_LINES.sub("\n\n", text).strip()
    entities = list(dict.fromkeys(_ENTITY.findall(text)))
    if entities:
        unescaped = html.unescape(text)
        if unescaped != text:
            removed.append("HTML entities " + " ".join(entities[:5]))
            text = unescaped.replace("\xa0", " ")
    return text, "; ".join(removed)


def printable(name: str) -> str:
    """A name (of a file, a folder or a sheet) safe to show anywhere — console, workbook, Word, database:
    every control character (line breaks and ESC included), and what is left of bytes that were not
    text in a file name (lone surrogates), shown as U+FFFD."""
    return _UNPRINTABLE.sub("\N{REPLACEMENT CHARACTER}", name)


def needs_cleaning(series: pd.Series[str]) -> pd.Series[bool]:
    """Which cells hold something `clean_text` would change (vectorised; Arrow regex when available).

    A single character class is searched first; the full pattern runs only on the cells it finds."""
    candidates = series[series.str.contains(MAY_NEED_CLEANING, regex=True).fillna(False).astype(bool)]
    if candidates.empty:  # as most columns: no second pass
        import pandas as pd

        return pd.Series(False, index=series.index, name=series.name)
    found = candidates.str.contains(NEEDS_CLEANING, regex=True).fillna(False).astype(bool)
    return found.reindex(series.index, fill_value=False).astype(bool)
