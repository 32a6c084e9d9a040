"""Countries as the organisation writes them: name ↔ ISO 3166-1 alpha-3, and the ILO region of each.

Names are resolved through pycountry (English names, official and common names, and the French and
Spanish names of its translation catalogues, since offices write in those languages), plus the usual
names of the organisation's documents that ISO spells differently ("Turkey", "Republic of Korea",
"Lao PDR", "occupied Palestinian territory"). Matching ignores case, accents, punctuation and spacing.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from functools import cache

import pandas as pd
import pycountry

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

# The five regions of the organisation: the ISO alpha-3 codes (space-separated) of the member
# States, and of a few non-member States and territories offices report on. Codes absent: not checked.
ILO_REGIONS: dict[str, str] = {
    "Africa": (
        "DZA AGO BEN BWA BFA BDI CPV CMR CAF TCD COM COG COD CIV DJI EGY GNQ ERI SWZ ETH GAB GMB GHA GIN GNB "
        "KEN LSO LBR LBY MDG MWI MLI MRT MUS MAR MOZ NAM NER NGA RWA STP SEN SYC SLE SOM ZAF SSD SDN TZA TGO "
        "TUN UGA ZMB ZWE ESH"
    ),
    "Americas": (
        "ATG ARG BHS BRB BLZ BOL BRA CAN CHL COL CRI CUB DMA DOM ECU SLV GRD GTM GUY HTI HND JAM MEX NIC PAN "
        "PRY PER KNA LCA VCT SUR TTO USA URY VEN PRI ABW CUW SXM AIA MSR VGB CYM TCA BMU"
    ),
    "Arab States": "BHR IRQ JOR KWT LBN OMN QAT SAU SYR ARE YEM PSE",
    "Asia and the Pacific": (
        "AFG AUS BGD BTN BRN KHM CHN COK FJI IND IDN IRN JPN KIR LAO MYS MDV MHL FSM MNG MMR NRU NPL NZL NIU "
        "PAK PLW PNG PHL KOR PRK WSM SGP SLB LKA THA TLS TON TUV VUT VNM HKG MAC TWN"
    ),
    "Europe and Central Asia": (
        "ALB AND ARM AUT AZE BLR BEL BIH BGR HRV CYP CZE DNK EST FIN FRA GEO DEU GRC HUN ISL IRL ISR ITA KAZ "
        "KGZ LVA LIE LTU LUX MLT MDA MCO MNE NLD MKD NOR POL PRT ROU RUS SMR SRB SVK SVN ESP SWE CHE TJK TUR "
        "TKM UKR GBR UZB"
    ),
}

_PUNCTUATION = re.compile(r"[^\w]+")


def name_key(name: str) -> str:
    """What two spellings of a name must share to be the same name: no case, accents, punctuation."""
    decomposed = unicodedata.normalize("NFKD", name.replace("’", "'"))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _PUNCTUATION.sub(" ", letters).strip().removeprefix("the ")


@cache
def member_state_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-3 codes: CPO code letters outside this set mark regional or global CPOs."""
    return frozenset(country.alpha_3 for country in pycountry.countries)


@cache
def _names() -> dict[str, str]:
    """name key → alpha-3, from pycountry in English, French and Spanish, then the usual names."""
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
    names.update({name_key(name): code for name, code in USUAL_NAMES.items()})
    return names


def country_code(name: str) -> str | None:
    """The alpha-3 code of a country name as offices write it, or None when it is not a country."""
    return _names().get(name_key(name))


def country_name(code: str) -> str:
    """The ISO short name of an alpha-3 code (for messages)."""
    country = pycountry.countries.get(alpha_3=code)
    return str(country.name) if country else code


@cache
def _region_of() -> dict[str, str]:
    return {code: region for region, codes in ILO_REGIONS.items() for code in codes.split()}


def region_of(code: str) -> str | None:
    """The ILO region of a member State's alpha-3 code (None when the table does not list it)."""
    return _region_of().get(code)


def country_codes(countries: pd.Series[str]) -> pd.Series[str]:
    """Vectorised `country_code`: the alpha-3 code of each country name (NA when not a country)."""
    uniques = pd.unique(countries)
    lookup = {u: country_code(str(u)) for u in uniques}
    return countries.map(lookup).astype("str")


def regions_of(codes: pd.Series[str]) -> pd.Series[str]:
    """Vectorised `region_of` over alpha-3 codes (NA when the table does not list the code)."""
    return codes.map(_region_of()).astype("str")
