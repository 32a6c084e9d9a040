"""Country names in the edition's language, and lists of countries in the order the published report
gives them.

A member State is named as the United Nations name it (country_names.csv beside this module, where
that differs from CLDR's) or else by CLDR's name in the edition's language (Babel's territory names);
a name that is not a country's (a regional or global CPO's "Southern Africa") stays as submitted.
Countries are sorted by name in the edition's language: case and accents ignored (Unicode
decomposition, then casefold), which orders "Égypte" among the E's as French lists do, without the
system locales `locale.strxfrm` would need."""

from __future__ import annotations

import csv
import unicodedata
from functools import cache
from importlib import resources

import pycountry
from babel import Locale

from reporting.domain.member_states import country_code, member_states

NAMES_FILE = "country_names.csv"


@cache
def _official_names() -> dict[str, dict[str, str]]:
    """alpha-3 → language → the United Nations' short name."""
    text = resources.files("reporting.report").joinpath(NAMES_FILE).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row.pop("iso3"): row for row in rows}


@cache
def _territories(language: str) -> dict[str, str]:
    return dict(Locale.parse(language).territories)


@cache
def country_in(name: str, language: str) -> str:
    """The country a CPO or example names, as the edition's language writes it."""
    code = country_code(name)
    if code is None:
        return name
    if official := _official_names().get(code, {}).get(language):
        return official
    if language == "en" and code in member_states():
        return member_states()[code].name
    country = pycountry.countries.get(alpha_3=code)
    return _territories(language).get(country.alpha_2, name) if country else name


def name_order(name: str) -> str:
    """Sort key of a name: accents and case ignored ("Égypte" files under E)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
