"""`reporting review …`, `reporting lock|unlock` and `reporting audit`: the review of CPO results from
the command line (registered on the main app by `register`). Every refusal is one line and exit 1."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from reporting import settings

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Engine

    from reporting.review.results import Decision, Outcome

REVIEWER_VARIABLE = "REPORTING_REVIEWER"
review_app = typer.Typer(no_args_is_help=True, help="Review CPO results before they count in the report.")
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

BienniumOption = Annotated[
    str | None, typer.Option(help="The biennium (default: the newest one in the store).")
]
RegionOption = Annotated[str | None, typer.Option(help="Only the results of this region.")]
IndicatorOption = Annotated[str | None, typer.Option(help="Only the results under this indicator.")]
StatusOption = Annotated[str | None, typer.Option(help="Only results with this status.")]
CpoOption = Annotated[str | None, typer.Option(help="Only the results of this CPO code.")]
ByOption = Annotated[
    str | None, typer.Option("--by", help=f"Who decides (default: ${REVIEWER_VARIABLE}).", show_default=False)
]
LISTED = [
    "region",
    "country",
    "cpo_code",
    "indicator",
    "criteria",
    "reportable",
    "status",
    "changed_by",
    "comment",
]


def _refuse(message: str) -> typer.Exit:
    errors.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    return typer.Exit(1)


def _engine() -> Engine:
    from reporting.store.database import engine_for

    return engine_for(settings.database_url())


def _reviewer(by: str | None, role: str = "reviewer") -> str:
    """Who decides: someone the people directory names in `role` (a reviewer's regions are checked with
    each decision)."""
    from reporting import people

    name = (by or settings.current().reviewer).strip()
    if not name:
        raise _refuse(f"who decides? give --by NAME (or set {REVIEWER_VARIABLE})")
    try:
        people.require(name, role)
    except people.NotAllowed as refused:
        raise _refuse(str(refused)) from None
    return name


def _biennium(engine: Engine, biennium: str | None) -> str:
    from reporting.review.results import latest_biennium

    chosen = biennium or latest_biennium(engine)
    if chosen is None:
        raise _refuse("nothing stored yet: build a package first")
    return chosen


def _selected(
    engine: Engine,
    biennium: str,
    region: str | None,
    indicator: str | None,
    status: str | None,
    cpo: str | None,
) -> pd.DataFrame:
    from reporting.review.results import results_frame, select_results
    from reporting.store.review import STATUSES

    if status is not None and status not in STATUSES:
        raise _refuse(f"unknown status {status!r} (one of: {', '.join(STATUSES)})")
    return select_results(results_frame(engine, biennium), region, indicator, status, cpo)


def _print_frame(frame: pd.DataFrame, title: str) -> None:
    """A table on a terminal; elsewhere one tab-separated line per row, never wrapped."""
    shown = frame.astype("string").fillna("")
    if not console.is_terminal:
        print("\t".join(map(str, frame.columns)))
        for row in shown.itertuples(index=False):
            print("\t".join(str(v).replace("\n", " ") for v in row))
        return
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column))
    for row in shown.itertuples(index=False):
        table.add_row(*(Text(str(v)) for v in row))
    console.print(table)


def _report(outcome: Outcome) -> None:
    """What changed, one line each; refusals, one line each, and exit 1."""
    for entry in outcome.applied:
        console.print(
            f"{entry.cpo_code} {entry.indicator}: {entry.old_value} → {entry.new_value} (by {entry.by})",
            highlight=False,
        )
    for decision, why in outcome.refused:
        errors.print(
            f"[red]refused:[/red] {escape(decision.cpo_code)} {escape(decision.indicator)}: {escape(why)}",
            highlight=False,
        )
    if outcome.refused:
        applied = "the others were applied" if outcome.applied else "nothing was changed"
        raise _refuse(f"{len(outcome.refused)} decision(s) refused; {applied}")


@review_app.command("list")
def review_list(
    biennium: BienniumOption = None,
    region: RegionOption = None,
    indicator: IndicatorOption = None,
    status: StatusOption = None,
    cpo: CpoOption = None,
) -> None:
    """The CPO results and their review status (submitted, returned, approved)."""
    engine = _engine()
    chosen = _biennium(engine, biennium)
    selected = _selected(engine, chosen, region, indicator, status, cpo)
    frame = selected[LISTED].assign(reportable=selected["reportable"].map({True: "yes", False: "no"}))
    _print_frame(frame, f"CPO results of {chosen}")
    counts = selected["status"].value_counts()
    console.print(
        f"{len(selected)} result(s): "
        + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("submitted", "returned", "approved")),
        highlight=False,
    )


def _decide(
    action: str,
    by: str | None,
    text: str,
    biennium: str | None,
    region: str | None,
    indicator: str | None,
    status: str | None,
    cpo: str | None,
) -> None:
    from reporting.review.results import Decision, ReviewError, decide

    reviewer = _reviewer(by)
    if not any((region, indicator, cpo)):
        raise _refuse("choose the results: --cpo, --indicator and/or --region")
    engine = _engine()
    chosen = _biennium(engine, biennium)
    selected = _selected(engine, chosen, region, indicator, status, cpo)
    if selected.empty:
        raise _refuse("no CPO result matches these filters")
    decisions: list[Decision] = [
        Decision(str(i), str(c), action, reviewer, text)
        for i, c in zip(selected["indicator"], selected["cpo_code"], strict=True)
    ]
    try:
        _report(decide(engine, chosen, decisions))
    except ReviewError as exc:
        raise _refuse(str(exc)) from None


@review_app.command("approve")
def review_approve(
    by: ByOption = None,
    comment: Annotated[str, typer.Option(help="A note for the audit trail.")] = "",
    biennium: BienniumOption = None,
    region: RegionOption = None,
    indicator: IndicatorOption = None,
    status: StatusOption = None,
    cpo: CpoOption = None,
) -> None:
    """Approve the selected submitted results: they count in the final report (all or none)."""
    _decide("approve", by, comment, biennium, region, indicator, status, cpo)


@review_app.command("return")
def review_return(
    comment: Annotated[str, typer.Option(help="What the office must change (required).")] = "",
    by: ByOption = None,
    biennium: BienniumOption = None,
    region: RegionOption = None,
    indicator: IndicatorOption = None,
    status: StatusOption = None,
    cpo: CpoOption = None,
) -> None:
    """Return the selected submitted results to the office with a comment (all or none)."""
    _decide("return", by, comment, biennium, region, indicator, status, cpo)


@review_app.command("reopen")
def review_reopen(
    reason: Annotated[str, typer.Option(help="Why the decision is withdrawn (required).")] = "",
    by: ByOption = None,
    biennium: BienniumOption = None,
    region: RegionOption = None,
    indicator: IndicatorOption = None,
    status: StatusOption = None,
    cpo: CpoOption = None,
) -> None:
    """Withdraw an approval or a return: the selected results are submitted again (all or none)."""
    _decide("reopen", by, reason, biennium, region, indicator, status, cpo)


@review_app.command("export")
def review_export(
    out: Annotated[Path, typer.Option(help="The .xlsx to write.")],
    region: RegionOption = None,
    biennium: BienniumOption = None,
    indicator: IndicatorOption = None,
    status: StatusOption = None,
) -> None:
    """Write a review sheet: one row per CPO result with a decision dropdown and a comment column."""
    from reporting.review.workbook import export_sheet

    engine = _engine()
    chosen = _biennium(engine, biennium)
    selected = _selected(engine, chosen, region, indicator, status, None)
    if selected.empty:
        raise _refuse("no CPO result matches these filters")
    written = export_sheet(selected.assign(biennium=chosen), out)
    console.print(f"{len(selected)} result(s) of {chosen} to review: {written}")


@review_app.command("import")
def review_import(
    sheet: Annotated[Path, typer.Argument(exists=True, help="A review sheet filled in.")],
    by: ByOption = None,
) -> None:
    """Apply the decisions of a review sheet, all or nothing; a row whose results changed since the
    export is refused with the reason (the other rows are applied)."""
    from reporting.review.results import ReviewError, decide
    from reporting.review.workbook import read_decisions

    reviewer = _reviewer(by)
    engine = _engine()
    try:
        biennium, decisions = read_decisions(sheet, reviewer)
        if not decisions:
            console.print(f"{sheet}: no decision to apply")
            return
        _report(decide(engine, biennium, decisions, partial="stale", source=f"review sheet {sheet.name}"))
    except ReviewError as exc:
        raise _refuse(str(exc)) from None


def lock(
    biennium: Annotated[str, typer.Argument(help="The biennium to freeze, e.g. 2014-15.")],
    by: ByOption = None,
    reason: Annotated[str, typer.Option(help="Why (for the audit trail).")] = "",
) -> None:
    """Freeze a biennium: later ingests and review changes are refused until it is unlocked."""
    from reporting.review.results import ReviewError
    from reporting.review.results import lock as lock_biennium

    try:
        lock_biennium(_engine(), biennium, _reviewer(by, "operator"), reason.strip())
    except ReviewError as exc:
        raise _refuse(str(exc)) from None
    console.print(f"{biennium} is locked")


def unlock(
    biennium: Annotated[str, typer.Argument(help="The locked biennium.")],
    reason: Annotated[str, typer.Option(help="Why it is opened again (required).")] = "",
    by: ByOption = None,
) -> None:
    """Open a locked biennium again (the reason goes into the audit trail)."""
    from reporting.review.results import ReviewError
    from reporting.review.results import unlock as unlock_biennium

    try:
        unlock_biennium(_engine(), biennium, _reviewer(by, "operator"), reason)
    except ReviewError as exc:
        raise _refuse(str(exc)) from None
    console.print(f"{biennium} is unlocked")


def audit(
    cpo: CpoOption = None,
    biennium: Annotated[str | None, typer.Option(help="Only this biennium.")] = None,
    since: Annotated[str | None, typer.Option(help="Only entries from this date on (YYYY-MM-DD).")] = None,
    csv: Annotated[Path | None, typer.Option(help="Write the entries to this CSV file.")] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Check the whole trail (filters aside) and the review and lock tables against it.",
        ),
    ] = False,
) -> None:
    """The audit trail, oldest first: every status change, superseded file, lock and unlock (who, when,
    what, old value, new value, reason). With --verify: what was changed outside the program, one line
    each (exit 1), or that nothing was."""
    from reporting.escaping import csv_text
    from reporting.outputs import write_text
    from reporting.store.review import audit_entries

    if verify:
        _verify()
        return

    try:
        start = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None
    except ValueError:
        raise _refuse(f"--since {since!r} is not a date (YYYY-MM-DD)") from None
    entries = audit_entries(_engine(), biennium=biennium, cpo_code=cpo, since=start)
    entries["at"] = entries["at"].astype(str).str[:19]
    if csv is not None:
        write_text(csv, csv_text(entries))
        console.print(f"{len(entries)} audit entries: {csv}")
        return
    _print_frame(entries, "Audit trail")


def _verify() -> None:
    from reporting.review.trail import verify_trail

    count, problems = verify_trail(_engine())
    for problem in problems:
        console.print(escape(problem), highlight=False)
    if problems:
        raise _refuse(f"{len(problems)} change(s) made outside the program (see above)")
    console.print(
        f"audit trail intact: {count} entries chained; the review statuses and locks agree with it",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add `review …`, `lock`, `unlock` and `audit` to the main command line."""
    app.add_typer(review_app, name="review")
    for command in (lock, unlock, audit):
        app.command()(command)
