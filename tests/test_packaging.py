"""The package installs and runs as a wheel, not only from a checkout: no links inside it, no code that
finds files by walking up from `__file__`, and the wheel builds the sample outside the checkout."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
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


def test_every_package_of_the_checkout_is_listed_in_pyproject() -> None:
    """pyproject lists the packages (the mapped folders rule out `find`): a new subpackage must be added."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    folders = {"reporting": ROOT / "src" / "reporting"} | {
        name: ROOT / folder for name, folder in setuptools["package-dir"].items() if name
    }
    found = {
        ".".join([name, *init.parent.relative_to(folder).parts])
        for name, folder in folders.items()
        for init in folder.rglob("__init__.py")
    }
    assert found - set(setuptools["packages"]) == set()


@pytest.mark.slow
def test_the_wheel_builds_the_sample_outside_the_checkout() -> None:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "wheel-check.sh")],
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable, "HOME": str(Path.home())},
        capture_output=True,
        text=True,
        timeout=600,
    )
    said = [line for line in (done.stdout + done.stderr).splitlines() if "is ignored:" not in line]
    assert done.returncode == 0, "\n".join(said[-40:])
    assert "summary equal to the golden copy" in done.stdout
