"""docxtpl's template, rendering the body piece by piece into a file so that a large report's memory does
not grow with its size.

docxtpl (0.20, pinned in pyproject.toml) renders document.xml's body as one string, copies it four times
over (its fix-ups), parses all of it into a tree and serialises the tree again. On the whole programme's
"results by indicator" companion (48 million characters at 20,000 results) a build's peak was 955-1,152 MB
at 20,000 rows, and 100,000 rows would have taken 3 to 5 GB; streamed, 552 MB and 1,548 MB (issue 24's
goal: 2 GB), the same CPU (measured 7 December 2026, `make bench-memory`). `ReportTemplate`
makes the same passes on pieces of about a megabyte (whole paragraphs and tables) as the template's
output comes (jinja's `generate`), writes each piece into a file beside the report and puts that file
into the .docx as it is. Where its passes differ from docxtpl's:

- the body is checked with a streaming parser (expat), never held as a tree; when it is not well-formed
  XML (a template whose tags cut across Word's structure), docxtpl's own rendering and recovering parser
  make the best of it, as they always did;
- the "listing" pass (tabs and line breaks typed inside a value become Word tabs and breaks) runs only on
  a piece that holds one: the context splits paragraphs itself;
- a table whose `{%tc %}` column loop gave it more cells than its grid has columns gets its grid from its
  widest row's cell widths (each column as wide as its cell in the template), instead of docxtpl's fix,
  which spreads the table's template width evenly and needs the whole body as a tree;
- the accessibility edits of the body (heading levels, header rows, the passages printed in another
  language tagged with it) are made on each piece, those of the other parts (language, title) as the
  package is saved. (Tagging the passages by opening the written .docx with python-docx took a French
  edition of 20,000 rows to 972 MB; on the pieces, 617 MB.)

tests/test_report_content.py holds the contract: every document reads as docxtpl's own rendering does.
"""

from __future__ import annotations

import io
import os
import re
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docxtpl import DocxTemplate
from jinja2 import Environment, Template
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree  # type: ignore[import-untyped]

from reporting.report.accessibility import AccessibleBody, accessible_parts

PIECE_CHARACTERS = 1 << 20
"""A piece of the body is cut after the first table to end past this many characters (about 2 MB of
memory per copy): small against the rest of a build, large enough that the passes run a few hundred
times, not once per table."""
DOCUMENT_PART = "word/document.xml"
PART_TIME = (1980, 1, 1, 0, 0, 0)
"""The time every part of a written .docx carries (zip's earliest): two builds of the same report write
the same bytes, so a rebuild can be compared byte for byte (make soak does)."""

_XML_TAG = re.compile(r"<[^>]+>")
_COLUMN_LOOP = re.compile(r"\{%-?\s*tc\s")
_DOCPR_ID = re.compile(r'(<wp:docPr\b[^>]*?\bid=")\d+(")')
_LISTING_TEXT = re.compile(r"<w:t(?: [^>]*)?>[^<]*[\t\a\n\f]")
_TABLE_TAG = re.compile(r"<w:tbl[ >]|</w:tbl>")
_GRID_COLUMN = re.compile(r"<w:gridCol\b")
_ROW_START = re.compile(r"<w:tr[ >]")
_CELL = re.compile(r"<w:tc[ >]")
_BODY_START = re.compile(r"<w:body\b[^>]*>")
_PARAGRAPH_START = re.compile(r"<w:p([ >])")
_MARKED_PARAGRAPH_START = re.compile(r"\n<w:p([ >])")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class _NotABody(Exception):
    """The template's output does not start with the body's start tag or end with its end tag."""


@dataclass
class _StreamedBody:
    """The rendered body, written into the template's `body_file` as the whole word/document.xml, and its
    accessibility edits (the title they found)."""

    accessible: AccessibleBody


