"""The review of CPO results and the locks of bienniums: every transition, every refusal, and its
audit entry.

submitted → returned (comment required) → submitted again when a new version of its rows arrives →
approved; `reopen` (reason required) withdraws an approval or a return. A new version of an approved
result's rows puts it back to submitted and says so. Nothing changes in a locked biennium.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from reporting import people
from reporting.counting.aggregate import reportable_results
from reporting.counting.approval import Result, result_versions
from reporting.errors import PackageError
from reporting.intake.readers import ReceivedFile
from reporting.store import review as store
from reporting.store.archive import archive
from reporting.store.in_force import current_evidence, current_rejected, stored_framework
from reporting.store.models import ReceivedFileRecord, table
from reporting.store.review import APPROVED, RETURNED, SUBMITTED, Entry, record

INTAKE = "intake"
"""Who a change made by receiving rows is recorded as (with the file named in the reason)."""
ACTIONS = {"approve": APPROVED, "return": RETURNED, "reopen": SUBMITTED}
STALE = "its rows changed since the sheet was exported"
Partial = Literal["none", "stale", "each"]
"""Which refusals leave the other decisions applied: none (all or nothing), those on rows that changed
since a review sheet was exported (`stale`), or each one (a package's reviews.csv, row by row)."""


class ReviewError(Exception):
    """A review change that is refused (no current rows, no comment, locked biennium…): one line."""


class LockedError(PackageError):
    """A biennium is locked: its files are archived and marked refused, nothing is stored."""


@dataclass(frozen=True)
class Decision:
    """A reviewer's decision on one CPO result: `action` is approve, return or reopen."""

    indicator: str
    cpo_code: str
    action: str
    by: str
    comment: str = ""
    version: str | None = None
    """The version of the rows decided on (a review sheet's): refused if the rows changed since."""
    role: str = people.REVIEWER
    """The role the people directory must give `by` (a reviewer: for the result's region)."""


@dataclass(frozen=True)
class Origin:
    """Where a result's rows come from: its region and who submitted them (their `submitted_by`)."""

    region: str
    submitters: frozenset[str]


def _origins(evidence: pd.DataFrame) -> dict[Result, Origin]:
    """Each result's region (of its first row) and submitters, from the distinct (result, submitter)
    pairs: no frame per result."""
    if evidence.empty:
        return {}
    keys = ["indicator", "cpo_code"]
    submitted_by = evidence.get("submitted_by", pd.Series("", index=evidence.index)).fillna("").astype(str)
    rows = evidence[[*keys, "region"]].assign(submitted_by=submitted_by.str.strip()).dropna(subset=keys)
    submitters: dict[Result, set[str]] = {}
    named = rows.loc[rows["submitted_by"] != "", [*keys, "submitted_by"]].drop_duplicates()
    for indicator, code, name in named.itertuples(index=False):
        submitters.setdefault((str(indicator), str(code)), set()).add(name)
    firsts = rows.drop_duplicates(keys)
    return {
        (str(i), str(c)): Origin(str(region), frozenset(submitters.get((str(i), str(c)), ())))
        for i, c, region in zip(firsts["indicator"], firsts["cpo_code"], firsts["region"], strict=True)
    }


def _not_allowed(decision: Decision, directory: people.Directory | str, origin: Origin | None) -> str | None:
    """Why the directory does not let `decision.by` take this decision (`directory` is why there is
    none, when there is none), or None: the role, the region for a reviewer, four eyes for an approval."""
    if isinstance(directory, str):
        return directory
    region = origin.region if origin is not None and decision.role == people.REVIEWER else None
    why = people.refusal(directory, decision.by, decision.role, region)
    if why is None and decision.action == "approve" and origin is not None:
        why = people.four_eyes(decision.by, origin.submitters)
    return why


def _directory() -> people.Directory | str:
    try:
        return people.load()
    except people.NotAllowed as missing:
        return str(missing)


def _locked_reason(lock: store.Lock) -> str:
    when = lock.locked_at.strftime("%Y-%m-%d %H:%M")
    return f"biennium {lock.biennium} is locked (by {lock.locked_by}, {when} UTC): unlock it first"


def _refuse_if_locked(conn: Connection, biennium: str) -> None:
    lock = store.lock_of(conn, biennium)
    if lock is not None:
        raise ReviewError(_locked_reason(lock))


def _files_of(evidence: pd.DataFrame) -> dict[Result, str]:
    """Each result's files, sorted and listed once: from the distinct (result, file) pairs."""
    keys = ["indicator", "cpo_code"]
    pairs = evidence[[*keys, "source_file"]].dropna().drop_duplicates().sort_values("source_file")
    files: dict[Result, list[str]] = {}
    for indicator, code, file in pairs.itertuples(index=False):
        files.setdefault((str(indicator), str(code)), []).append(str(file))
    return {key: ", ".join(names) for key, names in files.items()}


def _superseded_files(conn: Connection, biennium: str) -> list[Entry]:
    """An audit entry for every file version superseded since the last sync (its rows with it)."""
    files = table(ReceivedFileRecord)
    audit = table(store.AuditEntryRecord)
    recorded = {
        r.old_value
        for r in conn.execute(
            select(audit.c.old_value).where(audit.c.biennium == biennium, audit.c.what == "file superseded")
        )
    }
    newer = files.alias("newer")
    rows = conn.execute(
        select(
            files.c.id,
            files.c.name,
            files.c.sha256,
            newer.c.name.label("by_name"),
            newer.c.sha256.label("by_sha"),
        )
        .join(newer, newer.c.id == files.c.superseded_by_id)
        .where(files.c.biennium == biennium)
        .order_by(files.c.id)
    ).all()
    return [
        Entry(
            by=INTAKE,
            biennium=biennium,
            what="file superseded",
            old_value=f"{r.name} {r.sha256[:12]}",
            new_value=f"{r.by_name} {r.by_sha[:12]}",
            reason="a new version of the file: its rows are kept, marked superseded",
        )
        for r in rows
        if f"{r.name} {r.sha256[:12]}" not in recorded
    ]


def sync(engine: Engine, biennium: str) -> list[Entry]:
    """Bring the reviews of a biennium in line with the rows in force: a new result is submitted, a
    result whose rows changed is submitted again (an approval or return on older rows no longer holds),
    a result without rows in force keeps its status with no version. Returns the entries recorded."""
    return _synced(engine, biennium)[0]


def _synced(engine: Engine, biennium: str) -> tuple[list[Entry], pd.DataFrame]:
    """`sync`, and the evidence in force it read (so that a caller does not read it again). Every change
    of a review is written in one batch."""
    evidence = current_evidence(engine, biennium)
    versions = result_versions(evidence)
    files = _files_of(evidence) if len(evidence) else {}
    entries: list[Entry] = []
    with engine.begin() as conn:
        entries += _superseded_files(conn, biennium)
        known = store.reviews(conn, biennium)
        submitted: list[dict[str, str]] = []
        changed: list[dict[str, object]] = []
        for key in sorted(set(versions) | set(known)):
            indicator, code = key
            version, review = versions.get(key, ""), known.get(key)
            where = f"rows in {files[key]}" if key in files else "no rows in force"
            if review is None:
                submitted.append(
                    {
                        "indicator": indicator,
                        "cpo_code": code,
                        "status": SUBMITTED,
                        "version": version,
                        "changed_by": INTAKE,
                    }
                )
                entries.append(Entry(INTAKE, biennium, "status", "", SUBMITTED, where, indicator, code))
                continue
            if review["version"] == version:
                continue
            entries.append(
                Entry(INTAKE, biennium, "rows", review["version"], version, where, indicator, code)
            )
            if review["status"] != SUBMITTED and version:
                entries.append(
                    Entry(
                        INTAKE, biennium, "status", review["status"], SUBMITTED,
                        f"a new version of its rows arrived ({files[key]}); the {review['status']} "
                        f"status was for the earlier rows", indicator, code,
                    )
                )  # fmt: skip
                changed.append(
                    {
                        "indicator": indicator, "cpo_code": code, "status": SUBMITTED, "version": version,
                        "changed_by": INTAKE, "changed_at": store.now(), "comment": "",
                    }
                )  # fmt: skip
            else:
                changed.append({"indicator": indicator, "cpo_code": code, "version": version})
        store.update_reviews(conn, biennium, changed)
        store.insert_reviews(conn, biennium, submitted)
        record(conn, *entries)
    return entries, evidence


def _refusal(decision: Decision, review: dict[str, object] | None) -> str | None:
    """Why a decision cannot be applied to a result in this state, or None."""
    status = None if review is None else review["status"]
    if decision.action not in ACTIONS:
        return f"unknown decision {decision.action!r} (one of: {', '.join(ACTIONS)})"
    if review is None or not review["version"]:
        return "no current rows: nothing to decide on" if decision.action == "approve" else "no such result"
    if decision.version is not None and decision.version != review["version"]:
        return f"{STALE}: export again and decide on the new rows"
    if decision.action == "approve" and status != SUBMITTED:
        return f"it is {status}, not submitted" + (": reopen it first" if status == RETURNED else "")
    if decision.action == "return" and not decision.comment.strip():
        return "returning needs a comment for the office (--comment)"
    if decision.action == "return" and status != SUBMITTED:
        return f"it is {status}, not submitted" + (": reopen it first" if status == APPROVED else "")
    if decision.action == "reopen" and not decision.comment.strip():
        return "reopening needs a reason (--reason)"
    if decision.action == "reopen" and status == SUBMITTED:
        return "it is already submitted"
    return None


@dataclass(frozen=True)
class Outcome:
    """What a batch of decisions did: the entries recorded, or the refusals (result, reason)."""

    applied: list[Entry]
    refused: list[tuple[Decision, str]]


def decide(
    engine: Engine, biennium: str, decisions: Iterable[Decision], partial: Partial = "none", source: str = ""
) -> Outcome:
    """Apply decisions in one transaction, all or nothing unless `partial` says which refusals leave the
    others applied. `source` is added to each entry's reason (e.g. the sheet they came from)."""
    asked = list(decisions)
    if not asked:
        return Outcome([], [])
    return _decide_synced(engine, biennium, asked, partial, source, _synced(engine, biennium)[1])


def _decide_synced(
    engine: Engine,
    biennium: str,
    asked: list[Decision],
    partial: Partial,
    source: str,
    evidence: pd.DataFrame,
) -> Outcome:
    """`decide` once the reviews are synced with `evidence`, the rows in force: the changes of the
    reviews written in one batch."""
    directory, origins = _directory(), _origins(evidence)
    with engine.begin() as conn:
        _refuse_if_locked(conn, biennium)
        known = store.reviews(conn, biennium)
        refused = [
            (d, why)
            for d in asked
            if (why := _not_allowed(d, directory, origins.get((d.indicator, d.cpo_code))))
            or (why := _refusal(d, known.get((d.indicator, d.cpo_code))))
        ]
        stale = all(STALE in why for _, why in refused)
        if refused and not (partial == "each" or (partial == "stale" and stale)):
            return Outcome([], refused)
        entries: list[Entry] = []
        changed: list[dict[str, object]] = []
        refused_ones = {id(d) for d, _ in refused}
        for d in (d for d in asked if id(d) not in refused_ones):
            old = known[(d.indicator, d.cpo_code)]["status"]
            new = ACTIONS[d.action]
            rows = f"on rows {d.version}" if d.version else ""
            reason = "; ".join(p for p in (d.comment.strip(), source, rows) if p)
            changed.append(
                {
                    "indicator": d.indicator, "cpo_code": d.cpo_code, "status": new, "changed_by": d.by,
                    "changed_at": store.now(), "comment": d.comment.strip(),
                }
            )  # fmt: skip
            entries.append(Entry(d.by, biennium, "status", str(old), new, reason, d.indicator, d.cpo_code))
        store.update_reviews(conn, biennium, changed)
        record(conn, *entries)
    return Outcome(entries, refused)


def lock(engine: Engine, biennium: str, by: str, reason: str = "") -> Entry:
    """Freeze a biennium: later ingests and review changes are refused."""
    with engine.begin() as conn:
        existing = store.lock_of(conn, biennium)
        if existing is not None:
            raise ReviewError(f"biennium {biennium} is already locked (by {existing.locked_by})")
        store.insert_lock(conn, biennium, by, reason)
        entry = Entry(by, biennium, "lock", "unlocked", "locked", reason)
        record(conn, entry)
    return entry


def unlock(engine: Engine, biennium: str, by: str, reason: str) -> Entry:
    """Open a locked biennium again (a reason is required: it goes into the audit trail)."""
    if not reason.strip():
        raise ReviewError("unlocking needs a reason (--reason)")
    with engine.begin() as conn:
        if store.lock_of(conn, biennium) is None:
            raise ReviewError(f"biennium {biennium} is not locked")
        store.remove_lock(conn, biennium)
        entry = Entry(by, biennium, "lock", "locked", "unlocked", reason.strip())
        record(conn, entry)
    return entry


def is_locked(engine: Engine, biennium: str) -> bool:
    with engine.connect() as conn:
        return store.lock_of(conn, biennium) is not None


def refuse_if_locked(
    engine: Engine, biennium: str, files: tuple[ReceivedFile, ...], archive_root: Path
) -> None:
    """Before storing a package: in a locked biennium, every file not stored yet is archived (as
    received) and recorded as refused, and LockedError says why. Files already stored pass (a rebuild of
    what was locked builds the same report)."""
    received = table(ReceivedFileRecord)
    with engine.begin() as conn:
        lock_held = store.lock_of(conn, biennium)
        if lock_held is None:
            return
        stored = {
            r.sha256 for r in conn.execute(select(received.c.sha256).where(received.c.biennium == biennium))
        }
        late = [f for f in files if f.sha256 not in stored]
        if not late:
            return
        entries = [
            Entry(
                INTAKE,
                biennium,
                "file refused",
                "",
                f"{f.name} {f.sha256[:12]} ({archive(f, archive_root)})",
                f"biennium locked by {lock_held.locked_by}",
            )
            for f in late
        ]
        record(conn, *entries)
    names = ", ".join(f.name for f in late)
    raise LockedError(f"{_locked_reason(lock_held)}; refused: {names} (archived, not stored)")


def _texts(evidence: pd.DataFrame) -> pd.DataFrame:
    """Each result's texts (indicator, cpo_code, texts): "[criterion] result [ILO] contribution" per
    row, by criterion, one per line; joined in one pass over the sorted rows, not a frame per result."""
    rows = evidence[["indicator", "cpo_code", "criterion"]].assign(
        text="["
        + evidence["criterion"].astype(str)
        + "] "
        + evidence["result_achieved"].astype(str)
        + " [ILO] "
        + evidence["ilo_contribution"].astype(str)
    )
    rows = rows.sort_values("criterion")
    texts: dict[tuple[str, str], list[str]] = {}
    for indicator, code, text in zip(
        *(rows[c].tolist() for c in ("indicator", "cpo_code", "text")), strict=True
    ):
        texts.setdefault((indicator, code), []).append(text)
    return pd.DataFrame(
        [(indicator, code, "\n".join(parts)) for (indicator, code), parts in texts.items()],
        columns=["indicator", "cpo_code", "texts"],
    )


def results_frame(engine: Engine, biennium: str) -> pd.DataFrame:
    """One row per CPO result of a biennium with its review: region, country, CPO, indicator, criteria
    met, reportable, texts, status, who changed it when, the comment and the version of its rows."""
    evidence = _synced(engine, biennium)[1]
    framework = stored_framework(engine, biennium)
    reviews = store.review_frame(engine, biennium)
    if framework is None or evidence.empty:
        facts = pd.DataFrame(columns=["indicator", "cpo_code"])
    else:
        facts = reportable_results(evidence, framework)
        facts["criteria"] = facts["criteria"].map(lambda c: ", ".join(str(x) for x in c))
        facts = facts.merge(_texts(evidence), on=["indicator", "cpo_code"], how="left")
    merged = reviews.merge(facts, on=["indicator", "cpo_code"], how="left")
    for column in ("region", "country", "cpo_title", "criteria", "texts"):
        merged[column] = merged.get(column, pd.Series(dtype=str)).astype("string").fillna("")
    merged["reportable"] = merged.get("reportable", pd.Series(dtype=bool)).fillna(False).astype(bool)
    merged["criteria_met"] = merged.get("criteria_met", pd.Series(dtype="Int64")).fillna(0).astype("int64")
    return merged.sort_values(["region", "indicator", "cpo_code"]).reset_index(drop=True)


@dataclass(frozen=True)
class SetAside:
    """A row of a CPO result that validation set aside: where it is and the rule's message."""

    file: str
    sheet: str
    row: str
    reason: str


def set_aside_rows(engine: Engine, biennium: str) -> dict[Result, list[SetAside]]:
    """The rows in force that validation set aside, by the CPO result they name (a row naming none is
    not a result's): what a reviewer reads beside the result's texts, as its office's validation report
    says it."""
    rejected = current_rejected(engine, biennium)
    if rejected.empty or not {"indicator", "cpo_code"} <= set(rejected.columns):
        return {}
    columns = ["indicator", "cpo_code", "source_file", "source_sheet", "source_row", "reason"]
    found: dict[Result, list[SetAside]] = {}
    for indicator, code, file, sheet, row, reason in (
        rejected[columns].fillna("").astype(str).itertuples(index=False)
    ):
        found.setdefault((indicator, code), []).append(SetAside(file, sheet, row, reason))
    return found


def select_results(
    results: pd.DataFrame,
    region: str | None = None,
    indicator: str | None = None,
    status: str | None = None,
    cpo: str | None = None,
) -> pd.DataFrame:
    """The results matching every filter given (region and CPO case-insensitive)."""
    keep = pd.Series(True, index=results.index)
    if region:
        keep &= results["region"].str.casefold() == region.casefold()
    if indicator:
        keep &= results["indicator"] == indicator
    if status:
        keep &= results["status"] == status
    if cpo:
        keep &= results["cpo_code"].str.casefold() == cpo.casefold()
    return results[keep]


def approved_versions(engine: Engine, biennium: str) -> dict[Result, str]:
    """The approved results of a biennium and the version of the rows each was approved on."""
    reviews = store.review_frame(engine, biennium)
    approved = reviews[reviews["status"] == APPROVED]
    return {
        (str(i), str(c)): str(v)
        for i, c, v in zip(approved["indicator"], approved["cpo_code"], approved["version"], strict=True)
    }


def returned_results(engine: Engine, biennium: str) -> dict[Result, tuple[str, str, str]]:
    """The results of a biennium returned to their office: the version of the rows each was returned
    on, who returned it and the comment."""
    reviews = store.review_frame(engine, biennium)
    returned = reviews[reviews["status"] == RETURNED]
    return {
        (str(r.indicator), str(r.cpo_code)): (str(r.version), str(r.changed_by), str(r.comment))
        for r in returned.itertuples(index=False)
    }


def latest_biennium(engine: Engine) -> str | None:
    """The newest biennium with reviewed results (the default of the review commands)."""
    reviews = table(store.ResultReviewRecord)
    files = table(ReceivedFileRecord)
    with engine.connect() as conn:
        found = conn.execute(select(reviews.c.biennium).order_by(reviews.c.biennium.desc()).limit(1)).scalar()
        if found is None:
            found = conn.execute(select(files.c.biennium).order_by(files.c.biennium.desc()).limit(1)).scalar()
    return None if found is None else str(found)


IMPORTED = re.compile(r"(^|; )imported from .+ [0-9a-f]{12}(;|$)")
"""How an audit entry's reason names the package file a decision was imported from (`source` below)."""


def _a_persons(by: str, reason: str) -> bool:
    """Whether a status change was a person's decision made here: not the intake's, not imported."""
    return by != INTAKE and IMPORTED.search(reason) is None


def import_package_reviews(
    engine: Engine, biennium: str, decisions: pd.DataFrame, received: ReceivedFile
) -> Outcome:
    """Apply the decisions a package carries (reviews.csv: indicator, cpo_code, decision, by, comment):
    each change is an audit entry naming the file as imported and the rows decided on. A decision the
    result already has is passed over, and so is one on a result whose latest change was a reviewer's
    own (a reopen or a return made here stands), and one on a result someone decided here after this
    version of the file arrived (their decision stands also once new rows arrive); one that cannot apply
    is refused alone (row by row)."""
    source = f"imported from {received.name} {received.sha256[:12]}"
    evidence = _synced(engine, biennium)[1]
    audit, files = table(store.AuditEntryRecord), table(ReceivedFileRecord)
    with engine.connect() as conn:
        known = store.reviews(conn, biennium)
        arrived = conn.execute(
            select(func.min(files.c.received_at)).where(
                files.c.biennium == biennium, files.c.sha256 == received.sha256
            )
        ).scalar()
        latest: dict[tuple[str, str], tuple[str, str]] = {}
        decided_since_the_file: set[tuple[str, str]] = set()  # by a person here, after it arrived
        for entry in conn.execute(
            select(audit.c.indicator, audit.c.cpo_code, audit.c.by, audit.c.reason, audit.c.at)
            .where(audit.c.biennium == biennium, audit.c.what == "status")
            .order_by(audit.c.id)
        ):
            key = (entry.indicator, entry.cpo_code)
            latest[key] = (entry.by, entry.reason)
            if _a_persons(entry.by, entry.reason) and arrived is not None and entry.at > arrived:
                decided_since_the_file.add(key)
    wanted = {"approved": "approve", "returned": "return"}
    asked = []
    for r in decisions.itertuples(index=False):
        key = (str(r.indicator), str(r.cpo_code))
        review = known.get(key, {})
        by, reason = latest.get(key, (INTAKE, ""))
        if (
            review.get("status") != r.decision
            and not _a_persons(by, reason)
            and key not in decided_since_the_file
        ):
            version = str(review.get("version", ""))
            asked.append(Decision(*key, wanted[str(r.decision)], str(r.by), str(r.comment), version))
    if not asked:
        return Outcome([], [])
    return _decide_synced(engine, biennium, asked, "each", source, evidence)


SIGNED_OFF = "report signed off"


def require(by: str, role: str) -> None:
    """ReviewError, in one line, unless the people directory names `by` in `role`."""
    try:
        people.require(by, role)
    except people.NotAllowed as refused:
        raise ReviewError(str(refused)) from None


def sign_off(
    engine: Engine,
    biennium: str,
    by: str,
    approve: bool,
    comment: str = "",
    counted: Mapping[Result, str] | None = None,
) -> list[Entry]:
    """The sign-off of a draft: approving it approves exactly the results the draft counted (`counted`,
    required to approve: each result and the version of its rows, Reviewed.counted_rows), those still
    submitted; refused when one of them changed or was decided on since the draft. Returning it records
    the comment. Either way an audit entry `sign-off` says who and why. Only a signer of the people
    directory signs off, and approves none of the results they submitted (four eyes)."""
    require(by, people.SIGNER)
    entries: list[Entry] = []
    if approve:
        if counted is None:
            raise ReviewError("approving a draft needs the results it counted")
        outcome = decide(engine, biennium, _approvals(engine, biennium, by, counted), source=SIGNED_OFF)
        if outcome.refused:
            raise ReviewError(
                "; ".join(f"{d.cpo_code} {d.indicator}: {why}" for d, why in outcome.refused)
                + ": build the draft again and sign that off"
            )
        entries += outcome.applied
    verdict = APPROVED if approve else RETURNED
    entry = Entry(
        by, biennium, "sign-off", "draft", verdict, comment.strip() or ("" if approve else "no comment given")
    )
    with engine.begin() as conn:
        _refuse_if_locked(conn, biennium)
        record(conn, entry)
    return [*entries, entry]


def _approvals(engine: Engine, biennium: str, by: str, counted: Mapping[Result, str]) -> list[Decision]:
    """The approvals a draft's sign-off makes: of each result it counted and not yet approved on the
    rows it counted. Refused when a result it did not count was approved since (the final report would
    count it)."""
    sync(engine, biennium)
    with engine.connect() as conn:
        known = store.reviews(conn, biennium)
    since = sorted(
        k for k, r in known.items() if r["status"] == APPROVED and r["version"] and k not in counted
    )
    if since:
        listed = ", ".join(f"{c} {i}" for i, c in since)
        raise ReviewError(
            f"approved since the draft was built, not counted in it: {listed}: build the draft again"
        )
    return [
        Decision(i, c, "approve", by, version=version, role=people.SIGNER)
        for (i, c), version in sorted(counted.items())
        if (known.get((i, c)) or {}).get("status") != APPROVED or known[(i, c)]["version"] != version
    ]
