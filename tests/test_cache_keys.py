"""The render task's cache key (flows/caching.py) is made without holding a large report as one string:
the context's JSON digested a list item at a time, the evidence trail by pandas' row hashes. The key must
still change with anything that changes the report, and only then."""

from __future__ import annotations

import pandas as pd

from flows.caching import context_digest, frame_digest


def test_the_context_digest_follows_its_content_not_its_order() -> None:
    context = {"biennium": "2014-15", "outcomes": [{"id": "7", "title": "Migration"}, {"id": "8"}]}
    assert context_digest(context) == context_digest(
        {"outcomes": [{"title": "Migration", "id": "7"}, {"id": "8"}], "biennium": "2014-15"}
    )
    one_outcome = {**context, "outcomes": [{"id": "7", "title": "Migration"}]}
    assert context_digest(context) != context_digest(one_outcome)
    assert context_digest(context) != context_digest(
        {**context, "outcomes": [{"id": "7", "title": "Labour"}, {"id": "8"}]}
    )
    assert context_digest({"a": [1]}) != context_digest({"a": 1})


def test_the_evidence_digest_follows_its_values_and_columns() -> None:
    evidence = pd.DataFrame({"cpo_code": ["TUN129", "NGA904"], "row": [2, 3]})
    assert frame_digest(evidence) == frame_digest(evidence.copy())
    assert frame_digest(evidence) != frame_digest(evidence.assign(row=[2, 4]))
    assert frame_digest(evidence) != frame_digest(evidence.rename(columns={"row": "line"}))
    assert frame_digest(evidence) != frame_digest(evidence.iloc[::-1].reset_index(drop=True))
