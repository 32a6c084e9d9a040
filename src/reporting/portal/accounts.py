"""The portal's accounts: a password per person of the people directory, kept there as an argon2id hash
(`password_hash`), so that the directory that says who may decide also says who may sign in.

`reporting portal user add|remove|list` edits the directory file; it is rewritten whole (its comments are
not kept) and readable by its owner only, like the data folder.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from reporting import people
from reporting.settings import private_folder

MINIMUM_LENGTH = 10
HASHER = PasswordHasher()


class AccountError(Exception):
    """A change of accounts that is refused (short password, unknown person…): one line."""


@cache
def _decoy() -> str:
    """A hash checked for names the directory does not have: signing in takes as long either way."""
    return HASHER.hash("no one has this password")


def authenticate(name: str, password: str) -> people.Person | None:
    """The person, if `password` is theirs; None for a wrong password, an unknown name, no password."""
    try:
        person = people.load().find(name)
    except people.NotAllowed:
        person = None
    stored = person.password_hash if person is not None and person.password_hash else _decoy()
    try:
        HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return person if person is not None and person.password_hash else None


def _entries(path: Path) -> list[dict[str, Any]]:
    people.load(path)  # refuses a directory that is not valid before anything is changed in it
    content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [dict(entry) for entry in content.get("people") or []]


def _write(path: Path, entries: list[dict[str, Any]]) -> None:
    people.Directory.model_validate({"people": entries})
    private_folder(path.parent)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        yaml.safe_dump({"people": entries}, out, allow_unicode=True, sort_keys=False)
    partial.replace(path)


def add(
    name: str,
    password: str,
    roles: tuple[str, ...] = (),
    regions: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    path: Path | None = None,
) -> bool:
    """Give `name` this password; a new person needs roles, a known one keeps theirs unless roles are
    given (then regions and languages are replaced too). True when the person is new."""
    if len(password) < MINIMUM_LENGTH:
        raise AccountError(f"a password has at least {MINIMUM_LENGTH} characters")
    path = path or people.directory_file()
    entries = _entries(path) if path.exists() else []
    wanted = name.strip().casefold()
    found = next((e for e in entries if str(e.get("name", "")).strip().casefold() == wanted), None)
    new = found is None
    if new and not roles:
        raise AccountError(f"{name.strip()} is not in {path}: give their --role (and --region)")
    if found is None:
        found = {"name": name.strip()}
        entries.append(found)
    if roles:
        found.update(roles=list(roles), regions=list(regions), languages=list(languages))
    found["password_hash"] = HASHER.hash(password)
    try:
        _write(path, entries)
    except ValueError as invalid:
        raise AccountError(str(invalid).splitlines()[0]) from None
    return new


def remove(name: str, path: Path | None = None) -> None:
    """Take `name` out of the directory: no sign-in, no decision."""
    path = path or people.directory_file()
    entries = _entries(path)
    wanted = name.strip().casefold()
    kept = [e for e in entries if str(e.get("name", "")).strip().casefold() != wanted]
    if len(kept) == len(entries):
        raise AccountError(f"{name.strip()} is not in {path}")
    _write(path, kept)
