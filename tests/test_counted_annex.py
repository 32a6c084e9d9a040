"""Annex 3, "Member States counted, by indicator and region": each figure of Table 2 links (a Word
bookmark hyperlink; a Markdown anchor in report.md) to the member States behind it, and they add up."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from reporting.vocabulary import REGIONS, TOTAL
from tests.report_packages import Built, body, build, earlier_published, part, rich_package, tables

ANNEX = "Annex 3: Member States counted, by indicator and region"


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("annex")
    return build(rich_package(root), root / "out", previous=earlier_published())


def document_xml(docx: Path) -> str:
    return zipfile.ZipFile(docx).read("word/document.xml").decode("utf-8")


def test_every_table_2_figure_links_to_a_bookmark_of_the_annex(rich: Built) -> None:
    xml = document_xml(rich.files.docx)
    anchors = re.findall(r'<w:hyperlink w:anchor="([^"]+)"', xml)
    bookmarks = re.findall(r'<w:bookmarkStart w:id="(\d+)" w:name="([^"]+)"/>', xml)
    names = [name for _, name in bookmarks]
    # outcome 7 (7.1, 7.2) and outcome 8 (8.1): five regions and the Total each
    assert len(anchors) == 3 * (len(REGIONS) + 1) and sorted(anchors) == sorted(names)
    assert len(set(names)) == len(names) and len({i for i, _ in bookmarks}) == len(bookmarks)
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,39}", name) for name in names)
    annex = xml.rindex(ANNEX)  # its heading (the contents name it first)
    assert xml.index('w:anchor="ms_7_1_africa"') < annex < xml.index('w:name="ms_7_1_total"')


def test_the_annex_member_states_add_up_to_table_2(rich: Built) -> None:
    items = body(rich.files.docx)
    table_2 = tables(part(items, "Table 2:"))[0]
    figures = {
        (row.cells[0].text, region): int(cell.text.split()[0])
        for row in table_2.rows[1:]
        for region, cell in zip((*REGIONS, TOTAL), row.cells[1:], strict=True)
    }
    annex = part(items, ANNEX, until_style="Heading 1")
    found: dict[tuple[str, str], int] = {}
    states: dict[str, set[str]] = {}
    indicator, region = "", ""
    for item in annex:  # the template's Heading 4, one level below its indicator (no skipped level)
        if hasattr(item, "style") and item.style is not None and item.style.name == "Heading 3":
            indicator, rest = item.text.split(", ", 1)
            region, count = rest.rsplit(": ", 1)
            found[(indicator, region)] = int(count)
        elif hasattr(item, "rows"):  # the block's table: one row per CPO result of a member State
            codes = {row.cells[0].text.rsplit("(", 1)[1].rstrip(")") for row in item.rows[1:]}
            assert len(codes) == found[(indicator, region)], (indicator, region)
            states.setdefault(indicator, set()).update(codes)
    for (indicator_id, region_name), figure in figures.items():
        if region_name == TOTAL:
            assert len(states.get(indicator_id, set())) == figure
        else:
            assert found[(indicator_id, region_name)] == figure
    assert found[("7.1", "Africa")] == 2 and found[("7.1", "Europe and Central Asia")] == 0


def test_report_md_has_the_same_annex_with_anchors(rich: Built) -> None:
    markdown = rich.files.markdown.read_text(encoding="utf-8")
    table_2 = markdown.split("### Table 2:", 1)[1].split("###", 1)[0]
    assert "| 7.1 | [2 (target 2)](#ms-7-1-africa) |" in table_2
    assert "[**13 (target 8)**](#ms-7-1-total)" in table_2
    links = re.findall(r"\]\(#([a-z0-9-]+)\)", markdown)
    anchors = re.findall(r'<a id="([a-z0-9-]+)"></a>', markdown)
    assert len(links) == 18 and set(links) == set(anchors) and len(anchors) == len(set(anchors))
    annex = markdown.split(f"## {ANNEX}", 1)[1]
    africa = annex.split('<a id="ms-7-1-africa"></a>', 1)[1].split("<a id=", 1)[0]
    assert "#### 7.1, Africa: 2" in africa
    assert "| Nigeria (NGA) | NGA904 | 1, 3 | evidence/evidence.csv 7 8 |" in africa
    assert "| Tunisia (TUN) | TUN129 | 1, 3 | evidence/evidence.csv 2 3 |" in africa


def test_the_sample_annex_names_the_regional_cpos_nowhere(sample_build: Built) -> None:
    markdown = sample_build.files.markdown.read_text(encoding="utf-8")
    annex = markdown.split(f"## {ANNEX}", 1)[1]
    assert "SHA127" not in annex and "RAS151" not in annex
    assert annex.count("| ") >= 20  # the 20 member States counted under 7.1 and 7.2
