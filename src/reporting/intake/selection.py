"""What a run builds: which package folder a biennium names, which biennium has just closed, and the
outcomes an operator asked for (a rebuild of one outcome after a late correction)."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from reporting import settings
from reporting.errors import PackageError
from reporting.intake.readers import Package
from reporting.intake.validate import PackageValidation, Validated


def packages_dir() -> Path:
    """Where the packages live, one folder per biennium (`REPORTING_PACKAGES_DIR`, default `examples/`)."""
    return settings.current().packages_dir.resolve()


def package_folder(biennium: str) -> Path:
    """The package of a biennium is the folder named after it (`<packages dir>/2014-15`)."""
    return packages_dir() / biennium


def output_folder(biennium: str) -> Path:
    """Where a biennium's report goes unless `out` is given: `REPORTING_OUTPUT_DIR/<biennium>` (for
    example a folder the team shares), else `out/<biennium>` in the current folder."""
    return (settings.current().output_dir / biennium).resolve()


def closed_biennium(on: date) -> str:
    """The biennium that most recently closed on `on`: biennia start in even years (2014-15, 2016-17),
    so on 15 January 2028 it is 2026-27, and all through 2027 it is 2024-25."""
    start = on.year - 2 if on.year % 2 == 0 else on.year - 3
    return f"{start}-{(start + 1) % 100:02d}"


def _only(frame: pd.DataFrame, wanted: set[str]) -> pd.DataFrame:
    if "outcome" not in frame.columns:
        return frame
    return frame[frame["outcome"].astype(str).str.strip().isin(wanted)].reset_index(drop=True)


def _tables_only(record: Any, wanted: set[str]) -> dict[str, Any]:
    """Every frame field of a dataclass restricted to the wanted outcomes (frames without one kept)."""
    return {
        f.name: _only(value, wanted)
        for f in dataclasses.fields(record)
        if isinstance(value := getattr(record, f.name), pd.DataFrame)
    }


def select_outcomes(
    package: Package, checked: PackageValidation, outcomes: list[str] | None
) -> tuple[Package, PackageValidation]:
    """The package and its validation restricted to `outcomes` (framework and every table with an
    outcome column), for a report of those outcomes only; all of it when none are named. Selection comes
    after storing: what was received is always stored whole. An undeclared outcome is refused."""
    if not outcomes:
        return package, checked
    declared = [o.id for o in package.framework.outcomes]
    unknown = [o for o in outcomes if o not in declared]
    if unknown:
        raise PackageError(
            f"outcome(s) {', '.join(unknown)} not in the {package.framework.biennium} framework "
            f"(declared: {', '.join(declared)})"
        )
    wanted = set(outcomes)
    framework = package.framework.model_copy(
        update={"outcomes": tuple(o for o in package.framework.outcomes if o.id in wanted)}
    )
    validations: dict[str, Any] = {
        f.name: dataclasses.replace(value, **_tables_only(value, wanted))
        for f in dataclasses.fields(checked)
        if isinstance(value := getattr(checked, f.name), Validated)
    }
    return (
        dataclasses.replace(package, framework=framework, **_tables_only(package, wanted)),
        dataclasses.replace(checked, **validations),
    )
