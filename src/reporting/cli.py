"""`reporting`: the command line of the pipeline (Typer)."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from reporting import settings
from reporting.errors import OutputError, PackageError, StrictModeError, full_disk, output_error, store_full
from reporting.portal.cli import register as register_portal
from reporting.review.cli import register as register_review
from reporting.translation_cli import register as register_translation

if TYPE_CHECKING:
    import pandas as pd

    from reporting.framework import Framework

app = typer.Typer(no_args_is_help=True, add_completion=False)
console = Console(soft_wrap=True)  # a path or a finding is never split over lines
errors = Console(stderr=True, soft_wrap=True)


@app.callback()
def main() -> None:
    """Turn country offices' results submissions into the biennial programme implementation report."""


def _quiet_prefect_console(debug: bool) -> None:
    """Prefect's own console output (task tracebacks) only with --debug; the run's warnings (waiting
    for the write slot, findings, an edited report kept) are printed as `warning: …` lines. Everything
    is still logged to the Prefect API and visible in the UI."""
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "DEBUG" if debug else "CRITICAL")
    if not debug:  # e.g. the first, brief ask for the write slot timing out is logged there as an ERROR
        os.environ.setdefault("PREFECT_INTERNAL_LOGGING_LEVEL", "CRITICAL")
    # Logging's production setting: a log the server cannot take (its disk is full) prints no "Error
    # logging to API" lines beside the build's own one-line error.
    logging.raiseExceptions = debug


def _progress(line: str) -> None:
    """A progress line, dimmed, on the error console: for a terminal only (quiet in a pipe or a log)."""
    errors.print(f"[dim]… {escape(line)}[/dim]", highlight=False)


class _RunProgress(logging.Handler):
    """The flow run's stages as progress lines on a terminal (quiet in a pipe or a log file), and its
    warnings always, one line each (errors end the build with their own one line)."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.WARNING:
            errors.print(f"warning: {escape(record.getMessage())}", highlight=False)
        elif record.levelno == logging.INFO and errors.is_terminal:
            _progress(record.getMessage())


def _show_run_progress() -> None:
    """One progress handler on the flow runs' logger, however many builds this process runs."""
    runs = logging.getLogger("prefect.flow_runs")
    if not any(isinstance(handler, _RunProgress) for handler in runs.handlers):
        runs.addHandler(_RunProgress(logging.INFO))


FINDING_LINES = 50
"""Findings printed one by one; past them, counts per rule (a whole-programme build has tens of thousands)."""


def _print_findings(findings: pd.DataFrame, full_list: str) -> None:
    """The first FINDING_LINES findings: a table on a terminal; elsewhere one plain line per finding,
    `file:sheet:row: column: rule: message`, never wrapped, for `grep`. When there are more, one line
    per rule with its count, and where the full list is."""
    shown = findings.head(FINDING_LINES)
    if console.is_terminal:
        from reporting.intake.feedback import findings_console_table

        console.print(findings_console_table(findings, FINDING_LINES))
    else:
        for f in shown.astype("string").fillna("").itertuples(index=False):
            print(f"{f.file}:{f.sheet}:{f.row}: {f.column}: {f.rule}: {f.message}")
    if len(findings) > len(shown):
        console.print(
            f"{len(findings)} finding(s), {len(shown)} shown above; all of them: {escape(full_list)}",
            highlight=False,
        )
        counts = findings.groupby(["severity", "rule"], sort=False).size()
        for severity, rule, count in counts.reset_index().itertuples(index=False):
            console.print(f"  {count} {severity} {escape(str(rule))}", highlight=False)


def _prefect_api() -> Callable[[], str]:
    """The Prefect server the build runs against, as a wait that returns its API URL: the one
    configured (PREFECT_API_URL), else the data folder's own local server, started on the first build
    and reused by the next ones. A new server starts while the flow's modules import."""
    if "prefect" in sys.modules or settings.prefect_api_may_be_configured():
        from prefect.settings import PREFECT_API_URL

        configured = PREFECT_API_URL.value()
        if configured:
            return lambda: str(configured)
    from reporting.orchestration import local_server

    def say(line: str) -> None:
        errors.print(escape(line), highlight=False)

    launched = local_server.launch()
    if isinstance(launched, local_server.LocalServer):
        say(f"using the local Prefect server {launched.ui_url} (stop: reporting server stop)")
    return lambda: local_server.wait_until_healthy(launched, say).api_url


