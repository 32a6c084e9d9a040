#!/usr/bin/env bash
# The package as a user installs it: build the wheel, install it (with the locked dependencies) in a new
# venv outside the checkout, and build the sample report it ships from a folder outside the checkout.
# Its indicator summary must equal the golden copy. Everything it starts is stopped, everything it
# writes is removed.
set -euo pipefail
checkout=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
work=$(mktemp -d)
cleanup() {
    test -x "$work/venv/bin/reporting" && REPORTING_DATA_DIR="$work/data" "$work/venv/bin/reporting" server stop || true
    rm -rf "$work"
}
trap cleanup EXIT
quiet=(--quiet --disable-pip-version-check)
"$python" -m pip wheel "${quiet[@]}" --no-deps -w "$work/dist" "$checkout"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install "${quiet[@]}" --no-deps --require-hashes -r "$checkout/requirements.lock"
"$work/venv/bin/pip" install "${quiet[@]}" --no-deps "$work"/dist/reporting-*.whl
cd "$work"
sample=$("$work/venv/bin/python" -c 'from reporting.resources import examples_dir; print(examples_dir() / "2014-15")')
case "$sample" in "$checkout"*) echo "the installed package reads its sample from the checkout: $sample" >&2; exit 1 ;; esac
REPORTING_DATA_DIR="$work/data" "$work/venv/bin/reporting" build "$sample" --out "$work/out"
test -s "$work/out/implementation-report-2014-15.docx"
cmp "$work/out/indicator_summary.csv" "$checkout/tests/data/golden/2014-15/indicator_summary.csv"
echo "wheel: installed outside the checkout, built the sample, summary equal to the golden copy"
