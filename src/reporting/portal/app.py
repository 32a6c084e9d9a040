"""The portal's pages: submitters, reviewers, signers and operators each see what their role in the
people directory lets them, and decide through the same library as the command line
(`reporting.review.results.decide`: the directory, the region, four eyes, the lock). Pages are rendered
on the server (Jinja2, autoescaped), with no script at all.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations, which name the
# dependencies defined inside create_app.
import json
import shutil
import tempfile
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import jinja2
import pandas as pd
from fastapi import Depends, FastAPI, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine, func, select
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from reporting import people, settings
from reporting.counting.approval import Result
from reporting.intake.text_cleaning import printable
from reporting.portal import accounts, checks, language, runs, uploads
from reporting.portal.language import _
from reporting.portal.web import COOKIE, SECURITY_HEADERS, PortalSettings, Session, Sessions, csrf_matches
from reporting.report.edition import DEFAULT_LANGUAGE, LANGUAGES, N_
from reporting.resources import templates_dir
from reporting.review.results import Decision, SetAside, set_aside_rows
from reporting.review.since import SinceDecision, changes_since_decisions
from reporting.store.review import Entry, record

REPORT_KINDS = (".docx", ".pdf")
STATUSES = (N_("submitted"), N_("returned"), N_("approved"))
"""A result's review statuses, shown in the person's language (`_(status)` in the pages)."""
LISTED = ["region", "country", "cpo_code", "indicator", "criteria", "status", "changed_by", "comment"]
T = TypeVar("T")


def _person(name: str | None) -> people.Person | None:
    """The person signed in as `name`, as the directory says now (taken out of it: signed out)."""
    if not name:
        return None
    try:
        return people.load().find(name)
    except people.NotAllowed:
        return None


def _local(path: str) -> str:
    """`path` if it is an address of this portal (a redirect elsewhere would be an open redirect), else /."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


def _about_who(reason: str) -> bool:
    """Whether a refusal of `decide` is about who decides (the directory, four eyes): a 403."""
    return "people directory" in reason or "(four eyes)" in reason


def _record_refusals(engine: Engine, biennium: str, refused: list[tuple[Decision, str]]) -> None:
    """An audit entry for each decision refused because of who asked (the directory, four eyes): an
    attempt beyond one's rights leaves a trace; a decision refused for the result's state does not."""
    entries = [
        Entry(d.by, biennium, "decision refused", "", d.action, why, d.indicator, d.cpo_code)
        for d, why in refused
        if _about_who(why)
    ]
    with engine.begin() as conn:
        record(conn, *entries)


def _record_upload(engine: Engine, entry: Entry, writing: threading.Lock) -> None:
    """The upload in the audit trail, under the signed-in name: what was placed where."""
    with writing, engine.begin() as conn:
        record(conn, entry)


def _store_marker(engine: Engine) -> tuple[object, ...]:
    """What changes whenever the results of a biennium may have: the newest audit entry (every decision,
    lock, unlock and superseded file is one), the newest file stored, the review rows."""
    from reporting.store.models import ReceivedFileRecord, table
    from reporting.store.review import AuditEntryRecord, ResultReviewRecord

    tables = [table(m) for m in (AuditEntryRecord, ReceivedFileRecord, ResultReviewRecord)]
    with engine.connect() as conn:
        return tuple(tuple(conn.execute(select(func.max(t.c.id), func.count())).one()) for t in tables)


