"""Schemas → one findings table + clean rows. pandera raises; this turns its failure cases into findings
that name file, sheet, row (as the user sees it in Excel), column, rule and value, and keeps every row it
sets aside with its reason, so that nothing sent is lost.

Severity ladder: critical (a file cannot be read or lacks a required column: nothing from it is used),
error (the row is set aside, the rest of the file kept), warning (the row is kept; a duplicate copy is the
one warning whose row is set aside, since its content is kept once), advice (information, e.g. a CPO
result that is not reportable)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa

from reporting.domain.member_states import country_name, region_of
from reporting.domain.rule import CPO_RESULT, state_code
from reporting.errors import PackageError
from reporting.framework import Framework
from reporting.intake.readers import (
    SPACES,
    Notice,
    Package,
)
from reporting.intake.text_cleaning import clean_text, needs_cleaning
from reporting.schemas import (
    EvidenceRow,
    EvidenceTable,
    ExampleRow,
    OutputRow,
    ReviewRow,
    TargetRow,
    TargetTable,
    evidence_against_framework,
    evidence_reportability,
    outputs_against_framework,
    reviews_against_framework,
    rules,
    targets_against_framework,
)
from reporting.schemas.rules import RULES, UnknownRule, field_rules, filtered, reason_of, rule_named
from reporting.vocabulary import (
    EVIDENCE_COLUMNS,
    OPTIONAL_EVIDENCE_COLUMNS,
    ROLE_COLUMNS,
    ROLE_REQUIRED,
    SOURCE_COLUMNS,
)

FINDING_COLUMNS = ["severity", "file", "sheet", "row", "column", "rule", "value", "message"]
SEVERITIES = rules.SEVERITIES
# Long free texts: neither stripped nor compared cell by cell more than needed.
LONG_TEXTS = {"result_achieved", "ilo_contribution", "text", "results"}
VALUE_LENGTH = 200
EDGE_SPACE = f"^[{SPACES}]|[{SPACES}]$"
"""A cell that strip() changes: only a column holding one is trimmed (a trimmed copy of a million cells
is as large as the column)."""

Schema = type[pa.DataFrameModel] | pa.DataFrameSchema


@dataclass(frozen=True)
class Validated:
    """The result of checking one table: rows fit to use, rows set aside (with `reason`), findings."""

    clean: pd.DataFrame
    rejected: pd.DataFrame
    findings: pd.DataFrame


def empty_findings() -> pd.DataFrame:
    """The findings table with no finding: a copy of one made once (a dry run asks for dozens)."""
    return _NO_FINDINGS.copy()


_NO_FINDINGS = pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else str) for c in FINDING_COLUMNS})


def _empty_validated() -> Validated:
    return Validated(pd.DataFrame(), pd.DataFrame(columns=["rules", "reason"]), empty_findings())


def finding(rule: str, file: str, detail: str = "", column: str = "", sheet: str = "") -> dict[str, object]:
    """One finding about a file as a whole (no row), e.g. a file that cannot be read: the rule's
    severity and message, then `detail`."""
    known = rule_named(rule)
    return {
        "severity": known.severity,
        "file": file,
        "sheet": sheet,
        "row": pd.NA,
        "column": column,
        "rule": rule,
        "value": "",
        "message": f"{known.message} {detail}".strip(),
    }


def unreadable_file_finding(error: PackageError, name: str = "") -> pd.DataFrame:
    """The critical finding for a file that cannot be read (`PackageError("name: reason")`); give the
    file's `name` when known (a name may itself hold ": ")."""
    if name:
        reason = str(error).removeprefix(f"{name}: ")
    else:
        name, _, reason = str(error).partition(": ")
    return _findings_frame([finding("file_readable", name, reason)])


def notice_findings(notices: Iterable[Notice]) -> pd.DataFrame:
    """A finding for each package entry or sheet that is not read, or whose name had to be made
    printable: the rule's message, then why and what to do."""
    return _findings_frame(
        [
            {**finding(n.rule, n.name, n.detail, n.column, n.sheet), "row": pd.NA if n.row is None else n.row}
            for n in notices
        ]
    )


