"""The intake stages of the pipeline, one function per stage (receive → read → assemble → validate), and
the dry run of `reporting validate` that chains them storing nothing.

`reporting.pipeline` builds on these same functions; they live here, apart from the store and the
report, so that `reporting validate` imports only the intake side (no SQLAlchemy, no renderer, no
Prefect) and starts in a fraction of a second."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from reporting.errors import PackageError, named_few
from reporting.framework import Framework
from reporting.intake.feedback import Checked, checked
from reporting.intake.readers import (
    Intake,
    Package,
    ReceivedFile,
    Tables,
    assemble_package,
    file_intake,
    package_intake,
    read_tables,
    receive_package,
    require_evidence,
)
from reporting.intake.validate import (
    PackageValidation,
    concat_findings,
    notice_findings,
    unreadable_file_finding,
    validate_package,
)


def receive(root: Path, biennium: str | None = None) -> tuple[Framework, Intake]:
    """The framework and the files of a package that can be built (PackageError otherwise, also for a
    package of another biennium than the one asked for)."""
    framework, intake = receive_package(root)
    if biennium and framework.biennium != biennium:
        raise PackageError(f"{root}: the package is for biennium {framework.biennium}, not {biennium}")
    return framework, intake


def read(received: ReceivedFile) -> Tables:
    """The tables of one received file (PackageError, in one line, when it cannot be read)."""
    return read_tables(received)


def unreadable(failed: list[tuple[ReceivedFile, BaseException]]) -> PackageError:
    """The one error of a package some of whose files cannot be read: the first with its reason, then
    the others' names."""
    first, error = failed[0]
    others = [f.name for f, _ in failed[1:]]
    more = f"; also unreadable: {named_few(others, shown=5)}" if others else ""
    reason = str(error) if isinstance(error, PackageError) else f"{first.name}: {error}"
    return PackageError(f"{len(failed)} file(s) cannot be read: {reason}{more}")


def read_all(files: tuple[ReceivedFile, ...]) -> list[Tables]:
    """Every file read before a failure is raised, so that the error names every unreadable file."""
    tables: list[Tables] = []
    failed: list[tuple[ReceivedFile, BaseException]] = []
    for received in files:
        try:
            tables.append(read(received))
        except (PackageError, OSError) as error:
            failed.append((received, error))
    if failed:
        raise unreadable(failed)
    return tables


def assemble(
    root: Path, framework: Framework, files: tuple[ReceivedFile, ...], tables: list[Tables]
) -> Package:
    """The package: the tables read from each file put together, one frame per role."""
    return assemble_package(root, framework, files, [t.frames for t in tables])


def validate(package: Package) -> PackageValidation:
    """Every table of the package checked against the contract (findings, clean and rejected rows)."""
    return validate_package(package)


# --- the dry run (`reporting validate`): receive, read and validate; nothing stored ----------------


Progress = Callable[[str], None]
"""Says which stage a long check is at (`reading 19 file(s)`), where someone watches."""


def check(
    path: Path, framework: Framework | None = None, progress: Progress | None = None
) -> tuple[Package, PackageValidation]:
    """Receive, read and validate a package folder, or one evidence file against `framework`, as a
    build would, storing nothing. Unlike a build it does not stop at a file that cannot be read: its
    tables are left out and a critical finding says why, beside a finding for every entry or sheet not
    read. Without a readable framework nothing can be checked: that still raises PackageError."""
    say = progress or (lambda line: None)
    problems: list[pd.DataFrame] = []
    if path.is_dir():
        package_framework, intake = package_intake(path)
        framework = framework or package_framework
        try:
            require_evidence(path, intake.files)
        except PackageError as exc:  # said beside the findings naming what was there instead
            problems.append(unreadable_file_finding(exc, str(path)))
    elif framework is None:
        raise PackageError(f"{path}: a single evidence file needs a framework (--framework FILE)")
    else:
        intake = file_intake(path)
    problems.append(notice_findings(intake.notices))
    say(f"reading {len(intake.files)} file(s)")
    tables: list[Tables] = []
    for received in intake.files:
        try:
            tables.append(read(received))
        except PackageError as exc:
            tables.append(Tables([]))
            problems.append(unreadable_file_finding(exc, received.name))
        else:
            problems.append(notice_findings(tables[-1].notices))
    package = assemble(path if path.is_dir() else path.parent, framework, intake.files, tables)
    rows = (package.evidence, package.targets, package.outputs, package.examples)  # as the summary counts
    say(f"validating {sum(len(t) for t in rows)} row(s)")
    return package, dataclasses.replace(validate(package), files=concat_findings(problems))


def dry_run(path: Path, framework: Framework | None = None, progress: Progress | None = None) -> Checked:
    """`reporting validate`: the check, as the submitter reads it (intake/feedback.py); a package that
    cannot be taken in at all (no framework.yaml, no evidence) is one critical finding."""
    try:
        package, validation = check(path, framework, progress)
    except PackageError as exc:
        return Checked(files=(), rows=pd.DataFrame(), findings=unreadable_file_finding(exc))
    return checked(package, validation)
