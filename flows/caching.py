"""Cache keys of the `biennial-report` tasks: what a task's result depends on, by content.

A key is made of the task's own source (TASK_SOURCE), the library code it calls (`library_fingerprint`:
a change to a reader or a rule must not serve yesterday's result) and the content it works on: the
sha256 of a received file, of every file of the package, of the template. Engines, sessions and large
frames never enter a key (INPUTS on them is slow, unstable or silently disables caching).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from prefect.cache_policies import TASK_SOURCE, CacheKeyFnPolicy, CachePolicy
from prefect.context import TaskRunContext
from prefect.settings import get_current_settings
from prefect.utilities.annotations import quote

from reporting.intake.readers import Package, ReceivedFile
from reporting.report.manifest import file_sha256, library_fingerprint


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def package_fingerprint(package: Package) -> str:
    """The package as read and selected: the framework kept and each file's name, role and sha256."""
    files = sorted(f"{f.name}:{f.role}:{f.sha256}" for f in package.files)
    return _digest(package.framework.model_dump_json(), *files)


def _received_file_key(context: TaskRunContext, inputs: dict[str, Any]) -> str:
    received: ReceivedFile = inputs["received"]
    return _digest(library_fingerprint(), received.name, received.role, received.sha256)


def _package_key(context: TaskRunContext, inputs: dict[str, Any]) -> str:
    return _digest(library_fingerprint(), package_fingerprint(inputs["package"]))


def _today_key(context: TaskRunContext, inputs: dict[str, Any]) -> str:
    return date.today().isoformat()


def _earlier_key(context: TaskRunContext, inputs: dict[str, Any]) -> str:
    previous = inputs.get("previous")
    if previous is None:
        return "none"
    published = "none" if previous.summary is None else previous.summary.to_csv(index=False)
    return _digest(previous.biennium, str(previous.published_on), published)


def _language_key(context: TaskRunContext, inputs: dict[str, Any]) -> str:
    return str(inputs.get("language", "en"))


def _publication_key(context: TaskRunContext, inputs: dict[str, Any]) -> str:
    return str(inputs.get("publication_date"))


def _review_key(context: TaskRunContext, inputs: dict[str, Any]) -> str:
    review = inputs.get("review")
    return "none" if review is None else str(review.fingerprint)


def _translations_key(context: TaskRunContext, inputs: dict[str, Any]) -> str:
    return _digest(json.dumps(sorted((inputs.get("translated") or {}).items())))


def _unquoted(value: Any) -> Any:
    """An argument as the task receives it (the flow quotes large ones: flows/biennial_report.py)."""
    return value.unquote() if isinstance(value, quote) else value


def _render_key(context: TaskRunContext, inputs: dict[str, Any]) -> str:
    report, template, out_dir, evidence = (
        _unquoted(inputs.get(name)) for name in ("context", "template", "out_dir", "evidence")
    )
    return _digest(
        library_fingerprint(),
        context_digest(report),
        file_sha256(template),
        str(Path(out_dir).resolve()),
        "none" if evidence is None else frame_digest(evidence),
    )


def context_digest(report: dict[str, Any]) -> str:
    """The sha256 of a report's context as JSON, a list's items one by one: the context of 100,000 rows
    as one JSON string was the peak of `reporting build` (2.08 GB)."""
    digest = hashlib.sha256()
    for key in sorted(report):
        value = report[key]
        digest.update(json.dumps(key).encode() + (b"[" if isinstance(value, list) else b"="))
        for item in value if isinstance(value, list) else [value]:
            digest.update(json.dumps(item, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def frame_digest(frame: pd.DataFrame) -> str:
    """The sha256 of a frame's columns and values (pandas' row hashes; its CSV as one string was the size of
    the evidence trail)."""
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return _digest(*map(str, frame.columns), hashlib.sha256(rows.tobytes()).hexdigest())


CACHE_KEYS = get_current_settings().results.local_storage_path.parent / "cache-keys"
"""Where the cache keys go, beside the results (the folder Prefect's settings name when this module is
imported: each entry point configures them first, settings.configure_prefect). With its keys apart,
Prefect writes a cached result as the serializer's bytes alone, and asks for a key without reading its
result; in one record, the result was base64-encoded inside JSON, about four copies of the validated
frames at once: `reporting build` of 100,000 rows peaked at 2.29 GB with one record, 2.08 GB with its
keys apart (1.96 GB once the render key no longer held the context as one JSON string)."""


def _keys_apart(policy: CachePolicy) -> CachePolicy:
    return policy.configure(key_storage=CACHE_KEYS)


BY_RECEIVED_FILE: CachePolicy = _keys_apart(TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=_received_file_key))
"""Reading a file: redone only when that file's bytes (or the readers) change."""

BY_PACKAGE: CachePolicy = _keys_apart(TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=_package_key))
"""Validation and counting: they span files, so any changed file redoes them."""

BY_PACKAGE_AND_REVIEW: CachePolicy = BY_PACKAGE + CacheKeyFnPolicy(cache_key_fn=_review_key)
"""Counting: the package, and which of its results the review lets count (approved, or all in a draft)."""

BY_PACKAGE_DAY_AND_EARLIER: CachePolicy = (
    BY_PACKAGE_AND_REVIEW
    + CacheKeyFnPolicy(cache_key_fn=_today_key)
    + CacheKeyFnPolicy(cache_key_fn=_earlier_key)
    + CacheKeyFnPolicy(cache_key_fn=_language_key)
    + CacheKeyFnPolicy(cache_key_fn=_publication_key)
    + CacheKeyFnPolicy(cache_key_fn=_translations_key)
)
"""The report context carries the date it was generated on, the earlier biennium's figures, the review's
marks, the edition's language, the cover's publication date and the stored translations it uses."""

BY_CONTEXT_AND_TEMPLATE: CachePolicy = _keys_apart(TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=_render_key))
"""Rendering: the context (plain data, hashed as JSON), the template's bytes, the output folder and the
evidence trail (its CSV: it names files and rows the context does not); the summary frame is derived
from the same counts as the context, so it is left out."""
