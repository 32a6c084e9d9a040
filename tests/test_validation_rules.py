"""Validation rules one by one: countries and regions, text cleaning, the findings table, the ladder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reporting.domain.member_states import country_code, region_of
from reporting.framework import load_framework
from reporting.intake.readers import read_package
from reporting.intake.text_cleaning import clean_text, needs_cleaning
from reporting.intake.validate import FINDING_COLUMNS, validate_evidence, validate_package
from reporting.schemas import rules
from reporting.vocabulary import EVIDENCE_COLUMNS, SOURCE_COLUMNS
from tests.conftest import evidence_frame

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "2014-15"
FRAMEWORK = load_framework(SAMPLE / "framework.yaml")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Viet Nam", "VNM"),
        ("Lao PDR", "LAO"),
        ("Lao People's Democratic Republic", "LAO"),
        ("Moldova", "MDA"),
        ("Turkey", "TUR"),
        ("Republic of Korea", "KOR"),
        ("Côte d'Ivoire", "CIV"),
        ("Cote d’Ivoire", "CIV"),
        ("Bolivia", "BOL"),
        ("Tunisie", "TUN"),
        ("México", "MEX"),
        ("occupied Palestinian territory", "PSE"),
        ("Türkiye", "TUR"),
        ("Cook Islands", "COK"),
        ("Antarctica", "ATA"),
        ("Southern Africa", None),
        ("Asia and the Pacific Region", None),
    ],
)
def test_the_organisations_country_names_resolve_to_iso_codes(name: str, code: str | None) -> None:
    assert country_code(name) == code


def test_every_member_state_of_the_sample_sits_in_its_region() -> None:
    sample = read_package(SAMPLE).evidence
    states = sample[sample["cpo_code"].str[:3].map(region_of).notna()]
    assert len(states) > 50
    assert (states["cpo_code"].str[:3].map(region_of) == states["region"]).all()
    assert (
        region_of("JOR") == "Arab States"
        and region_of("TUN") == "Africa"
        and region_of("ISR") == ("Europe and Central Asia")
    )


def test_text_cleaning_keeps_the_words_and_says_what_it_removed() -> None:
    assert clean_text("<p>Le BIT a <b>soutenu</b><br/>les mandants</p>") == (
        "Le BIT a soutenu\nles mandants",
        "HTML tags <p> <b> </b> <br/> </p>",
    )
    assert clean_text("a\x07b\x00c") == ("abc", "control characters U+0000, U+0007")
    assert clean_text("x &amp; y") == ("x & y", "HTML entities &amp;")
    assert clean_text("wages < 100 & R&D\r\nnext") == ("wages < 100 & R&D\nnext", "")
    series = pd.Series(["plain", "a<b>c", "wages < 100", "vertical\x0btab"])
    assert needs_cleaning(series).tolist() == [False, True, False, True]


def test_rule_functions() -> None:
    assert rules.is_biennium(pd.Series(["2014-15", "1999-00", "2014-16", "2014-2015"])).tolist() == [
        True,
        True,
        False,
        False,
    ]
    assert rules.is_cpo_code(pd.Series(["ZWE131", "zwe131", "ZWE13", "ZWE1311"])).tolist() == [
        True,
        False,
        False,
        False,
    ]
    assert rules.filled(pd.Series(["x", " ", "", "\n\t"])).tolist() == [True, False, False, False]
    canonical, known = rules.typologies(pd.Series(["programmes;  Data collection and analysis", "Other"]))
    assert canonical.tolist() == ["Programmes; Data collection and analysis", ""]
    assert known.tolist() == [True, False]


def test_findings_name_file_sheet_excel_row_column_rule_value_and_message() -> None:
    frame = evidence_frame(
        [
            {"criterion": "1"},
            {"criterion": "2"},
            {"criterion": "2,5", "cpo_code": "TUN130"},
            {"region": "Arab States", "cpo_code": "TUN131"},
        ]
    ).astype(str)
    frame[list(SOURCE_COLUMNS)] = [["e.xlsx", "Tunisia", n] for n in (2, 3, 4, 5)]
    checked = validate_evidence(frame.astype({"source_row": "int64"}), FRAMEWORK)
    findings = checked.findings
    assert list(findings.columns) == FINDING_COLUMNS
    errors = findings[findings["severity"] == "error"]
    assert errors[["file", "sheet", "row", "column", "rule", "value"]].values.tolist() == [
        ["e.xlsx", "Tunisia", 4, "criterion", "criterion_is_whole_number", "2,5"],
        ["e.xlsx", "Tunisia", 5, "region", "region_matches_country", "Arab States"],
    ]
    assert errors["message"].iloc[1].endswith("Tunisia is in Africa.")
    assert checked.rejected["source_row"].tolist() == [4, 5]
    assert checked.clean["criterion"].tolist() == [1, 2]
    assert list(checked.clean.columns) == [*EVIDENCE_COLUMNS, *SOURCE_COLUMNS]


def test_the_sample_validates_without_any_finding() -> None:
    checked = validate_package(read_package(SAMPLE))
    assert checked.findings.empty
    assert len(checked.evidence.clean) == 65 and checked.rejected.empty
    assert checked.outputs.clean.empty and checked.examples.clean.empty


def test_a_rule_that_cannot_run_is_not_a_silent_pass() -> None:
    import pandera.pandas as pa

    from reporting.intake.validate import validate_table

    broken = pa.DataFrameSchema(checks=[pa.Check(lambda f: f["no_such_column"] > 1, name="country_filled")])
    frame = evidence_frame([{}]).astype(str).assign(source_file="e.csv", source_sheet="", source_row=2)
    with pytest.raises(RuntimeError, match="country_filled could not run"):
        validate_table(frame, "evidence", [broken])


@pytest.mark.parametrize("typed", ["1_2", "٩", "2.5", "1e0", "inf", "-1", "two"])
def test_a_criterion_is_only_ever_plain_digits(typed: str) -> None:
    """Python's int() reads "1_2" as 12 and "٩" as 9: such cells are refused, never counted."""
    rows = evidence_frame([{"criterion": "1"}, {"criterion": typed}]).astype(str)
    rows["source_file"], rows["source_sheet"], rows["source_row"] = "e.csv", "", [2, 3]
    checked = validate_evidence(rows, FRAMEWORK)
    assert checked.clean["criterion"].tolist() == [1]
    errors = checked.findings[checked.findings["severity"] == "error"]
    assert errors[["row", "column", "rule"]].values.tolist() == [
        [3, "criterion", "criterion_is_whole_number"]
    ]


