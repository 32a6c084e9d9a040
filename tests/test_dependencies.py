"""The house reads one way (intake → store → counting → report): what each stage's modules import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGES = {
    "reporting.intake": ROOT / "src/reporting/intake",
    "reporting.schemas": ROOT / "schemas",
    "reporting.counting": ROOT / "src/reporting/counting",
    "reporting.domain": ROOT / "src/reporting/domain",
}


def imported(folder: Path) -> set[str]:
    """Every `reporting.…` module named by an import in the folder's modules (lazy imports included)."""
    names: set[str] = set()
    for module in folder.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("reporting.")}


@pytest.mark.parametrize(
    ("stage", "forbidden"),
    [
        ("reporting.intake", ("reporting.counting", "reporting.report")),
        ("reporting.schemas", ("reporting.counting", "reporting.store", "reporting.report")),
        ("reporting.counting", ("reporting.store", "reporting.report", "reporting.intake")),
        (
            "reporting.domain",
            ("reporting.intake", "reporting.store", "reporting.counting", "reporting.report"),
        ),
    ],
)
def test_a_stage_imports_no_later_stage(stage: str, forbidden: tuple[str, ...]) -> None:
    crossing = sorted(name for name in imported(STAGES[stage]) if name.startswith(forbidden))
    assert crossing == [], f"{stage} imports {crossing}"
