"""The Word reports as LibreOffice lays them out: converted to PDF (several at once), read back with
pdftotext, and checked against PDF/UA-1 by page-validation (the veraPDF rules, no Java needed)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import page
import pikepdf
import psutil
import pytest

from reporting.report import pdf as pdf_module
from reporting.report.country_names import country_in
from reporting.report.pdf import PdfError, complete_tagging, export_pdfs, write_pdf, write_pdfs
from tests.report_packages import Built, build, draft_docx, earlier_published, rich_package

pytestmark = pytest.mark.slow

SECTIONS = (
    "Programme implementation report 2014-15",
    "Contents",
    "Summary of results",
    "Figure 1: Outcome 7",
    "Table 1: Summary of results by indicator and by typology",
    "Table 2: Member States with a reportable result by region",
    "Results by indicator",
    "Annex: Member States counted, by indicator and region",
)
SUBMITTED_SECTIONS = (
    "Table 3: ILO results chain: country examples",
    "Lessons learned",
    "Table 4: Summary of most significant outputs by typology",
)
"""Sections of texts the sample has none of: left out of its report."""
RICH_SECTIONS = (
    *SUBMITTED_SECTIONS,
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
    return build(rich_package(root), root / "out", previous=earlier_published())


@pytest.fixture(scope="module")
def pdfs(sample_build: Built, rich: Built, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Both reports, and the sample's results by indicator, as the build writes their PDF (contents and
    page numbers updated, tagged), converted together by two soffice processes."""
    tool("soffice")
    out = tmp_path_factory.mktemp("pdf")
    documents = [("sample", sample_build.files.docx), ("rich", rich.files.docx)]
    documents.append(("sample-results", sample_build.files.companions[0].docx))
    return write_pdfs([(docx, out / f"{name}.pdf") for name, docx in documents], processes=2)


