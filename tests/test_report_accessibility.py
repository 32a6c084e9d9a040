"""The Word report as assistive technology reads it: language, title, heading levels, header rows, the
chart's alternative text, checked in the .docx XML of the sample build."""

from __future__ import annotations

import itertools
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree  # type: ignore[import-untyped]

from reporting.report import pdf
from reporting.report.accessibility import accessible_parts, chart_description
from tests.report_packages import Built

CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {
    "w": W,
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def parts(docx: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(docx) as package:
        return {name: package.read(name) for name in package.namelist()}


def xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(huge_tree=True))


def val(element: etree._Element) -> str:
    return str(element.get(f"{{{W}}}val"))


def heading_levels(document: etree._Element, styles: etree._Element) -> list[int]:
    levels = {}
    for style in styles.iterfind("w:style", NS):
        name = style.find("w:name", NS)
        found = re.fullmatch(r"heading (\d)", val(name).lower()) if name is not None else None
        if found:
            levels[style.get(f"{{{W}}}styleId")] = int(found.group(1))
    return [levels[val(s)] for s in document.iterfind(".//w:pStyle", NS) if val(s) in levels]


def language_of(package: dict[str, bytes]) -> set[str]:
    """Every language the package states: styles (document default included), settings, properties."""
    styles, settings, core = (
        xml(package[n]) for n in ("word/styles.xml", "word/settings.xml", "docProps/core.xml")
    )
    assert styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS) is not None
    return {
        *(val(lang) for lang in styles.iterfind(".//w:lang", NS)),
        *(val(theme) for theme in settings.iterfind(".//w:themeFontLang", NS)),
        core.findtext("dc:language", namespaces=NS),
    }


def test_the_sample_report_states_its_language_and_title(sample_build: Built) -> None:
    package = parts(sample_build.files.docx)
    assert language_of(package) == {"en-GB"}
    assert xml(package["docProps/core.xml"]).findtext("dc:title", namespaces=NS) == (
        "Programme implementation report 2014-15"
    )
    core = xml(package["docProps/core.xml"])  # what File > Properties shows: the organisation, not a tool
    assert core.findtext("dc:creator", namespaces=NS) == "International Labour Office"
    assert "python-docx" not in package["docProps/core.xml"].decode()


@pytest.mark.parametrize(("language", "tag"), [("fr", "fr-FR"), ("es", "es-ES"), ("en-US", "en-US")])
def test_an_edition_states_its_own_language(sample_build: Built, language: str, tag: str) -> None:
    package = parts(sample_build.files.docx)
    package.update(accessible_parts(package, language))
    assert language_of(package) == {tag}


def test_headings_use_word_heading_styles_without_skipping_a_level(sample_build: Built) -> None:
    used: set[int] = set()
    for docx in sample_build.files.documents:  # the report and its companions
        package = parts(docx)
        levels = heading_levels(xml(package["word/document.xml"]), xml(package["word/styles.xml"]))
        assert levels[0] == 1
        assert all(level <= before + 1 for before, level in itertools.pairwise(levels)), levels
        used.update(levels)
    assert {1, 2, 3, 4} <= used


def test_every_table_has_a_header_row_that_repeats(sample_build: Built) -> None:
    documents = [xml(parts(docx)["word/document.xml"]) for docx in sample_build.files.documents]
    tables = [table for document in documents for table in document.findall(".//w:tbl", NS)]
    assert len(tables) > 20
    for table in tables:
        assert table.find("w:tr/w:trPr/w:tblHeader", NS) is not None


def test_the_chart_says_its_figures_in_words(sample_build: Built) -> None:
    document = xml(parts(sample_build.files.docx)["word/document.xml"])
    pictures = document.findall(".//wp:docPr", NS)
    chart = sample_build.context["outcomes"][0]["chart"]
    assert [p.get("descr") for p in pictures] == [chart_description("7", chart)]
    described = pictures[0].get("descr")
    for indicator, achieved in zip(chart["indicators"], chart["achieved"], strict=True):
        counts = ", ".join(f"{region} {n}" for region, n in zip(chart["regions"], achieved, strict=True))
        assert f"Indicator {indicator}, member States (no target set): {counts}." in described
    assert "Asia and the Pacific 8" in described


