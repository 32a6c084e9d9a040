"""What a screen reader and a tagged PDF need from the Word report, done in code after docxtpl has
rendered it, whatever template was used:

- the document's language (styles, settings and core properties), per edition;
- the document title in the core properties (the text of the cover's Title paragraph);
- headings in order: a heading never more than one level below the one before (levels are renumbered
  the way they nest, e.g. Heading 1 → Heading 3 becomes Heading 1 → Heading 2);
- every table's first row marked as a header row that repeats on each page;
- each chart with alternative text that says its figures in words (`DescribedImage`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any

from docxtpl import InlineImage
from lxml import etree  # type: ignore[import-untyped]
from markupsafe import escape

from reporting.report.edition import DEFAULT_LANGUAGE, Edition, edition

LANGUAGE_TAGS = {"en": "en-GB", "fr": "fr-FR", "es": "es-ES"}
"""An edition named by its language alone is written in the variant the organisation uses."""

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CORE = {"dc": "http://purl.org/dc/elements/1.1/"}
_PARAGRAPH_STYLE = re.compile(r'<w:pStyle w:val="([^"]*)"/>')
_TEXT_OR_BREAK = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>|<w:(?:br|cr|tab)\b[^>]*/>")
_TABLE = re.compile(r"<w:tbl>")
_ROW_START = re.compile(r"<w:tr(?:\s[^>]*)?>")
_ROW_PROPERTIES = re.compile(r"(?:<w:tblPrEx/>|<w:tblPrEx>.*?</w:tblPrEx>)?(<w:trPr/>|<w:trPr>)?", re.DOTALL)
_PARSER = etree.XMLParser(remove_blank_text=False)


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


def language_tag(language: str | None) -> str:
    """The BCP 47 tag Word and the PDF carry: "fr" → "fr-FR"; a tag with a region is kept."""
    language = language or DEFAULT_LANGUAGE
    return LANGUAGE_TAGS.get(language.lower(), language)


def accessible_parts(
    parts: Mapping[str, bytes], language: str | None = None, body: AccessibleBody | None = None
) -> dict[str, bytes]:
    """The parts of a rendered .docx package that change: styles, settings, core properties and, unless
    its `body` was edited as it was written (word_template), word/document.xml, edited as text (parsing
    tens of megabytes would cost seconds)."""
    tag = language_tag(language)
    styles = etree.fromstring(parts["word/styles.xml"], _PARSER)
    edited = {}
    if body is None:
        body = AccessibleBody(styles)
        edited["word/document.xml"] = body.edit(parts["word/document.xml"].decode("utf-8")).encode("utf-8")
    _set_style_language(styles, tag)
    edited["word/styles.xml"] = _xml(styles)
    if "word/settings.xml" in parts:
        edited["word/settings.xml"] = _edited(
            parts["word/settings.xml"], lambda r: _set_theme_language(r, tag)
        )
    if "docProps/core.xml" in parts:
        title = body.title or ""
        edited["docProps/core.xml"] = _edited(parts["docProps/core.xml"], lambda r: _set_core(r, title, tag))
    return edited


class AccessibleBody:
    """The edits of the document's body, made on its text piece by piece (each piece whole paragraphs and
    tables, in order): heading levels as the headings nest, each table's first row a header row. It finds
    the document's title on the way (the text of its first paragraph in the Title style)."""

    def __init__(self, styles: Any) -> None:
        self._headings = _heading_styles(styles)
        self._style_of_level = {level: style for style, level in sorted(self._headings.items(), reverse=True)}
        self._title_styles = _style_ids(styles, "title")
        self._nesting: list[tuple[int, int]] = []  # (level in the template, level written), outermost first
        self.title: str | None = None

    def edit(self, piece: str) -> str:
        if self.title is None:
            self.title = _title_text(piece, self._title_styles)
        return _repeat_header_rows(_PARAGRAPH_STYLE.sub(self._relevel, piece))

    def _relevel(self, match: re.Match[str]) -> str:
        """A heading at most one level below the heading it follows."""
        level = self._headings.get(match.group(1))
        if level is None:
            return match.group(0)
        while self._nesting and self._nesting[-1][0] >= level:
            self._nesting.pop()
        written = self._nesting[-1][1] + 1 if self._nesting else 1
        self._nesting.append((level, written))
        if written == level or written not in self._style_of_level:
            return match.group(0)
        return f'<w:pStyle w:val="{self._style_of_level[written]}"/>'


def _xml(root: Any) -> bytes:
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return data


def _edited(data: bytes, edit: Callable[[Any], None]) -> bytes:
    root = etree.fromstring(data, _PARSER)
    edit(root)
    return _xml(root)


def _set_style_language(styles: Any, tag: str) -> None:
    """Every language the styles name becomes the edition's, and the document default says it."""
    defaults = styles.find(_w("docDefaults"))
    if defaults is None:
        defaults = etree.Element(_w("docDefaults"))
        styles.insert(0, defaults)
    run_default = _child(_child(defaults, "rPrDefault", first=True), "rPr")
    if run_default.find(_w("lang")) is None:
        etree.SubElement(run_default, _w("lang"))
    for lang in styles.iter(_w("lang")):
        lang.set(_w("val"), tag)