def _print_summary(result: dict[str, Any], package: Path) -> None:
    summary = result["summary"]
    title = f"Member States with a reportable result, {result['biennium']}"
    if result.get("draft"):
        title += f" (DRAFT: {result['pending']} result(s) not yet approved counted)"
    columns = ("outcome", "indicator", "region", "target", "achieved")
    rows = [
        (
            row.outcome,
            row.indicator,
            row.region,
            "" if row.target is None or str(row.target) == "<NA>" else str(row.target),
            str(row.achieved),
        )
        for row in summary.itertuples()
    ]
    if len(result["findings_table"]):
        _print_findings(result["findings_table"], f"reporting validate {package}")
    if console.is_terminal:
        table = Table(title=title)
        for column in columns:
            table.add_column(column, justify="right" if column in ("target", "achieved") else "left")
        for values in rows:
            table.add_row(*values)
        console.print(table)
    else:
        print(f"{title}:")
        for values in [columns, *rows]:
            print("{:<8} {:<10} {:<24} {:>7} {:>9}".format(*values))
    console.print(
        f"{result['rows_ingested']} evidence rows read, {result['rows_rejected']} rejected, "
        f"{result['findings']} finding(s)."
    )
    editions = result.get("editions") or {}
    if len(editions) > 1:
        console.print("\n".join(f"Report ({language}): {docx}" for language, docx in editions.items()))
        for language, pdf in (result.get("pdfs") or {}).items():
            if pdf:
                console.print(f"PDF ({language}):    {pdf}")
    else:
        console.print(f"Report:  {result['docx']}")
        if result.get("pdf"):
            console.print(f"PDF:     {result['pdf']}")
    for language, companions in (result.get("companions") or {}).items():  # results by indicator, audit
        shown = f" ({language})" if len(editions) > 1 else ""
        console.print(f"Companions{shown}: {', '.join(companions)}")
    console.print(f"Summary: {result['summary_csv']}")
    if result.get("build_json"):
        console.print(f"Build:   {str(result['build_id'])[:8]} ({result['build_json']})")
    if result.get("edited_kept"):
        console.print(f"The report had been edited since it was written: kept as {result['edited_kept']}")
    if result.get("changes"):
        console.print(str(result["changes"]), highlight=False)


@app.command()
def build(
    package: Annotated[Path, typer.Argument(help="The submission package folder.")],
    out: Annotated[Path, typer.Option(help="Where to write the report files.")] = Path("out"),
    template: Annotated[Path | None, typer.Option(help="A .docx template instead of the default.")] = None,
    strict: Annotated[bool, typer.Option(help="Fail when any row is rejected by validation.")] = False,
    pdf: Annotated[
        bool,
        typer.Option("--pdf", help="Also write the report as PDF (LibreOffice; contents and page numbers)."),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Run the flow even when today's build of the same inputs is current."),
    ] = False,
    language: Annotated[
        list[str] | None,
        typer.Option(
            help="The edition: en (default), fr or es, or several (counted once). Each edition goes into "
            "OUT/<language>/, a draft's into OUT/draft/<language>/."
        ),
    ] = None,
    draft: Annotated[
        bool, typer.Option(help="Count every reportable result, not only approved ones; mark it DRAFT.")
    ] = False,
    publication_date: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="The date on the cover, YYYY-MM-DD (default: the build's)."),
    ] = None,
    debug: Annotated[bool, typer.Option(help="Show Prefect's log and full tracebacks.")] = False,
) -> None:
    """Build the implementation report of PACKAGE (runs the `biennial-report` Prefect flow in process)."""
    from reporting.report.edition import LANGUAGES

    languages = list(dict.fromkeys(language or ["en"]))
    unknown = [a for a in languages if a not in LANGUAGES]
    if unknown:
        raise typer.BadParameter(f"{', '.join(unknown)}: the report is written in {', '.join(LANGUAGES)}")
    settings.configure_prefect()
    from reporting.pipeline import Parameters

    parameters = Parameters(
        package=str(package),
        template=str(template) if template else None,
        out=str(out),
        strict=strict,
        pdf=pdf,
        language=languages[0] if len(languages) == 1 else languages,
        draft=draft,
        publication_date=publication_date.date() if publication_date else None,
        force=force,
    )
    _quiet_prefect_console(debug)
    from reporting.orchestration.local_server import ServerError

    try:
        server_ready = _prefect_api()  # a new local server starts before Prefect is imported
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from reporting.flows.biennial_report import biennial_report

        with temporary_settings({PREFECT_API_URL: server_ready()}):
            if not debug:  # after Prefect's logging set-up, which replaces the handlers it configures
                _show_run_progress()

            from reporting.orchestration.crashed_runs import detect_crashed_runs

            detect_crashed_runs()  # before the run starts: killed as it starts, it still ends Crashed
            result = biennial_report(**dataclasses.asdict(parameters))
    except (PackageError, StrictModeError, OutputError, ServerError) as exc:
        if debug:
            raise
        errors.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None
    except OSError as exc:  # a full disk, `--out` naming a file: what is wrong, where
        if debug:
            raise
        errors.print(f"[red]error:[/red] {escape(str(output_error(exc)))}", highlight=False)
        raise typer.Exit(1) from None
    except Exception as exc:  # an unexpected failure still gets one line, not a traceback
        if debug:
            raise
        store = store_full(exc, settings.database_url())
        disk = full_disk([settings.data_dir(), Path(os.environ.get("PREFECT_HOME") or settings.data_dir())])
        if store:
            reason = str(store)
        elif disk:  # e.g. the Prefect server's answer 500: its database or lease records cannot grow
            reason = f"no space left on device: {disk} ({exc.__class__.__name__})"
        else:
            reason = f"{exc.__class__.__name__}: {exc} (--debug shows the traceback)"
        errors.print(f"[red]error:[/red] {escape(reason)}", highlight=False)
        raise typer.Exit(1) from None
    if "up_to_date" in result:
        console.print(escape(result["up_to_date"]), highlight=False)
        print("\n".join(f"  {output}" for output in result["outputs"]))
        return
    _print_summary(result, package)


