"""The annex "Member States counted, by indicator and region": each figure of Table 2 links (a Word
bookmark hyperlink; a Markdown anchor in report.md) to the member States behind it, named with their CPO
codes, and they add up; the audit companion gives each with the files and rows of its evidence."""

from __future__ import annotations

import copy
import re
import zipfile
from pathlib import Path

import pytest
from docx.table import Table
from docx.text.paragraph import Paragraph

from reporting.report.render import render_report
from reporting.resources import default_template
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


def zeros(rich: Built) -> int:
    """How many regions of Table 2 count no member State (7.1 in Europe and Central Asia; outcome 8's
    one indicator everywhere but in Africa): nothing to link to."""
    found = [
        (row["id"], region)
        for o in rich.context["outcomes"]
        for row in o["summary_rows"]
        for region, cell in row["by_region"].items()
        if cell["achieved"] == 0
    ]
    assert ("7.1", "Europe and Central Asia") in found and len(found) == 5
    return len(found)


def test_every_table_2_figure_links_to_a_bookmark_of_the_annex(rich: Built) -> None:
    xml = document_xml(rich.files.docx)
    anchors = re.findall(r'<w:hyperlink w:anchor="([^"]+)"', xml)
    bookmarks = re.findall(r'<w:bookmarkStart w:id="(\d+)" w:name="([^"]+)"/>', xml)
    names = [name for _, name in bookmarks]
    # outcome 7 (7.1, 7.2) and outcome 8 (8.1): five regions and the Total each, but for a region of none
    assert len(anchors) == 3 * (len(REGIONS) + 1) - zeros(rich) and sorted(anchors) == sorted(names)
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
    figures: dict[tuple[str, str], int],
    states_of: dict[tuple[str, str], tuple[int, set[str]]],
    zeros_listed: bool = True,
) -> None:
    """Each region's member States are its Table 2 figure, and together the indicator's Total; a region
    of none has a block saying so, or none (`zeros_listed` false: the report's annex)."""
    for (indicator_id, region_name), figure in figures.items():
        if region_name == TOTAL:
            together = set().union(*(s for (i, _), (_, s) in states_of.items() if i == indicator_id))
            assert len(together) == figure, indicator_id
        elif figure or zeros_listed:
            count, states = states_of[(indicator_id, region_name)]
            assert count == len(states) == figure, (indicator_id, region_name)
        else:
            assert (indicator_id, region_name) not in states_of


def test_the_report_annex_lists_member_states_adding_up_to_table_2(rich: Built) -> None:
    listed: dict[tuple[str, str], tuple[int, set[str]]] = {}
    for key, (count, items) in annex_blocks(rich.files.docx, ANNEX).items():
        text = " ".join(item.text for item in items if isinstance(item, Paragraph))
        listed[key] = (count, {m["country"].strip() for m in LISTED_STATE.finditer(text)})
        assert not tables(items), "the report's annex lists the member States as text"
    check_adds_up(table_2_figures(rich), listed, zeros_listed=False)
    assert listed[("7.1", "Africa")][1] == {"Nigeria", "Tunisia"}
    assert ("7.1", "Europe and Central Asia") not in listed  # 0: no empty entry


def test_a_figure_of_none_is_not_linked_and_has_no_empty_entry_in_the_annex(rich: Built) -> None:
    """Table 2's 0 has nothing behind it: it is plain text, and the report's annex lists no
    "7.1, Europe and Central Asia: 0 — No member State counted" (the audit companion still does)."""
    table_2 = tables(part(body(rich.files.docx), "Table 2:"))[0]
    row = next(r for r in table_2.rows if r.cells[0].text == "7.1")
    europe = row.cells[1 + REGIONS.index("Europe and Central Asia")]
    assert europe.text == "0 (target 2)" and "w:hyperlink" not in europe._tc.xml
    assert "w:hyperlink" in row.cells[1]._tc.xml  # Africa: 2
    annex = [i.text for i in part(body(rich.files.docx), ANNEX, "Heading 1") if isinstance(i, Paragraph)]
    assert "No member State counted." not in annex and not [t for t in annex if t.endswith(": 0")]
    audit_annex = part(body(rich.files.companions[-1].docx), AUDIT_ANNEX, "Heading 1")
    audit = [i.text for i in audit_annex if isinstance(i, Paragraph)]
    assert "7.1, Europe and Central Asia: 0" in audit and "No member State counted." in audit


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
    assert len(links) == 18 - zeros(rich) and set(links) == set(anchors) and len(anchors) == len(set(anchors))
    assert "| [8 (target 2)](#ms-7-1-asia) | 0 (target 2) | [**13 (target 8)**](#ms-7-1-total) |" in table_2
    assert "7.1, Europe and Central Asia" not in markdown.split(f"## {ANNEX}", 1)[1]
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


def test_an_indicator_of_none_says_so_once_in_the_report_annex(rich: Built, tmp_path: Path) -> None:
    context = copy.deepcopy(rich.context)
    (eight,) = context["outcomes"][1]["counted"]  # 8.1: Tunisia only
    eight["achieved"] = 0
    for region in eight["regions"]:
        region.update(achieved=0, states=[], listed="")
    files = render_report(context, rich.aggregates.summary, default_template(), tmp_path)
    annex = part(body(files.docx), "8.1, all regions: 0 member States", "Heading 2")
    shown = [i.text for i in annex if isinstance(i, Paragraph)]
    assert shown == [eight["title"], "No member State counted."]
    markdown = files.markdown.read_text(encoding="utf-8").split("### 8.1, all regions: 0 member States", 1)[1]
    assert markdown.split() == f"*{eight['title']}* No member State counted.".split()
