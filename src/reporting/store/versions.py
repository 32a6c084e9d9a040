"""The versions of what each office sent: every file received for a biennium, current or superseded
(by which file, when), and what each version added, removed or changed against the rows it superseded —
`reporting history` lists them. Builds compare the evidence of their input files with it too."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, select

from reporting.store.models import (
    STORED_EVIDENCE_COLUMNS,
    EvidenceRecord,
    ReceivedFileRecord,
    RejectedRowRecord,
    table,
)

ROW_KEY: tuple[str, ...] = ("cpo_code", "indicator", "criterion")
"""What identifies an evidence row across versions of a file: one criterion met by one CPO."""


def _evidence_where(conn: Connection, where: Any) -> pd.DataFrame:
    """The stored columns of the evidence rows that `where` selects, in the order stored."""
    evidence = table(EvidenceRecord)
    query = select(*(evidence.c[c] for c in STORED_EVIDENCE_COLUMNS)).where(where).order_by(evidence.c.id)
    return pd.read_sql(query, conn)


COMPARED = tuple(c for c in STORED_EVIDENCE_COLUMNS if c not in ROW_KEY)
"""The columns of an evidence row compared between its versions (its key aside)."""


def side_by_side(new: pd.DataFrame, old: pd.DataFrame) -> pd.DataFrame:
    """Two versions of evidence rows matched on ROW_KEY (each row once per version): a column's old value
    in `<column>_old`, and `change`: added (new only), removed (old only) or changed (in both; which
    columns differ is the caller's to ask)."""
    both = new.merge(old, on=list(ROW_KEY), how="outer", suffixes=("", "_old"), indicator=True)
    both["change"] = both["_merge"].map({"left_only": "added", "right_only": "removed", "both": "changed"})
    return both


def _changes(new: pd.DataFrame, old: pd.DataFrame) -> pd.DataFrame:
    """Row by row (keyed on CPO, indicator, criterion): added, removed, or changed and in which columns."""
    compared = list(COMPARED)
    both = side_by_side(new, old)
    differing = pd.DataFrame({c: both[c].fillna("") != both[f"{c}_old"].fillna("") for c in compared})
    both["columns"] = [
        ", ".join(c for c in compared if row[c]) if change == "changed" else ""
        for change, row in zip(both["change"], differing.to_dict("records"), strict=True)
    ]
    kept = both[(both["change"] != "changed") | (both["columns"] != "")]
    return kept[["change", *ROW_KEY, "columns"]].sort_values([*ROW_KEY]).reset_index(drop=True)


def version_changes(engine: Engine, file_id: int) -> pd.DataFrame:
    """What a version changed against the rows it superseded: one line per added, removed or changed
    evidence row (`columns` names what changed)."""
    evidence = table(EvidenceRecord)
    with engine.connect() as conn:
        new = _evidence_where(conn, evidence.c.received_file_id == file_id)
        old = _evidence_where(conn, evidence.c.superseded_by_file_id == file_id)
    return _changes(new.drop_duplicates(subset=list(ROW_KEY)), old.drop_duplicates(subset=list(ROW_KEY)))


HISTORY_COLUMNS = [
    "file_id", "name", "role", "sha256", "received_at", "status", "superseded_by", "superseded_at",
    "evidence_rows", "rejected_rows", "added", "removed", "changed",
]  # fmt: skip


def file_history(engine: Engine, biennium: str) -> pd.DataFrame:
    """Every file received for a biennium, oldest first: whether it is current or which file
    superseded it and when, its rows, and how many rows it added, removed or changed."""
    files, evidence, rejected = table(ReceivedFileRecord), table(EvidenceRecord), table(RejectedRowRecord)
    with engine.connect() as conn:
        history = pd.read_sql(
            select(
                files.c.id.label("file_id"),
                files.c.name,
                files.c.role,
                files.c.sha256,
                files.c.received_at,
                files.c.superseded_by_id.label("superseded_by"),
                files.c.superseded_at,
            )
            .where(files.c.biennium == biennium)
            .order_by(files.c.id),
            conn,
        )
        counts = {
            name: pd.read_sql(
                select(model.c.received_file_id, model.c.id).where(
                    model.c.received_file_id.in_(history["file_id"])
                ),
                conn,
            )
            .groupby("received_file_id")
            .size()
            for name, model in (("evidence_rows", evidence), ("rejected_rows", rejected))
        }
        replacing = set(
            pd.read_sql(
                select(evidence.c.superseded_by_file_id)
                .where(evidence.c.biennium == biennium, evidence.c.superseded_by_file_id.is_not(None))
                .distinct(),
                conn,
            )["superseded_by_file_id"]
        )
    history["status"] = history["superseded_by"].isna().map({True: "current", False: "superseded"})
    history["superseded_by"] = history["superseded_by"].astype("Int64")
    for name, per_file in counts.items():
        history[name] = history["file_id"].map(per_file).fillna(0).astype("int64")
    tallies = {
        int(f): version_changes(engine, int(f))["change"].value_counts()
        for f in history["file_id"]
        if f in replacing
    }
    for change in ("added", "removed", "changed"):
        history[change] = pd.array(
            [int(tallies[f].get(change, 0)) if f in tallies else pd.NA for f in history["file_id"]],
            dtype="Int64",
        )
    return history[HISTORY_COLUMNS]


def evidence_of_files(engine: Engine, file_ids: list[int]) -> pd.DataFrame:
    """The evidence rows stored from these received files (in force or superseded since)."""
    with engine.connect() as conn:
        return _evidence_where(conn, table(EvidenceRecord).c.received_file_id.in_(file_ids))
