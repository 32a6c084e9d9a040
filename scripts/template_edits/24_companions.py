"""Issues 22 and 24, "a readable report and its companions": edits of the Word template, made with
python-docx so that they can be applied again to a template someone else has edited (idempotent: each
edit checks whether it is already there).

The template writes the three documents of an edition, the context's `document` saying which:

- `report`: the cover (subtitle `{{ subtitle }}`), a note naming the companions, per outcome its
  summary, chart, tables, "Results by indicator: country examples" (a table made from Table 3's:
  `o.country_examples`, `o.examples_note`), Table 3, lessons and Table 4; one annex, the member
  States counted (countries and CPO codes, `r.listed`: no file of the package), that Table 2 links to;
- `results`: the cover and, per outcome, every reportable CPO result in full (`ind.regions`);
- `audit`: the cover and the annexes that name the package's files, sheets and rows (results not
  reportable, rows rejected, member States counted with their evidence).

Usage: .venv/bin/python scripts/template_edits/24_companions.py [TEMPLATE.docx]
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from docx_paragraphs import find, paragraphs

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "implementation-report.docx"
REPORT, RESULTS_TOO, AUDIT = (
    "{%p if document == 'report' %}",
    "{%p if document != 'audit' %}",
    ("{%p if document == 'audit' %}"),
)
ENDIF = "{%p endif %}"
ANNEX_3 = "{{ _('Annex 3: Member States counted, by indicator and region') }}"
PUBLIC_ANNEX = "{{ _('Annex: Member States counted, by indicator and region') }}"
COMPANIONS_NOTE = (
    "{{ _('Companion documents: every reportable CPO result in full is in “Results by indicator”; the "
    "files and rows of the submission behind each figure, the CPO results not reportable and the rows "
    "set aside by validation are in the audit companion.') }}"
)


def following(paragraph: Paragraph, text: str) -> Paragraph:
    """The next paragraph of the same level (not inside a table) whose text is `text`."""
    element = paragraph._p.getnext()
    while element is not None and not (element.tag == qn("w:p") and Paragraph(element, None).text == text):
        element = element.getnext()
    if element is None:
        raise LookupError(text)
    return Paragraph(element, paragraph._parent)


def has(document: DocxDocument, text: str) -> bool:
    return any(p.text == text for p in paragraphs(document))


def set_text(paragraph: Paragraph, text: str) -> None:
    """The paragraph's text in its first text run (its formatting kept), the other runs emptied."""
    runs = [r for r in paragraph.runs if r.text]
    runs[0].text = text
    for run in runs[1:]:
        run.text = ""


def tag(model: Paragraph, text: str) -> Paragraph:
    """A new plain paragraph (a copy of `model`, a `{%p … %}` tag paragraph) holding `text`, not yet
    placed."""
    copied = Paragraph(copy.deepcopy(model._p), model._parent)
    set_text(copied, text)
    return copied


def before(anchor: Paragraph, *new: Paragraph) -> None:
    for paragraph in new:
        anchor._p.addprevious(paragraph._p)


def after(anchor: Paragraph | object, *new: Paragraph) -> None:
    element = anchor._p if isinstance(anchor, Paragraph) else anchor
    for paragraph in reversed(new):
        element.addnext(paragraph._p)  # type: ignore[attr-defined]


def wrap(first: Paragraph, last: Paragraph | object, condition: str, model: Paragraph) -> None:
    """`condition` before `first`, `{%p endif %}` after `last` (a paragraph or a table)."""
    before(first, tag(model, condition))
    after(last, tag(model, ENDIF))


def cover(document: DocxDocument) -> None:
    subtitle = (
        find(document, "{{ _('Results by outcome and indicator') }}")
        if not has(document, "{{ subtitle }}")
        else None
    )
    if subtitle is not None:
        set_text(subtitle, "{{ subtitle }}")


def contents(document: DocxDocument, model: Paragraph) -> None:
    """The contents list each document's own parts."""
    annex_1 = find(document, "{{ _('Annex 1: CPO results not reportable') }}")
    if Paragraph(annex_1._p.getprevious(), annex_1._parent).text == AUDIT:
        return
    loop = find(document, "{%p for o in outcomes %}")
    wrap(loop, loop._p.getnext().getnext(), RESULTS_TOO, model)
    lessons = find(document, "{%p if lessons %}")
    set_text(lessons, "{%p if lessons and document == 'report' %}")
    annex_3 = find(document, ANNEX_3)
    public = Paragraph(copy.deepcopy(annex_3._p), annex_3._parent)
    set_text(public, PUBLIC_ANNEX)
    before(annex_1, tag(model, AUDIT))
    after(annex_3, tag(model, "{%p elif document == 'report' %}"), public, tag(model, ENDIF))
    note = Paragraph(copy.deepcopy(find(document, "{{ ind.reportability }}")._p), annex_3._parent)
    set_text(note, COMPANIONS_NOTE)
    note.paragraph_format.keep_with_next = False
    section_end = find(document, "", after=annex_3)  # the cover and contents' section ends here
    before(section_end, tag(model, REPORT), note, tag(model, ENDIF))


