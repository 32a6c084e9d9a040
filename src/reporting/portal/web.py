"""The web side of the portal: sessions, CSRF tokens, security headers and who is signed in.

Sessions live in the portal's memory (a restart signs everyone out): a random token in an HttpOnly,
SameSite=Lax cookie (Secure when `REPORTING_PORTAL_SECURE_COOKIES`), each with its own CSRF token that
every POST must carry, ending after `REPORTING_PORTAL_SESSION_MINUTES`. Behind a single sign-on proxy the
person comes from a header (`REPORTING_PORTAL_USER_HEADER`) believed only from the addresses listed in
`REPORTING_PORTAL_TRUSTED_PROXIES`.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

COOKIE = "reporting_portal"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class PortalSettings(BaseSettings):
    """The portal's own settings (`REPORTING_PORTAL_…`)."""

    model_config = SettingsConfigDict(env_prefix="REPORTING_PORTAL_", env_ignore_empty=True, frozen=True)

    session_minutes: float = Field(default=480, gt=0, description="A session ends so long after sign-in.")
    secure_cookies: bool = Field(
        default=False, description="Mark the session cookie Secure: set it when the portal is behind https."
    )
    trusted_proxies: str = Field(
        default="", description="Comma-separated addresses of the single sign-on proxy (none: no SSO)."
    )
    user_header: str = Field(default="X-Remote-User", description="The header the proxy names the person in.")
    url: str = Field(
        default="",
        description="The portal's web address (https://…): the report artifacts in Prefect link there.",
    )
    upload_max_mb: float = Field(default=20, gt=0, description="The largest file a submitter may upload.")

    def upload_max_bytes(self) -> int:
        return int(self.upload_max_mb * 1_000_000)

    def proxies(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.trusted_proxies.split(",") if a.strip())


@dataclass
class Session:
    token: str
    csrf: str
    expires: datetime
    name: str | None = None
    language: str | None = None
    """Chosen before signing in (a signed-in person's choice is kept with their name: portal/language.py)."""
    notices: list[str] = field(default_factory=list)
    """Messages for the next page (after a redirect)."""


class Sessions:
    """The open sessions, by token; an expired one is gone when next asked for."""

    def __init__(self, lifetime: timedelta) -> None:
        self.lifetime = lifetime
        self._open: dict[str, Session] = {}
        self._lock = threading.Lock()

    def get(self, token: str | None) -> Session | None:
        with self._lock:
            session = self._open.get(token or "")
            if session is not None and session.expires <= datetime.now(UTC):
                del self._open[session.token]
                return None
            return session

    def start(self, name: str | None = None) -> Session:
        """A new session (a new token at sign-in: a token known before it is worth nothing after)."""
        session = Session(
            token=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            expires=datetime.now(UTC) + self.lifetime,
            name=name,
        )
        with self._lock:
            now = datetime.now(UTC)
            for ended in [s.token for s in self._open.values() if s.expires <= now]:
                del self._open[ended]  # sessions never asked for again do not pile up
            self._open[session.token] = session
        return session

    def __len__(self) -> int:
        return len(self._open)

    def end(self, token: str) -> None:
        with self._lock:
            self._open.pop(token, None)


def csrf_matches(session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf.encode(), (sent or "").encode())
