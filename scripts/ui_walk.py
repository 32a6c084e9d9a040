"""The operator's walk through the Prefect UI, in headless Chromium, as the README's "For operators"
section describes it: the rebuild's Run form (its descriptions; a mistyped biennium refused by the
server, and failed by the flow at its first step when "Validate parameters" is unticked), a rebuild to
its report artifact, a sign-off returned (the form refuses a return without a comment) and one
approved, and a build cancelled. Each step is checked and photographed into SHOTS (default out/ui-walk/).

Run it against a server with the deployments and a worker, after the README's commands:

    make server && make deploy
    REPORTING_WORKER_LIMIT=2 make worker                        # in another terminal
    .venv/bin/python scripts/ui_walk.py --signer "Ben Okafor"   # a signer of the people directory

The sign-off runs approve and lock the biennium of the store: walk a data folder made for it (the
README's commands with REPORTING_DATA_DIR set), never the one of the real reports. With
`--alerts-port N` it also listens on 127.0.0.1:N for the failure alert of the returned run (deploy with
REPORTING_ALERT_WEBHOOK_URL=http://127.0.0.1:N/ for that).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, Response, ViewportSize, sync_playwright

from reporting.synth import synthetic_package

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
REBUILD = "biennial-report/rebuild"
SIGN_OFF = "end-of-biennium/sign-off"
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
VIEWPORT: ViewportSize = {"width": 1280, "height": 1500}


class Walk:
    """One browser page on the server's UI, the server's API, and where the screenshots go."""

    def __init__(self, page: Page, api: str, shots: Path) -> None:
        self.page, self.api, self.shots = page, api, shots
        self.ui = api.removesuffix("/api")

    def shot(self, name: str) -> None:
        self.page.wait_for_timeout(1500)  # the UI's own polling settles
        self.page.screenshot(path=str(self.shots / f"{name}.png"))
        print(f"  screenshot {self.shots / name}.png")

    def deployment(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = (
            httpx.get(f"{self.api}/deployments/name/{name}", timeout=60).raise_for_status().json()
        )
        return found

    def run(self, run_id: str) -> dict[str, Any]:
        found: dict[str, Any] = (
            httpx.get(f"{self.api}/flow_runs/{run_id}", timeout=60).raise_for_status().json()
        )
        return found

    def wait_for(
        self, run_id: str, wanted: Callable[[dict[str, Any]], bool], seconds: float, what: str
    ) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            run = self.run(run_id)
            if wanted(run):
                return run
            time.sleep(1)
        raise SystemExit(
            f"FAILED: {what} not reached within {seconds:.0f} s (run {run_id}: {run['state_name']})"
        )

    def ended(self, run_id: str, seconds: float = 600) -> dict[str, Any]:
        return self.wait_for(run_id, lambda r: r["state_type"] in FINAL, seconds, "a final state")

    def run_form(self, deployment: str) -> None:
        """The deployment's Run › Custom run form."""
        self.page.goto(f"{self.ui}/deployments/deployment/{self.deployment(deployment)['id']}/run")
        self.page.get_by_role("button", name="Submit").wait_for()

    def field(self, title: str) -> Locator:
        label = self.page.locator(".schema-form-property__label", has_text=re.compile(f"^{re.escape(title)}"))
        return self.page.locator(".schema-form-property").filter(has=label).first

    def submit(self) -> Response:
        """Submit the Run form: the server's answer to creating the run."""
        with self.page.expect_response(re.compile(r"/create_flow_run$")) as created:
            self.page.get_by_role("button", name="Submit").click()
        return created.value

    def open_run(self, run_id: str) -> None:
        self.page.goto(f"{self.ui}/runs/flow-run/{run_id}")
        self.page.locator(".state-badge").first.wait_for()

    def logs(self, run_id: str) -> list[str]:
        found = httpx.post(
            f"{self.api}/logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}}}, timeout=60
        ).json()
        return [str(log["message"]) for log in found]


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


