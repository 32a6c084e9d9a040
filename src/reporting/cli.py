"""`reporting`: the command line of the pipeline (Typer)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from reporting import settings
from reporting.errors import PackageError, StrictModeError

app = typer.Typer(no_args_is_help=True, add_completion=False)
console = Console()
errors = Console(stderr=True, soft_wrap=True)


@app.callback()
def main() -> None:
    """Turn country offices' results submissions into the biennial programme implementation report."""


def _quiet_prefect_console(debug: bool) -> None:
    """Prefect's own console output (server start-up, task tracebacks) only with --debug; the run is
    still fully logged to the Prefect API and visible in the UI."""
    level = "DEBUG" if debug else "CRITICAL"
    for handler in ("CONSOLE", "CONSOLE_FLOW_RUNS", "CONSOLE_TASK_RUNS"):
        os.environ.setdefault(f"PREFECT_LOGGING_HANDLERS_{handler}_LEVEL", level)


def _print_summary(result: dict[str, Any]) -> None:
    summary = result["summary"]
    table = Table(title=f"Member States with a reportable result, {result['biennium']}")
    for column in ("outcome", "indicator", "region", "target", "achieved"):
        table.add_column(column, justify="right" if column in ("target", "achieved") else "left")
    for row in summary.itertuples():
        target = "" if row.target is None or str(row.target) == "<NA>" else str(row.target)
        table.add_row(row.outcome, row.indicator, row.region, target, str(row.achieved))
    console.print(table)
    console.print(
        f"{result['rows_ingested']} evidence rows read, {result['rows_rejected']} rejected, "
        f"{result['findings']} finding(s)."
    )
    console.print(f"Report:  {result['docx']}\nSummary: {result['summary_csv']}")


@app.command()
def build(
    package: Annotated[Path, typer.Argument(help="The submission package folder.")],
    out: Annotated[Path, typer.Option(help="Where to write the report files.")] = Path("out"),
    template: Annotated[Path | None, typer.Option(help="A .docx template instead of the default.")] = None,
    strict: Annotated[bool, typer.Option(help="Fail when any row is rejected by validation.")] = False,
    debug: Annotated[bool, typer.Option(help="Show Prefect's log and full tracebacks.")] = False,
) -> None:
    """Build the implementation report of PACKAGE (runs the `biennial-report` Prefect flow in process)."""
    settings.configure_prefect()
    _quiet_prefect_console(debug)
    from reporting.flows.biennial_report import biennial_report

    try:
        result = biennial_report(
            package=str(package), out=str(out), template=str(template) if template else None, strict=strict
        )
    except (PackageError, StrictModeError) as exc:
        if debug:
            raise
        errors.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except Exception as exc:  # an unexpected failure still gets one line, not a traceback
        if debug:
            raise
        errors.print(f"[red]error:[/red] {exc.__class__.__name__}: {exc} (--debug shows the traceback)")
        raise typer.Exit(1) from None
    _print_summary(result)


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="Folder to write the package into.")],
    rows: Annotated[int, typer.Option(help="About how many evidence rows.")] = 10_000,
    outcomes: Annotated[int, typer.Option(help="How many outcomes (2 indicators each).")] = 19,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same package).")] = 2015,
) -> None:
    """Write a synthetic submission package made of the real sample texts (for benchmarks)."""
    from reporting.synth import synthetic_package

    folder = synthetic_package(out, rows=rows, outcomes=outcomes, seed=seed)
    console.print(f"Synthetic package of about {rows} rows, {outcomes} outcomes: {folder}")


if __name__ == "__main__":
    app()
