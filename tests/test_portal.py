"""The portal at the HTTP level: who may see and do what (every role against every page and action,
allowed and refused), CSRF, sessions, the trusted SSO header, uploads, escaping and security headers."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from reporting import settings
from reporting.portal import accounts, uploads
from reporting.portal.app import create_app
from reporting.portal.web import PortalSettings, Sessions
from reporting.review.results import Decision, decide, lock, sync
from reporting.review.trail import verify_trail
from reporting.store.database import engine_for
from reporting.store.migrations import upgrade_to_head
from reporting.store.review import audit_entries
from tests.test_storage import EVIDENCE, copy_sample, ingest

B = "2014-15"
PASSWORD = "correct horse battery"
AFRICA_REVIEWER, ASIA_REVIEWER = "Ana Africa", "Asa Asia"
SUBMITTER, SIGNER, TRANSLATOR = "CO Tunis", "Sig Ner", "Tra Ductrice"
PEOPLE = [
    {"name": AFRICA_REVIEWER, "roles": ["reviewer"], "regions": ["Africa"]},
    {"name": ASIA_REVIEWER, "roles": ["reviewer"], "regions": ["Asia and the Pacific"]},
    {"name": SUBMITTER, "roles": ["submitter"], "regions": ["Africa"]},
    {"name": SIGNER, "roles": ["signer", "operator"]},
    {"name": TRANSLATOR, "roles": ["translator"], "languages": ["fr"]},
]


@dataclass
class Portal:
    data: Path
    config: PortalSettings

    def client(self, name: str | None = None, **settings_: object) -> TestClient:
        app = create_app(self.config.model_copy(update=settings_) if settings_ else self.config)
        client = TestClient(app, follow_redirects=False)
        if name is not None:
            response = client.post("/login", data={"csrf": csrf(client), "name": name, "password": PASSWORD})
            assert response.status_code == 303, response.text
        return client

    def status(self, cpo: str) -> tuple[str, str]:
        with engine_for(settings.database_url()).connect() as conn:
            from reporting.store.review import reviews

            review = reviews(conn, B)[("7.1" if cpo != "ETH155" else "7.2", cpo)]
        return str(review["status"]), str(review["changed_by"])


def csrf(client: TestClient, path: str = "/login") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, path
    return found.group(1)


@pytest.fixture(scope="module")
def hashed() -> str:
    return accounts.HASHER.hash(PASSWORD)


@pytest.fixture
def portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hashed: str) -> Iterator[Portal]:
    """A data folder with the sample's results, all submitted (TUN129's rows by the Africa reviewer), and
    one person per role, all with the same password."""
    data = tmp_path / "data"
    monkeypatch.setenv("REPORTING_DATA_DIR", str(data))
    monkeypatch.setenv("REPORTING_OUTPUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("REPORTING_PACKAGES_DIR", str(tmp_path))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)  # no Prefect server: uploads say they are unchecked
    people_file = tmp_path / "people.yaml"
    people_file.write_text(yaml.safe_dump({"people": [{**p, "password_hash": hashed} for p in PEOPLE]}))
    monkeypatch.setenv("REPORTING_PEOPLE_FILE", str(people_file))
    package = copy_sample(tmp_path / B)
    (package / "reviews.csv").unlink()
    rows = pd.read_csv(package / EVIDENCE, dtype=str, keep_default_na=False)
    rows["submitted_by"] = rows["cpo_code"].map({"TUN129": AFRICA_REVIEWER}).fillna(SUBMITTER)
    rows.to_csv(package / EVIDENCE, index=False)
    engine = engine_for(settings.database_url())
    upgrade_to_head(engine)  # an explicit step (opening the store will not do it once main's change is in)
    ingest(engine, package, settings.archive_dir())
    sync(engine, B)
    yield Portal(data, PortalSettings())


PAGES = ["/", "/review", "/submit", "/overview", "/translate"]
ALLOWED = {
    AFRICA_REVIEWER: {"/", "/review"},
    SUBMITTER: {"/", "/submit"},
    SIGNER: {"/", "/overview"},
    TRANSLATOR: {"/", "/translate"},
}
ACTIONS = {  # every action of the portal beyond showing a page, and whose it is
    "decide": "reviewer",
    "upload": "submitter",
    "download the submission template": "submitter",
    "download a report": "signer",
    "download the XLIFF": "translator",
    "upload translations": "translator",
}


def test_a_portal_on_a_new_data_folder_says_nothing_was_received(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hashed: str
) -> None:
    monkeypatch.setenv("REPORTING_DATA_DIR", str(tmp_path / "new"))
    people_file = tmp_path / "people.yaml"
    people_file.write_text(yaml.safe_dump({"people": [{**PEOPLE[0], "password_hash": hashed}]}))
    monkeypatch.setenv("REPORTING_PEOPLE_FILE", str(people_file))
    client = Portal(tmp_path / "new", PortalSettings()).client(AFRICA_REVIEWER)
    assert "Nothing has been received yet" in client.get("/").text
    assert client.get("/review").status_code == 404


def test_each_role_sees_its_pages_and_is_refused_the_others(portal: Portal) -> None:
    anonymous = portal.client()
    for path in PAGES:
        response = anonymous.get(path)
        back = "/login" if path == "/" else f"/login?next={path}"  # back there after signing in
        assert (response.status_code, response.headers["location"]) == (303, back), path
    for name, allowed in ALLOWED.items():
        client = portal.client(name)
        for path in PAGES:
            assert client.get(path).status_code == (200 if path in allowed else 403), (name, path)


def _keys(client: TestClient) -> dict[str, str]:
    """The checkbox value of each result on the reviewer's page, by CPO code."""
    values = re.findall(r'name="result" value="([^"]+)"', client.get("/review").text)
    return {json.loads(html.unescape(v))[1]: html.unescape(v) for v in values}