def the_run_form(walk: Walk) -> None:
    """Every parameter titled and described; a mistyped biennium refused by the server, with the reason."""
    walk.run_form(REBUILD)
    properties = walk.deployment(REBUILD)["parameter_openapi_schema"]["properties"]
    for name, field in properties.items():
        shown = walk.field(field["title"])
        check(
            field["description"].replace("`", "")[:40] in shown.inner_text(),
            f"the Run form describes {name} ({field['title']})",
        )
    walk.field("Biennium").locator("textarea").fill("2014-15")
    walk.shot("ui-run-form")
    walk.field("Biennium").locator("textarea").fill("2014-2015")
    check(
        walk.page.get_by_label("Validate parameters").is_checked(),
        "'Validate parameters' is ticked by default",
    )
    refused = walk.submit()
    check(refused.status == 409, f"the server refuses biennium 2014-2015 ({refused.status})")
    notice = walk.page.get_by_text("Validation failed for field 'biennium'").first
    notice.wait_for()
    print(f"  the form's notice: {notice.inner_text()!r}")
    walk.shot("ui-run-form-refused")


def unvalidated(walk: Walk) -> None:
    """'Validate parameters' unticked: the run exists and the flow fails it in its first step, in one line."""
    walk.run_form(REBUILD)
    walk.field("Biennium").locator("textarea").fill("2014-2015")
    walk.page.get_by_label("Validate parameters").uncheck()
    created = walk.submit()
    check(created.status == 201, "unvalidated, the run is created")
    run_id = created.json()["id"]
    run = walk.ended(run_id, 300)
    message = str(run["state"]["message"])
    print(f"  state message: {message!r}")
    check(run["state_type"] == "FAILED", "it fails")
    check("biennium: must look like 2014-15, not '2014-2015'" in message, "its state says what is wrong")
    tasks = httpx.post(
        f"{walk.api}/task_runs/filter", json={"flow_runs": {"id": {"any_": [run_id]}}}, timeout=60
    ).json()
    check(tasks == [], "before any task ran (nothing read, nothing stored)")
    tracebacks = [line for line in walk.logs(run_id) if "Traceback" in line]
    print(f"  log records with a traceback: {len(tracebacks)}")
    walk.open_run(run_id)
    walk.shot("ui-unvalidated")


def rebuild(walk: Walk) -> None:
    """A rebuild from the Run form, to Completed, with the report artifact naming the .docx."""
    walk.run_form(REBUILD)
    walk.field("Biennium").locator("textarea").fill("2014-15")
    created = walk.submit()
    assert created.status == 201, created
    run_id = created.json()["id"]
    run = walk.ended(run_id)
    check(run["state_type"] == "COMPLETED", f"the rebuild completes ({run['state']['message']})")
    check(run["name"].startswith("report-2014-15-"), f"it is named after the biennium ({run['name']})")
    walk.open_run(run_id)
    walk.page.get_by_text("Artifacts", exact=True).first.click()
    walk.shot("ui-rebuild-artifacts")
    artifact = httpx.get(f"{walk.api}/artifacts/report-2014-15-docx/latest", timeout=60).json()
    walk.page.get_by_text("report-2014-15-docx").first.click()
    shown = walk.page.get_by_text("implementation-report-2014-15.docx").first
    shown.wait_for()
    print(f"  the report artifact shows: {shown.inner_text()!r}")
    links = [a.get_attribute("href") for a in walk.page.locator("article a").all()]
    print(f"  its links: {links}")
    check(not any(str(h).startswith("file:") for h in links), "it names the .docx, with no file:// link")
    walk.shot("ui-report-artifact")
    check(".docx" in artifact["data"], "the report artifact names the .docx")


