"""Submission text that looks like markup or template code appears literally in every output: the Word
template runs sandboxed with autoescape, report.md escapes what Markdown would read."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from docx import Document

from tests.report_packages import Built, build, rich_package

HOSTILE = "Le <w:p> & </w:t> {{ x }} {% for i in range(3) %}loop{% endfor %} {{ 7*7 }} ]]> \"q\" 'a'"
HOSTILE_2 = (
    "{%p if true %} {{r evil }} <w:r><w:t>injected</w:t></w:r> {%tr for x in y %} \\n *not bold* # no heading"
)
TITLE = "Título {{ 7*7 }} & </w:tc> {#comment#}"
LESSONS = "Hostile **{{ x }}** and <w:p> & {% for %}\n\n- item with {{ 7*7 }} & <w:br/>\n"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("hostile")
    package = rich_package(root)
    evidence_file = package / "evidence" / "evidence.csv"
    evidence = pd.read_csv(evidence_file, dtype=str, keep_default_na=False)
    tunisia = evidence.index[evidence["cpo_code"] == "TUN129"]
    evidence.loc[tunisia[0], "result_achieved"] = f"{HOSTILE}\n{HOSTILE_2}\x0b\ttabbed"
    evidence.loc[tunisia, "cpo_title"] = TITLE
    evidence.to_csv(evidence_file, index=False)
    (package / "lessons-7.md").write_text(LESSONS, encoding="utf-8")
    examples = pd.read_csv(package / "examples.csv", dtype=str, keep_default_na=False)
    examples.loc[0, "results"] = HOSTILE
    examples.to_csv(package / "examples.csv", index=False)
    outputs = pd.read_csv(package / "outputs.csv", dtype=str, keep_default_na=False)
    outputs.loc[0, "text"] = HOSTILE_2
    outputs.to_csv(package / "outputs.csv", index=False)
    return build(package, root / "out")


def all_text(docx: Path) -> str:
    document = Document(str(docx))
    cells = [p.text for t in document.tables for r in t.rows for c in r.cells for p in c.paragraphs]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_markup_and_template_code_appear_literally_in_word(hostile: Built) -> None:
    report, results = all_text(hostile.files.docx), all_text(hostile.files.companions[0].docx)
    text = f"{report}\n{results}"  # the CPO results in full are in the companion "results by indicator"
    for literal in (
        HOSTILE,
        HOSTILE_2,
        TITLE,
        "Hostile {{ x }} and <w:p> & {% for %}",
        "item with {{ 7*7 }} & <w:br/>",
    ):
        assert literal in text
    before_annex = report[: report.rindex("Annex: Member States counted")]  # it lists CPO codes
    assert "49" not in f"{before_annex}\n{results}".replace("2149", "")  # no expression was evaluated
    assert "\ttabbed" in text  # the tab is kept, the vertical tab (control character) dropped
    assert "\x0b" not in text


def test_hostile_text_keeps_its_place(hostile: Built) -> None:
    document = Document(str(hostile.files.docx))
    results = Document(str(hostile.files.companions[0].docx))
    tunisia = next(t for t in results.tables if t.rows[0].cells[0].text.startswith("Tunisia/TUN129"))
    assert [p.text for p in tunisia.rows[0].cells[0].paragraphs][1] == TITLE
    assert [p.text for p in tunisia.rows[2].cells[1].paragraphs if p.text] == [
        HOSTILE,
        HOSTILE_2 + "\ttabbed",
    ]
    lessons = [p for p in document.paragraphs if "{{ x }}" in p.text and p.text.startswith("Hostile")]
    assert [r.text for r in lessons[0].runs if r.bold] == ["{{ x }}"]


def test_markdown_shows_the_same_text_literally(hostile: Built) -> None:
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        pytest.skip("pandoc is not installed: cannot read report.md back as plain text")
    plain = "\n".join(
        subprocess.run(
            [pandoc, "-f", "markdown-smart", "-t", "plain", "--wrap=none", str(markdown)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for markdown in (hostile.files.markdown, hostile.files.companions[0].markdown)
    )
    for literal in (HOSTILE, HOSTILE_2, TITLE, "item with {{ 7*7 }} & <w:br/>"):
        assert literal in plain
