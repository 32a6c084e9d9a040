"""What a build counts once the review has spoken: the approved results (the final report), or every
reportable result with the pending ones known (a draft). The package's own review decisions
(reviews.csv) are applied first, once per version of the file."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from reporting.counting.approval import Result, approved_results, only, result_versions
from reporting.errors import PackageError
from reporting.intake.readers import Package
from reporting.intake.validate import PackageValidation
from reporting.report.draft import flag_pending
from reporting.review.results import approved_versions, import_package_reviews, sync


class NothingApproved(PackageError):
    """A final build with no approved result: nothing is built (a draft can be)."""


@dataclass(frozen=True)
class Reviewed:
    """The results of a build's evidence as the review left them."""

    approved: frozenset[Result]
    pending: frozenset[Result]
    """The results not approved (on the rows the build holds): counted only in a draft."""
    draft: bool

    @property
    def fingerprint(self) -> str:
        """What the counts depend on besides the package (a cache key part)."""
        listed = (
            [f"{i}:{c}" for i, c in sorted(self.approved)]
            + ["|"]
            + [f"{i}:{c}" for i, c in sorted(self.pending)]
        )
        return hashlib.sha256("\x1f".join([str(self.draft), *listed]).encode()).hexdigest()

    def counted(self, checked: PackageValidation) -> PackageValidation:
        """The validation with only the evidence rows the report counts (all of them in a draft)."""
        if self.draft:
            return checked
        evidence = dataclasses.replace(
            checked.evidence, clean=only(checked.evidence.clean, set(self.approved))
        )
        return dataclasses.replace(checked, evidence=evidence)


def apply_decisions(engine: Engine, package: Package, checked: PackageValidation) -> list[str]:
    """Apply the package's review decisions (reviews.csv, once per version of the file) and bring the
    reviews in line with the rows stored; returns what could not be applied, one line per reason naming
    the results."""
    biennium = package.framework.biennium
    notes: list[str] = []
    decisions = checked.reviews.clean
    for received in (f for f in package.files if f.role == "reviews"):
        rows = decisions[decisions["source_file"] == received.name] if len(decisions) else decisions
        refused: dict[str, list[str]] = {}  # the results not applied, by reason
        for d, why in import_package_reviews(engine, biennium, rows, received).refused:
            refused.setdefault(why, []).append(f"{d.cpo_code} {d.indicator}")
        notes += [
            f"{received.name}: {', '.join(results)}: not applied: {why}" for why, results in refused.items()
        ]
    sync(engine, biennium)
    return notes


def reviewed(engine: Engine, biennium: str, evidence: pd.DataFrame, draft: bool) -> Reviewed:
    """The approved and pending results of `evidence`; NothingApproved for a final build with none."""
    approved = approved_results(evidence, approved_versions(engine, biennium))
    pending = set(result_versions(evidence)) - approved
    if not draft and not approved:
        raise NothingApproved(
            f"nothing approved in {biennium} ({len(pending)} result(s) await review: reporting review "
            "list): no report built; --draft builds a draft counting every reportable result"
        )
    return Reviewed(frozenset(approved), frozenset(pending), draft)


def as_draft(context: dict[str, Any], results: pd.DataFrame, review: Reviewed) -> dict[str, Any]:
    """A draft's report context: the results not yet approved flagged where listed, and `draft` saying
    how many of the reportable results are not yet approved (render marks the report DRAFT)."""
    shown = results[results["reportable"]]
    pending = review.pending & {
        (str(i), str(c)) for i, c in zip(shown["indicator"], shown["cpo_code"], strict=True)
    }
    return {**flag_pending(context, set(pending)), "draft": {"pending": len(pending)}}