def _decide(client: TestClient, action: str, *cpos: str, **form: str) -> int:
    chosen = [_keys(client)[c] for c in cpos]
    data = {"csrf": csrf(client, "/review"), "biennium": B, "action": action, "result": chosen, **form}
    return client.post("/review", data=data).status_code


def test_a_reviewer_decides_on_their_regions_results_under_their_own_name(portal: Portal) -> None:
    client = portal.client(AFRICA_REVIEWER)
    assert _decide(client, "approve", "NGA904", "SHA127", by="Someone Else") == 303
    assert portal.status("NGA904") == portal.status("SHA127") == ("approved", AFRICA_REVIEWER)
    entries = audit_entries(engine_for(settings.database_url()), biennium=B, cpo_code="NGA904")
    assert entries[entries["what"] == "status"]["by"].iloc[-1] == AFRICA_REVIEWER
    assert _decide(client, "return", "ETH155", comment="") == 409  # a return needs a comment
    assert portal.status("ETH155") == ("submitted", "intake")
    assert _decide(client, "return", "ETH155", comment="Say which law") == 303
    assert _decide(client, "reopen", "ETH155", comment="Looked again") == 303
    assert portal.status("ETH155") == ("submitted", AFRICA_REVIEWER)


def test_a_reviewer_of_africa_cannot_approve_asia_nor_their_own_rows(portal: Portal) -> None:
    asia = portal.client(ASIA_REVIEWER)  # the Asia reviewer sees BGD303; the Africa reviewer posts it
    key = next(
        v for v in re.findall(r'name="result" value="([^"]+)"', asia.get("/review").text) if "BGD303" in v
    )
    africa = portal.client(AFRICA_REVIEWER)
    posted = {
        "csrf": csrf(africa, "/review"),
        "biennium": B,
        "action": "approve",
        "result": [key.replace("&#34;", '"')],
    }
    refused = africa.post("/review", data=posted)
    assert refused.status_code == 403 and "does not review results of Asia and the Pacific" in refused.text
    assert portal.status("BGD303") == ("submitted", "intake")
    assert _decide(africa, "approve", "TUN129") == 403  # four eyes: they submitted its rows
    assert portal.status("TUN129") == ("submitted", "intake")
    trail = audit_entries(engine_for(settings.database_url()), biennium=B)
    refused = trail[trail["what"] == "decision refused"]
    assert list(zip(refused["by"], refused["cpo_code"], refused["new_value"], strict=True)) == [
        (AFRICA_REVIEWER, "BGD303", "approve"),
        (AFRICA_REVIEWER, "TUN129", "approve"),
    ]
    assert "four eyes" in refused["reason"].iloc[-1]
    assert verify_trail(engine_for(settings.database_url()))[1] == []  # the chain holds