def _child(parent: Any, name: str, first: bool = False) -> Any:
    found = parent.find(_w(name))
    if found is None:
        found = etree.Element(_w(name))
        parent.insert(0 if first else len(parent), found)
    return found


def _set_theme_language(settings: Any, tag: str) -> None:
    for theme_language in settings.iter(_w("themeFontLang")):
        theme_language.set(_w("val"), tag)


def _set_core(core: Any, title: str, tag: str) -> None:
    for name, value in (("title", title), ("language", tag)):
        element = core.find(f"dc:{name}", CORE)
        if element is None:
            element = etree.SubElement(core, f"{{{CORE['dc']}}}{name}")
        if value:
            element.text = value


def _style_ids(styles: Any, name: str) -> set[str]:
    """The ids of the styles named `name` (built-in names are English whatever the ids)."""
    return {
        style.get(_w("styleId"))
        for style in styles.iter(_w("style"))
        if (found := style.find(_w("name"))) is not None and found.get(_w("val"), "").lower() == name
    }


def _heading_styles(styles: Any) -> dict[str, int]:
    """Heading style id → level."""
    return {style: level for level in range(1, 10) for style in _style_ids(styles, f"heading {level}")}


def _title_text(document: str, title_styles: set[str]) -> str | None:
    """The text of the first paragraph in the Title style (its line breaks as spaces); None if none."""
    for style in _PARAGRAPH_STYLE.finditer(document):
        if style.group(1) in title_styles:
            paragraph = document[style.end() : document.find("</w:p>", style.end())]
            words = [
                " " if m.group(1) is None else html.unescape(m.group(1))
                for m in _TEXT_OR_BREAK.finditer(paragraph)
            ]
            return " ".join("".join(words).split())
    return None


def _repeat_header_rows(document: str) -> str:
    """The first row of every table is its header: read as such and repeated after a page break."""
    pieces: list[str] = []
    done = 0
    for table in _TABLE.finditer(document):
        row = _ROW_START.search(document, table.end())
        if row is None:
            continue
        properties = _ROW_PROPERTIES.match(document, row.end())
        assert properties is not None  # every part of the pattern is optional
        if properties.group(1) is None:  # no row properties: they come first, after any exceptions
            start = end = properties.end()
            marked = "<w:trPr><w:tblHeader/></w:trPr>"
        elif properties.group(1) == "<w:trPr/>":
            start, end = properties.span(1)
            marked = "<w:trPr><w:tblHeader/></w:trPr>"
        else:
            start = end = document.index("</w:trPr>", properties.end())
            if "<w:tblHeader" in document[properties.end() : end]:
                continue
            marked = "<w:tblHeader/>"
        pieces += [document[done:start], marked]
        done = end
    return "".join([*pieces, document[done:]])


def chart_description(outcome_id: str, chart: dict[str, Any]) -> str:
    """The alternative text of an outcome's chart, in the chart's `language`: its figures in words,
    indicator by indicator, region by region."""
    words = edition(chart.get("language", DEFAULT_LANGUAGE))
    _ = words.gettext
    sentences = [
        _(
            "Bar chart of outcome %(id)s: member States with a reportable result by region, target and "
            "achieved."
        )
        % {"id": outcome_id}
    ]
    for indicator, achieved, target in zip(
        chart["indicators"], chart["achieved"], chart["target"], strict=True
    ):
        has_target = any(t is not None for t in target)
        figures = ", ".join(
            _region_figure(words, region, a, t, has_target)
            for region, a, t in zip(chart["regions"], achieved, target, strict=True)
        )
        sentence = (
            _("Indicator %(id)s, member States against target: %(figures)s.")
            if has_target
            else _("Indicator %(id)s, member States (no target set): %(figures)s.")
        )
        sentences.append(sentence % {"id": indicator, "figures": figures})
    return " ".join(sentences)


def _region_figure(words: Edition, region: str, achieved: int, target: int | None, has_target: bool) -> str:
    """ "Africa 2"; on a chart with targets "Africa 2 (target 3)" or "Africa 2 (no target)"."""
    _ = words.gettext
    figures = {"region": region, "achieved": words.number(achieved)}
    if not has_target:
        return f"{region} {figures['achieved']}"
    if target is None:
        return _("%(region)s %(achieved)s (no target)") % figures
    return _("%(region)s %(achieved)s (target %(target)s)") % {**figures, "target": words.number(target)}


class DescribedImage(InlineImage):  # type: ignore[misc]
    """A picture with alternative text (`descr` of its `wp:docPr`), which docxtpl's InlineImage lacks."""

    def __init__(self, template: Any, image: str, description: str, **size: Any) -> None:
        super().__init__(template, image, **size)
        self.description = description

    def _insert_image(self) -> str:
        xml: str = super()._insert_image()
        return xml.replace("<wp:docPr ", f'<wp:docPr descr="{escape(self.description)}" ', 1)
