"""The portal under load (issue 23):

- the reviewer's page for one region of a 10,000-row biennium (the synthetic package, stored and its
  review statuses synced) must answer in under 300 ms (best of 5, through the app in-process, as
  uvicorn would call it), against the library call that the page is built on (`results_frame`); and
  so again once every result of the region was approved and a new version of one evidence file changed
  a text of each of them (the page then shows what changed since each decision, `review.since`);
- 20 submitters uploading at once (20 threads, each signed in as its own submitter, each posting an
  evidence file to the portal served by uvicorn) must all read their findings within a minute, and
  nothing is lost: 20 uploads recorded, 20 files placed in the package byte for byte, 20 checked. The
  checks are Prefect runs of `check-submission/portal` on the data folder's own server with a worker
  taking 4 runs at a time (tests/test_portal_browser.py's `checking_service`); the baseline is one
  upload's check in-process (`uploads.check`)."""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pandas as pd
import yaml

from benchmarks.common import Measurement, best_of
from reporting import settings

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ROWS = 10_000
SUBMITTERS = 20
REGION = "Africa"


def _environment(work: Path) -> Path:
    """A data folder, package folder and people directory of their own (restored by the caller)."""
    from reporting.portal import accounts

    package = work / "packages"
    os.environ |= {
        "REPORTING_DATA_DIR": str(work / "data"),
        "REPORTING_PACKAGES_DIR": str(package),
        "REPORTING_OUTPUT_DIR": str(work / "out"),
        "REPORTING_PEOPLE_FILE": str(work / "people.yaml"),
    }
    hashed = accounts.HASHER.hash("benchmark password")
    people = [
        {"name": "Reviewer Africa", "roles": ["reviewer"], "regions": [REGION], "password_hash": hashed}
    ]
    people += [
        {"name": f"Submitter {n}", "roles": ["submitter"], "regions": [REGION], "password_hash": hashed}
        for n in range(SUBMITTERS)
    ]
    (work / "people.yaml").write_text(yaml.safe_dump({"people": people}))
    return package


def _store(folder: Path) -> None:
    """The package in `folder` stored (its new file versions supersede the older) and the reviews synced."""
    from reporting.intake.readers import read_package
    from reporting.intake.validate import validate_package
    from reporting.review.results import sync
    from reporting.store.database import upgraded_engine
    from reporting.store.deliveries import store_package

    package = read_package(folder)
    checked = validate_package(package)
    engine = upgraded_engine(settings.database_url())
    store_package(
        engine,
        package,
        evidence=checked.evidence.clean,
        rejected=checked.rejected,
        targets=checked.targets.clean,
        archive_root=settings.archive_dir(),
    )
    sync(engine, package.framework.biennium)


def _stored_biennium(package_root: Path) -> tuple[str, Path]:
    """The 10,000-row synthetic package in the store, its statuses synced: its biennium and folder."""
    from reporting.intake.readers import read_package
    from reporting.synth import synthetic_package

    made = synthetic_package(package_root / "synthetic", rows=ROWS)
    biennium = read_package(made).framework.biennium
    folder = made.rename(package_root / biennium)
    _store(folder)
    return biennium, folder


def _csrf(client: httpx.Client, path: str) -> str:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert token, path
    return token[1]


def _signed_in(client: httpx.Client, name: str) -> None:
    form = {"csrf": _csrf(client, "/login"), "name": name, "password": "benchmark password"}
    answer = client.post("/login", data=form)
    assert answer.status_code == 303, answer.text[:300]


def _reviewer_page(biennium: str, folder: Path) -> list[Measurement]:
    from fastapi.testclient import TestClient

    from reporting.portal.app import create_app
    from reporting.review.results import results_frame
    from reporting.review.since import changes_since_decisions
    from reporting.store.database import upgraded_engine

    client = TestClient(create_app(), follow_redirects=False)
    _signed_in(client, "Reviewer Africa")
    engine = upgraded_engine(settings.database_url())
    name = f"portal: the reviewer's page of {REGION}, {ROWS:,}-row biennium"
    measured = _page(client, biennium, name, "results_frame", lambda: results_frame(engine, biennium), False)
    _decided_and_changed(biennium, folder)
    measured += _page(
        client,
        biennium,
        f"{name}, each result changed since approved",
        "results_frame and changes_since_decisions",
        lambda: (results_frame(engine, biennium), changes_since_decisions(engine, biennium)),
        True,
    )
    return measured


