"""Schemas → one findings table + clean rows. pandera raises; this turns its failure cases into findings
that name file, sheet, row, column, rule and value, and keeps every rejected row with its reason."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from reporting.framework import Framework
from reporting.ingest import EVIDENCE_COLUMNS, SOURCE_COLUMNS, TARGET_COLUMNS, Package
from reporting.schemas import EvidenceRow, TargetRow, evidence_against_framework, targets_against_framework
from reporting.schemas.evidence import RULE_COLUMNS
from reporting.schemas.rules import MESSAGES

FINDING_COLUMNS = ["severity", "file", "sheet", "row", "column", "rule", "value", "message"]
SEVERITIES = ("critical", "error", "warning", "advice")


@dataclass(frozen=True)
class Validated:
    """The result of checking one table: rows fit to use, rows set aside (with `reason`), findings."""

    clean: pd.DataFrame
    rejected: pd.DataFrame
    findings: pd.DataFrame


def empty_findings() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else str) for c in FINDING_COLUMNS})


def _failures(schema: type[pa.DataFrameModel] | pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """(index, column, rule) of every failing cell; a whole-row rule is reported once per row."""
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["index"].notna()].copy()
        cases["rule"] = cases["check"].astype(str)
        cases["column"] = cases["rule"].map(RULE_COLUMNS).fillna(cases["column"])
        cases = cases.drop_duplicates(subset=["index", "rule"])
        located: pd.DataFrame = cases[["index", "column", "rule"]].astype({"index": "int64"})
        return located
    return pd.DataFrame({"index": pd.Series(dtype="int64"), "column": [], "rule": []})


def _missing_columns(frame: pd.DataFrame, required: tuple[str, ...]) -> pd.DataFrame:
    """A required column absent from a file makes that whole file unusable: one critical per file."""
    rows = []
    for column in required:
        absent = frame[column].isna() if column in frame else pd.Series(True, index=frame.index)
        for file_name, part in frame[absent].groupby("source_file", sort=False):
            rows.append(
                {
                    "severity": "critical",
                    "file": file_name,
                    "sheet": part["source_sheet"].iloc[0],
                    "row": pd.NA,
                    "column": column,
                    "rule": "column_present",
                    "value": "",
                    "message": f"{MESSAGES['column_present']} ({column}): nothing from this table is used.",
                    "_index": list(part.index),
                }
            )
    return pd.DataFrame(rows)


def validate_table(
    frame: pd.DataFrame,
    required: tuple[str, ...],
    schemas: list[type[pa.DataFrameModel] | pa.DataFrameSchema],
) -> Validated:
    """Run every schema lazily over the table and split it into clean and rejected rows."""
    critical = _missing_columns(frame, required)
    unusable = {i for indexes in critical.get("_index", []) for i in indexes}
    usable = frame.drop(index=list(unusable))
    usable = usable.assign(**{c: usable[c].fillna("").astype(str) for c in required if c in usable})

    failures = pd.concat([_failures(schema, usable) for schema in schemas], ignore_index=True)
    located = usable.loc[failures["index"], list(SOURCE_COLUMNS)].reset_index(drop=True)
    cells = zip(failures["index"], failures["column"], strict=True)
    values = [str(usable.at[i, c]) if c in usable else "" for i, c in cells]
    errors = pd.DataFrame(
        {
            "severity": "error",
            "file": located["source_file"],
            "sheet": located["source_sheet"],
            "row": located["source_row"].astype("Int64"),
            "column": failures["column"].to_numpy(),
            "rule": failures["rule"].to_numpy(),
            "value": values,
            "message": failures["rule"].map(MESSAGES).fillna("Rule not met.").to_numpy(),
        }
    )
    findings = pd.concat([critical.drop(columns="_index", errors="ignore"), errors], ignore_index=True)
    findings = findings.astype({"row": "Int64"}) if len(findings) else empty_findings()

    reasons = (
        pd.DataFrame({"index": failures["index"], "message": errors["message"]})
        .groupby("index")["message"]
        .agg(" ".join)
    )
    rejected_index = sorted(unusable | set(reasons.index))
    rejected = frame.loc[rejected_index].copy()
    rejected["reason"] = [
        reasons.get(i, "A required column is missing from the file.") for i in rejected_index
    ]
    clean = usable.drop(index=list(reasons.index))
    return Validated(
        clean=clean.reset_index(drop=True), rejected=rejected.reset_index(drop=True), findings=findings
    )


def validate_evidence(evidence: pd.DataFrame, framework: Framework) -> Validated:
    result = validate_table(evidence, EVIDENCE_COLUMNS, [EvidenceRow, evidence_against_framework(framework)])
    clean = result.clean.assign(
        criterion=result.clean["criterion"].str.strip().astype("int64"),
        **{c: result.clean[c].str.strip() for c in ("outcome", "indicator", "region", "cpo_code")},
    )
    return Validated(clean=clean, rejected=result.rejected, findings=result.findings)


@dataclass(frozen=True)
class PackageValidation:
    """Evidence and targets checked; `findings` is the one table an operator or submitter reads."""

    evidence: Validated
    targets: Validated

    @property
    def findings(self) -> pd.DataFrame:
        parts = [f for f in (self.evidence.findings, self.targets.findings) if len(f)]
        return pd.concat(parts, ignore_index=True) if parts else empty_findings()

    @property
    def rejected(self) -> pd.DataFrame:
        return pd.concat([self.evidence.rejected, self.targets.rejected], ignore_index=True)


def validate_package(package: Package) -> PackageValidation:
    return PackageValidation(
        evidence=validate_evidence(package.evidence, package.framework),
        targets=validate_targets(package.targets, package.framework),
    )


def validate_targets(targets: pd.DataFrame, framework: Framework) -> Validated:
    result = validate_table(targets, TARGET_COLUMNS, [TargetRow, targets_against_framework(framework)])
    clean = result.clean.assign(target=result.clean["target"].str.strip().astype("int64"))
    return Validated(clean=clean, rejected=result.rejected, findings=result.findings)