def start_sign_off(walk: Walk) -> str:
    """A sign-off run started as the README says (`prefect deployment run … -p biennium=2014-15`), once
    it waits with its form: its id."""
    started = subprocess.run(
        [
            str(ROOT / ".venv/bin/prefect"),
            "deployment",
            "run",
            SIGN_OFF,
            "-p",
            "biennium=2014-15",
            "-p",
            "language=en",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = re.search(r"UUID:\s*([0-9a-f-]{36})", started.stdout)
    assert found, started.stdout
    run_id = found[1]
    walk.wait_for(
        run_id,
        lambda r: r["state_type"] == "PAUSED" and "run_input_keyset" in (r["state"]["state_details"] or {}),
        900,
        "the sign-off form (Paused)",
    )
    return run_id


def answer(walk: Walk, run_id: str, decision: str, by: str, comment: str, tries: int = 3) -> Response:
    """The run's Resume form filled in and submitted: the server's answer. A server error (Prefect's
    SQLite database locked by another writer, under load) is said, and the form submitted again, as an
    operator would."""
    for _ in range(tries - 1):
        given = _answered(walk, run_id, decision, by, comment)
        if given.status < 500:
            return given
        print(f"  the server answered {given.status} ({given.text()[:200]!r}): submitted again")
        walk.page.keyboard.press("Escape")
    return _answered(walk, run_id, decision, by, comment)


def _answered(walk: Walk, run_id: str, decision: str, by: str, comment: str) -> Response:
    walk.open_run(run_id)
    walk.page.get_by_role("button", name="Resume").first.click()
    dialog = walk.page.get_by_role("dialog")
    dialog.wait_for()
    dialog.locator(".p-select-button__control").press(
        "ArrowDown"
    )  # opens the choices (a click does not, headless)
    walk.page.get_by_role("option", name=decision).click()
    walk.field("Your name").locator("textarea").fill(by)
    walk.field("Comment").locator("textarea").fill(comment)
    with walk.page.expect_response(re.compile(r"/resume$")) as resumed:
        dialog.get_by_role("button", name="Submit").click()
    return resumed.value


def returned(walk: Walk, signer: str, alerts: list[str] | None) -> None:
    """A return without a comment is refused by the form; with one, the run ends Returned, saying so."""
    run_id = start_sign_off(walk)
    walk.open_run(run_id)
    walk.page.get_by_role("button", name="Resume").first.click()
    walk.page.get_by_role("dialog").wait_for()
    walk.shot("ui-sign-off")
    not_a_signer = answer(walk, run_id, "return", "Ana Lima", "A reviewer's answer, not a signer's.")
    check(not_a_signer.json()["status"] == "ACCEPT", "the server takes any name's answer to the run")
    walk.wait_for(
        run_id, lambda r: r["state"]["state_details"].get("pause_key") == "sign-off-1", 300, "the form again"
    )
    walk.open_run(run_id)
    walk.page.get_by_role("button", name="Resume").first.click()
    said = walk.page.get_by_text("Not taken: the answer of Ana Lima").first
    said.wait_for()
    check(said.is_visible(), f"a non-signer's answer is not taken: the form again ({said.inner_text()!r})")
    walk.shot("ui-sign-off-not-taken")
    refused = answer(walk, run_id, "return", signer, "")
    reason = refused.json().get("details", {}).get("reason", "")
    check(
        refused.json()["status"] == "REJECT" and "comment" in reason,
        f"no return without a comment ({reason})",
    )
    walk.page.get_by_text("Validation failed for field 'comment'").first.wait_for()
    walk.shot("ui-return-needs-a-comment")
    comment = "Outcome 7.2 lacks the Africa narrative; please add it."
    answer(walk, run_id, "return", signer, comment)
    run = walk.ended(run_id, 300)
    print(f"  state: {run['state_name']}: {run['state']['message']!r}")
    check(
        run["state_name"] == "Returned" and comment in run["state"]["message"],
        "the run ends Returned, with the comment",
    )
    walk.open_run(run_id)
    walk.shot("ui-returned")
    if alerts is not None:
        deadline = time.monotonic() + 120
        while not any(run["name"] in a for a in alerts) and time.monotonic() < deadline:
            time.sleep(1)
        posted = [a for a in alerts if run["name"] in a]
        print(f"  alert posted: {posted[:1]!r}")
        check(
            bool(posted) and "Returned" in posted[0] and comment in posted[0],
            "the alert posts the return and its comment",
        )


def approved(walk: Walk, signer: str) -> None:
    """A sign-off approved in the UI: the final report built, the biennium locked."""
    run_id = start_sign_off(walk)
    answered = answer(walk, run_id, "approve", signer, "")
    check(answered.json()["status"] == "ACCEPT", "the approval is accepted")
    run = walk.ended(run_id, 900)
    print(f"  state: {run['state_name']}: {run['state']['message']!r}")
    check(
        run["state_type"] == "COMPLETED" and "is locked" in run["state"]["message"],
        "signed off: final report, locked",
    )
    walk.open_run(run_id)
    walk.shot("ui-signed-off")


def cancelled(walk: Walk, package: Path, out: Path) -> None:
    """A long build started from the Run form and cancelled with the run page's Cancel button."""
    walk.run_form(REBUILD)
    walk.field("Package folder").locator("textarea").fill(str(package))
    walk.field("Output folder").locator("textarea").fill(str(out))
    created = walk.submit()
    assert created.status == 201, created
    run_id = created.json()["id"]
    walk.wait_for(run_id, lambda r: r["state_type"] == "RUNNING", 300, "the build to run")
    walk.open_run(run_id)
    walk.page.get_by_role("button", name="Cancel", exact=True).first.click()
    dialog = walk.page.get_by_role("dialog")
    dialog.wait_for()
    walk.shot("ui-cancel-confirm")
    clicked = time.monotonic()
    dialog.get_by_role("button", name=re.compile("^(Cancel run|Confirm|Cancel flow run)$", re.I)).click()
    run = walk.ended(run_id, 300)
    seconds = time.monotonic() - clicked
    print(f"  {run['state_name']} {seconds:.1f} s after the click")
    check(run["state_type"] == "CANCELLED", f"the cancelled build reads Cancelled ({seconds:.0f} s)")
    walk.open_run(run_id)
    walk.shot("ui-cancelled")


def listen_for_alerts(port: int) -> list[str]:
    """The bodies posted to http://127.0.0.1:PORT/ (the alert webhook), as they come."""
    posted: list[str] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            posted.append(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return posted


STEPS = ("form", "unvalidated", "rebuild", "returned", "cancelled", "approved")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signer", default="Ben Okafor", help="a signer of the people directory")
    parser.add_argument("--shots", type=Path, default=ROOT / "out" / "ui-walk", help="where screenshots go")
    parser.add_argument("--alerts-port", type=int, help="listen for the failure alert on this port")
    parser.add_argument("--only", nargs="+", choices=STEPS, default=list(STEPS), help="these steps only")
    arguments = parser.parse_args()
    api = os.environ.get("PREFECT_API_URL", "").rstrip("/")
    if not api:
        print('PREFECT_API_URL is not set: first eval "$(.venv/bin/reporting server env)"', file=sys.stderr)
        return 2
    arguments.shots.mkdir(parents=True, exist_ok=True)
    alerts = listen_for_alerts(arguments.alerts_port) if arguments.alerts_port else None
    scratch = Path(tempfile.mkdtemp(prefix="ui-walk-"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        walk = Walk(browser.new_page(viewport=VIEWPORT), api, arguments.shots)
        walk.page.set_default_timeout(60_000)
        for step in arguments.only:
            print(f"== {step}")
            started = time.monotonic()
            if step == "form":
                the_run_form(walk)
            elif step == "unvalidated":
                unvalidated(walk)
            elif step == "rebuild":
                rebuild(walk)
            elif step == "returned":
                returned(walk, arguments.signer, alerts)
            elif step == "cancelled":
                package = scratch / "large" / "2014-15"
                synthetic_package(package, rows=20_000, outcomes=19, seed=3)
                cancelled(walk, package, scratch / "cancelled")
            elif step == "approved":
                approved(walk, arguments.signer)
            print(f"   ({time.monotonic() - started:.0f} s)")
        browser.close()
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
