#!/usr/bin/env bash
# The package as a user installs it: build the wheel, install it in a new venv outside the checkout, and
# build the sample report it ships from a folder outside the checkout. Its indicator summary must equal
# the golden copy. Everything it starts is stopped, everything it writes is removed.
# The new venv takes its dependencies from the running interpreter's site-packages (a path in a .pth
# file): they are the locked ones (`make venv` installs requirements.lock with hashes and runs pip
# check), and installing them again would only cost a minute. A path named in a .pth file is not a site
# folder, so the checkout's editable install there (its own .pth) does not apply: `reporting` is the wheel.
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
"$python" -m venv --without-pip "$work/venv"
dependencies=$("$python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
mine=$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
echo "$dependencies" >"$mine/locked-dependencies.pth"
"$python" -m pip --python "$work/venv/bin/python" install "${quiet[@]}" --no-deps "$work"/dist/reporting-*.whl
cd "$work"
sample=$("$work/venv/bin/python" -c 'from reporting.resources import examples_dir; print(examples_dir() / "2014-15")')
installed=$("$work/venv/bin/python" -c 'import reporting; print(reporting.__file__)')
case "$installed" in "$mine"/*) ;; *) echo "reporting is not imported from the wheel: $installed" >&2; exit 1 ;; esac
case "$sample" in "$checkout"*) echo "the installed package reads its sample from the checkout: $sample" >&2; exit 1 ;; esac
# the sample's approvals are PROGRAM's, whom the demo's people directory (shipped beside it) names
REPORTING_DATA_DIR="$work/data" REPORTING_PEOPLE_FILE="$(dirname "$sample")/people.yaml" \
    "$work/venv/bin/reporting" build "$sample" --out "$work/out"
test -s "$work/out/en/implementation-report-2014-15.docx"
cmp "$work/out/en/indicator_summary.csv" "$checkout/tests/data/golden/2014-15/indicator_summary.csv"
echo "wheel: installed outside the checkout, built the sample, summary equal to the golden copy"
