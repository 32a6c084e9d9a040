"""Submission text shown in Markdown (Prefect artifacts) reads as typed: nothing becomes live."""

from __future__ import annotations

from markdown_it import MarkdownIt

from reporting.escaping import markdown_cell, markdown_text

HOSTILE = [
    "[click](javascript:alert(4))",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<javascript:alert(1)>",
    "**bold** _it_ `code` # heading",
    "a | b",
    "&lt; &amp;",
]


def test_markdown_text_renders_as_the_characters_typed() -> None:
    parser = MarkdownIt("commonmark")
    for value in HOSTILE:
        html = parser.render(markdown_text(value))
        assert "<a" not in html and "<img" not in html and "<script" not in html
        assert "<strong>" not in html and "<em>" not in html and "<code>" not in html
        assert "<h1>" not in html


def test_markdown_cell_is_one_line_and_keeps_the_table() -> None:
    table = "| a | b |\n|---|---|\n| " + markdown_cell("x | y\nz") + " | 1 |\n"
    html = MarkdownIt("commonmark").enable("table").render(table)
    assert html.count("<td>") == 2
    assert "x | y z" in html
