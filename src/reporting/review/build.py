"""What a build counts once the review has spoken: the approved results (the final report), or the
approved and pending ones (a draft: every result but those returned to their office, which it lists
with the reviewer's comment). The package's own review decisions (reviews.csv) are applied first, once
per version of the file."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from reporting.counting.approval import Result, approved_results, only, result_versions
from reporting.errors import PackageError, named_few
from reporting.intake.readers import Package
from reporting.intake.validate import PackageValidation
from reporting.report.draft import flag_pending
from reporting.review.results import approved_versions, import_package_reviews, returned_results, sync


class NothingApproved(PackageError):
    """A final build with no approved result: nothing is built (a draft can be)."""


@dataclass(frozen=True)
class ReturnedResult:
    """A result returned to its office on the rows the build holds: not counted, listed in a draft."""

    indicator: str
    cpo_code: str
    country: str
    by: str
    comment: str


@dataclass(frozen=True)
class Reviewed:
    """The results of a build's evidence as the review left them."""

    approved: frozenset[Result]
    pending: frozenset[Result]
    """The results submitted and not yet decided on (on the rows the build holds): counted in a draft."""
    draft: bool
    returned: tuple[ReturnedResult, ...]
    """Returned to their office: counted nowhere, listed in a draft."""
    versions: tuple[tuple[Result, str], ...]
    """The version of the rows of each result of the evidence (counting.approval.result_versions)."""

    @property
    def fingerprint(self) -> str:
        """What the counts depend on besides the package (a cache key part)."""
        listed = (
            [f"{i}:{c}" for i, c in sorted(self.approved)]
            + ["|"]
            + [f"{i}:{c}" for i, c in sorted(self.pending)]
            + ["|"]
            + ["\x1e".join(dataclasses.astuple(r)) for r in self.returned]
        )
        return hashlib.sha256("\x1f".join([str(self.draft), *listed]).encode()).hexdigest()

    @property
    def counted_rows(self) -> dict[Result, str]:
        """The results the report counts and the version of the rows counted: in a draft, what approving
        it approves (reporting.review.results.sign_off), no more, no fewer."""
        counted = self.approved | self.pending if self.draft else self.approved
        return {key: version for key, version in self.versions if key in counted}

    @property
    def returned_listed(self) -> list[dict[str, str]]:
        """The results returned, as a draft lists them (report.draft.Returned)."""
        return [dataclasses.asdict(r) for r in self.returned]

    def counted(self, checked: PackageValidation) -> PackageValidation:
        """The validation with only the evidence rows the report counts."""
        clean = only(checked.evidence.clean, set(self.counted_rows))
        return dataclasses.replace(checked, evidence=dataclasses.replace(checked.evidence, clean=clean))


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
            f"{received.name}: {named_few(results)}: not applied: {why}" for why, results in refused.items()
        ]
    if not any(f.role == "reviews" for f in package.files):  # importing reviews.csv synced them
        sync(engine, biennium)
    return notes


def reviewed(engine: Engine, biennium: str, evidence: pd.DataFrame, draft: bool) -> Reviewed:
    """The approved, pending and returned results of `evidence`; NothingApproved for a final build with
    none approved."""
    versions = result_versions(evidence)
    approved = approved_results(versions, approved_versions(engine, biennium))
    countries = evidence.groupby(["indicator", "cpo_code"])["country"].first()
    returned = tuple(
        ReturnedResult(i, c, str(countries[(i, c)]), by, comment)
        for (i, c), (version, by, comment) in sorted(returned_results(engine, biennium).items())
        if versions.get((i, c)) == version
    )
    pending = set(versions) - approved - {(r.indicator, r.cpo_code) for r in returned}
    if not draft and not approved:
        raise NothingApproved(
            f"nothing approved in {biennium} ({len(pending)} result(s) await review: reporting review "
            "list): no report built; --draft builds a draft counting every result not returned"
        )
    return Reviewed(frozenset(approved), frozenset(pending), draft, returned, tuple(sorted(versions.items())))


def as_draft(context: dict[str, Any], results: pd.DataFrame, review: Reviewed) -> dict[str, Any]:
    """A draft's report context: the results not yet approved flagged where listed, and `draft` saying
    how many of the reportable results are not yet approved and which results were returned to their
    office (render marks the report DRAFT and lists them in its draft annex)."""
    shown = results[results["reportable"]]
    pending = review.pending & {
        (str(i), str(c)) for i, c in zip(shown["indicator"], shown["cpo_code"], strict=True)
    }
    draft = {"pending": len(pending), "returned": review.returned_listed}
    return {**flag_pending(context, set(pending)), "draft": draft}
