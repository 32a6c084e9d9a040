"""The weekly review reminder reaches people: a one-line summary (for the alert webhook) and an e-mail to
each region's reviewers with their own list, sent to an SMTP server started here (aiosmtpd)."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message
from typing import Any

import pandas as pd
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from reporting import people
from reporting.review.notify import Reviewer, reminder_messages, reminder_summary, reviewers_by_region, send
from reporting.settings import Settings
from tests.prefect_stack import smtp_server

NOW = datetime(2028, 2, 1, tzinfo=UTC)
RESULTS = pd.DataFrame(
    {
        "region": ["Africa", "Africa", "Americas", "Africa"],
        "cpo_code": ["TUN129", "NGA904", "BRA101", "SHA127"],
        "indicator": ["7.1", "7.1", "7.2", "7.1"],
        "country": ["Tunisia", "Nigeria", "Brazil", "Southern Africa"],
        "status": ["submitted", "returned", "submitted", "approved"],
        "comment": ["", "Which\nministry?", "", ""],
        "changed_at": pd.to_datetime(["2028-01-20", "2028-01-10", "2028-01-15", "2028-01-01"], utc=True),
    }
)
REVIEWERS = {
    "Africa": [Reviewer("Amina Diallo", "amina@example.org"), Reviewer("Kofi Mensah", "kofi@example.org")],
    "Americas": [Reviewer("Lucía Pérez", "lucia@example.org")],
}


class _Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], Message]] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret")


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Inbox]]:
    """An SMTP server that takes the login `s3cret` without TLS: its port and what it received."""
    inbox = _Inbox()
    with smtp_server(inbox, authenticator=inbox, auth_require_tls=False) as port:
        yield port, inbox


def test_the_people_directory_gives_each_regions_reviewers_with_an_address() -> None:
    directory = people.Directory(
        people=(
            people.Person(
                name="Amina Diallo", roles=("reviewer",), regions=("Africa",), email="amina@example.org"
            ),
            people.Person(
                name="Lucía Pérez", roles=("reviewer",), regions=("all",), email="lucia@example.org"
            ),
            people.Person(name="No Address", roles=("reviewer",), regions=("all",)),
            people.Person(name="Chief", roles=("signer",), email="chief@example.org"),
        )
    )
    assert reviewers_by_region(directory, ["Africa", "Americas"]) == {
        "Africa": [
            Reviewer("Amina Diallo", "amina@example.org"),
            Reviewer("Lucía Pérez", "lucia@example.org"),
        ],
        "Americas": [Reviewer("Lucía Pérez", "lucia@example.org")],
    }
    with pytest.raises(ValueError, match="email"):
        people.Person(name="Typo", roles=("reviewer",), email="not an address")


def test_the_summary_counts_what_awaits_a_decision_per_region() -> None:
    assert reminder_summary("2026-27", RESULTS) == (
        "Review of 2026-27: 3 result(s) awaiting a decision (Africa 2, Americas 1)."
    )
    approved = RESULTS.assign(status="approved")
    assert reminder_summary("2026-27", approved) == "Review of 2026-27: every result has been approved."


def test_each_reviewer_gets_their_own_regions_list(smtp: tuple[int, _Inbox]) -> None:
    port, inbox = smtp
    configured = Settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        smtp_sender="reporting@example.org",
        smtp_user="reporting",
        smtp_password="s3cret",  # type: ignore[arg-type]  # pydantic turns it into a SecretStr
    )
    assert "s3cret" not in repr(configured)
    send(reminder_messages("2026-27", RESULTS, NOW, REVIEWERS, configured.smtp_sender), configured)

    assert inbox.logins == [(b"reporting", b"s3cret")]
    by_recipient = {tuple(to): message for to, message in inbox.received}
    assert set(by_recipient) == {("amina@example.org",), ("kofi@example.org",), ("lucia@example.org",)}
    amina = by_recipient[("amina@example.org",)]
    assert amina["From"] == "reporting@example.org"
    assert amina["Subject"] == "Review of 2026-27: 2 result(s) of Africa await you"
    body = amina.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert body.splitlines()[:5] == [
        "Dear Amina Diallo,",
        "",
        "2 result(s) of Africa await your decision in the review of 2026-27:",
        "",
        "- NGA904 (7.1, Nigeria): returned since 2028-01-10, 22 day(s) - Which ministry?",
    ]
    assert "TUN129" in body and "BRA101" not in body and "SHA127" not in body  # approved: not listed
    assert "reporting review list --biennium 2026-27 --region Africa shows them." in body
    lucia = by_recipient[("lucia@example.org",)].get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert "Dear Lucía Pérez," in lucia and "BRA101" in lucia and "TUN129" not in lucia


def test_a_region_without_reviewers_gets_no_mail() -> None:
    messages = reminder_messages(
        "2026-27", RESULTS, NOW, {"Americas": REVIEWERS["Americas"]}, "r@example.org"
    )
    assert [m["To"] for m in messages] == ["Lucía Pérez <lucia@example.org>"]
