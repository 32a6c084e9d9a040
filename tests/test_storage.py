"""The store: migrations match the models; re-ingesting changes nothing; a corrected file supersedes the
older rows and the history shows both versions; a file that fails half-way leaves the store as before.

The `check_*` scenarios take any engine: tests/test_postgres.py runs the same ones on PostgreSQL."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from reporting.intake.readers import read_package
from reporting.intake.validate import validate_package
from reporting.store import deliveries
from reporting.store.database import upgraded_engine
from reporting.store.deliveries import StoreReport, store_package
from reporting.store.in_force import current_evidence, stored_framework
from reporting.store.migrations import alembic_config, head_revision
from reporting.store.models import EvidenceRecord, ReceivedFileRecord, RejectedRowRecord, TargetRecord, table
from reporting.store.versions import file_history, version_changes
from tests.conftest import SAMPLE

EVIDENCE = Path("evidence") / "evidence.csv"


def ingest(engine: Engine, package_dir: Path, archive_root: Path) -> StoreReport:
    package = read_package(package_dir)
    checked = validate_package(package)
    return store_package(
        engine,
        package,
        evidence=checked.evidence.clean,
        rejected=checked.rejected,
        targets=checked.targets.clean,
        archive_root=archive_root,
    )


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in SQLModel.metadata.sorted_tables
        }


def copy_sample(folder: Path) -> Path:
    shutil.copytree(SAMPLE, folder)
    return folder


def sample_rows(package_dir: Path) -> pd.DataFrame:
    return pd.read_csv(package_dir / EVIDENCE, dtype=str, keep_default_na=False)


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def check_migrated_schema_matches_models(engine: Engine) -> None:
    assert schema_differences(engine) == []
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision() == "0006"


def check_reingest_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    package_dir, archive_root = copy_sample(tmp_path / "2014-15"), tmp_path / "archive"
    first = ingest(engine, package_dir, archive_root)
    assert (first.files_new, first.files_already_stored, first.evidence_rows) == (3, 0, 65)
    after_first = counts(engine)
    assert after_first["evidence"] == 65 and after_first["received_file"] == 3  # with reviews.csv
    assert after_first["indicator"] == 2

    second = ingest(engine, package_dir, archive_root)
    assert (second.files_new, second.files_already_stored, second.evidence_rows) == (0, 3, 0)
    assert counts(engine) == after_first
    assert len(current_evidence(engine, "2014-15")) == 65
    archived = [p for p in archive_root.rglob("*") if p.is_file()]
    assert sorted(p.read_bytes() for p in archived) == sorted(
        [(package_dir / name).read_bytes() for name in ("framework.yaml", EVIDENCE, "reviews.csv")]
    )


def check_corrected_file_supersedes(engine: Engine, tmp_path: Path) -> None:
    package_dir, archive_root = copy_sample(tmp_path / "2014-15"), tmp_path / "archive"
    ingest(engine, package_dir, archive_root)

    rows = sample_rows(package_dir)
    rows.loc[0, "result_achieved"] = "Corrected: the strategy was adopted in 2015."
    removed = rows.iloc[-1]
    added = rows.iloc[[0]].assign(criterion="4")  # TUN129 did not claim criterion 4 before
    corrected = pd.concat([rows.iloc[:-1], added], ignore_index=True)
    corrected.to_csv(package_dir / EVIDENCE, index=False)
    report = ingest(engine, package_dir, archive_root)
    assert (report.files_new, report.files_already_stored, report.files_superseded) == (1, 2, 1)

    current = current_evidence(engine, "2014-15")
    assert len(current) == 65
    assert "Corrected: the strategy was adopted in 2015." in set(current["result_achieved"])
    assert counts(engine)["evidence"] == 130  # the older rows are kept, marked superseded
    with engine.connect() as conn:
        evidence = table(EvidenceRecord)
        superseded = conn.execute(
            select(func.count()).where(evidence.c.superseded_by_file_id.is_not(None))
        ).scalar_one()
    assert superseded == 65

    history = file_history(engine, "2014-15")
    versions = history[history["name"] == EVIDENCE.as_posix()].reset_index(drop=True)
    assert list(versions["status"]) == ["superseded", "current"]
    assert versions.loc[0, "superseded_by"] == versions.loc[1, "file_id"]
    assert versions.loc[0, "received_at"] <= versions.loc[1, "received_at"]
    assert list(versions["evidence_rows"]) == [65, 65]
    assert pd.isna(versions.loc[0, "added"])
    assert (versions.loc[1, "added"], versions.loc[1, "removed"], versions.loc[1, "changed"]) == (1, 1, 1)

    changes = version_changes(engine, int(versions.loc[1, "file_id"]))
    by_kind = {r["change"]: r for r in changes.to_dict("records")}
    assert by_kind["changed"]["cpo_code"] == "TUN129" and by_kind["changed"]["columns"] == "result_achieved"
    assert (by_kind["added"]["cpo_code"], by_kind["added"]["criterion"]) == ("TUN129", 4)
    assert (by_kind["removed"]["cpo_code"], by_kind["removed"]["indicator"]) == (
        removed["cpo_code"],
        removed["indicator"],
    )


def check_failed_file_leaves_store_as_before(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package_dir, archive_root = copy_sample(tmp_path / "2014-15"), tmp_path / "archive"
    ingest(engine, package_dir, archive_root)
    rows = sample_rows(package_dir)
    rows.loc[3, "region"] = "Europe"  # one rejected row, so the file has evidence AND rejected rows to insert
    rows.to_csv(package_dir / EVIDENCE, index=False)
    before = counts(engine)
    history_before = file_history(engine, "2014-15")

    real_insert = deliveries._insert_rows

    def crash_on_rejected(conn: object, model: type[SQLModel], rows: list[dict[str, object]]) -> None:
        if model is RejectedRowRecord:
            raise RuntimeError("disk full")
        real_insert(conn, model, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(deliveries, "_insert_rows", crash_on_rejected)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest(engine, package_dir, archive_root)
    assert counts(engine) == before
    pd.testing.assert_frame_equal(file_history(engine, "2014-15"), history_before)

    monkeypatch.setattr(deliveries, "_insert_rows", real_insert)
    retried = ingest(engine, package_dir, archive_root)
    assert (retried.files_new, retried.evidence_rows, retried.rejected_rows, retried.files_superseded) == (
        1,
        64,
        1,
        1,
    )
    assert counts(engine)["rejected_row"] == 1


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return upgraded_engine(f"sqlite:///{tmp_path / 'db' / 'reporting.db'}")


def test_migrated_schema_matches_models(engine: Engine) -> None:
    check_migrated_schema_matches_models(engine)


def test_reingesting_the_sample_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    check_reingest_changes_nothing(engine, tmp_path)


def test_a_corrected_file_supersedes_and_history_shows_both(engine: Engine, tmp_path: Path) -> None:
    check_corrected_file_supersedes(engine, tmp_path)


def test_a_file_failing_half_way_leaves_the_store_as_before(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_failed_file_leaves_store_as_before(engine, tmp_path, monkeypatch)


def split_sample(package_dir: Path, cpo: str, name: str) -> None:
    """Move one CPO's rows of the sample into their own evidence file."""
    rows = sample_rows(package_dir)
    rows[rows["cpo_code"] == cpo].to_csv(package_dir / "evidence" / name, index=False)
    rows[rows["cpo_code"] != cpo].to_csv(package_dir / EVIDENCE, index=False)


