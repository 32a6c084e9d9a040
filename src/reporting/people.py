"""The people directory: who may decide what. One YAML file, `REPORTING_PEOPLE_FILE` (default
`<data folder>/people.yaml`), names each person with their roles, the regions they cover and their
languages; review decisions and the sign-off are taken only by people it names in the right role (and,
for reviewers, region). It is the one place that says who is who: a web portal signs people in from it.

    people:
      - name: Ana Lima
        roles: [reviewer]
        regions: [Africa, Arab States]   # or [all]
        languages: [en, fr]
        email: ana.lima@example.org      # the weekly review reminder is e-mailed here

No directory, no decision: without the file every decision is refused, saying where it was looked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reporting import settings

SUBMITTER, REVIEWER, SIGNER, OPERATOR, TRANSLATOR = (
    "submitter",
    "reviewer",
    "signer",
    "operator",
    "translator",
)
Role = Literal["submitter", "reviewer", "signer", "operator", "translator"]
ALL_REGIONS = "all"
FILE_NAME = "people.yaml"


class NotAllowed(Exception):
    """A decision by someone the directory does not name in that role (or region): one line."""


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"\w")
    roles: tuple[Role, ...]
    password_hash: str = Field(default="", repr=False)
    """The portal's sign-in (argon2id, `reporting portal user add`); empty: no password sign-in."""
    regions: tuple[str, ...] = ()
    """The regions the person works for (a reviewer decides on their results only); `all` for every one."""
    languages: tuple[str, ...] = ()
    email: str = Field(default="", pattern=r"^$|^[^@\s]+@[^@\s]+$")
    """Where the weekly review reminder reaches a reviewer (none: no e-mail)."""

    def covers(self, region: str) -> bool:
        wanted = {r.casefold() for r in self.regions}
        return ALL_REGIONS in wanted or region.casefold() in wanted


class Directory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    people: tuple[Person, ...] = ()

    @field_validator("people")
    @classmethod
    def one_entry_per_name(cls, people: tuple[Person, ...]) -> tuple[Person, ...]:
        names = [p.name.strip().casefold() for p in people]
        twice = sorted({p.name for p in people if names.count(p.name.strip().casefold()) > 1})
        if twice:
            raise ValueError(f"named more than once: {', '.join(twice)}")
        return people

    def find(self, name: str) -> Person | None:
        """The person of that name (spaces around it and case do not matter)."""
        wanted = name.strip().casefold()
        return next((p for p in self.people if p.name.strip().casefold() == wanted), None)


def directory_file() -> Path:
    return settings.current().people_file or settings.data_dir() / FILE_NAME


def load(path: Path | None = None) -> Directory:
    """The directory from its file; NotAllowed, in one line, when it is missing or not valid."""
    path = path or directory_file()
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotAllowed(
            f"no people directory at {path} (REPORTING_PEOPLE_FILE): no one may decide until it names them"
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise NotAllowed(f"the people directory {path} cannot be read: {exc}".splitlines()[0]) from None
    try:
        return Directory.model_validate(content or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise NotAllowed(f"the people directory {path} is not valid: {where}: {first['msg']}") from None


def refusal(directory: Directory, name: str, role: str, region: str | None = None) -> str | None:
    """Why `name` may not act as `role` (for `region`), or None."""
    person = directory.find(name)
    if person is None:
        return f"{name!r} is not in the people directory ({directory_file()})"
    if role not in person.roles:
        return f"{person.name} is not a {role} in the people directory"
    if role == REVIEWER and region is not None and not person.covers(region):
        return f"{person.name} does not review results of {region} (people directory)"
    return None


def require(name: str, role: str, region: str | None = None) -> Person:
    """The person `name`, who may act as `role` (for `region`); NotAllowed otherwise."""
    directory = load()
    why, person = refusal(directory, name, role, region), directory.find(name)
    if why is not None or person is None:
        raise NotAllowed(why)
    return person


def four_eyes(name: str, submitters: Iterable[str]) -> str | None:
    """Why `name` may not approve rows these people submitted (no one approves their own), or None."""
    if name.strip().casefold() in {s.strip().casefold() for s in submitters}:
        return f"{name.strip()} submitted these rows: someone else approves them (four eyes)"
    return None
