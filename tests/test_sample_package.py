"""The 2014-15 sample package end to end (without Prefect): summary CSV and the Word report."""

from __future__ import annotations

from pathlib import Path

from docx import Document

from reporting.report.render import RESULTS
from tests.conftest import Built

# Hand count of examples/2014-15 (see its README): SHA127 and RAS151 are not member States.
EXPECTED_CSV = """biennium,outcome,indicator,region,target,achieved
2014-15,7,7.1,Africa,,2
2014-15,7,7.1,Americas,,2
2014-15,7,7.1,Arab States,,1
2014-15,7,7.1,Asia and the Pacific,,8
2014-15,7,7.1,Europe and Central Asia,,0
2014-15,7,7.1,Total,,13
2014-15,7,7.2,Africa,,1
2014-15,7,7.2,Americas,,1
2014-15,7,7.2,Arab States,,1
2014-15,7,7.2,Asia and the Pacific,,3
2014-15,7,7.2,Europe and Central Asia,,1
2014-15,7,7.2,Total,,7
"""

EXPECTED_REGIONS = {  # by region, then by name as the edition writes it (the published order)
    "7.1": {
        "Africa": ["Nigeria/NGA904", "Southern Africa/SHA127", "Tunisia/TUN129"],
        "Americas": ["Brazil/BRA107", "Mexico/MEX128"],
        "Arab States": ["Jordan/JOR103"],
        "Asia and the Pacific": [
            "Asia and the Pacific Region/RAS151",
            "Bangladesh/BGD303",
            "Cambodia/KHM129",
            "Indonesia/IDN102",
            "Lao People's Democratic Republic/LAO179",
            "Nepal/NPL105",
            "Philippines/PHL130",
            "Thailand/THA176",
            "Viet Nam/VNM105",
        ],
    },
    "7.2": {
        "Africa": ["Ethiopia/ETH155"],
        "Americas": ["Costa Rica/CRI134"],
        "Arab States": ["Kuwait/KWT106"],
        "Asia and the Pacific": ["Kiribati/KIR102", "Sri Lanka/LKA105", "Tuvalu/TUV151"],
        "Europe and Central Asia": ["Türkiye/TUR159"],  # the United Nations' name, submitted as "Turkey"
    },
}


def test_sample_has_no_rejected_rows(sample_build: Built) -> None:
    assert len(sample_build.package.evidence) == 65
    findings = sample_build.checked.findings
    assert findings[["file", "rule"]].values.tolist() == [["README.md", "note_not_read"]]  # named, not read
    assert len(sample_build.checked.evidence.clean) == 65


def test_summary_csv_matches_the_hand_count(sample_build: Built) -> None:
    assert sample_build.files.summary_csv.read_text(encoding="utf-8") == EXPECTED_CSV


def cpo_headers_by_region(docx: Path) -> dict[str, dict[str, list[str]]]:
    """Walk the document body in order: indicator heading → region heading → CPO tables."""
    document = Document(str(docx))
    found: dict[str, dict[str, list[str]]] = {}
    indicator = region = None
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in child.iter() if t.tag.endswith("}t"))
            style = child.find(".//{*}pStyle")
            style_name = (
                style.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val")
                if style is not None
                else ""
            )
            if text.startswith("Indicator "):
                indicator = text.split()[1].rstrip(".")
                found[indicator] = {}
            elif (
                style_name.startswith("Heading")
                and indicator
                and text
                in ("Africa", "Americas", "Arab States", "Asia and the Pacific", "Europe and Central Asia")
            ):
                region = text
                found[indicator][region] = []
        elif tag == "tbl" and indicator and region:
            first_cell = child.find(".//{*}tc")
            header = "".join(t.text or "" for t in first_cell.iter() if t.tag.endswith("}t"))
            found[indicator][region].append(header.split(" (")[0].split("\n")[0])
    return found


def test_docx_lists_the_expected_countries_under_the_expected_regions(sample_build: Built) -> None:
    results = next(c.docx for c in sample_build.files.companions if c.kind == RESULTS)  # every CPO result
    found = cpo_headers_by_region(results)
    headers = {
        ind: {
            region: [h[: len(e)] for h, e in zip(cpos, EXPECTED_REGIONS[ind].get(region, []), strict=False)]
            for region, cpos in regions.items()
        }
        for ind, regions in found.items()
    }
    assert headers == EXPECTED_REGIONS


def test_docx_summary_table_shows_the_counts(sample_build: Built) -> None:
    table = Document(str(sample_build.files.docx)).tables[0]
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]  # under the group headers
    assert rows[0][:3] == ["Indicator", "Target", "Achieved"]
    # Table 1 words the figures as the published report does; Table 2 gives them by region.
    assert rows[1][0].startswith("7.1 ") and rows[2][0].startswith("7.2 ")
    assert rows[1][1:3] == [
        "no target set",
        "13 member States, of which 2 in Africa, 2 in the Americas, "
        "1 in the Arab States, 8 in Asia and the Pacific",
    ]
    assert rows[2][1] == "no target set" and rows[2][2].startswith("7 member States, of which 1 in Africa")
    by_region = [[c.text for c in r.cells] for r in Document(str(sample_build.files.docx)).tables[1].rows]
    assert by_region[1] == ["7.1", "2", "2", "1", "8", "0", "13"]
