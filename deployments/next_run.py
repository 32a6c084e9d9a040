"""Each scheduled deployment says when its next run is, in its description (the UI shows it on the
deployment's page and in the list): Prefect's scheduler creates runs only 100 days ahead, so the
*Upcoming* tab of a deployment that runs every two years stays empty for most of them.

`make deploy` (scripts/prefect.sh deploy) runs this after registering the deployments: the description
of prefect.yaml, then "Next scheduled run: …" computed from the deployment's active schedules as the
server has them. Running it again recomputes it (nothing is appended twice).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import yaml
from automations import DEPLOYMENTS_FILE, deployment_names  # the script's folder is on sys.path
from dateutil.rrule import rrulestr

from reporting import settings

settings.configure_prefect()

from prefect import get_client  # noqa: E402
from prefect.client.schemas.actions import DeploymentUpdate  # noqa: E402
from prefect.client.schemas.schedules import RRuleSchedule  # noqa: E402


def next_occurrence(rrule: str, timezone: str, after: datetime) -> datetime | None:
    """The first time after `after` that the RRule (wall-clock times in `timezone`) names, or None."""
    zone = ZoneInfo(timezone)
    found = rrulestr(rrule).after(after.astimezone(zone).replace(tzinfo=None))
    return found.replace(tzinfo=zone) if found else None


def described(description: str, next_run: datetime | None) -> str:
    if next_run is None:
        return description
    when = f"{next_run:%Y-%m-%d %H:%M} {next_run.tzname()} ({next_run.tzinfo})"
    return (
        f"{description} Next scheduled run: {when} (Prefect shows it under Upcoming only from 100 days "
        "before)."
    )


def describe_next_runs(now: datetime) -> dict[str, datetime | None]:
    """Each prefect.yaml deployment's description, with its next scheduled run when it has one."""
    document = yaml.safe_load(DEPLOYMENTS_FILE.read_text(encoding="utf-8"))
    descriptions = [str(d.get("description") or "") for d in document["deployments"]]
    found: dict[str, datetime | None] = {}
    with get_client(sync_client=True) as client:
        for name, description in zip(deployment_names(), descriptions, strict=True):
            deployment = client.read_deployment_by_name(name)
            times = [
                next_occurrence(s.schedule.rrule, s.schedule.timezone or "UTC", now)
                for s in deployment.schedules
                if s.active and isinstance(s.schedule, RRuleSchedule)
            ]
            found[name] = min((t for t in times if t), default=None)
            client.update_deployment(
                deployment.id, DeploymentUpdate(description=described(description, found[name]))
            )
    return found


def main() -> int:
    for name, when in describe_next_runs(datetime.now(UTC)).items():
        print(f"{name}: next scheduled run {when:%Y-%m-%d %H:%M %Z}" if when else f"{name}: no schedule")
    return 0


if __name__ == "__main__":
    sys.exit(main())
