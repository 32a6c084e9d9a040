"""`python -m benchmarks.run [NAME ...]`: run benchmarks/bench_NAME.py (all of them by default) and print
one table. Each module has `run() -> list[Measurement]`."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from benchmarks.common import Measurement, print_table


def main(names: list[str]) -> int:
    available = sorted(p.stem.removeprefix("bench_") for p in Path(__file__).parent.glob("bench_*.py"))
    chosen = names or available
    unknown = set(chosen) - set(available)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; available: {', '.join(available)}")
        return 2
    measurements: list[Measurement] = []
    for name in chosen:
        print(f"running {name} …", file=sys.stderr, flush=True)
        measurements.extend(importlib.import_module(f"benchmarks.bench_{name}").run())
    print_table(measurements)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
