"""The weekly reminder, taken to people: a short summary for the alert webhook, and an e-mail to each
region's reviewers listing what awaits them.

E-mail goes through the standard library's `smtplib`, not Prefect's `prefect-email` integration: one
plain message per reviewer needs no block, no extra dependency (and its pins) in requirements.lock, and
the SMTP settings stay with the project's other settings (REPORTING_SMTP_…), the password a `SecretStr`.

Who reviews which region is, for now, a YAML file (REPORTING_REVIEWERS_FILE) read into a plain mapping
region → reviewers; the people directory (name, roles, regions) will give the same mapping once merged.
"""

from __future__ import annotations

import shlex
import smtplib
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import yaml

from reporting.review.reminder import awaiting_decision
from reporting.settings import Settings


class Reviewer(NamedTuple):
    name: str
    email: str


Reviewers = Mapping[str, Sequence[Reviewer]]
"""Region → the people who review its results."""


def reviewers_by_region(path: Path) -> dict[str, list[Reviewer]]:
    """The reviewers file: each region maps to a list of `{name, email}`, e.g.

    Africa:
      - {name: Amina Diallo, email: amina.diallo@example.org}
    """
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected each region mapped to a list of {{name, email}}")
    found: dict[str, list[Reviewer]] = {}
    for region, people in document.items():
        if not isinstance(people, list) or not all(
            isinstance(p, dict) and p.get("name") and "@" in str(p.get("email", "")) for p in people
        ):
            raise ValueError(f"{path}: region {region!r} needs a list of {{name, email}}")
        found[str(region)] = [Reviewer(str(p["name"]), str(p["email"])) for p in people]
    return found


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
