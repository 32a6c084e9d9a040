"""A biennium's latest sign-off run in the Prefect UI (flow `end-of-biennium`, runs named
`sign-off-<biennium>-<time>-<id>` once they start), asked of the Prefect server the portal talks to
(`checks.prefect_api`) with Prefect's client: one request, a short timeout, no retry, so that the
overview answers at once when no server does."""

from __future__ import annotations

import os
from dataclasses import dataclass

from reporting.portal import checks

FLOW = "end-of-biennium"
TIMEOUT_SECONDS = 2.0


class Unreachable(Exception):
    """No Prefect server is configured or running, or it did not answer in time (one line)."""


@dataclass(frozen=True)
class SignOffRun:
    """A sign-off run: its name, its state's name (Paused, Completed, Returned…) and its page in the UI."""

    name: str
    state: str
    url: str


def ui_address(api: str) -> str:
    """The Prefect UI's address: PREFECT_UI_URL when set, else the API's address without `/api`."""
    return (os.environ.get("PREFECT_UI_URL") or api.rstrip("/").removesuffix("/api")).rstrip("/")


def latest_sign_off_run(biennium: str) -> SignOffRun | None:
    """The latest run of `end-of-biennium` named for `biennium` (by name: the time is in it), None when
    the server has none; Unreachable when no server answers."""
    api = checks.prefect_api()
    if api is None:
        raise Unreachable("no Prefect server")
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterName
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_CLIENT_MAX_RETRIES, temporary_settings

    prefix = f"sign-off-{biennium}-"
    try:
        with (
            temporary_settings(updates={PREFECT_CLIENT_MAX_RETRIES: 0}),
            SyncPrefectClient(
                api, api_key=os.environ.get("PREFECT_API_KEY"), httpx_settings={"timeout": TIMEOUT_SECONDS}
            ) as client,
        ):
            found = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW])),
                flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=prefix)),
                sort=FlowRunSort.NAME_DESC,
                limit=20,
            )
    except Exception as failed:
        raise Unreachable(type(failed).__name__) from None
    run = next((r for r in found if r.name.startswith(prefix)), None)
    if run is None:
        return None
    state = (run.state.name if run.state is not None else None) or ""
    return SignOffRun(run.name, state, f"{ui_address(api)}/runs/flow-run/{run.id}")
