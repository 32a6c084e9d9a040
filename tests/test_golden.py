"""The sample's outputs are kept byte for byte (tests/data/golden/2014-15, made by `reporting build
examples/2014-15` on 2 December 2026, in out/en/): a restructuring or a speed-up must not change a
figure or a word. The edition's three documents are kept: the report, its companion "results by
indicator" (every CPO result, as the published 2014-15 report lists them) and the audit companion.
A deliberate change of wording or layout updates the golden copy in the same commit (GOLDEN_UPDATE=1).
The session's `sample_build` (tests/conftest.py) is the build compared: made once, as of that day."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import Built

GOLDEN = Path(__file__).parent / "data" / "golden" / "2014-15"


@pytest.mark.parametrize(
    "name", ["indicator_summary.csv", "report.md", "report-results.md", "report-audit.md"]
)
def test_the_sample_gives_the_golden_outputs_byte_for_byte(sample_build: Built, name: str) -> None:
    made = sample_build.files.markdown.parent / name
    if os.environ.get("GOLDEN_UPDATE") == "1":
        shutil.copy(made, GOLDEN / name)
    assert made.read_bytes() == (GOLDEN / name).read_bytes(), f"{name} differs from {GOLDEN / name}"
