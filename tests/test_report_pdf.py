"""The Word reports as LibreOffice lays them out: converted to PDF, read back with pdftotext."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.report_packages import Built, build, earlier_summary, rich_package

pytestmark = pytest.mark.slow

SECTIONS = (
    "Programme implementation report 2014-15",
    "Contents",
    "Summary of results",
    "Figure 1: Outcome 7",
    "Table 1: Summary of results by indicator and by typology",
    "Table 2: Member States with a reportable result by region",
    "Results by indicator",
    "Table 3: ILO results chain: country examples",
    "Lessons learned",
    "Table 4: Summary of most significant outputs by typology",
    "Annex 1: CPO results not reportable",
    "Annex 2: Rows rejected by validation",
    "Annex 3: Member States counted, by indicator and region",
)
RICH_SECTIONS = (
    "Comparison with 2012-13",
    "Lessons learned (all outcomes)",
    "Outcome 8: Test outcome without targets",
)


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        reason = f"{name} is not installed (make system-deps installs it): cannot check the PDF layout"
        print(reason)
        pytest.skip(reason)
    return found


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("rich-pdf")
    return build(rich_package(root), root / "out", previous=earlier_summary())


@pytest.fixture(scope="module")
def pdf_texts(sample_build: Built, rich: Built, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Both reports converted in one LibreOffice run (private profile), as text, pages split by \\f."""
    soffice, pdftotext = tool("soffice"), tool("pdftotext")
    out = tmp_path_factory.mktemp("pdf")
    documents = [out / "sample.docx", out / "rich.docx"]  # both builds name their report after 2014-15
    for source, copy in zip((sample_build.files.docx, rich.files.docx), documents, strict=True):
        shutil.copy(source, copy)
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{out / 'profile'}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *map(str, documents),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    texts = []
    for document in documents:
        pdf = out / f"{document.stem}.pdf"
        assert pdf.is_file(), f"LibreOffice made no PDF of {document.name}"
        texts.append(
            subprocess.run(
                [pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
            ).stdout
        )
    return texts


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def pages(text: str) -> int:
    return len([p for p in text.split("\f") if p.strip()])


def test_sample_report_pages_and_sections(pdf_texts: list[str], sample_build: Built) -> None:
    text = pdf_texts[0]
    assert 15 <= pages(text) <= 60  # 65 results on 22 CPO tables: about 28 pages
    for section in SECTIONS:
        assert section in flat(text)
    assert re.search(r"page 3 of \d+", text)
    assert "No country examples were submitted for this outcome (examples.csv)." in flat(text)


def test_every_cpo_is_in_the_pdf(pdf_texts: list[str], sample_build: Built) -> None:
    text = flat(pdf_texts[0])
    results = sample_build.aggregates.results
    for result in results.to_dict("records"):
        assert f"{result['country']}/{result['cpo_code']}" in text
        assert " ".join(result["cpo_title"].split()[:4]) in text


def test_rich_report_shows_every_section(pdf_texts: list[str], rich: Built) -> None:
    text = flat(pdf_texts[1])
    for section in (*SECTIONS, *RICH_SECTIONS):
        assert section in text
    assert "The number of results under indicator 7.2 exceeds the target (7 against 6)." in text
    assert "Viet Nam" in text and "Ghana/GHA101 1 2" in text  # the one-criterion CPO, in Annex 1
    assert pages(pdf_texts[1]) > pages(pdf_texts[0])
