"""Generated wording (counts by region, target vs achieved) from the jinja2 text templates in
templates/narrative/, so that an editor changes the sentences without touching code."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from reporting.resources import templates_dir

TEMPLATES_DIR = templates_dir()
NARRATIVE_DIR = TEMPLATES_DIR / "narrative"


@cache
def text_environment(folder: Path = TEMPLATES_DIR) -> SandboxedEnvironment:
    """Plain-text templates (no escaping here: the Word and Markdown renderers escape what they write)."""
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(folder)), autoescape=False, undefined=StrictUndefined
    )


@cache
def _template(name: str) -> Template:
    return text_environment().get_template(f"narrative/{name}")


def member_states_text(total: int, by_region: list[tuple[str, int]]) -> str:
    """ "8 member States, of which 2 in Africa, 1 in the Americas" (regions with none left out)."""
    regions = [{"region": region, "count": count} for region, count in by_region if count]
    return _template("count.j2").render(total=total, by_region=regions).strip()


def indicator_paragraphs(row: dict[str, Any], previous_biennium: str | None) -> list[str]:
    """The narrative of one indicator of Table 1, as paragraphs (blank lines in the template split them)."""
    text = _template("indicator.j2").render(i=row, previous_biennium=previous_biennium)
    return [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]
