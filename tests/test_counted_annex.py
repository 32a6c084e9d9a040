"""The annex "Member States counted, by indicator and region": each figure of Table 2 links (a Word
bookmark hyperlink; a Markdown anchor in report.md) to the member States behind it, named with their CPO
codes, and they add up; the audit companion gives each with the files and rows of its evidence."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from docx.table import Table
from docx.text.paragraph import Paragraph

from reporting.vocabulary import REGIONS, TOTAL
from tests.report_packages import Built, body, build, earlier_published, part, rich_package, tables

ANNEX = "Annex: Member States counted, by indicator and region"
AUDIT_ANNEX = "Annex 3: Member States counted, by indicator and region"


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


REGION_HEADING = re.compile(r"(?P<indicator>[^,]+), (?P<region>.+): (?P<count>\d+)")
"""An annex block's heading: "7.1, Africa: 2" (the template's Heading 4, one level below its indicator)."""
LISTED_STATE = re.compile(r"(?P<country>[^;/]+)/(?P<codes>[^;]+)(?:; |$)")
"""A member State in the report's annex: "Kenya/KEN102, KEN105"."""


def table_2_figures(rich: Built) -> dict[tuple[str, str], int]:
    table_2 = tables(part(body(rich.files.docx), "Table 2:"))[0]
    return {
        (row.cells[0].text, region): int(cell.text.split()[0])
        for row in table_2.rows[1:]
        for region, cell in zip((*REGIONS, TOTAL), row.cells[1:], strict=True)
    }


def annex_blocks(docx: Path, annex: str) -> dict[tuple[str, str], tuple[int, list[Paragraph | Table]]]:
    """Per (indicator, region) of an annex: the count its heading gives and what follows it."""
    blocks: dict[tuple[str, str], tuple[int, list[Paragraph | Table]]] = {}
    current: list[Paragraph | Table] = []
    for item in part(body(docx), annex, until_style="Heading 1"):
        heading = REGION_HEADING.fullmatch(item.text) if isinstance(item, Paragraph) else None
        if heading and item.style is not None and item.style.name.startswith("Heading"):
            current = []
            blocks[(heading["indicator"], heading["region"])] = (int(heading["count"]), current)
        else:
            current.append(item)
    return blocks


def check_adds_up(
    figures: dict[tuple[str, str], int], states_of: dict[tuple[str, str], tuple[int, set[str]]]
) -> None:
    """Each region's member States are its Table 2 figure, and together the indicator's Total."""
    for (indicator_id, region_name), figure in figures.items():
        if region_name == TOTAL:
            together = set().union(*(s for (i, _), (_, s) in states_of.items() if i == indicator_id))
            assert len(together) == figure, indicator_id
        else:
            count, states = states_of[(indicator_id, region_name)]
            assert count == len(states) == figure, (indicator_id, region_name)


def test_the_report_annex_lists_member_states_adding_up_to_table_2(rich: Built) -> None:
    listed: dict[tuple[str, str], tuple[int, set[str]]] = {}
    for key, (count, items) in annex_blocks(rich.files.docx, ANNEX).items():
        text = " ".join(item.text for item in items if isinstance(item, Paragraph))
        listed[key] = (count, {m["country"].strip() for m in LISTED_STATE.finditer(text)})
        assert not tables(items), "the report's annex lists the member States as text"
    check_adds_up(table_2_figures(rich), listed)
    assert listed[("7.1", "Africa")][1] == {"Nigeria", "Tunisia"}
    assert listed[("7.1", "Europe and Central Asia")][0] == 0


def test_the_audit_annex_gives_each_member_state_with_its_evidence(rich: Built) -> None:
    audit = rich.files.companions[-1].docx
    found: dict[tuple[str, str], tuple[int, set[str]]] = {}
    for key, (count, items) in annex_blocks(audit, AUDIT_ANNEX).items():
        rows = [row for table in tables(items) for row in table.rows[1:]]  # one per CPO result
        found[key] = (count, {row.cells[0].text.rsplit("(", 1)[1].rstrip(")") for row in rows})
        assert all("evidence/evidence.csv" in row.cells[3].text for row in rows)
    check_adds_up(table_2_figures(rich), found)


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
    assert "Nigeria/NGA904; Tunisia/TUN129" in africa and "evidence.csv" not in annex
    audit = rich.files.companions[-1].markdown.read_text(encoding="utf-8")
    assert "| Nigeria (NGA) | NGA904 | 1, 3 | evidence/evidence.csv 7 8 |" in audit
    assert "| Tunisia (TUN) | TUN129 | 1, 3 | evidence/evidence.csv 2 3 |" in audit


def test_the_sample_annex_names_the_regional_cpos_nowhere(sample_build: Built) -> None:
    markdown = sample_build.files.markdown.read_text(encoding="utf-8")
    annex = markdown.split(f"## {ANNEX}", 1)[1]
    assert "SHA127" not in annex and "RAS151" not in annex
    assert len(re.findall(r"/[A-Z]{3}\d{3}\b", annex)) == 20  # the 20 counted under 7.1 and 7.2
