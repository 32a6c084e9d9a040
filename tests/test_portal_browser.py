"""The portal in a real browser (Playwright driving the system Chromium), against the data folder's own
Prefect server with the deployments registered and a worker running, as an operator runs them
(scripts/prefect.sh): a submitter uploads a file with a mistake and, within 30 seconds, reads the
finding that the `check-submission` run found; a reviewer returns a result with a comment that the
submitter then reads and, once the office's new version is stored, opens with the keyboard what changed
since; a signer finds the link to the biennium's sign-off run in the Prefect UI and downloads the
draft; a translator, with the keyboard alone, signs in, switches the interface to French and finds the
XLIFF of their language. axe-core checks every page (no serious or critical violation). With
PORTAL_SCREENSHOTS set to a folder, each page is saved there as portal-<page>.png (the README's
screenshots of the submitter's, translator's and login pages: `PORTAL_SCREENSHOTS=docs`; those of the
reviewer's page and the overview were taken on the demo, with a draft built and a sign-off run)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
import uvicorn
from fastapi import FastAPI

from reporting import settings
from reporting.orchestration import local_server
from reporting.portal import uploads
from reporting.portal.app import create_app
from reporting.store.database import engine_for
from tests.prefect_stack import SCRIPT, SCRIPT_SECONDS, start_service, stop_service, wait_until
from tests.test_portal import AFRICA_REVIEWER, PASSWORD, SIGNER, SUBMITTER, TRANSLATOR, B, Portal
from tests.test_portal import hashed as hashed  # fixtures the journey shares with the HTTP tests
from tests.test_portal import portal as portal
from tests.test_storage import EVIDENCE, ingest

CHROMIUM = "/usr/bin/chromium"
FINDINGS_WITHIN_MS = 30_000
"""The issue's promise: the findings on the page within 30 seconds of the upload."""
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no system Chromium (make system-deps)"),
]


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app on a free port of 127.0.0.1 in a thread, until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the portal did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def checking_service(work: Path) -> Iterator[str]:
    """The portal data folder's Prefect server (on a free port), the deployments, and a worker taking up
    to 4 runs at a time: `make server`, `make deploy`, `make worker` as an operator types them. The
    server's API address."""
    operator = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    operator |= {
        "PREFECT_SERVER_PORT": "0",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "REPORTING_WORKER_LIMIT": "4",
    }
    worker = None
    try:
        started = subprocess.run(
            [str(SCRIPT), "start"], env=operator, capture_output=True, text=True, timeout=SCRIPT_SECONDS
        )
        assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
        deployed = subprocess.run(
            [str(SCRIPT), "deploy"], env=operator, capture_output=True, text=True, timeout=SCRIPT_SECONDS
        )
        assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
        worker = start_service([str(SCRIPT), "worker"], operator, work / "worker.log")
        server = local_server.recorded()
        assert server is not None
        wait_until(
            lambda: "started" in (work / "worker.log").read_text(errors="replace").lower(), 120, "worker"
        )
        yield server.api_url
    finally:
        if worker is not None:
            stop_service(worker)
        subprocess.run([str(SCRIPT), "stop"], env=operator, capture_output=True, timeout=60, check=False)


