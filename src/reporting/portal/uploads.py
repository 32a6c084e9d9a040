"""Submitters' uploads. An upload is a submission: the file is archived byte for byte (the archive of
received files, by sha256) and recorded with who uploaded it (`<data>/portal/uploads/<biennium>/<id>/`,
under names the portal chooses, never a path from the client), then placed in the biennium's package
folder (`REPORTING_PACKAGES_DIR/<biennium>/evidence/<person>/`, written beside and renamed into place:
a build reads either the old version or the new one, and stores the new one as superseding the old).
A .zip of a package folder is taken as its evidence files, each bounded as a workbook is (zip bombs).

The check itself is a Prefect run (flows/check_submission.py): `check` writes the findings and the
highlighted validation workbook beside the upload, where the page reads them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import stat
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from reporting import settings
from reporting.errors import PackageError
from reporting.intake.readers import EVIDENCE_SUFFIXES, ReceivedFile, refuse_zip_bomb
from reporting.intake.text_cleaning import printable
from reporting.store.archive import archive

if TYPE_CHECKING:
    from sqlalchemy import Engine

KINDS = (".xlsx", ".csv", ".json", ".zip")
ZIP_MAGIC = b"PK\x03\x04"
CHECKING, CHECKED, FAILED, UNCHECKED = "checking", "checked", "failed", "not checked"
BIENNIUM = re.compile(r"^\d{4}-\d{2}$")
MOST_MEMBERS = 500
"""A .zip of a package folder holds at most so many files (a programme's package has tens)."""


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
    placed: list[str] = field(default_factory=list)
    """Where the files are in the biennium's package folder (relative to it)."""
    flow_run: str = ""
    """The Prefect run that checks it."""
    note: str = ""
    """Why it was not checked (no Prefect server, no deployment), for the page."""

    @property
    def stored_name(self) -> str:
        return f"submission{self.kind}"


def uploads_dir() -> Path:
    return settings.data_dir() / "portal" / "uploads"


def folder_of(biennium: str, upload_id: str) -> Path:
    if not BIENNIUM.match(biennium) or not re.fullmatch(r"[0-9a-f]{32}", upload_id):
        raise UploadRefused("no such upload")
    return uploads_dir() / biennium / upload_id


def package_folder(biennium: str) -> Path:
    return settings.current().packages_dir / biennium


def person_folder(name: str) -> str:
    """The person's folder under evidence/: readable, and distinct for names written alike."""
    readable = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "person"
    return f"{readable}-{hashlib.sha256(name.encode()).hexdigest()[:6]}"


def save(upload: Upload) -> None:
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


def evidence_members(content: bytes) -> dict[str, bytes]:
    """The evidence files of a .zip of a package folder (`evidence/…`, also inside one top folder), by
    their path under evidence/: bounded before anything is inflated (refuse_zip_bomb); links, names
    climbing out (`..`), absolute or unprintable names refused."""
    try:
        refuse_zip_bomb(content, "the .zip")
        archive_ = zipfile.ZipFile(io.BytesIO(content))
    except (PackageError, zipfile.BadZipFile) as why:
        raise UploadRefused(
            str(why) if isinstance(why, PackageError) else "the .zip cannot be read"
        ) from None
    parts = [p for p in archive_.infolist() if not p.is_dir()]
    if len(parts) > MOST_MEMBERS:
        raise UploadRefused(f"the .zip holds {len(parts)} files, more than {MOST_MEMBERS}")
    found: dict[str, bytes] = {}
    for part in parts:
        path = PurePosixPath(part.filename)
        unsafe = path.is_absolute() or ".." in path.parts or "\\" in part.filename
        if unsafe or printable(part.filename) != part.filename or stat.S_ISLNK(part.external_attr >> 16):
            raise UploadRefused(f"the .zip's entry {printable(part.filename)!r} is not a plain file name")
        inside = path.parts[path.parts.index("evidence") + 1 :] if "evidence" in path.parts[:2] else ()
        if inside and PurePosixPath(*inside).suffix.lower() in EVIDENCE_SUFFIXES:
            found[PurePosixPath(*inside).as_posix()] = archive_.read(part)
    if not found:
        raise UploadRefused("the .zip holds no evidence/ folder with tables (a .zip of a package folder)")
    return found


def files_of(kind: str, original_name: str, content: bytes) -> dict[str, bytes]:
    """What an upload places in the package's evidence/, by name: the file itself (under its own name,
    made printable), or a .zip's evidence files."""
    if kind == ".zip":
        return evidence_members(content)
    name = printable(PurePosixPath(original_name.replace("\\", "/")).name)[-120:]
    if not PurePosixPath(name).stem.strip(". ") or name.startswith((".", "~$")):
        raise UploadRefused("give the file a name (it is kept in the package under it)")
    return {name: content}


def _place(target: Path, content: bytes) -> None:
    """Write beside, then rename into place: a reader sees the old version or the new one, whole."""
    settings.private_folder(target.parent)
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    partial.write_bytes(content)
    os.replace(partial, target)


def accept(biennium: str, submitted_by: str, original_name: str, content: bytes, max_bytes: int) -> Upload:
    """Archive, keep and place an upload (refused: wrong kind, too large, empty, not what it says it is,
    no package folder for the biennium)."""
    kind = Path(original_name).suffix.lower()
    if kind not in KINDS:
        raise UploadRefused(f"only {', '.join(KINDS)} files are taken")
    if not BIENNIUM.match(biennium):
        raise UploadRefused("choose a biennium such as 2014-15")
    if len(content) > max_bytes:
        raise UploadRefused(f"the file is larger than {max_bytes // 1_000_000} MB")
    if not content:
        raise UploadRefused("the file is empty")
    if (kind in (".xlsx", ".zip")) != content.startswith(ZIP_MAGIC):
        raise UploadRefused(f"the file's content is not a {kind} file")
    package = package_folder(biennium)
    if not (package / "framework.yaml").is_file():
        raise UploadRefused(f"the biennium {biennium} has no package folder yet: ask the operator")
    members = files_of(kind, original_name, content)
    upload = Upload(
        id=secrets.token_hex(16),
        biennium=biennium,
        submitted_by=submitted_by,
        original_name=original_name[-200:],
        kind=kind,
        sha256="",
        size=len(content),
        received_at=datetime.now(UTC).isoformat(timespec="microseconds"),
    )
    received = ReceivedFile(upload.stored_name, "evidence", content)
    upload.sha256 = received.sha256
    archive(received, settings.private_folder(settings.archive_dir()))
    folder = settings.private_folder(folder_of(biennium, upload.id))
    (folder / upload.stored_name).write_bytes(content)
    mine = Path("evidence") / person_folder(submitted_by)
    for name, member in members.items():
        _place(package / mine / name, member)
    upload.placed = [(mine / name).as_posix() for name in members]
    save(upload)
    return upload


def check(engine: Engine, upload: Upload) -> Upload:
    """`reporting validate` of what was placed, against the biennium's stored framework (a .zip: its
    evidence files together): findings and the validation workbook saved beside the upload."""
    from reporting.intake.feedback import write_report
    from reporting.intake.stages import dry_run
    from reporting.store.in_force import stored_framework

    folder = folder_of(upload.biennium, upload.id)
    try:
        framework = stored_framework(engine, upload.biennium)
        staged = folder / "package"  # what was placed, as a package of its own: the findings name the files
        content = (folder / upload.stored_name).read_bytes()
        _place(staged / "framework.yaml", (package_folder(upload.biennium) / "framework.yaml").read_bytes())
        for name, member in files_of(upload.kind, upload.original_name, content).items():
            _place(staged / "evidence" / name, member)
        checked = dry_run(staged, framework)
        write_report(checked, folder)
        findings = checked.findings.astype(str).to_dict(orient="records")
        upload.findings = [{str(k): v for k, v in f.items()} for f in findings]
        upload.rows, upload.blocking, upload.state = len(checked.rows), bool(checked.blocking), CHECKED
    except Exception as failed:  # the page says the check failed rather than "checking" for ever
        upload.state = FAILED
        upload.findings = [{"severity": "critical", "rule": "check failed", "message": str(failed)[:300]}]
    save(upload)
    return upload
