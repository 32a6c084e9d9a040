"""The report as the organisation publishes it (issue 22): a cover naming the organisation and the day of
publication, no placeholders, the published tables' conventions, an editor's layout, drafts in the
edition's language, and country names as each language writes them."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from matplotlib import font_manager
from matplotlib.text import Text
from PIL import ImageFont
from typer.testing import CliRunner

from reporting import cli
from reporting.report.chart import MIN_FONT_POINTS, PRINT_WIDTH_CM, chart_figure
from reporting.report.country_names import country_in, name_order
from reporting.report.draft import flag_pending
from reporting.report.edition import LANGUAGES, catalog_path, edition
from reporting.report.pdf import write_pdf
from reporting.report.sections.plain import is_yes
from reporting.resources import templates_dir
from reporting.vocabulary import REGIONS
from schemas.rules import yes_no
from tests.report_packages import SAMPLE, Built, body, build, draft_docx, part, rich_package, tables

DAY = date(2026, 12, 2)
SAMPLE_GOLDEN = Path(__file__).parent / "data" / "golden" / "2014-15" / "report.md"
PUBLISHED = date(2027, 3, 1)
ORGANISATION = {
    "en": "International Labour Office",
    "fr": "Bureau international du Travail",
    "es": "Oficina Internacional del Trabajo",
}


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    """The package that uses every section of the report, in each language, published on PUBLISHED."""
    root = tmp_path_factory.mktemp("published")
    package = rich_package(root)
    return {
        language: build(
            package, root / language, generated_on=DAY, language=language, publication_date=PUBLISHED
        )
        for language in LANGUAGES
    }


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The sample: evidence only (no examples, lessons or outputs), French edition."""
    root = tmp_path_factory.mktemp("sample")
    return build(SAMPLE, root / "out", generated_on=DAY, language="fr")


def cover(docx: Path) -> list[str]:
    return [p.text for p in Document(str(docx)).paragraphs[:16] if p.text.strip()]


# --- the cover -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_cover_names_the_organisation_title_and_day_of_publication(
    editions: dict[str, Built], language: str
) -> None:
    shown = cover(editions[language].files.docx)
    assert shown[0] == ORGANISATION[language]
    assert shown[1].replace("\n", " ").endswith("2014-15")
    assert edition(language).date(PUBLISHED) in shown
    assert not any("Generated on" in t or "Généré le" in t or "2 December 2026" in t for t in shown)


def test_how_the_report_was_made_is_in_its_properties_not_on_its_cover(editions: dict[str, Built]) -> None:
    docx = editions["en"].files.docx
    comments = Document(str(docx)).core_properties.comments
    assert "Built from the country offices' submissions" in comments and "2 December 2026" in comments
    assert not any("Built from" in t for t in cover(docx))
    markdown = editions["en"].files.markdown.read_text(encoding="utf-8").splitlines()
    assert markdown[2] == "**International Labour Office**"
    assert "1 March 2027" in markdown[4] and "Generated on" not in "\n".join(markdown[:6])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_properties_name_the_organisation_in_the_editions_language(
    editions: dict[str, Built], language: str
) -> None:
    for docx in editions[language].files.documents:
        properties = Document(str(docx)).core_properties
        assert properties.author == ORGANISATION[language]
        shown = [getattr(properties, name) for name in dir(properties) if not name.startswith("_")]
        others = {name for code, name in ORGANISATION.items() if code != language}
        assert not [value for value in shown if isinstance(value, str) and value in others]


# --- no placeholders -------------------------------------------------------------------------------------


def test_a_section_nothing_was_submitted_for_is_left_out_and_named(sample: Built) -> None:
    text = "\n".join(p.text for p in Document(str(sample.files.docx)).paragraphs)
    markdown = sample.files.markdown.read_text(encoding="utf-8")
    for gone in ("Tableau 3", "Tableau 4", "Enseignements tirés", ".csv)", "lessons-7.md", ".md)"):
        assert gone not in text and gone not in markdown
    assert sample.context["empty_sections"] == [
        "outcome 7: Table 3 (country examples)",
        "outcome 7: lessons learned",
        "outcome 7: Table 4 (significant outputs)",
    ]


