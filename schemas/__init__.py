"""The data contracts of a submission package, as pandera models: one per table. Each check is a
business rule registered in `rules` (name, severity, column, message) where it is declared."""

from reporting.schemas.evidence import (
    EvidenceRow,
    EvidenceTable,
    evidence_against_framework,
    evidence_reportability,
)
from reporting.schemas.outputs import ExampleRow, OutputRow, outputs_against_framework
from reporting.schemas.reviews import ReviewRow, reviews_against_framework
from reporting.schemas.targets import TargetRow, TargetTable, targets_against_framework

__all__ = [
    "EvidenceRow",
    "EvidenceTable",
    "ExampleRow",
    "OutputRow",
    "ReviewRow",
    "TargetRow",
    "TargetTable",
    "evidence_against_framework",
    "evidence_reportability",
    "outputs_against_framework",
    "reviews_against_framework",
    "targets_against_framework",
]
