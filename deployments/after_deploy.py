"""What `make deploy` (scripts/prefect.sh deploy) does once `prefect deploy` has registered
deployments/prefect.yaml, in one process: each step used to be a Python process of its own, about 1 s
of CPU each for Prefect's import (measured in `make test`, which deploys three times).

1. retired.py: deployments prefect.yaml no longer declares, deleted;
2. strict_parameters.py: unknown parameters refused by the server;
3. next_run.py: each description says when the next scheduled run is;
4. automations.py: failure notifications (REPORTING_ALERT_WEBHOOK_URL);
5. crashed_runs: killed runs end Crashed, and are run again.

Each script still runs alone (`python deployments/<script>.py`)."""

from __future__ import annotations

import sys

from reporting import settings

settings.configure_prefect()

import automations  # noqa: E402  (the script's folder, deployments/, is on sys.path)
import next_run  # noqa: E402
import retired  # noqa: E402
import strict_parameters  # noqa: E402

from reporting.orchestration.crashed_runs import detect_crashed_runs  # noqa: E402


def main() -> int:
    for step in (retired.main, strict_parameters.main, next_run.main, automations.main):
        failed = step()
        if failed:
            return failed
    detect_crashed_runs()
    return 0


if __name__ == "__main__":
    sys.exit(main())
