"""An edition is three documents (issues 22 and 24): the report, readable and public (a few country
examples per indicator, the member States counted by name and CPO, no file of the package named); the
companion "results by indicator" (every reportable CPO result in full); the audit companion (the files,
sheets and rows behind each figure, the results not reportable, the rows set aside). A whole-programme
package gives a report of about a hundred pages, not thousands."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from docx.table import Table
from docx.text.paragraph import Paragraph

from reporting.report.pdf import write_pdf
from reporting.report.render import AUDIT, RESULTS, render_report
from reporting.report.sections.results import country_examples
from reporting.resources import default_template
from reporting.synth import synthetic_package
from tests.report_packages import Built, body, build, rich_package, style_of
from tests.test_editions import docx_text

MAIN_REPORT_PAGES = 150
"""The organisation's report of the whole programme is about 100 pages."""


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("companions")
    return build(rich_package(root), root / "out", generated_on=date(2026, 12, 2))


def package_files(built: Built) -> list[str]:
    """The names of the package's files as the audit trail gives them ("evidence/evidence.csv")."""
    evidence = built.aggregates.evidence
    assert evidence is not None
    return sorted({*evidence["file"], *built.checked.rejected["source_file"]} - {""})


def test_every_edition_has_its_three_documents(rich: Built) -> None:
    files = rich.files
    assert files.docx.name == "implementation-report-2014-15.docx" and files.markdown.name == "report.md"
    kinds = {c.kind: c for c in files.companions}
    assert kinds[RESULTS].docx.name == "implementation-report-2014-15-results.docx"
    assert kinds[AUDIT].docx.name == "implementation-report-2014-15-audit.docx"
    assert kinds[RESULTS].markdown.name == "report-results.md"
    assert kinds[AUDIT].markdown.name == "report-audit.md"
    assert files.documents == [files.docx, kinds[RESULTS].docx, kinds[AUDIT].docx]
    assert {*files.documents, files.markdown, *(c.markdown for c in files.companions)} <= set(files.outputs)
    assert all(path.is_file() for path in files.outputs)


def test_the_report_names_no_file_of_the_package_and_the_audit_companion_does(rich: Built) -> None:
    names = package_files(rich)
    assert "evidence/evidence.csv" in names
    audit = next(c for c in rich.files.companions if c.kind == AUDIT)
    report = [docx_text(rich.files.docx), rich.files.markdown.read_text(encoding="utf-8")]
    audited = [docx_text(audit.docx), audit.markdown.read_text(encoding="utf-8")]
    for name in names:
        assert all(name not in text and Path(name).name not in text for text in report), name
        assert all(name in text for text in audited), name


def test_the_report_shows_a_few_country_examples_and_the_companion_every_result(rich: Built) -> None:
    results = next(c for c in rich.files.companions if c.kind == RESULTS)
    outcomes = rich.context["outcomes"]
    every = result_tables(results.docx)
    assert result_tables(rich.files.docx) == []  # no CPO result printed in full in the report
    assert len(every) == sum(i["cpo_count"] for o in outcomes for i in o["indicators"])
    shown = [row for table in examples_tables(rich.files.docx) for row in table.rows[1:]]
    assert len(shown) == sum(len(o["country_examples"]) for o in outcomes) == 3 + 1
    seven = outcomes[0]
    assert seven["examples_note"].startswith("3 of the 22 reportable CPO results of this outcome")
    first = seven["country_examples"][0]
    assert shown[0].cells[0].text == first["indicator"]
    assert shown[0].cells[1].text.startswith(f"{first['cpo']['country']}/{first['cpo']['code']}")
    assert [p.text for p in shown[0].cells[2].paragraphs if p.text] == first["criterion"]["result"]


def result_tables(docx: Path) -> list[Table]:
    """The CPO results' tables (one each) under every outcome's "Results by indicator"."""
    return tables_under(docx, "Results by indicator")


def examples_tables(docx: Path) -> list[Table]:
    return tables_under(docx, "Results by indicator: country examples")


def tables_under(docx: Path, heading: str) -> list[Table]:
    found, inside = [], False
    for item in body(docx):
        if isinstance(item, Paragraph) and style_of(item) in ("Heading 1", "Heading 2"):
            inside = item.text == heading
        elif inside and isinstance(item, Table):
            found.append(item)
    return found


def cpo(code: str, region: str, criteria: int, member_state: bool = True) -> dict[str, Any]:
    return {
        "code": code,
        "region": region,
        "country": code,
        "member_state": member_state,
        "criteria_met": list(range(1, criteria + 1)),
        "criteria": [{"number": n, "result": [], "contribution": []} for n in range(1, criteria + 1)],
    }


def test_the_examples_come_from_each_indicator_in_turn_and_different_regions() -> None:
    first = [
        cpo("KEN105", "Africa", 3),
        cpo("GHA101", "Africa", 3),  # ties with KEN105: the lower code
        cpo("RAS151", "Asia and the Pacific", 4, member_state=False),  # regional: never an example
        cpo("BRA107", "Americas", 2),
    ]
    second = [cpo("TUN129", "Africa", 4), cpo("JOR103", "Arab States", 2)]  # Africa is taken
    chosen = country_examples([("7.1", first), ("7.2", second)])
    assert [(e["indicator"], e["cpo"]["code"]) for e in chosen] == [
        ("7.1", "GHA101"),
        ("7.1", "BRA107"),
        ("7.2", "JOR103"),
    ]
    assert all(e["criterion"]["number"] == 1 for e in chosen)
    assert len(country_examples([("7.1", first), ("7.2", second)], 5)) == 3  # no region left to give
    assert country_examples([("7.1", first[2:3])]) == []


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


@pytest.mark.slow
def test_the_whole_programme_report_is_about_a_hundred_pages(tmp_path: Path) -> None:
    """`reporting synth --outcomes 19` (7,500 rows): the report, not the companions, in PDF."""
    for tool in ("soffice", "pdfinfo"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (make system-deps installs it)")
    package = synthetic_package(tmp_path / "package", rows=7_500, outcomes=19)
    built = build(package, tmp_path / "out", generated_on=date(2026, 12, 2))
    pdf = write_pdf(built.files.docx, tmp_path / "report.pdf")
    assert pages(pdf) <= MAIN_REPORT_PAGES


def test_the_same_report_is_written_as_the_same_bytes(sample_build: Built, tmp_path: Path) -> None:
    """Rendered again from the same context, every Word document is byte for byte the one the build
    wrote (no time in its parts), so a rebuild can be compared with a serial one (make soak)."""
    aggregates = sample_build.aggregates
    context, template = sample_build.context, default_template()
    again = render_report(context, aggregates.summary, template, tmp_path, aggregates.evidence)
    for first, second in zip(sample_build.files.documents, again.documents, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
