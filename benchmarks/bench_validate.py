"""Validation of a 1,000,000-row evidence table (`validate_evidence`: pandera models, findings, clean and
rejected rows) against the same rules as plain vectorised pandas (the same rule functions of
`reporting.schemas.rules`, combined by hand, without pandera), both in this run. Both copy the 1.4 GB of
text once (the clean rows); on these VMs the first touch of fresh memory is slow, so each side is
timed as the best of two runs after a first, untimed one.

The table is made of a small synthetic package (its framework and the sample's texts) spread over a
million rows with numpy: CPO results of 2–4 criteria over the 19 outcomes, 2% below the reportability
threshold and 0.1% with a region that does not exist, so that the error and advice paths run too."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import Measurement, best_of
from reporting.framework import Framework
from reporting.intake.readers import read_package
from reporting.intake.text_cleaning import needs_cleaning
from reporting.intake.validate import validate_evidence
from reporting.schemas import rules
from reporting.schemas.evidence import EVIDENCE_KEY, TEXT_COLUMNS
from reporting.synth import COUNTRIES, synthetic_package
from reporting.vocabulary import EVIDENCE_COLUMNS

ROWS = 1_000_000


def evidence_table(rows: int, seed: int = 2015) -> tuple[pd.DataFrame, Framework]:
    """About `rows` evidence rows (text columns, as read from files) and their framework."""
    rng = np.random.default_rng(seed)
    package = read_package(synthetic_package(Path(tempfile.mkdtemp(prefix="bench-validate-")), rows=2_000))
    framework, texts = package.framework, package.evidence
    states = [(code, name, region) for region, pairs in COUNTRIES.items() for code, name in pairs]
    indicators = pd.DataFrame(
        [{"outcome": o.id, "indicator": i.id} for o in framework.outcomes for i in o.indicators]
    )
    results = rows * 2 // 5
    state = rng.integers(len(states), size=results)
    serial = rng.integers(100, 1000, size=results)
    indicator = rng.integers(len(indicators), size=results)
    met = rng.choice([1, 2, 3, 4], p=[0.02, 0.49, 0.3, 0.19], size=results)
    result = np.repeat(np.arange(results), met)
    order = np.argsort(rng.random((results, 4)), axis=1) + 1  # each result's criteria, without repeats
    criterion = order[result, np.concatenate([np.arange(k) for k in met])][:rows]
    result = result[:rows]
    code = np.array([s[0] for s in states])[state] + serial.astype(str)
    pick = rng.integers(len(texts), size=(2, len(result)))
    frame = pd.DataFrame(
        {
            "biennium": framework.biennium,
            "outcome": indicators["outcome"].to_numpy()[indicator][result],
            "indicator": indicators["indicator"].to_numpy()[indicator][result],
            "region": np.array([s[2] for s in states])[state][result],
            "country": np.array([s[1] for s in states])[state][result],
            "cpo_code": code[result],
            "cpo_title": texts["cpo_title"].to_numpy()[serial % len(texts)][result],
            "criterion": criterion.astype(str),
            "result_achieved": texts["result_achieved"].to_numpy()[pick[0]],
            "ilo_contribution": texts["ilo_contribution"].to_numpy()[pick[1]],
        }
    )
    frame.loc[rng.random(len(frame)) < 0.001, "region"] = "Afrique"
    frame["source_file"] = "evidence.csv"
    frame["source_sheet"] = ""
    frame["source_row"] = np.arange(2, len(frame) + 2)
    return frame.astype({c: "str" for c in EVIDENCE_COLUMNS}), framework


def plain_pandas(frame: pd.DataFrame, framework: Framework) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same rules with no pandera: masks from the rule functions, failing rows located by hand."""
    declared = framework.criteria_frame()
    texts = {c: needs_cleaning(frame[c]) for c in EVIDENCE_COLUMNS}
    frame = frame.assign(**{c: frame[c].str.strip() for c in EVIDENCE_COLUMNS if c not in TEXT_COLUMNS[1:]})
    number = rules.as_number(frame["criterion"])
    row_rules = {
        "biennium_is_yyyy_yy": rules.is_biennium(frame["biennium"]),
        "region_is_one_of_five": rules.is_region(frame["region"]),
        "country_filled": rules.filled(frame["country"]),
        "cpo_code_shape": rules.is_cpo_code(frame["cpo_code"]),
        "criterion_is_whole_number": number.notna() & (number % 1 == 0),
        "result_achieved_filled": rules.filled(frame["result_achieved"]),
        "ilo_contribution_filled": rules.filled(frame["ilo_contribution"]),
        "country_is_member_state": rules.names_member_state(frame["cpo_code"]),
        "country_matches_cpo_code": rules.country_agrees_with_code(frame),
        "country_name_known": rules.country_recognised(frame),
        "region_matches_country": rules.region_agrees_with_country(frame),
        "biennium_matches_package": frame["biennium"] == framework.biennium,
        "outcome_declared": rules.pairs_declared(frame, ["outcome"], declared),
        "indicator_declared_for_outcome": rules.pairs_declared(frame, ["outcome", "indicator"], declared),
        "criterion_declared_for_indicator": rules.criterion_declared(frame, declared),
    }
    row_rules["duplicate_row"] = rules.first_copies(
        frame, [*EVIDENCE_KEY, *TEXT_COLUMNS, "region", "country"], EVIDENCE_KEY
    )
    kept = np.logical_and.reduce(
        [m.to_numpy() for name, m in row_rules.items() if name != "country_name_known"]
    )
    passed = frame.loc[kept, ["cpo_code", "region", "cpo_title"]]
    table_rules = {
        "cpo_region_consistent": rules.one_value_per(passed, ["cpo_code"], "region"),
        "cpo_title_consistent": rules.one_value_per(passed, ["cpo_code"], "cpo_title"),
        "cpo_title_given": rules.titled(passed),
    }
    kept[np.flatnonzero(kept)[~table_rules["cpo_region_consistent"].to_numpy()]] = False
    clean = frame[kept]
    advice = {"not_reportable": rules.reportable(clean, framework)}
    failing = {**row_rules, **table_rules, **advice, **{f"{c}_cleaned": ~m for c, m in texts.items()}}
    findings = pd.concat(
        [
            pd.DataFrame({"row": frame.loc[m.index[~m.to_numpy()], "source_row"], "rule": name})
            for name, m in failing.items()
        ]
    )
    return clean.astype({"criterion": "int64"}), findings


def run() -> list[Measurement]:
    frame, framework = evidence_table(ROWS)
    checked = validate_evidence(frame, framework)
    clean, _ = plain_pandas(frame, framework)
    assert len(checked.clean) == len(clean), (len(checked.clean), len(clean))
    baseline = best_of(2, lambda: plain_pandas(frame, framework))
    figure = best_of(2, lambda: validate_evidence(frame, framework))
    return [
        Measurement(
            f"validate {len(frame):,} evidence rows (pandera)",
            figure,
            "same rules, plain pandas",
            baseline,
            goal_ratio=1.5,
            goal_seconds=10,
        )
    ]
