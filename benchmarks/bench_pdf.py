"""The whole programme (19 outcomes, about 10,000 rows; BENCH_PDF_ROWS for another size) built in three
editions with their PDFs, as a user runs it (`reporting build … --pdf`, a new process in a new data
folder), against pandoc and LibreOffice converting the same content: the Markdown of each edition's
three documents (report.md, report-results.md, report-audit.md; pandoc to .docx, then one `soffice
--convert-to pdf` for the nine). A second row: the nine PDFs alone, written by
`export_pdfs` (one soffice per core, each reused) from the build's .docx files, against the baseline's
LibreOffice step."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import EDITION_MARKDOWN, Measurement, process_seconds

LANGUAGES = ("en", "fr", "es")
ROWS = int(os.environ.get("BENCH_PDF_ROWS", "10000"))


def run() -> list[Measurement]:
    from reporting.report.pdf import export_pdfs
    from reporting.synth import synthetic_package

    pandoc, soffice = shutil.which("pandoc"), shutil.which("soffice")
    if pandoc is None or soffice is None:
        raise SystemExit("bench-pdf needs pandoc and LibreOffice (make system-deps): they are the baseline")
    work = Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    env = {**os.environ, "REPORTING_DATA_DIR": str(work / "data")}
    reporting = str(Path(sys.executable).with_name("reporting"))
    try:
        package = synthetic_package(work / "package", rows=ROWS, outcomes=19)
        out = work / "out"
        languages = [option for language in LANGUAGES for option in ("--language", language)]
        build_seconds = process_seconds(
            [reporting, "build", str(package), "--out", str(out), *languages, "--pdf"], env, work
        )
        reports = sorted(out.glob("*/implementation-report-*.docx"))
        started = time.perf_counter()
        export_pdfs(reports)
        pdfs_seconds = time.perf_counter() - started

        baseline = work / "baseline"
        baseline.mkdir()
        started = time.perf_counter()
        converted_docx = []
        for language in LANGUAGES:
            for markdown in EDITION_MARKDOWN:  # in the edition's folder: report.md links charts to it
                docx = baseline / f"{language}-{Path(markdown).stem}.docx"
                subprocess.run([pandoc, markdown, "-o", docx], cwd=out / language, check=True)
                converted_docx.append(docx)
        converted = time.perf_counter()
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(baseline),
                *(str(docx) for docx in converted_docx),
            ],
            check=True,
            capture_output=True,
        )
        laid_out = time.perf_counter()
    finally:  # the build's data folder server stopped, the folders removed
        subprocess.run([reporting, "server", "stop"], env=env, capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"  {ROWS} rows: build with PDFs {build_seconds:.1f} s, export_pdfs {pdfs_seconds:.1f} s; "
        f"pandoc {converted - started:.1f} s, soffice {laid_out - converted:.1f} s",
        file=sys.stderr,
    )
    return [
        Measurement(
            f"build {ROWS:,} rows / 19 outcomes, 3 editions with PDF",
            build_seconds,
            "pandoc + LibreOffice, the 3 editions' 9 .md → PDF",
            laid_out - started,
            goal_ratio=1.0,
        ),
        Measurement(
            "the 3 editions' PDFs (export_pdfs)",
            pdfs_seconds,
            "LibreOffice, pandoc's 9 .docx → PDF",
            laid_out - converted,
            goal_ratio=None,
        ),
    ]