def test_the_lessons_of_a_package_of_one_outcome_are_that_outcomes(tmp_path: Path) -> None:
    package = tmp_path / "one"
    shutil.copytree(SAMPLE, package)
    (package / "lessons.md").write_text("Documentation of *good practices* is key.\n", encoding="utf-8")
    built = build(package, tmp_path / "out", generated_on=DAY)
    assert [b["text"] for b in built.context["outcomes"][0]["lessons"]] == [
        "Documentation of good practices is key."
    ]
    assert built.context["lessons"] == []
    items = body(built.files.docx)
    assert any(
        getattr(i, "text", "") == "Documentation of good practices is key."
        for i in part(items, "Lessons learned")
    )


# --- the published conventions ---------------------------------------------------------------------------


@pytest.mark.parametrize("mark", ["X", "x", "✓", "yes", "oui", "Sí", " X "])
def test_the_published_marks_mean_yes(mark: str) -> None:
    assert is_yes(mark)
    canonical, valid = yes_no(pd.Series([mark]))
    assert canonical.tolist() == ["yes"] and valid.tolist() == [True]


def test_table_1_has_the_published_group_headers(editions: dict[str, Built]) -> None:
    for language, groups in (
        ("en", ["Results", "Capacity development"]),
        ("fr", ["Résultats", "Développement des capacités"]),
    ):
        table = tables(part(body(editions[language].files.docx), "Table" if language == "en" else "Tableau"))[
            0
        ]
        first = [c.text for c in table.rows[0].cells]
        assert first[3:] == [groups[0]] * 3 + [groups[1]] * 2  # merged cells repeat in python-docx
        assert len(table.rows[1].cells) == 8


def test_table_notes_are_in_normal_weight(editions: dict[str, Built]) -> None:
    notes = [
        p
        for p in Document(str(editions["en"].files.docx)).paragraphs
        if p.text.startswith(("Member States with a reportable result (at least", "Each figure links"))
    ]
    assert len(notes) == 4  # two outcomes
    assert all(
        run.bold in (False, None) and not (p.style.font.bold and run.bold is None)
        for p in notes
        for run in p.runs
    )


NO_TYPOLOGY = {
    "en": "No result counted under this outcome declares a typology (optional in a submission): the "
    "typology columns are empty.",
    "fr": "Aucun résultat compté au titre de ce résultat stratégique ne déclare de typologie (facultative "
    "dans une soumission)\u00a0: les colonnes des typologies sont vides.",
}


def table_1_note(docx: Path) -> str:
    items = body(docx)
    table_1 = next(n for n, item in enumerate(items) if isinstance(item, Table))
    note = items[table_1 + 1]
    assert isinstance(note, Paragraph)
    return note.text


def test_table_1_says_when_no_result_declares_a_typology(sample: Built, editions: dict[str, Built]) -> None:
    """The typology is optional in a submission: the sample declares none, and its Table 1's note says
    why the five typology columns are empty rather than leaving the reader to guess."""
    assert table_1_note(sample.files.docx).endswith(NO_TYPOLOGY["fr"])
    assert "Tunisia" in editions["en"].context["outcomes"][0]["summary_rows"][0]["by_typology"]["Programmes"]
    assert NO_TYPOLOGY["en"] not in table_1_note(editions["en"].files.docx)
    assert [o["has_typologies"] for o in editions["en"].context["outcomes"]] == [True, True]
    assert [o["has_typologies"] for o in sample.context["outcomes"]] == [False]
    golden = SAMPLE_GOLDEN.read_text(encoding="utf-8")
    assert NO_TYPOLOGY["en"] in golden.split("### Table 1:", 1)[1].split("### Table 2", 1)[0]
    assert NO_TYPOLOGY["en"] not in editions["en"].files.markdown.read_text(encoding="utf-8")


