"""XLIFF 1.2 files for the organisation's translators (Trados, memoQ, OmegaT read them), written and read
with translate-toolkit.

Each trans-unit is one passage: its id is the source text's hash (report.translation), its context
group says where the text first appears (biennium, indicator, CPO, column) and its note tells the
translator what the text is. A returned file is untrusted input: it is refused above MAX_BYTES, and
parsed only once it is known to declare no DTD (no entity can expand; translate-toolkit's own parser
resolves no entities and reads nothing from the network either)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import defusedxml.ElementTree as SafeElementTree  # type: ignore[import-untyped]
from defusedxml import DefusedXmlException
from translate.storage import xliff

from reporting.outputs import write_bytes
from reporting.report.sections.plain import word_safe
from reporting.report.translation import Passage, source_hash, source_text
from reporting.store.translations import Translated

MAX_BYTES = 64 * 1024 * 1024
"""The largest XLIFF file imported (an export of 10,000 CPO results is a few MB)."""
NAMESPACE = "urn:oasis:names:tc:xliff:document:1.2"
FILE_PREFIX = "implementation-report-"
CONTEXT_GROUP = "x-reporting"


class XliffError(Exception):
    """A file that is not an XLIFF file this program wrote, or not one it may read: one line."""


class _Unit12(xliff.Xliff1Unit):
    namespace = NAMESPACE


class _File12(xliff.Xliff1File):  # type: ignore[type-arg]
    """translate-toolkit's XLIFF writer in version 1.2 (its default skeleton says 1.1)."""

    UnitClass = _Unit12
    namespace = NAMESPACE
    XMLskeleton = f"""<?xml version="1.0" ?>
<xliff version='1.2' xmlns='{NAMESPACE}'>
<file original='NoName' source-language='en' datatype='plaintext'>
<body>
</body>
</file>
</xliff>"""


def write_xliff(found: Iterable[Passage], language: str, biennium: str, out: Path) -> int:
    """The passages as an XLIFF 1.2 file into `language`, one <file> per language they are written in;
    returns how many units."""
    store = _File12(sourcelanguage="en", targetlanguage=language)
    count = 0
    for passage in sorted(found, key=lambda p: p.language != "en"):
        store.sourcelanguage, name = passage.language, f"{FILE_PREFIX}{biennium}.{passage.language}"
        unit = store.addsourceunit(passage.text, filename=name, createifmissing=True)  # type: ignore[no-untyped-call]
        unit.setid(passage.key)
        unit.addnote(passage.note, origin="developer")
        where = [
            ("x-biennium", passage.biennium),
            ("x-outcome", passage.outcome),
            ("x-indicator", passage.indicator),
            ("x-cpo", passage.cpo),
            ("x-column", passage.column),
        ]
        unit.createcontextgroup(CONTEXT_GROUP, [(k, v) for k, v in where if v], purpose="information")
        count += 1
    write_bytes(out, bytes(store))
    return count


@dataclass(frozen=True)
class Returned:
    """What a translator's XLIFF file holds: its language and biennium, the units translated, and the
    units set aside (one line each)."""

    language: str
    biennium: str
    translated: list[Translated]
    set_aside: list[str] = field(default_factory=list)
    untranslated: int = 0


def _checked_bytes(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise XliffError(f"{path}: {size:,} bytes, more than an XLIFF file of the report ({MAX_BYTES:,})")
    data = path.read_bytes()
    try:
        SafeElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise XliffError(f"{path}: declares a DTD or entities: not read") from None
    except SafeElementTree.ParseError as exc:
        raise XliffError(f"{path}: not XML: {exc}") from None
    return data


def read_xliff(path: Path, languages: Iterable[str]) -> Returned:
    """The translations a translator returned in `path`, a file `write_xliff` wrote (into one of
    `languages`). A unit whose source no longer matches its id (edited) is set aside; one left empty
    is not translated yet."""
    try:
        store = _File12.parsestring(_checked_bytes(path))  # type: ignore[no-untyped-call]
    except (ValueError, AssertionError, StopIteration) as exc:  # StopIteration: no <file> element
        raise XliffError(f"{path}: not an XLIFF 1.x file: {exc}".splitlines()[0]) from None
    language = str(store.gettargetlanguage() or "")
    if language not in set(languages):
        raise XliffError(f"{path}: target-language {language!r}: the report is translated into {languages}")
    names = [n for n in store.getfilenames() if str(n).startswith(FILE_PREFIX)]
    if not names or len(names) != len(store.getfilenames()):
        raise XliffError(f"{path}: not an export of the report (reporting translation export)")
    translated, set_aside, empty = [], [], 0
    for unit in store.unit_iter():
        key, source = str(unit.xmlelement.get("id") or ""), source_text(unit.source)
        text = word_safe(unit.target or "").strip()
        if source_hash(source) != key:
            set_aside.append(f"unit {key[:12] or '(no id)'}: its source text was changed: not imported")
        elif not text:
            empty += 1
        else:
            translated.append(Translated(key, source, text))
    biennium = str(names[0]).removeprefix(FILE_PREFIX).split(".")[0]
    return Returned(language, biennium, translated, set_aside, empty)
