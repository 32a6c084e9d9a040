#!/usr/bin/env bash
# mypy --strict over the package as it installs: src/reporting with flows/, schemas/, templates/ and
# examples/ in place as reporting.flows, reporting.schemas, … (pyproject's package-dir). mypy cannot follow
# an editable install's import hook, so the tree is assembled from hard links under build/typecheck/
# (errors name those paths; each is the same file as in the checkout).
set -euo pipefail
mypy=${1:-mypy}
cd "$(dirname "$0")/.."
tree=build/typecheck
rm -rf "$tree" && mkdir -p "$tree"
cp -al src/reporting "$tree/reporting"
for folder in flows schemas templates examples; do
    cp -al "$folder" "$tree/reporting/$folder"
done
"$mypy" --config-file pyproject.toml "$tree/reporting"
