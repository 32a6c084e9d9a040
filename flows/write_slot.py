"""One writer per biennium: the run holds the global concurrency limit `report-<biennium>` (limit 1).

Prefect's lease alone frees the slot of a run that dies while holding it: the slot is leased for
WRITE_LEASE_SECONDS and renewed while held; once a killed holder's lease has run out, the server's
repossessor service takes the slot back (within WRITE_LEASE_SECONDS plus its loop, 5 s here).

A slot can also stay taken with no lease at all: the server counted it but could not write its lease
(a full disk), or lost its lease records. No lease will ever end then, so a run that waits looks, between
its asks, for the holder itself: the run that holds the slot carries the tag `writes:<limit>`, and a
slot found taken twice in a row (ASK_SECONDS apart) while no live run carries the tag has no holder;
the waiting run then resets the limit's active slots through Prefect's API and takes it. A killed holder
stops being live once Prefect marks it *Crashed* (orchestration/crashed_runs.py).

The holder renews its lease while it writes. When a renewal fails three times (the server or its database
did not answer for a few seconds: a restart), Prefect stops the holder, so that two runs never write at
once; the run then ends *Crashed*, saying so (WriteSlotLost), and is run again (crashed_runs.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

from prefect import get_client, get_run_logger
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import StateType
from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError
from prefect.concurrency.sync import concurrency
from prefect.context import FlowRunContext
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.runtime import flow_run
from prefect.settings import PREFECT_HOME

from reporting.errors import OutputError, full_disk
from reporting.orchestration.crashed_runs import detect_crashed_runs

WRITE_LIMIT_WAIT_SECONDS = 1800
"""How long a run waits for another run of the same biennium to finish before it gives up."""
FIRST_TRY_SECONDS = 5.0
"""The first ask for the slot (a busy server may take seconds to grant a free one): past it, the run
says that it waits."""
ASK_SECONDS = 10.0
"""Each later ask lasts this long; between two, the waiting run looks whether the slot's holder is gone."""
WRITE_LEASE_SECONDS = 60
"""The slot of a run that was killed is taken back by the server within this (plus 5 s): the shortest
lease Prefect accepts."""
LIVE = [StateType.PENDING, StateType.RUNNING, StateType.CANCELLING, StateType.PAUSED]


class WriteSlotLost(BaseException):
    """The run was stopped while writing because its write slot's lease could not be renewed.

    Not an Exception, like KeyboardInterrupt: nothing in the run was wrong, its server went away, so
    Prefect marks the run (and a parent run) *Crashed*, not *Failed*, and the rerun automation takes it.
    Prefect's own stop (an injected CancelledError) would read "Flow run exceeded timeout"."""


def writer_tag(name: str) -> str:
    """The tag of the run that holds the slot `name` (shown in the UI)."""
    return f"writes:{name}"


def _ensure_limit(name: str) -> None:
    """The limit is created on first use."""
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            with contextlib.suppress(ObjectAlreadyExists):  # another run created it meanwhile
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))


def holder_gone(name: str) -> bool:
    """The slot is taken, yet no live run other than this one carries its writer's tag."""
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(name)
        if limit.active_slots < limit.limit:
            return False
        writers = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                tags=FlowRunFilterTags(all_=[writer_tag(name)]),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=LIVE)),
            ),
            limit=5,
        )
    return not [run for run in writers if str(run.id) != str(flow_run.id)]


def take_back(name: str) -> None:
    """Free a slot that no live run holds (its lease is gone: nothing else ever frees it)."""
    with get_client(sync_client=True) as client:
        client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(active_slots=0))
    get_run_logger().warning(
        "took back the write slot %s: it was taken, but no live run holds it (its holder died or its "
        "lease record was lost)",
        name,
    )


def _enter(stack: contextlib.ExitStack, name: str, seconds: float) -> bool:
    """Ask for the slot for `seconds`: whether it was granted. A server that cannot grant it (HTTP 500,
    e.g. its disk is full) is said in one line."""
    try:
        stack.enter_context(
            concurrency(
                name, occupy=1, strict=True, timeout_seconds=seconds, lease_duration=WRITE_LEASE_SECONDS
            )
        )
    except TimeoutError:
        return False
    except ConcurrencySlotAcquisitionError as error:
        home = full_disk([PREFECT_HOME.value()])
        if home:
            raise OutputError(f"no space left on device: {home} (write slot {name} not granted)") from error
        raise OutputError(f"the Prefect server could not grant the write slot {name}: {error}") from error
    return True


@contextlib.contextmanager
def write_slot(biennium: str) -> Iterator[None]:
    """Hold the biennium's write slot for the block (inside a flow run); the run is tagged as its writer."""
    name = f"report-{biennium}"
    _ensure_limit(name)
    detect_crashed_runs()
    with contextlib.ExitStack() as stack:
        if not _enter(stack, name, FIRST_TRY_SECONDS):
            get_run_logger().warning(
                "waiting for the write slot %s: another run of this biennium is writing (the slot of a "
                "run that was killed is freed within %d s; giving up after %d s)",
                name,
                WRITE_LEASE_SECONDS + 15,
                WRITE_LIMIT_WAIT_SECONDS,
            )
            _wait(stack, name)
        with get_client(sync_client=True) as client:
            client.update_flow_run(flow_run.id, tags=[*flow_run.tags, writer_tag(name)])
        try:
            yield
        except asyncio.CancelledError as stopped:
            if _out_of_time():
                raise
            raise WriteSlotLost(
                f"the write slot {name} was lost: its lease could not be renewed (the Prefect server or its "
                "database did not answer); the run stopped so that no other run writes at the same time"
            ) from stopped


def _out_of_time() -> bool:
    """Whether the run's own timeout stopped it (Prefect's other stop while writing, the same exception)."""
    context = FlowRunContext.get()
    if context is None or context.flow is None or context.flow.timeout_seconds is None:
        return False
    return time.time() - context.start_time.timestamp() >= context.flow.timeout_seconds


def _wait(stack: contextlib.ExitStack, name: str) -> None:
    deadline = time.monotonic() + WRITE_LIMIT_WAIT_SECONDS
    gone_before = False
    while not _enter(stack, name, ASK_SECONDS):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the write slot {name} was not free within {WRITE_LIMIT_WAIT_SECONDS} s")
        gone = holder_gone(name)
        if gone and gone_before:  # twice: not a run that has just been granted it and is tagging itself
            take_back(name)
        gone_before = gone
