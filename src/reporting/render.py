"""Render the report context: the Word document from a docxtpl template, and the summary CSV."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment

DEFAULT_TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "implementation-report.docx"


def default_template() -> Path:
    """The template shipped in `templates/` (editable in Word)."""
    return DEFAULT_TEMPLATE


def render_docx(context: dict[str, Any], template: Path, out: Path) -> Path:
    """Fill the Word template. Submission text is escaped (autoescape) and the template runs sandboxed,
    so text such as `<w:p>`, `&` or `{{ x }}` in a submission appears literally."""
    document = DocxTemplate(str(template))
    document.render(context, jinja_env=SandboxedEnvironment(), autoescape=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(out))
    return out


@dataclass(frozen=True)
class ReportFiles:
    docx: Path
    summary_csv: Path


def render_report(
    context: dict[str, Any], summary: pd.DataFrame, template: Path, out_dir: Path
) -> ReportFiles:
    """Every output of a build into `out_dir`, named after the biennium."""
    return ReportFiles(
        docx=render_docx(context, template, out_dir / f"implementation-report-{context['biennium']}.docx"),
        summary_csv=write_summary_csv(summary, out_dir / "indicator_summary.csv"),
    )


def write_summary_csv(summary: pd.DataFrame, out: Path) -> Path:
    """`indicator_summary.csv`: biennium,outcome,indicator,region,target,achieved (target empty if unset)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(out, index=False, na_rep="")
    return out
