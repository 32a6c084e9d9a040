"""Deployments that deployments/prefect.yaml no longer declares, deleted from the server by `make deploy`
(scripts/prefect.sh deploy): `prefect deploy` adds and updates deployments but never removes one, so a
server deployed to before would go on running a retired deployment's schedule. Deleting a deployment
deletes its scheduled runs too.

- `biennial-report/end-of-biennium`: until the sign-off (issue 13) it built the final report of the
  biennium that had just closed on 15 January, with no sign-off. `end-of-biennium/sign-off` has that
  schedule now; left on a server, the old one would build a second, unsigned report the same morning.
"""

from __future__ import annotations

import sys

from automations import deployment_names  # the script's folder (deployments/) is on sys.path

from reporting import settings

settings.configure_prefect()

from prefect import get_client  # noqa: E402
from prefect.exceptions import ObjectNotFound  # noqa: E402

RETIRED = ("biennial-report/end-of-biennium",)


def delete_retired() -> list[str]:
    """The retired deployments the server still had, now deleted."""
    declared = set(RETIRED) & set(deployment_names())
    if declared:
        raise SystemExit(f"retired but declared again in prefect.yaml: {', '.join(sorted(declared))}")
    deleted = []
    with get_client(sync_client=True) as client:
        for name in RETIRED:
            try:
                found = client.read_deployment_by_name(name)
            except ObjectNotFound:
                continue
            client.delete_deployment(found.id)
            deleted.append(name)
    return deleted


def main() -> int:
    deleted = delete_retired()
    print(
        f"retired deployments deleted: {', '.join(deleted)}" if deleted else "no retired deployment to delete"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
