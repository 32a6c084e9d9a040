"""What makes a draft report recognisable as one: a DRAFT watermark on every page of the .docx (put in
each section's headers by code, so any template gets it), "DRAFT" in report.md's title, and each result
not yet approved flagged where the report lists it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml import parse_xml

WATERMARK = "DRAFT"
NOT_APPROVED = "[not yet approved]"
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


def watermark_docx(docx: Path) -> None:
    """Watermark a written .docx in place (after the template's own save, which rewrites the body)."""
    document = Document(str(docx))
    watermark(document)
    document.save(str(docx))


def draft_markdown(markdown: str, pending: int) -> str:
    """report.md's text with DRAFT in its title and a line under it on what is counted before approval."""
    lines = markdown.split("\n")
    at = next((n for n, line in enumerate(lines) if line.startswith("# ")), 0)
    lines[at] = f"{lines[at]} ({WATERMARK})"
    note = (
        f"**{WATERMARK}**: counts every reportable result, {pending} of them {NOT_APPROVED} (marked so "
        "below). The final report counts approved results only."
    )
    lines[at + 1 : at + 1] = ["", note]
    return "\n".join(lines)


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
