"""The data contracts of a submission package, as pandera models: one per table."""

from reporting.schemas.evidence import EvidenceRow, evidence_against_framework
from reporting.schemas.targets import TargetRow, targets_against_framework

__all__ = ["EvidenceRow", "TargetRow", "evidence_against_framework", "targets_against_framework"]