server_app = typer.Typer(no_args_is_help=True, help="The data folder's local Prefect server (UI and API).")
app.add_typer(server_app, name="server")
db_app = typer.Typer(no_args_is_help=True, help="The store's database (DATABASE_URL, else the data folder).")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the store's schema to the newest revision (make deploy and a first build run it too)."""
    from reporting.store.database import upgraded_engine
    from reporting.store.migrations import current_revision

    engine = upgraded_engine(settings.database_url())
    try:
        console.print(f"store at revision {current_revision(engine)}", highlight=False)
    finally:
        engine.dispose()


@server_app.command("start")
def server_start(
    port: Annotated[
        int | None,
        typer.Option(help="Loopback port, if free (default: PREFECT_SERVER_PORT, else any free one)."),
    ] = None,
) -> None:
    """Start the local Prefect server of the data folder in the background (or say where it runs)."""
    from reporting.orchestration import local_server

    try:
        server = local_server.start(
            port=port or int(os.environ.get("PREFECT_SERVER_PORT") or 0), say=console.print
        )
    except local_server.ServerError as exc:
        errors.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"Prefect server: {server.ui_url} (PID {server.pid}, log {local_server.log_path()})")
    hours = settings.current().server_idle_hours
    if hours:
        console.print(
            f"It stops after {hours:g} h without use (REPORTING_SERVER_IDLE_HOURS), "
            f"and once {settings.data_dir()} is deleted."
        )


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local Prefect server of the data folder (a running build's run is marked crashed)."""
    from reporting.orchestration import local_server

    if not local_server.stop(say=console.print):
        console.print("no local Prefect server runs for this data folder")


@server_app.command("status")
def server_status() -> None:
    """Which local Prefect servers run, for which data folders (this user's)."""
    from reporting.orchestration import local_server

    listed = local_server.servers()
    for data_dir, server, answering in listed:
        state = "" if answering else " (starting, or not answering)"
        console.print(f"{server.ui_url}  PID {server.pid}  {data_dir}{state}", highlight=False)
    if not listed:
        console.print("no local Prefect server runs")


@server_app.command("env")
def server_env(
    settings_only: Annotated[
        bool, typer.Option("--settings-only", help="Prefect's settings only: no server is looked for.")
    ] = False,
) -> None:
    """Shell exports that give Prefect's own commands the project's settings (home in the data folder,
    analytics off) and its server: PREFECT_API_URL if set, else the data folder's server, started if
    needed. In a shell: `eval "$(.venv/bin/reporting server env)"`."""
    import shlex

    from reporting.orchestration import local_server

    settings.configure_prefect()
    exports = {k: v for k, v in os.environ.items() if k.startswith("PREFECT_") or k == "DO_NOT_TRACK"}
    if not settings_only and not exports.get("PREFECT_API_URL"):
        try:
            server = local_server.start(say=lambda line: errors.print(escape(line), highlight=False))
            exports["PREFECT_API_URL"] = server.api_url
        except local_server.ServerError as exc:
            errors.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
            raise typer.Exit(1) from None
    for key, value in sorted(exports.items()):
        print(f"export {key}={shlex.quote(value)}")


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="Folder to write the package into.")],
    rows: Annotated[int, typer.Option(help="About how many evidence rows.")] = 10_000,
    outcomes: Annotated[int, typer.Option(help="How many outcomes (1 to 19, 2 to 4 indicators each).")] = 19,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same package).")] = 2015,
) -> None:
    """Write a synthetic submission package made of the real sample texts (for benchmarks)."""
    from reporting.synth import synthetic_package

    folder = synthetic_package(out, rows=rows, outcomes=outcomes, seed=seed)
    console.print(f"Synthetic package of about {rows} rows, {outcomes} outcomes: {folder}")


