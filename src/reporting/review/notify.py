"""The weekly reminder, taken to people: a short summary for the alert webhook, and an e-mail to each
region's reviewers listing what awaits them.

E-mail goes through the standard library's `smtplib`, not Prefect's `prefect-email` integration: one
plain message per reviewer needs no block, no extra dependency (and its pins) in requirements.lock, and
the SMTP settings stay with the project's other settings (REPORTING_SMTP_…), the password a `SecretStr`.

Who reviews which region, and at which address, is the people directory's (`reporting.people`: a
reviewer's regions and e-mail).
"""

from __future__ import annotations

import shlex
import smtplib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr
from typing import NamedTuple

import pandas as pd

from reporting import people
from reporting.review.reminder import awaiting_decision
from reporting.settings import Settings


class Reviewer(NamedTuple):
    name: str
    email: str


Reviewers = Mapping[str, Sequence[Reviewer]]
"""Region → the people who review its results."""


def reviewers_by_region(directory: people.Directory, regions: Iterable[str]) -> dict[str, list[Reviewer]]:
    """Each region's reviewers that the directory gives an e-mail address (`regions: [all]` covers every
    region)."""
    return {
        region: [
            Reviewer(p.name, p.email)
            for p in directory.people
            if people.REVIEWER in p.roles and p.email and p.covers(region)
        ]
        for region in regions
    }


def reminder_summary(biennium: str, results: pd.DataFrame) -> str:
    """One line for the alert webhook: how many results await a decision, per region."""
    waiting = awaiting_decision(results)
    if waiting.empty:
        return f"Review of {biennium}: every result has been approved."
    regions = waiting.groupby(waiting["region"].fillna("").replace("", "no region"), sort=True).size()
    counts = ", ".join(f"{region} {count}" for region, count in regions.items())
    return f"Review of {biennium}: {len(waiting)} result(s) awaiting a decision ({counts})."


def reminder_messages(
    biennium: str, results: pd.DataFrame, now: datetime, reviewers: Reviewers, sender: str
) -> list[EmailMessage]:
    """A plain-text e-mail to each reviewer of each region with results awaiting a decision, listing
    that region's results oldest first."""
    waiting = awaiting_decision(results)
    messages = []
    for region, rows in waiting.groupby("region", sort=True):
        lines = [f"{len(rows)} result(s) of {region} await your decision in the review of {biennium}:", ""]
        for r in rows.itertuples(index=False):
            since = pd.Timestamp(str(r.changed_at))
            since = since.tz_localize("UTC") if since.tzinfo is None else since
            days = (pd.Timestamp(now) - since).days
            comment = f" - {' '.join(str(r.comment).split())}" if str(r.comment).strip() else ""
            lines.append(
                f"- {r.cpo_code} ({r.indicator}, {r.country}): {r.status} since {since:%Y-%m-%d}, "
                f"{days} day(s){comment}"
            )
        lines += [
            "",
            f"reporting review list --biennium {biennium} --region {shlex.quote(str(region))} shows them.",
        ]
        for person in reviewers.get(str(region), ()):
            message = EmailMessage()
            message["Subject"] = f"Review of {biennium}: {len(rows)} result(s) of {region} await you"
            message["From"] = sender
            message["To"] = formataddr((person.name, person.email))
            message.set_content("\n".join([f"Dear {person.name},", "", *lines]) + "\n")
            messages.append(message)
    return messages


def send(messages: Sequence[EmailMessage], configured: Settings) -> None:
    """Through the configured SMTP server, in one connection (STARTTLS and login when configured)."""
    with smtplib.SMTP(configured.smtp_host, configured.smtp_port, timeout=30) as smtp:
        if configured.smtp_starttls:
            smtp.starttls()
        if configured.smtp_user:
            smtp.login(configured.smtp_user, configured.smtp_password.get_secret_value())
        for message in messages:
            smtp.send_message(message)
