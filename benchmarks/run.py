"""`python -m benchmarks.run [NAME ...]`: run benchmarks/bench_NAME.py (all of them by default) and print
one table. Each module has `run() -> list[Measurement]`, and runs in a process of its own: benchmarks run
in one process disturbed each other (in one `make bench` run the portal's 20 uploads took 113.7 s after
the others, 56.0 s alone, and every memory figure was the first benchmarks' peak)."""

from __future__ import annotations

import dataclasses
import importlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import Measurement, print_table

ONE = "--one"
"""`python -m benchmarks.run --one NAME FILE`: one benchmark, its measurements written to FILE (JSON)."""


def measured(name: str) -> list[Measurement]:
    """The measurements of bench_NAME, run in a new process."""
    with tempfile.TemporaryDirectory() as scratch:
        said = Path(scratch) / "measurements.json"
        subprocess.run([sys.executable, "-m", "benchmarks.run", ONE, name, str(said)], check=True)
        return [Measurement(**m) for m in json.loads(said.read_text(encoding="utf-8"))]


def main(names: list[str]) -> int:
    if names[:1] == [ONE]:
        _, name, said = names
        found = importlib.import_module(f"benchmarks.bench_{name}").run()
        Path(said).write_text(json.dumps([dataclasses.asdict(m) for m in found]), encoding="utf-8")
        return 0
    available = sorted(p.stem.removeprefix("bench_") for p in Path(__file__).parent.glob("bench_*.py"))
    chosen = names or available
    unknown = set(chosen) - set(available)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; available: {', '.join(available)}")
        return 2
    measurements: list[Measurement] = []
    for name in chosen:
        print(f"running {name} …", file=sys.stderr, flush=True)
        measurements.extend(measured(name))
    print_table(measurements)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
