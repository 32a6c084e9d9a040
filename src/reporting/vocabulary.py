"""The words of the submission contract, written once: the tables of a package and their columns, the
regions, the typologies, the yes/no spellings, and the characters no text may carry.

The readers, the pandera schemas, the store, the Excel submission template and the report's context all
take them from here (the contract in words: the README's "The input contract")."""

from __future__ import annotations

# --- a package's tables and their columns -------------------------------------------------------------

ROLES: tuple[str, ...] = ("framework", "evidence", "targets", "outputs", "examples", "lessons", "reviews")
"""What each file of a package is, in the order they are read (the framework first)."""

EVIDENCE_COLUMNS: tuple[str, ...] = (
    "biennium",
    "outcome",
    "indicator",
    "region",
    "country",
    "cpo_code",
    "cpo_title",
    "criterion",
    "result_achieved",
    "ilo_contribution",
)
OPTIONAL_EVIDENCE_COLUMNS: tuple[str, ...] = ("typology", "gender_specific", "submitted_by")
TARGET_COLUMNS: tuple[str, ...] = ("biennium", "outcome", "indicator", "region", "target")
OUTPUT_COLUMNS: tuple[str, ...] = ("biennium", "outcome", "typology", "text")
EXAMPLE_COLUMNS: tuple[str, ...] = (
    "biennium",
    "outcome",
    "country",
    "ilo_contribution",
    "results",
    "gender_specific",
)
REVIEW_COLUMNS: tuple[str, ...] = ("biennium", "outcome", "indicator", "cpo_code", "decision", "by")
"""reviews.csv: review decisions on CPO results made elsewhere (a published report's), with `comment`."""
REVIEW_DECISIONS: tuple[str, ...] = ("approved", "returned")
SOURCE_COLUMNS: tuple[str, ...] = ("source_file", "source_sheet", "source_row")
"""Where a row came from (file, sheet, row as the user sees it in Excel): added by the readers."""

ROLE_REQUIRED: dict[str, tuple[str, ...]] = {
    "evidence": EVIDENCE_COLUMNS,
    "targets": TARGET_COLUMNS,
    "outputs": OUTPUT_COLUMNS,
    "examples": EXAMPLE_COLUMNS,
    "reviews": REVIEW_COLUMNS,
}
"""The columns each table must have."""
ROLE_COLUMNS: dict[str, tuple[str, ...]] = {
    **ROLE_REQUIRED,
    "evidence": (*EVIDENCE_COLUMNS, *OPTIONAL_EVIDENCE_COLUMNS),
    "reviews": (*REVIEW_COLUMNS, "comment"),
}
"""The columns the contract knows for each table; any other column is kept and reported."""

# --- the values some columns take ------------------------------------------------------------------

REGIONS: tuple[str, ...] = (
    "Africa",
    "Americas",
    "Arab States",
    "Asia and the Pacific",
    "Europe and Central Asia",
)
TOTAL = "Total"
"""The row of the summary that adds up the regions."""
EVIDENCE_TYPOLOGIES: tuple[str, ...] = (
    "Policies and strategies",
    "Regulatory/Legal framework",
    "Programmes",
    "Institutional capacity",
    "Data collection and analysis",
)
"""A CPO result's typologies (evidence `typology`, `;`-separated): the columns of the report's Table 1."""
OUTPUT_TYPOLOGIES: tuple[str, ...] = (
    "Knowledge generation and dissemination",
    "Policy advice and technical services",
    "Capacity building",
    "Policy dialogue and advocacy",
)
"""A significant output's typology (outputs `typology`)."""

YES, NO = "yes", "no"
YES_NO: tuple[str, ...] = (YES, NO)
"""How the contract writes a yes/no column (the template's dropdown, the stored value)."""
YES_NO_SPELLINGS: dict[str, str] = {
    **dict.fromkeys(("yes", "y", "true", "1", "oui", "sí", "si", "x", "✓", "✔"), YES),
    **dict.fromkeys(("no", "n", "false", "0", "non"), NO),
}
"""What a submitter may type (compared case-folded and trimmed), and what it means: the published tables
mark a gender-specific example with "X" (or a tick)."""

# --- text ---------------------------------------------------------------------------------------------

CONTROL_CHARACTERS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
"""The control characters no text of ours carries (tab and line breaks are kept): Word and the xlsx
format refuse them, and DEL is never meant. Literal characters, not escapes, so that the same pattern
runs in Python's re and in Arrow's RE2; ASCII only, which RE2 searches twice as fast as a class with
other characters."""