def test_targets_are_mentioned_only_where_there_are_targets(editions: dict[str, Built]) -> None:
    text = [p.text for p in Document(str(editions["en"].files.docx)).paragraphs]
    outcome_8 = text[next(i for i, t in enumerate(text) if t.startswith("Outcome 8:") and i > 20) :]
    outcome_7 = text[: len(text) - len(outcome_8)]
    assert any("target (hatched)" in t for t in outcome_7)
    assert any("(target in brackets)" in t for t in outcome_7)
    assert not any("target (hatched)" in t or "(target in brackets)" in t for t in outcome_8)
    assert "Figure 2: Outcome 8, member States with a reportable result by region" in outcome_8


# --- layout ----------------------------------------------------------------------------------------------

HEADER_POINTS = 8.5
CELL_MARGINS_DXA = 2 * 108
_BOLD = ImageFont.truetype(font_manager.findfont("DejaVu Sans:bold"), 1000)
"""DejaVu Sans, which LibreOffice uses here for Arial, is wider than Arial: a word it fits, Arial fits."""


def word_points(word: str) -> float:
    return _BOLD.getlength(word) / 1000 * HEADER_POINTS


def header_cells(table: Table) -> list[tuple[str, int]]:
    """(text, width in dxa) of each cell of the table's header rows."""
    found = []
    for row in table._tbl.tr_lst:
        if row.trPr is None or row.trPr.find(qn("w:tblHeader")) is None:
            continue
        for cell in row.tc_lst:
            text = "".join(t.text or "" for t in cell.iter(qn("w:t")))
            found.append((text, int(cell.tcPr.find(qn("w:tcW")).get(qn("w:w")))))
    return found


def width(table: Table) -> int:
    """The table's width in dxa: its grid's columns."""
    return sum(int(column.get(qn("w:w"))) for column in table._tbl.tblGrid.iter(qn("w:gridCol")))


@pytest.mark.parametrize("language", LANGUAGES)
def test_tables_1_and_2_are_aligned_within_the_margins_and_their_notes_clear_them(
    editions: dict[str, Built], language: str
) -> None:
    """Both tables are centred: as wide as each other, they line up, and neither reaches into a margin;
    the note under each one keeps a space from its border."""
    document = Document(str(editions[language].files.docx))
    landscape = next(s for s in document.sections if s.page_width > s.page_height)
    text_width = (landscape.page_width - landscape.left_margin - landscape.right_margin) / 635  # EMU to dxa
    items = list(document.iter_inner_content())
    firsts = [n for n, item in enumerate(items) if isinstance(item, Table) and len(item.columns) == 8]
    assert len(firsts) == 2  # outcomes 7 and 8
    for n in firsts:
        table_1, note_1, _, table_2, note_2 = items[n : n + 5]
        assert isinstance(table_1, Table) and isinstance(table_2, Table)
        assert len(table_2.columns) == 7  # the indicator, five regions, the total
        assert width(table_1) == width(table_2) <= text_width
        for note in (note_1, note_2):
            assert isinstance(note, Paragraph) and note.text and note.style is not None
            space = note.paragraph_format.space_before or note.style.paragraph_format.space_before
            assert space is not None and space.pt >= 4, note.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_table_heading_breaks_inside_a_word(editions: dict[str, Built], language: str) -> None:
    document = Document(str(editions[language].files.docx))
    checked = 0
    for table in document.tables:
        for text, width in header_cells(table):
            room = (width - CELL_MARGINS_DXA) / 20  # points
            for word in re.split(r"[\s\u200b]+|(?<=-)", text):  # a line may break after a hyphen
                checked += 1
                assert word_points(word) <= room, f"{language}: {word!r} is wider than its column"
    assert checked > 50


def test_rows_are_not_split_and_header_rows_keep_with_the_next(editions: dict[str, Built]) -> None:
    for docx in editions["en"].files.documents:  # the report and its companions
        for table in Document(str(docx)).tables:
            for row in table._tbl.tr_lst:
                assert row.trPr is not None and row.trPr.find(qn("w:cantSplit")) is not None
                if row.trPr.find(qn("w:tblHeader")) is not None:
                    assert all(
                        p.paragraph_format.keep_with_next for c in table.rows[0].cells for p in c.paragraphs
                    )
    document = Document(str(editions["en"].files.companions[0].docx))  # results by indicator
    texts = [p.text for p in document.paragraphs]
    measurement = [n for n, text in enumerate(texts) if text == "Measurement"]
    assert measurement and all(
        document.paragraphs[
            n
        ].paragraph_format.keep_with_next  # with the rule, and the rule with its criteria
        and document.paragraphs[n + 1].paragraph_format.keep_with_next
        for n in measurement
    )


