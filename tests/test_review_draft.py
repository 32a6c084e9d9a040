"""A draft is recognisable as one: the watermark on every page (seen in LibreOffice's rendering of page
1), DRAFT in report.md's title, results not yet approved flagged; and the weekly reminder's text."""

from __future__ import annotations

import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from PIL import Image

from reporting.report.draft import NOT_APPROVED, RETURNED_ANNEX, draft_markdown, flag_pending
from reporting.report.render import render_docx
from reporting.report.translation import UNTRANSLATED, UntranslatedPassages
from reporting.review.reminder import reminder_markdown
from tests.report_packages import Built, draft_docx


def test_report_md_says_draft_in_its_title_and_lists_the_results_returned() -> None:
    returned = {
        "indicator": "7.1",
        "cpo_code": "NGA904",
        "country": "Nigeria",
        "by": "Ana",
        "comment": "[x](y)",
    }
    text = "".join(
        draft_markdown(
            ["# Programme implementation", " report 2014-15\n\nResults by outcome.\n", "\n"],
            pending=3,
            returned=[returned],
        )
    )
    lines = text.splitlines()
    assert lines[0] == "# Programme implementation report 2014-15 (DRAFT)"
    assert lines[2].startswith(
        "**DRAFT**: counts every reportable result not returned to its office, 3 of them [not yet approved] "
        "(marked so below); 1 returned, not counted (listed at the end)."
    )
    assert lines[4:] == [
        "Results by outcome.",
        "",
        f"## {RETURNED_ANNEX}",
        "",
        "| Indicator | Country/CPO | Returned by | Comment |",
        "|---|---|---|---|",
        "| 7\\.1 | Nigeria\\/NGA904 | Ana | \\[x\\]\\(y\\) |",
    ]
    none_returned = f"## {RETURNED_ANNEX}\n\nNo result was returned.\n"
    assert "".join(draft_markdown(["# T\n"], pending=0)).endswith(none_returned)
    assert "".join(draft_markdown(["Text\n", "# T"], pending=0)).startswith("Text\n# T (DRAFT)\n\n**DRAFT**")
    assert "".join(draft_markdown(["Untitled\nText"], pending=0)).startswith("Untitled (DRAFT)\n\n**DRAFT**")


def test_results_not_yet_approved_are_flagged_where_listed() -> None:
    cpo = {"code": "TUN129", "title": "Capacités"}
    context = {
        "outcomes": [{"indicators": [{"id": "7.1", "regions": [{"cpos": [cpo, {**cpo, "code": "X"}]}]}]}]
    }
    flagged = flag_pending(context, {("7.1", "TUN129")})
    titles = [c["title"] for c in flagged["outcomes"][0]["indicators"][0]["regions"][0]["cpos"]]
    assert titles == [f"{NOT_APPROVED} Capacités", "Capacités"]
    assert cpo["title"] == "Capacités"  # the context given is left as it was


def test_a_draft_has_the_watermark_in_every_header_and_ends_with_its_annex(
    sample_build: Built, tmp_path: Path
) -> None:
    """Marked as the template is filled: every header of every section (a later section's own first-page
    header too) carries the watermark; the body ends, before its section properties, with the draft annex
    (a returned result's comment as typed, never run as template code) and the untranslated line."""
    template = tmp_path / "template.docx"
    document = Document()
    document.add_paragraph("first section")
    document.add_section()
    document.sections[1].different_first_page_header_footer = True
    document.add_paragraph("second section")
    document.save(str(template))
    returned = {
        "indicator": "7.1",
        "cpo_code": "NGA904",
        "country": "Nigeria",
        "by": "Ana",
        "comment": "Say which law {{ 7 * 7 }} <w:p>\tand\nwhen",
    }
    draft = {"pending": 0, "returned": [returned]}
    context = {**sample_build.context, "draft": draft, UNTRANSLATED: {"count": 2}}
    docx = render_docx(context, template, tmp_path / "report.docx", {}, UntranslatedPassages(context))
    marked = Document(str(docx))
    for section in marked.sections:
        for header in (section.header, section.first_page_header, section.even_page_header):
            assert "PowerPlusWaterMarkObject DRAFT" in header._element.xml
    written = [p for p in marked.paragraphs if p.text]
    assert [p.text for p in written[:3]] == ["first section", "second section", RETURNED_ANNEX]
    assert written[2].style is not None and written[2].style.name == "Heading 1"
    assert written[-1].text.startswith("2 passage(s) of the English edition have no translation")
    (table,) = marked.tables
    assert [c.text for c in table.rows[0].cells] == ["Indicator", "Country/CPO", "Returned by", "Comment"]
    assert [c.text for c in table.rows[1].cells] == [
        "7.1",
        "Nigeria/NGA904",
        "Ana",
        "Say which law {{ 7 * 7 }} <w:p>\tand\nwhen",
    ]
    assert table.style.name == "Table Grid"
    assert marked.element.body.xpath("./w:tbl[last()]/w:tr[1]/w:trPr/w:tblHeader")  # repeated on each page
    assert marked.element.body[-1].tag.endswith("}sectPr")  # the annex before the section properties


