"""build.json: every build says what it was made from (inputs with sha256 and stored id, template, code,
parameters, Prefect flow run) and what it gave; the Word report carries the build id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docx import Document

from reporting.report.manifest import MANIFEST

pytestmark = pytest.mark.usefixtures("prefect_harness")

OUTPUTS = ("indicator_summary.csv", "indicator_evidence.csv", "report.md")


@pytest.fixture
def own_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")


def _build(package: Path, out: Path) -> dict[str, object]:
    from reporting.flows.biennial_report import biennial_report

    state = biennial_report(package=str(package), out=str(out), return_state=True)
    assert state.is_completed(), state.message
    result: dict[str, object] = state.result()
    return result


@pytest.mark.usefixtures("own_store")
def test_build_json_names_inputs_template_code_and_figures(sample_package: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(sample_package, out)
    manifest = json.loads((out / "en" / MANIFEST).read_text(encoding="utf-8"))
    assert len(manifest["build_id"]) == 64 and manifest["build_short_id"] == manifest["build_id"][:8]
    assert manifest["biennium"] == "2014-15" and manifest["flow_run_id"]
    assert manifest["built_at"].startswith("20")
    inputs = {i["name"]: i for i in manifest["inputs"]}
    assert set(inputs) == {"framework.yaml", "evidence/evidence.csv", "reviews.csv"}
    evidence = inputs["evidence/evidence.csv"]
    assert evidence["role"] == "evidence" and evidence["status"] == "current"
    assert isinstance(evidence["file_id"], int) and len(evidence["sha256"]) == 64
    assert manifest["template"]["sha256"] and manifest["template"]["path"].endswith(".docx")
    assert manifest["code"]["package_version"] and manifest["code"]["sources_sha256"]
    assert "git_commit" in manifest["code"]
    assert manifest["parameters"]["package"] == str(sample_package)
    assert manifest["parameters"]["strict"] is False
    assert manifest["summary"]["member_states_total"] == {"7.1": 13, "7.2": 7}
    assert manifest["summary"]["rows_ingested"] == 65
    assert set(OUTPUTS) <= set(manifest["outputs"])

    docx = out / "en" / "implementation-report-2014-15.docx"
    document = Document(str(docx))
    assert document.core_properties.identifier == manifest["build_id"]
    assert f"build {manifest['build_short_id']}" in document.core_properties.comments  # not on the cover
    assert not any(manifest["build_short_id"] in p.text for p in document.paragraphs[:16])


@pytest.mark.usefixtures("own_store")
def test_two_builds_from_unchanged_inputs_give_the_same_files_and_build_id(
    sample_package: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "first" / "en", tmp_path / "second" / "en"  # OUT/<language>/
    _build(sample_package, first.parent)
    _build(sample_package, second.parent)
    for name in OUTPUTS:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    one, two = (json.loads((d / MANIFEST).read_text(encoding="utf-8")) for d in (first, second))
    assert one["build_id"] == two["build_id"] and one["flow_run_id"] != two["flow_run_id"]
    (sample_package / "evidence" / "evidence.csv").write_text(
        (sample_package / "evidence" / "evidence.csv").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    _build(sample_package, second.parent)
    three = json.loads((second / MANIFEST).read_text(encoding="utf-8"))
    assert three["build_id"] != two["build_id"]  # another input, another build
