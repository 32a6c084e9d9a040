"""The report of a synthetic 10,000-row package (real texts, about 12 M characters) rendered by the
library — context, charts, the three Word documents, their Markdown and the CSV — against pandoc turning
the same content (the three Markdown documents written in the same run) into Word documents."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import EDITION_MARKDOWN, Measurement, best_of


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
    megabytes = sum((out / markdown).stat().st_size for markdown in EDITION_MARKDOWN) / 1e6
    print(f"  {', '.join(EDITION_MARKDOWN)}: {megabytes:.1f} MB", file=sys.stderr)
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        raise SystemExit("bench-render needs pandoc (apt-get install pandoc): it is the baseline")
    started = time.perf_counter()
    for markdown in EDITION_MARKDOWN:
        subprocess.run([pandoc, markdown, "-o", f"pandoc-{markdown}.docx"], cwd=out, check=True)
    pandoc_seconds = time.perf_counter() - started
    return [
        Measurement(
            "render 10k results (context, charts, 3 docx, md)",
            seconds,
            "pandoc: the 3 .md → docx",
            pandoc_seconds,
            goal_ratio=0.2,
        )
    ]