def _framework_option(path: Path | None) -> Framework | None:
    from reporting.framework import load_framework

    try:
        return load_framework(path) if path else None
    except PackageError as exc:
        raise typer.BadParameter(str(exc), param_hint="--framework") from None


@app.command()
def validate(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True,
            help="A package folder, or one evidence file (csv, tsv, txt, xlsx, xlsm, xls, ods, json).",
        ),
    ],
    framework: Annotated[
        Path | None,
        typer.Option(
            help="framework.yaml to check against. A single file is otherwise checked against the "
            "framework.yaml beside it, or the one stored by an earlier ingest of its biennium."
        ),
    ] = None,
    report_dir: Annotated[
        Path, typer.Option(help="Where to write validation-report.xlsx and validation-report.csv.")
    ] = Path("."),
) -> None:
    """Check a package or a single file without storing anything (a dry run). Exit 0: nothing would be
    set aside; 1: some finding of severity error or critical; 2: the command was misused."""
    from reporting.intake.feedback import (
        REPORT_CSV,
        REPORT_XLSX,
        abridged_note,
        framework_for_file,
        write_report,
    )
    from reporting.intake.stages import dry_run

    chosen = _framework_option(framework)
    if path.is_file():
        try:
            chosen = chosen or framework_for_file(path)
        except PackageError as exc:  # a malformed framework.yaml beside the file
            errors.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
            raise typer.Exit(2) from None
        if chosen is None:
            errors.print(
                f"[red]error:[/red] no framework for {escape(path.name)}: give --framework FILE "
                "(none beside the file, none stored for its biennium)",
                highlight=False,
            )
            raise typer.Exit(2)
    progress = _progress if errors.is_terminal else None
    checked = dry_run(path, chosen, progress)
    if len(checked.findings):
        _print_findings(checked.findings, f"{report_dir / REPORT_XLSX}, {report_dir / REPORT_CSV}")
    if progress:
        progress("writing the validation report")
    xlsx, csv = write_report(checked, report_dir)
    rows = checked.rows_read
    verdict = "some rows would be set aside" if checked.blocking else "nothing would be set aside"
    console.print(f"{rows} row(s) read, {len(checked.findings)} finding(s): {verdict}.")
    if checked.abridged:
        console.print(abridged_note(checked))
    console.print(f"Report:   {xlsx}\nFindings: {csv}")
    raise typer.Exit(1 if checked.blocking else 0)


@app.command()
def template(
    framework: Annotated[Path, typer.Option(exists=True, help="The framework.yaml of the biennium.")],
    out: Annotated[Path, typer.Option(help="The .xlsx to write.")] = Path("submission-template.xlsx"),
) -> None:
    """Write the Excel submission template: evidence columns with dropdowns, the criteria in full."""
    from reporting.intake.submission_template import write_submission_template

    chosen = _framework_option(framework)
    assert chosen is not None
    console.print(f"Submission template for {chosen.biennium}: {write_submission_template(chosen, out)}")


@app.command()
def history(
    biennium: Annotated[str, typer.Argument(help="The biennium, e.g. 2014-15.")],
    changes: Annotated[
        int | None, typer.Option(help="List the rows that this file version added, removed or changed.")
    ] = None,
) -> None:
    """Every file received for BIENNIUM (oldest first): current or superseded, by which version, when."""
    import pandas

    from reporting.store.database import engine_for
    from reporting.store.versions import file_history, version_changes

    engine = engine_for(settings.database_url())
    if changes is None:
        frame = file_history(engine, biennium).drop(columns="sha256")
        for column in ("received_at", "superseded_at"):
            frame[column] = pandas.to_datetime(frame[column]).dt.strftime("%Y-%m-%d %H:%M").fillna("")
        title = f"Files received for {biennium}"
    else:
        frame = version_changes(engine, changes)
        title = f"Rows that file {changes} added, removed or changed"
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column), no_wrap=column in ("name", "status", "received_at", "superseded_at"))
    for record in frame.astype("string").fillna("").itertuples(index=False):
        table.add_row(*(Text(str(value)) for value in record))
    console.print(table if len(frame) else f"{title}: none.")


