"""One registry of validation rules: every check of every model is declared there, with its severity,
column and message, and a check named after no rule is an error rather than a finding lost."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest
from pandera.typing import Series

from reporting import schemas
from reporting.framework import Framework, load_framework
from reporting.intake.readers import Notice
from reporting.intake.validate import notice_findings, validate_table
from reporting.schemas import rules
from tests.conftest import ROOT, SAMPLE, evidence_frame


@pytest.fixture(scope="module")
def framework() -> Framework:
    return load_framework(SAMPLE / "framework.yaml")


def check_names(schema: pa.DataFrameSchema) -> list[str]:
    names = [c.name for c in schema.checks]
    names += [rules.rule_of_check(column, c) for column in schema.columns.values() for c in column.checks]
    return names


def every_schema(framework: Framework) -> list[pa.DataFrameSchema]:
    """Every model `reporting.schemas` exports, and every schema it makes for a framework."""
    exported = [getattr(schemas, name) for name in schemas.__all__]
    models = [m for m in exported if isinstance(m, type) and issubclass(m, pa.DataFrameModel)]
    makers = [f for f in exported if not isinstance(f, type) and callable(f)]
    return [*(m.to_schema() for m in models), *(make(framework) for make in makers)]


def test_every_check_of_every_model_is_a_registered_rule(framework: Framework) -> None:
    names = [name for schema in every_schema(framework) for name in check_names(schema)]
    assert len(names) >= 35
    assert [n for n in names if n not in rules.RULES] == []


def test_a_rule_points_at_a_column_of_its_table_and_says_something(framework: Framework) -> None:
    for schema in every_schema(framework):
        for column, declared in schema.columns.items():
            assert all(
                rules.RULES[rules.rule_of_check(declared, c)].column == column for c in declared.checks
            )
    for rule in rules.RULES.values():
        assert rule.severity in rules.SEVERITIES and rule.message.strip(), rule
        assert rule.sets_aside or rule.severity in ("warning", "advice"), rule


def test_a_failing_check_named_after_no_rule_raises_instead_of_vanishing() -> None:
    evidence = evidence_frame([{"cpo_code": "ZWE131", "country": "Zimbabwe"}]).astype(str)
    evidence[["source_file", "source_sheet", "source_row"]] = ["e.csv", "", "2"]
    unregistered = pa.DataFrameSchema(
        checks=[pa.Check(lambda f: ~f["cpo_code"].str.startswith("ZWE"), name="cpo_code_not_xxx")]
    )
    with pytest.raises(rules.UnknownRule, match="cpo_code_not_xxx"):
        validate_table(evidence, "evidence", [unregistered])


def test_a_passing_check_named_after_no_rule_is_still_no_finding() -> None:
    evidence = evidence_frame([{}]).astype(str)
    evidence[["source_file", "source_sheet", "source_row"]] = ["e.csv", "", "2"]
    quiet = pa.DataFrameSchema(checks=[pa.Check(lambda f: f["cpo_code"] != "", name="cpo_code_not_xxx")])
    assert validate_table(evidence, "evidence", [quiet]).findings.empty


def test_a_notice_named_after_no_rule_raises() -> None:
    with pytest.raises(rules.UnknownRule, match="sheet_not_raed"):
        notice_findings([Notice("e.xlsx", "sheet_not_raed")])


def test_a_rule_is_declared_once() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        rules.declare("country_filled", "error", "country", "Again.")
    assert rules.RULES["country_filled"].message.startswith("The country")


def test_the_decorator_registers_the_rule_and_returns_the_pandera_check() -> None:
    class Probe(pa.DataFrameModel):
        code: Series[str]

        @rules.column_rule("code", "warning", "Probe: the code is empty.")
        def probe_code_filled(cls, code: Series[str]) -> pd.Series[bool]:
            return rules.filled(code)

    try:
        assert rules.RULES["probe_code_filled"] == rules.Rule(
            "probe_code_filled", "warning", "code", "Probe: the code is empty.", False
        )
        assert check_names(Probe.to_schema()) == ["probe_code_filled"]
    finally:
        del rules.RULES["probe_code_filled"]


def test_the_readme_names_every_rule() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [name for name in rules.RULES if name not in readme] == []


def test_a_simple_rule_is_pandera_s_own_field_constraint_and_keeps_its_name() -> None:
    """Contracts as pandera documents them: the region rule is `Field(isin=REGIONS)`, and its failures
    are the registered rule's findings (name, severity, message)."""
    column = schemas.EvidenceRow.to_schema().columns["region"]
    assert [(c.name, rules.rule_of_check(column, c)) for c in column.checks] == [
        ("isin", "region_is_one_of_five")
    ]
    evidence = evidence_frame([{"region": "Atlantis"}, {}]).astype(str)
    evidence[["source_file", "source_sheet", "source_row"]] = [["e.csv", "", "2"], ["e.csv", "", "3"]]
    findings = validate_table(evidence, "evidence", [schemas.EvidenceRow]).findings
    region = findings[findings["rule"] == "region_is_one_of_five"]
    assert list(region["row"]) == [2] and set(region["severity"]) == {"error"}
