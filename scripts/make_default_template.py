"""How templates/implementation-report.docx was made (python-docx writing docxtpl tags).

The .docx is the source of truth: restyle it in Word and save. Run this only to start again from the
default layout: `.venv/bin/python scripts/make_default_template.py`. Every variable, loop and filter
the template uses is documented in templates/README.md.

Layout (after the published report): cover and contents (portrait); per outcome a chapter whose
summary, narrative and chart are portrait, whose wide tables (Table 1, Table 2, results by indicator,
Table 3) are in a landscape section, and whose lessons learned and Table 4 are portrait again; the
annexes (results not reportable, rows rejected, member States counted: each figure of Table 2 links to
its block there) close the document in landscape.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

FONT = "Arial"
HERE = Path(__file__).resolve().parents[1] / "templates"
A4_SHORT, A4_LONG, MARGIN = Cm(21.0), Cm(29.7), Cm(1.8)
LANDSCAPE_TEXT_WIDTH = A4_LONG - 2 * MARGIN
PORTRAIT_TEXT_WIDTH = A4_SHORT - 2 * MARGIN
HEADER_FILL, TITLE_FILL = "D9D9D9", "EDEDED"
INDICATOR, CRITERIA_MET = "{{ _('Indicator') }}", "{{ _('Criteria met') }}"
LOOP_TAG = Cm(0.6)
"""Width of a cell that holds only a `{%tc %}` tag (it is gone from the report)."""
ANNEX_3 = "{{ _('Annex 3: Member States counted, by indicator and region') }}"


# ---- styles -------------------------------------------------------------------------------------


def set_font(style_font: object, size: float | None = None, bold: bool | None = None) -> None:
    """One font family everywhere (ASCII, complex script and East Asian slots), black text."""
    style_font.name = FONT  # type: ignore[attr-defined]
    r_pr = style_font.element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = r_pr.get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(slot), FONT)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(theme), None)
    style_font.color.rgb = RGBColor(0, 0, 0)  # type: ignore[attr-defined]
    if size is not None:
        style_font.size = Pt(size)  # type: ignore[attr-defined]
    if bold is not None:
        style_font.bold = bold  # type: ignore[attr-defined]


def define_styles(doc: DocumentObject) -> None:
    styles = doc.styles
    set_font(styles["Normal"].font, 9.5)
    styles["Normal"].paragraph_format.space_after = Pt(4)
    for name, size in (("Title", 26), ("Subtitle", 14), ("Heading 1", 16), ("Heading 2", 13)):
        set_font(styles[name].font, size)
    for name, size in (("Heading 3", 11), ("Heading 4", 10), ("Caption", 8.5)):
        set_font(styles[name].font, size)
    for name in ("List Bullet", "List Bullet 2", "List Number", "Header", "Footer", "TOC Heading"):
        set_font(styles[name].font)
    styles["Heading 1"].paragraph_format.page_break_before = True
    styles["Heading 1"].paragraph_format.space_after = Pt(12)
    for name, indent in (("TOC 1", 0.0), ("TOC 2", 0.6)):
        toc = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        toc.base_style = styles["Normal"]
        toc.paragraph_format.left_indent = Cm(indent)
        toc.paragraph_format.space_after = Pt(3)
    link = styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
    link.font.color.rgb = RGBColor(0x05, 0x63, 0xC1)
    link.font.underline = True
    cell = styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = styles["Normal"]
    set_font(cell.font, 8.5)
    cell.paragraph_format.space_after = Pt(2)


# ---- tables -------------------------------------------------------------------------------------


def repeat_as_header(row: _Row) -> None:
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def shade(row: _Row, fill: str = HEADER_FILL) -> None:
    for cell in row.cells:
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:fill"), fill)
        cell._tc.get_or_add_tcPr().append(shading)


def header_row(row: _Row, texts: list[str]) -> None:
    for cell, text in zip(row.cells, texts, strict=True):
        cell_text(cell, text, bold=True)
    shade(row)
    repeat_as_header(row)


def cell_text(cell: _Cell, text: str, bold: bool = False) -> Paragraph:
    """The first paragraph of a cell, in the table text style, holding `text`."""
    paragraph = cell.paragraphs[0]
    paragraph.style = "Table Text"
    paragraph.add_run(text).bold = bold
    return paragraph


def cell_paragraph(cell: _Cell, text: str) -> Paragraph:
    paragraph = cell.add_paragraph(text, style="Table Text")
    return paragraph


def cell_loop(cell: _Cell, loop: str, body: str, first: bool = True) -> None:
    """Paragraphs of a list inside one cell: `{%p for %}` / one paragraph per item / `{%p endfor %}`."""
    if first:
        cell_text(cell, f"{{%p {loop} %}}")
    else:
        cell_paragraph(cell, f"{{%p {loop} %}}")
    cell_paragraph(cell, body)
    cell_paragraph(cell, "{%p endfor %}")


def column_loop(loop: str, body: str) -> list[str]:
    """Three cells that become one column per item: `{%tc for LOOP %}`, BODY, `{%tc endfor %}`."""
    return [f"{{%tc for {loop} %}}", body, "{%tc endfor %}"]


def loop_row(table: Table, tag: str) -> None:
    table.add_row().cells[0].paragraphs[0].add_run(tag)


def fix_widths(table: Table, widths: list[int]) -> None:
    """Column widths that Word and LibreOffice both apply: fixed layout (autofit off), the grid and every
    cell."""
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    tbl_pr = table._tbl.tblPr
    table_width = tbl_pr.find(qn("w:tblW"))
    if table_width is None:
        table_width = OxmlElement("w:tblW")
        tbl_pr.append(table_width)
    table_width.set(qn("w:type"), "dxa")
    table_width.set(qn("w:w"), str(sum(widths) // 635))
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
        column.w = width
    for row in table.rows:
        spans = [tc for tc in row._tr.tc_lst]
        position = 0
        for tc in spans:
            span = tc.grid_span
            tc.width = sum(widths[position : position + span])
            position += span


def listing_table(
    doc: DocumentObject, header: list[str], loop: str, cells: list[str], widths: list[int]
) -> None:
    """A table of one row per item of `loop` (e.g. "r in block"), each cell a text template."""
    table = new_table(doc, len(header), header)
    loop_row(table, f"{{%tr for {loop} %}}")
    for cell, text in zip(table.add_row().cells, cells, strict=True):
        cell_text(cell, text)
    loop_row(table, "{%tr endfor %}")
    fix_widths(table, widths)


def new_table(doc: DocumentObject, columns: int, header: list[str] | None = None) -> Table:
    table = doc.add_table(rows=1 if header else 0, cols=columns, style="Table Grid")
    if header:
        header_row(table.rows[0], header)
    return table


# ---- fields, sections ---------------------------------------------------------------------------


def field_run(paragraph: Paragraph, kind: str, text: str = "") -> None:
    """A complex-field character (`begin`, `separate`, `end`) or the field code (`instr`)."""
    run = paragraph.add_run()
    if kind == "instr":
        instr = OxmlElement("w:instrText")
        instr.set(qn("xml:space"), "preserve")
        instr.text = text
        run._r.append(instr)
    else:
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            char.set(qn("w:dirty"), "true")
        run._r.append(char)


def page_number_footer(section: Section) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(
        "{{ _('Programme implementation report %(biennium)s', biennium=biennium) }} – {{ _('page') }} "
    )
    for kind, code in (("begin", ""), ("instr", " PAGE "), ("separate", ""), ("end", "")):
        field_run(paragraph, kind, code)
    paragraph.add_run(" {{ pgettext('page X of Y', 'of') }} ")
    for kind, code in (("begin", ""), ("instr", " NUMPAGES "), ("separate", ""), ("end", "")):
        field_run(paragraph, kind, code)


def orient(section: Section, landscape: bool) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (A4_LONG, A4_SHORT) if landscape else (A4_SHORT, A4_LONG)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, MARGIN)


def next_section(doc: DocumentObject, landscape: bool) -> None:
    """End the current section here (its properties stay with this break) and start a new one."""
    orient(doc.add_section(WD_SECTION.NEW_PAGE), landscape)


def update_fields_on_open(doc: DocumentObject) -> None:
    """Word refreshes the contents and page numbers when the report is opened (the element goes where
    the settings schema puts it: before w:compat)."""
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings = doc.settings.element
    compat = settings.find(qn("w:compat"))
    if compat is not None:
        compat.addprevious(update)
    else:
        settings.append(update)


# ---- the parts of the report --------------------------------------------------------------------


def cover_and_contents(doc: DocumentObject) -> None:
    for _ in range(6):
        doc.add_paragraph()
    title = doc.add_paragraph(style="Title")
    # the biennium never splits at its dash
    title.add_run("{{ _('Programme implementation report') }}").add_break()
    title.add_run("{{ biennium }}")
    doc.add_paragraph("{{ _('Results by outcome and indicator') }}", style="Subtitle")
    doc.add_paragraph()
    doc.add_paragraph(
        "{{ _('Biennium %(biennium)s.', biennium=biennium) }} {% if build_short %}"
        "{{ _('Generated on %(date)s, build %(build)s.', date=generated_on, build=build_short) }}{% else %}"
        "{{ _('Generated on %(date)s.', date=generated_on) }}{% endif %}"
    )
    doc.add_paragraph(
        "{{ _(\"Built from the country offices' submissions; figures count the member States with a "
        'reportable result under each indicator.") }}'
    )
    doc.add_page_break()
    doc.add_paragraph("{{ _('Contents') }}", style="TOC Heading")
    begin = doc.add_paragraph(style="TOC 1")
    field_run(begin, "begin")
    field_run(begin, "instr", ' TOC \\o "1-2" \\h \\z \\u ')
    field_run(begin, "separate")
    begin.add_run("{{ _('Update this table (F9 in Word) to show page numbers.') }}").italic = True
    doc.add_paragraph("{%p for o in outcomes %}")
    doc.add_paragraph("{{ _('Outcome %(id)s: %(title)s', id=o.id, title=o.title) }}", style="TOC 1")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p if lessons %}")
    doc.add_paragraph("{{ _('Lessons learned (all outcomes)') }}", style="TOC 1")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{{ _('Annex 1: CPO results not reportable') }}", style="TOC 1")
    doc.add_paragraph("{{ _('Annex 2: Rows rejected by validation') }}", style="TOC 1")
    end = doc.add_paragraph(ANNEX_3, style="TOC 1")
    field_run(end, "end")


def chapter_opening(doc: DocumentObject) -> None:
    doc.add_paragraph("{{ _('Outcome %(id)s: %(title)s', id=o.id, title=o.title) }}", style="Heading 1")
    doc.add_paragraph("{%p if o.statement %}")
    statement = doc.add_paragraph()
    statement.add_run("{{ _('Outcome statement:') }} ").bold = True
    statement.add_run("{{ o.statement }}").italic = True
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{{ _('Summary of results') }}", style="Heading 2")
    doc.add_paragraph("{%p for text in o.narrative %}")
    doc.add_paragraph("{{ text }}")
    doc.add_paragraph("{%p endfor %}")
    chart = doc.add_paragraph("{{ o.id|chart }}")
    chart.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(
        "{{ _('Figure %(number)s: Outcome %(id)s, member States with a reportable result by region, "
        "target (hatched) and achieved (grey)', number=loop.index, id=o.id) }}",
        style="Caption",
    )
    doc.add_paragraph("{%p if o.comparison %}")
    doc.add_paragraph(
        "{{ _('Comparison with %(biennium)s', biennium=previous_biennium) }}", style="Heading 3"
    )
    listing_table(
        doc,
        [
            INDICATOR,
            "{{ _('Achieved in %(biennium)s', biennium=previous_biennium) }}",
            "{{ _('Achieved in %(biennium)s', biennium=biennium) }}",
            "{{ _('Change') }}",
        ],
        "c in o.comparison",
        ["{{ c.indicator }}", "{{ c.previous }}", "{{ c.current }}", "{{ c.change }}"],
        [Cm(3.5), Cm(4.5), Cm(4.5), Cm(3.0)],
    )
    doc.add_paragraph("{%p endif %}")


def table_1(doc: DocumentObject) -> None:
    doc.add_paragraph(
        "{{ _('Table 1: Summary of results by indicator and by typology') }}", style="Heading 2"
    )
    typologies = column_loop("t in typologies", "{{ t }}")
    header = [INDICATOR, "{{ _('Target') }}", "{{ _('Achieved') }}", *typologies]
    table = new_table(doc, len(header), header)
    loop_row(table, "{%tr for row in o.summary_rows %}")
    cells = table.add_row().cells
    first = cell_text(cells[0], "{{ row.id }}", bold=True)
    first.add_run(" {{ row.title }}")
    cell_text(cells[1], "{{ row.target_text }}")
    cell_text(cells[2], "{{ row.achieved_text }}")
    for cell, text in zip(cells[3:], column_loop("t in typologies", "{{ row.by_typology[t] }}"), strict=True):
        cell_text(cell, text)
    loop_row(table, "{%tr endfor %}")
    fix_widths(table, [Cm(5.6), Cm(3.6), Cm(3.6), LOOP_TAG, Cm(2.66), LOOP_TAG])
    note = doc.add_paragraph(
        "{{ _('Member States with a reportable result (at least the required number of measurement "
        "criteria met); regional, sub-regional and global CPOs are listed under the results but not counted. "
        "Typologies as declared with the results.') }}"
    )
    note.style = "Caption"


def table_2(doc: DocumentObject) -> None:
    doc.add_paragraph(
        "{{ _('Table 2: Member States with a reportable result by region (target in brackets)') }}",
        style="Heading 2",
    )
    header = [INDICATOR, *column_loop("r in regions", "{{ r }}"), "{{ _('Total') }}"]
    table = new_table(doc, len(header), header)
    loop_row(table, "{%tr for row in o.summary_rows %}")
    cells = table.add_row().cells
    cell_text(cells[0], "{{ row.id }}", bold=True)
    figures = column_loop("r in regions", "{{r row.by_region[r]|link }}")
    for cell, text in zip(cells[1:-1], figures, strict=True):
        cell_text(cell, text)
    cell_text(cells[-1], "{{r row.total|link(true) }}")
    loop_row(table, "{%tr endfor %}")
    fix_widths(table, [Cm(2.1), LOOP_TAG, Cm(4.0), LOOP_TAG, Cm(4.0)])
    doc.add_paragraph(
        "{{ _('Each figure links to the member States behind it (Annex 3).') }}", style="Caption"
    )


def results_by_indicator(doc: DocumentObject) -> None:
    doc.add_paragraph("{{ _('Results by indicator') }}", style="Heading 2")
    doc.add_paragraph("{%p for ind in o.indicators %}")
    doc.add_paragraph("{{ _('Indicator %(id)s. %(title)s', id=ind.id, title=ind.title) }}", style="Heading 3")
    doc.add_paragraph().add_run("{{ _('Measurement') }}").bold = True
    doc.add_paragraph("{{ ind.reportability }}")
    doc.add_paragraph("{%p for c in ind.criteria %}")
    criterion = doc.add_paragraph("{{ c.number }}. {{ c.text }}")
    criterion.paragraph_format.left_indent = Cm(0.6)
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p if not ind.regions %}")
    doc.add_paragraph("{{ _('No reportable result under this indicator.') }}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p for region in ind.regions %}")
    doc.add_paragraph("{{ region.name }}", style="Heading 4")
    doc.add_paragraph("{%p for cpo in region.cpos %}")
    block = doc.add_table(rows=2, cols=3, style="Table Grid")
    title = block.rows[0].cells[0].merge(block.rows[0].cells[2])
    heading = cell_text(title, "{{ cpo.country }}/{{ cpo.code }}", bold=True)
    heading.add_run(
        "{% if not cpo.member_state %} {{ _('(regional or global CPO: listed, not counted)') }}{% endif %}"
    )
    cell_paragraph(title, "{{ cpo.title }}")
    cell_paragraph(title, "{%p if cpo.typologies or cpo.gender_specific %}")
    extra = cell_paragraph(title, "{{ cpo.typologies|join('; ') }}")
    extra.add_run(
        "{% if cpo.gender_specific %}{{ '; ' if cpo.typologies }}{{ _('gender-specific') }}{% endif %}"
    ).italic = True
    extra.runs[0].italic = True
    cell_paragraph(title, "{%p endif %}")
    shade(block.rows[0], TITLE_FILL)
    repeat_as_header(block.rows[0])
    header_row(
        block.rows[1],
        ["{{ _('Measurement criteria') }}", "{{ _('Result achieved') }}", "{{ _('ILO contribution') }}"],
    )
    loop_row(block, "{%tr for c in cpo.criteria %}")
    cells = block.add_row().cells
    cell_text(cells[0], "{{ c.number }}").alignment = WD_ALIGN_PARAGRAPH.CENTER
    cell_loop(cells[1], "for para in c.result", "{{ para }}")
    cell_loop(cells[2], "for para in c.contribution", "{{ para }}")
    loop_row(block, "{%tr endfor %}")
    fix_widths(block, [Cm(2.1), Cm(12.0), Cm(12.0)])
    doc.add_paragraph()
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endfor %}")


def table_3(doc: DocumentObject) -> None:
    doc.add_paragraph("{{ _('Table 3: ILO results chain: country examples') }}", style="Heading 2")
    doc.add_paragraph("{%p if o.examples %}")
    table = new_table(
        doc,
        4,
        [
            "{{ _('Country') }}",
            "{{ _('ILO contribution (outputs delivered by the Office)') }}",
            "{{ _('Results (action taken by the country)') }}",
            "{{ _('Gender-specific') }}",
        ],
    )
    loop_row(table, "{%tr for ex in o.examples %}")
    cells = table.add_row().cells
    cell_text(cells[0], "{{ ex.country }}", bold=True)
    cell_loop(cells[1], "for para in ex.contribution", "{{ para }}")
    cell_loop(cells[2], "for para in ex.results", "{{ para }}")
    cell_text(cells[3], "{{ ex.mark }}").alignment = WD_ALIGN_PARAGRAPH.CENTER
    loop_row(table, "{%tr endfor %}")
    fix_widths(table, [Cm(3.0), Cm(10.3), Cm(10.3), Cm(2.5)])
    doc.add_paragraph("{%p else %}")
    doc.add_paragraph("{{ _('No country examples were submitted for this outcome (examples.csv).') }}")
    doc.add_paragraph("{%p endif %}")


def lessons(doc: DocumentObject, blocks: str, heading: str, level: str, missing: str = "") -> None:
    """Markdown blocks as Word paragraphs: list items in list styles, emphasis as bold/italic runs.
    With `missing`, the heading always shows and `missing` says that none were submitted."""
    if missing:
        doc.add_paragraph(heading, style=level)
    doc.add_paragraph(f"{{%p if {blocks} %}}")
    if not missing:
        doc.add_paragraph(heading, style=level)
    doc.add_paragraph(f"{{%p for b in {blocks} %}}")
    doc.add_paragraph("{%p if b.kind == 'heading' %}")
    doc.add_paragraph("{{ b.text }}", style="Heading 4")
    doc.add_paragraph("{%p elif b.kind == 'bullet' and b.level == 0 %}")
    doc.add_paragraph("{{r b.runs|rich }}", style="List Bullet")
    doc.add_paragraph("{%p elif b.kind == 'bullet' %}")
    doc.add_paragraph("{{r b.runs|rich }}", style="List Bullet 2")
    doc.add_paragraph("{%p elif b.kind == 'number' %}")
    numbered = doc.add_paragraph("{{ b.number }}.\t", style="Normal")
    numbered.add_run("{{r b.runs|rich }}")
    numbered.paragraph_format.left_indent = Cm(0.9)
    numbered.paragraph_format.first_line_indent = Cm(-0.6)
    doc.add_paragraph("{%p else %}")
    doc.add_paragraph("{{r b.runs|rich }}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p endfor %}")
    if missing:
        doc.add_paragraph("{%p else %}")
        doc.add_paragraph(missing)
    doc.add_paragraph("{%p endif %}")


def table_4(doc: DocumentObject) -> None:
    doc.add_paragraph(
        "{{ _('Table 4: Summary of most significant outputs by typology') }}", style="Heading 2"
    )
    doc.add_paragraph("{%p if o.outputs %}")
    table = new_table(doc, 2, ["{{ _('Typology') }}", "{{ _('Outputs') }}"])
    loop_row(table, "{%tr for g in o.outputs %}")
    cells = table.add_row().cells
    cell_text(cells[0], "{{ g.typology }}", bold=True)
    cell_text(cells[1], "{%p for item in g.outputs %}")
    cell_paragraph(cells[1], "{%p for para in item.paragraphs %}")
    cell_paragraph(cells[1], "{% if loop.first %}{{ item.number }}. {% endif %}{{ para }}")
    cell_paragraph(cells[1], "{%p endfor %}")
    cell_paragraph(cells[1], "{%p endfor %}")
    loop_row(table, "{%tr endfor %}")
    fix_widths(table, [Cm(4.0), PORTRAIT_TEXT_WIDTH - Cm(4.0)])
    doc.add_paragraph("{%p else %}")
    doc.add_paragraph("{{ _('No significant outputs were submitted for this outcome (outputs.csv).') }}")
    doc.add_paragraph("{%p endif %}")


def annexes(doc: DocumentObject) -> None:
    doc.add_paragraph("{{ _('Annex 1: CPO results not reportable') }}", style="Heading 1")
    doc.add_paragraph(
        "{{ _('CPO results that meet fewer measurement criteria than their indicator requires: they are "
        "neither counted nor shown under the results.') }}"
    )
    doc.add_paragraph("{%p for o in outcomes %}")
    doc.add_paragraph("{%p if o.not_reportable %}")
    doc.add_paragraph("{{ _('Outcome %(id)s', id=o.id) }}", style="Heading 3")
    doc.add_paragraph("{%p for block in o.not_reportable_blocks %}")
    listing_table(
        doc,
        [INDICATOR, "{{ _('Country/CPO') }}", CRITERIA_MET, "{{ _('Criteria required') }}"],
        "r in block",
        ["{{ r.indicator }}", "{{ r.country }}/{{ r.code }}", "{{ r.criteria_met }}", "{{ r.min_criteria }}"],
        [Cm(3.0), Cm(12.0), Cm(5.0), Cm(5.0)],
    )
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p if not_reportable_count == 0 %}")
    doc.add_paragraph("{{ _('Every CPO result meets the required number of criteria.') }}")
    doc.add_paragraph("{%p endif %}")

    doc.add_paragraph("{{ _('Annex 2: Rows rejected by validation') }}", style="Heading 1")
    doc.add_paragraph("{%p if rejected %}")
    doc.add_paragraph(
        "{{ ngettext('%(num)s submitted row broke a rule of the submission format and was set aside; "
        "the file, sheet and row point to the submission.', '%(num)s submitted rows broke a rule of the "
        "submission format and were set aside; the file, sheet and row point to the submission.', "
        "rejected|length) }}"
    )
    doc.add_paragraph("{%p for block in rejected_blocks %}")
    listing_table(
        doc,
        ["{{ _('File') }}", "{{ _('Sheet') }}", "{{ _('Row') }}", "{{ _('Reason') }}"],
        "r in block",
        ["{{ r.file }}", "{{ r.sheet }}", "{{ r.row }}", "{{ r.reason }}"],
        [Cm(6.0), Cm(3.5), Cm(1.6), Cm(15.0)],
    )
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p else %}")
    doc.add_paragraph("{{ _('No row was rejected.') }}")
    doc.add_paragraph("{%p endif %}")

    doc.add_paragraph(ANNEX_3, style="Heading 1")
    doc.add_paragraph(
        "{{ _('For each figure of Table 2, the member States counted, with their CPO results, the "
        "measurement criteria met and the rows of the submission they come from (indicator_evidence.csv "
        "lists every CPO result, counted or not, and why).') }}"
    )
    doc.add_paragraph("{%p for o in outcomes %}")
    doc.add_paragraph("{%p for ind in o.counted %}")
    heading = doc.add_paragraph(style="Heading 3")
    heading.add_run("{{r ind|bookmark }}")
    heading.add_run(
        "{{ ngettext('%(id)s, all regions: %(num)s member State', '%(id)s, all regions: %(num)s member "
        "States', ind.achieved, id=ind.id) }}"
    )
    doc.add_paragraph("{{ ind.title }}", style="Caption")
    doc.add_paragraph("{%p for r in ind.regions %}")
    region = doc.add_paragraph(style="Heading 4")
    region.add_run("{{r r|bookmark }}")
    region.add_run("{{ ind.id }}, {{ r.name }}: {{ r.achieved }}")
    doc.add_paragraph("{%p if r.states %}")
    listing_table(
        doc,
        ["{{ _('Member State') }}", "{{ _('CPO') }}", CRITERIA_MET, "{{ _('Evidence (file, rows)') }}"],
        "s in r.states",
        ["{{ s.country }} ({{ s.state }})", "{{ s.code }}", "{{ s.criteria }}", "{{ s.evidence }}"],
        [Cm(7.0), Cm(3.0), Cm(3.5), Cm(12.5)],
    )
    doc.add_paragraph("{%p else %}")
    doc.add_paragraph("{{ _('No member State counted.') }}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endfor %}")


def main() -> None:
    doc = Document()
    define_styles(doc)
    update_fields_on_open(doc)
    first = doc.sections[0]
    orient(first, landscape=False)
    page_number_footer(first)
    header = first.header.paragraphs[0]
    header.text = "{{ _('Programme implementation report %(biennium)s', biennium=biennium) }}"
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    first.different_first_page_header_footer = True

    cover_and_contents(doc)
    next_section(doc, landscape=False)
    doc.sections[-1].different_first_page_header_footer = False

    doc.add_paragraph("{%p for o in outcomes %}")
    chapter_opening(doc)
    next_section(doc, landscape=True)
    table_1(doc)
    table_2(doc)
    results_by_indicator(doc)
    table_3(doc)
    next_section(doc, landscape=False)
    lessons(
        doc,
        "o.lessons",
        "{{ _('Lessons learned') }}",
        "Heading 2",
        missing="{{ _('No lessons learned were submitted for this outcome (lessons-%(id)s.md).', id=o.id) }}",
    )
    table_4(doc)
    doc.add_paragraph("{%p endfor %}")

    lessons(doc, "lessons", "{{ _('Lessons learned (all outcomes)') }}", "Heading 1")
    next_section(doc, landscape=True)
    annexes(doc)
    doc.save(HERE / "implementation-report.docx")


if __name__ == "__main__":
    main()
