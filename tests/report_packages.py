"""Packages and readers shared by the report tests: a package that uses every section of the report
(built from the 2014-15 sample plus the real 2012-13 tables), and the Word body read back in order."""

from __future__ import annotations

import dataclasses
import functools
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import yaml
from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

from reporting import pipeline
from reporting.pipeline import Built as Built
from reporting.store.builds import Published

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "2014-15"
EARLIER = ROOT / "examples" / "2012-13-outcome7"

OUTCOME_LESSONS = """Lessons for *outcome 7* specifically:

- documentation of **good practices** is key
- regional integration needs social partners

1. first numbered lesson
2. second numbered lesson
"""


NOT_REPORTABLE = {
    "biennium": "2014-15",
    "outcome": "7",
    "indicator": "7.1",
    "region": "Africa",
    "country": "Ghana",
    "cpo_code": "GHA101",
    "cpo_title": "A CPO meeting one criterion only",
    "criterion": 1,
    "result_achieved": "Une politique est en cours d'élaboration.",
    "ilo_contribution": "Advice.",
}


def _as_2014_15(source: Path, target: Path) -> None:
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    frame["biennium"] = "2014-15"
    frame.to_csv(target, index=False)


def rich_package(root: Path) -> Path:
    """The 2014-15 sample plus: the 2012-13 targets, country examples, outputs and lessons (biennium
    relabelled), typologies and a gender mark on a few rows, a row that fails validation, a CPO meeting
    one criterion only (NOT_REPORTABLE), and a second outcome (8) without targets."""
    package = root / "rich"
    shutil.copytree(SAMPLE, package)
    framework = yaml.safe_load((package / "framework.yaml").read_text(encoding="utf-8"))
    seven = framework["outcomes"][0]
    eight_indicator = {**seven["indicators"][0], "id": "8.1"}
    framework["outcomes"].append(
        {"id": "8", "title": "Test outcome without targets", "indicators": [eight_indicator]}
    )
    (package / "framework.yaml").write_text(yaml.safe_dump(framework, allow_unicode=True), encoding="utf-8")

    evidence_file = package / "evidence" / "evidence.csv"
    evidence = pd.read_csv(evidence_file, dtype=str, keep_default_na=False)
    evidence["typology"] = ""
    evidence["gender_specific"] = ""
    tunisia = evidence.index[evidence["cpo_code"] == "TUN129"]
    evidence.loc[tunisia[0], "typology"] = "Policies and strategies; Institutional capacity"
    evidence.loc[tunisia[1], "typology"] = "Programmes"
    evidence.loc[evidence["cpo_code"] == "NGA904", "typology"] = "Policies and strategies"
    evidence.loc[evidence["cpo_code"] == "SHA127", "typology"] = "Policies and strategies"
    cambodia = evidence.index[evidence["cpo_code"] == "KHM129"]
    evidence.loc[cambodia, "typology"] = "Data collection and analysis"
    evidence.loc[cambodia[0], "gender_specific"] = "yes"
    atlantis = {
        **evidence.loc[tunisia[0]].to_dict(),
        "country": "Ghana",
        "cpo_code": "GHA102",
        "typology": "",
    }
    atlantis["region"] = "Atlantis"
    outcome_8 = evidence.loc[tunisia].assign(outcome="8", indicator="8.1")
    one_criterion = {**atlantis, **{k: str(v) for k, v in NOT_REPORTABLE.items()}}
    evidence = pd.concat([evidence, pd.DataFrame([atlantis, one_criterion]), outcome_8], ignore_index=True)
    evidence.to_csv(evidence_file, index=False)

    for name in ("targets.csv", "examples.csv", "outputs.csv"):
        _as_2014_15(EARLIER / name, package / name)
    shutil.copy(EARLIER / "lessons.md", package / "lessons.md")
    (package / "lessons-7.md").write_text(OUTCOME_LESSONS, encoding="utf-8")
    return package


def earlier_summary() -> pd.DataFrame:
    """The 2012-13 indicator summary as published (Table 1 of seed 001)."""
    return pd.read_csv(EARLIER / "indicator_summary.csv", dtype={"outcome": str, "indicator": str})


def earlier_published() -> Published:
    """2012-13 as its final report published it (on 15 January 2014)."""
    return Published("2012-13", date(2014, 1, 15), earlier_summary())


def build(
    root: Path,
    out: Path,
    *,
    previous: Published | None = None,
    generated_on: date | None = None,
    where: pipeline.Store | None = None,
    outcomes: list[str] | None = None,
    template: Path | None = None,
    strict: bool = False,
    pdf: bool = False,
    language: str = "en",
    draft: bool = False,
    publication_date: date | None = None,
) -> Built:
    """`pipeline.publish` in process (the report tests' build) into OUT/<language>/: storing nothing
    unless given a store (`where`); `previous` stands for the earlier biennium, `generated_on` for the
    day of the build."""
    stages = dataclasses.replace(
        pipeline.IN_PROCESS,
        earlier=lambda biennium, store: previous or pipeline.earlier(biennium, store),
        context=functools.partial(pipeline.context, generated_on=generated_on),
    )
    asked = pipeline.Parameters(
        package=str(root),
        outcomes=outcomes,
        template=str(template) if template else None,
        out=str(out),
        strict=strict,
        pdf=pdf,
        language=language,
        draft=draft,
        publication_date=publication_date,
        force=True,  # as asked, even when an earlier build of the same inputs made the outputs today
    )
    built = pipeline.publish(asked, where, stages)
    assert isinstance(built, Built)
    return built


Items = list[Paragraph | Table]


def body(docx: Path) -> Items:
    """The document's paragraphs and tables in reading order."""
    return list(Document(str(docx)).iter_inner_content())


def style_of(item: Paragraph) -> str:
    return item.style.name if item.style is not None else ""


def part(
    items: list[Paragraph | Table], heading: str, until_style: str = "Heading 2"
) -> list[Paragraph | Table]:
    """What follows the first heading whose text starts with `heading`, up to the next paragraph of
    `until_style` or of a higher heading level."""
    stops = {f"Heading {n}" for n in range(1, int(until_style[-1]) + 1)}
    start = next(
        i
        for i, item in enumerate(items)
        if isinstance(item, Paragraph)
        and style_of(item).startswith("Heading")
        and item.text.startswith(heading)
    )
    found: list[Paragraph | Table] = []
    for item in items[start + 1 :]:
        if isinstance(item, Paragraph) and style_of(item) in stops:
            break
        found.append(item)
    return found


def tables(items: list[Paragraph | Table]) -> list[Table]:
    return [item for item in items if isinstance(item, Table)]


def texts(items: list[Paragraph | Table]) -> list[str]:
    return [item.text for item in items if isinstance(item, Paragraph) and item.text.strip()]


def cell_paragraphs(table: Table, row: int, column: int) -> list[str]:
    return [p.text for p in table.rows[row].cells[column].paragraphs if p.text.strip()]


def draft_docx(built: Built, out: Path, returned: list[dict[str, str]] | None = None) -> Path:
    """The build's report written again as a draft (render marks a draft as it fills the template: the
    watermark, the draft annex of the results `returned`)."""
    from reporting.report import render
    from reporting.resources import default_template

    draft = {"pending": 0, "returned": returned or []}
    summary = built.aggregates.summary
    return render.render_report({**built.context, "draft": draft}, summary, default_template(), out).docx
