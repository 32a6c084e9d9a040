"""Lessons learned arrive as Markdown; the report needs Word paragraphs. This turns Markdown into plain
blocks (paragraph, heading, bullet or numbered item, each a list of runs with bold/italic) that the
Word template and the Markdown rendering both show, lists and emphasis kept."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

Block = dict[str, Any]
"""{"kind": "paragraph" | "heading" | "bullet" | "number", "level": list depth (0 outside lists),
"number": item number (numbered lists), "runs": [{"text", "bold", "italic"}], "text": plain text}"""

_PARSER = MarkdownIt("commonmark", {"html": False})


def _runs(inline: Token, clean: Any) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    bold = italic = 0
    for child in inline.children or []:
        if child.type == "strong_open":
            bold += 1
        elif child.type == "strong_close":
            bold -= 1
        elif child.type == "em_open":
            italic += 1
        elif child.type == "em_close":
            italic -= 1
        elif child.type in ("softbreak", "hardbreak"):
            runs.append({"text": " ", "bold": bold > 0, "italic": italic > 0})
        elif child.content and child.type in ("text", "code_inline", "html_inline"):
            runs.append({"text": clean(child.content), "bold": bold > 0, "italic": italic > 0})
    merged: list[dict[str, Any]] = []
    for run in runs:
        if merged and (merged[-1]["bold"], merged[-1]["italic"]) == (run["bold"], run["italic"]):
            merged[-1] = {**merged[-1], "text": merged[-1]["text"] + run["text"]}
        else:
            merged.append(run)
    return merged


def markdown_blocks(text: str, clean: Any = str) -> list[Block]:
    """The blocks of a Markdown text, in order; `clean` is applied to every piece of text."""
    blocks: list[Block] = []
    lists: list[list[int]] = []  # per open list: [is_ordered, next number]
    kind, level = "paragraph", 0
    for token in _PARSER.parse(text):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            start = token.attrs.get("start", 1)
            lists.append([token.type == "ordered_list_open", int(start) if start is not None else 1])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "heading_open":
            kind, level = "heading", int(token.tag[1])
        elif token.type in ("code_block", "fence"):  # indented or fenced text: kept, one paragraph a line
            for line in token.content.splitlines():
                if line.strip():
                    text = clean(line.strip())
                    run = {"text": text, "bold": False, "italic": False}
                    blocks.append({"kind": "paragraph", "level": 0, "runs": [run], "text": text})
        elif token.type == "inline":
            runs = _runs(token, clean)
            if not lists and kind != "heading":
                kind, level = "paragraph", 0
            block: Block = {
                "kind": kind,
                "level": level,
                "runs": runs,
                "text": "".join(r["text"] for r in runs),
            }
            if lists and kind != "heading":
                ordered, number = lists[-1]
                block.update(kind="number" if ordered else "bullet", level=len(lists) - 1)
                if ordered:
                    block["number"] = number
                    lists[-1][1] += 1
            if block["text"].strip():
                blocks.append(block)
            kind = "paragraph"
    return blocks


def blocks_markdown(blocks: list[Block]) -> str:
    """The blocks written back as Markdown (for report.md): emphasis and list structure kept."""
    lines: list[str] = []
    previous = ""
    for block in blocks:
        if block["kind"] in ("bullet", "number") and previous not in ("", block["kind"]):
            lines.append("")  # a bullet list and a numbered list next to each other stay two lists
        previous = block["kind"]
        text = "".join(
            f"{'**' if r['bold'] else ''}{'*' if r['italic'] else ''}{r['text']}"
            f"{'*' if r['italic'] else ''}{'**' if r['bold'] else ''}"
            for r in block["runs"]
        )
        indent = "   " * block["level"]
        if block["kind"] == "bullet":
            lines.append(f"{indent}- {text}")
        elif block["kind"] == "number":
            lines.append(f"{indent}{block['number']}. {text}")
        elif block["kind"] == "heading":
            lines.extend(["", f"**{text}**", ""])
        else:
            lines.extend(["", text, ""])
    return "\n".join(lines).strip() + "\n" if lines else ""
