"""Submitters' uploads: each file archived byte for byte (the archive of received files, by sha256),
kept in the portal's folder under a name the portal chooses (`<data>/portal/uploads/<biennium>/<id>/`,
never a path from the client), recorded with who uploaded it, and checked as `reporting validate` checks
a file: the findings and the highlighted validation workbook are written beside it when ready.

The check runs in the portal's own background thread, not yet as a Prefect run.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reporting import settings
from reporting.intake.readers import ReceivedFile
from reporting.store.archive import archive

if TYPE_CHECKING:
    from sqlalchemy import Engine

KINDS = (".xlsx", ".csv", ".json")
ZIP_MAGIC = b"PK\x03\x04"
CHECKING, CHECKED, FAILED = "checking", "checked", "failed"
BIENNIUM = re.compile(r"^\d{4}-\d{2}$")


class UploadRefused(Exception):
    """An upload that is not taken (kind, size, content): one line for the submitter."""


@dataclass
class Upload:
    id: str
    biennium: str
    submitted_by: str
    original_name: str
    """As the browser sent it: shown (escaped), never used as a path."""
    kind: str
    sha256: str
    size: int
    received_at: str
    state: str = CHECKING
    findings: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0
    blocking: bool = False

    @property
    def stored_name(self) -> str:
        return f"submission{self.kind}"


def uploads_dir() -> Path:
    return settings.data_dir() / "portal" / "uploads"


def folder_of(biennium: str, upload_id: str) -> Path:
    if not BIENNIUM.match(biennium) or not re.fullmatch(r"[0-9a-f]{32}", upload_id):
        raise UploadRefused("no such upload")
    return uploads_dir() / biennium / upload_id


def _save(upload: Upload) -> None:
    record = folder_of(upload.biennium, upload.id) / "upload.json"
    partial = record.with_suffix(".partial")
    partial.write_text(json.dumps(asdict(upload), ensure_ascii=False), encoding="utf-8")
    partial.replace(record)


def load(biennium: str, upload_id: str) -> Upload | None:
    try:
        record = folder_of(biennium, upload_id) / "upload.json"
        return Upload(**json.loads(record.read_text(encoding="utf-8")))
    except (UploadRefused, FileNotFoundError):
        return None


def uploads_by(name: str, biennium: str) -> list[Upload]:
    """The uploads of one person for a biennium, newest first."""
    if not BIENNIUM.match(biennium):
        return []
    found = [load(biennium, f.name) for f in (uploads_dir() / biennium).glob("*") if f.is_dir()]
    mine = [u for u in found if u is not None and u.submitted_by == name]
    return sorted(mine, key=lambda u: u.received_at, reverse=True)


def accept(biennium: str, submitted_by: str, original_name: str, content: bytes, max_bytes: int) -> Upload:
    """Archive and keep an upload (refused: wrong kind, too large, empty, not what it says it is)."""
    kind = Path(original_name).suffix.lower()
    if kind not in KINDS:
        raise UploadRefused(f"only {', '.join(KINDS)} files are taken")
    if not BIENNIUM.match(biennium):
        raise UploadRefused("choose a biennium such as 2014-15")
    if len(content) > max_bytes:
        raise UploadRefused(f"the file is larger than {max_bytes // 1_000_000} MB")
    if not content:
        raise UploadRefused("the file is empty")
    if (kind == ".xlsx") != content.startswith(ZIP_MAGIC):
        raise UploadRefused(f"the file's content is not a {kind} file")
    upload = Upload(
        id=secrets.token_hex(16),
        biennium=biennium,
        submitted_by=submitted_by,
        original_name=original_name[-200:],
        kind=kind,
        sha256="",
        size=len(content),
        received_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    received = ReceivedFile(upload.stored_name, "evidence", content)
    upload.sha256 = received.sha256
    archive(received, settings.private_folder(settings.archive_dir()))
    folder = settings.private_folder(folder_of(biennium, upload.id))
    (folder / upload.stored_name).write_bytes(content)
    _save(upload)
    return upload


def check(engine: Engine, upload: Upload) -> Upload:
    """`reporting validate` of the file against the biennium's stored framework: findings saved."""
    from reporting.intake.feedback import write_report
    from reporting.intake.stages import dry_run
    from reporting.store.in_force import stored_framework

    folder = folder_of(upload.biennium, upload.id)
    try:
        framework = stored_framework(engine, upload.biennium)
        checked = dry_run(folder / upload.stored_name, framework)
        write_report(checked, folder)
        findings = checked.findings.astype(str).to_dict(orient="records")
        upload.findings = [{str(k): v for k, v in f.items()} for f in findings]
        upload.rows, upload.blocking, upload.state = len(checked.rows), bool(checked.blocking), CHECKED
    except Exception as failed:  # the page says the check failed rather than "checking" for ever
        upload.state = FAILED
        upload.findings = [{"severity": "critical", "rule": "check failed", "message": str(failed)[:300]}]
    _save(upload)
    return upload