def test_a_renamed_file_with_the_same_cpos_supersedes_but_files_of_one_delivery_do_not(
    engine: Engine, tmp_path: Path
) -> None:
    package_dir, archive_root = copy_sample(tmp_path / "2014-15"), tmp_path / "archive"
    split_sample(package_dir, "TUN129", "tunisia.csv")
    ingest(engine, package_dir, archive_root)
    assert len(current_evidence(engine, "2014-15")) == 65

    corrected = pd.read_csv(package_dir / "evidence" / "tunisia.csv", dtype=str, keep_default_na=False)
    corrected["ilo_contribution"] = "Revised by the Tunis office."
    (package_dir / "evidence" / "tunisia.csv").unlink()
    corrected.to_csv(package_dir / "evidence" / "tunisia-v2.csv", index=False)
    report = ingest(engine, package_dir, archive_root)
    assert report.files_superseded == 1

    current = current_evidence(engine, "2014-15")
    assert len(current) == 65
    tunisia = current[current["cpo_code"] == "TUN129"]
    assert set(tunisia["ilo_contribution"]) == {"Revised by the Tunis office."}
    assert set(tunisia["source_file"]) == {"evidence/tunisia-v2.csv"}
    history = file_history(engine, "2014-15").set_index("name")
    assert history.loc["evidence/tunisia.csv", "status"] == "superseded"
    assert history.loc[EVIDENCE.as_posix(), "status"] == "current"  # same delivery, other CPOs: kept
    assert history.loc["evidence/tunisia-v2.csv", "changed"] == len(tunisia)


