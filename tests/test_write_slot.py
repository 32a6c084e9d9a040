"""The write slot `report-<biennium>` is never taken for good: a slot the server counts as taken while no
live run holds it (its lease record was lost on a full disk, or never written) is taken back by the next
build, and a slot held by a live run is not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLE

pytestmark = pytest.mark.usefixtures("prefect_harness")

SLOT = "report-2014-15"


def _set_taken(slots: int) -> None:
    from prefect import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate

    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(SLOT, limit=1)
        client.update_global_concurrency_limit(SLOT, GlobalConcurrencyLimitUpdate(active_slots=slots))


def _active_slots() -> int:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return int(client.read_global_concurrency_limit_by_name(SLOT).active_slots)


@pytest.fixture
def quick_asks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Short asks, and a short wait before giving up (the slot is free again after the test)."""
    from reporting.flows import write_slot

    monkeypatch.setattr(write_slot, "FIRST_TRY_SECONDS", 0.5)
    monkeypatch.setattr(write_slot, "ASK_SECONDS", 0.5, raising=False)
    monkeypatch.setattr(write_slot, "WRITE_LIMIT_WAIT_SECONDS", 30)
    yield
    _set_taken(0)


@pytest.mark.usefixtures("quick_asks")
def test_a_slot_taken_without_a_live_holder_is_taken_back(tmp_path: Path) -> None:
    """The server counts the slot taken (as it does when it could not write the lease: a full disk),
    no run holds it: the build takes it back and completes instead of waiting for ever."""
    from reporting.flows.biennial_report import biennial_report

    _set_taken(1)
    state: Any = biennial_report(package=str(SAMPLE), out=str(tmp_path / "out"), return_state=True)
    assert state.is_completed(), state.message
    assert _active_slots() == 0


@pytest.mark.usefixtures("quick_asks")
def test_a_slot_held_by_a_live_run_is_not_taken_back() -> None:
    from prefect import flow, get_client
    from prefect.states import Crashed, Running

    from reporting.flows.write_slot import holder_gone, writer_tag

    @flow(name="holder")
    def holder() -> None:
        return None

    _set_taken(1)
    with get_client(sync_client=True) as client:
        run = client.create_flow_run(holder, tags=[writer_tag(SLOT)])
        client.set_flow_run_state(run.id, Running(), force=True)
        assert not holder_gone(SLOT)
        client.set_flow_run_state(run.id, Crashed(message="killed"), force=True)
    assert holder_gone(SLOT)


def test_the_holder_is_tagged_as_the_writer(tmp_path: Path) -> None:
    """The UI shows which run writes the biennium (and a waiting run knows whom it waits for)."""
    from prefect import get_client

    from reporting.flows.biennial_report import biennial_report

    state: Any = biennial_report(package=str(SAMPLE), out=str(tmp_path / "out"), return_state=True)
    assert state.is_completed(), state.message
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
    assert f"writes:{SLOT}" in run.tags


def test_the_server_marks_silent_runs_crashed() -> None:
    """Prefect's automation for runs whose heartbeats stop (its docs' "Detect zombie flows") exists once
    a build ran, and heartbeats are sent often enough for it."""
    import os

    from prefect import get_client

    from reporting.orchestration.crashed_runs import AUTOMATION, SILENCE_SECONDS, detect_crashed_runs

    detect_crashed_runs()
    detect_crashed_runs()
    with get_client(sync_client=True) as client:
        found = client.read_automations_by_name(AUTOMATION)
    assert len(found) == 1 and found[0].enabled
    assert [a.type for a in found[0].actions] == ["change-flow-run-state"]
    # counted from the run's start too: a run killed before its first heartbeat is not left Running
    assert "prefect.flow-run.Running" in found[0].trigger.after  # type: ignore[union-attr]
    assert 3 * int(os.environ["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"]) <= SILENCE_SECONDS


def test_a_run_whose_lease_cannot_be_renewed_ends_crashed_saying_so() -> None:
    """When the lease cannot be renewed (its server restarting), Prefect stops the holder with a
    CancelledError raised in the run's thread, as here. The run ends Crashed (the rerun automation's
    trigger), with a message about the write slot, not Prefect's "exceeded timeout of 14400 second(s)";
    a parent run (a sign-off's build) is Crashed too, and the slot is free again."""
    import asyncio

    from prefect import flow

    from reporting.flows.write_slot import WriteSlotLost, write_slot

    @flow(name="writer", timeout_seconds=4 * 3600)
    def writer() -> None:
        with write_slot("2014-15"):
            raise asyncio.CancelledError()

    @flow(name="sign-off-like")
    def parent() -> None:
        writer()

    with pytest.raises(WriteSlotLost):  # a crash is raised to the caller, as Prefect does
        parent()
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["writer", "sign-off-like"]))
        )
    assert sorted(run.state_type.value for run in runs if run.state_type) == ["CRASHED", "CRASHED"]
    for run in runs:
        assert run.state is not None
        assert "the write slot report-2014-15 was lost: its lease could not be renewed" in str(
            run.state.message
        )
        assert "timeout" not in str(run.state.message)
    assert _active_slots() == 0


def test_a_run_out_of_time_while_writing_still_reads_timed_out() -> None:
    """The run's own timeout stops it with the same exception: that one is said as Prefect says it."""
    import time

    from prefect import flow

    from reporting.flows.write_slot import write_slot

    @flow(name="slow-writer", timeout_seconds=2)
    def slow_writer() -> None:
        with write_slot("2014-15"):
            time.sleep(30)

    state: Any = slow_writer(return_state=True)
    assert state.is_failed() and state.name == "TimedOut", f"{state.name}: {state.message}"
    assert _active_slots() == 0
