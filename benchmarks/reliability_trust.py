"""`make test-reliability`'s `trust` section: figures never change without a trace (issue 20).

In a data folder of its own, the sample is stored by the library (no Prefect) with TUN129's rows
submitted by a reviewer, then each case is one command: decisions under no name or by the submitter
are clear errors; a status edited in the database gives another build id and `audit --verify` names
it; an audit entry removed behind dropped triggers is found by `audit --verify`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from benchmarks.reliability import REPORTING, SAMPLE, Tally, count, run
from reporting.pipeline import Store
from reporting.store.database import upgraded_engine
from tests.report_packages import build
from tests.test_crash_recovery import command_env

DIRECTORY = """people:
  - {name: Ana, roles: [reviewer], regions: [all]}
  - {name: Sam, roles: [reviewer, submitter], regions: [Africa]}
"""


def _build_id(package: Path, out: Path, where: Store) -> str:
    built = build(package, out, where=where)
    assert built.build_json is not None
    return str(json.loads(built.build_json.read_text(encoding="utf-8"))["build_id"])


def trust(work: Path) -> Tally:
    tally = Tally("review and audit trail tampered with")
    data = work / "data"
    env = command_env(data)
    people = work / "people.yaml"
    people.write_text(DIRECTORY, encoding="utf-8")
    env["REPORTING_PEOPLE_FILE"] = str(people)
    package = work / "2014-15"
    shutil.copytree(SAMPLE, package)
    (package / "reviews.csv").unlink()
    evidence = package / "evidence" / "evidence.csv"
    rows = pd.read_csv(evidence, dtype=str, keep_default_na=False)
    rows["submitted_by"] = rows["cpo_code"].map({"TUN129": "Sam"}).fillna("")
    rows.to_csv(evidence, index=False)
    where = Store(upgraded_engine(f"sqlite:///{data / 'reporting.db'}"), data / "archive")
    build(package, work / "draft", where=where, draft=True)  # stores the package
    decide = [str(REPORTING), "review", "approve"]
    for args, expected in [
        ([*decide, "--cpo", "NGA904", "--by", "-"], "clear"),
        ([*decide, "--cpo", "TUN129", "--by", "Sam"], "clear"),  # four eyes
        ([*decide, "--indicator", "7.1", "--by", "Ana"], "accepted"),
        ([*decide, "--indicator", "7.2", "--by", "Ana"], "accepted"),
        ([str(REPORTING), "audit", "--verify"], "accepted"),
    ]:
        if count(tally, run(args, env), " ".join(args[1:])) != expected:
            tally.other += 1
            tally.notes.append(f"{' '.join(args[1:])}: expected {expected}")
    before = _build_id(package, work / "one", where)
    with where.engine.begin() as conn:
        conn.execute(text("UPDATE result_review SET status = 'submitted' WHERE cpo_code = 'TUN129'"))
    tally.tried += 1
    if _build_id(package, work / "two", where) == before:
        tally.other += 1
        tally.notes.append("a status edited in the database kept the build id")
    else:
        tally.accepted += 1
    edited = run([str(REPORTING), "audit", "--verify"], env)
    if count(tally, edited, "audit --verify after a status edit") == "clear":
        tally.notes.append(f"status edited: {edited.stdout.strip()}")
    with where.engine.begin() as conn:
        for trigger in ("audit_entry_no_update", "audit_entry_no_delete"):
            conn.execute(text(f"DROP TRIGGER {trigger}"))
        conn.execute(text("DELETE FROM audit_entry WHERE id = 3"))
    removed = run([str(REPORTING), "audit", "--verify"], env)
    if count(tally, removed, "audit --verify after an entry removed") == "clear":
        tally.notes.append(f"entry removed: {removed.stdout.strip().splitlines()[0]}")
    return tally