def contents_field_end(document: DocxDocument) -> None:
    """The end of the contents field in a paragraph of its own after the entries, which each document
    keeps: a field whose end a document leaves out runs to the end of the text, and LibreOffice's update
    of the contents replaces all of it."""
    ends = [e for e in document.element.body.iter(qn("w:fldChar")) if e.get(qn("w:fldCharType")) == "end"]
    holders = [end.getparent().getparent() for end in ends]
    if len(holders) == 1 and Paragraph(holders[0], None).text == "":
        return
    closing = find(document, ENDIF, after=find(document, PUBLIC_ANNEX))
    field_end = copy.deepcopy(holders[0])
    for run in field_end.findall(qn("w:r")):
        if run.find(qn("w:fldChar")) is None:
            field_end.remove(run)
    for end in ends:
        end.getparent().getparent().remove(end.getparent())
    closing._p.addnext(field_end)


EXAMPLES_HEADING = "{{ _('Results by indicator: country examples') }}"
EXAMPLE_COLUMNS = (1417, 2835)
"""The widths (dxa) of the examples' indicator and country/CPO columns; the texts share the rest."""


def outcomes(document: DocxDocument, model: Paragraph) -> None:
    """Per outcome: the report's sections in the report, every CPO result in the "results" companion."""
    if has(document, EXAMPLES_HEADING):
        return
    start = find(document, "{%p for o in outcomes %}", after=find(document, COMPANIONS_NOTE))
    statement = find(document, "{%p if o.statement %}", after=start)
    caption = find(document, "{{ _('Each figure links to the member States behind it (Annex 3).') }}")
    set_text(caption, "{{ _('Each figure links to the member States behind it (annex).') }}")
    wrap(statement, caption, REPORT, model)
    results = find(document, "{{ _('Results by indicator') }}", after=caption)
    results_end = find(document, "{%p for cpo in region.cpos %}")
    for _ in range(3):  # the loops of CPOs, regions and indicators close
        results_end = following(results_end, "{%p endfor %}")
    heading = Paragraph(copy.deepcopy(results._p), results._parent)
    set_text(heading, EXAMPLES_HEADING)
    note = Paragraph(copy.deepcopy(caption._p), caption._parent)
    set_text(note, "{{ o.examples_note }}")
    before(results, tag(model, REPORT), tag(model, "{%p if o.country_examples %}"), heading, note)
    results._p.addprevious(examples_table(document))
    before(results, tag(model, ENDIF), tag(model, "{%p else %}"))
    after(results_end, tag(model, ENDIF))
    examples = find(document, "{%p if o.examples %}")
    outputs_end = find(document, ENDIF, after=find(document, "{%p if o.outputs %}"))
    wrap(examples, outputs_end, REPORT, model)
    end = find(document, "{%p endfor %}", after=outputs_end)
    wrap(start, end, RESULTS_TOO, model)
    set_text(find(document, "{%p if lessons %}", after=end), "{%p if lessons and document == 'report' %}")


