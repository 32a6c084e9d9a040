"""The counting rule of the report, written once: which CPO results count, and as which member State.

- A *CPO result* is what one country programme outcome (CPO) achieved for one indicator of one outcome:
  its evidence rows, one per measurement criterion met.
- It is *reportable* when it meets at least the indicator's `min_criteria` distinct criteria (a
  criterion given on two rows counts once).
- The three letters of a CPO code say whose CPO it is. The ISO alpha-3 code of an ILO member State: a
  national CPO of that State, counted once per indicator and region however many CPOs it has, in its
  one ILO region (so the regions add up to the Total). The ISO code of a territory or of a non-member:
  never counted. Letters that are no ISO code: a regional, sub-regional or global CPO, listed and never
  counted.

The indicator summary and its evidence trail (`aggregate`) and the validation advice that a result is
not reportable (`reporting.schemas`) are both written with these functions.
"""

from __future__ import annotations

import pandas as pd

from reporting.domain.member_states import iso_codes, member_state_codes

CPO_RESULT: list[str] = ["outcome", "indicator", "cpo_code"]
"""The columns that name a CPO result (indicator ids are unique across the framework)."""


def state_code(cpo_code: pd.Series[str]) -> pd.Series[str]:
    """The code's three letters: the ISO alpha-3 code of the State of a national CPO."""
    return cpo_code.astype(str).str[:3]


def is_member_state(cpo_code: pd.Series[str]) -> pd.Series[bool]:
    """A national CPO of a member State: the only CPOs whose results are counted."""
    return state_code(cpo_code).isin(member_state_codes()).astype(bool)


def is_regional(cpo_code: pd.Series[str]) -> pd.Series[bool]:
    """A regional, sub-regional or global CPO: its letters are no ISO alpha-3 code (RAF, RAS, GLO…)."""
    return (~state_code(cpo_code).isin(iso_codes())).astype(bool)


def criteria_met(evidence: pd.DataFrame, criteria: pd.Series) -> pd.Series:
    """Per evidence row, how many distinct criteria its CPO result meets (`criteria`: the rows'
    criterion numbers; one that is not a number is not counted)."""
    return criteria.groupby([evidence[k] for k in CPO_RESULT], sort=False).transform("nunique")


def is_reportable(criteria_met: pd.Series, min_criteria: pd.Series) -> pd.Series[bool]:
    """At least the indicator's `min_criteria` distinct criteria (`min_criteria` row by row beside
    `criteria_met`)."""
    return pd.Series(criteria_met.to_numpy() >= min_criteria.to_numpy(), index=criteria_met.index, dtype=bool)


def is_counted(reportable: pd.Series[bool], member_state: pd.Series[bool]) -> pd.Series[bool]:
    """A reportable result of a member State's CPO: its State counts for the indicator."""
    return (reportable & member_state).astype(bool)
