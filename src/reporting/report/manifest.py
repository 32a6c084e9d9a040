"""build.json: what a build was made from and what it gave, so that any report can be traced back to
its inputs (each received file's sha256 and stored id), template, code and parameters.

The build id is derived from what the report is made of — the package's files (name, role, sha256),
the template's sha256, the code, the review's approvals and the parameters that change the report — so
two builds from the same inputs carry the same id (and the same Word report), and any change of input
gives a new one."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select

from reporting.intake.readers import ReceivedFile
from reporting.outputs import write_text
from reporting.resources import shipped_folder, templates_dir
from reporting.store.models import ReceivedFileRecord, table
from reporting.vocabulary import TOTAL

if TYPE_CHECKING:  # the build's figures come from frames; its id (the up-to-date check) does not need them
    import pandas as pd

MANIFEST = "build.json"
CODE_FOLDERS = ("src", "flows", "schemas", "templates")
"""The checkout's folders whose local changes make a build's code "+dirty"."""
SHORT_ID = 8


CODE: tuple[tuple[Path, str], ...] = (
    (shipped_folder("reporting"), ".py"),
    (shipped_folder("reporting.flows"), ".py"),
    (shipped_folder("reporting.schemas"), ".py"),
    (shipped_folder("reporting"), ".csv"),  # data the rules read (the member States and their regions)
    (templates_dir(), ".j2"),  # the report's wording (narrative, report.md)
    (templates_dir(), ".po"),  # its French and Spanish wording
)
"""The code a build is made with (its fingerprint is part of the build id and of the task cache keys)."""


def sha256_of(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def file_sha256(path: Path) -> str:
    """The file's sha256, or "missing" (a value for a cache key or a build id)."""
    return sha256_of(path) or "missing"


@cache
def library_fingerprint() -> str:
    """sha256 over the library's Python sources and the text templates it words the report with."""
    digest = hashlib.sha256()
    for root, suffix in CODE:
        sources = sorted(
            Path(folder) / name
            for folder, _, names in os.walk(root)
            for name in names
            if name.endswith(suffix)
        )
        for source in sources:
            digest.update(source.relative_to(root).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()


def build_id(
    files: Iterable[ReceivedFile], template_sha256: str, code: str, parameters: dict[str, Any]
) -> str:
    """The id of what a build is made of (sha256, hex): same inputs, same id."""
    parts = sorted(f"{f.name}\x1f{f.role}\x1f{f.sha256}" for f in files)
    parts += [template_sha256, code, json.dumps(parameters, sort_keys=True, default=str)]
    return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()


def build_identity(
    files: Iterable[ReceivedFile], template: Path, outcomes: list[str] | None, draft: bool, approvals: str
) -> str:
    """The build id of a build: the same inputs, template, code, outcomes and approvals (the store's
    `approval_state`) give the same id; a draft has an id of its own."""
    parameters: dict[str, Any] = {
        "outcomes": outcomes,
        "approvals": approvals,
        **({"draft": True} if draft else {}),
    }
    return build_id(files, file_sha256(template), library_fingerprint(), parameters)


def short_id(identifier: str) -> str:
    return identifier[:SHORT_ID]


def package_version() -> str | None:
    try:
        return metadata.version("reporting")
    except metadata.PackageNotFoundError:
        return None


def git_commit() -> str | None:
    """The commit of the checkout the code runs from ("+dirty" when it has local changes), None when the
    package is not a file tracked in a git checkout (an installed wheel) or git is missing."""
    package = shipped_folder("reporting")
    try:
        tracked = subprocess.run(
            ["git", "-C", str(package), "ls-files", "--error-unmatch", "__init__.py"],
            capture_output=True,
            timeout=10,
        )
        if tracked.returncode != 0:
            return None
        top = subprocess.run(
            ["git", "-C", str(package), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        root = top.stdout.strip()
        commit = subprocess.run(
            ["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if commit.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--untracked-files=no", "--", *CODE_FOLDERS],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return commit.stdout.strip() + ("+dirty" if status.stdout.strip() else "")


def stored_inputs(engine: Engine, biennium: str, files: Iterable[ReceivedFile]) -> list[dict[str, Any]]:
    """Each input file with its stored id and whether it is current or superseded in the store."""
    records = table(ReceivedFileRecord)
    with engine.connect() as conn:
        stored = {
            row.sha256: row
            for row in conn.execute(
                select(records.c.id, records.c.sha256, records.c.superseded_by_id).where(
                    records.c.biennium == biennium
                )
            )
        }
    inputs = []
    for received in sorted(files, key=lambda f: f.name):
        row = stored.get(received.sha256)
        inputs.append(
            {
                "name": received.name,
                "role": received.role,
                "sha256": received.sha256,
                "size": received.size,
                "file_id": None if row is None else int(row.id),
                "status": "not stored"
                if row is None
                else ("superseded" if row.superseded_by_id else "current"),
            }
        )
    return inputs


def _whole(value: Any) -> int | None:
    import pandas as pd

    return None if value is None or pd.isna(value) else int(value)


def summary_figures(summary: pd.DataFrame, results: pd.DataFrame) -> dict[str, Any]:
    """The figures of the build: every indicator × region (target, achieved), CPO results and how many
    are not reportable."""
    figures = [
        {
            "outcome": str(r["outcome"]),
            "indicator": str(r["indicator"]),
            "region": str(r["region"]),
            "target": _whole(r["target"]),
            "achieved": _whole(r["achieved"]) or 0,
        }
        for r in summary.astype(object).to_dict("records")
    ]
    return {
        "member_states_total": {f["indicator"]: f["achieved"] for f in figures if f["region"] == TOTAL},
        "cpo_results": len(results),
        "not_reportable": int((~results["reportable"]).sum()) if len(results) else 0,
        "figures": figures,
    }


def manifest(
    *,
    identifier: str,
    biennium: str,
    inputs: list[dict[str, Any]],
    template: Path,
    parameters: dict[str, Any],
    outputs: Iterable[Path],
    summary: dict[str, Any],
    flow_run_id: str | None,
    code: str,
    built_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "build_id": identifier,
        "build_short_id": short_id(identifier),
        "biennium": biennium,
        "built_at": (built_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "flow_run_id": flow_run_id,
        "code": {"package_version": package_version(), "git_commit": git_commit(), "sources_sha256": code},
        "parameters": parameters,
        "template": {"path": str(template), "sha256": sha256_of(template)},
        "inputs": inputs,
        "outputs": {path.name: sha256_of(path) for path in outputs},
        "summary": summary,
    }


def write_manifest(out_dir: Path, content: dict[str, Any]) -> Path:
    """DIR/build.json, written in place (a killed build leaves the earlier one whole)."""
    return write_text(out_dir / MANIFEST, json.dumps(content, indent=2, ensure_ascii=False) + "\n")