def sections(docx: Path) -> list[tuple[str, list[str]]]:
    """Each section of the document: its orientation and what it shows (paragraph texts, "<table>",
    "<drawing>"), empty paragraphs left out."""
    found: list[tuple[str, list[str]]] = []
    shown: list[str] = []
    for element in Document(str(docx)).element.body:
        if element.tag == qn("w:tbl"):
            shown.append("<table>")
            continue
        if element.tag == qn("w:p"):
            text = "".join(t.text or "" for t in element.iter(qn("w:t"))).strip()
            drawn = element.find(f".//{qn('w:drawing')}") is not None
            shown += [text] if text else ["<drawing>"] if drawn else []
            section = element.find(f"{qn('w:pPr')}/{qn('w:sectPr')}")
        else:
            section = element if element.tag == qn("w:sectPr") else None
        if section is not None:
            size = section.find(qn("w:pgSz"))
            found.append((size.get(qn("w:orient")) or "portrait", shown))
            shown = []
    return found


def test_no_section_is_left_empty_and_each_keeps_its_orientation(
    sample: Built, editions: dict[str, Built]
) -> None:
    """An empty section is a blank page (with its running header and page number): the sample has no
    lessons learned nor Table 4, so the portrait section that holds them after the last outcome's tables
    is left out, and the landscape annex follows the landscape tables."""
    for docx in (sample.files.docx, *editions["en"].files.documents):
        assert all(shown for _, shown in sections(docx)), f"{docx.name}: an empty section"
    shown = sections(sample.files.docx)
    assert [orientation for orientation, _ in shown] == ["portrait", "portrait", "landscape", "landscape"]
    assert shown[-1][1][0] == "Annexe\u00a0: États membres comptés, par indicateur et par région"
    rich = sections(editions["en"].files.docx)  # outcomes 7 and 8, the lessons of all outcomes
    assert [orientation for orientation, _ in rich] == [
        "portrait",
        "portrait",
        "landscape",
        "portrait",
        "landscape",
        "portrait",
        "landscape",
    ]
    assert rich[-2][1][0] == "Lessons learned (all outcomes)"
    assert rich[-1][1][0] == "Annex: Member States counted, by indicator and region"


def keeps_with_next(paragraph: Paragraph) -> bool:
    """Whether the paragraph is kept on the page of the one after it (set on it, else by its style)."""
    kept = paragraph.paragraph_format.keep_with_next
    style = paragraph.style
    while kept is None and style is not None:
        kept, style = style.paragraph_format.keep_with_next, style.base_style
    return bool(kept)


def heading_level(item: Paragraph | Table | None) -> int:
    """1 for a Heading 1 (or the contents' heading), 2 for a Heading 2, …; 0 for anything else."""
    if not isinstance(item, Paragraph) or item.style is None or "Heading" not in item.style.name:
        return 0
    return int(item.style.name[-1]) if item.style.name[-1].isdigit() else 1


