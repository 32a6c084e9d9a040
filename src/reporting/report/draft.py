"""What makes a draft report recognisable as one: a DRAFT watermark on every page of the .docx (put in
each section's headers by code, so any template gets it), "DRAFT" in report.md's title, each result
not yet approved flagged where the report lists it, and a draft annex listing the results returned to
their office (not counted), with the reviewer's comment: added by code too, at the end of the .docx."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml import parse_xml

from reporting.escaping import markdown_cell
from reporting.vocabulary import CONTROL_CHARACTERS

WATERMARK = "DRAFT"
NOT_APPROVED = "[not yet approved]"
RETURNED_ANNEX = "Draft annex: results returned to their office (not counted)"
RETURNED_COLUMNS = {"indicator": "Indicator", "cpo": "Country/CPO", "by": "Returned by", "comment": "Comment"}
Returned = Mapping[str, str]
"""A result returned to its office as a draft lists it: indicator, cpo_code, country, by, comment
(review.build.ReturnedResult as a dict)."""
_VML = "urn:schemas-microsoft-com:vml"
_OFFICE = "urn:schemas-microsoft-com:office:office"
_WORD = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WATERMARK_RUN = f"""<w:r xmlns:w="{_WORD}" xmlns:v="{_VML}" xmlns:o="{_OFFICE}"><w:pict>
<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800"
 path="m@7,l@8,m@5,21600l@6,21600e"><v:path textpathok="t" o:connecttype="custom"/>
<v:textpath on="t" fitshape="t"/><o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>
<v:shape id="PowerPlusWaterMarkObject" o:spid="_x0000_s2049" type="#_x0000_t136" o:allowincell="f"
 style="position:absolute;margin-left:0;margin-top:0;width:468pt;height:117pt;rotation:315;z-index:-251657216;
mso-position-horizontal:center;mso-position-horizontal-relative:margin;mso-position-vertical:center;
mso-position-vertical-relative:margin" fillcolor="silver" stroked="f"><v:fill opacity=".5"/>
<v:textpath style="font-family:&quot;Calibri&quot;;font-size:1pt" string="{WATERMARK}"/></v:shape>
</w:pict></w:r>"""


def watermark(document: DocxDocument) -> None:
    """Put the DRAFT watermark in every header of every section (first-page and even-page headers
    too) of a Word document being written."""
    for section in document.sections:
        for header in (section.header, section.first_page_header, section.even_page_header):
            header.is_linked_to_previous = False
            paragraph = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
            paragraph._p.append(parse_xml(WATERMARK_RUN))


def _cells(result: Returned) -> list[str]:
    """A returned result's cells, in the order of RETURNED_COLUMNS."""
    return [result["indicator"], f"{result['country']}/{result['cpo_code']}", result["by"], result["comment"]]


def returned_annex(document: DocxDocument, returned: Iterable[Returned]) -> None:
    """The draft annex at the end of a Word document being written: a heading and a table of the
    results returned to their office (or a line saying there are none)."""
    listed = list(returned)
    document.add_heading(RETURNED_ANNEX, level=1)
    if not listed:
        document.add_paragraph("No result was returned.")
        return
    table = document.add_table(rows=1, cols=len(RETURNED_COLUMNS))
    table.style = "Table Grid"
    header = table.rows[0]
    header._tr.get_or_add_trPr().append(parse_xml(f'<w:tblHeader xmlns:w="{_WORD}"/>'))  # repeats per page
    for cell, title in zip(header.cells, RETURNED_COLUMNS.values(), strict=True):
        cell.text = title
    for result in listed:
        for cell, text in zip(table.add_row().cells, _cells(result), strict=True):
            cell.text = re.sub(CONTROL_CHARACTERS, "", text)


def mark_draft_docx(docx: Path, returned: Iterable[Returned]) -> None:
    """Make a written .docx a draft in place (after the template's own save, which rewrites the body):
    the watermark, and the draft annex of the results returned."""
    document = Document(str(docx))
    watermark(document)
    returned_annex(document, returned)
    document.save(str(docx))


def returned_markdown(returned: Iterable[Returned]) -> str:
    """The results returned to their office as a Markdown table (every value escaped: a reviewer's
    comment reads as typed), or a line saying there are none."""
    listed = list(returned)
    if not listed:
        return "No result was returned."
    head = "| " + " | ".join(RETURNED_COLUMNS.values()) + " |\n" + "|---" * len(RETURNED_COLUMNS) + "|"
    rows = ["| " + " | ".join(markdown_cell(c) for c in _cells(r)) + " |" for r in listed]
    return "\n".join([head, *rows])


def draft_markdown(markdown: str, pending: int, returned: Iterable[Returned] = ()) -> str:
    """report.md's text with DRAFT in its title, a line under it on what is counted before approval,
    and at its end the draft annex of the results returned to their office."""
    listed = list(returned)
    lines = markdown.rstrip("\n").split("\n")
    at = next((n for n, line in enumerate(lines) if line.startswith("# ")), 0)
    lines[at] = f"{lines[at]} ({WATERMARK})"
    note = (
        f"**{WATERMARK}**: counts every reportable result not returned to its office, {pending} of them "
        f"{NOT_APPROVED} (marked so below); {len(listed)} returned, not counted (listed at the end). The "
        "final report counts approved results only."
    )
    lines[at + 1 : at + 1] = ["", note]
    return "\n".join([*lines, "", f"## {RETURNED_ANNEX}", "", returned_markdown(listed), ""])


def flag_pending(context: dict[str, Any], pending: set[tuple[str, str]]) -> dict[str, Any]:
    """The report's context with each listed result not yet approved ((indicator, CPO code) in
    `pending`) titled "[not yet approved] …"; the context given is left as it was."""
    flagged = copy.deepcopy(context)
    for outcome in flagged.get("outcomes", []):
        for indicator in outcome.get("indicators", []):
            for region in indicator.get("regions", []):
                for cpo in region.get("cpos", []):
                    if (indicator["id"], cpo["code"]) in pending:
                        cpo["title"] = f"{NOT_APPROVED} {cpo['title']}"
    return flagged
