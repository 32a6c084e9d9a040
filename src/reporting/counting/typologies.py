"""Member States by typology (Table 1's right-hand columns): which typologies each CPO result names, and
which member States reach each typology. Counted on the contract's names; the report words them in
each edition's language."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from reporting.vocabulary import EVIDENCE_TYPOLOGIES


def named_typologies(values: Iterable[object]) -> list[str]:
    """The evidence typologies named over a result's rows (each `;`-separated, case ignored), in the
    contract's order; a name outside the contract is not a typology of Table 1."""
    named = {
        typology.strip().lower()
        for value in values
        if value is not None and value is not pd.NA
        for typology in str(value).split(";")
    }
    return [typology for typology in EVIDENCE_TYPOLOGIES if typology.lower() in named]


def member_states_by_typology(results: Iterable[tuple[str, Iterable[str]]]) -> dict[str, list[str]]:
    """Each evidence typology → the member States (in the order given, each once) whose result names it.
    `results`: (member State, its result's typologies) of the member-State results of one indicator."""
    by_typology: dict[str, dict[str, None]] = {typology: {} for typology in EVIDENCE_TYPOLOGIES}
    for member_state, typologies in results:
        for typology in typologies:
            by_typology[typology][member_state] = None
    return {typology: list(states) for typology, states in by_typology.items()}