@pytest.fixture(scope="module")
def pdf_texts(pdfs: list[Path]) -> list[str]:
    """The PDFs as text, pages split by \\f."""
    pdftotext = tool("pdftotext")
    return [
        subprocess.run(
            [pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        for pdf in pdfs
    ]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def pages(text: str) -> int:
    return len([p for p in text.split("\f") if p.strip()])


def test_sample_report_pages_and_sections(pdf_texts: list[str], sample_build: Built) -> None:
    text = pdf_texts[0]
    assert 5 <= pages(text) <= 15  # summary, tables, 3 country examples, the annex: about 8 pages
    for section in SECTIONS:
        assert section in flat(text)
    assert re.search(r"page 3 of \d+", text)
    assert not any(section in flat(text) for section in SUBMITTED_SECTIONS)
    assert "were submitted for this outcome" not in flat(text)


RUNNING = re.compile(r"Programme implementation report 2014-15( – page \d+ of \d+)?")
"""The running header and footer of every page."""


def blank_pages(text: str) -> list[int]:
    """The pages (from 1) with nothing but the running header and footer."""
    return [n for n, page in enumerate(text.split("\f")[:-1], 1) if not RUNNING.sub("", page).strip()]


def stranded(text: str, heading: str, first_row: str) -> list[int]:
    """The pages where `heading` is not followed on the same page by its table (`first_row`), the
    contents left out."""
    return [
        n
        for n, page in enumerate(text.split("\f"), 1)
        if heading in flat(page)
        and first_row not in flat(page).split(heading, 1)[1]
        and not re.search(r"^\s*Contents$", page, re.MULTILINE)
    ]


@pytest.mark.parametrize("report", [0, 1], ids=["sample", "rich"])
def test_no_blank_page_and_no_heading_alone_at_the_foot_of_a_page(pdf_texts: list[str], report: int) -> None:
    text = pdf_texts[report]
    assert not blank_pages(text)
    assert not stranded(text, "Results by indicator: country examples", "Indicator Country/CPO")
    assert not stranded(text, "Table 1: Summary of results", "Indicator Target Achieved")


def test_every_cpo_is_in_the_pdf(pdf_texts: list[str], sample_build: Built) -> None:
    text = flat(pdf_texts[2])  # the companion "results by indicator"
    results = sample_build.aggregates.results
    for result in results.to_dict("records"):
        assert f"{country_in(result['country'], 'en')}/{result['cpo_code']}" in text
        assert " ".join(result["cpo_title"].split()[:4]) in text


def test_rich_report_shows_every_section(pdf_texts: list[str], rich: Built) -> None:
    text = flat(pdf_texts[1])
    for section in (*SECTIONS, *RICH_SECTIONS):
        assert section in text
    assert "The number of results under indicator 7.2 exceeds the target (7 against 6)." in text
    assert "Viet Nam" in text and "GHA101" not in text  # the one-criterion CPO: in the audit companion
    assert pages(pdf_texts[1]) > pages(pdf_texts[0])


CONTENTS_ENTRY = re.compile(r"(\S.*?)\s*\.{4,}\s*(\d+)(?= |$)")


def contents(text: str) -> tuple[int, list[tuple[str, int]]]:
    """The page (from 1) that lists the contents, and its entries: heading text and page number."""
    pages = text.split("\f")
    number = next(i for i, page in enumerate(pages) if re.search(r"^Contents$", page, re.MULTILINE))
    listed = flat(pages[number]).split(" Contents ", 1)[1]
    return number + 1, [(entry, int(page)) for entry, page in CONTENTS_ENTRY.findall(listed)]


@pytest.mark.parametrize("report", [0, 1], ids=["sample", "rich"])
def test_the_contents_list_the_pages_of_the_headings(pdf_texts: list[str], report: int) -> None:
    text = pdf_texts[report]
    assert "Update this table" not in text and "F9" not in text
    contents_page, entries = contents(text)
    assert len(entries) >= 8  # the sample has no Table 3, lessons or Table 4: left out
    assert "Annex: Member States counted, by indicator and region" in dict(entries)
    pages = [flat(page) for page in text.split("\f")]
    found = contents_page + 1
    for heading, listed in entries:  # in document order: each heading at or after the one before
        found = next(n for n, page in enumerate(pages, 1) if n >= found and heading in page)
        assert found == listed, f"{heading!r} is listed on page {listed} but is on page {found}"
    assert entries[-1][1] > contents_page + 3  # real page numbers, not all the same


def test_the_pdf_is_tagged_with_its_language_and_title(pdfs: list[Path]) -> None:
    info = subprocess.run([tool("pdfinfo"), str(pdfs[0])], check=True, capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE)
    assert re.search(r"^Title:\s+Programme implementation report 2014-15$", info, re.MULTILINE)
    with pikepdf.open(pdfs[0]) as document:
        assert document.Root.Lang == "en-GB"
        assert document.open_metadata()["pdfuaid:part"] == "1"  # PDF/UA declared
        figures = [
            o for o in document.objects if isinstance(o, pikepdf.Dictionary) and o.get("/S") == "/Figure"
        ]
        assert figures and all(str(f.Alt).startswith("Bar chart of outcome") for f in figures)


def _soffice_with(pipe: str) -> list[int]:
    """Processes started for one export (their command line names its pipe)."""
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):  # gone meanwhile
            if pipe in " ".join(process.cmdline()):
                found.append(process.pid)
    return found


def test_a_pdf_that_takes_too_long_is_stopped_with_its_soffice(
    sample_build: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool("soffice")
    monkeypatch.setattr(pdf_module.secrets, "token_hex", lambda n: "stoppedtest")
    with pytest.raises(PdfError, match=r"took more than 0.3 s"):
        write_pdf(sample_build.files.docx, tmp_path / "report.pdf", timeout=0.3)
    assert list(tmp_path.iterdir()) == []  # no PDF, not even a partial one
    pipe = f"reporting-{os.getpid()}-stoppedtest"
    deadline = time.monotonic() + 30
    while _soffice_with(pipe) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _soffice_with(pipe) == []


@pytest.mark.usefixtures("prefect_harness")
def test_build_with_pdf_writes_it_beside_the_report(sample_package: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from reporting.cli import app

    tool("soffice")
    out = tmp_path / "out"
    built = CliRunner().invoke(app, ["build", str(sample_package), "--out", str(out), "--pdf"])
    assert built.exit_code == 0, built.output
    pdf = out / "en" / "implementation-report-2014-15.pdf"
    assert f"PDF:     {pdf}" in built.output
    text = subprocess.run(
        [tool("pdftotext"), "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    )
    assert dict(contents(text.stdout)[1])["Annex: Member States counted, by indicator and region"] > 5
    manifest = json.loads((out / "en" / "build.json").read_text(encoding="utf-8"))
    assert pdf.name in manifest["outputs"] and manifest["parameters"]["pdf"] is True
    for companion in ("results", "audit"):  # every document of the edition has its PDF
        assert pdf.with_name(f"implementation-report-2014-15-{companion}.pdf").name in manifest["outputs"]

    again = CliRunner().invoke(app, ["build", str(sample_package), "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert f"{pdf} is from an earlier build: build with --pdf to update it" in again.output


# --- PDF/UA-1 ----------------------------------------------------------------------------------------------


def pdf_ua_failures(pdf: Path) -> list[str]:
    """What page-validation finds against PDF/UA-1 (the machine-checkable Matterhorn rules), one line each."""
    report = page.validate_pdf(pdf, profile="ua1")
    return [f"{failure.rule_id}: {failure.message}" for failure in report.failures]


def edited_docx(docx: Path, out: Path, edit: Callable[[str], str]) -> Path:
    """A copy of a Word report whose body is edited after the build (past its accessibility edits)."""
    with zipfile.ZipFile(docx) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = edit(data.decode("utf-8")).encode("utf-8")
            target.writestr(item, data)
    return out


def test_the_pdfs_conform_to_pdf_ua_1(pdfs: list[Path]) -> None:
    for pdf in pdfs:
        assert pdf_ua_failures(pdf) == [], pdf.name


def test_what_libreoffice_leaves_out_of_pdf_ua_is_completed(
    sample_build: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LibreOffice 7.4 alone: the links' pages lack a tab order, the cover's title border is untagged."""
    tool("soffice")
    monkeypatch.setattr(pdf_module, "complete_tagging", lambda pdf: None)
    exported = write_pdf(sample_build.files.docx, tmp_path / "exported.pdf")
    found = {failure.split(":")[0] for failure in pdf_ua_failures(exported)}
    if not found:
        pytest.skip("this LibreOffice writes PDF/UA-1 by itself: nothing to complete")
    assert found <= {"PDFUA1-PAGE-TABS-001", "PDFUA1-CONTENT-TAGGING-001", "PDFUA1-TABLE-ROW-COLUMNSPAN-001"}
    complete_tagging(exported)
    assert pdf_ua_failures(exported) == []
    first_page = subprocess.run(
        [tool("pdftotext"), "-l", "1", str(exported), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Programme implementation report 2014-15" in flat(first_page)  # the page is still whole


def test_the_checker_finds_a_chart_without_alternative_text_and_a_skipped_heading(
    sample_build: Built, tmp_path: Path
) -> None:
    """The check can fail: a report edited after its accessibility edits, converted the same way."""
    tool("soffice")

    def spoil(body: str) -> str:
        body = re.sub(r'<wp:docPr descr="[^"]*"', "<wp:docPr", body, count=1)
        return body.replace('<w:pStyle w:val="Heading2"/>', '<w:pStyle w:val="Heading4"/>', 1)

    docx = edited_docx(sample_build.files.docx, tmp_path / "spoilt.docx", spoil)
    found = {failure.split(":")[0] for failure in pdf_ua_failures(write_pdf(docx, tmp_path / "spoilt.pdf"))}
    assert found == {"PDFUA1-FIGURE-ALTERNATIVE-TEXT-001", "PDFUA1-HEADING-NESTING-001"}


def test_a_drafts_watermark_is_decoration_in_a_pdf_ua_file(sample_build: Built, tmp_path: Path) -> None:
    tool("soffice")
    returned = {
        "indicator": "7.1",
        "cpo_code": "NGA904",
        "country": "Nigeria",
        "by": "Ana",
        "comment": "Which law?",
    }
    pdf = write_pdf(draft_docx(sample_build, tmp_path / "draft", [returned]), tmp_path / "draft.pdf")
    assert pdf_ua_failures(pdf) == []  # the draft annex too: its heading nests, its table has a header row
    structure = subprocess.run(
        [tool("pdfinfo"), "-struct-text", str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    assert structure.count("Figure:") == len(sample_build.context["outcomes"])  # the charts alone


def test_soffice_writes_only_into_its_own_folder_and_one_stopped_while_writing_leaves_nothing(
    sample_build: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """soffice is given only paths of its own folder (the PDF it writes, LibreOffice's temporary lu….tmp
    beside it): a build killed while soffice lays out a report leaves soffice to finish that document, and
    `make soak` saw its PDF appear in the output folder after the next build had cleared it. One stopped in
    the middle of writing (another's failure stops it) leaves nothing; a file there before is not ours."""
    tool("soffice")
    report = tmp_path / "report.docx"
    report.write_bytes(sample_build.files.docx.read_bytes())
    (tmp_path / "lu1before.tmp").write_bytes(b"someone else's")
    given: list[Path] = []

    def stopped_while_writing(office: object, docx: Path, exported: Path, pdf: Path) -> dict[str, float]:
        given.append(exported)
        (exported.parent / "lu2written.tmp").write_bytes(b"half a pdf")
        exported.write_bytes(b"half a pdf")
        raise PdfError(f"LibreOffice could not write {pdf}: stopped")

    monkeypatch.setattr(pdf_module._Office, "convert", stopped_while_writing)
    with pytest.raises(PdfError, match="stopped"):
        export_pdfs([report])
    assert given and tmp_path not in given[0].parents, given
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lu1before.tmp", "report.docx"]
    assert not given[0].parent.exists()  # soffice's folder is removed with it


def test_export_pdfs_stops_at_a_report_it_cannot_convert_naming_it_and_leaves_no_partial_file(
    sample_build: Built, tmp_path: Path
) -> None:
    tool("soffice")
    good, missing = tmp_path / "good.docx", tmp_path / "missing.docx"
    good.write_bytes(sample_build.files.docx.read_bytes())
    with pytest.raises(PdfError, match=r"LibreOffice could not write .*missing\.pdf: "):
        export_pdfs([good, missing], processes=2)
    assert {p.name for p in tmp_path.iterdir()} <= {"good.docx", "good.pdf"}  # no partial, no missing.pdf
