"""The portal's language, chosen per person: English, French or Spanish, from the same gettext catalogs
as the report (templates/locale/<language>/LC_MESSAGES/reporting.po; `make i18n` collects the portal's
messages with the report's). A person's choice is kept in the portal's folder
(`<data>/portal/languages.json`); before choosing, the first of their directory languages that the portal
speaks, else English. The language of the request being answered is a context variable, set by the
portal's middleware, so that messages written in Python (`_`) are translated for the person asking."""

from __future__ import annotations

import json
import threading
from contextvars import ContextVar
from pathlib import Path

from reporting import people, settings
from reporting.report.edition import DEFAULT_LANGUAGE, LANGUAGES, edition

NAMES = {"en": "English", "fr": "Français", "es": "Español"}
"""Each language in its own words (the picker shows them untranslated)."""

current: ContextVar[str] = ContextVar("portal_language", default=DEFAULT_LANGUAGE)
_saving = threading.Lock()


def _(message: str) -> str:
    """`message` in the language of the request being answered."""
    return edition(current.get()).gettext(message)


def _choices() -> Path:
    return settings.data_dir() / "portal" / "languages.json"


def _chosen() -> dict[str, str]:
    try:
        found = json.loads(_choices().read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def of(person: people.Person) -> str:
    """The language the person chose, else their first directory language the portal speaks."""
    chosen = _chosen().get(person.name)
    if chosen in LANGUAGES:
        return chosen
    return next((lang for lang in person.languages if lang in LANGUAGES), DEFAULT_LANGUAGE)


def choose(person: people.Person, language: str) -> None:
    """Keep the person's choice (written beside and renamed into place)."""
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r}: the portal speaks {', '.join(LANGUAGES)}")
    with _saving:
        choices = _chosen() | {person.name: language}
        target = settings.private_folder(_choices().parent) / _choices().name
        partial = target.with_suffix(".partial")
        partial.write_text(json.dumps(choices, ensure_ascii=False, indent=1), encoding="utf-8")
        partial.replace(target)


def ngettext(singular: str, plural: str, count: int) -> str:
    return edition(current.get()).ngettext(singular, plural, count)