def test_optional_columns_and_rejected_rows_are_stored(engine: Engine, tmp_path: Path) -> None:
    package_dir, archive_root = copy_sample(tmp_path / "2014-15"), tmp_path / "archive"
    rows = sample_rows(package_dir)
    rows["gender_specific"] = "no"
    rows.loc[0, "gender_specific"] = "yes"
    rows.loc[5, "cpo_code"] = "tun12"
    rows.to_csv(package_dir / EVIDENCE, index=False)
    report = ingest(engine, package_dir, archive_root)
    assert (report.evidence_rows, report.rejected_rows) == (64, 1)
    current = current_evidence(engine, "2014-15")
    assert current["gender_specific"].value_counts().to_dict() == {"no": 63, "yes": 1}
    with engine.connect() as conn:
        rejected = conn.execute(select(table(RejectedRowRecord))).one()
    assert rejected.source_row == 7 and '"cpo_code": "tun12"' in rejected.row_json
    assert "CPO code" in rejected.reason


def test_the_stored_framework_is_the_one_ingested(engine: Engine, tmp_path: Path) -> None:
    package_dir = copy_sample(tmp_path / "2014-15")
    ingest(engine, package_dir, tmp_path / "archive")
    framework = read_package(package_dir).framework
    stored = stored_framework(engine, "2014-15")
    assert stored is not None
    pd.testing.assert_frame_equal(stored.criteria_frame(), framework.criteria_frame())
    assert stored.indicator("7.1").criteria == framework.indicator("7.1").criteria
    assert stored_framework(engine, "2016-17") is None


def test_a_database_made_before_migrations_is_stamped_and_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "0001")  # the walking skeleton's tables, as create_all made them
    raw = create_engine(url)
    with raw.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(
            text(
                "INSERT INTO received_file (biennium, name, role, sha256, size, received_at, archive_path) "
                "VALUES ('2012-13', 'evidence/old.csv', 'evidence', 'abc', 3, '2024-01-01 00:00:00', 'x')"
            )
        )
    upgraded = upgraded_engine(url)
    check_migrated_schema_matches_models(upgraded)
    history = file_history(upgraded, "2012-13")
    assert list(history["name"]) == ["evidence/old.csv"] and list(history["status"]) == ["current"]


def test_migrations_downgrade_to_nothing_and_back(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert inspect(engine).get_table_names() == ["alembic_version"]
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    check_migrated_schema_matches_models(engine)


def test_the_unique_file_rule_is_enforced_by_the_database(engine: Engine) -> None:
    files = table(ReceivedFileRecord)
    row = {
        "biennium": "2014-15",
        "name": "a.csv",
        "role": "evidence",
        "sha256": "f" * 64,
        "size": 1,
        "received_at": datetime.now(UTC),
        "archive_path": "x",
    }
    with engine.begin() as conn:
        conn.execute(files.insert().values(**row))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(files.insert().values(**{**row, "name": "b.csv"}))


def test_history_command_lists_versions_and_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from reporting import cli

    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(cli.console, "width", 250)
    package_dir = copy_sample(tmp_path / "2014-15")
    engine = upgraded_engine(url)
    ingest(engine, package_dir, tmp_path / "archive")
    rows = sample_rows(package_dir)
    rows.loc[10, "cpo_title"] = "A corrected title"
    rows.to_csv(package_dir / EVIDENCE, index=False)
    ingest(engine, package_dir, tmp_path / "archive")

    listed = CliRunner().invoke(cli.app, ["history", "2014-15"])
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.output.splitlines() if "evidence/evidence.csv" in line]
    assert len(lines) == 2 and "superseded" in lines[0] and "current" in lines[1]
    newest = int(file_history(engine, "2014-15")["file_id"].max())
    changed = CliRunner().invoke(cli.app, ["history", "2014-15", "--changes", str(newest)])
    assert changed.exit_code == 0, changed.output
    assert "changed" in changed.output and "cpo_title" in changed.output
    assert rows.loc[10, "cpo_code"] in changed.output


def test_a_corrected_targets_file_supersedes_the_older_targets(engine: Engine, tmp_path: Path) -> None:
    package_dir, archive_root = copy_sample(tmp_path / "2014-15"), tmp_path / "archive"
    targets = package_dir / "targets.csv"
    header = "biennium,outcome,indicator,region,target\n"
    targets.write_text(header + "2014-15,7,7.1,Africa,3\n2014-15,7,7.2,Africa,2\n", encoding="utf-8")
    ingest(engine, package_dir, archive_root)
    targets.write_text(header + "2014-15,7,7.1,Africa,4\n", encoding="utf-8")
    report = ingest(engine, package_dir, archive_root)
    assert (report.files_new, report.files_superseded) == (1, 1)

    target = table(TargetRecord)
    with engine.connect() as conn:
        rows = conn.execute(select(target.c.indicator, target.c.target, target.c.superseded_by_file_id)).all()
    in_force = sorted((r.indicator, r.target) for r in rows if r.superseded_by_file_id is None)
    assert in_force == [("7.1", 4)]
    assert len(rows) == 3  # the two older targets are kept, marked superseded
    history = file_history(engine, "2014-15")
    assert list(history.loc[history["name"] == "targets.csv", "status"]) == ["superseded", "current"]


