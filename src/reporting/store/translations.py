"""The translation memory: each passage of the report translated once, kept by the hash of its source
text and the language, with who translated it and when (Alembic revision 0006).

A later biennium or a rebuild finds a passage's translation by its source text's hash; a source text
changed by an office hashes differently, so its old translation no longer applies (it is stale) and the
passage is exported again. Nothing is overwritten: a new translation of a passage is a new row, and the
newest one is used. Each import is an entry in the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select
from sqlmodel import Field, SQLModel

from reporting.store.models import table
from reporting.store.review import Entry, now, record


class TranslationRecord(SQLModel, table=True):
    """One translation of a passage into one language."""

    __tablename__ = "translation"
    id: int | None = Field(default=None, primary_key=True)
    source_hash: str = Field(index=True)
    language: str = Field(index=True)
    source_text: str
    text: str
    translator: str
    translated_at: datetime


@dataclass(frozen=True)
class Translated:
    """A passage as a translator returned it: its source text's hash, the source, the translation."""

    source_hash: str
    source_text: str
    text: str


def stored_translations(engine: Engine, language: str) -> dict[str, str]:
    """The newest translation of each passage into `language`, by its source text's hash."""
    memory = table(TranslationRecord)
    query = (
        select(memory.c.source_hash, memory.c.text).where(memory.c.language == language).order_by(memory.c.id)
    )
    with engine.connect() as conn:
        return {str(h): str(t) for h, t in conn.execute(query)}


def remember(
    engine: Engine, translations: Iterable[Translated], language: str, by: str, biennium: str, source: str
) -> int:
    """Keep the translations of one imported file, and say so in the audit trail (one entry, in the same
    transaction); returns how many were kept."""
    at = now()
    rows = [
        {
            "source_hash": t.source_hash,
            "language": language,
            "source_text": t.source_text,
            "text": t.text,
            "translator": by,
            "translated_at": at,
        }
        for t in translations
    ]
    if not rows:
        return 0
    with engine.begin() as conn:
        conn.execute(insert(table(TranslationRecord)), rows)
        record(
            conn,
            Entry(
                by=by,
                biennium=biennium,
                what="translations imported",
                new_value=f"{len(rows)} passage(s) into {language}",
                reason=source,
            ),
        )
    return len(rows)