def _bienniums(engine: Engine) -> list[str]:
    from reporting.store.models import ReceivedFileRecord, table
    from reporting.store.review import ResultReviewRecord

    found: set[str] = set()
    with engine.connect() as conn:
        for record in (table(ReceivedFileRecord), table(ResultReviewRecord)):
            found |= {str(b) for b in conn.execute(select(record.c.biennium).distinct()).scalars()}
    return sorted(found, reverse=True)


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _with_none(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame whose missing values (NA, NaT) are None, as a page tests them."""
    return frame.astype(object).where(frame.notna(), None)


def _reports(biennium: str) -> list[str]:
    """The report files of a biennium in the output folder (`<biennium>/[draft/]<language>/`)."""
    root = settings.current().output_dir / biennium
    if not uploads.BIENNIUM.match(biennium) or not root.is_dir():
        return []
    return sorted(
        str(f.relative_to(root)) for f in root.rglob("*") if f.suffix in REPORT_KINDS and f.is_file()
    )


def _draft_figures(engine: Engine, biennium: str) -> dict[str, Any] | None:
    """The latest draft build's figures as it recorded them (`store.builds.latest_draft`): member States
    per indicator (rows) and region (columns, the total last), each with those of approved results."""
    from reporting.store.builds import latest_draft
    from reporting.vocabulary import TOTAL

    draft = latest_draft(engine, biennium)
    if draft is None:
        return None
    summary = draft.summary
    approved = summary.get("achieved_approved", summary["achieved"])
    figures = summary.assign(
        approved=approved.fillna(0).astype("int64"), achieved=summary["achieved"].fillna(0)
    )
    regions = [r for r in dict.fromkeys(figures["region"].astype(str)) if r != TOTAL]
    regions += [TOTAL] if (figures["region"] == TOTAL).any() else []
    cells = {
        (str(i), str(r)): (int(a), int(p))
        for i, r, a, p in zip(
            figures["indicator"], figures["region"], figures["achieved"], figures["approved"], strict=True
        )
    }
    indicators = list(dict.fromkeys(figures["indicator"].astype(str)))
    return {
        "build_id": draft.build_id,
        "built_at": draft.built_at,
        "outcomes": draft.outcomes,
        "regions": regions,
        "rows": [(i, [cells.get((i, r)) for r in regions]) for i in indicators],
    }


def _sign_off(biennium: str) -> dict[str, Any]:
    """The biennium's latest sign-off run (`runs.latest_sign_off_run`), or why there is none to show."""
    try:
        run = runs.latest_sign_off_run(biennium)
    except runs.Unreachable:
        return {"run": None, "reached": False}
    return {"run": run, "reached": True}


def create_app(config: PortalSettings | None = None) -> FastAPI:
    """The portal, with its own sessions (each upload is checked by a Prefect run: portal/checks.py)."""
    config = config or PortalSettings()
    app = FastAPI(title="Reporting portal", docs_url=None, redoc_url=None, openapi_url=None)
    sessions = Sessions(timedelta(minutes=config.session_minutes))
    folder = templates_dir() / "portal"
    pages = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder), autoescape=True, extensions=["jinja2.ext.i18n"]
    )
    pages.install_gettext_callables(language._, language.ngettext, newstyle=True)  # type: ignore[attr-defined]
    engines: dict[str, Engine] = {}
    writing = threading.Lock()
    """The audit trail is a chain: on SQLite two requests appending at once would both chain to the same
    entry (the second refused). The portal's writes to the store take turns."""

    def engine() -> Engine:
        """The store, its schema brought to the newest revision once (decisions are written into it, as a
        build does): a portal started on a new data folder shows that nothing was received yet."""
        from reporting.store.database import engine_for
        from reporting.store.migrations import upgrade_to_head

        url = settings.database_url()
        if url not in engines:
            engines[url] = engine_for(url)
            upgrade_to_head(engines[url])
        return engines[url]

    def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        session: Session = request.state.session
        context.update(
            csrf=session.csrf,
            person=_person(session.name),
            notices=list(session.notices),
            lang=language.current.get(),
            languages=language.NAMES,
            here=request.url.path,
        )
        session.notices.clear()
        return HTMLResponse(pages.get_template(template).render(**context), status_code=status)

    def sso_name(request: Request) -> str | None:
        trusted = request.client is not None and request.client.host in config.proxies()
        return (request.headers.get(config.user_header) or "").strip() or None if trusted else None

    @app.middleware("http")
    async def session_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        session = sessions.get(request.cookies.get(COOKIE))
        named = sso_name(request)
        if named is not None and (session is None or session.name != named):
            session = sessions.start(named)
        request.state.session = session = session or sessions.start()
        person = _person(session.name)
        language.current.set(language.of(person) if person else session.language or DEFAULT_LANGUAGE)
        response = await call_next(request)
        current: Session = request.state.session  # signing in or out starts another
        response.set_cookie(
            COOKIE, current.token, httponly=True, samesite="lax", secure=config.secure_cookies, path="/"
        )
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 303:
            return RedirectResponse(str(exc.detail), status_code=303)
        return page(request, "error.html", status=exc.status_code, message=str(exc.detail))

    def signed_in(request: Request) -> people.Person:
        person = _person(request.state.session.name)
        if person is None:  # back to the page asked for after signing in (a report link of Prefect's UI)
            asked = request.url.path
            raise HTTPException(303, "/login" if asked == "/" else f"/login?next={quote(asked)}")
        return person

    def checked_form(request: Request, csrf: Annotated[str, Form()] = "") -> Session:
        session: Session = request.state.session
        if not csrf_matches(session, csrf):
            raise HTTPException(403, _("This form is not from this session (it expired?): reload the page."))
        return session

    def allowed(person: people.Person, *roles: str) -> None:
        if not set(roles) & set(person.roles):
            raise HTTPException(403, _("This page is for: ") + ", ".join(roles))

    def chosen(biennium: str | None) -> tuple[str, list[str]]:
        known = _bienniums(engine())
        if biennium and biennium not in known:
            raise HTTPException(404, _("No such biennium"))
        if not known:
            raise HTTPException(404, _("Nothing has been received yet"))
        return biennium or known[0], known

    Signed = Annotated[people.Person, Depends(signed_in)]
    Checked = Annotated[Session, Depends(checked_form)]

    @app.get("/portal.css")
    def stylesheet() -> FileResponse:
        return FileResponse(folder / "portal.css", media_type="text/css")

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> HTMLResponse:
        return page(request, "login.html", next=_local(next))

    @app.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        session: Checked,
        name: Annotated[str, Form()],
        password: Annotated[str, Form()],
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        person = accounts.authenticate(name, password)
        if person is None:
            error = _("Wrong name or password.")
            return page(request, "login.html", status=401, error=error, name=name, next=_local(next))
        sessions.end(session.token)
        request.state.session = sessions.start(person.name)
        return RedirectResponse(_local(next), status_code=303)

    @app.post("/logout")
    def logout(request: Request, session: Checked) -> Response:
        sessions.end(session.token)
        request.state.session = sessions.start()
        return RedirectResponse("/login", status_code=303)

    @app.post("/language")
    def choose_language(
        request: Request,
        session: Checked,
        chosen: Annotated[str, Form(alias="language")],
        back: Annotated[str, Form()] = "/",
    ) -> Response:
        """The interface's language: kept with the person's name, or for this session before sign-in."""
        if chosen not in LANGUAGES:
            raise HTTPException(400, _("Choose one of the languages offered"))
        person = _person(session.name)
        if person is None:
            session.language = chosen
        else:
            language.choose(person, chosen)
        return RedirectResponse(_local(back), status_code=303)

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request, person: Signed) -> HTMLResponse:
        return page(request, "home.html", bienniums=_bienniums(engine()))

    computed: dict[tuple[str, str], tuple[tuple[object, ...], Any]] = {}

    def kept(what: str, biennium: str, compute: Callable[[Engine, str], T]) -> T:
        """`compute(engine, biennium)`, computed again only when the store has changed since
        (`_store_marker`): a library call takes seconds on a whole programme, a page must answer in a
        fraction of one. One at a time (results_frame syncs the review rows: the audit trail). The marker
        is read before computing: a change another process makes meanwhile is seen by the next page (and
        the review rows a sync adds make it compute once more)."""
        with writing:
            known = computed.get((what, biennium))
            marker = _store_marker(engine())
            if known is None or known[0] != marker:
                computed[(what, biennium)] = (marker, compute(engine(), biennium))
            found: T = computed[(what, biennium)][1]
            return found

    def results_of(biennium: str) -> pd.DataFrame:
        """The biennium's results (`review.results.results_frame`), its review rows synced."""
        from reporting.review.results import results_frame

        return kept("results", biennium, results_frame)

    def changes_of(biennium: str) -> dict[Result, SinceDecision]:
        """What changed in each result since its last decision (`review.since`), once synced."""
        results_of(biennium)
        return kept("since", biennium, changes_since_decisions)

    def set_aside_of(biennium: str) -> dict[Result, list[SetAside]]:
        """The rows of each result that validation set aside (`review.results.set_aside_rows`)."""
        return kept("set aside", biennium, set_aside_rows)

    def files_of(biennium: str) -> pd.DataFrame:
        """Every file received for the biennium, current or superseded (`store.versions.file_history`)."""
        from reporting.store.versions import file_history

        return kept("files", biennium, file_history)

    def regional_results(person: people.Person, biennium: str) -> pd.DataFrame:
        """The biennium's results in the regions the person works for (reviewers and submitters alike)."""
        frame = results_of(biennium)
        return frame[frame["region"].map(person.covers)] if len(frame) else frame

    def review_page(
        request: Request, person: people.Person, biennium: str | None, status: int = 200, **more: Any
    ) -> HTMLResponse:
        year, known = chosen(biennium)
        rows = _rows(regional_results(person, year))
        since, set_aside = changes_of(year), set_aside_of(year)
        for row in rows:
            row["key"] = json.dumps([row["indicator"], row["cpo_code"], row["version"]])
            row["since"] = since.get((row["indicator"], row["cpo_code"]))
            row["set_aside"] = set_aside.get((row["indicator"], row["cpo_code"]), [])
        return page(request, "review.html", status, biennium=year, bienniums=known, results=rows, **more)

    @app.get("/review", response_class=HTMLResponse)
    def review(request: Request, person: Signed, biennium: str | None = None) -> HTMLResponse:
        allowed(person, people.REVIEWER)
        return review_page(request, person, biennium)

    @app.post("/review", response_class=HTMLResponse)
    def review_decide(
        request: Request,
        person: Signed,
        session: Checked,
        biennium: Annotated[str, Form()],
        action: Annotated[str, Form()],
        comment: Annotated[str, Form()] = "",
        result: Annotated[list[str] | None, Form()] = None,
    ) -> Response:
        from reporting.review.results import ReviewError, decide

        allowed(person, people.REVIEWER)
        year, _known = chosen(biennium)
        try:
            keys = [json.loads(r) for r in result or []]
            decisions = [Decision(str(i), str(c), action, person.name, comment, str(v)) for i, c, v in keys]
        except (ValueError, TypeError):
            raise HTTPException(400, _("Choose results from the list")) from None
        if not decisions:
            return review_page(request, person, year, 400, refusals=[_("Choose at least one result.")])
        try:
            with writing:
                outcome = decide(engine(), year, decisions)
        except ReviewError as locked:
            return review_page(request, person, year, 409, refusals=[str(locked)])
        if outcome.refused:
            with writing:
                _record_refusals(engine(), year, outcome.refused)
            status = 403 if any(_about_who(why) for _d, why in outcome.refused) else 409
            lines = [f"{d.cpo_code} {d.indicator}: {why}" for d, why in outcome.refused]
            return review_page(request, person, year, status, refusals=lines)
        session.notices.append(_("Recorded: ") + f"{action} × {len(outcome.applied)}")
        return RedirectResponse(f"/review?biennium={year}", status_code=303)

    def submit_page(
        request: Request, person: people.Person, biennium: str | None, status: int = 200, **more: Any
    ) -> HTMLResponse:
        year, known = chosen(biennium)
        theirs = regional_results(person, year)
        sent = uploads.uploads_by(person.name, year)
        return page(
            request,
            "submit.html",
            status,
            biennium=year,
            bienniums=known,
            results=_rows(theirs),
            uploads=sent,
            checking=any(u.state == uploads.CHECKING for u in sent),
            max_mb=config.upload_max_mb,
            kinds=", ".join(uploads.KINDS),
            **more,
        )

    @app.get("/submit", response_class=HTMLResponse)
    def submit(request: Request, person: Signed, biennium: str | None = None) -> HTMLResponse:
        allowed(person, people.SUBMITTER)
        return submit_page(request, person, biennium)

    @app.post("/submit", response_class=HTMLResponse)
    async def upload(
        request: Request,
        person: Signed,
        session: Checked,
        biennium: Annotated[str, Form()],
        file: UploadFile,
    ) -> Response:
        allowed(person, people.SUBMITTER)
        year, _known = chosen(biennium)
        most = config.upload_max_bytes()
        content = await file.read(most + 1)
        try:
            taken = await run_in_threadpool(
                uploads.accept, year, person.name, file.filename or "", content, most
            )
        except uploads.UploadRefused as why:
            status = 413 if len(content) > most else 400
            return submit_page(request, person, year, status, refusals=[str(why)])
        placed = ", ".join(taken.placed)
        entry = Entry(
            person.name, year, "file uploaded", "", f"{placed} (sha256 {taken.sha256})", taken.original_name
        )
        await run_in_threadpool(_record_upload, engine(), entry, writing)
        await run_in_threadpool(checks.start_check, taken)
        session.notices.append(_("Received: ") + taken.original_name)
        return RedirectResponse(f"/submit?biennium={year}", status_code=303)

    @app.get("/submit/{biennium}/submission-template.xlsx")
    def submission_template(person: Signed, biennium: str) -> FileResponse:
        from reporting.intake.submission_template import write_submission_template
        from reporting.store.in_force import stored_framework

        allowed(person, people.SUBMITTER)
        year, _known = chosen(biennium)
        framework = stored_framework(engine(), year)
        if framework is None:
            raise HTTPException(404, _("No framework has been stored for this biennium yet"))
        scratch = Path(tempfile.mkdtemp(prefix="reporting-portal-"))  # one per download, removed after it
        made = write_submission_template(framework, scratch / f"submission-template-{year}.xlsx")
        return FileResponse(made, filename=made.name, background=BackgroundTask(shutil.rmtree, scratch))

    @app.get("/submit/{biennium}/{upload_id}/validation-report.xlsx")
    def validation_report(person: Signed, biennium: str, upload_id: str) -> FileResponse:
        found = uploads.load(biennium, upload_id)
        if found is None or found.submitted_by != person.name or found.state != uploads.CHECKED:
            raise HTTPException(404, _("No such report"))
        report = uploads.folder_of(biennium, upload_id) / "validation-report.xlsx"
        return FileResponse(report, filename=f"validation-report-{biennium}.xlsx")

    def translated_languages(person: people.Person) -> list[str]:
        """The languages the translator translates the report into (all of them when none is listed)."""
        from reporting.framework import TRANSLATED_LANGUAGES

        return [code for code in TRANSLATED_LANGUAGES if not person.languages or code in person.languages]

    def translate_page(
        request: Request, person: people.Person, biennium: str | None, status: int = 200, **more: Any
    ) -> HTMLResponse:
        year, known = chosen(biennium)
        theirs = translated_languages(person)
        return page(request, "translate.html", status, biennium=year, bienniums=known, theirs=theirs, **more)

    @app.get("/translate", response_class=HTMLResponse)
    def translate(request: Request, person: Signed, biennium: str | None = None) -> HTMLResponse:
        allowed(person, people.TRANSLATOR)
        return translate_page(request, person, biennium)

    @app.get("/translate/{biennium}/report-{code}.xlf")
    def translation_export(person: Signed, biennium: str, code: str) -> FileResponse:
        """What `reporting translation export` writes, for the signed-in translator's language."""
        from reporting.errors import PackageError
        from reporting.intake import stages
        from reporting.intake.selection import package_folder
        from reporting.report.translation import passages, untranslated
        from reporting.report.xliff import write_xliff
        from reporting.store.translations import stored_translations

        allowed(person, people.TRANSLATOR)
        year, _known = chosen(biennium)
        if code not in translated_languages(person):
            raise HTTPException(403, _("You do not translate into this language (people directory)"))
        root = package_folder(year)
        try:
            framework, intake = stages.receive(root, year)
            whole = stages.assemble(root, framework, intake.files, stages.read_all(intake.files))
        except PackageError as exc:
            raise HTTPException(409, str(exc)) from None
        found = passages(whole, stages.validate(whole).evidence.clean, code)
        left = untranslated(found, stored_translations(engine(), code))
        scratch = Path(tempfile.mkdtemp(prefix="reporting-portal-"))  # one per download, removed after it
        made = scratch / f"report-{year}-{code}.xlf"
        write_xliff(left, code, framework.biennium, made)
        return FileResponse(made, filename=made.name, background=BackgroundTask(shutil.rmtree, scratch))

    @app.post("/translate", response_class=HTMLResponse)
    async def translation_import(
        request: Request,
        person: Signed,
        session: Checked,
        biennium: Annotated[str, Form()],
        file: UploadFile,
    ) -> Response:
        """What `reporting translation import --by <the signed-in translator>` keeps (audited)."""
        allowed(person, people.TRANSLATOR)
        year, _known = chosen(biennium)
        most = config.upload_max_bytes()
        content = await file.read(most + 1)
        if len(content) > most:
            return translate_page(request, person, year, 413, refusals=[_("The file is too large.")])
        outcome = await run_in_threadpool(import_translations, person, file.filename or "", content)
        if isinstance(outcome, str):
            return translate_page(request, person, year, 400, refusals=[outcome])
        kept, set_aside = outcome
        session.notices.append(_("Translations kept: ") + str(kept))
        if set_aside:
            return translate_page(request, person, year, set_aside=set_aside)
        return RedirectResponse(f"/translate?biennium={year}", status_code=303)

    def import_translations(person: people.Person, name: str, content: bytes) -> tuple[int, list[str]] | str:
        """The translations of an uploaded XLIFF file kept under the translator's name (how many, and the
        units set aside), or why none was: one line naming the file as uploaded."""
        from reporting.report.xliff import XliffError, read_xliff
        from reporting.store.translations import remember

        shown = printable(Path(name).name)[-120:] or "translation.xlf"
        with tempfile.TemporaryDirectory(prefix="reporting-portal-") as scratch:
            received = Path(scratch) / "translation.xlf"
            received.write_bytes(content)
            try:
                returned = read_xliff(received, translated_languages(person))
            except XliffError as exc:
                return str(exc).replace(str(received), shown)
        with writing:
            kept = remember(
                engine(), returned.translated, returned.language, person.name, returned.biennium, shown
            )
        return kept, returned.set_aside

    @app.get("/overview", response_class=HTMLResponse)
    def overview(request: Request, person: Signed, biennium: str | None = None) -> HTMLResponse:
        allowed(person, people.SIGNER, people.OPERATOR)
        year, known = chosen(biennium)
        frame = results_of(year)
        counts = (
            pd.crosstab(frame["region"], frame["status"]).reindex(columns=list(STATUSES), fill_value=0)
            if len(frame)
            else pd.DataFrame(columns=list(STATUSES))
        )
        regions = [(str(row[0]), [int(n) for n in row[1:]]) for row in counts.itertuples()]
        return page(
            request,
            "overview.html",
            biennium=year,
            bienniums=known,
            statuses=STATUSES,
            regions=regions,
            reports=_reports(year),
            files=_rows(_with_none(files_of(year))),
            draft=_draft_figures(engine(), year),
            sign_off=_sign_off(year),
        )

    @app.get("/reports/{biennium}/{path:path}")
    def report_file(person: Signed, biennium: str, path: str) -> FileResponse:
        allowed(person, people.SIGNER, people.OPERATOR)
        if path not in _reports(biennium):  # only the files listed: no path of the client's making
            raise HTTPException(404, _("No such report"))
        target = settings.current().output_dir / biennium / path
        return FileResponse(target, filename=Path(path).name)

    return app
