"""The report's language: English, French or Spanish edition.

The fixed wording of the templates and of the code (headings, table headers, region and typology names)
is translated through gettext catalogs, templates/locale/<language>/LC_MESSAGES/reporting.po, which
translators edit; they are compiled with Babel when first used, so no compiled .mo file goes stale.
English is the catalogs' source language: its edition uses the messages as written. Dates and numbers
are formatted by Babel in the edition's locale. Submission texts are never translated."""

from __future__ import annotations

import gettext
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import IO, Any

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from jinja2.ext import babel_extract

from reporting.resources import templates_dir
from reporting.vocabulary import EVIDENCE_TYPOLOGIES, OUTPUT_TYPOLOGIES, REGIONS

LANGUAGES = ("en", "fr", "es")
DEFAULT_LANGUAGE = "en"
DOMAIN = "reporting"
LANGUAGE_NAMES = {"en": "English", "fr": "French", "es": "Spanish"}
_LOCALES = {"en": "en_GB", "fr": "fr_FR", "es": "es_ES"}
"""Babel locales for dates and numbers: British English ("2 December 2026", as the ILO writes it)."""


def N_(message: str) -> str:
    """Marks a message for the catalogs (pybabel extracts N_) where it is written; it is translated
    where it is shown."""
    return message


def locale_dir() -> Path:
    """Where the catalogs live: templates/locale/<language>/LC_MESSAGES/reporting.po."""
    return templates_dir() / "locale"


def catalog_path(language: str) -> Path:
    return locale_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@dataclass(frozen=True)
class Edition:
    """One language of the report: its translations, dates and numbers."""

    language: str
    translations: gettext.NullTranslations

    @property
    def locale(self) -> str:
        return _LOCALES[self.language]

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations.ngettext(singular, plural, count)

    def date(self, day: date) -> str:
        """'2 December 2026', '2 décembre 2026', '2 de diciembre de 2026'."""
        return format_date(day, format="long", locale=self.locale)

    def number(self, value: int) -> str:
        """A count as the language writes it ('1,234', '1 234', '1.234')."""
        return format_decimal(value, locale=self.locale)

    def typeset(self, text: str) -> str:
        """A text written in the edition's language, typeset as the rest of the edition: in French,
        typographic apostrophes (main-d’œuvre) and a no-break space before : ; ? ! » and after «
        where a space is typed (never added where none is: "7.1:", "http://"). Never a submission's
        text: those are shown as written."""
        if self.language != "fr":
            return text
        text = _FRENCH_SPACE_BEFORE.sub(NO_BREAK_SPACE, text.replace("'", "’"))
        return _FRENCH_SPACE_AFTER.sub(NO_BREAK_SPACE, text)


NO_BREAK_SPACE = "\u00a0"
_FRENCH_SPACE_BEFORE = re.compile(r"[ \u202f]+(?=[:;?!»])")
_FRENCH_SPACE_AFTER = re.compile(r"(?<=«)[ \u202f]+")


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r}: the report is written in {', '.join(LANGUAGES)}")
    return language


@cache
def edition(language: str = DEFAULT_LANGUAGE) -> Edition:
    """The edition of `language`; English needs no catalog (its messages are the source text)."""
    check_language(language)
    if language == DEFAULT_LANGUAGE:
        return Edition(language, gettext.NullTranslations())
    return Edition(language, compiled_catalog(catalog_path(language), language))


def compiled_catalog(po: Path, language: str) -> gettext.GNUTranslations:
    """A .po file compiled in memory (fuzzy entries left out, as msgfmt does)."""
    with po.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


# ---- extraction (pybabel extract, see babel.cfg and `make i18n`) ---------------------------------------

_XML_TAG = re.compile(r"<[^>]+>")
_DOCX_PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml")
_DOCXTPL_TAG = re.compile(r"(\{%|\{\{)(?:p|tr|tc|r) ")
_XML_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&amp;": "&"}
_IN_TAG = re.compile(r"(?<=\{[{%])(.*?)(?=[}%]\})")
_STRAIGHT_QUOTES = str.maketrans("‘’“”", "''\"\"")


def docx_template_text(docx: IO[bytes]) -> str:
    """The jinja2 text of a Word template: the XML of its body, headers and footers without the tags
    (docxtpl joins a tag split over runs the same way), one line per paragraph, docxtpl's `{%p`, `{%tr`,
    `{%tc` and `{{r` written as plain jinja2; quotes inside a tag made straight, as docxtpl does before it
    renders (Word types curly quotes), so a message is extracted as the template will ask for it."""
    with zipfile.ZipFile(docx) as package:
        parts = [package.read(n).decode("utf-8") for n in package.namelist() if _DOCX_PARTS.fullmatch(n)]
    text = "\n".join(_XML_TAG.sub("", part.replace("</w:p>", "\n")) for part in parts)
    text = re.sub("|".join(_XML_ENTITIES), lambda m: _XML_ENTITIES[m.group(0)], text)
    text = _IN_TAG.sub(lambda m: m.group(0).translate(_STRAIGHT_QUOTES), text)
    return _DOCXTPL_TAG.sub(r"\1 ", text)


def extract_docx(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str, Any, list[str]]]:
    """Babel extraction method for .docx templates: the `{{ _('…') }}` messages of the Word template."""
    text = io.BytesIO(docx_template_text(fileobj).encode("utf-8"))
    yield from babel_extract(text, keywords, comment_tags, {**options, "extensions": "jinja2.ext.i18n"})


def extract_vocabulary(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str, Any, list[str]]]:
    """Babel extraction method for the contract's names shown in the report (regions, typologies) and
    the messages of the rules that set a row aside (annex 2): they are translated by name or message, so
    the catalog lists each one."""
    for name in dict.fromkeys((*REGIONS, *EVIDENCE_TYPOLOGIES, *OUTPUT_TYPOLOGIES)):
        yield 1, "gettext", name, ["Contract vocabulary (reporting.vocabulary)"]
    import reporting.schemas  # noqa: F401  (declares the rules)
    from reporting.schemas.rules import RULES

    for rule in RULES.values():
        if rule.sets_aside:
            yield 1, "gettext", rule.message, [f"Why a row is set aside (annex 2): rule {rule.name}"]
