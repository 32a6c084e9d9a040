"""The end-of-biennium run explains itself in the Prefect UI: every parameter of its Run form has a
title and a description (the biennium a plain text field, its pattern and an example), the SignOff form
refuses a return without a comment (in Python and in the schema the server checks an answer against),
and its runs are named `sign-off-<biennium>-<time>-<id>`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prefect.utilities.callables import parameter_schema
from pydantic import ValidationError

from reporting.flows.end_of_biennium import RETURN_NEEDS_A_COMMENT, SignOff, end_of_biennium
from reporting.framework import BIENNIUM_PATTERN
from reporting.pipeline import run_name


def test_every_parameter_has_a_title_and_a_description() -> None:
    properties = parameter_schema(end_of_biennium.fn).model_dump()["properties"]
    assert set(properties) == {"package", "biennium", "out", "language", "timeout_days"}
    for name, field in properties.items():
        assert field["title"] != name and field["description"], name
    biennium = properties["biennium"]
    assert "e.g. 2026-27" in biennium["description"]
    assert {"pattern": BIENNIUM_PATTERN, "type": "string"}.items() <= biennium.items()  # no "str / None"
    assert properties["package"]["type"] == properties["out"]["type"] == "string"  # text, not a toggle


@pytest.mark.parametrize("comment", ["", "  \n"])
def test_a_return_needs_a_comment(comment: str) -> None:
    with pytest.raises(ValidationError, match=RETURN_NEEDS_A_COMMENT):
        SignOff(decision="return", by="Chief", comment=comment)
    assert SignOff(decision="approve", by="Chief", comment=comment).decision == "approve"
    schema = SignOff.model_json_schema()
    assert schema["if"] == {"properties": {"decision": {"const": "return"}}}
    assert schema["then"]["properties"]["comment"]["minLength"] == 1


def test_runs_are_named_after_the_sign_off_and_the_biennium() -> None:
    started = datetime(2028, 1, 15, 5, 0, tzinfo=UTC)
    assert (
        run_name("2026-27", started, "0123456789", kind="sign-off")
        == "sign-off-2026-27-20280115-050000-012345"
    )
    assert run_name("2026-27", started, "0123456789") == "report-2026-27-20280115-050000-012345"
