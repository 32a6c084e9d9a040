"""Issue 22, "a report as the organisation publishes it": edits of the Word template, made with
python-docx so that they can be applied again to a template someone else has edited (idempotent: each
edit checks whether it is already there).

- the cover: the organisation's name above the title, the publication date instead of "Generated on
  …, build …", and no "built from the submissions" note (both are in the document's properties);
- no placeholders: Table 3, the lessons learned and Table 4 are left out, heading included, when
  nothing was submitted for them;
- "target (hatched)" and "(target in brackets)" only for an outcome with targets;
- Table 1 with the published table's group headers ("Results", "Capacity development");
- table notes in normal weight;
- layout: wider "Measurement criteria" and typology columns (no header breaks inside a word), typology
  headers that may wrap after a slash, header rows kept with the row after them, no row split across
  pages.

Usage: .venv/bin/python scripts/template_edits/22_published_report.py [TEMPLATE.docx]
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "implementation-report.docx"


def paragraphs(document: DocxDocument) -> list[Paragraph]:
    """Every paragraph of the body, table cells included, in document order."""
    return [Paragraph(p, document._body) for p in document.element.body.iter(qn("w:p"))]


def find(document: DocxDocument, text: str, exact: bool = False) -> Paragraph | None:
    for paragraph in paragraphs(document):
        if (paragraph.text == text) if exact else (text in paragraph.text):
            return paragraph
    return None


def set_text(paragraph: Paragraph, text: str) -> None:
    """The paragraph's text in its first run (its formatting kept), the other runs removed."""
    runs = paragraph.runs
    runs[0].text = text
    for run in runs[1:]:
        run._r.getparent().remove(run._r)


def remove(paragraph: Paragraph | None) -> None:
    if paragraph is not None:
        paragraph._p.getparent().remove(paragraph._p)


def cover(document: DocxDocument) -> None:
    title = find(document, "{{ _('Programme implementation report') }}")
    assert title is not None
    if find(document, "{{ organisation }}", exact=True) is None:
        organisation = title.insert_paragraph_before("")
        run = organisation.add_run("{{ organisation }}")
        run.bold, run.font.size = True, Pt(14)
        organisation.paragraph_format.space_after = Pt(24)
    dated = find(document, "Generated on %(date)s")
    if dated is not None:
        set_text(dated, "{{ publication_date }}")
    remove(find(document, "Built from the country offices"))


def no_placeholders(document: DocxDocument) -> None:
    """Each section of submitted texts inside its `{%p if %}`, heading included; no `else` text."""
    for condition, heading, placeholder in (
        (
            "{%p if o.examples %}",
            "{{ _('Table 3: ILO results chain: country examples') }}",
            "No country examples",
        ),
        ("{%p if o.lessons %}", "{{ _('Lessons learned') }}", "No lessons learned were submitted"),
        (
            "{%p if o.outputs %}",
            "{{ _('Table 4: Summary of most significant outputs by typology') }}",
            "No significant",
        ),
    ):
        text = find(document, placeholder)
        if text is None:
            continue
        opening, title = find(document, condition, exact=True), find(document, heading, exact=True)
        assert opening is not None and title is not None
        title._p.addprevious(opening._p)
        otherwise = text._p.getprevious()
        assert Paragraph(otherwise, document._body).text == "{%p else %}"
        otherwise.getparent().remove(otherwise)
        remove(text)


def only_with_targets(document: DocxDocument) -> None:
    for with_target, without in (
        (
            "{{ _('Figure %(number)s: Outcome %(id)s, member States with a reportable result by region, "
            "target (hatched) and achieved (grey)', number=loop.index, id=o.id) }}",
            "{{ _('Figure %(number)s: Outcome %(id)s, member States with a reportable result by region', "
            "number=loop.index, id=o.id) }}",
        ),
        (
            "{{ _('Table 2: Member States with a reportable result by region (target in brackets)') }}",
            "{{ _('Table 2: Member States with a reportable result by region') }}",
        ),
    ):
        paragraph = find(document, with_target, exact=True)
        if paragraph is not None:
            set_text(paragraph, f"{{% if o.has_targets %}}{with_target}{{% else %}}{without}{{% endif %}}")


def table_notes_in_normal_weight(document: DocxDocument) -> None:
    for start in ("{{ _('Member States with a reportable result (at least", "{{ _('Each figure links"):
        paragraph = find(document, start)
        assert paragraph is not None
        for run in paragraph.runs:
            run.bold = False