class ReportTemplate(DocxTemplate):  # type: ignore[misc]
    """docxtpl's template with the body streamed into `body_file` (see the module's docstring)."""

    _streamed: _StreamedBody | None = None
    docx_ids_index: int  # docxtpl's counter of drawing ids (set by its render_init)
    ending = ""
    """XML the body ends with, before its section properties (a draft's annex: draft.draft_ending): never
    rendered as the template is, so a submission's text in it stays text."""

    def __init__(
        self,
        template: Path,
        body_file: Path,
        language: str | None,
        tag_passages: Callable[[Any], object] | None = None,
    ) -> None:
        """`body_file`: where the rendered word/document.xml is written; `language`: the edition's,
        written into the saved document (accessibility.accessible_parts); `tag_passages`: what tags the
        passages printed in another language under an element of the body (translation.py)."""
        super().__init__(str(template))
        self.body_file, self.language, self.tag_passages = body_file, language, tag_passages

    def build_xml(self, context: dict[str, Any], jinja_env: Environment | None = None) -> Any:
        unpatched = self.get_xml()
        self._column_loops = _COLUMN_LOOP.search(_XML_TAG.sub("", unpatched)) is not None
        source = self.patch_xml(unpatched)
        environment = jinja_env if jinja_env is not None else SandboxedEnvironment(autoescape=True)
        # As docxtpl's render_xml_part: a line per paragraph (jinja's line statements need them).
        template = environment.from_string(_PARAGRAPH_START.sub(r"\n<w:p\1", source))
        self.current_rendering_part = self.docx.part  # where an image the body places is added
        first_id = self.docx_ids_index
        try:
            return self._write_body(template, context)
        except (expat.ExpatError, _NotABody):
            self.docx_ids_index = first_id
            return super().build_xml(context, jinja_env)

    def _write_body(self, template: Template, context: dict[str, Any]) -> _StreamedBody:
        """word/document.xml into `body_file`: the part as python-docx writes it, its body rendered piece by
        piece, each checked, fixed up and edited as docxtpl, accessibility and translation do on the
        whole."""
        document: str = self.docx.part.blob.decode("utf-8")
        before, after = document[: document.index("<w:body")], document[document.index("</w:body>") + 9 :]
        accessible = AccessibleBody(self.docx.styles.element)
        checker = expat.ParserCreate(namespace_separator=" ")
        body_start, ended = "", False
        with open(self.body_file, "wb") as written:
            written.write(before.encode("utf-8"))
            # each piece ends after a table not inside another: whole paragraphs and tables
            for piece in pieces(template.generate(context), _after_last_outer_table):
                checker.Parse(piece, False)
                if not body_start:  # the body's start tag: it declares the namespaces a piece uses
                    found = _BODY_START.match(piece)
                    if found is None:
                        raise _NotABody
                    body_start, piece = found.group(0), piece[found.end() :]
                    written.write(body_start.encode("utf-8"))
                ended = piece.rstrip().endswith("</w:body>")
                piece = self._fixed_up(piece.rstrip()[: -len("</w:body>")] if ended else piece, body_start)
                piece = _ending_added(piece, self.ending) if ended else piece
                written.write(accessible.edit(piece).encode("utf-8"))
            checker.Parse("", True)
            if not ended:
                raise _NotABody
            written.write(f"</w:body>{after}".encode())
        os.utime(self.body_file, (_part_timestamp(),) * 2)
        return _StreamedBody(accessible)

    def _fixed_up(self, piece: str, body_start: str) -> str:
        """A rendered piece (whole paragraphs and tables) after docxtpl's passes: its markers undone,
        listings resolved, tables' grids fitted to column loops, drawing ids renumbered in document
        order; then the passages in another language tagged."""
        piece = _MARKED_PARAGRAPH_START.sub(r"<w:p\1", piece)
        piece = piece.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        if _LISTING_TEXT.search(piece) is not None:
            piece = self.resolve_listing(piece)
        if self._column_loops:
            piece = _tables_fitted(piece, body_start)
        piece = _DOCPR_ID.sub(self._renumbered, piece)
        return piece if self.tag_passages is None else _edited_as_tree(piece, body_start, self.tag_passages)

    def _renumbered(self, match: re.Match[str]) -> str:
        self.docx_ids_index += 1
        return f"{match.group(1)}{self.docx_ids_index}{match.group(2)}"

    def fix_tables(self, xml: Any) -> Any:
        return xml if isinstance(xml, _StreamedBody) else super().fix_tables(xml)

    def fix_docpr_ids(self, tree: Any) -> None:
        if not isinstance(tree, _StreamedBody):
            super().fix_docpr_ids(tree)

    def map_tree(self, tree: Any) -> None:
        self._streamed = tree if isinstance(tree, _StreamedBody) else None
        if self._streamed is None:
            super().map_tree(tree)

    def save(self, filename: Any, *args: Any, **kwargs: Any) -> None:
        streamed = self._streamed
        if streamed is None:  # docxtpl rendered the body: a tree
            body = self.docx.element.body
            if self.tag_passages is not None:
                self.tag_passages(body)
            if self.ending:
                ending = parse_xml(f"<w:body {nsdecls('w')}>{self.ending}</w:body>")
                section = body.find(qn("w:sectPr"))  # the body's own: its last child
                for element in list(ending):
                    if section is None:
                        body.append(element)
                    else:
                        section.addprevious(element)
        package = io.BytesIO()
        super().save(package)
        with zipfile.ZipFile(package) as source, zipfile.ZipFile(filename, "w", zipfile.ZIP_DEFLATED) as out:
            parts = {entry.filename: source.read(entry) for entry in source.infolist()}
            parts.update(accessible_parts(parts, self.language, streamed.accessible if streamed else None))
            for name, data in parts.items():  # a fixed time: the same report is the same bytes
                if streamed is not None and name == DOCUMENT_PART:
                    out.write(self.body_file, name, zipfile.ZIP_DEFLATED, compresslevel=1)
                else:
                    part = zipfile.ZipInfo(name, date_time=PART_TIME)
                    out.writestr(part, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)


