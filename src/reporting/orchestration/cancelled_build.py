"""What a cancelled build leaves says so: either every edition it was asked for was written, or the output
folder's build.json says that the build was cancelled and which editions are missing (an edition is
written when a build.json under the output folder, wherever the layout puts it, names this run and its
language). Prefect runs it as the flow's `on_cancellation` hook (a worker, in a new process that loads
the flow) before the run is marked *Cancelled*."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from prefect import Flow, State
from prefect.client.schemas.objects import FlowRun

from reporting import pipeline
from reporting.report.manifest import MANIFEST, write_manifest


def _editions_written(out_dir: Path, run_id: str) -> set[str]:
    """The languages whose build.json under `out_dir` (wherever the layout puts an edition) names the run."""
    written = set()
    for manifest in out_dir.rglob(MANIFEST):
        try:
            made = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(made, dict) and made.get("flow_run_id") == run_id:
            written.add(str((made.get("parameters") or {}).get("language")))
    return written


def record_cancelled(biennium: str, out_dir: Path, languages: list[str], run_id: str) -> Path | None:
    """OUT/build.json saying the build was cancelled and which editions are missing; None when every
    edition asked for was written before the cancel."""
    done = _editions_written(out_dir, run_id) if out_dir.is_dir() else set()
    written = [a for a in languages if a in done]
    missing = [a for a in languages if a not in done]
    if not missing:
        return None
    return write_manifest(
        out_dir,
        {
            "biennium": biennium,
            "cancelled": True,
            "cancelled_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "flow_run_id": run_id,
            "editions_written": written,
            "editions_missing": missing,
        },
    )


def build_cancelled(flow: Flow[..., Any], flow_run: FlowRun, state: State[Any]) -> None:
    """The `on_cancellation` hook of `biennial-report` (Prefect calls it with the flow, run and state)."""
    parameters = flow_run.parameters
    biennium = pipeline.biennium_of_run(parameters.get("biennium"), parameters.get("package"), date.today())
    languages = pipeline.languages_of(parameters.get("language") or "en")
    out_dir = pipeline.out_folder(parameters.get("out"), biennium)
    record_cancelled(biennium, out_dir, languages, str(flow_run.id))