def test_nothing_is_decided_in_a_locked_biennium(portal: Portal) -> None:
    lock(engine_for(settings.database_url()), B, SIGNER, "signed off")
    client = portal.client(AFRICA_REVIEWER)
    data = {"csrf": csrf(client, "/review"), "biennium": B, "action": "approve"}
    refused = client.post("/review", data={**data, "result": [_keys(client)["NGA904"]]})
    assert refused.status_code == 409 and f"biennium {B} is locked (by {SIGNER}" in refused.text
    assert portal.status("NGA904") == ("submitted", "intake")


def _act(portal: Portal, client: TestClient, action: str) -> int:
    """Try `action` as the client's person: the HTTP status of the answer."""
    token = csrf(client, "/")
    if action == "decide":
        data = {"csrf": token, "biennium": B, "action": "approve", "result": ['["7.1", "NGA904", "x"]']}
        return client.post("/review", data=data).status_code
    if action == "upload":
        return client.post(
            "/submit", data={"csrf": token, "biennium": B}, files={"file": ("e.csv", b"a\n")}
        ).status_code
    if action == "upload translations":
        files = {"file": ("t.xlf", b"<xliff/>")}
        return client.post("/translate", data={"csrf": token, "biennium": B}, files=files).status_code
    paths = {
        "download the submission template": f"/submit/{B}/submission-template.xlsx",
        "download a report": f"/reports/{B}/draft/en/report.docx",
        "download the XLIFF": f"/translate/{B}/report-fr.xlf",
    }
    return client.get(paths[action]).status_code


def test_every_role_may_do_its_actions_and_is_refused_the_others(portal: Portal, tmp_path: Path) -> None:
    """The permission matrix at the HTTP level: each person (one per role) against each action. An
    allowed action may still fail on its content (a tiny upload: 400), never with 403."""
    draft = tmp_path / "out" / B / "draft" / "en" / "report.docx"
    draft.parent.mkdir(parents=True)
    draft.write_bytes(b"PK\x03\x04 a draft")
    roles = {name: {p["roles"][0] for p in PEOPLE if p["name"] == name} for name in ALLOWED}
    for name, theirs in roles.items():
        client = portal.client(name)
        for action, role in ACTIONS.items():
            status = _act(portal, client, action)
            if role in theirs:
                assert status in (200, 303, 400, 409), (name, action, status)
            else:
                assert status == 403, (name, action, status)
    assert portal.status("NGA904") == ("submitted", "intake")
    assert len(uploads.uploads_by(SUBMITTER, B)) == 1  # the submitter's own, none by anyone else
    assert not (tmp_path / B / "evidence" / uploads.person_folder(AFRICA_REVIEWER)).exists()


def test_a_post_without_the_sessions_csrf_token_is_refused(portal: Portal) -> None:
    client = portal.client(AFRICA_REVIEWER)
    data = {"biennium": B, "action": "approve", "result": ['["7.1", "NGA904", ""]']}
    assert client.post("/review", data=data).status_code == 403
    assert client.post("/review", data={**data, "csrf": "forged"}).status_code == 403
    other = portal.client()  # a token of another session is worth nothing here
    assert client.post("/review", data={**data, "csrf": csrf(other)}).status_code == 403
    assert portal.status("NGA904") == ("submitted", "intake")
    assert client.post("/logout").status_code == 403
    assert client.post("/login", data={"name": SUBMITTER, "password": PASSWORD}).status_code == 403


