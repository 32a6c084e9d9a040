"""A cancelled build leaves either every edition it was asked for, or a build.json that says it was
cancelled and which editions are missing (the flow's `on_cancellation` hook)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from reporting.orchestration.cancelled_build import build_cancelled

RUN = "0b8a9a4e-1111-4222-8333-944455556666"


def _written(folder: Path, run_id: str, language: str) -> None:
    """An edition's build.json, as the build records it (its run and parameters)."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {"flow_run_id": run_id, "parameters": {"language": language}}
    (folder / "build.json").write_text(json.dumps(made), encoding="utf-8")


def _cancel(out: Path, language: str | list[str]) -> None:
    run = SimpleNamespace(id=RUN, parameters={"biennium": "2014-15", "out": str(out), "language": language})
    build_cancelled(None, run, None)


def test_a_build_cancelled_between_editions_says_which_are_missing(tmp_path: Path) -> None:
    _written(tmp_path / "en", RUN, "en")
    _written(tmp_path / "fr", "an earlier run", "fr")
    _cancel(tmp_path, ["en", "fr", "es"])
    said = json.loads((tmp_path / "build.json").read_text(encoding="utf-8"))
    assert said["cancelled"] is True and said["flow_run_id"] == RUN
    assert said["editions_written"] == ["en"] and said["editions_missing"] == ["fr", "es"]


def test_a_build_cancelled_after_its_last_edition_leaves_it_as_written(tmp_path: Path) -> None:
    _written(tmp_path / "fr", RUN, "fr")
    _cancel(tmp_path, "fr")
    assert not (tmp_path / "build.json").exists()