def untranslated_findings(framework: Framework, language: str, edition_name: str) -> pd.DataFrame:
    """An advice finding naming the framework texts that the `language` edition shows in English."""
    places = framework.untranslated(language)
    if not places:
        return empty_findings()
    detail = f"{edition_name} edition: {', '.join(places)}."
    return _findings_frame([finding("framework_translated", "framework.yaml", detail)])


def _findings_frame(records: list[dict[str, object]]) -> pd.DataFrame:
    if not records:
        return empty_findings()
    return pd.DataFrame(records, columns=FINDING_COLUMNS).astype({"row": "Int64"})


def concat_findings(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_findings()
    return pd.concat(parts, ignore_index=True).astype({"row": "Int64"})


# --- pandera failure cases → (index, rule) ------------------------------------------------------------


def _failures(schema: Schema, frame: pd.DataFrame) -> pd.DataFrame:
    """(index, rule) of every failing row; a whole-row rule is reported once per row.

    Every failure must be a registered rule's, on a row: a check named after no rule (pandera's own
    type or column checks included: the readers give text, and the validation adds missing columns)
    raises `UnknownRule`, and a rule that raised (pandera reports its exception as a failure without a
    row) raises too. Either is a bug, never a finding silently lost."""
    empty = pd.DataFrame({"index": pd.Series(dtype="int64"), "rule": pd.Series(dtype=str)})
    if not len(frame):  # no row, no failure to find (and no finding to lose): a package without the table
        return empty
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        by_field = field_rules(schema if isinstance(schema, pa.DataFrameSchema) else schema.to_schema())
        checks = zip(
            exc.failure_cases["column"].astype(str), exc.failure_cases["check"].astype(str), strict=True
        )
        cases = exc.failure_cases.assign(rule=[by_field.get(key, key[1]) for key in checks])
        unknown = cases[~cases["rule"].isin(list(RULES))]
        if len(unknown):
            first = unknown.iloc[0]
            raise UnknownRule(
                f"validation check {first['rule']} (column {first['column']}) failed and is no rule of "
                "reporting.schemas.rules"
            ) from exc
        crashed = cases[cases["index"].isna()]
        if len(crashed):
            first = crashed.iloc[0]
            raise RuntimeError(
                f"validation rule {first['rule']} could not run: {first['failure_case']}"
            ) from exc
        failures: pd.DataFrame = cases[["index", "rule"]]
        return failures.astype({"index": "int64"}).drop_duplicates().reset_index(drop=True)
    return empty


# --- what a finding says beyond the rule's message ---------------------------------------------------


Detail = Callable[[pd.DataFrame], pd.Series]


def _code_letters(rows: pd.DataFrame) -> pd.Series:
    return state_code(rows["cpo_code"])


def _values_per_cpo(frame: pd.DataFrame, column: str) -> Detail:
    def detail(rows: pd.DataFrame) -> pd.Series:
        given = frame.loc[frame["cpo_code"].isin(rows["cpo_code"]), ["cpo_code", column]].astype(str)
        given = given[given[column].str.strip().str.len().gt(0)].drop_duplicates()  # first spellings first
        listed = given.groupby("cpo_code", sort=False)[column].agg(" | ".join)
        return "CPO " + rows["cpo_code"] + " is given as: " + rows["cpo_code"].map(listed).fillna("") + "."

    return detail


def _criteria_detail(frame: pd.DataFrame, framework: Framework) -> Detail:
    def detail(rows: pd.DataFrame) -> pd.Series:
        results = rules.row_keys(frame, CPO_RESULT).isin(set(rules.row_keys(rows, CPO_RESULT)))
        criteria = rules.distinct_criteria(frame[results]).reindex(rows.index)
        needed = framework.min_criteria(rows["indicator"])
        return (
            "CPO "
            + rows["cpo_code"]
            + " under indicator "
            + rows["indicator"]
            + " meets criteria "
            + criteria
            + "; at least "
            + needed.astype(str)
            + " distinct criteria are needed."
        )

    return detail


def _details(frame: pd.DataFrame, framework: Framework | None) -> dict[str, Detail]:
    def code_names(r: pd.DataFrame) -> pd.Series:
        return "The code's letters " + _code_letters(r) + " are " + _code_letters(r).map(country_name) + "."

    details: dict[str, Detail] = {
        "country_matches_cpo_code": code_names,
        "country_name_known": code_names,
        "region_matches_country": lambda r: (
            _code_letters(r).map(country_name)
            + " is in "
            + _code_letters(r).map(lambda c: region_of(c) or "")
            + "."
        ),
    }
    if "cpo_code" in frame:
        details["cpo_region_consistent"] = _values_per_cpo(frame, "region")
        details["cpo_title_consistent"] = _values_per_cpo(frame, "cpo_title")
    if framework is not None and "cpo_code" in frame:
        details["not_reportable"] = _criteria_detail(frame, framework)
    return details


def _row_findings(frame: pd.DataFrame, failures: pd.DataFrame, details: dict[str, Detail]) -> pd.DataFrame:
    """One finding per failing (row, rule), pointing at the rule's column in that row."""
    if failures.empty:
        return empty_findings()
    rows = frame[[c for c in frame.columns if c not in LONG_TEXTS]].loc[failures["index"]]
    column = failures["rule"].map(lambda r: rule_named(r).column)
    values = pd.Series("", index=failures.index, dtype=str)
    for name in column.unique():  # a few columns: each read at once, not cell by cell
        if name in frame:  # a long text only at the rows of its rule's findings
            at = (column == name).to_numpy()
            wanted = failures["index"][at]
            cells = frame[name][frame.index.isin(wanted)].reindex(wanted)  # filtered, then in order
            values[at] = cells.astype(str).str.slice(0, VALUE_LENGTH).to_numpy()
    rule_names = failures["rule"].to_numpy()
    messages = [rule_named(r).message for r in rule_names]
    for rule, detail in details.items():
        positions = np.flatnonzero(rule_names == rule)
        extra = detail(rows.iloc[positions]).astype(str).tolist() if len(positions) else []
        for position, text in zip(positions, extra, strict=True):
            messages[position] = f"{messages[position]} {text}"
    return pd.DataFrame(
        {
            "severity": [rule_named(r).severity for r in rule_names],
            "file": rows["source_file"].to_numpy(),
            "sheet": rows["source_sheet"].to_numpy(),
            "row": rows["source_row"].astype("Int64").to_numpy(),
            "column": column.to_numpy(),
            "rule": rule_names,
            "value": values.to_numpy(),
            "message": messages,
        }
    )


# --- the file's columns ---------------------------------------------------------------------------------


def _column_findings(frame: pd.DataFrame, role: str) -> tuple[pd.DataFrame, pd.Index]:
    """A required column absent from a file (or sheet) makes it unusable: one critical finding each;
    an unknown column is kept and reported once per file as a warning."""
    records: list[dict[str, object]] = []
    unusable: list[pd.Index] = []
    for column in ROLE_REQUIRED[role]:
        absent = frame[column].isna() if column in frame else pd.Series(True, index=frame.index)
        if not absent.any():
            continue
        for (file, sheet), part in frame[absent].groupby(["source_file", "source_sheet"], sort=False):
            records.append(
                finding("column_present", str(file), f"The missing column is '{column}'.", column, str(sheet))
            )
            unusable.append(part.index)
    known = {*ROLE_COLUMNS[role], *SOURCE_COLUMNS}
    for column in [c for c in frame.columns if c not in known]:
        present = frame[frame[column].notna()]
        for (file, sheet), _ in present.groupby(["source_file", "source_sheet"], sort=False):
            records.append(finding("column_known", str(file), column=column, sheet=str(sheet)))
    index = unusable[0].append(unusable[1:]).unique() if unusable else pd.Index([], dtype="int64")
    return _findings_frame(records), index


def _cleaned(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Short columns trimmed; control characters and HTML removed from every text cell (reported)."""
    short = {c: frame[c].astype(str) for c in columns if c not in LONG_TEXTS}
    frame = frame.assign(
        **{c: text.str.strip() if text.str.contains(EDGE_SPACE).any() else text for c, text in short.items()}
    )
    records = []
    for column in columns:
        flagged = frame.index[needs_cleaning(frame[column])]
        if not len(flagged):
            continue
        original = frame.loc[flagged, column]
        results = [clean_text(str(v)) for v in original]
        frame.loc[flagged, column] = [text for text, _ in results]
        for i, (_, removed) in zip(flagged, results, strict=True):
            if removed:
                row = frame.loc[i]
                records.append(
                    {
                        **finding(
                            "text_cleaned",
                            str(row["source_file"]),
                            f"Removed: {removed}.",
                            column,
                            str(row["source_sheet"]),
                        ),
                        "row": row["source_row"],
                        "value": str(original.at[i])[:VALUE_LENGTH],
                    }
                )
    return frame, _findings_frame(records)


# --- one table --------------------------------------------------------------------------------------


def _without(frame: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """The frame less some rows (no copy of its long texts when there is nothing to take out), taken
    column by column (`rules.filtered`: no whole copy of a column on the way)."""
    if not len(index):
        return frame
    return pd.DataFrame(filtered(frame, list(frame.columns), ~frame.index.isin(index)))


def validate_table(
    frame: pd.DataFrame,
    role: str,
    row_schemas: list[Schema],
    table_schemas: tuple[Schema, ...] = (),
    framework: Framework | None = None,
) -> Validated:
    """Check a table of `role` and split it into clean and rejected rows with one findings table.

    Row rules run on every usable row; table rules (copies, conflicts) on the rows that passed them."""
    column_findings, unusable = _column_findings(frame, role)
    usable = _without(frame, unusable)
    required = ROLE_REQUIRED[role]
    usable = usable.assign(**{c: "" for c in required if c not in usable})
    known = [c for c in ROLE_COLUMNS[role] if c in usable]
    usable, text_findings = _cleaned(
        usable.assign(**{c: usable[c].fillna("") for c in known if usable[c].hasnans}), known
    )

    row_failures = pd.concat([_failures(s, usable) for s in row_schemas], ignore_index=True)
    set_aside = row_failures["rule"].map(lambda r: rule_named(r).sets_aside).astype(bool)
    narrow = [c for c in usable.columns if c not in LONG_TEXTS]  # table rules read no long text
    passed = _without(usable[narrow], pd.Index(row_failures.loc[set_aside, "index"].unique()))
    table_failures = (
        pd.concat([_failures(s, passed) for s in table_schemas], ignore_index=True)
        if table_schemas
        else row_failures[:0]
    )
    failures = pd.concat([row_failures, table_failures], ignore_index=True)
    findings = concat_findings(
        [
            column_findings,
            text_findings,
            _row_findings(usable, failures, _details(passed, framework)),
        ]
    )

    aside = failures[failures["rule"].map(lambda r: rule_named(r).sets_aside).astype(bool)]
    rules_broken = aside.groupby("index")["rule"].agg(" ".join)
    rejected_index = unusable.append(pd.Index(rules_broken.index)).unique()
    rejected = frame.loc[rejected_index].copy()
    rejected["rules"] = [rules_broken.get(i, "column_present") for i in rejected_index]
    rejected["reason"] = rejected["rules"].map(reason_of)
    clean = _without(usable, pd.Index(rules_broken.index))
    order = ["file", "sheet", "row"]
    findings = findings.sort_values(order, kind="stable", na_position="first").reset_index(drop=True)
    return Validated(clean=clean, rejected=rejected.reset_index(drop=True), findings=findings)


def validate_evidence(evidence: pd.DataFrame, framework: Framework) -> Validated:
    """Evidence rows: row, framework and table rules, then the reportability advice on what is kept."""
    result = validate_table(
        evidence,
        "evidence",
        [EvidenceRow, evidence_against_framework(framework)],
        (EvidenceTable,),
        framework,
    )
    clean = result.clean
    advice = _row_findings(
        clean, _failures(evidence_reportability(framework), clean), _details(clean, framework)
    )
    optional = [c for c in OPTIONAL_EVIDENCE_COLUMNS if c in clean]
    clean = clean[[*EVIDENCE_COLUMNS, *SOURCE_COLUMNS, *optional]]
    clean = clean.assign(criterion=clean["criterion"].str.strip().astype("int64"))
    if "typology" in clean:
        clean["typology"] = rules.typologies(clean["typology"])[0]
    if "gender_specific" in clean:
        clean["gender_specific"] = rules.yes_no(clean["gender_specific"])[0]
    findings = concat_findings([result.findings, advice])
    return Validated(clean.reset_index(drop=True), result.rejected, findings)


def validate_targets(targets: pd.DataFrame, framework: Framework) -> Validated:
    result = validate_table(
        targets, "targets", [TargetRow, targets_against_framework(framework)], (TargetTable,), framework
    )
    clean = result.clean.assign(target=result.clean["target"].astype(str).str.strip().astype("int64"))
    clean = clean.reset_index(drop=True)
    return Validated(clean=clean, rejected=result.rejected, findings=result.findings)


def validate_outputs(outputs: pd.DataFrame, framework: Framework) -> Validated:
    result = validate_table(outputs, "outputs", [OutputRow, outputs_against_framework(framework)])
    return Validated(result.clean.reset_index(drop=True), result.rejected, result.findings)


def validate_examples(examples: pd.DataFrame, framework: Framework) -> Validated:
    result = validate_table(examples, "examples", [ExampleRow, outputs_against_framework(framework)])
    clean = result.clean.assign(gender_specific=rules.yes_no(result.clean["gender_specific"])[0])
    return Validated(clean.reset_index(drop=True), result.rejected, result.findings)


def validate_reviews(reviews: pd.DataFrame, framework: Framework) -> Validated:
    result = validate_table(reviews, "reviews", [ReviewRow, reviews_against_framework(framework)])
    clean = result.clean.assign(**{c: result.clean[c].str.strip() for c in ("decision", "by")})
    return Validated(clean.reset_index(drop=True), result.rejected, result.findings)


# --- the package ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageValidation:
    """Every table checked; `findings` is the one table an operator or submitter reads."""

    evidence: Validated
    targets: Validated
    outputs: Validated = field(default_factory=_empty_validated)
    examples: Validated = field(default_factory=_empty_validated)
    reviews: Validated = field(default_factory=_empty_validated)
    """Review decisions made elsewhere (reviews.csv), applied once the package is stored."""
    files: pd.DataFrame = field(default_factory=empty_findings)
    """Findings of the intake: files that could not be read at all (critical: nothing from them is
    used), entries and sheets not read."""

    @property
    def findings(self) -> pd.DataFrame:
        """Every finding; at a formula with no value, only the finding that says so (the rules of its
        column, e.g. "a whole number", would blame the submitter for a value they did give)."""
        tables = (self.evidence, self.targets, self.outputs, self.examples, self.reviews)
        found = concat_findings([self.files, *(t.findings for t in tables)])
        cell = ["file", "sheet", "row", "column"]
        formulas = found.loc[found["rule"] == "formula_computed", cell].drop_duplicates()
        if formulas.empty:
            return found
        at_formula = found[cell].merge(formulas, how="left", indicator=True)["_merge"].eq("both").to_numpy()
        return found[~at_formula | (found["rule"] == "formula_computed").to_numpy()].reset_index(drop=True)

    @property
    def rejected(self) -> pd.DataFrame:
        parts = [
            t.rejected
            for t in (self.evidence, self.targets, self.outputs, self.examples, self.reviews)
            if len(t.rejected)
        ]
        return pd.concat(parts, ignore_index=True) if parts else self.evidence.rejected


def validate_package(package: Package, intake: pd.DataFrame | None = None) -> PackageValidation:
    """Check every table of a package; `intake` carries the findings of reading it (files it could not
    read, entries and sheets not read)."""
    return PackageValidation(
        evidence=validate_evidence(package.evidence, package.framework),
        targets=validate_targets(package.targets, package.framework),
        outputs=validate_outputs(package.outputs, package.framework),
        examples=validate_examples(package.examples, package.framework),
        reviews=validate_reviews(package.reviews, package.framework),
        files=empty_findings() if intake is None else intake,
    )
