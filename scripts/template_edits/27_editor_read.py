"""An editor's page-by-page read of the three editions: edits of the Word template, made with python-docx
so that they can be applied again to a template someone else has edited (idempotent: each edit checks
whether it is already there).

- no blank page before the annex: the portrait section of the last outcome's lessons learned and
  Table 4 and of the lessons of all outcomes ends (its section break is written) only when one of them
  is there; otherwise the landscape annex follows the landscape tables;
- no heading ends a page alone: the line under a heading that introduces a table or a subheading (the
  outcome statement, the note on the country examples, an annex's introduction, an indicator's title in
  the annexes) keeps with next, as the headings' styles do, and the chart with its caption;
- the annexes' region headings ("7.1, Africa: 2") are a message of the catalogs, so that French writes
  them with its no-break space before the colon ("7.1, Afrique : 2");
- Table 1's note says, in one sentence, when no result counted under the outcome declares a typology
  (optional in a submission): the five typology columns are then empty. The note is a sentence that
  anyone can reword in Word; leaving the columns out instead would take `{%tc %}` conditions in every
  row and a conditional span in the group headers' merged cells, which editing the table in Word breaks;
- Table 2 as wide as Table 1 (both centred, they line up; it had reached 2.5 mm into each margin), and
  the notes under Tables 1 and 2 a few points clear of the table's border;
- the report's annex leaves out a region of none ("7.1, Europe and Central Asia: 0 — No member State
  counted"; Table 2 no longer links its 0), and says "No member State counted." only under an indicator
  of none; the audit companion's Annex 3 still gives every region.

Usage: .venv/bin/python scripts/template_edits/27_editor_read.py [TEMPLATE.docx]
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from docx_paragraphs import find, paragraphs

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "implementation-report.docx"
ANNEX_1 = "{{ _('Annex 1: CPO results not reportable') }}"
COMPANIONS_NOTE_START = "{{ _('Companion documents:"
REPORT = "{%p if document == 'report' %}"
PORTRAIT_CLOSES = (
    "{%p if document == 'report' and (lessons or outcomes[-1].lessons or outcomes[-1].outputs) %}"
)
"""The last portrait section (after the last outcome's landscape tables) holds that outcome's lessons
learned and Table 4 and the lessons of all outcomes: written only when one of them is."""


KEPT_WITH_NEXT = (
    "{{ _('Outcome statement:') }}",
    "{{ o.id|chart }}",
    "{{ o.examples_note }}",
    "{{ ind.title }}",
    "{{ _('CPO results that meet fewer measurement criteria",
    "{{ ngettext('%(num)s submitted row broke a rule",
    "{{ _('For each figure of Table 2, the member States counted",
)
"""The beginnings of the paragraphs kept on the page of what follows them."""


REGION_HEADING = "{{ ind.id }}, {{ r.name }}: {{ r.achieved }}"
TRANSLATED_REGION_HEADING = "{{ _('%(id)s, %(region)s: %(num)s', id=ind.id, region=r.name, num=r.achieved) }}"


TABLE_1_NOTE = "{{ _('Member States with a reportable result (at least"
NO_TYPOLOGY = (
    "{% if not o.has_typologies %} {{ _('No result counted under this outcome declares a typology (optional "
    "in a submission): the typology columns are empty.') }}{% endif %}"
)


TABLE_2_LOOP = "{%tc for r in regions %}"
TABLE_2_NOTE = "{{ _('Each figure links to the member States behind it (annex).') }}"
TABLE_2_COLUMN = 2220
"""Table 2's region and Total columns (dxa): its indicator column (1,474) and six of them make 14,794,
Table 1's width in landscape (text width 14,798)."""
NOTE_SPACE_BEFORE = Pt(5)


LISTED = "{{ r.listed }}"
REGIONS_LOOP = "{%p for r in ind.regions %}"
COUNTED_REGIONS_LOOP = "{%p for r in ind.regions if r.states %}"
NONE_COUNTED = "{%p if not ind.achieved %}"


def starting(document: DocxDocument, start: str) -> Paragraph:
    return next(p for p in paragraphs(document) if p.text.startswith(start))


def set_text(paragraph: Paragraph, text: str) -> None:
    """The paragraph's text in its first text run (its formatting kept), the other runs emptied."""
    runs = [r for r in paragraph.runs if r.text]
    runs[0].text = text
    for run in runs[1:]:
        run.text = ""


def previous(paragraph: Paragraph, steps: int = 1) -> Paragraph:
    element = paragraph._p
    for _ in range(steps):
        element = element.getprevious()
    return Paragraph(element, paragraph._parent)


def closing_section(document: DocxDocument) -> None:
    """The section break before the annexes is kept only when its portrait section holds something."""
    annex_1 = find(document, ANNEX_1, after=starting(document, COMPANIONS_NOTE_START))
    condition, section_end = previous(annex_1, 4), previous(annex_1, 3)
    assert section_end._p.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None, "no section break there"
    if condition.text == REPORT:
        set_text(condition, PORTRAIT_CLOSES)
    assert condition.text == PORTRAIT_CLOSES, condition.text


def kept_with_next(document: DocxDocument) -> None:
    """The lines that introduce what follows them keep with it."""
    kept = [p for p in paragraphs(document) if p.text.startswith(KEPT_WITH_NEXT)]
    assert len(kept) == 9, [p.text for p in kept]  # an indicator's title: in both annexes
    for paragraph in kept:
        paragraph.paragraph_format.keep_with_next = True


def region_headings(document: DocxDocument) -> None:
    """The annexes' headings of an indicator's region, worded through the catalogs."""
    runs = [r for p in paragraphs(document) for r in p.runs if r.text == REGION_HEADING]
    for run in runs:
        run.text = TRANSLATED_REGION_HEADING
    assert sum(TRANSLATED_REGION_HEADING in p.text for p in paragraphs(document)) == 2  # audit, report


def no_typology_note(document: DocxDocument) -> None:
    """Table 1's note ends with a sentence when no typology is declared."""
    note = starting(document, TABLE_1_NOTE)
    if NO_TYPOLOGY in note.text:
        return
    last = note.runs[-1]
    added = copy.deepcopy(last._r)
    last._r.addnext(added)
    Run(added, note).text = NO_TYPOLOGY  # the note's formatting (normal weight)


def table_2_as_wide_as_table_1(document: DocxDocument) -> None:
    """Table 2's region and Total columns narrowed so that the table is as wide as Table 1."""
    table = next(t for t in document.tables if TABLE_2_LOOP in t._tbl.xml and "row.by_region" in t._tbl.xml)
    widths = [*table._tbl.iter(qn("w:gridCol")), *table._tbl.iter(qn("w:tcW"))]
    for width in widths:
        if width.get(qn("w:w")) in ("2268", str(TABLE_2_COLUMN)):
            width.set(qn("w:w"), str(TABLE_2_COLUMN))
    grid = sum(int(column.get(qn("w:w"))) for column in table._tbl.iter(qn("w:gridCol")))
    table._tbl.tblPr.find(qn("w:tblW")).set(qn("w:w"), str(grid))
    assert grid == 1474 + 2 * 340 + 2 * TABLE_2_COLUMN, grid  # the indicator, two loop tags, two columns


def notes_clear_their_tables(document: DocxDocument) -> None:
    for start in (TABLE_1_NOTE, TABLE_2_NOTE):
        starting(document, start).paragraph_format.space_before = NOTE_SPACE_BEFORE


def no_empty_annex_entries(document: DocxDocument) -> None:
    """In the report's annex, the regions of an indicator that count a member State; "No member State
    counted." once under an indicator of none."""
    listed = find(document, LISTED)
    if previous(listed, 2).text == COUNTED_REGIONS_LOOP:
        return
    loop = previous(listed, 3)
    assert loop.text == REGIONS_LOOP, loop.text
    condition = previous(listed)
    otherwise = Paragraph(listed._p.getnext(), listed._parent)
    none = Paragraph(otherwise._p.getnext(), listed._parent)
    endif = Paragraph(none._p.getnext(), listed._parent)
    endfor = Paragraph(endif._p.getnext(), listed._parent)
    assert [condition.text, otherwise.text, endif.text, endfor.text] == [
        "{%p if r.states %}",
        "{%p else %}",
        "{%p endif %}",
        "{%p endfor %}",
    ]
    set_text(loop, COUNTED_REGIONS_LOOP)
    condition._p.getparent().remove(condition._p)
    set_text(otherwise, NONE_COUNTED)
    for paragraph in (endif, none, otherwise):  # after the loop, in this order
        endfor._p.addnext(paragraph._p)


def main(template: Path) -> None:
    document = Document(str(template))
    closing_section(document)
    kept_with_next(document)
    region_headings(document)
    no_typology_note(document)
    table_2_as_wide_as_table_1(document)
    notes_clear_their_tables(document)
    no_empty_annex_entries(document)
    document.save(str(template))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE)