def test_sign_in_out_and_the_session_cookie(portal: Portal) -> None:
    client = portal.client()
    wrong = client.post("/login", data={"csrf": csrf(client), "name": SIGNER, "password": "not it at all"})
    assert wrong.status_code == 401 and "Wrong name or password" in wrong.text
    unknown = client.post("/login", data={"csrf": csrf(client), "name": "Nobody", "password": PASSWORD})
    assert unknown.status_code == 401
    before = client.cookies["reporting_portal"]
    signed = client.post("/login", data={"csrf": csrf(client), "name": SIGNER, "password": PASSWORD})
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert client.cookies["reporting_portal"] != before  # a new session at sign-in
    assert client.get("/overview").status_code == 200
    assert client.post("/logout", data={"csrf": csrf(client, "/overview")}).status_code == 303
    assert client.get("/overview").status_code == 303
    secure = portal.client(secure_cookies=True).get("/login")
    assert "Secure" in secure.headers["set-cookie"]


def test_sessions_expire() -> None:
    sessions = Sessions(timedelta(0))
    assert sessions.get(sessions.start("Sig Ner").token) is None
    for _ in range(3):
        sessions.start()
    assert len(sessions) == 1  # the ended ones are dropped when another starts
    lasting = Sessions(timedelta(hours=1))
    assert lasting.get(lasting.start("Sig Ner").token) is not None


def test_the_sso_header_is_believed_only_from_the_trusted_proxy(portal: Portal) -> None:
    header = {"X-Remote-User": AFRICA_REVIEWER}
    trusted = portal.client(trusted_proxies="10.0.0.9, testclient")  # TestClient's peer is "testclient"
    assert trusted.get("/review", headers=header).status_code == 200
    untrusted = portal.client(trusted_proxies="10.0.0.9")
    assert untrusted.get("/review", headers=header).status_code == 303
    assert trusted.get("/review", headers={"X-Remote-User": "Nobody"}).status_code == 303


def test_every_page_has_the_security_headers(portal: Portal) -> None:
    client = portal.client(SIGNER)
    for path in ["/login", "/overview", "/portal.css", "/nowhere"]:
        headers = client.get(path).headers
        assert "script-src" not in headers["content-security-policy"]  # default-src 'none': no script
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def _upload(client: TestClient, name: str, content: bytes) -> int:
    data = {"csrf": csrf(client, "/submit"), "biennium": B}
    return client.post("/submit", data=data, files={"file": (name, content)}).status_code


def test_an_upload_is_archived_placed_in_the_package_and_checked(portal: Portal, tmp_path: Path) -> None:
    """Archived byte for byte under the submitter's name, placed in the package (a second version under
    the same name replaces the first), the page says it is unchecked when no Prefect server runs, and
    the check (what the Prefect run does) gives findings and the workbook to that submitter alone."""
    client = portal.client(SUBMITTER)
    rows = pd.read_csv(tmp_path / B / EVIDENCE, dtype=str, keep_default_na=False).head(3)
    rows.loc[0, "criterion"] = "9"  # no such criterion
    content = rows.to_csv(index=False).encode()
    assert _upload(client, "../../<b>evidence</b>.csv", content) == 303
    (sent,) = uploads.uploads_by(SUBMITTER, B)
    assert sent.submitted_by == SUBMITTER and sent.original_name == "../../<b>evidence</b>.csv"
    archived = settings.archive_dir() / sent.sha256[:2] / sent.sha256
    assert archived.read_bytes() == content  # byte for byte
    (placed,) = sent.placed
    assert placed == f"evidence/{uploads.person_folder(SUBMITTER)}/b>.csv"  # the name after the last /
    assert (tmp_path / B / placed).read_bytes() == content
    assert sent.state == uploads.UNCHECKED
    trail = audit_entries(engine_for(settings.database_url()), B)
    (uploaded,) = trail[trail["what"] == "file uploaded"].to_dict(orient="records")
    assert (
        uploaded["by"] == SUBMITTER
        and placed in uploaded["new_value"]
        and sent.sha256 in uploaded["new_value"]
    )
    assert verify_trail(engine_for(settings.database_url()))[1] == []
    page = client.get("/submit").text
    assert "no Prefect server runs for the portal" in page and "&lt;b&gt;evidence&lt;/b&gt;.csv" in page
    assert "<b>evidence" not in page

    checked = uploads.check(engine_for(settings.database_url()), sent)
    assert checked.state == uploads.CHECKED and checked.blocking
    finding = next(f for f in checked.findings if f["column"] == "criterion")
    assert finding["file"] == "evidence/b>.csv" and finding["row"] == "2"
    report = client.get(f"/submit/{B}/{sent.id}/validation-report.xlsx")
    assert report.status_code == 200 and report.content.startswith(uploads.ZIP_MAGIC)
    reviewer = portal.client(AFRICA_REVIEWER)  # someone else's upload: not theirs to read
    assert reviewer.get(f"/submit/{B}/{sent.id}/validation-report.xlsx").status_code == 404

    corrected = rows.head(2).to_csv(index=False).encode()
    assert _upload(client, "../../<b>evidence</b>.csv", corrected) == 303
    assert (tmp_path / B / placed).read_bytes() == corrected  # the new version in its place
    assert not [f for f in (tmp_path / B / placed).parent.iterdir() if f.name.endswith(".partial")]


