"""How templates/implementation-report.docx was first made (python-docx writing docxtpl tags).

The .docx is the source of truth: restyle it in Word and save. Run this only to start again from the
default layout: `.venv/bin/python templates/make_default_template.py`.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Row

REGIONS = ("Africa", "Americas", "Arab States", "Asia and the Pacific", "Europe and Central Asia")
HERE = Path(__file__).parent


def repeat_as_header(row: _Row) -> None:
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def shade(row: _Row, fill: str = "D9D9D9") -> None:
    for cell in row.cells:
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:fill"), fill)
        cell._tc.get_or_add_tcPr().append(shading)


def bold_row(row: _Row, texts: list[str]) -> None:
    for cell, text in zip(row.cells, texts, strict=True):
        cell.paragraphs[0].add_run(text).bold = True


def loop_row(table: Table, tag: str) -> None:
    table.add_row().cells[0].paragraphs[0].add_run(tag)


def main() -> None:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(9.5)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        doc.styles[name].font.name = "Arial"

    doc.add_paragraph("Programme implementation report {{ biennium }}", style="Title")
    doc.add_paragraph("Results by outcome and indicator. Generated on {{ generated_on }}.")

    doc.add_paragraph("{%p for o in outcomes %}")
    doc.add_paragraph("Outcome {{ o.id }}: {{ o.title }}", style="Heading 1")
    doc.add_paragraph("Table 1: Summary of results by indicator and by region", style="Heading 2")
    doc.add_paragraph("Number of member States with a reportable result; the target follows in brackets.")
    summary = doc.add_table(rows=1, cols=3 + len(REGIONS), style="Table Grid")
    bold_row(summary.rows[0], ["Indicator", "Target", "Achieved", *REGIONS])
    repeat_as_header(summary.rows[0])
    shade(summary.rows[0])
    loop_row(summary, "{%tr for row in o.summary_rows %}")
    cells = summary.add_row().cells
    cells[0].paragraphs[0].add_run("{{ row.indicator }}")
    cells[1].paragraphs[0].add_run("{{ row.target }}")
    cells[2].paragraphs[0].add_run("{{ row.achieved }}").bold = True
    for cell, region in zip(cells[3:], REGIONS, strict=True):
        cell.paragraphs[0].add_run(
            f"{{{{ row.by_region['{region}'].achieved }}}} ({{{{ row.by_region['{region}'].target }}}})"
        )
    loop_row(summary, "{%tr endfor %}")
    doc.add_paragraph()

    doc.add_paragraph("Results by indicator", style="Heading 2")
    doc.add_paragraph("{%p for ind in o.indicators %}")
    doc.add_paragraph("Indicator {{ ind.id }}. {{ ind.title }}", style="Heading 3")
    doc.add_paragraph().add_run("Measurement").bold = True
    doc.add_paragraph("{{ ind.reportability }}")
    doc.add_paragraph("{%p for c in ind.criteria %}")
    doc.add_paragraph("{{ c.number }}. {{ c.text }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p for region in ind.regions %}")
    doc.add_paragraph("{{ region.name }}", style="Heading 3")
    doc.add_paragraph("{%p for cpo in region.cpos %}")
    block = doc.add_table(rows=2, cols=3, style="Table Grid")
    title = block.rows[0].cells[0].merge(block.rows[0].cells[2])
    run = title.paragraphs[0].add_run("{{ cpo.country }}/{{ cpo.code }}")
    run.bold = True
    title.paragraphs[0].add_run(
        "{% if not cpo.member_state %} (regional or global CPO: listed, not counted){% endif %}"
    )
    title.add_paragraph("{{ cpo.title }}")
    shade(block.rows[0], "EDEDED")
    bold_row(block.rows[1], ["Measurement criteria", "Result achieved", "ILO contribution"])
    repeat_as_header(block.rows[1])
    loop_row(block, "{%tr for c in cpo.criteria %}")
    cells = block.add_row().cells
    cells[0].paragraphs[0].add_run("{{ c.number }}")
    cells[0].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for cell, key in ((cells[1], "result"), (cells[2], "contribution")):
        cell.paragraphs[0].add_run(f"{{%p for para in c.{key} %}}")
        cell.add_paragraph("{{ para }}")
        cell.add_paragraph("{%p endfor %}")
    loop_row(block, "{%tr endfor %}")
    widths = (Cm(2.2), Cm(12.0), Cm(12.0))
    for row in block.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width
    doc.add_paragraph()
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endfor %}")

    doc.add_paragraph("{%p if o.not_reportable %}")
    doc.add_paragraph("CPO results not reportable under outcome {{ o.id }}", style="Heading 2")
    doc.add_paragraph("{%p for r in o.not_reportable %}")
    doc.add_paragraph(
        "Indicator {{ r.indicator }}: {{ r.country }}/{{ r.code }} meets criteria {{ r.criteria_met }}; "
        "at least {{ r.min_criteria }} are required.",
        style="List Bullet",
    )
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p endfor %}")

    doc.add_paragraph("{%p if rejected %}")
    doc.add_paragraph("Annex: rows rejected by validation", style="Heading 1")
    rejected = doc.add_table(rows=1, cols=4, style="Table Grid")
    bold_row(rejected.rows[0], ["File", "Sheet", "Row", "Reason"])
    repeat_as_header(rejected.rows[0])
    loop_row(rejected, "{%tr for r in rejected %}")
    cells = rejected.add_row().cells
    for cell, key in zip(cells, ("file", "sheet", "row", "reason"), strict=True):
        cell.paragraphs[0].add_run(f"{{{{ r.{key} }}}}")
    loop_row(rejected, "{%tr endfor %}")
    doc.add_paragraph("{%p endif %}")

    doc.save(HERE / "implementation-report.docx")


if __name__ == "__main__":
    main()