STARTER = """
import pathlib, sys, time
from reporting.store.database import upgraded_engine
signals = pathlib.Path(sys.argv[2])
(signals / f"ready-{sys.argv[3]}").touch()
while not (signals / "go").exists():
    time.sleep(0.005)
upgraded_engine(sys.argv[1])
"""


def check_processes_starting_together_on_a_new_database(url: str, signals: Path) -> None:
    """A worker and the command line may both open a database that has no schema yet: three processes
    (released at the same instant) and three threads of this one migrate it at once, and each finds
    the schema complete."""
    import subprocess
    import sys
    import time
    from concurrent.futures import ThreadPoolExecutor

    signals.mkdir()
    others = [
        subprocess.Popen([sys.executable, "-c", STARTER, url, str(signals), str(n)], stderr=subprocess.PIPE)
        for n in range(3)
    ]
    deadline = time.monotonic() + 120
    while len(list(signals.glob("ready-*"))) < len(others) and time.monotonic() < deadline:
        time.sleep(0.01)
    (signals / "go").touch()
    with ThreadPoolExecutor(max_workers=3) as pool:
        engines = list(pool.map(lambda _: upgraded_engine(url), range(3)))
    failures = [p.communicate(timeout=120)[1].decode() for p in others if p.wait(timeout=120) != 0]
    assert failures == []
    check_migrated_schema_matches_models(engines[0])
    with engines[0].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    for started in engines:
        started.dispose()


def test_processes_starting_together_on_a_new_database(tmp_path: Path) -> None:
    check_processes_starting_together_on_a_new_database(
        f"sqlite:///{tmp_path / 'new.db'}", tmp_path / "signals"
    )


def test_a_file_about_a_cpo_under_another_indicator_supersedes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    """TUN129 reported under 7.2 in a later delivery leaves its 7.1 rows in force."""
    package_dir, archive_root = copy_sample(tmp_path / "2014-15"), tmp_path / "archive"
    split_sample(package_dir, "TUN129", "tunisia.csv")
    ingest(engine, package_dir, archive_root)

    under_72 = pd.read_csv(package_dir / "evidence" / "tunisia.csv", dtype=str, keep_default_na=False)
    under_72["indicator"] = "7.2"
    (package_dir / "evidence" / "tunisia.csv").unlink()
    under_72.to_csv(package_dir / "evidence" / "tunisia-7-2.csv", index=False)
    report = ingest(engine, package_dir, archive_root)
    assert report.files_superseded == 0
    tunisia = current_evidence(engine, "2014-15").query("cpo_code == 'TUN129'")
    assert sorted(tunisia["indicator"].unique()) == ["7.1", "7.2"]


def test_an_older_version_sent_again_is_in_force_again(engine: Engine, tmp_path: Path) -> None:
    """v1, then v2, then v1 again: the store's current rows are v1's, as in the report built from it."""
    package_dir, archive_root = copy_sample(tmp_path / "2014-15"), tmp_path / "archive"
    original = (package_dir / EVIDENCE).read_bytes()
    ingest(engine, package_dir, archive_root)
    sample_rows(package_dir).iloc[:-5].to_csv(package_dir / EVIDENCE, index=False)
    ingest(engine, package_dir, archive_root)
    assert len(current_evidence(engine, "2014-15")) == 60

    (package_dir / EVIDENCE).write_bytes(original)
    report = ingest(engine, package_dir, archive_root)
    assert (report.files_new, report.files_superseded) == (0, 1)
    assert len(current_evidence(engine, "2014-15")) == 65
    versions = file_history(engine, "2014-15").query("name == @EVIDENCE.as_posix()").reset_index(drop=True)
    assert list(versions["status"]) == ["current", "superseded"]
    assert versions.loc[1, "superseded_by"] == versions.loc[0, "file_id"]


def test_opening_the_store_changes_no_schema_db_upgrade_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migrations are an explicit step (`reporting db upgrade`, make deploy, a build), not a side effect
    of opening the store."""
    from typer.testing import CliRunner

    from reporting import cli
    from reporting.store.database import engine_for
    from reporting.store.migrations import head_revision

    url = f"sqlite:///{tmp_path / 'store.db'}"
    opened = engine_for(url)
    assert inspect(opened).get_table_names() == []
    monkeypatch.setenv("DATABASE_URL", url)
    upgraded = CliRunner().invoke(cli.app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output.strip() == f"store at revision {head_revision()}"
    check_migrated_schema_matches_models(opened)
    opened.dispose()
