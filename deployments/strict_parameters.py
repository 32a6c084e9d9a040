"""Unknown parameters refused by the server, the same way everywhere (CLI, REST API, the UI's form).

Prefect checks a run's parameters against the deployment's schema before the run is created
(`enforce_parameter_schema: true` in prefect.yaml), but the schema it derives from the flow's
signature allows properties it does not name: `-p colour=red` or a typo such as `-p outcome=7` would
be accepted, then crash the run with a random name. `make deploy` (scripts/prefect.sh deploy) runs this
after registering the deployments: it closes each deployment's schema (`additionalProperties: false`),
so such a run is refused at once with "Validation failed…", naming the parameter.

It also drops a `null` default from the schema (an optional folder or biennium left empty): the Run form
would put that None into the field and send it, and the server would refuse its own default ("None is
not of type 'string'"). Without it the field starts empty and, left empty, is not sent: the flow's default
applies.
"""

from __future__ import annotations

import sys

from automations import deployment_names  # the script's folder (deployments/) is on sys.path

from reporting import settings

settings.configure_prefect()

from prefect import get_client  # noqa: E402
from prefect.client.schemas.actions import DeploymentUpdate  # noqa: E402


def close_parameter_schemas() -> list[str]:
    names = deployment_names()
    with get_client(sync_client=True) as client:
        for name in names:
            deployment = client.read_deployment_by_name(name)
            schema = dict(deployment.parameter_openapi_schema or {})
            schema["additionalProperties"] = False
            schema["properties"] = {
                name: {key: value for key, value in field.items() if (key, value) != ("default", None)}
                for name, field in schema.get("properties", {}).items()
            }
            client.update_deployment(deployment.id, DeploymentUpdate(parameter_openapi_schema=schema))
    return names


def main() -> int:
    print(f"unknown parameters refused by: {', '.join(close_parameter_schemas())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