def _zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as packed:
        for name, content in members.items():
            packed.writestr(name, content)
    return buffer.getvalue()


def test_a_zip_of_a_package_folder_places_its_evidence_and_bombs_are_refused(
    portal: Portal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = portal.client(SUBMITTER)
    evidence = (tmp_path / B / EVIDENCE).read_bytes()
    package = {
        f"{B}/framework.yaml": b"ignored: the package keeps its own",
        f"{B}/evidence/a/e.csv": evidence,
    }
    assert _upload(client, "package.zip", _zipped(package)) == 303
    (sent,) = uploads.uploads_by(SUBMITTER, B)
    assert sent.placed == [f"evidence/{uploads.person_folder(SUBMITTER)}/a/e.csv"]
    assert (tmp_path / B / sent.placed[0]).read_bytes() == evidence
    checked = uploads.check(engine_for(settings.database_url()), sent)
    assert checked.state == uploads.CHECKED and checked.rows == len(pd.read_csv(tmp_path / B / EVIDENCE))

    monkeypatch.setenv("REPORTING_ZIP_PART_MAX_MB", "1")
    bomb = _zipped({"evidence/e.csv": b"0" * 3_000_000})
    refused = {
        "possible zip bomb": bomb,
        "is not a plain file name": _zipped({"evidence/../../x.csv": b"a"}),
        "holds no evidence/ folder": _zipped({"notes.txt": b"a"}),
    }
    for why, content in refused.items():
        data = {"csrf": csrf(client, "/submit"), "biennium": B}
        answer = client.post("/submit", data=data, files={"file": ("package.zip", content)})
        assert answer.status_code == 400 and why in html.unescape(answer.text), why
    assert len(uploads.uploads_by(SUBMITTER, B)) == 1


def test_a_submitter_downloads_the_bienniums_excel_template(portal: Portal) -> None:
    from openpyxl import load_workbook

    client = portal.client(SUBMITTER)
    assert f'href="/submit/{B}/submission-template.xlsx"' in client.get("/submit").text
    template = client.get(f"/submit/{B}/submission-template.xlsx")
    assert template.status_code == 200
    assert "evidence" in load_workbook(io.BytesIO(template.content)).sheetnames
    assert client.get("/submit/2099-00/submission-template.xlsx").status_code == 404
    assert portal.client(SIGNER).get(f"/submit/{B}/submission-template.xlsx").status_code == 403


def test_uploads_are_limited_in_kind_and_size(portal: Portal) -> None:
    client = portal.client(SUBMITTER)
    assert _upload(client, "run.exe", b"MZ") == 400
    assert _upload(client, "fake.xlsx", b"not a zip") == 400
    small = portal.client(SUBMITTER, upload_max_mb=0.001)
    assert _upload(small, "big.csv", b"x" * 2_000) == 413
    assert _upload(portal.client(AFRICA_REVIEWER), "e.csv", b"a,b\n") == 403
    data = {"biennium": B}  # no CSRF token
    assert client.post("/submit", data=data, files={"file": ("e.csv", b"a,b\n")}).status_code == 403
    assert uploads.uploads_by(SUBMITTER, B) == []


def test_a_reviewers_comment_reaches_the_submitter_escaped(portal: Portal) -> None:
    engine = engine_for(settings.database_url())
    comment = "<script>alert(1)</script> & more"
    assert not decide(engine, B, [Decision("7.1", "NGA904", "return", AFRICA_REVIEWER, comment)]).refused
    page = portal.client(SUBMITTER).get("/submit").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page and "<script>" not in page
    assert "BGD303" not in page  # another region's result


def test_signers_see_counts_and_download_the_reports(
    portal: Portal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = tmp_path / "out" / B / "draft" / "en" / "report.docx"
    draft.parent.mkdir(parents=True)
    draft.write_bytes(b"PK\x03\x04 a draft")
    (tmp_path / "out" / "secret.pdf").write_bytes(b"%PDF not a report of the biennium")
    client = portal.client(SIGNER)
    page = client.get("/overview").text
    assert "draft/en/report.docx" in page and "Asia and the Pacific" in page
    assert client.get(f"/reports/{B}/draft/en/report.docx").content == draft.read_bytes()
    assert client.get(f"/reports/{B}/..%2Fsecret.pdf").status_code == 404
    assert client.get("/reports/..%2F/secret.pdf").status_code == 404
    assert portal.client(SUBMITTER).get(f"/reports/{B}/draft/en/report.docx").status_code == 403

    # the report's artifact in Prefect links to the portal: a click, a sign-in, the report
    from reporting.report.report_link import report_link_markdown

    monkeypatch.setenv("REPORTING_PORTAL_URL", "https://portal.example.org/")
    address = f"/reports/{B}/draft/en/report.docx"
    assert f"in the portal](https://portal.example.org{address})" in report_link_markdown(
        draft, tmp_path / "out", ""
    )
    clicked = portal.client()
    asked = clicked.get(address)
    assert (asked.status_code, asked.headers["location"]) == (303, f"/login?next={address}")
    form = {
        "csrf": csrf(clicked, asked.headers["location"]),
        "name": SIGNER,
        "password": PASSWORD,
        "next": address,
    }
    signed_in = clicked.post("/login", data=form)
    assert signed_in.headers["location"] == address and clicked.get(address).content == draft.read_bytes()
    assert 'name="next" value="/"' in clicked.get("/login?next=//evil.example").text


def test_a_translator_downloads_the_xliff_of_their_language_and_uploads_it_back(portal: Portal) -> None:
    from translate.storage import xliff

    client = portal.client(TRANSLATOR)
    page = client.get("/translate").text
    assert f'href="/translate/{B}/report-fr.xlf"' in page and "report-es.xlf" not in page
    assert client.get(f"/translate/{B}/report-es.xlf").status_code == 403  # not their language
    exported = client.get(f"/translate/{B}/report-fr.xlf")
    assert exported.status_code == 200
    store = xliff.xlifffile.parsestring(exported.content)
    units = list(store.unit_iter())
    assert units and store.gettargetlanguage() == "fr"
    for unit in units:
        unit.target = "FR " + unit.source
    data = {"csrf": csrf(client, "/translate"), "biennium": B}
    sent = client.post("/translate", data=data, files={"file": ("<rapport>.xlf", bytes(store))})
    assert sent.status_code == 303, sent.text
    kept = client.get(sent.headers["location"]).text  # the translator's page speaks French
    assert f"Traductions conservées\u00a0: {len(units)}" in kept, kept
    trail = audit_entries(engine_for(settings.database_url()), B)
    (imported,) = trail[trail["by"] == TRANSLATOR].to_dict(orient="records")
    assert "<rapport>.xlf" in " ".join(str(v) for v in imported.values())
    again = client.get(f"/translate/{B}/report-fr.xlf")  # nothing left to translate
    assert list(xliff.xlifffile.parsestring(again.content).unit_iter()) == []
    bad = client.post(
        "/translate", data=data, files={"file": ("x.xlf", b"<!DOCTYPE x [<!ENTITY a 'b'>]><x/>")}
    )
    assert bad.status_code == 400 and "x.xlf: declares a DTD or entities" in html.unescape(bad.text)


def test_each_person_reads_the_portal_in_their_language(portal: Portal) -> None:
    """English, French or Spanish from the report's catalogs: chosen before signing in (for the
    session) or by a signed-in person (kept with their name, for every later session)."""
    anonymous = portal.client()
    assert '<html lang="en">' in anonymous.get("/login").text
    answer = anonymous.post("/language", data={"csrf": csrf(anonymous), "language": "fr", "back": "/login"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    assert '<html lang="fr">' in anonymous.get("/login").text
    assert anonymous.post("/language", data={"csrf": csrf(anonymous), "language": "de"}).status_code == 400
    away = anonymous.post("/language", data={"csrf": csrf(anonymous), "language": "en", "back": "//evil"})
    assert away.headers["location"] == "/"

    client = portal.client(SUBMITTER)
    assert '<html lang="en">' in client.get("/").text
    client.post("/language", data={"csrf": csrf(client, "/"), "language": "es", "back": "/submit"})
    later = portal.client(SUBMITTER)  # another session, the same person
    page = later.get("/submit").text
    assert '<html lang="es">' in page and 'value="es" lang="es" selected' in page
    statuses = set(re.findall(r'class="status-(\w+)">([^<]+)<', page))
    assert statuses and statuses <= {
        ("submitted", "presentado"),
        ("returned", "devuelto"),
        ("approved", "aprobado"),
    }
    assert '<html lang="en">' in portal.client(AFRICA_REVIEWER).get("/").text


def test_user_add_list_remove_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reporting.cli import app

    monkeypatch.setenv("REPORTING_PEOPLE_FILE", str(tmp_path / "people.yaml"))
    runner = CliRunner()
    add = [
        "portal",
        "user",
        "add",
        "Ana Lima",
        "--role",
        "reviewer",
        "--region",
        "Africa",
        "--password-stdin",
    ]
    assert runner.invoke(app, add, input="short\n").exit_code == 1  # too short
    result = runner.invoke(app, add, input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "people.yaml").stat().st_mode & 0o777 == 0o600
    assert PASSWORD not in (tmp_path / "people.yaml").read_text()
    assert accounts.authenticate("ana lima", PASSWORD) is not None
    assert accounts.authenticate("Ana Lima", "wrong password") is None
    listed = runner.invoke(app, ["portal", "user", "list"]).output
    assert "Ana Lima\treviewer\tAfrica\tpassword" in listed
    assert runner.invoke(app, ["portal", "user", "remove", "Ana Lima"]).exit_code == 0
    assert accounts.authenticate("Ana Lima", PASSWORD) is None
    assert runner.invoke(app, ["portal", "user", "remove", "Ana Lima"]).exit_code == 1


def test_a_decision_taken_elsewhere_while_a_page_computes_shows_on_the_next_page(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The portal keeps what it computed until the store changes (a page answers at once on a whole
    programme). A decision taken elsewhere (the command line, a review sheet) just after it read the store
    is not hidden by what it keeps: the next page shows it."""
    from reporting.review import results

    computing = results.results_frame

    def decided_meanwhile(engine: object, biennium: str) -> pd.DataFrame:
        frame = computing(engine, biennium)  # type: ignore[arg-type]
        decide(engine, biennium, [Decision("7.1", "NGA904", "approve", AFRICA_REVIEWER)])  # type: ignore[arg-type]
        return frame

    def shown_status(page: str) -> str:
        row = next(r for r in page.split("<tr") if "NGA904" in r)
        found = re.search(r'class="status-(\w+)"', row)
        assert found, row
        return found.group(1)

    client = portal.client(AFRICA_REVIEWER)
    monkeypatch.setattr(results, "results_frame", decided_meanwhile)
    assert shown_status(client.get("/review").text) == "submitted"  # as the page read it
    monkeypatch.setattr(results, "results_frame", computing)
    assert portal.status("NGA904") == ("approved", AFRICA_REVIEWER)
    assert shown_status(client.get("/review").text) == "approved"
