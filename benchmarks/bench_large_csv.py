"""`reporting validate` of one large CSV file (issue 20: a 1M-row file took 300 s and 12.7 GB against
9-10 s and 1.9 GB for pandas reading it as strings): a new process, its report files written, against a
new process of pandas reading the same file as strings. Goals: ≤ 5× pandas' time, ≤ 2× its peak memory,
and time growing linearly with rows (the same check of half the rows takes about half the time).

The file is the sample's 65 rows repeated (REPORTING_BENCH_CSV_ROWS, default 200,000: about 25 MB per
10,000 rows), each copy's CPO codes renumbered; checked against the sample's framework. Each process is
measured by the kernel (`os.wait4`, common.used): elapsed time, CPU time (user + system: the work done, less
disturbed by other jobs on a shared machine than elapsed time) and peak resident memory."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

from benchmarks.common import Measurement, Used, used

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "2014-15"
ROWS = int(os.environ.get("REPORTING_BENCH_CSV_ROWS", "200000"))
PANDAS = "import sys\nimport pandas as pd\npd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)"


def write_rows(path: Path, rows: int) -> None:
    """`rows` rows: the sample's evidence repeated, each copy's CPO code numbers shifted (one code
    then stands for CPOs of several titles: warnings, as in real files) and its results numbered."""
    sample = pd.read_csv(SAMPLE / "evidence" / "evidence.csv", dtype=str, keep_default_na=False)
    copies = -(-rows // len(sample))
    frame = pd.concat([sample] * copies, ignore_index=True).head(rows)
    copy = pd.Series(range(len(frame))) // len(sample)
    number = (frame["cpo_code"].str[3:].astype(int) + copy) % 900 + 100
    frame["cpo_code"] = frame["cpo_code"].str[:3] + number.astype(str)
    frame["result_achieved"] += " (" + copy.astype(str) + ")"  # no row twice
    frame.to_csv(path, index=False)


def run() -> list[Measurement]:
    reporting = str(Path(sys.executable).parent / "reporting")
    with tempfile.TemporaryDirectory(prefix="bench-large-csv-") as work:
        env = {**os.environ, "REPORTING_DATA_DIR": str(Path(work) / "data")}
        runs: dict[int, tuple[Used, Used]] = {}
        for rows in (ROWS // 2, ROWS):
            path = Path(work) / f"evidence-{rows}.csv"
            write_rows(path, rows)
            framework = ["--framework", str(SAMPLE / "framework.yaml"), "--report-dir", work]
            runs[rows] = (
                used([reporting, "validate", str(path), *framework], env, ROOT, exits=(0, 1)),  # findings: 1
                used([sys.executable, "-c", PANDAS, str(path)], env, ROOT),
            )
            size = path.stat().st_size / 1024**2
            path.unlink()
    print(
        f"bench large csv: {ROWS:,} rows, {size:.0f} MB; load average {os.getloadavg()[0]:.1f}",
        file=sys.stderr,
    )
    (half, _), (ours, pandas) = runs[ROWS // 2], runs[ROWS]
    baseline = f"pandas reads it as strings (new process), {ROWS:,} rows"
    return [
        Measurement(f"validate a {ROWS:,}-row CSV: elapsed", ours.seconds, baseline, pandas.seconds, 5.0),
        Measurement(f"validate a {ROWS:,}-row CSV: CPU", ours.cpu_seconds, baseline, pandas.cpu_seconds, 5.0),
        Measurement(
            f"validate a {ROWS:,}-row CSV: peak memory",
            ours.peak_mb,
            baseline,
            pandas.peak_mb,
            2.0,
            unit="MB",
        ),
        Measurement(
            f"validate {ROWS:,} rows: CPU, against half the rows (linear: 2×)",
            ours.cpu_seconds,
            f"the same, {ROWS // 2:,} rows",
            half.cpu_seconds,
            2.2,
        ),
    ]