def pieces(fragments: Iterable[str], cut_at: Callable[[str], int] = len) -> Iterator[str]:
    """A template's output (small strings) in pieces of about PIECE_CHARACTERS characters, each cut where
    `cut_at` says in the text gathered (its length: all of it; 0: nowhere yet, so the piece grows and is
    looked at again once it has doubled: the work stays linear)."""
    pending: list[str] = []
    size, wanted = 0, PIECE_CHARACTERS
    for fragment in fragments:
        pending.append(fragment)
        size += len(fragment)
        if size < wanted:
            continue
        text = "".join(pending)
        cut = cut_at(text)
        if cut:
            yield text[:cut]
            pending, size, wanted = [text[cut:]], len(text) - cut, PIECE_CHARACTERS
        else:
            pending, wanted = [text], size * 2
    yield "".join(pending)


_BODY_SECTION = re.compile(r"<w:sectPr[ >]")


def _ending_added(piece: str, ending: str) -> str:
    """The body's last piece with `ending` before the body's own section properties (its last child, when
    it has them), else at its end."""
    found = list(_BODY_SECTION.finditer(piece))
    at = found[-1].start() if found else len(piece)
    if at < max(piece.rfind("</w:p>"), piece.rfind("</w:tbl>")):  # a paragraph's, not the body's
        at = len(piece)
    return piece[:at] + ending + piece[at:]


def newline_runs_whole(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces of a text cut again so that no run of newlines is split between two: each without the
    newlines it ends with (they open the next), the text's final newlines last, alone."""
    held = ""
    for piece in pieces:
        text = held + piece
        kept = text.rstrip("\n")
        held = text[len(kept) :]
        if kept:
            yield kept
    yield held


def _after_last_outer_table(text: str) -> int:
    """Where the last table not inside another ends in `text` (which starts outside any table); 0 if none."""
    depth = cut = 0
    for tag in _TABLE_TAG.finditer(text):
        if tag.group(0) == "</w:tbl>":
            depth -= 1
            if depth == 0:
                cut = tag.end()
        else:
            depth += 1
    return cut


def _tables_fitted(piece: str, body_start: str) -> str:
    """The piece with each table whose rows have more cells than its grid has columns given the widths of
    its widest row's cells (the rest of the piece as it was)."""
    written: list[str] = []
    done = depth = start = 0
    for tag in _TABLE_TAG.finditer(piece):
        if tag.group(0) != "</w:tbl>":
            depth += 1
            start = tag.start() if depth == 1 else start
            continue
        depth -= 1
        if depth == 0:
            table = piece[start : tag.end()]
            if _wider_than_its_grid(table):
                table = _edited_as_tree(table, body_start, _fit_grids)
            written += [piece[done:start], table]
            done = tag.end()
    return "".join([*written, piece[done:]])


def _wider_than_its_grid(table: str) -> bool:
    """Whether a row of this table has more cells than its grid has columns, read on the text (a table
    with a table inside is parsed anyway): thousands of tables need no tree for this."""
    if len(_TABLE_TAG.findall(table)) > 2:
        return True
    columns = len(_GRID_COLUMN.findall(table))
    return any(len(_CELL.findall(row)) > columns for row in _ROW_START.split(table)[1:])


def _edited_as_tree(xml: str, body_start: str, edit: Callable[[Any], object]) -> str:
    """`xml` (whole elements of the body) edited as a tree: parsed inside the body's start tag (its
    namespaces), given to `edit`, written again if `edit` says it changed something."""
    wrapped = etree.fromstring(f"{body_start}{xml}</w:body>")
    if not edit(wrapped):
        return xml
    serialised: str = etree.tostring(wrapped, encoding="unicode")
    return serialised[serialised.index(">") + 1 : serialised.rindex("<")]


def _fit_grids(body: Any) -> bool:
    """Give each table with more cells in a row than grid columns the widths of its widest row's cells;
    True if a table changed."""
    changed = False
    for table in body.iter(f"{_W}tbl"):
        grid = table.find(f"{_W}tblGrid")
        rows = [row.findall(f"{_W}tc") for row in table.findall(f"{_W}tr")]
        widest: list[Any] = max(rows, key=len, default=[])
        if grid is None or len(widest) <= len(grid.findall(f"{_W}gridCol")):
            continue
        widths = [cell.find(f"{_W}tcPr/{_W}tcW") for cell in widest]
        if any(w is None or w.get(f"{_W}type") != "dxa" for w in widths):
            continue
        for column in grid.findall(f"{_W}gridCol"):
            grid.remove(column)
        for width in widths:
            etree.SubElement(grid, f"{_W}gridCol", {f"{_W}w": width.get(f"{_W}w")})
        table_width = table.find(f"{_W}tblPr/{_W}tblW")
        if table_width is not None and table_width.get(f"{_W}type") == "dxa":
            table_width.set(f"{_W}w", str(sum(int(w.get(f"{_W}w")) for w in widths)))
        changed = True
    return changed


def _part_timestamp() -> float:
    """PART_TIME as a file's modification time (zip takes a written file's time from it)."""
    return time.mktime((*PART_TIME, 0, 0, -1))
