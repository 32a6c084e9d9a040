"""What makes a draft report recognisable as one: a DRAFT watermark on every page of the .docx (put in
the headers by code, so any template gets it, and the running header kept), "DRAFT" in report.md's
title, each result not yet approved flagged where the report lists it, and a draft annex listing the
results returned to their office (not counted), with the reviewer's comment: added by code too, at the
end of the .docx; all in the edition's language (DRAFT, PROJET, BORRADOR)."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from docx.document import Document as DocxDocument
from docx.oxml import parse_xml
from docx.shared import Length
from markupsafe import escape
from PIL import Image, ImageDraw, ImageFont

from reporting.escaping import markdown_cell
from reporting.report.edition import DEFAULT_LANGUAGE, N_, edition
from reporting.report.translation import untranslated_line
from reporting.report.word_template import newline_runs_whole
from reporting.vocabulary import CONTROL_CHARACTERS

WATERMARK = N_("DRAFT")
NOT_APPROVED = N_("[not yet approved]")
RETURNED_ANNEX = N_("Draft annex: results returned to their office (not counted)")
RETURNED_COLUMNS = (N_("Indicator"), N_("Country/CPO"), N_("Returned by"), N_("Comment"))
NONE_RETURNED = N_("No result was returned.")
Returned = Mapping[str, str]
"""A result returned to its office as a draft lists it: indicator, cpo_code, country, by, comment
(review.build.ReturnedResult as a dict)."""
WATERMARK_NAME = "PowerPlusWaterMarkObject"
"""The name Word gives the shape of its own watermarks (and looks for to remove one)."""
WATERMARK_SIZE_EMU = 15 * 360_000
"""15 cm square, centred on the page: the word written diagonally across it."""
WATERMARK_RUN = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"
 xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"
 xmlns:adec="http://schemas.microsoft.com/office/drawing/2017/decorative"><w:drawing>
<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="0" behindDoc="1" locked="1"
 layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>
<wp:positionH relativeFrom="page"><wp:align>center</wp:align></wp:positionH>
<wp:positionV relativeFrom="page"><wp:align>center</wp:align></wp:positionV>
<wp:extent cx="{size}" cy="{size}"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>
<wp:docPr id="{id}" name="{name}" descr=""><a:extLst><a:ext uri="{{C183D7F6-B498-43B3-948B-1728B52AA6E4}}">
<adec:decorative val="1"/></a:ext></a:extLst></wp:docPr><wp:cNvGraphicFramePr/>
<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>
<pic:nvPicPr><pic:cNvPr id="{id}" name="watermark.png"/><pic:cNvPicPr/></pic:nvPicPr>
<pic:blipFill><a:blip r:embed="{image}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>
<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{size}" cy="{size}"/></a:xfrm>
<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>
</wp:anchor></w:drawing></w:r>"""
"""A picture behind the text, marked decorative: Word reads it as decoration, LibreOffice's tagged PDF
leaves it out of the structure (an artifact, not a Figure without alternative text)."""
FIRST_WATERMARK_ID = 90_000
"""Drawing ids of the watermarks (the body's pictures are numbered from 1)."""


