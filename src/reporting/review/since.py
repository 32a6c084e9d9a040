"""What changed in a CPO result since its last decision: the reviewer who approved or returned it (or
reopened it) sees, once a new version of its rows has arrived, that decision and the rows it was made on
compared with the rows in force, criterion by criterion.

The decision is the result's latest `status` entry in the audit trail made by someone other than the
intake; the version of the rows it was made on is the old value of the first `rows` entry after it
(sync records one whenever the version changes). The rows themselves are still in the store (a
superseded row is kept): of the states the result's rows went through as its files were stored, the one
whose version (`counting.approval.result_versions`) is the decided one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from reporting.counting.approval import Result, result_versions
from reporting.review.results import IMPORTED, INTAKE
from reporting.store import review as store
from reporting.store.models import STORED_EVIDENCE_COLUMNS, EvidenceRecord, table
from reporting.store.versions import COMPARED, ROW_KEY, side_by_side

KEYS = ["indicator", "cpo_code"]
TEXTS = ("result_achieved", "ilo_contribution")
"""The texts shown of a row that was added or removed."""


@dataclass(frozen=True)
class RowChange:
    """One criterion of a result added, removed or changed since the decision: `texts` gives, for each
    column that differs (the texts of a row added or removed), the column, its value before and now
    ("" where the row was not)."""

    criterion: int
    change: str
    texts: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class SinceDecision:
    """A result's last decision (the status it set, by whom, when, its comment) on rows that have
    changed since; `rows` is what changed, empty with `found` false when the rows decided on could not
    be found in the store (an older file sent again after a newer one: its history is not kept)."""

    status: str
    by: str
    at: datetime
    comment: str
    decided_version: str
    version: str
    found: bool
    rows: tuple[RowChange, ...]


def changes_since_decisions(engine: Engine, biennium: str) -> dict[Result, SinceDecision]:
    """Each result of `biennium` whose rows changed since its last decision, with that decision and
    what changed; a result never decided, or decided on the rows it has now, is not in it. As of the
    last sync of the reviews (`results.sync`; `results_frame` syncs): its `rows` entries say when the
    rows changed. The trail is read once, and only the rows of the changed results (every version of
    them), fingerprinted once per file that touched them and compared column by column: the work grows
    with the changed results and their files, not with the biennium."""
    audit = table(store.AuditEntryRecord)
    query = (
        select(
            audit.c.id,
            audit.c.at,
            audit.c.by,
            *(audit.c[k] for k in KEYS),
            audit.c.what,
            audit.c.old_value,
            audit.c.new_value,
            audit.c.reason,
        )
        .where(audit.c.biennium == biennium, audit.c.what.in_(("status", "rows")))
        .order_by(audit.c.id)
    )
    with engine.connect() as conn:
        trail = pd.read_sql(query, conn)
        now = {key: str(review["version"]) for key, review in store.reviews(conn, biennium).items()}
    decided = _decided_versions(trail)
    decided = decided[
        [now.get(key, "") != v for key, v in zip(_keys(decided), decided["decided"], strict=True)]
    ]
    if decided.empty:
        return {}
    rows = _rows_of(engine, biennium, set(_keys(decided)))
    wanted = dict(zip(_keys(decided), decided["decided"], strict=True))
    then = _rows_decided_on(rows, wanted)
    changes = _row_changes(rows[rows["superseded_by_file_id"].isna()], then)
    found = set(_keys(then))
    return {
        key: SinceDecision(
            status=str(d["new_value"]),
            by=str(d["by"]),
            at=pd.Timestamp(d["at"]).to_pydatetime(),
            comment=_comment(str(d["reason"]), str(d["decided"])),
            decided_version=str(d["decided"]),
            version=now.get(key, ""),
            found=key in found,
            rows=tuple(changes.get(key, ())) if key in found else (),
        )
        for key, d in zip(_keys(decided), decided.to_dict("records"), strict=True)
    }


def _keys(frame: pd.DataFrame) -> list[Result]:
    return list(zip(frame["indicator"].astype(str), frame["cpo_code"].astype(str), strict=True))


def _decided_versions(trail: pd.DataFrame) -> pd.DataFrame:
    """Each result's last decision (a `status` entry not by the intake) that a `rows` entry follows,
    with `decided`, the version of the rows it was made on: the old value of the first such entry."""
    decisions = trail[(trail["what"] == "status") & (trail["by"] != INTAKE)].drop_duplicates(
        KEYS, keep="last"
    )
    changed = trail.loc[trail["what"] == "rows", [*KEYS, "id", "old_value"]]
    later = decisions.merge(changed, on=KEYS, suffixes=("", "_rows"))
    later = later[later["id_rows"] > later["id"]].sort_values("id_rows").drop_duplicates(KEYS, keep="first")
    return later.rename(columns={"old_value_rows": "decided"}).reset_index(drop=True)


def _rows_of(engine: Engine, biennium: str, results: set[Result]) -> pd.DataFrame:
    """Every evidence row stored for these results, in force or superseded, with its file and the file
    that superseded it."""
    evidence = table(EvidenceRecord)
    codes = sorted({code for _indicator, code in results})
    query = (
        select(
            evidence.c.received_file_id,
            evidence.c.superseded_by_file_id,
            *(evidence.c[c] for c in STORED_EVIDENCE_COLUMNS),
        )
        .where(evidence.c.biennium == biennium, evidence.c.cpo_code.in_(codes))
        .order_by(evidence.c.id)
    )
    with engine.connect() as conn:
        rows = pd.read_sql(query, conn)
    wanted = pd.DataFrame(sorted(results), columns=KEYS)
    return rows.astype({"indicator": str, "cpo_code": str}).merge(wanted, on=KEYS).reset_index(drop=True)


def _rows_decided_on(rows: pd.DataFrame, wanted: dict[Result, str]) -> pd.DataFrame:
    """The rows each result had when it was decided on: a result's rows changed only when a file that
    brought or superseded rows of it was stored, so its states are those right after each such file
    (the rows of files stored until then not superseded by one of them); the state whose version is
    the one decided on. The states after one file are fingerprinted together for every result it
    touched."""
    result = pd.Series(_keys(rows), index=rows.index)
    touched = pd.concat(
        [
            pd.DataFrame({"result": result, "file": rows["received_file_id"]}),
            pd.DataFrame({"result": result, "file": rows["superseded_by_file_id"]}).dropna(),
        ]
    ).drop_duplicates()
    superseded = rows["superseded_by_file_id"]
    chosen: list[pd.DataFrame] = []
    left = set(wanted)
    for cut, results in touched.groupby("file", sort=True)["result"]:
        asked = left & set(results)
        if not asked:
            continue
        state = rows[
            result.isin(asked) & (rows["received_file_id"] <= cut) & (superseded.isna() | (superseded > cut))
        ]
        versions = result_versions(state)
        matched = {key for key in asked if versions.get(key) == wanted[key]}
        if matched:
            chosen.append(state[result[state.index].isin(matched)])
            left -= matched
    return pd.concat(chosen) if chosen else rows.iloc[0:0]


def _as_text(column: pd.Series[Any]) -> pd.Series[str]:
    return column.astype("string").fillna("").astype(str)


def _row_changes(now: pd.DataFrame, then: pd.DataFrame) -> dict[Result, list[RowChange]]:
    """Per result, its criteria added, removed or changed between the rows `then` and `now` (a row
    keyed on CPO, indicator and criterion, as store.versions compares file versions), each with the
    columns that differ and their values before and now."""
    key = list(ROW_KEY)
    compared = then[KEYS].drop_duplicates()  # the results whose rows decided on were found
    new = now.merge(compared, on=KEYS).drop_duplicates(subset=key)[[*key, *COMPARED]]
    old = then.drop_duplicates(subset=key)[[*key, *COMPARED]]
    both = side_by_side(new, old)
    change = both["change"]
    parts = []
    for column in COMPARED:
        before, after = _as_text(both[f"{column}_old"]), _as_text(both[column])
        shown = ((change == "changed") & (before != after)) | (
            change.isin(["added", "removed"]) & (column in TEXTS)
        )
        parts.append(
            pd.DataFrame(
                {
                    "indicator": both["indicator"].astype(str),
                    "cpo_code": both["cpo_code"].astype(str),
                    "criterion": pd.to_numeric(both["criterion"]).astype("int64"),
                    "change": change,
                    "order": COMPARED.index(column),
                    "column": column,
                    "before": before,
                    "now": after,
                }
            )[shown]
        )
    listed = pd.concat(parts).sort_values(["indicator", "cpo_code", "criterion", "order"])
    found: dict[Result, dict[int, tuple[str, list[tuple[str, str, str]]]]] = {}
    columns = ["indicator", "cpo_code", "criterion", "change", "column", "before", "now"]
    for indicator, code, criterion, what, column, before, after in zip(
        *(listed[c].tolist() for c in columns), strict=True
    ):
        criteria = found.setdefault((str(indicator), str(code)), {})
        criteria.setdefault(int(criterion), (str(what), []))[1].append((str(column), str(before), str(after)))
    return {
        result: [
            RowChange(criterion, change, tuple(texts)) for criterion, (change, texts) in criteria.items()
        ]
        for result, criteria in found.items()
    }


def _comment(reason: str, version: str) -> str:
    """The decision's comment as its audit entry gives it (`results.decide` adds the file it was imported
    from, if any, and the rows decided on)."""
    said = reason.removesuffix(f"on rows {version}").removesuffix("; ")
    return IMPORTED.sub("", said).removesuffix("; ").strip()