def test_a_heading_its_intro_line_and_a_figure_stay_with_what_follows(
    sample: Built, editions: dict[str, Built]
) -> None:
    """No heading ends a page: a heading keeps with the paragraph after it; the short line under a
    heading (a note, an indicator's title in the annex) with the table or heading after it; the
    paragraph before a table with its first row (header rows keep with the next); a chart with its
    caption."""
    checked, alone = 0, []
    for docx in (sample.files.docx, *editions["en"].files.documents):
        items = [
            i
            for i in body(docx)
            if not isinstance(i, Paragraph) or i.text.strip() or i._p.xpath(".//w:drawing")
        ]
        for before_it, item, after_it in zip([None, *items[:-1]], items, [*items[1:], None], strict=True):
            if not isinstance(item, Paragraph) or after_it is None:
                continue
            level, below = heading_level(before_it), heading_level(after_it)  # a line under a heading
            introduces = isinstance(after_it, Table) or (level and below > level)  # …and its subheading
            if heading_level(item) or introduces or item._p.xpath(".//w:drawing"):
                checked += 1
                alone += [] if keeps_with_next(item) else [f"{docx.name}: {item.text[:50]}"]
    assert checked > 100 and not alone, "\n".join(alone)
    examples = "Results by indicator: country examples"
    report = body(editions["en"].files.docx)
    heading = next(n for n, i in enumerate(report) if isinstance(i, Paragraph) and i.text == examples)
    assert isinstance(report[heading + 2], Table) and keeps_with_next(report[heading + 1])


def test_french_is_written_with_typographic_apostrophes() -> None:
    """And with a no-break space (or a narrow one) where a space comes before : ; ? ! » or after «."""
    with catalog_path("fr").open(encoding="utf-8") as catalog:
        translated = [line for line in catalog if line.startswith("msgstr")]
    assert translated and not [line for line in translated if "'" in line]
    assert not [line for line in translated if re.search(r" [:;?!»]|« ", line)]
    for name in ("count.fr.j2", "indicator.fr.j2"):
        text = (templates_dir() / "narrative" / name).read_text(encoding="utf-8")
        assert "'" not in re.sub(r"\{[{%].*?[%}]\}", "", text)


def test_the_french_annex_headings_are_worded_as_french_writes_them(sample: Built) -> None:
    headings = [
        p.text
        for p in Document(str(sample.files.docx)).paragraphs
        if p.style is not None and p.style.name.startswith("Heading") and p.text.startswith("7.")
    ]
    assert "7.1, Afrique\u00a0: 2" in headings and "7.2, Asie et Pacifique\u00a0: 3" in headings
    assert not [h for h in headings if re.search(r"[^\u00a0\u202f][:;]", h)]
    assert "#### 7.1, Africa: 2" in SAMPLE_GOLDEN.read_text(encoding="utf-8")  # English: as before


@pytest.mark.parametrize("language", LANGUAGES)
def test_chart_text_is_at_least_8_points_printed_with_a_value_axis(
    editions: dict[str, Built], language: str
) -> None:
    figure = chart_figure(editions[language].context["outcomes"][0]["chart"])
    scale = PRINT_WIDTH_CM / 2.54 / figure.get_figwidth()
    texts = [t for t in figure.findobj(Text) if t.get_text().strip() and t.get_visible()]
    assert texts and min(t.get_fontsize() * scale for t in texts) >= MIN_FONT_POINTS
    for axes in figure.axes:
        assert axes.yaxis.get_visible() and axes.spines["left"].get_visible()
        assert [t.get_text() for t in axes.get_yticklabels() if t.get_text()]


# --- drafts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "word"), [("en", "DRAFT"), ("fr", "PROJET"), ("es", "BORRADOR")])
def test_the_draft_watermark_and_flag_in_the_editions_language(
    editions: dict[str, Built], tmp_path: Path, language: str, word: str
) -> None:
    document = Document(str(draft_docx(editions[language], tmp_path)))
    assert all(f"PowerPlusWaterMarkObject {word}" in s.header._element.xml for s in document.sections)
    flagged = flag_pending(editions[language].context, {("7.1", "TUN129")})
    titles = [c["title"] for r in flagged["outcomes"][0]["indicators"][0]["regions"] for c in r["cpos"]]
    flag = {"en": "[not yet approved]", "fr": "[pas encore approuvé]", "es": "[aún no aprobado]"}[language]
    assert sum(t.startswith(f"{flag} ") for t in titles) == 1


def test_the_draft_keeps_the_running_header_on_every_page(editions: dict[str, Built], tmp_path: Path) -> None:
    for section in Document(str(draft_docx(editions["en"], tmp_path))).sections:
        assert "Programme implementation report 2014-15" in section.header._element.xml