def watermark_image(text: str) -> io.BytesIO:
    """The word in grey, half transparent, written diagonally on a transparent square (PNG)."""
    side = 1200
    font = ImageFont.load_default(size=side // max(len(text), 5) * 5 // 3)
    line = Image.new("LA", (side * 3 // 2, side // 2), (255, 0))
    grey = (128, 150)
    ImageDraw.Draw(line).text(
        (line.width // 2, line.height // 2),
        text,
        font=font,
        fill=grey,
        anchor="mm",
        stroke_width=8,
        stroke_fill=grey,
    )
    square = Image.new("LA", (side, side), (255, 0))
    turned = line.rotate(45, expand=True, resample=Image.Resampling.BICUBIC)
    square.paste(turned, ((side - turned.width) // 2, (side - turned.height) // 2), turned)
    png = io.BytesIO()
    square.save(png, format="PNG")
    png.seek(0)
    return png


def watermark(document: DocxDocument, language: str = DEFAULT_LANGUAGE) -> None:
    """Put the DRAFT watermark, in the edition's language, on every page of a Word document being
    written: in every header the first section defines (its first-page and even-page headers too) and
    every header a later section defines itself. A header a section takes from the one before stays
    linked, so the running header of the final report is on every page of the draft as well."""
    text = edition(language).gettext(WATERMARK)
    image = watermark_image(text)
    number = itertools.count(FIRST_WATERMARK_ID)
    for index, section in enumerate(document.sections):
        for header in (section.header, section.first_page_header, section.even_page_header):
            if index == 0:
                header.is_linked_to_previous = False
            elif header.is_linked_to_previous:
                continue
            image.seek(0)
            relation, _ = header.part.get_or_add_image(image)
            run = WATERMARK_RUN.format(
                size=WATERMARK_SIZE_EMU,
                id=next(number),
                name=escape(f"{WATERMARK_NAME} {text}"),
                image=relation,
            )
            paragraph = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
            paragraph._p.append(parse_xml(run))


def _cells(result: Returned) -> list[str]:
    """A returned result's cells, in the order of RETURNED_COLUMNS."""
    return [result["indicator"], f"{result['country']}/{result['cpo_code']}", result["by"], result["comment"]]


_WORD_BREAKS = {"\t": "<w:tab/>", "\r\n": "<w:br/>", "\n": "<w:br/>", "\r": "<w:br/>"}


def _word_runs(text: str) -> str:
    """Text as Word runs: escaped, control characters dropped, tabs and line breaks as Word's own."""
    parts = re.split(r"(\t|\r\n|\n|\r)", re.sub(CONTROL_CHARACTERS, "", text))
    inner = "".join(_WORD_BREAKS.get(p) or f'<w:t xml:space="preserve">{escape(p)}</w:t>' for p in parts if p)
    return f"<w:r>{inner}</w:r>"


def _paragraph(text: str, style_id: str | None = None) -> str:
    style = f'<w:pPr><w:pStyle w:val="{escape(style_id)}"/></w:pPr>' if style_id else ""
    return f"<w:p>{style}{_word_runs(text)}</w:p>"


def draft_ending(
    document: DocxDocument,
    returned: Iterable[Returned],
    language: str = DEFAULT_LANGUAGE,
    untranslated: int = 0,
) -> str:
    """The XML a draft's body ends with (word_template puts it before the body's section properties): the
    draft annex, a heading and a table of the results returned to their office (or a line saying there
    are none), then how many passages have no translation yet (`untranslated`, when there are any).
    `document`: the template, whose styles and page width the annex takes."""
    _ = edition(language).gettext
    listed = list(returned)
    xml = [_paragraph(_(RETURNED_ANNEX), document.styles["Heading 1"].style_id)]
    if not listed:
        xml.append(_paragraph(_(NONE_RETURNED)))
    else:
        section = document.sections[-1]
        width = section.page_width - section.left_margin - section.right_margin  # type: ignore[operator]
        column = Length(width // len(RETURNED_COLUMNS)).twips
        cell_width = f'<w:tcPr><w:tcW w:type="dxa" w:w="{column}"/></w:tcPr>'

        def row(cells: Iterable[str]) -> str:  # the first is marked a header row by accessibility.py
            return "<w:tr>" + "".join(f"<w:tc>{cell_width}{_paragraph(c)}</w:tc>" for c in cells) + "</w:tr>"

        grid = "".join(f'<w:gridCol w:w="{column}"/>' for _column in RETURNED_COLUMNS)
        style = escape(document.styles["Table Grid"].style_id)
        xml.append(
            f'<w:tbl><w:tblPr><w:tblStyle w:val="{style}"/><w:tblW w:type="auto" w:w="0"/></w:tblPr>'
            f"<w:tblGrid>{grid}</w:tblGrid>"
            + row(_(title) for title in RETURNED_COLUMNS)
            + "".join(row(_cells(result)) for result in listed)
            + "</w:tbl>"
        )
    if untranslated:
        xml.append(_paragraph(untranslated_line(untranslated, language)))
    return "".join(xml)


def returned_markdown(returned: Iterable[Returned], language: str = DEFAULT_LANGUAGE) -> str:
    """The results returned to their office as a Markdown table (every value escaped: a reviewer's
    comment reads as typed), or a line saying there are none."""
    _ = edition(language).gettext
    listed = list(returned)
    if not listed:
        return _(NONE_RETURNED)
    head = "| " + " | ".join(_(c) for c in RETURNED_COLUMNS) + " |\n" + "|---" * len(RETURNED_COLUMNS) + "|"
    rows = ["| " + " | ".join(markdown_cell(c) for c in _cells(r)) + " |" for r in listed]
    return "\n".join([head, *rows])


_TITLE_LINE = re.compile(r"^# [^\n]*", re.MULTILINE)


def draft_markdown(
    pieces: Iterable[str], pending: int, returned: Iterable[Returned] = (), language: str = DEFAULT_LANGUAGE
) -> Iterator[str]:
    """report.md's text, piece by piece as it is written, with DRAFT in its title (its first line that
    starts with "# ", else its first line), a line under it on what is counted before approval, and at
    its end the draft annex of the results returned to their office; in the edition's language."""
    _ = edition(language).gettext
    listed = list(returned)
    note = _(
        "**%(draft)s**: counts every reportable result not returned to its office, %(num)s of them "
        "%(flag)s (marked so below); %(returned)s returned, not counted (listed at the end). The final "
        "report counts approved results only."
    ) % {"draft": _(WATERMARK), "num": pending, "flag": _(NOT_APPROVED), "returned": len(listed)}
    text = (piece for piece in newline_runs_whole(pieces) if piece.strip("\n"))  # the final newlines dropped
    head, title = "", None
    for piece in text:  # the text up to its title's line, held until that line is whole
        searched_from = head.rfind("\n") + 1
        head += piece
        title = _TITLE_LINE.search(head, searched_from)
        if title is not None and title.end() < len(head):
            break
    at = title.end() if title is not None else (head + "\n").index("\n")
    yield f"{head[:at]} ({_(WATERMARK)})\n\n{note}{head[at:]}"
    yield from text
    yield f"\n\n## {_(RETURNED_ANNEX)}\n\n{returned_markdown(listed, language)}\n"


def flag_pending(context: dict[str, Any], pending: set[tuple[str, str]]) -> dict[str, Any]:
    """The report's context with each listed result not yet approved ((indicator, CPO code) in
    `pending`) titled "[not yet approved] …" in the edition's language, wherever the context shows it (a
    country example is the companion's CPO block); the context given is left as it was. Only what holds
    a flagged result is copied (a whole copy of a whole programme's context took as much memory again)."""
    flag = edition(context.get("language", DEFAULT_LANGUAGE)).gettext(NOT_APPROVED)
    flagged: dict[int, dict[str, Any]] = {}
    for outcome in context.get("outcomes", []):
        for indicator in outcome.get("indicators", []):
            for region in indicator.get("regions", []):
                for cpo in region.get("cpos", []):
                    if (indicator["id"], cpo["code"]) in pending:
                        flagged[id(cpo)] = {**cpo, "title": f"{flag} {cpo['title']}"}

    def with_flags(value: Any) -> Any:
        if isinstance(value, dict):
            if id(value) in flagged:
                return flagged[id(value)]
            items = {key: with_flags(item) for key, item in value.items()}
            return items if any(items[key] is not value[key] for key in value) else value
        if isinstance(value, list):
            elements = [with_flags(item) for item in value]
            return (
                elements if any(new is not old for new, old in zip(elements, value, strict=True)) else value
            )
        return value

    copied: dict[str, Any] = with_flags(context) if flagged else dict(context)
    return copied
