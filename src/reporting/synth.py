"""Synthetic submission packages for benchmarks and scale tests, made of the real sample texts.

Texts (results, contributions, CPO titles, criteria) are drawn from examples/2014-15 so that lengths,
accents and line breaks are those of a real report; only the structure (outcomes, CPOs, countries) is
invented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from reporting.domain.member_states import member_states
from reporting.intake.readers import read_package
from reporting.resources import examples_dir
from reporting.vocabulary import EVIDENCE_COLUMNS

SAMPLE_PACKAGE = examples_dir() / "2014-15"

# The member States per ILO region (alpha-3 code, name as the organisation writes it), and the regional CPOs.
COUNTRIES: dict[str, list[tuple[str, str]]] = {}
for _state in member_states().values():
    COUNTRIES.setdefault(_state.ilo_region, []).append((_state.iso3, _state.name))
REGIONAL: dict[str, tuple[str, str]] = {
    "Africa": ("RAF", "Africa Region"),
    "Americas": ("RLA", "Latin America and the Caribbean"),
    "Arab States": ("RAB", "Arab States Region"),
    "Asia and the Pacific": ("RAS", "Asia and the Pacific Region"),
    "Europe and Central Asia": ("RER", "Europe and Central Asia Region"),
}
REVIEWER = "PROGRAM"
"""Who approves every result in reviews.csv: the sample's reviewer of every region (examples/people.yaml)."""
MAX_OUTCOMES = 19
"""The programme's outcomes: a synthetic package has at most as many."""
REGIONAL_SHARE = 0.05
"""The share of results given by regional CPOs (listed, never counted)."""
FIRST_SERIAL, LAST_SERIAL = 101, 999
"""A CPO code is its country's alpha-3 code and three digits: at most 899 CPOs per country and biennium."""


def synthetic_package(out: Path, rows: int, outcomes: int = MAX_OUTCOMES, seed: int = 2015) -> Path:
    """Write a package of about `rows` evidence rows that looks like the programme: `outcomes` outcomes
    of 2 to 4 indicators each; results from every member State in turn (in an order drawn anew each
    round) and a few regional CPOs; each CPO its own code, unique in its country, and one title. One
    evidence file per outcome, targets, and the approval of every result (reviews.csv, so that it
    builds a final report); return its folder. Same seed, same package."""
    if not 1 <= outcomes <= MAX_OUTCOMES:
        raise ValueError(f"a synthetic package has 1 to {MAX_OUTCOMES} outcomes, not {outcomes}")
    rng = np.random.default_rng(seed)
    sample = read_package(SAMPLE_PACKAGE)
    base = sample.framework.outcomes[0]
    texts = sample.evidence[["cpo_title", "result_achieved", "ilo_contribution"]].to_dict("records")
    biennium = sample.framework.biennium

    framework: dict[str, Any] = {"biennium": biennium, "outcomes": []}
    for number in range(1, outcomes + 1):
        framework["outcomes"].append(
            {
                "id": str(number),
                "title": f"Outcome {number} (synthetic): {base.title}",
                "short_title": f"{base.short_title} {number}",
                "statement": base.statement,
                "indicators": [
                    {
                        "id": f"{number}.{i + 1}",
                        "title": indicator.title,
                        "reportability": indicator.reportability,
                        "min_criteria": indicator.min_criteria,
                        "criteria": [c.model_dump() for c in indicator.criteria],
                    }
                    for i in range(int(rng.integers(2, 5)))
                    for indicator in [base.indicators[i % len(base.indicators)]]
                ],
            }
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "evidence").mkdir(exist_ok=True)
    (out / "framework.yaml").write_text(
        yaml.safe_dump(framework, allow_unicode=True, sort_keys=False), "utf-8"
    )

    regions = list(REGIONAL)
    states = [(state.iso3, state.name, state.ilo_region) for state in member_states().values()]
    turn: list[int] = []  # the member States still to give a result this round
    serials: dict[str, int] = {}  # the last CPO number of each country (or region)
    per_outcome = max(rows // outcomes, 2)
    targets = []
    results: list[pd.DataFrame] = []
    for outcome in framework["outcomes"]:
        records: list[dict[str, object]] = []
        while len(records) < per_outcome:
            indicator = outcome["indicators"][int(rng.integers(len(outcome["indicators"])))]
            if rng.random() < REGIONAL_SHARE:
                region = regions[int(rng.integers(len(regions)))]
                code, country = REGIONAL[region]
            else:
                turn = turn or [int(i) for i in rng.permutation(len(states))]
                code, country, region = states[turn.pop()]
            serials[code] = serials.get(code, FIRST_SERIAL - 1) + 1
            if serials[code] > LAST_SERIAL:
                raise ValueError(f"more CPOs than {code}{LAST_SERIAL} can number: ask for fewer rows")
            numbers = [c["number"] for c in indicator["criteria"]]
            met = rng.choice(numbers, size=int(rng.integers(1, len(numbers) + 1)), replace=False)
            title = texts[int(rng.integers(len(texts)))]["cpo_title"]
            for criterion in sorted(met.tolist()):
                text = texts[int(rng.integers(len(texts)))]
                records.append(
                    {
                        "biennium": biennium,
                        "outcome": outcome["id"],
                        "indicator": indicator["id"],
                        "region": region,
                        "country": country,
                        "cpo_code": f"{code}{serials[code]:03d}",
                        "cpo_title": title,
                        "criterion": criterion,
                        "result_achieved": text["result_achieved"],
                        "ilo_contribution": text["ilo_contribution"],
                    }
                )
        frame = pd.DataFrame(records[:per_outcome], columns=list(EVIDENCE_COLUMNS))
        frame.to_csv(out / "evidence" / f"outcome-{int(outcome['id']):02d}.csv", index=False)
        results.append(frame[["biennium", "outcome", "indicator", "cpo_code"]].drop_duplicates())
        for indicator in outcome["indicators"]:
            for region in regions:
                targets.append(
                    {
                        "biennium": biennium,
                        "outcome": outcome["id"],
                        "indicator": indicator["id"],
                        "region": region,
                        "target": int(rng.integers(0, 6)),
                    }
                )
    pd.DataFrame(targets).to_csv(out / "targets.csv", index=False)
    approved = pd.concat(results, ignore_index=True).drop_duplicates(["indicator", "cpo_code"])
    approved.assign(decision="approved", by=REVIEWER, comment="").to_csv(out / "reviews.csv", index=False)
    return out
