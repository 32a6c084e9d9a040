"""`review-reminder`: each week of the reporting window, a Markdown artifact listing per region the CPO
results still submitted or returned, oldest first. A store that cannot be read fails the run, visibly.

Deployed by deployments/prefect.yaml (Mondays 08:00 Zurich, January to March of even years)."""

from __future__ import annotations

from datetime import UTC, datetime

from reporting import settings

settings.configure_prefect()  # before Prefect reads its settings: project-local home, no telemetry

from prefect import flow, get_run_logger  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402

from reporting.flows.biennial_report import Biennium  # noqa: E402
from reporting.review.reminder import reminder_markdown  # noqa: E402
from reporting.review.results import latest_biennium, results_frame  # noqa: E402
from reporting.store.database import engine_for  # noqa: E402


@flow(name="review-reminder", log_prints=True)
def review_reminder(biennium: Biennium | None = None) -> str:
    """Post the reminder of what awaits review. biennium: by default the newest one in the store."""
    engine = engine_for(settings.database_url())
    chosen = biennium or latest_biennium(engine)
    if chosen is None:
        raise RuntimeError("nothing stored yet: no review to remind of")
    markdown = reminder_markdown(chosen, results_frame(engine, chosen), datetime.now(UTC))
    create_markdown_artifact(
        key=f"review-reminder-{chosen}", markdown=markdown, description=f"Results of {chosen} awaiting review"
    )
    get_run_logger().info("%s", markdown.splitlines()[0].removeprefix("# "))
    return markdown