def test_a_target_is_only_ever_plain_digits() -> None:
    targets = pd.DataFrame(
        {
            "biennium": "2014-15",
            "outcome": "7",
            "indicator": "7.1",
            "region": ["Africa", "Americas", "Arab States"],
            "target": ["3", "٩", "-1"],
            "source_file": "targets.csv",
            "source_sheet": "",
            "source_row": [2, 3, 4],
        }
    )
    from reporting.intake.validate import validate_targets

    checked = validate_targets(targets, FRAMEWORK)
    assert checked.clean["target"].tolist() == [3]
    assert sorted(checked.findings["rule"]) == ["target_is_whole_number", "target_not_negative"]


def test_prose_between_angle_brackets_is_not_a_tag() -> None:
    assert clean_text("Workers earning <minimum wage and working > 48 hours") == (
        "Workers earning <minimum wage and working > 48 hours",
        "",
    )
    assert clean_text("<SPAN style='x'>ok</SPAN><o:p></o:p>")[0] == "ok"


def two_criteria(code: str, country: str, region: str) -> pd.DataFrame:
    """A CPO result meeting criteria 1 and 2 of indicator 7.1, as rows 2 and 3 of a file."""
    return evidence_frame(
        [{"cpo_code": code, "country": country, "region": region, "criterion": n} for n in ("1", "2")]
    ).assign(source_file="e.csv", source_sheet="", source_row=[2, 3])


@pytest.mark.parametrize(
    ("code", "country", "region"),
    [
        ("ATA101", "Antarctica", "Africa"),
        ("PRI101", "Puerto Rico", "Americas"),
        ("GRL101", "Greenland", "Europe and Central Asia"),
        ("PSE101", "occupied Palestinian territory", "Arab States"),
        ("PRK101", "Democratic People's Republic of Korea", "Asia and the Pacific"),
    ],
)
def test_a_territory_or_non_member_is_one_error_and_its_rows_are_set_aside(
    code: str, country: str, region: str
) -> None:
    checked = validate_evidence(two_criteria(code, country, region), FRAMEWORK)
    assert checked.findings[["severity", "row", "column", "rule", "value"]].values.tolist() == [
        ["error", 2, "cpo_code", "country_is_member_state", code],
        ["error", 3, "cpo_code", "country_is_member_state", code],
    ]
    assert checked.clean.empty and checked.rejected["source_row"].tolist() == [2, 3]


@pytest.mark.parametrize(
    ("code", "country", "region"),
    [
        ("RAS151", "Asia and the Pacific Region", "Asia and the Pacific"),
        ("SHA127", "Southern Africa", "Africa"),
    ],
)
def test_regional_cpos_stay_exempt_from_the_member_state_rules(code: str, country: str, region: str) -> None:
    checked = validate_evidence(two_criteria(code, country, region), FRAMEWORK)
    assert checked.findings.empty and len(checked.clean) == 2
