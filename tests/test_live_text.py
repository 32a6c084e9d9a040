"""No submission text becomes live in anyone's tool (issue 20). A package carrying a Markdown link, an
image, a script and a spreadsheet formula is built twice into a store; every Prefect artifact a build
makes (findings, summary, regions, changes, review reminder) is read as the UI reads it — Markdown — and
shows the text as typed, nothing live; every CSV and workbook written shows the formula as text."""

from __future__ import annotations

import html
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from openpyxl import load_workbook
from typer.testing import CliRunner

from reporting.cli import app
from reporting.escaping import csv_text, neutralise
from reporting.intake.text_cleaning import clean_text
from reporting.pipeline import Built, Store
from reporting.report.changes import changes_markdown, compare, stored_snapshot
from reporting.report.run_summary import findings_artifact_table, region_table, run_summary_markdown
from reporting.review.reminder import reminder_markdown
from reporting.review.results import results_frame
from reporting.store.builds import stored_builds
from reporting.store.database import upgraded_engine
from tests.conftest import SAMPLE
from tests.report_packages import build

LINK = "[click](javascript:alert(4))"
IMAGE = "<img src=x>"
SCRIPT = "<script>alert(1)</script>"
HOSTILE = f"{LINK} {IMAGE} {SCRIPT} **loud**"
HYPERLINK = '=HYPERLINK("http://evil","x")'
ADDED_FILE = f"{LINK}.csv"
"""An evidence file added for the second build: its name is in the changes."""

PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")
"""Markdown as the Prefect UI reads it (raw HTML allowed: the UI's sanitiser keeps `<img>`)."""
LIVE = {"link_open", "image", "html_inline", "html_block"}


@dataclass(frozen=True)
class Hostile:
    first: Built
    second: Built
    store: Store
    database: str


