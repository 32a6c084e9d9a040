"""The Word report read back with python-docx, section by section, against the rows that went in."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.table import Table

from reporting.outputs import TEMPORARY_PREFIX
from reporting.report.country_names import country_in
from tests.report_packages import (
    EARLIER,
    Built,
    Items,
    body,
    build,
    cell_paragraphs,
    earlier_published,
    part,
    rich_package,
    style_of,
    tables,
    texts,
)


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("rich")
    return build(rich_package(root), root / "out", previous=earlier_published())


@pytest.fixture(scope="module")
def items(rich: Built) -> Items:
    return body(rich.files.docx)


@pytest.fixture(scope="module")
def results_items(rich: Built) -> Items:
    """The companion "results by indicator": every CPO result in full."""
    return body(rich.files.companions[0].docx)


@pytest.fixture(scope="module")
def audit_items(rich: Built) -> Items:
    return body(rich.files.companions[1].docx)


def test_one_chapter_per_outcome_with_its_statement(items: Items, audit_items: Items) -> None:
    chapters = [i.text for i in items if not isinstance(i, Table) and style_of(i) == "Heading 1"]
    assert chapters[:2] == [
        "Outcome 7: Labour Migration: More migrant workers are protected and more migrant workers have "
        "access to productive employment and decent work",
        "Outcome 8: Test outcome without targets",
    ]
    assert chapters[2:] == [
        "Lessons learned (all outcomes)",
        "Annex: Member States counted, by indicator and region",
    ]
    assert [i.text for i in audit_items if not isinstance(i, Table) and style_of(i) == "Heading 1"] == [
        "Annex 1: CPO results not reportable",
        "Annex 2: Rows rejected by validation",
        "Annex 3: Member States counted, by indicator and region",
    ]
    assert any(t.startswith("Outcome statement: More migrant workers") for t in texts(items))


def test_narrative_words_target_against_achieved(items: Items) -> None:
    summary = texts(part(items, "Outcome 7:", until_style="Heading 2"))
    narrative = " ".join(texts(part(items, "Summary of results")))
    assert not summary or summary[0].startswith("Outcome statement")
    assert "The number of results under indicator 7.1 exceeds the target (13 against 8)." in narrative
    assert "Regions that fell short: Europe and Central Asia (0 against 2)." in narrative
    assert "The number of results under indicator 7.2 exceeds the target (7 against 6)." in narrative
    assert "Regions above their target: Asia and the Pacific (3 against 1)." in narrative
    assert "Regions that fell short: Americas (1 against 2)." in narrative
    assert "In 2012-13, the figure was 11." in narrative
    chapter_8 = " ".join(texts(part(items, "Outcome 8:", until_style="Heading 1")))
    for missing in ("Table 3", "Lessons learned", "Table 4", "were submitted for this outcome"):
        assert missing not in chapter_8  # nothing submitted: left out, no placeholder
    assert (
        "Under indicator 8.1, results were achieved in 1 member State, in Africa; no target set" in chapter_8
    )


def test_table_1_worded_as_published_with_typologies(items: Items) -> None:
    table = tables(part(items, "Table 1:"))[0]
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]  # under the group headers
    assert rows[0][4] == "Regulatory/\u200bLegal framework"  # may wrap after the slash, not in a word
    rows[0][4] = rows[0][4].replace("\u200b", "")
    assert rows[0] == [
        "Indicator",
        "Target",
        "Achieved",
        "Policies and strategies",
        "Regulatory/Legal framework",
        "Programmes",
        "Institutional capacity",
        "Data collection and analysis",
    ]
    assert rows[1][1] == (
        "8 member States, of which 2 in Africa, 1 in the Americas, 1 in the Arab States, "
        "2 in Asia and the Pacific, 2 in Europe and Central Asia"
    )
    assert rows[1][2] == (
        "13 member States, of which 2 in Africa, 2 in the Americas, 1 in the Arab States, "
        "8 in Asia and the Pacific"
    )
    # Typologies: union over a CPO's rows; the sub-regional SHA127 is never listed as a member State.
    assert rows[1][3:] == ["Nigeria, Tunisia", "", "Tunisia", "Tunisia", "Cambodia"]  # region, then name
    assert rows[2][1] == (
        "6 member States, of which 1 in Africa, 2 in the Americas, 1 in the Arab States, "
        "1 in Asia and the Pacific, 1 in Europe and Central Asia"
    )
    chapter_8 = tables(part(items, "Outcome 8:", until_style="Heading 1"))
    assert [c.text for c in chapter_8[0].rows[2].cells][1:3] == ["no target set", "1 member State, in Africa"]


def test_table_2_and_comparison_with_the_earlier_biennium(items: Items) -> None:
    by_region = tables(part(items, "Table 2:"))[0]
    assert [c.text for c in by_region.rows[1].cells] == [
        "7.1",
        "2 (target 2)",
        "2 (target 1)",
        "1 (target 1)",
        "8 (target 2)",
        "0 (target 2)",
        "13 (target 8)",
    ]
    heading = "Comparison with 2012-13 as published in its report of 15 January 2014"
    assert any(getattr(item, "text", "") == heading for item in items)
    comparison = tables(part(items, heading, until_style="Heading 3"))[0]
    assert [[c.text for c in r.cells] for r in comparison.rows] == [
        ["Indicator", "Achieved in 2012-13", "Achieved in 2014-15", "Change"],
        ["7.1", "8", "13", "+5"],
        ["7.2", "11", "7", "-4"],
    ]


def test_one_chart_per_outcome(rich: Built) -> None:
    document = Document(str(rich.files.docx))
    pictures = document.element.body.findall(".//" + qn("pic:pic"))
    assert len(pictures) == 2
    charts = sorted(p.name for p in (rich.files.docx.parent / "charts").glob("*.png"))
    assert charts == ["outcome-7.png", "outcome-8.png"]


def test_results_by_indicator_hold_every_criterion_text(rich: Built, results_items: Items) -> None:
    items = results_items
    cpo_tables = {
        t.rows[0].cells[0].paragraphs[0].text.split(" (")[0]: t
        for t in tables(items)
        if t.rows[0].cells[0].text.count("/") and len(t.columns) == 3
    }
    evidence = rich.checked.evidence.clean
    reportable = rich.aggregates.results[rich.aggregates.results["reportable"]]
    for result in reportable.to_dict("records"):
        if result["outcome"] != "7":
            continue
        table = cpo_tables[f"{country_in(result['country'], 'en')}/{result['cpo_code']}"]
        assert cell_paragraphs(table, 0, 0)[1] == result["cpo_title"]
        rows = evidence[
            (evidence["cpo_code"] == result["cpo_code"]) & (evidence["indicator"] == result["indicator"])
        ]
        rows = rows.sort_values("criterion", kind="stable")
        assert [r.cells[0].text for r in table.rows[2:]] == [str(c) for c in rows["criterion"]]
        for row_number, row in enumerate(rows.to_dict("records"), start=2):
            typed = [line.strip() for line in row["result_achieved"].splitlines() if line.strip()]
            assert cell_paragraphs(table, row_number, 1) == typed
            typed = [line.strip() for line in row["ilo_contribution"].splitlines() if line.strip()]
            assert cell_paragraphs(table, row_number, 2) == typed
    tunisia = cpo_tables["Tunisia/TUN129"]
    assert cell_paragraphs(tunisia, 2, 1)[0].startswith("En 2015, le Gouvernement Tunisien, élu en 2014")
    assert cell_paragraphs(tunisia, 0, 0)[2] == "Policies and strategies; Programmes; Institutional capacity"
    assert "gender-specific" in cell_paragraphs(cpo_tables["Cambodia/KHM129"], 0, 0)[2]
    criteria = texts(part(items, "Indicator 7.1.", until_style="Heading 4"))
    assert criteria[2].startswith(
        "1. A gender-responsive policy to improve the protection of migrant workers"
    )
    assert criteria[-1].endswith("sex-disaggregated data on migrant workers is established or upgraded.")


def test_cpo_tables_have_applied_unequal_widths_and_repeated_headers(results_items: Items) -> None:
    table = next(t for t in tables(results_items) if t.rows[0].cells[0].text.startswith("Tunisia/TUN129"))
    grid = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert grid[0] * 3 < grid[1] == grid[2]
    assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    cell_widths = [int(tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for tc in table.rows[2]._tr.tc_lst]
    assert cell_widths == grid
    assert all(r._tr.trPr.find(qn("w:tblHeader")) is not None for r in table.rows[:2])


def test_table_3_country_examples_with_gender_mark(items: Items) -> None:
    table = tables(part(items, "Table 3:"))[0]
    examples = pd.read_csv(EARLIER / "examples.csv", dtype=str, keep_default_na=False)
    assert [r.cells[0].text for r in table.rows[1:]] == [country_in(c, "en") for c in examples["country"]]
    assert [r.cells[3].text for r in table.rows[1:]] == ["", "X", ""]
    for row, example in zip(table.rows[1:], examples.to_dict("records"), strict=True):
        assert [p.text for p in row.cells[1].paragraphs if p.text] == example["ilo_contribution"].split("\n")
        assert [p.text for p in row.cells[2].paragraphs if p.text] == example["results"].split("\n")


def test_lessons_learned_keep_lists_and_emphasis(items: Items) -> None:
    lessons = [i for i in part(items, "Lessons learned") if not isinstance(i, Table) and i.text.strip()]
    assert [(style_of(p), p.text) for p in lessons] == [
        ("Normal", "Lessons for outcome 7 specifically:"),
        ("List Bullet", "documentation of good practices is key"),
        ("List Bullet", "regional integration needs social partners"),
        ("Normal", "1.\tfirst numbered lesson"),
        ("Normal", "2.\tsecond numbered lesson"),
    ]
    assert [r.text for r in lessons[0].runs if r.italic] == ["outcome 7"]
    assert [r.text for r in lessons[1].runs if r.bold] == ["good practices"]
    package_wide = texts(part(items, "Lessons learned (all outcomes)", until_style="Heading 1"))
    written = [p for p in (EARLIER / "lessons.md").read_text(encoding="utf-8").split("\n\n") if p.strip()]
    assert package_wide == [p.strip() for p in written]


def test_table_4_outputs_numbered_by_typology(items: Items) -> None:
    table = tables(part(items, "Table 4:"))[0]
    outputs = pd.read_csv(EARLIER / "outputs.csv", dtype=str, keep_default_na=False)
    assert [r.cells[0].text for r in table.rows[1:]] == list(dict.fromkeys(outputs["typology"]))
    numbered = [p.text for r in table.rows[1:] for p in r.cells[1].paragraphs if p.text]
    assert numbered == [f"{n}. {text}" for n, text in enumerate(outputs["text"], start=1)]


def test_annexes_list_what_was_left_out(audit_items: Items) -> None:
    items = audit_items
    annex_1 = tables(part(items, "Annex 1:", until_style="Heading 1"))
    assert [[c.text for c in r.cells] for r in annex_1[0].rows] == [
        ["Indicator", "Country/CPO", "Criteria met", "Criteria required"],
        ["7.1", "Ghana/GHA101", "1", "2"],
    ]
    annex_2 = tables(part(items, "Annex 2:", until_style="Heading 1"))[0]
    rejected = [[c.text for c in r.cells] for r in annex_2.rows[1:]]
    assert len(rejected) == 1 and rejected[0][:3] == ["evidence/evidence.csv", "", "67"]
    assert "region" in rejected[0][3].lower()


def test_document_furniture(rich: Built) -> None:
    document = Document(str(rich.files.docx))
    body_xml = document.element.body.xml
    assert 'TOC \\o "1-2"' in body_xml
    orientations = {s.orientation for s in document.sections}
    assert len(orientations) == 2  # portrait and landscape sections
    footer_xml = document.sections[0].footer._element.xml
    assert " PAGE " in footer_xml and "Programme implementation report 2014-15" in footer_xml
    cover = [p.text for p in document.paragraphs[:12] if p.text]
    assert cover[:2] == ["International Labour Office", "Programme implementation report\n2014-15"]  # a line
    # break, never a split biennium
    used = {p.style.name for p in document.paragraphs} | {"Normal", "Table Text", "Heading 1", "Heading 2"}
    for name in used:
        properties = document.styles[name].element.rPr
        fonts = properties.rFonts if properties is not None else None
        assert fonts is None or fonts.get(qn("w:ascii")) == "Arial"  # None: inherits Normal's Arial
    assert document.styles["Normal"].font.name == "Arial"


def test_markdown_and_csv_beside_the_docx(rich: Built) -> None:
    markdown = rich.files.markdown.read_text(encoding="utf-8")
    for heading in (
        "## Outcome 7:",
        "### Table 1:",
        "### Table 2:",
        "#### Comparison with 2012-13 as published in its report of 15 January 2014",
        "### Results by indicator: country examples",
        "### Table 3:",
        "### Lessons learned",
        "### Table 4:",
        "## Annex: Member States counted",
        "## Outcome 8:",
    ):
        assert heading in markdown
    assert "](charts/outcome-7.png)" in markdown
    results, audit = (c.markdown.read_text(encoding="utf-8") for c in rich.files.companions)
    assert "### Results by indicator\n" in results and "**Tunisia/TUN129**" in results
    assert all(f"## Annex {n}:" in audit for n in (1, 2, 3))
    table_1 = markdown.split("### Table 1:", 1)[1].split("###", 1)[0].strip().splitlines()
    assert [line[:9] for line in table_1[2:]] == [
        "| Indicat",
        "|---|---|",
        "| **7.1**",
        "| **7.2**",
    ]  # one table
    assert "The number of results under indicator 7.2 exceeds the target (7 against 6)." in markdown
    csv = pd.read_csv(rich.files.summary_csv, dtype=str, keep_default_na=False)
    assert list(csv.columns) == ["biennium", "outcome", "indicator", "region", "target", "achieved"]
    assert csv[(csv["indicator"] == "7.2") & (csv["region"] == "Total")][
        ["target", "achieved"]
    ].values.tolist() == [["6", "7"]]


def test_long_annex_tables_are_split(tmp_path: Path) -> None:
    """Tables stay at most 1,000 rows long: LibreOffice and Word lay out long tables super-linearly."""
    package = rich_package(tmp_path)
    evidence_file = package / "evidence" / "evidence.csv"
    evidence = pd.read_csv(evidence_file, dtype=str, keep_default_na=False)
    bad = pd.DataFrame([{**evidence.iloc[0].to_dict(), "region": "Atlantis"}] * 1_500)
    pd.concat([evidence, bad], ignore_index=True).to_csv(evidence_file, index=False)
    built = build(package, tmp_path / "out")
    annex_2 = tables(part(body(built.files.companions[1].docx), "Annex 2:", until_style="Heading 1"))
    assert [len(t.rows) - 1 for t in annex_2] == [1_000, 501]


@pytest.mark.parametrize("column_loop", [False, True])
def test_another_template_is_used_unchanged(rich: Built, tmp_path: Path, column_loop: bool) -> None:
    """`reporting build --template FILE`: any docx with the documented variables, with or without
    `{%tc %}` column loops (which take docxtpl's own table-grid fix)."""
    from reporting.report.render import render_report

    template = Document()
    template.add_paragraph("Custom report {{ biennium }}: {{ outcomes|length }} outcome(s) & more")
    cells = template.add_table(rows=1, cols=3).rows[0].cells
    if column_loop:
        tags = ("{%tc for r in regions %}", "{{ r }}", "{%tc endfor %}")
    else:
        tags = ("{{ regions|first }}", "…", "{{ regions|last }}")
    for cell, text in zip(cells, tags, strict=True):
        cell.text = text
    template.save(str(tmp_path / "custom.docx"))
    files = render_report(rich.context, rich.aggregates.summary, tmp_path / "custom.docx", tmp_path / "out")
    document = Document(str(files.docx))
    assert document.paragraphs[0].text == "Custom report 2014-15: 2 outcome(s) & more"
    cells = [c.text for c in document.tables[0].rows[0].cells]
    expected = list(rich.context["regions"]) if column_loop else ["Africa", "…", "Europe and Central Asia"]
    assert cells == expected
    grid = document.tables[0]._tbl.tblGrid.findall(qn("w:gridCol"))
    assert len(grid) == len(cells)  # a column loop's table gets a column in its grid for each cell


def test_indented_or_fenced_lessons_text_is_kept() -> None:
    from reporting.report.markdown_text import markdown_blocks

    blocks = markdown_blocks("Intro\n\n    An indented paragraph.\n\n```\nA fenced line.\n```\n")
    assert [b["text"] for b in blocks] == ["Intro", "An indented paragraph.", "A fenced line."]


def _document_text(path: Path) -> list[str]:
    """Every paragraph's text of a Word document in order, table cells included."""
    body = Document(str(path)).element.body
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p"))]


def test_the_lighter_docxtpl_renders_what_docxtpl_renders(
    rich: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The contract `word_template.ReportTemplate` keeps with docxtpl (0.20, pinned): the passes it does
    otherwise (the body written as text instead of grafted into python-docx's tree, its own table-grid
    fix, ids renumbered on the text; about a second each at 10,000 results) change nothing of what the
    report says. Rendered again with docxtpl's own `DocxTemplate`,
    every document of the edition has the same text, paragraph by paragraph."""
    from docxtpl import DocxTemplate

    from reporting.report import render
    from reporting.resources import default_template

    context = rich.context
    ours = render.render_report(context, rich.aggregates.summary, default_template(), tmp_path / "ours")

    class DocxtplAlone(DocxTemplate):  # type: ignore[misc]
        def __init__(self, template: Path, body_file: Path, *_: object) -> None:
            super().__init__(str(template))

    monkeypatch.setattr(render, "ReportTemplate", DocxtplAlone)
    plain = render.render_report(
        rich.context, rich.aggregates.summary, default_template(), tmp_path / "plain"
    )
    documents = sorted(p.name for p in (tmp_path / "ours").glob("*.docx"))
    assert len(documents) == 3 and documents == sorted(p.name for p in (tmp_path / "plain").glob("*.docx"))
    for name in documents:
        assert _document_text(tmp_path / "ours" / name) == _document_text(tmp_path / "plain" / name), name
    assert ours.docx.name in documents and plain.docx.name in documents


def _parts(docx: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(docx) as package:
        return {entry.filename: package.read(entry) for entry in package.infolist()}


def test_a_body_written_in_small_pieces_is_the_same_document(
    rich: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """word_template renders the body in pieces cut after whole tables, and makes docxtpl's passes and the
    accessibility edits (heading levels as they nest, header rows, drawing ids in order) on each piece:
    hundreds of pieces of a few thousand characters write the same bytes as one piece."""
    from reporting.report import render, word_template
    from reporting.resources import default_template

    def edition_in(folder: str) -> render.ReportFiles:
        out = tmp_path / folder
        return render.render_report(rich.context, rich.aggregates.summary, default_template(), out)

    monkeypatch.setattr(word_template, "PIECE_CHARACTERS", 10**12)
    whole = edition_in("whole")
    pieces_of = word_template.pieces
    cuts = []
    monkeypatch.setattr(word_template, "PIECE_CHARACTERS", 2_000)
    monkeypatch.setattr(
        word_template, "pieces", lambda text, cut_at: (cuts.append(p) or p for p in pieces_of(text, cut_at))
    )
    pieces = edition_in("pieces")
    assert len(cuts) >= 30
    for one, many in zip(whole.documents, pieces.documents, strict=True):
        assert _parts(one) == _parts(many), one.name
    assert not list((tmp_path / "pieces").glob(f"**/{TEMPORARY_PREFIX}*"))  # the bodies' files removed


def test_a_run_of_newlines_is_never_split_between_pieces() -> None:
    """report.md's blank lines are collapsed, and a draft's final newlines dropped, piece by piece: a run
    of newlines cut by a piece's end is held whole for the next."""
    from reporting.report.word_template import newline_runs_whole

    assert list(newline_runs_whole(["a\n", "\n", "\nb\n\n", "\n"])) == ["a", "\n\n\nb", "\n\n\n"]
    assert list(newline_runs_whole([])) == [""]


def _cut_template(path: Path) -> Path:
    """A template whose `{% if %}` starts in a paragraph and ends in a table cell: it renders into XML that
    is not well-formed (the cell's end without its start)."""
    template = Document()
    template.add_paragraph("Before {% if false %}hidden")
    template.add_table(rows=1, cols=1).rows[0].cells[0].text = "hidden {% endif %} after"
    template.add_paragraph("Biennium {{ biennium }}")
    template.save(str(path))
    return path


def test_a_template_whose_tags_cut_across_word_structure_still_renders(rich: Built, tmp_path: Path) -> None:
    """docxtpl's own rendering and recovering parser make the best of a body that is not well-formed, as
    they did before the body was streamed."""
    from reporting.report.render import render_report

    template = _cut_template(tmp_path / "cut.docx")
    files = render_report(rich.context, rich.aggregates.summary, template, tmp_path / "out")
    assert Document(str(files.docx)).paragraphs[0].text == "Before  after"  # what the parser recovered
    assert not list((tmp_path / "out").glob(f"**/{TEMPORARY_PREFIX}*"))


def test_passages_in_another_language_are_tagged_in_a_body_docxtpl_rendered(tmp_path: Path) -> None:
    """The passages printed untranslated are tagged in the body docxtpl rendered too (as a tree, once)."""
    from reporting.report.word_template import ReportTemplate

    tagged: list[str] = []
    template = _cut_template(tmp_path / "cut.docx")
    document = ReportTemplate(template, tmp_path / "body.xml", "fr", lambda body: tagged.append(body.tag))
    document.render({"biennium": "2014-15"}, autoescape=True)
    document.save(str(tmp_path / "out.docx"))
    assert tagged == [qn("w:body")]
