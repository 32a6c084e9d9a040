"""Starting the check of an upload as a Prefect run of `check-submission/portal` (flows/
check_submission.py), through Prefect's client: the server in PREFECT_API_URL, else the data folder's
own server if it runs. The web request only creates the run; when no server or no deployment is there,
the upload says so (the page shows it) instead of waiting."""

from __future__ import annotations

import os

from reporting import settings
from reporting.portal import uploads
from reporting.portal.language import _

DEPLOYMENT = "check-submission/portal"
TIMEOUT_SECONDS = 10.0


def prefect_api() -> str | None:
    """The Prefect server to ask: the one configured, else the data folder's own if it answers."""
    from reporting.orchestration import local_server

    settings.configure_prefect()  # before Prefect reads its settings, as the command line does
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        return configured
    server = local_server.recorded()
    return server.api_url if server and local_server.healthy(server.api_url) else None


def start_check(upload: uploads.Upload) -> uploads.Upload:
    """Create the run that checks `upload` (its id saved with it), or say why none was created."""
    api = prefect_api()
    if api is None:
        upload.state = uploads.UNCHECKED
        upload.note = _(
            "Not checked: no Prefect server runs for the portal (the operator starts one with "
            "make server, make deploy and make worker). The file is in the package."
        )
        uploads.save(upload)
        return upload
    import httpx
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

    try:
        with SyncPrefectClient(
            api, api_key=os.environ.get("PREFECT_API_KEY"), httpx_settings={"timeout": TIMEOUT_SECONDS}
        ) as client:
            deployment = client.read_deployment_by_name(DEPLOYMENT)
            run = client.create_flow_run_from_deployment(
                deployment.id, parameters={"biennium": upload.biennium, "upload": upload.id}
            )
    except ObjectNotFound:
        upload.state = uploads.UNCHECKED
        upload.note = _("Not checked: the check is not deployed on the Prefect server (make deploy).")
    except (PrefectHTTPStatusError, httpx.HTTPError, OSError) as failed:
        upload.state = uploads.UNCHECKED
        upload.note = _("Not checked: the Prefect server did not answer") + f" ({type(failed).__name__})."
    else:  # not saved here: the run may already be writing its findings (it records its own id)
        upload.flow_run = str(run.id)
        return upload
    uploads.save(upload)
    return upload
