"""`review-reminder`: each week of the reporting window, the CPO results still submitted or returned, per
region, oldest first: a Markdown artifact, a one-line summary posted to the alert webhook (the
`reporting-alerts` block that `make deploy` saves from REPORTING_ALERT_WEBHOOK_URL), and, when an SMTP
server is configured (REPORTING_SMTP_HOST), an e-mail to each region's reviewers listing their own
results (the people directory gives reviewers' regions and addresses). A store that cannot be read
fails the run, visibly.

Deployed by deployments/prefect.yaml (Mondays 08:00 Zurich, January to March of even years)."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.runtime import flow_run

from reporting import people, pipeline, settings
from reporting.flows.biennial_report import FormBiennium, form_field
from reporting.review import notify
from reporting.review.reminder import reminder_markdown
from reporting.review.results import latest_biennium, results_frame
from reporting.store.database import engine_for

ALERTS_BLOCK = "reporting-alerts"  # saved by deployments/automations.py


def _run_name() -> str:
    """`review-reminder-<biennium>-<time>-<id>` (`latest` when the store's newest biennium is meant)."""
    chosen = flow_run.parameters.get("biennium") or "latest"
    return pipeline.run_name(chosen, flow_run.scheduled_start_time, str(flow_run.id), kind="review-reminder")


@flow(name="review-reminder", flow_run_name=_run_name, log_prints=True)
def review_reminder(
    biennium: FormBiennium = form_field(
        None, "Biennium", "Four digits, a dash, two digits, e.g. 2014-15. Empty: the newest one in the store."
    ),
) -> str:
    """Post the reminder of what awaits review."""
    engine = engine_for(settings.database_url())
    chosen = biennium or latest_biennium(engine)
    if chosen is None:
        raise RuntimeError("nothing stored yet: no review to remind of")
    results, now = results_frame(engine, chosen), datetime.now(UTC)
    markdown = reminder_markdown(chosen, results, now)
    create_markdown_artifact(
        key=f"review-reminder-{chosen}", markdown=markdown, description=f"Results of {chosen} awaiting review"
    )
    summary = notify.reminder_summary(chosen, results)
    logger = get_run_logger()
    logger.info("%s", summary)
    try:
        alerts: CustomWebhookNotificationBlock = CustomWebhookNotificationBlock.load(ALERTS_BLOCK)  # type: ignore[assignment]  # sync here
    except ValueError:  # no such block: make deploy saves it when REPORTING_ALERT_WEBHOOK_URL is set
        logger.info("no alert webhook (block %s): the summary is not posted", ALERTS_BLOCK)
    else:
        alerts.notify(summary, subject=f"Review reminder {chosen}")
    configured = settings.current()
    if configured.smtp_host:
        try:
            directory = people.load()
        except people.NotAllowed as missing:  # no directory, no one to write to
            logger.warning("no e-mail sent: %s", missing)
            return markdown
        reviewers = notify.reviewers_by_region(directory, results["region"].dropna().unique())
        messages = notify.reminder_messages(chosen, results, now, reviewers, configured.smtp_sender)
        notify.send(messages, configured)
        logger.info("e-mailed %d reviewer(s) through %s", len(messages), configured.smtp_host)
    return markdown
