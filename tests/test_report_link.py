"""The report's artifact in the Prefect UI: the path as text to copy (browsers refuse `file://` links
from an http page) and, when the output folder's share has a web address, a real link to the file."""

from __future__ import annotations

from pathlib import Path

from reporting.escaping import markdown_text
from reporting.report.report_link import report_link_markdown, share_url


def test_the_path_is_shown_as_text_and_no_file_link(tmp_path: Path) -> None:
    docx = tmp_path / "2014-15" / "implementation-report-2014-15.docx"
    shown = report_link_markdown(docx, tmp_path, "")
    assert "file:" not in shown and "](" not in shown
    assert f"\n{markdown_text(docx)}\n" in shown  # renders as the path itself


def test_a_share_with_a_web_address_gets_a_link_to_the_file(tmp_path: Path) -> None:
    docx = tmp_path / "2014-15" / "fr" / "rapport final (v2).docx"
    assert share_url(docx, tmp_path, "https://reports.example.org/biennial/") == (
        "https://reports.example.org/biennial/2014-15/fr/rapport%20final%20%28v2%29.docx"
    )
    shown = report_link_markdown(docx, tmp_path, "https://reports.example.org/biennial")
    assert (
        "[Open rapport final \\(v2\\)\\.docx](https://reports.example.org/biennial/2014-15/fr/rapport"
        in shown
    )


def test_a_report_outside_the_share_gets_no_link(tmp_path: Path) -> None:
    elsewhere = tmp_path / "trial" / "report.docx"
    shown = report_link_markdown(elsewhere, tmp_path / "shared", "https://reports.example.org")
    assert "https://" not in shown and "no web link" in shown


def test_a_folder_name_cannot_become_a_live_link(tmp_path: Path) -> None:
    docx = tmp_path / "[x](javascript:alert(1))" / "<img src=x>.docx"
    shown = report_link_markdown(docx, tmp_path, "https://reports.example.org")
    assert "](javascript" not in shown and "<img" not in shown
    assert (
        "https://reports.example.org/%5Bx%5D%28javascript%3Aalert%281%29%29/%3Cimg%20src%3Dx%3E.docx" in shown
    )
