"""The audit trail is a hash chain, and `reporting audit --verify` says what was changed outside the
program: an entry removed or edited, a status or a lock that no entry explains. The `check_*` scenarios
take any engine: tests/test_postgres.py runs them on PostgreSQL too."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from reporting.cli import app
from reporting.review.results import Decision, decide, lock, unlock
from reporting.review.trail import verify_trail
from reporting.store.database import upgraded_engine
from reporting.store.migrations import alembic_config
from reporting.store.review import Entry, record
from tests.test_review import TUN, B, received

DROP_TRIGGERS = {  # what someone with the owner's rights can do on SQLite
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_entry_no_update",
        "DROP TRIGGER IF EXISTS audit_entry_no_delete",
    ],
    "postgresql": ["ALTER TABLE audit_entry DISABLE TRIGGER USER"],
}


def reviewed(engine: Engine, tmp_path: Path) -> None:
    """The sample received, TUN129 approved, the biennium locked and unlocked again."""
    received(engine, tmp_path)
    assert not decide(engine, B, [Decision(*TUN, "approve", "Ana")]).refused
    lock(engine, B, "Chief")
    unlock(engine, B, "Chief", "a late correction")


def outside(engine: Engine, *statements: str) -> list[str]:
    """Run SQL behind the program's back (the append-only triggers dropped first), then verify."""
    with engine.begin() as conn:
        for statement in [*DROP_TRIGGERS[engine.dialect.name], *statements]:
            conn.execute(text(statement))
    return verify_trail(engine)[1]


def check_an_intact_trail_verifies(engine: Engine, tmp_path: Path) -> None:
    reviewed(engine, tmp_path)
    count, problems = verify_trail(engine)
    assert problems == [] and count > 20


def check_an_entry_removed_is_found(engine: Engine, tmp_path: Path) -> None:
    reviewed(engine, tmp_path)
    problems = outside(engine, "DELETE FROM audit_entry WHERE what = 'lock' AND new_value = 'locked'")
    assert problems == [
        next(
            p for p in problems if p.endswith("lock, 2014-15): the entry before it was removed or rewritten")
        ),
    ]


def check_an_entry_edited_is_found(engine: Engine, tmp_path: Path) -> None:
    reviewed(engine, tmp_path)
    problems = outside(engine, "UPDATE audit_entry SET by = 'someone else' WHERE by = 'Ana'")
    assert len(problems) == 1
    assert "status, 2014-15 TUN129 7.1): edited or written outside the program" in problems[0]


def check_a_status_changed_by_hand_is_found(engine: Engine, tmp_path: Path) -> None:
    reviewed(engine, tmp_path)
    problems = outside(engine, "UPDATE result_review SET status = 'submitted' WHERE cpo_code = 'TUN129'")
    assert problems == ["result 2014-15 7.1 TUN129: status submitted, but the audit trail says approved"]


def check_a_lock_set_or_lifted_by_hand_is_found(engine: Engine, tmp_path: Path) -> None:
    reviewed(engine, tmp_path)
    insert = "INSERT INTO biennium_lock VALUES ('2014-15', 'Chief', '2026-12-07 00:00:00', '')"
    assert outside(engine, insert) == ["biennium 2014-15: locked, but no audit entry locked it"]
    lock(engine, "2016-17", "Chief")
    problems = outside(engine, "DELETE FROM biennium_lock WHERE biennium = '2016-17'")
    assert problems[-1] == "biennium 2016-17: unlocked, but no audit entry unlocked it"


def check_an_emptied_trail_is_found(engine: Engine, tmp_path: Path) -> None:
    reviewed(engine, tmp_path)
    problems = outside(engine, "DELETE FROM audit_entry")
    assert len(problems) == 22  # every result's status is unexplained
    assert "result 2014-15 7.1 TUN129: status approved that no audit entry explains" in problems


SCENARIOS = [
    check_an_intact_trail_verifies,
    check_an_entry_removed_is_found,
    check_an_entry_edited_is_found,
    check_a_status_changed_by_hand_is_found,
    check_a_lock_set_or_lifted_by_hand_is_found,
    check_an_emptied_trail_is_found,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__.removeprefix("check_"))
def test_verify_on_sqlite(scenario: object, tmp_path: Path) -> None:
    scenario(upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}"), tmp_path)  # type: ignore[operator]


def test_audit_verify_says_one_line_per_change_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    engine = upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}")
    reviewed(engine, tmp_path)
    result = CliRunner().invoke(app, ["audit", "--verify"])
    assert result.exit_code == 0 and "audit trail intact:" in result.output
    outside(engine, "UPDATE result_review SET status = 'approved' WHERE cpo_code = 'NGA904'")
    result = CliRunner().invoke(app, ["audit", "--verify"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "result 2014-15 7.1 NGA904: status approved, but the audit trail says submitted",
        "error: 1 change(s) made outside the program (see above)",
    ]


def test_the_migration_chains_the_entries_already_there(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    config = alembic_config()
    with create_engine(url).begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
        for what in ("lock", "lock"):
            conn.execute(
                text(
                    "INSERT INTO audit_entry (at, by, biennium, indicator, cpo_code, what, old_value, "
                    "new_value, reason) VALUES ('2026-12-01 10:00:00.000000', 'Chief', '2012-13', '', '', "
                    f"'{what}', '', 'unlocked', '')"
                )
            )
    engine = upgraded_engine(url)
    with engine.begin() as conn:
        record(conn, Entry("Chief", "2012-13", "lock", "unlocked", "locked"))
        conn.execute(text("INSERT INTO biennium_lock VALUES ('2012-13', 'Chief', '2026-12-07 00:00:00', '')"))
    assert verify_trail(engine) == (3, [])
