"""A cancelled build leaves either every edition it was asked for, or a build.json that says it was
cancelled and which editions are missing (the flow's `on_cancellation` hook)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from reporting import pipeline
from reporting.orchestration.cancelled_build import build_cancelled

RUN = "0b8a9a4e-1111-4222-8333-944455556666"


def _written(folder: Path, run_id: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "build.json").write_text(json.dumps({"flow_run_id": run_id}), encoding="utf-8")


def _cancel(out: Path, language: str | list[str]) -> None:
    run = SimpleNamespace(id=RUN, parameters={"biennium": "2014-15", "out": str(out), "language": language})
    build_cancelled(None, run, None)


def test_a_build_cancelled_between_editions_says_which_are_missing(tmp_path: Path) -> None:
    languages = ["en", "fr", "es"]
    _written(pipeline.edition_folder(tmp_path, "en", languages), RUN)
    _written(pipeline.edition_folder(tmp_path, "fr", languages), "an earlier run")
    _cancel(tmp_path, languages)
    said = json.loads((tmp_path / "build.json").read_text(encoding="utf-8"))
    assert said["cancelled"] is True and said["flow_run_id"] == RUN
    assert said["editions_written"] == ["en"] and said["editions_missing"] == ["fr", "es"]


def test_a_build_cancelled_after_its_last_edition_leaves_it_as_written(tmp_path: Path) -> None:
    _written(pipeline.edition_folder(tmp_path, "fr", ["fr"]), RUN)
    before = (pipeline.edition_folder(tmp_path, "fr", ["fr"]) / "build.json").read_bytes()
    _cancel(tmp_path, "fr")
    assert (pipeline.edition_folder(tmp_path, "fr", ["fr"]) / "build.json").read_bytes() == before
