"""The results framework (framework.yaml): outcomes, indicators, measurement criteria, reportability."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from reporting.errors import PackageError

BIENNIUM_PATTERN = r"^\d{4}-\d{2}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Criterion(_Strict):
    number: int = Field(ge=1)
    text: str = Field(min_length=1)


class Indicator(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    reportability: str = ""
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
    title: str = Field(min_length=1)
    short_title: str = ""
    statement: str = ""
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

    def indicator(self, indicator_id: str) -> Indicator:
        return next(i for o in self.outcomes for i in o.indicators if i.id == indicator_id)

    def criteria_frame(self) -> pd.DataFrame:
        """One row per declared (outcome, indicator, criterion): what evidence may refer to."""
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

    def indicators_frame(self) -> pd.DataFrame:
        """One row per indicator, in framework order, with its outcome and reportability threshold."""
        rows = [
            {"outcome": o.id, "indicator": i.id, "min_criteria": i.min_criteria}
            for o in self.outcomes
            for i in o.indicators
        ]
        return pd.DataFrame(rows).astype({"min_criteria": "int64"})


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
