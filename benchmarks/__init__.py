"""Benchmarks: every figure is a ratio against a baseline measured in the same run."""

import os
from pathlib import Path

# The sample's reviews.csv is approved by PROGRAM: the benchmarks' fresh data folders decide with the
# demo's people directory (README, Review and sign-off), unless the operator names one.
os.environ.setdefault(
    "REPORTING_PEOPLE_FILE", str(Path(__file__).resolve().parents[1] / "examples" / "people.yaml")
)
