"""Template edit (issue 21): the comparison with an earlier biennium says it shows the figures as published
in that biennium's report, and says when none were published. Idempotent: run it again after merging.

    .venv/bin/python scripts/template_edits/01_comparison_as_published.py [TEMPLATE.docx]
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from docx import Document

OLD_HEADING = "{{ _('Comparison with %(biennium)s', biennium=previous_biennium) }}"
HEADING = (
    "{{ _('Comparison with %(biennium)s as published in its report of %(date)s', "
    "biennium=previous_biennium, date=previous_published_on) }}"
)
ELSE = "{%p elif previous_biennium and not previous_published_on %}"
NONE_PUBLISHED = (
    "{{ _('No published figures of %(biennium)s to compare with.', biennium=previous_biennium) }}"
)


def edit(template: Path) -> bool:
    """Edit the template in place; False when it already reads so."""
    document = Document(str(template))
    paragraphs = document.paragraphs
    if any(p.text == ELSE for p in paragraphs):
        return False
    (heading,) = [p for p in paragraphs if p.text in (OLD_HEADING, HEADING)]
    heading.runs[0].text = HEADING
    for run in heading.runs[1:]:
        run.text = ""
    index = paragraphs.index(heading)
    (endif,) = [p for p in paragraphs[index + 1 : index + 2] if p.text == "{%p endif %}"]
    for text in (ELSE, NONE_PUBLISHED):
        paragraph = copy.deepcopy(endif._p)
        endif._p.addprevious(paragraph)
        added = next(p for p in document.paragraphs if p._p is paragraph)
        added.runs[0].text = text
    document.save(str(template))
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "templates/implementation-report.docx")
    print(f"{target}: {'edited' if edit(target) else 'already edited'}")