# --- country names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("submitted", "language", "shown"),
    [
        ("Moldova", "fr", "République de Moldova"),
        ("Vietnam", "fr", "Viet Nam"),
        ("Viet Nam", "es", "Viet Nam"),
        ("Turkey", "en", "Türkiye"),
        ("Turquie", "es", "Türkiye"),
        ("Tunisia", "fr", "Tunisie"),
        ("Tunisia", "es", "Túnez"),
        ("Lao PDR", "en", "Lao People's Democratic Republic"),
        ("Côte d'Ivoire", "fr", "Côte d’Ivoire"),
        ("Southern Africa", "fr", "Southern Africa"),  # a regional CPO's place, not a country
    ],
)
def test_country_names_in_the_editions_language(submitted: str, language: str, shown: str) -> None:
    assert country_in(submitted, language) == shown


def test_countries_are_named_and_ordered_as_each_language_writes_them(editions: dict[str, Built]) -> None:
    french = editions["fr"].context["outcomes"][0]
    cpos = [c for ind in french["indicators"] for region in ind["regions"] for c in region["cpos"]]
    assert "Tunisie" in {c["country"] for c in cpos} and "Tunisia" not in {c["country"] for c in cpos}
    for ind in french["indicators"]:
        listed = [c for region in ind["regions"] for c in region["cpos"]]
        keys = [(REGIONS.index(c["region"]), name_order(c["country"])) for c in listed]
        assert keys == sorted(keys)
    for row in french["summary_rows"]:
        for names in row["by_typology"].values():
            countries = [n for n in names.split(", ") if n]
            regions = [next(c["region"] for c in cpos if c["country"] == n) for n in countries]
            keys = [(REGIONS.index(r), name_order(n)) for r, n in zip(regions, countries, strict=True)]
            assert keys == sorted(keys)


def test_names_sort_by_their_letters_not_their_accents() -> None:
    names = ["Zambie", "Égypte", "Éthiopie", "Equateur", "Bénin", "Burundi"]
    assert sorted(names, key=name_order) == ["Bénin", "Burundi", "Égypte", "Equateur", "Éthiopie", "Zambie"]
    assert name_order("Türkiye") == name_order("turkiye") == unicodedata.normalize("NFC", "turkiye")


@pytest.mark.slow
def test_the_draft_watermark_is_an_artifact_in_the_tagged_pdf(
    editions: dict[str, Built], tmp_path: Path
) -> None:
    """Only the charts are Figures of the PDF's structure (with their alternative text): the watermark on
    every page is decoration, not an untagged Figure."""
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None or shutil.which("soffice") is None:
        pytest.skip("LibreOffice and poppler are needed (make system-deps)")
    pdf = write_pdf(draft_docx(editions["fr"], tmp_path / "fr"), tmp_path / "draft.pdf")
    structure = subprocess.run(
        [pdfinfo, "-struct-text", str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    charts = len(editions["fr"].context["outcomes"])
    assert structure.count("Figure:") == charts
    assert pdf.read_bytes().count(b"/Alt") == charts


def test_the_publication_date_is_a_parameter_of_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    from reporting.flows import biennial_report
    from reporting.orchestration import crashed_runs

    asked: dict[str, object] = {}

    def up_to_date(**parameters: object) -> dict[str, object]:  # the flow is not run
        asked.update(parameters)
        return {"up_to_date": "Up to date", "outputs": []}

    monkeypatch.setattr(cli, "_prefect_api", lambda: lambda: "http://127.0.0.1:9/api")
    monkeypatch.setattr(crashed_runs, "detect_crashed_runs", lambda: None)
    monkeypatch.setattr(biennial_report, "biennial_report", up_to_date)
    runner = CliRunner()
    assert runner.invoke(cli.app, ["build", str(SAMPLE), "--publication-date", "2027-03-01"]).exit_code == 0
    assert asked["publication_date"] == date(2027, 3, 1)
    refused = runner.invoke(cli.app, ["build", str(SAMPLE), "--publication-date", "1 March 2027"])
    assert refused.exit_code == 2 and "Invalid value" in refused.output