def examples_table(document: DocxDocument) -> object:
    """The report's country examples, made from Table 3: indicator, country/CPO (title and the
    criterion shown), result achieved, ILO contribution; one row per example."""
    table_3 = next(t for t in document.tables if "{%tr for ex in o.examples %}" in t._tbl.xml)
    table = copy.deepcopy(table_3._tbl)
    texts = {
        "{{ _('Country') }}": "{{ _('Country/CPO') }}",
        "{{ _('ILO contribution (outputs delivered by the Office)') }}": "{{ _('Result achieved') }}",
        "{{ _('Results (action taken by the country)') }}": "{{ _('ILO contribution') }}",
        "{{ _('Gender-specific') }}": "{{ _('Indicator') }}",
        "{%tr for ex in o.examples %}": "{%tr for ex in o.country_examples %}",
        "{%p for para in ex.contribution %}": "{%p for para in ex.criterion.result %}",
        "{%p for para in ex.results %}": "{%p for para in ex.criterion.contribution %}",
        "{{ ex.mark }}": "{{ ex.indicator }}",
    }
    for text in table.iter(qn("w:t")):
        text.text = texts.get(text.text, text.text)
    for text in table.iter(qn("w:t")):
        if text.text == "{{ ex.country }}":
            paragraph = text.getparent().getparent()
            text.text = "{{ ex.cpo.country }}/{{ ex.cpo.code }}"
            for shown, italic in (
                ("{{ _('Criterion %(number)s', number=ex.criterion.number) }}", False),
                ("{{ ex.cpo.title }}", True),  # each added right after the country: the title first
            ):
                added = copy.deepcopy(paragraph)
                next(added.iter(qn("w:t"))).text = shown
                for run in added.iter(qn("w:r")):
                    Run(run, None).bold, Run(run, None).italic = False, italic
                paragraph.addnext(added)
            break
    rows = [row.findall(qn("w:tc")) for row in table.findall(qn("w:tr"))]
    total = sum(int(cell.find(f"{qn('w:tcPr')}/{qn('w:tcW')}").get(qn("w:w"))) for cell in rows[0])
    text = (total - sum(EXAMPLE_COLUMNS)) // 2
    widths = [*EXAMPLE_COLUMNS, text, text]
    for column, width in zip(table.find(qn("w:tblGrid")).findall(qn("w:gridCol")), widths, strict=True):
        column.set(qn("w:w"), str(width))
    for cells in rows:  # the narrow last column (indicator) first
        cells[0].addprevious(cells[-1])
        for cell, width in zip([cells[-1], *cells[:-1]], widths, strict=True):
            cell.find(f"{qn('w:tcPr')}/{qn('w:tcW')}").set(qn("w:w"), str(width))
    return table


def annexes(document: DocxDocument, model: Paragraph) -> None:
    """The annexes that name the package's files in the audit companion; in the report, the member
    States counted by name and CPO, the target of Table 2's links."""
    if has(document, "{{ r.listed }}"):
        return
    annex_1 = find(
        document, "{{ _('Annex 1: CPO results not reportable') }}", after=find(document, COMPANIONS_NOTE)
    )
    annex_3 = find(document, ANNEX_3, after=annex_1)
    body = [annex_3._p]
    while Paragraph(body[-1], None).text != "{%p endfor %}" or len(_loops_closed(body)) < 3:
        body.append(body[-1].getnext())
    public = [copy.deepcopy(element) for element in body]
    for element in body:  # the audit's annex has no bookmarks: the report's links go to the report's
        for text in element.iter(qn("w:t")):
            if text.text and "|bookmark" in text.text:
                text.text = ""
    set_text(Paragraph(public[0], annex_3._parent), PUBLIC_ANNEX)
    set_text(
        Paragraph(public[1], annex_3._parent),
        "{{ _('For each figure of Table 2, the member States counted and their CPO results.') }}",
    )
    before(annex_1, tag(model, AUDIT))
    otherwise = tag(model, "{%p elif document == 'report' %}")
    after(body[-1], otherwise)
    after(otherwise, *(Paragraph(e, annex_3._parent) for e in public))
    after(Paragraph(public[-1], annex_3._parent), tag(model, ENDIF))
    table = next(e for e in public if e.tag == qn("w:tbl"))
    listing = tag(model, "{{ r.listed }}")
    table.addprevious(listing._p)
    table.getparent().remove(table)


def sections(document: DocxDocument, model: Paragraph) -> None:
    """The portrait section of the lessons learned and Table 4 ends in the report only: the companions
    are in landscape from their first outcome or annex (no blank page where a section would be empty)."""
    annex_1 = find(
        document, "{{ _('Annex 1: CPO results not reportable') }}", after=find(document, COMPANIONS_NOTE)
    )
    section_end = Paragraph(annex_1._p.getprevious().getprevious(), annex_1._parent)
    if section_end.text != ENDIF:
        assert section_end._p.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None
        wrap(section_end, section_end, REPORT, model)


def _loops_closed(elements: list[object]) -> list[object]:
    """The `{%p endfor %}` among `elements` (the annex ends with its third)."""
    return [e for e in elements if Paragraph(e, None).text == "{%p endfor %}"]


def main(template: Path) -> None:
    document = Document(str(template))
    model = find(document, "{%p endif %}")
    cover(document)
    contents(document, model)
    contents_field_end(document)
    outcomes(document, model)
    annexes(document, model)
    sections(document, model)
    document.save(str(template))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE)
