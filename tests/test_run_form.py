"""The Prefect UI explains itself, through a real server, `make deploy` and a worker: every parameter of
the report's and the reminder's deployments has a title and a description in the Run form, optional
folders are plain text fields, a mistyped biennium is refused with what is wrong (by the server, and by
the flow itself when the form's check was skipped), runs have readable names, only scheduled runs are
tagged as such, and each scheduled deployment's description says when its next run is."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.prefect_stack import ROOT, PrefectStack, deployment, http, run_state, wait_until

sys.path.insert(0, str(ROOT / "deployments"))
from next_run import described, next_occurrence

FORM_DEPLOYMENTS = ("biennial-report/rebuild", "review-reminder/weekly")
WEEKLY = "DTSTART:20260105T080000\nRRULE:FREQ=YEARLY;INTERVAL=2;BYMONTH=1,2,3;BYDAY=MO;BYHOUR=8;BYMINUTE=0"
SIGN_OFF = "DTSTART:20260115T060000\nRRULE:FREQ=YEARLY;INTERVAL=2;BYMONTH=1;BYMONTHDAY=15;BYHOUR=6;BYMINUTE=0"


def test_the_next_run_is_the_schedules_next_wall_clock_time_in_its_zone() -> None:
    zurich = ZoneInfo("Europe/Zurich")
    assert next_occurrence(WEEKLY, "Europe/Zurich", datetime(2026, 12, 7, tzinfo=UTC)) == datetime(
        2028, 1, 3, 8, 0, tzinfo=zurich
    )
    assert next_occurrence(WEEKLY, "Europe/Zurich", datetime(2028, 3, 27, 7, 0, tzinfo=UTC)) == datetime(
        2030,
        1,
        7,
        8,
        0,
        tzinfo=zurich,  # 27 March 2028 08:00 Zurich (summer time) is 06:00Z: passed
    )
    at = next_occurrence(SIGN_OFF, "Europe/Zurich", datetime(2026, 1, 15, 5, 0, tzinfo=UTC))
    assert at == datetime(2028, 1, 15, 6, 0, tzinfo=zurich)
    assert described("Builds it.", at).startswith(
        "Builds it. Next scheduled run: 2028-01-15 06:00 CET (Europe/Zurich)"
    )
    assert described("Builds it.", None) == "Builds it."


@pytest.mark.parametrize("name", FORM_DEPLOYMENTS)
@pytest.mark.slow
def test_every_parameter_has_a_title_and_a_description_and_folders_are_text(
    prefect_stack: PrefectStack, name: str
) -> None:
    schema: dict[str, Any] = deployment(prefect_stack.api, name)["parameter_openapi_schema"]
    properties: dict[str, dict[str, Any]] = schema["properties"]
    assert schema["additionalProperties"] is False
    for parameter, field in properties.items():
        assert field["title"] and field["title"] != parameter, parameter  # a title, not the bare name
        assert field.get("default", "") is not None, parameter  # the form would send None, and refuse it
        assert len(field.get("description", "")) > 10, parameter
    biennium = properties["biennium"]
    assert biennium["type"] == "string" and "anyOf" not in biennium  # a text field, not "str / None"
    assert re.fullmatch(biennium["pattern"], "2014-15") and biennium["examples"] == ["2014-15"]
    assert "e.g. 2014-15" in biennium["description"]
    for folder in ("package", "template", "out"):
        if folder in properties:
            assert properties[folder]["type"] == "string" and "anyOf" not in properties[folder]


@pytest.mark.slow
def test_a_mistyped_biennium_is_refused_saying_what_is_wrong(prefect_stack: PrefectStack) -> None:
    """What the Run form shows under the field (the UI asks the server's validation endpoint) and what
    creating the run answers: the pattern it must match, not "not valid under any of the given schemas"."""
    rebuild = deployment(prefect_stack.api, "biennial-report/rebuild")
    checked = http.post(
        f"{prefect_stack.api}/ui/schemas/validate",
        json={"schema": rebuild["parameter_openapi_schema"], "values": {"biennium": "2014-2015"}},
        timeout=60,
    ).json()
    assert checked["valid"] is False
    assert checked["errors"] == [
        {"property": "biennium", "errors": ["'2014-2015' does not match '^\\\\d{4}-\\\\d{2}$'"]}
    ]
    refused = http.post(
        f"{prefect_stack.api}/deployments/{rebuild['id']}/create_flow_run",
        json={"parameters": {"biennium": "2014-2015"}},
        timeout=60,
    )
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert "Validation failed for field 'biennium'" in detail and "'2014-2015' does not match" in detail
    assert "any of the given schemas" not in detail


@pytest.mark.slow
@pytest.mark.parametrize("name", ["biennial-report/rebuild", "end-of-biennium/sign-off"])
def test_unvalidated_a_mistyped_biennium_fails_the_run_before_it_reads_anything(
    prefect_stack: PrefectStack, name: str
) -> None:
    """ "Validate parameters" unticked in the Run form: the run is created, and the flow refuses the value
    in one line before any task runs (the sign-off's too: it said "String should match pattern")."""
    chosen = deployment(prefect_stack.api, name)
    created = http.post(
        f"{prefect_stack.api}/deployments/{chosen['id']}/create_flow_run",
        json={"parameters": {"biennium": "2014-2015"}, "enforce_parameter_schema": False},
        timeout=60,
    )
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]
    finished = wait_until(lambda: run_state(prefect_stack.api, run_id), 90, "the unvalidated run to end")
    assert finished["state_type"] == "FAILED", prefect_stack.worker_log.read_text(errors="replace")[-3000:]
    refusal = "biennium: must look like 2014-15, not '2014-2015'"
    assert refusal in finished["state"]["message"]

    def said() -> list[str]:  # the run's logs reach the server in batches, after its state
        logs = http.post(
            f"{prefect_stack.api}/logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}}}
        ).json()
        messages = [log["message"] for log in logs]
        return messages if any(refusal in m for m in messages) else []

    messages = wait_until(said, 60, "the run's log to say what is wrong")
    assert not any("Traceback" in m for m in messages), messages  # one line, its reason
    tasks = http.post(
        f"{prefect_stack.api}/task_runs/filter", json={"flow_runs": {"id": {"any_": [run_id]}}}, timeout=10
    ).json()
    assert tasks == []  # nothing read, nothing stored


@pytest.mark.slow
def test_reminder_runs_are_named_and_only_scheduled_runs_are_tagged_so(prefect_stack: PrefectStack) -> None:
    weekly = deployment(prefect_stack.api, "review-reminder/weekly")
    created = http.post(
        f"{prefect_stack.api}/deployments/{weekly['id']}/create_flow_run",
        json={"parameters": {"biennium": "2014-15"}},
        timeout=60,
    ).json()
    finished = wait_until(lambda: run_state(prefect_stack.api, created["id"]), 90, "the reminder run to end")
    assert finished["name"].startswith("review-reminder-2014-15-"), finished["name"]
    assert not {"scheduled", "auto-scheduled"} & set(finished["tags"])
    for name in ("end-of-biennium/sign-off", *FORM_DEPLOYMENTS):
        assert "scheduled" not in deployment(prefect_stack.api, name)["tags"]


@pytest.mark.parametrize("name", ["end-of-biennium/sign-off", "review-reminder/weekly"])
@pytest.mark.slow
def test_a_scheduled_deployment_says_when_its_next_run_is(prefect_stack: PrefectStack, name: str) -> None:
    found = deployment(prefect_stack.api, name)
    schedule = found["schedules"][0]["schedule"]
    expected = next_occurrence(schedule["rrule"], schedule["timezone"], datetime.now(UTC))
    assert expected is not None and f"Next scheduled run: {expected:%Y-%m-%d %H:%M}" in found["description"]
    assert "Next scheduled run" not in deployment(prefect_stack.api, "biennial-report/rebuild")["description"]
