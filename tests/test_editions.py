"""The English, French and Spanish editions: every fixed wording translated, the same figures in each,
framework texts in the edition's language where given, English where not (said in an advice finding)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from reporting.errors import PackageError
from reporting.framework import in_language, parse_framework
from reporting.report.edition import LANGUAGES, catalog_path, edition, locale_dir
from reporting.report.narrative import indicator_paragraphs, member_states_text
from tests.conftest import SAMPLE

CHECKOUT = Path(__file__).resolve().parents[1]
TRANSLATED = [language for language in LANGUAGES if language != "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def extracted_messages() -> set[str]:
    """What `make i18n` extracts: the Word and text templates, the contract's names, the code."""
    with (locale_dir() / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(str(CHECKOUT), method_map, options_map)
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


@pytest.fixture(scope="module")
def messages() -> set[str]:
    return extracted_messages()


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_of_the_templates_and_code_is_translated(messages: set[str], language: str) -> None:
    with catalog_path(language).open("rb") as source:
        catalog = read_po(source, locale=language)
    entries = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    assert messages - set(entries) == set(), f"not in the {language} catalog: run make i18n and translate"
    assert set(entries) - messages == set(), f"{language} catalog has messages no template uses: make i18n"
    for message in entries.values():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(s.strip() for s in strings) and not message.fuzzy, f"untranslated: {message.id!r}"
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == wanted, f"{language}: placeholders of {message.id!r}"


def test_the_catalog_template_is_what_the_sources_give(messages: set[str]) -> None:
    with (locale_dir() / "reporting.pot").open("rb") as source:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(source) if m.id}
    assert template == messages, "templates/locale/reporting.pot is stale: make i18n"


def test_region_names_as_the_organisation_writes_them() -> None:
    regions = ["Africa", "Americas", "Arab States", "Asia and the Pacific", "Europe and Central Asia"]
    assert [edition("fr").gettext(r) for r in regions] == [
        "Afrique",
        "Amériques",
        "États arabes",
        "Asie et Pacifique",
        "Europe et Asie centrale",
    ]
    assert [edition("es").gettext(r) for r in regions] == [
        "África",
        "Américas",
        "Estados Árabes",
        "Asia y el Pacífico",
        "Europa y Asia Central",
    ]


def test_counts_by_region_are_worded_with_the_grammar_of_each_language() -> None:
    fr = [("Afrique", 2), ("Amériques", 1), ("États arabes", 1), ("Asie et Pacifique", 3)]
    assert member_states_text(7, fr, "fr") == (
        "7 États membres, dont 2 en Afrique, 1 dans les Amériques, 1 dans les États arabes, "
        "3 en Asie et dans le Pacifique"
    )
    assert member_states_text(1, [("Afrique", 1)], "fr") == "1 État membre, en Afrique"
    assert member_states_text(0, [], "fr") == "aucun État membre"
    es = [("África", 2), ("Américas", 1), ("Estados Árabes", 1)]
    assert member_states_text(4, es, "es") == (
        "4 Estados miembros, de los cuales 2 en África, 1 en las Américas, 1 en los Estados Árabes"
    )
    assert member_states_text(1, [("África", 1)], "es") == "1 Estado miembro, en África"
    assert member_states_text(2, [("Africa", 2)], "en") == "2 member States, in Africa"


def test_the_narrative_of_an_indicator_in_french_and_spanish() -> None:
    row = {
        "id": "7.1",
        "target": 8,
        "achieved": 5,
        "achieved_text": "",
        "above": [{"region": "Afrique", "achieved": 3, "target": 2}],
        "below": [],
        "regional_cpos": 1,
        "previous": 4,
    }
    (fr,) = indicator_paragraphs(row, "2012-13", "fr")
    assert fr.startswith(
        "Le nombre de résultats obtenus au titre de l'indicateur 7.1 reste en deçà de la cible"
    )
    assert "Régions ayant dépassé leur cible\u00a0: Afrique (3 pour une cible de 2)." in fr
    assert "1 résultat de programme par pays (RPP) régional" in fr and fr.endswith("était de 4.")
    (es,) = indicator_paragraphs({**row, "above": [], "regional_cpos": 2}, None, "es")
    assert "no alcanza la meta (5 frente a una meta de 8)" in es
    assert "2 resultados de programas por país (RPP) regionales" in es


def test_dates_and_numbers_as_each_language_writes_them() -> None:
    from datetime import date

    day = date(2026, 12, 2)
    assert [edition(language).date(day) for language in LANGUAGES] == [
        "2 December 2026",
        "2 décembre 2026",
        "2 de diciembre de 2026",
    ]
    assert [edition(language).number(12345) for language in LANGUAGES] == ["12,345", "12\u202f345", "12.345"]


def sample_framework() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((SAMPLE / "framework.yaml").read_text(encoding="utf-8"))


def test_framework_texts_in_several_languages_fall_back_to_english() -> None:
    raw = sample_framework()
    raw["outcomes"][0]["title"] = {"en": "Labour migration", "fr": "Migrations de main-d'œuvre"}
    framework = parse_framework(yaml.safe_dump(raw, allow_unicode=True))
    title = framework.outcomes[0].title
    assert title == "Labour migration"  # what counting, storage and findings read
    assert in_language(title, "fr") == "Migrations de main-d'œuvre"
    assert in_language(title, "es") == "Labour migration"
    assert "outcome 7 title" not in framework.untranslated("fr")
    assert "outcome 7 title" in framework.untranslated("es")
    assert framework.untranslated("en") == []


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ({"fr": "Migrations"}, "give the English text"),
        ({"en": "Labour migration", "de": "Arbeitsmigration"}, "languages are en, fr, es"),
        ({"en": ""}, "at least 1 character"),
    ],
)
def test_a_malformed_translated_title_is_refused(title: object, message: str) -> None:
    raw = sample_framework()
    raw["outcomes"][0]["title"] = title
    with pytest.raises(PackageError, match=message):
        parse_framework(yaml.safe_dump(raw, allow_unicode=True))


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="en, fr, es"):
        edition("de")