def table_of(document: DocxDocument, first_cell: str) -> Table:
    for table in document.tables:
        if any(c.text == first_cell for row in table.rows[:2] for c in row.cells):
            return table
    raise LookupError(first_cell)


def widths(table: Table, columns: list[int]) -> None:
    """The table's grid and every cell of the given number of columns (dxa)."""
    grid = table._tbl.tblGrid.findall(qn("w:gridCol"))
    for column, width in zip(grid, columns, strict=True):
        column.set(qn("w:w"), str(width))
    for row in table.rows:
        cells = row._tr.tc_lst
        if len(cells) == len(columns):
            for cell, width in zip(cells, columns, strict=True):
                cell.tcPr.find(qn("w:tcW")).set(qn("w:w"), str(width))


TYPOLOGY_WIDTH = 1870
TABLE_1 = [2268, 1588, 1588, 340, TYPOLOGY_WIDTH, 340]
"""Table 1: indicator, target, achieved, and each typology column (the loop's tag cells go)."""


def table_1(document: DocxDocument) -> None:
    """The published group headers over the typologies, in a first header row: "Results" over the first
    three typologies, "Capacity development" over the other two (report.sections.figures.TYPOLOGY_GROUPS);
    Indicator, Target and Achieved span both header rows."""
    table = table_of(document, "{{ _('Target') }}")
    widths(table, TABLE_1)
    for text in table._tbl.iter(qn("w:t")):
        if text.text == "{{ t }}":  # a typology's name may wrap after its slash
            text.text = "{{ t|breakable }}"
    if "typology_groups" not in table.rows[0]._tr.xml:
        add_group_headers(table)
    for cell in table.rows[0]._tr.tc_lst[3:]:
        span = int(cell.tcPr.find(qn("w:gridSpan")).get(qn("w:val")))
        cell.tcPr.find(qn("w:tcW")).set(qn("w:w"), str(TYPOLOGY_WIDTH * span))


def add_group_headers(table: Table) -> None:
    header = table.rows[0]._tr
    groups = copy.deepcopy(header)
    cells = groups.tc_lst
    for cell in cells[3:]:
        groups.remove(cell)
    for cell, merged in zip(cells[:3], header.tc_lst[:3], strict=True):
        restart = OxmlElement("w:vMerge")
        restart.set(qn("w:val"), "restart")
        cell.tcPr.append(restart)
        merged.tcPr.append(OxmlElement("w:vMerge"))
        for run in merged.iter(qn("w:t")):
            run.text = ""
    for number, span in ((0, 3), (1, 2)):
        cell = copy.deepcopy(header.tc_lst[4])
        grid_span = OxmlElement("w:gridSpan")
        grid_span.set(qn("w:val"), str(span))
        cell.tcPr.find(qn("w:tcW")).addnext(grid_span)
        next(cell.iter(qn("w:t"))).text = f"{{{{ typology_groups[{number}].name }}}}"
        for paragraph in cell.iter(qn("w:p")):
            Paragraph(paragraph, None).alignment = 1  # centred over its columns
        groups.append(cell)
    header.addprevious(groups)


def layout(document: DocxDocument) -> None:
    """Wider "Measurement criteria" column; header rows kept with the next row; rows never split."""
    cpo = table_of(document, "{{ _('Measurement criteria') }}")
    widths(cpo, [1701, 6548, 6548])
    for paragraph in paragraphs(document):  # an indicator's measurement stays with its first criterion
        if paragraph.text in ("{{ _('Measurement') }}", "{{ ind.reportability }}"):
            paragraph.paragraph_format.keep_with_next = True
    for table in document.tables:
        for row in table.rows:
            properties = row._tr.get_or_add_trPr()
            if properties.find(qn("w:cantSplit")) is None:
                properties.insert(0, OxmlElement("w:cantSplit"))
            if properties.find(qn("w:tblHeader")) is not None:
                for cell in row.cells:
                    for paragraph in cell.paragraphs:
                        paragraph.paragraph_format.keep_with_next = True


def main(template: Path) -> None:
    document = Document(str(template))
    cover(document)
    no_placeholders(document)
    only_with_targets(document)
    table_notes_in_normal_weight(document)
    table_1(document)
    layout(document)
    document.save(str(template))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE)
