"""What a build counts once the review has spoken: the approved results (the final report), or every
reportable result with the pending ones known (a draft). The package's own review decisions
(reviews.csv) are applied first, once per version of the file."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from reporting.counting.approval import Result, approved_results, only, result_versions
from reporting.errors import PackageError
from reporting.intake.readers import Package
from reporting.intake.validate import PackageValidation
from reporting.review.results import approved_versions, import_package_reviews, sync


class NothingApproved(PackageError):
    """A final build with no approved result: nothing is built (a draft can be)."""


@dataclass(frozen=True)
class Reviewed:
    evidence: pd.DataFrame
    """The evidence rows the report counts."""
    approved: set[Result]
    pending: set[Result]
    """The package's results not approved (on the rows it holds): counted only in a draft."""
    draft: bool
    notes: tuple[str, ...] = ()
    """What could not be applied of the package's review decisions (one line each)."""


def reviewed_evidence(engine: Engine, package: Package, checked: PackageValidation, draft: bool) -> Reviewed:
    """Apply the package's review decisions, bring the reviews in line with the rows stored, and keep
    the rows the report may count. NothingApproved for a final build with no approved result."""
    biennium = package.framework.biennium
    notes: list[str] = []
    decisions = checked.reviews.clean
    for received in (f for f in package.files if f.role == "reviews"):
        rows = decisions[decisions["source_file"] == received.name] if len(decisions) else decisions
        outcome = import_package_reviews(engine, biennium, rows, received)
        notes += [
            f"{received.name}: {d.cpo_code} {d.indicator}: not applied: {why}" for d, why in outcome.refused
        ]
    sync(engine, biennium)
    evidence = checked.evidence.clean
    approved = approved_results(evidence, approved_versions(engine, biennium))
    pending = set(result_versions(evidence)) - approved
    if not draft and not approved:
        raise NothingApproved(
            f"nothing approved in {biennium} ({len(pending)} result(s) await review: reporting review "
            "list): no report built; --draft builds a draft counting every reportable result"
        )
    return Reviewed(evidence if draft else only(evidence, approved), approved, pending, draft, tuple(notes))
