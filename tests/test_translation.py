"""The report translated as the organisation translates: the French XLIFF of the sample exported,
filled by a translator, imported into the translation memory, and used by the French edition only; a
text changed since is exported again; what is left untranslated is tagged English and counted."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
import pytest
from translate.storage import xliff
from typer.testing import CliRunner

from reporting.cli import app
from reporting.errors import StrictModeError
from reporting.pipeline import Built, Store
from reporting.report.render import RESULTS
from reporting.report.translation import original_language
from reporting.report.xliff import MAX_BYTES, XliffError, read_xliff
from reporting.store.database import upgraded_engine
from reporting.store.review import audit_entries
from tests.report_packages import build

B = "2014-15"
PREFIX = "FR: "


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def export(package: Path, out: Path) -> list[xliff.Xliff1Unit]:
    result = CliRunner().invoke(
        app, ["translation", "export", B, "--language", "fr", "--out", str(out), "--package", str(package)]
    )
    assert result.exit_code == 0, result.output
    return list(xliff.xlifffile.parsestring(out.read_bytes()).unit_iter())


def fill(exported: Path, translated: Path) -> None:
    """What a translator's CAT tool returns: each unit with its target."""
    store = xliff.xlifffile.parsestring(exported.read_bytes())
    for unit in store.unit_iter():
        unit.target = PREFIX + unit.source
    translated.write_bytes(bytes(store))


def english_result(package: Path) -> tuple[pd.DataFrame, int, str]:
    """The evidence, and the first result written in English (the sample mixes three languages)."""
    evidence = pd.read_csv(package / "evidence" / "evidence.csv", dtype=str, keep_default_na=False)
    row = next(i for i, text in evidence["result_achieved"].items() if original_language(text) == "en")
    return evidence, row, evidence.loc[row, "result_achieved"].strip()


def results_companion(built: Built) -> Path:
    """The Word file that prints every CPO result in full: the companion "Results by indicator"."""
    return next(c.docx for c in built.files.companions if c.kind == RESULTS)


def docx_text(docx: Path) -> str:
    with zipfile.ZipFile(docx) as package:
        return package.read("word/document.xml").decode("utf-8")


def test_a_translated_xliff_is_used_by_the_french_edition_only(
    sample_package: Path, tmp_path: Path, store_url: str
) -> None:
    exported = tmp_path / "report-fr.xlf"
    units = export(sample_package, exported)
    assert b'version="1.2"' in exported.read_bytes()
    evidence, row, result = english_result(sample_package)
    assert result in {u.source for u in units}
    french = next(t for t in evidence["result_achieved"] if original_language(t) == "fr")
    assert french.strip() not in {u.source for u in units}  # already in the edition's language
    unit = next(u for u in units if u.source == result)
    assert unit.getnotes() and dict(unit.getcontextgroups("x-reporting")[0])["x-column"] == "result_achieved"

    where = Store(upgraded_engine(store_url), tmp_path / "archive")
    with pytest.raises(StrictModeError, match=r"passage\(s\) of the French edition have no translation"):
        build(sample_package, tmp_path / "strict", where=where, language="fr", strict=True)

    translated = tmp_path / "report-fr-done.xlf"
    fill(exported, translated)
    imported = CliRunner().invoke(app, ["translation", "import", str(translated), "--by", "Tina"])
    assert imported.exit_code == 0, imported.output
    assert f"{len(units)} translation(s) into fr kept" in imported.output
    assert "translations imported" in set(audit_entries(where.engine, B)["what"])

    french = build(sample_package, tmp_path / "fr", where=where, language="fr", strict=True)
    english = build(sample_package, tmp_path / "en", where=where, language="en")
    assert PREFIX + result in docx_text(results_companion(french))
    assert PREFIX not in docx_text(results_companion(english))
    assert french.context["untranslated"]["count"] == 0
    assert len(export(sample_package, tmp_path / "again.xlf")) == 0  # never the same sentence twice

    evidence.loc[row, "result_achieved"] = result + " Revised."
    evidence.to_csv(sample_package / "evidence" / "evidence.csv", index=False)
    stale = export(sample_package, tmp_path / "stale.xlf")
    assert [u.source for u in stale] == [result + " Revised."]


def test_an_untranslated_passage_is_tagged_english_and_counted_in_the_draft(
    sample_package: Path, tmp_path: Path, store_url: str
) -> None:
    where = Store(upgraded_engine(store_url), tmp_path / "archive")
    built = build(sample_package, tmp_path / "fr", where=where, language="fr", draft=True)
    count = built.context["untranslated"]["count"]
    assert count > 0
    _, _, result = english_result(sample_package)
    xml = docx_text(results_companion(built))
    run = xml[xml.rindex("<w:r>", 0, xml.index(result)) : xml.index(result)]
    assert '<w:lang w:val="en-' in run
    evidence = pd.read_csv(sample_package / "evidence" / "evidence.csv", dtype=str, keep_default_na=False)
    spanish = next(t for t in evidence["result_achieved"] if original_language(t) == "es").strip()
    start = xml.index(escape(spanish.splitlines()[0]))
    assert '<w:lang w:val="es-' in xml[xml.rindex("<w:r>", 0, start) : start]
    assert f"{count} passage(s) of the French edition have no translation" in docx_text(built.files.docx)


def test_an_import_needs_a_translator_and_a_file_without_entities(tmp_path: Path, store_url: str) -> None:
    bomb = tmp_path / "bomb.xlf"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file original="x" '
        'source-language="en" target-language="fr" datatype="plaintext"><body><trans-unit id="1">'
        "<source>&b;</source></trans-unit></body></file></xliff>",
        encoding="utf-8",
    )
    with pytest.raises(XliffError, match="DTD"):
        read_xliff(bomb, ["fr"])
    large = tmp_path / "large.xlf"
    with large.open("wb") as out:
        out.truncate(MAX_BYTES + 1)
    with pytest.raises(XliffError, match="bytes"):
        read_xliff(large, ["fr"])
    refused = CliRunner().invoke(app, ["translation", "import", str(bomb), "--by", "Ana"])
    assert refused.exit_code == 1
    assert "not a translator" in refused.output
