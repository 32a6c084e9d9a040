"""The report of a synthetic 10,000-row package (real texts, about 12 M characters) rendered by the
library — context, charts, Word document, Markdown and CSV — against pandoc turning the same content
(the report.md written in the same run) into a Word document."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import Measurement, best_of


def run() -> list[Measurement]:
    from reporting.counting.aggregate import aggregate
    from reporting.intake.readers import read_package
    from reporting.intake.validate import validate_package
    from reporting.report.context import report_context
    from reporting.report.render import render_report
    from reporting.resources import default_template
    from reporting.synth import synthetic_package

    work = Path(tempfile.mkdtemp(prefix="bench-render-"))
    package = read_package(synthetic_package(work / "package", rows=10_000, outcomes=19))
    checked = validate_package(package)
    aggregates = aggregate(checked.evidence.clean, checked.targets.clean, package.framework)
    out = work / "out"

    def render() -> None:
        started = time.perf_counter()
        context = report_context(package, checked, aggregates)
        built = time.perf_counter()
        render_report(context, aggregates.summary, default_template(), out)
        print(
            f"  context {built - started:.2f} s, render {time.perf_counter() - built:.2f} s",
            file=sys.stderr,
        )

    seconds = best_of(2, render)
    markdown = out / "report.md"
    print(f"  report.md: {markdown.stat().st_size / 1e6:.1f} MB", file=sys.stderr)
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        raise SystemExit("bench-render needs pandoc (apt-get install pandoc): it is the baseline")
    started = time.perf_counter()
    subprocess.run([pandoc, "report.md", "-o", "pandoc.docx"], cwd=out, check=True)
    pandoc_seconds = time.perf_counter() - started
    return [
        Measurement(
            "render 10k results (context, charts, docx, md)",
            seconds,
            "pandoc report.md → docx",
            pandoc_seconds,
            goal_ratio=0.2,
        )
    ]
