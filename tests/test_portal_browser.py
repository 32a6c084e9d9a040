"""The portal in a real browser (Playwright driving the system Chromium): a submitter uploads a file with
a mistake and sees the finding, a reviewer returns a result with a comment that the submitter then reads,
a signer downloads the draft. With PORTAL_SCREENSHOTS set to a folder, each page is saved there as
portal-<page>.png (the README's screenshots: `PORTAL_SCREENSHOTS=docs`)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import uvicorn
from fastapi import FastAPI

from reporting.portal.app import create_app
from tests.test_portal import AFRICA_REVIEWER, PASSWORD, SIGNER, SUBMITTER, B, Portal
from tests.test_portal import hashed as hashed  # fixtures the journey shares with the HTTP tests
from tests.test_portal import portal as portal
from tests.test_storage import EVIDENCE

CHROMIUM = "/usr/bin/chromium"
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


def test_submit_review_and_download_in_a_browser(portal: Portal, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    shots = Path(os.environ["PORTAL_SCREENSHOTS"]) if os.environ.get("PORTAL_SCREENSHOTS") else None
    mistaken = tmp_path / "evidence-tunis.csv"
    rows = pd.read_csv(tmp_path / B / EVIDENCE, dtype=str, keep_default_na=False).head(2)
    rows.loc[0, "criterion"] = "9"
    rows.to_csv(mistaken, index=False)
    draft = tmp_path / "out" / B / "draft" / "en" / "report.docx"
    draft.parent.mkdir(parents=True)
    draft.write_bytes(b"PK\x03\x04 the draft")

    def shot(page: Page, name: str) -> None:
        if shots is not None:
            page.screenshot(path=str(shots / f"portal-{name}.png"), full_page=True)

    def signed_in(browser_page: Page, base: str, name: str) -> Page:
        browser_page.goto(f"{base}/login")
        browser_page.get_by_label("Name").fill(name)
        browser_page.get_by_label("Password").fill(PASSWORD)
        browser_page.get_by_role("button", name="Sign in").click()
        expect(browser_page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()
        return browser_page

    with serving(create_app(portal.config)) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        login = browser.new_page()
        login.goto(f"{base}/login")
        shot(login, "login")

        office = signed_in(browser.new_context().new_page(), base, SUBMITTER)
        office.get_by_role("link", name="Submissions").click()
        office.get_by_label("File").set_input_files(mistaken)
        office.get_by_role("button", name="Upload and check").click()
        expect(office.get_by_text("some rows would be set aside")).to_be_visible(timeout=30_000)
        expect(office.get_by_role("cell", name="criterion").first).to_be_visible()
        shot(office, "submit")

        reviewer = signed_in(browser.new_context().new_page(), base, AFRICA_REVIEWER)
        reviewer.get_by_role("link", name="Review", exact=True).click()
        reviewer.get_by_label("ETH155 7.2").check()
        reviewer.get_by_label("Decision", exact=True).select_option("return")
        reviewer.get_by_label("Comment or reason").fill("Name the law that was adopted, please.")
        reviewer.get_by_role("button", name="Record the decision").click()
        expect(reviewer.get_by_role("status")).to_contain_text("return × 1")
        shot(reviewer, "review")

        office.reload()
        expect(office.get_by_role("cell", name="Name the law that was adopted, please.")).to_be_visible()

        signer = signed_in(browser.new_context().new_page(), base, SIGNER)
        signer.get_by_role("link", name="Overview").click()
        with signer.expect_download() as download:
            signer.get_by_role("link", name="draft/en/report.docx").click()
        saved = tmp_path / "downloaded.docx"
        download.value.save_as(saved)
        assert saved.read_bytes() == draft.read_bytes()
        shot(signer, "overview")
        browser.close()
