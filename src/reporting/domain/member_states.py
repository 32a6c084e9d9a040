"""Countries as the organisation writes them: name ↔ ISO 3166-1 alpha-3, and which of them are member
States, each in its one ILO region.

The member States are data, `member_states.csv` beside this module (the ILO's published list by region,
see its header): an ISO code is not enough to be counted, since ISO 3166 also codes territories (Puerto
Rico, Greenland, Antarctica) and States that are not members. Names are resolved through pycountry
(English names, official and common names, and the French and Spanish names of its translation
catalogues, since offices write in those languages), the member States' names as the ILO writes them,
plus the usual names of the organisation's documents that ISO spells differently ("Turkey", "Republic of
Korea", "Lao PDR", "occupied Palestinian territory"). Matching ignores case, accents, punctuation and
spacing.
"""

from __future__ import annotations

import csv
import gettext
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd
import pycountry

MEMBER_STATES_FILE = "member_states.csv"

# The organisation's usual names (and common variants) that pycountry does not resolve by itself.
USUAL_NAMES: dict[str, str] = {
    "Turkey": "TUR",
    "Republic of Korea": "KOR",
    "Korea": "KOR",
    "South Korea": "KOR",
    "Democratic People's Republic of Korea": "PRK",
    "Lao PDR": "LAO",
    "Laos": "LAO",
    "Viet Nam": "VNM",
    "Vietnam": "VNM",
    "Moldova": "MDA",
    "Republic of Moldova": "MDA",
    "Côte d'Ivoire": "CIV",
    "Ivory Coast": "CIV",
    "Bolivia": "BOL",
    "Plurinational State of Bolivia": "BOL",
    "Venezuela": "VEN",
    "Bolivarian Republic of Venezuela": "VEN",
    "Iran": "IRN",
    "Islamic Republic of Iran": "IRN",
    "Iran (Islamic Republic of)": "IRN",
    "Tanzania": "TZA",
    "United Republic of Tanzania": "TZA",
    "Democratic Republic of the Congo": "COD",
    "DR Congo": "COD",
    "Republic of the Congo": "COG",
    "Syria": "SYR",
    "occupied Palestinian territory": "PSE",
    "Occupied Palestinian Territories": "PSE",
    "Palestine": "PSE",
    "State of Palestine": "PSE",
    "The former Yugoslav Republic of Macedonia": "MKD",
    "Macedonia": "MKD",
    "North Macedonia": "MKD",
    "Russia": "RUS",
    "Russian Federation": "RUS",
    "Czech Republic": "CZE",
    "Swaziland": "SWZ",
    "Cape Verde": "CPV",
    "Micronesia": "FSM",
    "Micronesia (Federated States of)": "FSM",
    "Federated States of Micronesia": "FSM",
    "Gambia": "GMB",
    "The Gambia": "GMB",
    "Bahamas": "BHS",
    "The Bahamas": "BHS",
    "United Kingdom": "GBR",
    "United States": "USA",
    "United States of America": "USA",
    "Burma": "MMR",
    "Brunei": "BRN",
    "East Timor": "TLS",
    "Hong Kong, China": "HKG",
    "Macau, China": "MAC",
    "Netherlands": "NLD",
    "Holland": "NLD",
    "Kyrgyz Republic": "KGZ",
    "Slovak Republic": "SVK",
    "Saint Vincent and Grenadines": "VCT",
    "Sao Tome and Principe": "STP",
    "Cabo Verde": "CPV",
}

_PUNCTUATION = re.compile(r"[^\w]+")


def name_key(name: str) -> str:
    """What two spellings of a name must share to be the same name: no case, accents, punctuation."""
    decomposed = unicodedata.normalize("NFKD", name.replace("’", "'"))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _PUNCTUATION.sub(" ", letters).strip().removeprefix("the ")


@dataclass(frozen=True)
class MemberState:
    iso3: str
    name: str
    ilo_region: str


@cache
def member_states() -> dict[str, MemberState]:
    """The organisation's member States by alpha-3 code, read from the data file shipped with the package."""
    text = resources.files("reporting.domain").joinpath(MEMBER_STATES_FILE).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row["iso3"]: MemberState(**row) for row in rows}


@cache
def member_state_codes() -> frozenset[str]:
    """The alpha-3 codes of the member States: the only CPO code letters that are counted."""
    return frozenset(member_states())


@cache
def iso_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-3 code: CPO code letters outside this set mark regional or global CPOs,
    letters inside it but not a member State's mark a territory or a non-member, never counted."""
    return frozenset(country.alpha_3 for country in pycountry.countries)


@cache
def _names() -> dict[str, str]:
    """name key → alpha-3, from pycountry in English, French and Spanish, the member States' names as
    the ILO writes them, then the usual names."""
    english = {
        getattr(country, attr): country.alpha_3
        for country in pycountry.countries
        for attr in ("alpha_3", "name", "official_name", "common_name")
        if getattr(country, attr, None)
    }
    names: dict[str, str] = {}
    for language in ("en", "fr", "es"):  # English first: a translation never shadows an English name
        translate = gettext.translation(
            "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
        )
        for name, code in english.items():
            names.setdefault(name_key(translate.gettext(name)), code)
    names.update({name_key(state.name): code for code, state in member_states().items()})
    names.update({name_key(name): code for name, code in USUAL_NAMES.items()})
    return names


def country_code(name: str) -> str | None:
    """The alpha-3 code of a country name as offices write it, or None when it is not a country."""
    return _names().get(name_key(name))


def country_name(code: str) -> str:
    """A member State's name as the ILO writes it, else the ISO short name of the code (for messages)."""
    if state := member_states().get(code):
        return state.name
    country = pycountry.countries.get(alpha_3=code)
    return str(country.name) if country else code


@cache
def _region_of() -> dict[str, str]:
    return {code: state.ilo_region for code, state in member_states().items()}


def region_of(code: str) -> str | None:
    """The ILO region of a member State's alpha-3 code (None for any other code)."""
    return _region_of().get(code)


def country_codes(countries: pd.Series[str]) -> pd.Series[str]:
    """Vectorised `country_code`: the alpha-3 code of each country name (NA when not a country)."""
    uniques = pd.unique(countries)
    lookup = {u: country_code(str(u)) for u in uniques}
    return countries.map(lookup).astype("str")


def regions_of(codes: pd.Series[str]) -> pd.Series[str]:
    """Vectorised `region_of` over alpha-3 codes (NA where the code is not a member State's)."""
    return codes.map(_region_of()).astype("str")
