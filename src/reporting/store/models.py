"""The store's tables (SQLModel; SQLite by default, PostgreSQL via DATABASE_URL). The schema is made and
changed by the Alembic revisions in store/migrations: after changing a model here, write a revision."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, UniqueConstraint
from sqlmodel import Field, SQLModel

from reporting.vocabulary import EVIDENCE_COLUMNS, OPTIONAL_EVIDENCE_COLUMNS


class ReceivedFileRecord(SQLModel, table=True):
    __tablename__ = "received_file"
    __table_args__ = (UniqueConstraint("biennium", "sha256", name="uq_received_file_biennium_sha256"),)
    id: int | None = Field(default=None, primary_key=True)
    biennium: str = Field(index=True)
    name: str
    role: str
    sha256: str = Field(index=True)
    size: int
    received_at: datetime
    archive_path: str
    superseded_by_id: int | None = Field(default=None, foreign_key="received_file.id", index=True)
    superseded_at: datetime | None = None


class IndicatorRecord(SQLModel, table=True):
    __tablename__ = "indicator"
    id: int | None = Field(default=None, primary_key=True)
    biennium: str = Field(index=True)
    outcome: str
    outcome_title: str
    indicator: str
    title: str
    min_criteria: int
    criteria_json: str


class TargetRecord(SQLModel, table=True):
    __tablename__ = "target"
    id: int | None = Field(default=None, primary_key=True)
    received_file_id: int = Field(foreign_key="received_file.id", index=True)
    biennium: str = Field(index=True)
    outcome: str
    indicator: str
    region: str
    target: int
    superseded_by_file_id: int | None = Field(default=None, foreign_key="received_file.id", index=True)


class EvidenceRecord(SQLModel, table=True):
    __tablename__ = "evidence"
    id: int | None = Field(default=None, primary_key=True)
    received_file_id: int = Field(foreign_key="received_file.id", index=True)
    source_sheet: str
    source_row: int
    biennium: str = Field(index=True)
    outcome: str
    indicator: str
    region: str
    country: str
    cpo_code: str = Field(index=True)
    cpo_title: str
    criterion: int
    result_achieved: str
    ilo_contribution: str
    typology: str = Field(default="", sa_column_kwargs={"server_default": ""})
    gender_specific: str = Field(default="", sa_column_kwargs={"server_default": ""})
    submitted_by: str = Field(default="", sa_column_kwargs={"server_default": ""})
    superseded_by_file_id: int | None = Field(default=None, foreign_key="received_file.id", index=True)


class RejectedRowRecord(SQLModel, table=True):
    """A row validation set aside: kept whole (as JSON of what was typed) with its reason."""

    __tablename__ = "rejected_row"
    id: int | None = Field(default=None, primary_key=True)
    received_file_id: int = Field(foreign_key="received_file.id", index=True)
    source_sheet: str
    source_row: int | None
    reason: str
    row_json: str
    superseded_by_file_id: int | None = Field(default=None, foreign_key="received_file.id", index=True)


class BuildRecord(SQLModel, table=True):
    """A build of the report: what it was made from (its input files with their stored ids) and what
    it gave (indicator summary and evidence trail as CSV), so that the next build can say what changed."""

    __tablename__ = "build"
    id: int | None = Field(default=None, primary_key=True)
    biennium: str = Field(index=True)
    build_id: str = Field(index=True)
    built_at: datetime
    flow_run_id: str | None = None
    out_dir: str
    outcomes_json: str
    inputs_json: str
    summary_csv: str
    evidence_csv: str


ROW_TABLES: tuple[type[SQLModel], ...] = (EvidenceRecord, TargetRecord, RejectedRowRecord)
"""The tables whose rows belong to one received file and are superseded with it."""
STORED_EVIDENCE_COLUMNS: tuple[str, ...] = (*EVIDENCE_COLUMNS, *OPTIONAL_EVIDENCE_COLUMNS)


def table(model: type[SQLModel]) -> Table:
    """The SQLAlchemy table of a model, for Core queries (bulk inserts, selects into DataFrames)."""
    found: Table = model.__table__  # type: ignore[attr-defined]
    return found
