"""The English, French and Spanish editions: every fixed wording translated, the same figures in each,
framework texts in the edition's language where given, English where not (said in an advice finding)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from reporting.errors import PackageError
from reporting.framework import in_language, parse_framework
from reporting.report.edition import LANGUAGES, catalog_path, edition, locale_dir
from reporting.report.narrative import indicator_paragraphs, member_states_text
from reporting.report.render import markdown_escape
from tests.conftest import SAMPLE
from tests.report_packages import Built, build, rich_package

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
        "Le nombre de résultats obtenus au titre de l’indicateur 7.1 reste en deçà de la cible"
    )
    assert "Régions ayant dépassé leur cible\u00a0: Afrique (3 pour une cible de 2)." in fr
    assert "1 résultat de programme par pays (RPP) régional" in fr and fr.endswith("était de 4.")
    (es,) = indicator_paragraphs({**row, "above": [], "regional_cpos": 2}, None, "es")
    assert "no alcanza la meta (5 frente a una meta de 8)" in es
    assert "2 resultados de programas por país (RPP) regionales" in es


def test_dates_and_numbers_as_each_language_writes_them() -> None:
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


# ---- the sample built in the three languages -----------------------------------------------------------

DAY = date(2026, 12, 2)
SOURCE_WORDS = re.compile(r"[A-Za-z][A-Za-z' -]*[A-Za-z]")


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    """The package that uses every section of the report, built in each language."""
    root = tmp_path_factory.mktemp("editions")
    package = rich_package(root)
    return {
        language: build(package, root / language, generated_on=DAY, language=language)
        for language in LANGUAGES
    }


def docx_text(path: Path) -> str:
    """Every text of the Word report: body, tables, headers and footers."""
    with zipfile.ZipFile(path) as docx:
        parts = [docx.read(n).decode("utf-8") for n in docx.namelist() if re.fullmatch(r"word/\w+\.xml", n)]
    return html.unescape("\n".join(re.sub(r"<[^>]+>", "", part.replace("</w:p>", "\n")) for part in parts))


def submitted(context: dict[str, Any]) -> list[str]:
    """Every text of the context that a submitter wrote, longest first (not why a row was set aside:
    that is the edition's wording)."""
    keys = {"country", "title", "result", "contribution", "results", "text", "paragraphs", "file"}

    def walk(value: object, key: str = "") -> Iterator[str]:
        if isinstance(value, dict):
            for k, v in value.items():
                yield from walk(v, k)
        elif isinstance(value, list):
            for v in value:
                yield from walk(v, key)
        elif isinstance(value, str) and key in keys:
            yield value

    outcomes = context["outcomes"]
    texts = [
        *walk([[i["regions"] for i in o["indicators"]] for o in outcomes]),
        *walk([[o["examples"], o["lessons"], o["outputs"]] for o in outcomes]),
        *walk([context["lessons"], context["rejected"]]),
    ]
    return sorted({t for t in texts if t}, key=len, reverse=True)


ENGLISH_NARRATIVE = ("member State", " of which ", "against", "target", "Outcome ", "Indicator ")
"""Words of the English narrative templates (narrative/*.j2), which have no catalog."""
UNTRANSLATED = "Test outcome without targets"
"""rich_package's outcome 8: its framework gives the title in English only (shown in every edition)."""


def shown_wording(built: Built) -> list[str]:
    """The text of the edition's Word documents (the report first) and their Markdown, without what
    the submitters wrote (nor the framework's English-only title)."""
    files = built.files
    words = [docx_text(docx) for docx in files.documents]
    markdown = [
        m.read_text(encoding="utf-8") for m in (files.markdown, *(c.markdown for c in files.companions))
    ]
    for text in [*submitted(built.context), UNTRANSLATED]:
        words = [shown.replace(text, "") for shown in words]
        markdown = [shown.replace(markdown_escape(text), "") for shown in markdown]
    return [*words, *markdown]


def english_labels(messages: set[str], language: str) -> list[str]:
    """The English wording of every message that its translation changes, as the runs of words it is
    made of (placeholders split it): none may be left in that edition."""
    labels = []
    for message in messages:
        if edition(language).gettext(message) == message:
            continue  # the same in both languages ("Total", "Programmes")
        labels += [p for p in SOURCE_WORDS.findall(PLACEHOLDER.sub("|", message)) if " " in p]
    return labels


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_english_label_is_left_in_the_french_and_spanish_editions(
    editions: dict[str, Built], messages: set[str], language: str
) -> None:
    for text in shown_wording(editions[language]):
        left = sorted({label for label in english_labels(messages, language) if label in text})
        assert left == [], f"English left in the {language} edition: {left}"
        for english in ENGLISH_NARRATIVE:
            assert english not in text, f"{english!r} in the {language} edition"


def test_the_english_labels_are_found_in_the_english_edition(
    editions: dict[str, Built], messages: set[str]
) -> None:
    """The check above can fail: in the English edition it finds the labels."""
    text = "\n".join(shown_wording(editions["en"]))  # the report and its companions
    assert {"Summary of results", "Results by indicator", "Arab States"} <= {
        label for label in english_labels(messages, "fr") if label in text
    }
    assert all(english in text for english in ENGLISH_NARRATIVE)


def test_the_editions_show_the_same_figures(editions: dict[str, Built]) -> None:
    english = editions["en"]
    for language in TRANSLATED:
        built = editions[language]
        assert built.files.summary_csv.read_bytes() == english.files.summary_csv.read_bytes()
        assert built.files.evidence_csv is not None and english.files.evidence_csv is not None
        assert built.files.evidence_csv.read_bytes() == english.files.evidence_csv.read_bytes()
        for theirs, ours in zip(english.context["outcomes"], built.context["outcomes"], strict=True):
            assert [r["achieved"] for r in theirs["summary_rows"]] == [
                r["achieved"] for r in ours["summary_rows"]
            ]
            assert [r["target"] for r in theirs["summary_rows"]] == [
                r["target"] for r in ours["summary_rows"]
            ]
            assert theirs["chart"]["achieved"] == ours["chart"]["achieved"]
            assert [figures(r) for r in theirs["summary_rows"]] == [figures(r) for r in ours["summary_rows"]]
            assert examples(theirs) == examples(ours)


def examples(outcome: dict[str, Any]) -> list[tuple[str, str, int]]:
    """The country examples of an outcome: the same in every edition (listed in each one's order)."""
    return sorted(
        (e["indicator"], e["cpo"]["code"], e["criterion"]["number"]) for e in outcome["country_examples"]
    )


def test_every_edition_has_the_report_and_its_two_companions(editions: dict[str, Built]) -> None:
    for built in editions.values():
        files = built.files
        assert [c.kind for c in files.companions] == ["results", "audit"]
        assert all(path.is_file() for path in files.outputs)
        assert len({*files.documents}) == 3 and len({p.parent for p in files.outputs}) == 1


def figures(row: dict[str, Any]) -> list[tuple[int, str]]:
    """A Table 2 row: each region's figure and the annex block it links to."""
    return [(c["achieved"], c["bookmark"]) for c in row["by_region"].values()]


def submitted_texts(built: Built) -> list[object]:
    """What the submitters wrote, as the report shows it (country names are the edition's)."""
    return [
        (cpo["code"], cpo["title"], [(c["result"], c["contribution"]) for c in cpo["criteria"]])
        for o in built.context["outcomes"]
        for ind in o["indicators"]
        for region in ind["regions"]
        for cpo in region["cpos"]
    ] + [
        ([{**e, "country": ""} for e in o["examples"]], o["lessons"], [g["outputs"] for g in o["outputs"]])
        for o in built.context["outcomes"]
    ]


def test_submission_texts_are_the_same_in_every_edition(editions: dict[str, Built]) -> None:
    english = sorted(submitted_texts(editions["en"]), key=str)  # countries are listed in each one's order
    assert english and all(
        sorted(submitted_texts(editions[language]), key=str) == english for language in TRANSLATED
    )
    text = docx_text(editions["fr"].files.docx)
    assert "Une politique est en cours d'élaboration." not in text  # not reportable: not shown
    assert "Migrations de main-d’œuvre" in text and "Test outcome without targets" in text


def test_the_french_edition_reads_in_french(editions: dict[str, Built]) -> None:
    context = editions["fr"].context
    row = context["outcomes"][0]["summary_rows"][0]
    assert context["generated_on"] == "2 décembre 2026"
    assert context["regions"][2] == "États arabes" and "États arabes" in row["by_region"]
    assert row["achieved_text"].startswith(f"{row['achieved']} États membres, dont ")
    assert context["outcomes"][0]["title"].startswith("Migrations de main-d’œuvre")
    (atlantis,) = context["rejected"]  # why a row is set aside, in French (annex 2)
    assert atlantis["reason"].startswith("La région doit être l’une des cinq régions de l’OIT")
    assert editions["en"].context["rejected"][0]["reason"].startswith("The region must be one of:")
    spanish = editions["es"].context["outcomes"][0]["summary_rows"][0]
    assert spanish["achieved_text"].startswith(f"{spanish['achieved']} Estados miembros, de los cuales ")


def framework_texts(context: dict[str, Any]) -> list[str]:
    """The texts of framework.yaml as an edition shows them: outcome titles and statements, indicator
    titles, rules and criteria."""
    return [
        text
        for o in context["outcomes"]
        for text in (
            o["title"],
            o["statement"],
            *(row["title"] for row in o["summary_rows"]),
            *(ind["title"] for ind in o["counted"]),
            *(t for ind in o["indicators"] for t in (ind["title"], ind["reportability"])),
            *(c["text"] for ind in o["indicators"] for c in ind["criteria"]),
        )
    ]


def test_the_french_edition_typesets_the_framework_texts_and_never_a_submission(
    editions: dict[str, Built],
) -> None:
    """French from framework.yaml is written as the rest of the French edition: typographic apostrophes,
    a no-break space before a colon; the submitters' texts are shown as they wrote them."""
    french = framework_texts(editions["fr"].context)
    assert french[0].startswith("Migrations de main-d’œuvre\u00a0: davantage de travailleurs migrants")
    assert any(t.startswith("Nombre d’États membres qui, avec l’appui du BIT") for t in french)
    assert any("Cadre multilatéral de l’OIT" in t for t in french)
    assert not [t for t in french if "'" in t or re.search(r" [:;?!]", t)]
    assert "Test outcome without targets" in french  # no French given: the English, as written
    text = docx_text(editions["fr"].files.companions[0].docx)
    for written in ("main d'oeuvre", "Tunis : formation"):  # a submission's apostrophe and colon
        assert written in text and written in docx_text(editions["en"].files.companions[0].docx)
    assert framework_texts(editions["es"].context)[0].startswith("Migración laboral: más trabajadores")


def test_a_missing_framework_translation_is_an_advice_finding(editions: dict[str, Built]) -> None:
    for language, name in (("fr", "French"), ("es", "Spanish")):
        findings = editions[language].checked.findings
        advice = findings[findings["rule"] == "framework_translated"]
        assert list(advice["severity"]) == ["advice"]
        assert name in advice["message"].iloc[0] and "outcome 8 title" in advice["message"].iloc[0]
    english = editions["en"].checked.findings
    assert not (english["rule"] == "framework_translated").any()


@pytest.fixture(scope="module")
def edition_pdf_texts(editions: dict[str, Built], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The three Word editions converted by one LibreOffice run, read back with pdftotext."""
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or poppler is not installed (scripts/system-deps.sh installs them)")
    folder = tmp_path_factory.mktemp("edition-pdfs")
    docx = [shutil.copy(b.files.docx, folder / f"{language}.docx") for language, b in editions.items()]
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            *map(str, docx),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return {
        language: subprocess.run(
            ["pdftotext", str(folder / f"{language}.pdf"), "-"], check=True, capture_output=True, text=True
        ).stdout
        for language in editions
    }


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_edition_converts_in_libreoffice(edition_pdf_texts: dict[str, str], language: str) -> None:
    heading = {"en": "Table 1: Summary", "fr": "Tableau 1 : Synthèse", "es": "Cuadro 1: Resumen"}[language]
    # pdftotext may give no-break spaces as spaces
    assert heading in re.sub("[\u00a0\u202f]", " ", edition_pdf_texts[language])
