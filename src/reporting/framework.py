"""The results framework (framework.yaml): outcomes, indicators, measurement criteria, reportability.

Titles, statements, reportability and criteria are given as plain text (English) or in several languages,
`title: {en: …, fr: …, es: …}` (English required): the French and Spanish editions of the report show
the text of their language, or the English one where none is given (`untranslated` names those)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    field_validator,
    model_validator,
)

from reporting.errors import PackageError

if TYPE_CHECKING:  # the frames are asked for by the stages; reading framework.yaml does not load pandas
    import pandas as pd

BIENNIUM_PATTERN = r"^\d{4}-\d{2}$"
SOURCE_LANGUAGE = "en"
TRANSLATED_LANGUAGES = ("fr", "es")


class Wording(str):
    """A framework text: the English text (the string itself, as every other part of the code reads it)
    and its translations by language."""

    translations: Mapping[str, str]

    def __new__(cls, english: str, translations: Mapping[str, str] | None = None) -> Wording:
        text = super().__new__(cls, english)
        text.translations = dict(translations or {})
        return text


def _wording_yaml(dumper: yaml.SafeDumper, text: Wording) -> yaml.Node:
    """A Wording written back to YAML as it was read: a plain string, or its texts by language."""
    return dumper.represent_data(_serialized(text))


yaml.SafeDumper.add_representer(Wording, _wording_yaml)


def _wording(value: Any, required: bool) -> str:
    """Plain text, or a mapping of language to text (`en` required, `fr` and `es` optional)."""
    if isinstance(value, Mapping):
        unknown = sorted(str(k) for k in value if k not in (SOURCE_LANGUAGE, *TRANSLATED_LANGUAGES))
        if unknown:
            raise ValueError(
                f"languages are {SOURCE_LANGUAGE}, {', '.join(TRANSLATED_LANGUAGES)}, not {unknown}"
            )
        if not all(isinstance(text, str) for text in value.values()):
            raise ValueError("each language's text must be text")
        if SOURCE_LANGUAGE not in value:
            raise ValueError(f"give the English text ({SOURCE_LANGUAGE}: …) beside its translations")
        english = value[SOURCE_LANGUAGE]
        translations = {k: v for k, v in value.items() if k != SOURCE_LANGUAGE and v.strip()}
        if required and not english:
            raise ValueError("String should have at least 1 character")
        return Wording(english, translations)
    if not isinstance(value, str):
        raise ValueError("Input should be a valid string or a mapping of language to text")
    if required and not value:
        raise ValueError("String should have at least 1 character")
    return value


def _required_text(value: Any) -> str:
    return _wording(value, required=True)


def _optional_text(value: Any) -> str:
    return _wording(value, required=False)


def _serialized(text: str) -> str | dict[str, str]:
    """As framework.yaml gives it: plain text, or the texts by language (so that a fingerprint of the
    framework changes with a translation)."""
    if isinstance(text, Wording) and text.translations:
        return {SOURCE_LANGUAGE: str(text), **text.translations}
    return str(text)


Text = Annotated[str, PlainValidator(_required_text), PlainSerializer(_serialized)]
OptionalText = Annotated[str, PlainValidator(_optional_text), PlainSerializer(_serialized)]


def in_language(text: str, language: str) -> str:
    """`text` in `language` where the framework gives it, else the English text."""
    if isinstance(text, Wording) and language in text.translations:
        return text.translations[language]
    return str(text)


def is_translated(text: str, language: str) -> bool:
    return (
        language == SOURCE_LANGUAGE
        or not text
        or (isinstance(text, Wording) and language in text.translations)
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Criterion(_Strict):
    number: int = Field(ge=1)
    text: Text


class Indicator(_Strict):
    id: str = Field(min_length=1)
    title: Text
    reportability: OptionalText = ""
    min_criteria: int = Field(ge=1)
    criteria: tuple[Criterion, ...] = Field(min_length=1)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _rule_is_satisfiable(self) -> Indicator:
        numbers = [c.number for c in self.criteria]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"indicator {self.id}: a criterion number is declared twice")
        if self.min_criteria > len(numbers):
            raise ValueError(
                f"indicator {self.id}: min_criteria {self.min_criteria} is larger than "
                f"the {len(numbers)} criteria declared"
            )
        return self


class Outcome(_Strict):
    id: str = Field(min_length=1)
    title: Text
    short_title: OptionalText = ""
    statement: OptionalText = ""
    indicators: tuple[Indicator, ...] = Field(min_length=1)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value


class Framework(_Strict):
    biennium: str = Field(pattern=BIENNIUM_PATTERN)
    outcomes: tuple[Outcome, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_are_unique(self) -> Framework:
        seen: set[str] = set()
        for outcome in self.outcomes:
            for indicator in outcome.indicators:
                if indicator.id in seen:
                    raise ValueError(f"indicator {indicator.id} is declared twice")
                seen.add(indicator.id)
        outcome_ids = [o.id for o in self.outcomes]
        if len(set(outcome_ids)) != len(outcome_ids):
            raise ValueError("an outcome id is declared twice")
        return self

    def untranslated(self, language: str) -> list[str]:
        """Where the framework has no text in `language` (the report shows the English one there)."""
        places: list[tuple[str, str]] = []
        for o in self.outcomes:
            places += [
                (f"outcome {o.id} {n}", t) for n, t in (("title", o.title), ("statement", o.statement))
            ]
            for i in o.indicators:
                places += [
                    (f"indicator {i.id} title", i.title),
                    (f"indicator {i.id} reportability", i.reportability),
                ]
                places += [(f"indicator {i.id} criterion {c.number}", c.text) for c in i.criteria]
        return [place for place, text in places if not is_translated(text, language)]

    def indicator(self, indicator_id: str) -> Indicator:
        return next(i for o in self.outcomes for i in o.indicators if i.id == indicator_id)

    def criteria_frame(self) -> pd.DataFrame:
        """One row per declared (outcome, indicator, criterion): what evidence may refer to."""
        import pandas as pd

        rows = [
            {
                "outcome": o.id,
                "indicator": i.id,
                "criterion": c.number,
                "min_criteria": i.min_criteria,
            }
            for o in self.outcomes
            for i in o.indicators
            for c in i.criteria
        ]
        return pd.DataFrame(rows).astype({"criterion": "int64", "min_criteria": "int64"})

    def min_criteria(self, indicators: pd.Series[str]) -> pd.Series[int]:
        """Each indicator's reportability threshold (0 for an id the framework does not declare): the
        one lookup of `min_criteria` that counting, the contracts and the findings' details share."""
        thresholds = {i.id: i.min_criteria for o in self.outcomes for i in o.indicators}
        return indicators.astype(str).map(thresholds).fillna(0).astype("int64")


def parse_framework(text: str, source: str = "framework.yaml") -> Framework:
    """Parse and check a framework; a malformed one is refused with a message naming the problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PackageError(f"{source}: not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(raw, dict):
        raise PackageError(f"{source}: expected a mapping with 'biennium' and 'outcomes'")
    if isinstance(raw.get("biennium"), int | float):
        raise PackageError(f'{source}: biennium must be quoted text such as "2014-15"')
    try:
        return Framework.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise PackageError(f"{source}: {where}: {first['msg']}") from exc


def load_framework(path: Path) -> Framework:
    if not path.is_file():
        raise PackageError(f"{path}: no framework.yaml: a package needs one")
    return parse_framework(path.read_text(encoding="utf-8"), source=str(path))
