"""Generated wording (counts by region, target vs achieved) from the jinja2 text templates in
templates/narrative/, so that an editor changes the sentences without touching code. A sentence whose
grammar differs by language (agreement, plurals, prepositions before region names) has one file per
language: `narrative/count.fr.j2` beside the English `narrative/count.j2`."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from reporting.report.edition import DEFAULT_LANGUAGE, edition
from reporting.resources import templates_dir

TEMPLATES_DIR = templates_dir()
NARRATIVE_DIR = TEMPLATES_DIR / "narrative"
_ASCII_SPACES = re.compile(r"[ \t\r\n]+")
"""Line breaks and indentation of a template; no-break spaces (French "cible\u00a0:") are kept."""


@cache
def text_environment(language: str = DEFAULT_LANGUAGE, folder: Path = TEMPLATES_DIR) -> SandboxedEnvironment:
    """Plain-text templates in `language` (`{{ _('…') }}` translated through its catalog; no escaping
    here: the Word and Markdown renderers escape what they write)."""
    environment = SandboxedEnvironment(
        loader=FileSystemLoader(str(folder)),
        autoescape=False,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(edition(language).translations, newstyle=True)  # type: ignore[attr-defined]
    return environment


def narrative_template_name(name: str, language: str) -> str:
    """`narrative/NAME.LANGUAGE.j2` where that file exists, else the English `narrative/NAME.j2`."""
    translated = f"{name}.{language}.j2"
    return f"narrative/{translated if (NARRATIVE_DIR / translated).is_file() else f'{name}.j2'}"


@cache
def _template(name: str, language: str) -> Template:
    return text_environment(language).get_template(narrative_template_name(name, language))


def member_states_text(total: int, by_region: list[tuple[str, int]], language: str = DEFAULT_LANGUAGE) -> str:
    """ "8 member States, of which 2 in Africa, 1 in the Americas" (regions with none left out; region
    names as the edition shows them)."""
    regions = [{"region": region, "count": count} for region, count in by_region if count]
    return _template("count", language).render(total=total, by_region=regions).strip()


def indicator_paragraphs(
    row: dict[str, Any], previous_biennium: str | None, language: str = DEFAULT_LANGUAGE
) -> list[str]:
    """The narrative of one indicator of Table 1, as paragraphs (blank lines in the template split them)."""
    text = _template("indicator", language).render(i=row, previous_biennium=previous_biennium)
    return [_ASCII_SPACES.sub(" ", block).strip() for block in text.split("\n\n") if block.strip()]