def _page(
    client: TestClient, biennium: str, name: str, baseline: str, library: Callable[[], object], since: bool
) -> list[Measurement]:
    """The reviewer's page the first time after a change and then (best of 5), against the library
    calls it is made of (best of 3). Each result shows what changed since its decision (`since`), or
    none does."""
    started = time.perf_counter()
    page = client.get(f"/review?biennium={biennium}").text
    first = time.perf_counter() - started
    shown = page.count('name="result"')
    assert shown > 100 and page.count('class="since"') == (shown if since else 0), page.count('class="since"')
    alone = best_of(3, library)
    baseline = f"{baseline} (the library)"
    return [
        Measurement(f"{name}, first after a change", first, baseline, alone, None),
        Measurement(
            name,
            best_of(5, lambda: client.get(f"/review?biennium={biennium}")),
            baseline,
            alone,
            goal_ratio=None,
            goal_seconds=0.3,
        ),
    ]


def _decided_and_changed(biennium: str, folder: Path) -> None:
    """Every result of REGION approved by its reviewer, then a new version of each evidence file with
    a text of every row of REGION changed, stored."""
    from reporting.review.results import Decision, decide, results_frame
    from reporting.store.database import upgraded_engine

    engine = upgraded_engine(settings.database_url())
    results = results_frame(engine, biennium)
    theirs = results[results["region"] == REGION]
    approvals = [
        Decision(str(i), str(c), "approve", "Reviewer Africa")
        for i, c in zip(theirs["indicator"], theirs["cpo_code"], strict=True)
    ]
    assert not decide(engine, biennium, approvals).refused
    for evidence in sorted((folder / "evidence").glob("*.csv")):
        rows = pd.read_csv(evidence, dtype=str, keep_default_na=False)
        mine = rows["region"] == REGION
        rows.loc[mine, "result_achieved"] = rows.loc[mine, "result_achieved"] + " (revised)"
        rows.to_csv(evidence, index=False)
    _store(folder)


def _uploads_at_once(biennium: str, folder: Path, work: Path) -> list[Measurement]:
    from reporting.portal import uploads
    from reporting.portal.app import create_app
    from reporting.store.database import upgraded_engine
    from tests.test_portal_browser import checking_service, serving

    evidence = sorted((folder / "evidence").glob("*.csv"))[0]
    rows = pd.read_csv(evidence, dtype=str, keep_default_na=False).head(200)
    rows.loc[0, "criterion"] = "9"  # one finding each
    files = {  # each submitter's own file (its texts numbered)
        n: rows.assign(result_achieved=rows["result_achieved"] + f" ({n})").to_csv(index=False).encode()
        for n in range(SUBMITTERS)
    }

    with checking_service(work) as _api, serving(create_app()) as base:
        clients = [httpx.Client(base_url=base, timeout=120) for _ in range(SUBMITTERS)]
        for n, client in enumerate(clients):
            _signed_in(client, f"Submitter {n}")
        tokens = [_csrf(client, "/") for client in clients]
        answers: dict[int, int] = {}

        def upload(n: int) -> None:
            form = {"csrf": tokens[n], "biennium": biennium}
            sent = clients[n].post("/submit", data=form, files={"file": (f"evidence-{n}.csv", files[n])})
            answers[n] = sent.status_code

        started = time.perf_counter()
        threads = [threading.Thread(target=upload, args=(n,)) for n in range(SUBMITTERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        posted = time.perf_counter() - started
        assert answers == dict.fromkeys(range(SUBMITTERS), 303), answers
        deadline = started + 300
        while True:
            sent = [u for n in range(SUBMITTERS) for u in uploads.uploads_by(f"Submitter {n}", biennium)]
            if len(sent) == SUBMITTERS and all(u.state != uploads.CHECKING for u in sent):
                break
            assert time.perf_counter() < deadline, "not all checked within 5 minutes"
            time.sleep(0.2)
        every_finding = time.perf_counter() - started
        for client in clients:
            client.close()
    assert all(u.state == uploads.CHECKED and u.findings for u in sent), [u.state for u in sent]
    for u in sent:  # nothing lost: each file in the package as sent
        n = int(u.submitted_by.split()[-1])
        assert (folder / u.placed[0]).read_bytes() == files[n]
    print(f"20 uploads posted in {posted:.1f} s, all findings after {every_finding:.1f} s")
    one = sent[0]
    alone = best_of(1, lambda: uploads.check(upgraded_engine(settings.database_url()), one))
    return [
        Measurement(
            f"portal: {SUBMITTERS} submitters upload at once, all findings (Prefect runs, 4 at a time)",
            every_finding,
            "one upload's check in-process",
            alone,
            goal_ratio=None,
            goal_seconds=60,
        )
    ]


def run() -> list[Measurement]:
    saved = dict(os.environ)
    work = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    try:
        package_root = _environment(work)
        biennium, folder = _stored_biennium(package_root)
        return _reviewer_page(biennium, folder) + _uploads_at_once(biennium, folder, work)
    finally:
        os.environ.clear()
        os.environ.update(saved)
