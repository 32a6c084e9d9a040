"""`reporting portal serve` and `reporting portal user add|remove|list`: the portal and its accounts
(registered on the main app by `register`). A password is asked for, or read from standard input, never
taken from the command line (where `ps` and the shell history would show it)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

portal_app = typer.Typer(no_args_is_help=True, help="The web portal of submitters, reviewers and signers.")
user_app = typer.Typer(no_args_is_help=True, help="Who may sign in to the portal (the people directory).")
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


@portal_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8400,
) -> None:
    """Serve the portal (behind a reverse proxy for https; see the README's "Portal")."""
    import uvicorn

    from reporting.portal.app import create_app

    # The peer address is the proxy's: the trusted-header sign-in checks it (no X-Forwarded-For rewrite).
    uvicorn.run(create_app(), host=host, port=port, proxy_headers=False, log_level="info")


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The person's name, as the people directory has it.")],
    role: Annotated[
        list[str] | None, typer.Option(help="A role (submitter, reviewer, signer, operator, translator).")
    ] = None,
    region: Annotated[list[str] | None, typer.Option(help="A region the person works for (or all).")] = None,
    language: Annotated[list[str] | None, typer.Option(help="A language (en, fr, es).")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Give a person a password (adding them to the people directory with --role if they are new)."""
    from reporting import people
    from reporting.portal import accounts

    try:
        new = accounts.add(
            name, _password(password_stdin), tuple(role or ()), tuple(region or ()), tuple(language or ())
        )
    except (accounts.AccountError, people.NotAllowed) as refused:
        errors.print(f"[red]error:[/red] {escape(str(refused))}", highlight=False)
        raise typer.Exit(1) from None
    said = "added to" if new else "password set in"
    console.print(f"{escape(name.strip())}: {said} {people.directory_file()}", highlight=False)


@user_app.command("remove")
def user_remove(name: Annotated[str, typer.Argument(help="The person's name.")]) -> None:
    """Take a person out of the people directory (no sign-in, no decision)."""
    from reporting import people
    from reporting.portal import accounts

    try:
        accounts.remove(name)
    except (accounts.AccountError, people.NotAllowed) as refused:
        errors.print(f"[red]error:[/red] {escape(str(refused))}", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"{escape(name.strip())}: removed from {people.directory_file()}", highlight=False)


@user_app.command("list")
def user_list() -> None:
    """Everyone in the people directory: roles, regions, and whether they have a password."""
    from reporting import people

    try:
        directory = people.load()
    except people.NotAllowed as missing:
        errors.print(f"[red]error:[/red] {escape(str(missing))}", highlight=False)
        raise typer.Exit(1) from None
    for p in directory.people:
        password = "password" if p.password_hash else "no password"
        line = f"{p.name}\t{','.join(p.roles)}\t{','.join(p.regions) or '-'}\t{password}"
        typer.echo(line)  # tab-separated, for a pipe


def register(app: typer.Typer) -> None:
    """Add `portal serve` and `portal user …` to the main command line."""
    portal_app.add_typer(user_app, name="user")
    app.add_typer(portal_app, name="portal")
