"""The package installs and runs as a wheel, not only from a checkout: no links inside it, no code that
finds files by walking up from `__file__`, and the wheel builds the sample outside the checkout."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_FOLDERS = ("src", "flows", "schemas", "templates", "examples")


def test_no_links_in_the_package_folders() -> None:
    links = [p for folder in PACKAGE_FOLDERS for p in (ROOT / folder).rglob("*") if p.is_symlink()]
    assert links == []


def test_no_file_is_found_by_walking_up_from_the_module() -> None:
    walking = re.compile(r"__file__\)?\.(resolve\(\)\.)?parents?\b")
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for folder in ("src", "flows", "schemas")
        for p in (ROOT / folder).rglob("*.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if walking.search(line)
    ]
    assert found == [], "use reporting.resources (importlib.resources) instead"


@pytest.mark.slow
def test_the_wheel_builds_the_sample_outside_the_checkout() -> None:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "wheel-check.sh")],
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable, "HOME": str(Path.home())},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "summary equal to the golden copy" in done.stdout