def test_a_chart_with_targets_names_each_target() -> None:
    chart = {
        "indicators": ["7.1"],
        "regions": ["Africa", "Americas"],
        "achieved": [[2, 1]],
        "target": [[3, None]],
    }
    assert chart_description("7", chart) == (
        "Bar chart of outcome 7: member States with a reportable result by region, target and achieved. "
        "Indicator 7.1, member States against target: Africa 2 (target 3), Americas 1 (no target)."
    )
    french = chart_description("7", {**chart, "language": "fr", "regions": ["Afrique", "Amériques"]})
    assert "Indicateur 7.1" in french and "Afrique 2 (cible 3)" in french


def body(inner: str) -> dict[str, bytes]:
    """A minimal package around a body (styles with three heading levels and a title)."""
    styles = "".join(
        f'<w:style w:styleId="{sid}"><w:name w:val="{name}"/></w:style>'
        for sid, name in (("T", "Title"), ("H1", "heading 1"), ("H2", "heading 2"), ("H3", "heading 3"))
    )
    return {
        "word/styles.xml": f'<w:styles xmlns:w="{W}">{styles}</w:styles>'.encode(),
        "word/document.xml": f'<w:document xmlns:w="{W}"><w:body>{inner}</w:body></w:document>'.encode(),
    }


def paragraph(style: str, text: str = "x") -> str:
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>'


def test_heading_levels_follow_the_nesting() -> None:
    template = ["H1", "H3", "H3", "H1", "H2", "H3", "H1", "H3", "H2"]
    edited = accessible_parts(body("".join(paragraph(s) for s in template)))
    document = edited["word/document.xml"].decode()
    assert re.findall(r'w:val="(H\d)"', document) == ["H1", "H2", "H2", "H1", "H2", "H3", "H1", "H2", "H2"]


def test_the_title_is_the_title_paragraph_with_its_line_breaks_as_spaces() -> None:
    title = paragraph("T", "Report &amp; annex</w:t><w:br/><w:t>2014-15")
    package = {
        **body(paragraph("H1") + title),
        "docProps/core.xml": f'<cp:coreProperties xmlns:cp="{CP}" xmlns:dc="{NS["dc"]}"><dc:title/>'
        "</cp:coreProperties>".encode(),
    }
    core = xml(accessible_parts(package)["docProps/core.xml"])
    assert core.findtext("dc:title", namespaces=NS) == "Report & annex 2014-15"
    assert core.findtext("dc:language", namespaces=NS) == "en-GB"


ROW = "<w:tc><w:p/></w:tc>"


@pytest.mark.parametrize(
    "first_row",
    [
        f"<w:tr>{ROW}</w:tr>",
        f"<w:tr><w:trPr/>{ROW}</w:tr>",
        f'<w:tr w:rsidR="1"><w:tblPrEx><w:tblW w:w="0"/></w:tblPrEx><w:trPr><w:cantSplit/></w:trPr>{ROW}'
        "</w:tr>",
        f"<w:tr><w:trPr><w:tblHeader/></w:trPr>{ROW}</w:tr>",
        f"<w:tr><w:tc><w:tbl><w:tblPr/><w:tr>{ROW}</w:tr></w:tbl><w:p/></w:tc></w:tr>",
    ],
)
def test_the_first_row_of_every_table_repeats(first_row: str) -> None:
    table = f"<w:tbl><w:tblPr/><w:tblGrid/>{first_row}<w:tr>{ROW}</w:tr></w:tbl>"
    document = xml(accessible_parts(body(table))["word/document.xml"])
    tables = document.findall(".//w:tbl", NS)
    for found in tables:
        rows = found.findall("w:tr", NS)
        assert len(rows[0].findall("w:trPr/w:tblHeader", NS)) == 1
        assert all(row.find("w:trPr/w:tblHeader", NS) is None for row in rows[1:])
        children = [etree.QName(child).localname for child in rows[0]]
        assert children.index("trPr") == (1 if "tblPrEx" in children else 0)  # the schema's order


def test_no_libreoffice_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    with pytest.raises(pdf.PdfError, match="libreoffice-writer python3-uno"):
        pdf.write_pdf(tmp_path / "report.docx", tmp_path / "report.pdf")
    assert list(tmp_path.iterdir()) == []