def _darkest_share(png: Path, box: tuple[int, int, int, int]) -> float:
    """The share of grey pixels (neither white nor black text) in a box of the page."""
    pixels = Image.open(png).convert("L").crop(box).tobytes()  # one byte a pixel
    return sum(1 for p in pixels if 150 < p < 235) / len(pixels)


@pytest.mark.slow
def test_the_watermark_is_visible_on_page_one_in_libreoffice(sample_build: object, tmp_path: Path) -> None:
    assert isinstance(sample_build, Built)
    pages = {}
    for name, marked in (("final", False), ("draft", True)):
        docx = tmp_path / f"{name}.docx"
        written = draft_docx(sample_build, tmp_path / "draft-edition") if marked else sample_build.files.docx
        docx.write_bytes(written.read_bytes())
        profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
        subprocess.run(
            ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
             "--outdir", str(tmp_path), str(docx)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        subprocess.run(
            ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(tmp_path / f"{name}.pdf"),
             str(tmp_path / name)],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        pages[name] = next(tmp_path.glob(f"{name}-*1.png"))
    width, height = Image.open(pages["draft"]).size
    middle = (width // 5, height * 2 // 5, width * 4 // 5, height * 4 // 5)  # below the cover's text
    assert _darkest_share(pages["final"], middle) < 0.01
    assert _darkest_share(pages["draft"], middle) > 0.05


def test_the_reminder_lists_what_awaits_a_decision_per_region_oldest_first() -> None:
    results = pd.DataFrame(
        {
            "region": ["Africa", "Africa", "Americas", "Africa"],
            "cpo_code": ["TUN129", "NGA904", "BRA101", "SHA127"],
            "indicator": ["7.1", "7.1", "7.2", "7.1"],
            "country": ["Tunisia", "Nigeria", "Brazil", "Southern Africa"],
            "status": ["submitted", "returned", "submitted", "approved"],
            "comment": ["", "Which | ministry?", "", ""],
            "changed_at": pd.to_datetime(["2028-01-20", "2028-01-10", "2028-01-15", "2028-01-01"], utc=True),
        }
    )
    text = reminder_markdown("2026-27", results, datetime(2028, 2, 1, tzinfo=UTC))
    assert text.splitlines() == [
        "# Review of 2026\\-27: 3 result(s) awaiting a decision",
        "",
        "## Africa (2)",
        "",
        "| since | days | CPO | indicator | country | status | comment |",
        "|---|---|---|---|---|---|---|",
        "| 2028\\-01\\-10 | 22 | NGA904 | 7\\.1 | Nigeria | returned | Which \\| ministry\\? |",
        "| 2028\\-01\\-20 | 12 | TUN129 | 7\\.1 | Tunisia | submitted |  |",
        "",
        "## Americas (1)",
        "",
        "| since | days | CPO | indicator | country | status | comment |",
        "|---|---|---|---|---|---|---|",
        "| 2028\\-01\\-15 | 17 | BRA101 | 7\\.2 | Brazil | submitted |  |",
    ]
    assert reminder_markdown("2026-27", results.iloc[3:], datetime(2028, 2, 1, tzinfo=UTC)).endswith(
        "Every result has been approved.\n"
    )