def _serious(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


NAMED = "Parliament adopted the Overseas Employment Proclamation No. 923/2016 in January 2016."


def _office_names_the_law(package: Path) -> None:
    """The office's new version of the evidence file, ETH155's third criterion naming the law, stored
    as the next build stores it."""
    rows = pd.read_csv(package / EVIDENCE, dtype=str, keep_default_na=False)
    rows.loc[(rows["cpo_code"] == "ETH155") & (rows["criterion"] == "3"), "result_achieved"] = NAMED
    rows.to_csv(package / EVIDENCE, index=False)
    ingest(engine_for(settings.database_url()), package, settings.archive_dir())


def _paused_sign_off_run(api: str) -> Any:
    """A run of `end-of-biennium` named as its sign-off runs are, paused, on the server at `api` (made
    there, not run: the overview only reads it)."""
    from prefect import Flow
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.states import Paused

    with SyncPrefectClient(api) as client:
        return client.create_flow_run(
            Flow(lambda: None, name="end-of-biennium"),
            name=f"sign-off-{B}-20260115-060000-0b7e1a",
            state=Paused(),
        )


def test_submit_review_translate_and_download_in_a_browser(portal: Portal, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    shots = Path(os.environ["PORTAL_SCREENSHOTS"]) if os.environ.get("PORTAL_SCREENSHOTS") else None
    mistaken = tmp_path / "evidence-tunis.csv"
    rows = pd.read_csv(tmp_path / B / EVIDENCE, dtype=str, keep_default_na=False).head(2)
    rows.loc[0, "criterion"] = "9"
    rows.to_csv(mistaken, index=False)
    draft = tmp_path / "out" / B / "draft" / "en" / "report.docx"
    draft.parent.mkdir(parents=True)
    draft.write_bytes(b"PK\x03\x04 the draft")
    violations: list[str] = []

    def looked_at(page: Page, name: str) -> None:
        violations.extend(_serious(page))
        if shots is not None:
            page.screenshot(path=str(shots / f"portal-{name}.png"), full_page=True)

    def signed_in(browser_page: Page, base: str, name: str) -> Page:
        browser_page.goto(f"{base}/login")
        browser_page.get_by_label("Name").fill(name)
        browser_page.get_by_label("Password").fill(PASSWORD)
        browser_page.get_by_role("button", name="Sign in").click()
        expect(browser_page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()
        return browser_page

    with (
        checking_service(tmp_path) as api,
        serving(create_app(portal.config)) as base,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        login = browser.new_page()
        login.goto(f"{base}/login")
        looked_at(login, "login")

        office = signed_in(browser.new_context().new_page(), base, SUBMITTER)
        looked_at(office, "home")
        office.get_by_role("link", name="Submissions").click()
        office.get_by_label("File").set_input_files(mistaken)
        office.get_by_role("button", name="Upload and check").click()
        uploaded = time.monotonic()
        expect(office.get_by_text("some rows would be set aside")).to_be_visible(timeout=FINDINGS_WITHIN_MS)
        print(f"findings on the page {time.monotonic() - uploaded:.1f} s after the upload")
        expect(office.get_by_role("cell", name="criterion").first).to_be_visible()
        expect(office.get_by_role("link", name="The validation workbook")).to_be_visible()
        looked_at(office, "submit")
        (sent,) = uploads.uploads_by(SUBMITTER, B)
        run = httpx.get(f"{api}/flow_runs/{sent.flow_run}", timeout=60).json()
        assert run["state_type"] == "COMPLETED" and run["name"] == f"check-{B}-{sent.id}"  # in the Prefect UI

        reviewer = signed_in(browser.new_context().new_page(), base, AFRICA_REVIEWER)
        reviewer.get_by_role("link", name="Review", exact=True).click()
        reviewer.get_by_label("ETH155 7.2").check()
        reviewer.get_by_label("Decision", exact=True).select_option("return")
        reviewer.get_by_label("Comment or reason").fill("Name the law that was adopted, please.")
        reviewer.get_by_role("button", name="Record the decision").click()
        expect(reviewer.get_by_role("status")).to_contain_text("return × 1")

        office.reload()
        expect(office.get_by_role("cell", name="Name the law that was adopted, please.")).to_be_visible()

        _office_names_the_law(tmp_path / B)  # its new version stored: what changed since the return
        reviewer.reload()
        reviewer.get_by_text("Changed since it was decided on").focus()
        reviewer.keyboard.press("Enter")  # opened with the keyboard
        expect(reviewer.get_by_role("cell", name=NAMED)).to_be_visible()
        expect(reviewer.get_by_role("rowheader", name="Result achieved")).to_be_visible()
        looked_at(reviewer, "review")

        sign_off = _paused_sign_off_run(api)
        signer = signed_in(browser.new_context().new_page(), base, SIGNER)
        signer.get_by_role("link", name="Overview").click()
        link = signer.get_by_role("link", name=f"The latest sign-off run in the Prefect UI: {sign_off.name}")
        expect(link).to_have_attribute("href", f"{api.removesuffix('/api')}/runs/flow-run/{sign_off.id}")
        with signer.expect_download() as download:
            signer.get_by_role("link", name="draft/en/report.docx").click()
        saved = tmp_path / "downloaded.docx"
        download.value.save_as(saved)
        assert saved.read_bytes() == draft.read_bytes()
        looked_at(signer, "overview")

        translator = browser.new_context().new_page()  # the keyboard alone, from the address bar on
        translator.goto(f"{base}/login")
        translator.keyboard.press("Tab")
        while translator.evaluate("document.activeElement.id") != "name":
            translator.keyboard.press("Tab")
        translator.keyboard.type(TRANSLATOR)
        translator.keyboard.press("Tab")
        translator.keyboard.type(PASSWORD)
        translator.keyboard.press("Enter")
        # in French, the first language the people directory gives her
        expect(translator.get_by_role("heading", name=f"Bienvenue, {TRANSLATOR}")).to_be_visible()
        translator.get_by_label("Langue").focus()
        translator.keyboard.type("En")  # typed on a list: its option that starts so, English
        translator.keyboard.press("Tab")
        translator.keyboard.press("Enter")
        expect(translator.locator("html")).to_have_attribute("lang", "en")
        expect(translator.get_by_role("heading", name=f"Welcome, {TRANSLATOR}")).to_be_visible()
        translator.goto(f"{base}/translate")
        expect(translator.locator(f'a[href="/translate/{B}/report-fr.xlf"]')).to_be_visible()
        looked_at(translator, "translate")
        browser.close()
    assert violations == []
