"""One writer per biennium: the run holds the global concurrency limit `report-<biennium>` (limit 1).

The slot is leased and the lease renewed while the run holds it, so the server takes back the slot of a
run that was killed once its lease ends (WRITE_LEASE_SECONDS, the shortest Prefect accepts). On the
same data folder a killed run is noticed at once: the holder keeps an OS lock (flock) on
`<PREFECT_HOME>/write-slots/<limit>.lock` and writes its lease id beside it; the lock dies with its
process, so a later run that can take the lock while a lease id is still written knows the holder was
killed, and releases exactly that lease before it asks for the slot.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

from prefect import get_client, get_run_logger
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.context import ConcurrencyContext
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.runtime import flow_run
from prefect.states import Crashed

WRITE_LIMIT_WAIT_SECONDS = 1800
"""How long a run waits for another run of the same biennium to finish before it gives up."""
FIRST_TRY_SECONDS = 5.0
"""The first ask for the slot (a busy server may take seconds to grant a free one): past it, the run
says that it waits."""
WRITE_LEASE_SECONDS = 60
"""The slot of a run killed on another machine is taken back by the server within this (plus 5 s)."""


def _folder() -> Path:
    folder = Path(os.environ["PREFECT_HOME"]) / "write-slots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _ensure_limit(name: str) -> None:
    """The limit is created on first use."""
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            with contextlib.suppress(ObjectAlreadyExists):  # another run created it meanwhile
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))


def _take_back_from_killed_holder(name: str) -> None:
    """Release the lease of a holder on this data folder that died without releasing it."""
    lease_file = _folder() / f"{name}.lease"
    with (_folder() / f"{name}.lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # a live run holds it: wait for it below
        try:
            lease, holder = (UUID(word) for word in lease_file.read_text().split())
        except (OSError, ValueError):
            return
        with get_client(sync_client=True) as client:
            with contextlib.suppress(ObjectNotFound):
                client.release_concurrency_slots_with_lease(lease_id=lease)
            with contextlib.suppress(ObjectNotFound):  # the UI no longer shows it running
                client.set_flow_run_state(
                    holder, Crashed(message="killed while writing the report"), force=True
                )
        lease_file.unlink(missing_ok=True)
        get_run_logger().warning(
            "took back the write slot %s from run %s, which was killed while writing", name, holder
        )


def _slot(name: str, timeout_seconds: float) -> contextlib.AbstractContextManager[None]:
    return concurrency(
        name, occupy=1, strict=True, timeout_seconds=timeout_seconds, lease_duration=WRITE_LEASE_SECONDS
    )


@contextlib.contextmanager
def _held(name: str) -> Iterator[None]:
    """The slot, asked for once briefly; if another run holds it, the run says what it waits for, then
    waits (up to WRITE_LIMIT_WAIT_SECONDS)."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(_slot(name, FIRST_TRY_SECONDS))
        except TimeoutError:
            get_run_logger().warning(
                "waiting for the write slot %s: another run of this biennium is writing (the slot of a "
                "run killed elsewhere is freed within %d s; giving up after %d s)",
                name,
                WRITE_LEASE_SECONDS + 5,
                WRITE_LIMIT_WAIT_SECONDS,
            )
            stack.enter_context(_slot(name, WRITE_LIMIT_WAIT_SECONDS))
        yield


@contextlib.contextmanager
def write_slot(biennium: str) -> Iterator[None]:
    """Hold the biennium's write slot for the block (inside a flow run)."""
    name = f"report-{biennium}"
    _ensure_limit(name)
    _take_back_from_killed_holder(name)
    with _held(name):
        context = ConcurrencyContext.get()
        lease = context.cleanup_lease_ids[-1] if context and context.cleanup_lease_ids else None
        lease_file = _folder() / f"{name}.lease"
        with (_folder() / f"{name}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if lease:
                lease_file.write_text(f"{lease} {flow_run.id}")
            try:
                yield
            finally:
                lease_file.unlink(missing_ok=True)
