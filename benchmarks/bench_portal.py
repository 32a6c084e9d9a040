"""The portal under load (issue 23):

- the reviewer's page for one region of a 10,000-row biennium (the synthetic package, stored and its
  review statuses synced) must answer in under 300 ms (best of 5, through the app in-process, as
  uvicorn would call it), against the library call that the page is built on (`results_frame`);
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
from pathlib import Path

import httpx
import pandas as pd
import yaml

from benchmarks.common import Measurement, best_of
from reporting import settings

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


def _stored_biennium(package_root: Path) -> tuple[str, Path]:
    """The 10,000-row synthetic package in the store, its statuses synced: its biennium and folder."""
    from reporting.intake.readers import read_package
    from reporting.intake.validate import validate_package
    from reporting.review.results import sync
    from reporting.store.database import upgraded_engine
    from reporting.store.deliveries import store_package
    from reporting.synth import synthetic_package

    made = synthetic_package(package_root / "synthetic", rows=ROWS)
    package = read_package(made)
    biennium = package.framework.biennium
    folder = made.rename(package_root / biennium)
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
    sync(engine, biennium)
    return biennium, folder


def _csrf(client: httpx.Client, path: str) -> str:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert token, path
    return token[1]


def _signed_in(client: httpx.Client, name: str) -> None:
    form = {"csrf": _csrf(client, "/login"), "name": name, "password": "benchmark password"}
    answer = client.post("/login", data=form)
    assert answer.status_code == 303, answer.text[:300]


def _reviewer_page(biennium: str) -> list[Measurement]:
    from fastapi.testclient import TestClient

    from reporting.portal.app import create_app
    from reporting.review.results import results_frame
    from reporting.store.database import upgraded_engine

    client = TestClient(create_app(), follow_redirects=False)
    _signed_in(client, "Reviewer Africa")
    started = time.perf_counter()
    page = client.get(f"/review?biennium={biennium}")
    first = time.perf_counter() - started
    assert page.status_code == 200 and page.text.count('name="result"') > 100, page.status_code
    engine = upgraded_engine(settings.database_url())
    library = best_of(3, lambda: results_frame(engine, biennium))
    name = f"portal: the reviewer's page of {REGION}, {ROWS:,}-row biennium"
    return [
        Measurement(
            f"{name}, first after a change", first, "results_frame (the library call)", library, None
        ),
        Measurement(
            name,
            best_of(5, lambda: client.get(f"/review?biennium={biennium}")),
            "results_frame (the library call)",
            library,
            goal_ratio=None,
            goal_seconds=0.3,
        ),
    ]


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
        return _reviewer_page(biennium) + _uploads_at_once(biennium, folder, work)
    finally:
        os.environ.clear()
        os.environ.update(saved)