def _tokens(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        yield from _tokens(token.children or [])


def live(markdown: str) -> list[str]:
    """What in `markdown` a Markdown renderer would make live: links, images, HTML."""
    return [f"{t.type} {t.content!r}" for t in _tokens(PARSER.parse(markdown)) if t.type in LIVE]


def shown(markdown: str) -> str:
    """The text a reader sees."""
    return html.unescape(PARSER.render(markdown))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    """The sample with: the regional CPO SHA127's country a formula and its title hostile Markdown and
    HTML, a row whose criterion is a link (a finding quotes it), a return whose comment is hostile;
    built, then built again with a text edited and a file named as a link added (SHA127 recounted)."""
    root = tmp_path_factory.mktemp("live")
    package = Path(shutil.copytree(SAMPLE, root / "2014-15"))
    evidence_file = package / "evidence" / "evidence.csv"
    evidence = pd.read_csv(evidence_file, dtype=str, keep_default_na=False)
    regional = evidence["cpo_code"] == "SHA127"
    evidence.loc[regional, "country"] = HYPERLINK
    evidence.loc[regional, "cpo_title"] = HOSTILE
    bad = evidence[evidence["cpo_code"] == "TUN129"].head(1).assign(criterion=LINK)
    pd.concat([evidence, bad]).to_csv(evidence_file, index=False)
    reviews = pd.read_csv(package / "reviews.csv", dtype=str, keep_default_na=False)
    reviews.loc[reviews["cpo_code"] == "NGA904", ["decision", "comment"]] = ["returned", HOSTILE]
    reviews.to_csv(package / "reviews.csv", index=False)
    database = f"sqlite:///{root / 'store.db'}"
    store = Store(upgraded_engine(database), root / "archive")
    first = build(package, root / "first", where=store)

    tunisia = evidence.index[evidence["cpo_code"] == "TUN129"][0]
    evidence.loc[tunisia, "result_achieved"] += f" {HOSTILE}"
    pd.concat([evidence, bad]).to_csv(evidence_file, index=False)
    another = evidence[regional].head(1).assign(criterion="3")
    another.to_csv(package / "evidence" / ADDED_FILE, index=False)
    second = build(package, root / "second", where=store)
    return Hostile(first, second, store, database)


def artifacts(hostile: Hostile) -> dict[str, str]:
    """Every piece of Markdown the second build's artifacts hold, by where it is (a table artifact:
    each column name and cell), made by the functions the flows make them with."""
    built, engine = hostile.second, hostile.store.engine
    pieces: dict[str, str] = {}
    for column, cells in findings_artifact_table(built.checked.findings).items():
        pieces[f"findings: column {column}"] = column
        pieces |= {f"findings: {column} {n}": cell for n, cell in enumerate(cells)}
    for n, row in enumerate(region_table(built.aggregates.summary)):
        pieces |= {f"regions: {key} {n}": f"{key} {value}" for key, value in row.items()}
    pieces["summary"] = run_summary_markdown(
        "2014-15",
        built.aggregates.summary,
        built.aggregates.results,
        rows_ingested=len(built.package.evidence),
        rows_rejected=len(built.checked.evidence.rejected),
        docx_path=str(built.files.docx),
        outcomes=["7"],
        edited_kept=str(built.files.docx),
    )
    new, old = (stored_snapshot(engine, record) for record in stored_builds(engine, "2014-15")[:2])
    pieces["changes"] = changes_markdown("2014-15", compare(old, new), old)
    results = results_frame(engine, "2014-15")
    pieces["reminder"] = reminder_markdown("2014-15", results, datetime.now(UTC))
    return pieces


def test_no_artifact_makes_submission_text_live(hostile: Hostile) -> None:
    pieces = artifacts(hostile)
    assert {where: found for where, markdown in pieces.items() if (found := live(markdown))} == {}
    text = {where: shown(markdown) for where, markdown in pieces.items()}
    findings = "\n".join(t for where, t in text.items() if where.startswith("findings: "))
    assert LINK in findings  # the criterion quoted as typed
    assert f"{LINK} {IMAGE} {SCRIPT}" in findings  # SHA127's title, before it was cleaned
    assert f"input file added: evidence/{ADDED_FILE}" in text["changes"]
    assert f"{HYPERLINK}/SHA127" in text["changes"]  # its CPO result recounted, named by country
    comment = f"NGA904 | 7.1 | Nigeria | returned | {LINK} **loud**"  # cleaned on intake, then shown as typed
    assert comment in text["reminder"].replace("</td>\n<td>", " | ")


def test_a_script_is_cleaned_with_its_content_and_reported(hostile: Hostile) -> None:
    assert clean_text("Le BIT <SCRIPT type='x'>alert(1)</script>a aidé") == (
        "Le BIT a aidé",
        "HTML code <script> (with its content)",
    )
    findings = hostile.first.checked.findings
    cleaned = findings[(findings["rule"] == "text_cleaned") & (findings["column"] == "cpo_title")]
    assert len(cleaned) and cleaned["message"].str.contains("<script>", regex=False).all()
    titles = hostile.first.checked.evidence.clean.loc[lambda e: e["cpo_code"] == "SHA127", "cpo_title"]
    assert {" ".join(t.split()) for t in titles} == {f"{LINK} **loud**"}  # tags and code gone, words kept


def test_every_csv_and_workbook_shows_a_formula_as_text(
    hostile: Hostile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for built in (hostile.first, hostile.second):
        assert built.files.evidence_csv is not None
        trail = pd.read_csv(built.files.evidence_csv, dtype=str, keep_default_na=False)
        assert set(trail.loc[trail["cpo_code"] == "SHA127", "country"]) == {"'" + HYPERLINK}
        assert "=HYPERLINK" not in built.files.evidence_csv.read_text(encoding="utf-8").replace("'=", "")

    monkeypatch.setenv("DATABASE_URL", hostile.database)
    runner = CliRunner()
    locked = runner.invoke(app, ["lock", "2014-15", "--by", "Chief", "--reason", "=1+2"])
    assert locked.exit_code == 0, locked.output
    assert runner.invoke(app, ["unlock", "2014-15", "--by", "Chief", "--reason", "-1"]).exit_code == 0
    audit = runner.invoke(app, ["audit", "--biennium", "2014-15", "--csv", str(tmp_path / "audit.csv")])
    assert audit.exit_code == 0, audit.output
    entries = pd.read_csv(tmp_path / "audit.csv", dtype=str, keep_default_na=False)
    assert list(entries["reason"].iloc[-2:]) == ["'=1+2", "'-1"]

    sheet = tmp_path / "review.xlsx"
    exported = runner.invoke(app, ["review", "export", "--region", "Africa", "--out", str(sheet)])
    assert exported.exit_code == 0, exported.output
    rows = list(load_workbook(sheet)["review"].iter_rows(values_only=True))
    assert ("'" + HYPERLINK) in {row[2] for row in rows}


def test_csv_text_neutralises_text_only() -> None:
    frame = pd.DataFrame(
        {
            "text": ["=1+2", "+33 1", "-2", "@SUM(A1)", "\tx", "ok", "Viet Nam", None],
            "number": [-1, 2, -3, 4, 5, 6, 7, 8],
            "counts": pd.array([-1, None, 3, 4, 5, 6, 7, -8], dtype="Int64"),
            "mixed": pd.Series(["=x", -1, None, "ok", 2.5, "-y", "", "+"], dtype=object),
        }
    )
    written = pd.read_csv(io.StringIO(csv_text(frame)), dtype=str, keep_default_na=False)
    assert written.to_dict("list") == {
        "text": ["'=1+2", "'+33 1", "'-2", "'@SUM(A1)", "'\tx", "ok", "Viet Nam", ""],
        "number": ["-1", "2", "-3", "4", "5", "6", "7", "8"],
        "counts": ["-1", "", "3", "4", "5", "6", "7", "-8"],
        "mixed": ["'=x", "-1", "", "ok", "2.5", "'-y", "", "'+"],
    }
    assert frame.loc[0, "text"] == "=1+2"  # the frame given is left as it was
    assert neutralise("\rx") == "'\rx" and neutralise(-1) == -1
