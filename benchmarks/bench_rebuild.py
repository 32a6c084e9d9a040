"""A rebuild where nothing changed, against the first build of the same package in the same run: the
task cache (keyed on the files' sha256, the template's and the library's) must make it several times
faster (ratio ≤ 0.3). Then two late corrections in one of the 19 evidence files, each a rebuild that
reads only that file again (validation, counting and rendering span files, so they are redone), and must
cost no more than the first build:

- a result's text is corrected (one `result_achieved` cell becomes another sample row's text): the
  report changes, the indicator summary does not;
- a criterion is corrected so that a CPO result falls below (or rises to) its indicator's
  `min_criteria` and a figure of the indicator summary changes (the row is found with the library's own
  counting, `reporting.counting.aggregate` over the validated evidence)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.common import Measurement, best_of
from reporting import settings

PAUSE_SECONDS = 3
"""Between builds, not timed: the test server's SQLite is still recording the previous run's task
states for a moment, and a run started at once waits behind those writes (up to ~2 s measured)."""

CORRECTED = "evidence/outcome-07.csv"


def _seconds(action: Callable[[], object]) -> float:
    time.sleep(PAUSE_SECONDS)
    return best_of(1, action)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, columns=list(frame.columns))


def _criterion_correction(package: Path) -> tuple[int, str, str]:
    """A row of CORRECTED (its position in the file) and a declared criterion for it that moves a figure
    of the indicator summary: the CPO result's distinct criteria cross `min_criteria`, and the member
    State has no other reportable result for that indicator. Checked with `aggregate`."""
    from reporting.counting.aggregate import aggregate
    from reporting.intake.readers import read_package
    from reporting.intake.validate import validate_package

    read = read_package(package)
    checked = validate_package(read)
    clean = checked.evidence.clean.reset_index(drop=True)
    targets, framework = checked.targets.clean, read.framework
    before = aggregate(clean, targets, framework).summary
    declared = framework.criteria_frame()
    key = ["outcome", "indicator", "cpo_code"]
    met = clean.groupby(key)["criterion"].agg(list)
    for index, row in clean[clean["source_file"] == CORRECTED].iterrows():
        criteria = met[(row["outcome"], row["indicator"], row["cpo_code"])]
        others = list(criteria)
        others.remove(row["criterion"])
        of_indicator = declared[declared["indicator"] == row["indicator"]]
        needed = int(of_indicator["min_criteria"].iloc[0])
        for criterion in of_indicator["criterion"]:
            if criterion == row["criterion"]:
                continue
            if (len(set(criteria)) >= needed) == (len({*others, criterion}) >= needed):
                continue  # same side of min_criteria before and after: no figure can move
            corrected = clean.copy()
            corrected.loc[index, "criterion"] = criterion
            if not aggregate(corrected, targets, framework).summary.equals(before):
                # the file's row (source_row counts the header as row 1), its CPO, the new criterion
                return int(row["source_row"]) - 2, str(row["cpo_code"]), str(criterion)
    raise RuntimeError(f"no criterion of {CORRECTED} changes the indicator summary")


def run() -> list[Measurement]:
    work = Path(tempfile.mkdtemp(prefix="bench-rebuild-"))
    os.environ["REPORTING_DATA_DIR"] = str(work / "data")
    for key in ("PREFECT_HOME", "PREFECT_LOCAL_STORAGE_PATH"):
        os.environ.pop(key, None)  # this run's own data folder, so the first build starts cold
    settings.configure_prefect()
    from prefect.testing.utilities import prefect_test_harness

    from reporting.flows.biennial_report import biennial_report
    from reporting.synth import SAMPLE_PACKAGE, synthetic_package

    package = synthetic_package(work / "package", rows=10_000, outcomes=19)
    corrected_file = package / CORRECTED
    criterion_row, cpo_code, criterion = _criterion_correction(package)
    if _read(corrected_file).at[criterion_row, "cpo_code"] != cpo_code:
        raise AssertionError(f"row {criterion_row} of {CORRECTED} is not the row of {cpo_code} found")
    text_row = 0 if criterion_row != 0 else 1
    current = _read(corrected_file).at[text_row, "result_achieved"]
    sample_texts = _read(SAMPLE_PACKAGE / "evidence" / "evidence.csv")["result_achieved"]
    new_text = next(text for text in sample_texts if text.strip() and text != current)

    results: list[dict[str, Any]] = []

    def build() -> None:
        # force: every stage runs, served by the task cache (not the flow's up-to-date answer)
        results.append(biennial_report(package=str(package), out=str(work / "out"), force=True))

    def correct(row: int, column: str, value: str) -> None:
        frame = _read(corrected_file)
        frame.at[row, column] = value
        _write(frame, corrected_file)

    try:
        with prefect_test_harness(server_startup_timeout=120):
            first = _seconds(build)
            unchanged = min(_seconds(build) for _ in range(2))
            correct(text_row, "result_achieved", new_text)
            text_corrected = _seconds(build)
            correct(criterion_row, "criterion", criterion)
            criterion_corrected = _seconds(build)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summaries = [r["summary"] for r in results]
    if not summaries[3].equals(summaries[0]):
        raise AssertionError("a result's text was corrected, yet the indicator summary changed")
    if summaries[4].equals(summaries[3]):
        raise AssertionError(
            "a criterion was corrected to move a figure, yet the indicator summary is the same"
        )
    return [
        Measurement("rebuild, nothing changed (10k rows)", unchanged, "first build", first, goal_ratio=0.3),
        Measurement(
            "rebuild, a result's text corrected", text_corrected, "first build", first, goal_ratio=1.0
        ),
        Measurement(
            "rebuild, a criterion corrected (a figure changes)",
            criterion_corrected,
            "first build",
            first,
            goal_ratio=1.0,
        ),
    ]
