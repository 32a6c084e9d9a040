"""Finding the paragraphs of the Word template that the edit scripts change (imported by them: run as
`python scripts/template_edits/NN_….py`, a script's folder is on the import path)."""

from __future__ import annotations

from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph


def paragraphs(document: DocxDocument) -> list[Paragraph]:
    """Every paragraph of the body, table cells included, in document order."""
    return [Paragraph(p, document._body) for p in document.element.body.iter(qn("w:p"))]


def find(document: DocxDocument, text: str, after: Paragraph | None = None) -> Paragraph:
    """The first paragraph whose text is `text` (after `after`, when given)."""
    found = paragraphs(document)
    if after is not None:
        found = found[[p._p for p in found].index(after._p) + 1 :]
    for paragraph in found:
        if paragraph.text == text:
            return paragraph
    raise LookupError(text)
