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

from reporting.intake.readers import read_package
from reporting.resources import examples_dir
from reporting.vocabulary import EVIDENCE_COLUMNS

SAMPLE_PACKAGE = examples_dir() / "2014-15"

# Member States per region (ISO 3166 alpha-3, names as the organisation writes them), and regional CPOs.
COUNTRIES: dict[str, list[tuple[str, str]]] = {
    "Africa": [
        ("TUN", "Tunisia"),
        ("NGA", "Nigeria"),
        ("ETH", "Ethiopia"),
        ("ZWE", "Zimbabwe"),
        ("SEN", "Senegal"),
        ("KEN", "Kenya"),
        ("GHA", "Ghana"),
        ("ZAF", "South Africa"),
        ("MAR", "Morocco"),
        ("UGA", "Uganda"),
    ],
    "Americas": [
        ("BRA", "Brazil"),
        ("MEX", "Mexico"),
        ("CRI", "Costa Rica"),
        ("PAN", "Panama"),
        ("NIC", "Nicaragua"),
        ("ARG", "Argentina"),
        ("COL", "Colombia"),
        ("PER", "Peru"),
        ("CHL", "Chile"),
        ("GTM", "Guatemala"),
    ],
    "Arab States": [
        ("JOR", "Jordan"),
        ("KWT", "Kuwait"),
        ("LBN", "Lebanon"),
        ("QAT", "Qatar"),
        ("OMN", "Oman"),
        ("BHR", "Bahrain"),
        ("SAU", "Saudi Arabia"),
        ("ARE", "United Arab Emirates"),
    ],
    "Asia and the Pacific": [
        ("KHM", "Cambodia"),
        ("LAO", "Lao People's Democratic Republic"),
        ("THA", "Thailand"),
        ("VNM", "Viet Nam"),
        ("IDN", "Indonesia"),
        ("PHL", "Philippines"),
        ("BGD", "Bangladesh"),
        ("NPL", "Nepal"),
        ("LKA", "Sri Lanka"),
        ("KIR", "Kiribati"),
        ("TUV", "Tuvalu"),
        ("MMR", "Myanmar"),
    ],
    "Europe and Central Asia": [
        ("TUR", "Turkey"),
        ("ARM", "Armenia"),
        ("MDA", "Moldova"),
        ("UKR", "Ukraine"),
        ("GEO", "Georgia"),
        ("ALB", "Albania"),
        ("KGZ", "Kyrgyzstan"),
        ("TJK", "Tajikistan"),
    ],
}
REGIONAL: dict[str, tuple[str, str]] = {
    "Africa": ("RAF", "Africa Region"),
    "Americas": ("RLA", "Latin America and the Caribbean"),
    "Arab States": ("RAB", "Arab States Region"),
    "Asia and the Pacific": ("RAS", "Asia and the Pacific Region"),
    "Europe and Central Asia": ("RER", "Europe and Central Asia Region"),
}


def synthetic_package(out: Path, rows: int, outcomes: int = 19, seed: int = 2015) -> Path:
    """Write a package of about `rows` evidence rows over `outcomes` outcomes (2 indicators each),
    one evidence file per outcome, with targets and the approval of every result (reviews.csv, so that
    it builds a final report); return its folder."""
    rng = np.random.default_rng(seed)
    sample = read_package(SAMPLE_PACKAGE)
    base = sample.framework.outcomes[0]
    texts = sample.evidence[["cpo_title", "result_achieved", "ilo_contribution"]]
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
                    for i, indicator in enumerate(base.indicators)
                ],
            }
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "evidence").mkdir(exist_ok=True)
    (out / "framework.yaml").write_text(
        yaml.safe_dump(framework, allow_unicode=True, sort_keys=False), "utf-8"
    )

    regions = list(COUNTRIES)
    per_outcome = max(rows // outcomes, 2)
    targets = []
    results: list[pd.DataFrame] = []
    cpo_serial = 100
    for outcome in framework["outcomes"]:
        records: list[dict[str, object]] = []
        while len(records) < per_outcome:
            indicator = outcome["indicators"][int(rng.integers(len(outcome["indicators"])))]
            region = regions[int(rng.integers(len(regions)))]
            if rng.random() < 0.08:
                code, country = REGIONAL[region]
            else:
                code, country = COUNTRIES[region][int(rng.integers(len(COUNTRIES[region])))]
            cpo_serial += 1
            numbers = [c["number"] for c in indicator["criteria"]]
            met = rng.choice(numbers, size=int(rng.integers(1, len(numbers) + 1)), replace=False)
            title = texts["cpo_title"].iloc[int(rng.integers(len(texts)))]
            for criterion in sorted(met.tolist()):
                text = texts.iloc[int(rng.integers(len(texts)))]
                records.append(
                    {
                        "biennium": biennium,
                        "outcome": outcome["id"],
                        "indicator": indicator["id"],
                        "region": region,
                        "country": country,
                        "cpo_code": f"{code}{cpo_serial % 1000:03d}",
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
    # approved by PROGRAM, as the sample is: the people directories of the demo and the tests name it
    approved.assign(decision="approved", by="PROGRAM", comment="").to_csv(out / "reviews.csv", index=False)
    return out