@app.command()
def explain(
    biennium: Annotated[str, typer.Argument(help="The biennium, e.g. 2014-15.")],
    indicator: Annotated[str | None, typer.Argument(help="An indicator, e.g. 7.1.")] = None,
    region: Annotated[
        str | None, typer.Argument(help="One region (default: every region and the Total).")
    ] = None,
    cpo: Annotated[str | None, typer.Option(help="Why this CPO's results are or are not counted.")] = None,
) -> None:
    """Which results make up a figure of the report (INDICATOR [REGION]), or why a CPO result is or is
    not counted (--cpo CODE): from the store, with the counting rule of the report."""
    from reporting.counting.explain import cpo_lines, figure_lines, stored_trail
    from reporting.store.database import engine_for
    from reporting.store.in_force import in_force
    from reporting.vocabulary import REGIONS, TOTAL

    if (indicator is None) == (cpo is None):
        errors.print("[red]error:[/red] give an INDICATOR [REGION] or --cpo CODE", highlight=False)
        raise typer.Exit(2)
    held = in_force(engine_for(settings.database_url()), biennium)
    if held is None:
        errors.print(
            f"[red]error:[/red] nothing stored for {escape(biennium)} (build it first)", highlight=False
        )
        raise typer.Exit(1)
    stored = stored_trail(held.framework, held.evidence, held.targets, held.rejected)
    if cpo is not None:
        lines = cpo_lines(stored, cpo)
        if not lines:
            errors.print(
                f"[red]error:[/red] no result of CPO {escape(cpo)} in {escape(biennium)}", highlight=False
            )
            raise typer.Exit(1)
    else:
        assert indicator is not None
        known = [i.id for o in stored.framework.outcomes for i in o.indicators]
        if indicator not in known:
            errors.print(
                f"[red]error:[/red] no indicator {escape(indicator)} in {escape(biennium)} "
                f"(indicators: {', '.join(known)})",
                highlight=False,
            )
            raise typer.Exit(1)
        named = {r.casefold(): r for r in (*REGIONS, TOTAL)}
        if region is not None and region.casefold() not in named:
            errors.print(
                f"[red]error:[/red] unknown region {escape(region)} (one of: {', '.join(named.values())})",
                highlight=False,
            )
            raise typer.Exit(2)
        lines = figure_lines(stored, indicator, named[region.casefold()] if region else None)
    if console.is_terminal:
        for line in lines:
            style = "bold" if not line.startswith(" ") else ("dim" if "not counted" in line else "")
            console.print(Text(line, style=style))
    else:
        print("\n".join(lines))


@app.command()
def diff(
    old: Annotated[
        Path, typer.Argument(help="The output folder of the earlier build (OUT or OUT/<language>).")
    ],
    new: Annotated[
        Path, typer.Argument(help="The output folder of the later build (OUT or OUT/<language>).")
    ],
    language: Annotated[str, typer.Option(help="The edition compared in an OUT folder.")] = "en",
) -> None:
    """What changed between two builds (their output folders, OUT/<language>/ of each, or OUT/draft/…
    of a draft): figures, member States and CPO results added to or removed from each figure, result
    texts (a word-level excerpt), input files. Exit 0: no change; 1: something changed (as `diff`
    does); 2: a folder holds no report."""
    from reporting.report.changes import SUMMARY_CSV, change_lines, compare, folder_snapshot, stored_texts

    old, new = (f / language if (f / language / SUMMARY_CSV).is_file() else f for f in (old, new))
    for folder in (old, new):
        if not (folder / SUMMARY_CSV).is_file():
            errors.print(f"[red]error:[/red] no {SUMMARY_CSV} in {escape(str(folder))}", highlight=False)
            raise typer.Exit(2)
    snapshots = [folder_snapshot(folder) for folder in (old, new)]
    if all(s.inputs for s in snapshots):  # the texts, from the store's rows of each build's input files
        from dataclasses import replace

        from reporting.store.database import engine_for

        try:
            engine = engine_for(settings.database_url())
            snapshots = [replace(s, texts=stored_texts(engine, s.inputs)) for s in snapshots]
        except Exception as exc:  # the store is elsewhere: changed texts are named without an excerpt
            errors.print(
                f"warning: result texts not compared word by word: {escape(str(exc))}", highlight=False
            )
    changes = compare(*snapshots)
    for line in change_lines(changes):
        print(line)
    raise typer.Exit(1 if changes else 0)


register_review(app)
register_portal(app)
register_translation(app)

if __name__ == "__main__":
    app()
