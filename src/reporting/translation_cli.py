"""`reporting translation export|import`: the report's passages to the translators as XLIFF, and their
translations back into the store's translation memory (registered on the main app by `register`).
Every refusal is one line and exit 1."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from reporting import settings

translation_app = typer.Typer(
    no_args_is_help=True, help="Translate the report's texts: XLIFF out to the translators, and back."
)
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


def _refuse(message: str) -> typer.Exit:
    errors.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    return typer.Exit(1)


@translation_app.command("export")
def export(
    biennium: Annotated[str, typer.Argument(help="The biennium, e.g. 2014-15.")],
    language: Annotated[str, typer.Option(help="The language to translate into: fr or es.")],
    out: Annotated[Path, typer.Option(help="The XLIFF file to write (e.g. report-fr.xlf).")],
    package: Annotated[
        Path | None, typer.Option(help="The submission package (default: the biennium's folder).")
    ] = None,
) -> None:
    """Write every text of the report that has no translation into LANGUAGE yet (results,
    contributions, CPO titles, results chain, outputs, lessons, framework texts) as XLIFF 1.2; a text
    changed since it was translated is written again."""
    from reporting.errors import PackageError
    from reporting.framework import TRANSLATED_LANGUAGES
    from reporting.intake import stages
    from reporting.intake.selection import package_folder
    from reporting.report.edition import LANGUAGE_NAMES
    from reporting.report.translation import passages, untranslated
    from reporting.report.xliff import write_xliff
    from reporting.store.database import upgraded_engine
    from reporting.store.translations import stored_translations

    if language not in TRANSLATED_LANGUAGES:
        raise _refuse(
            f"--language {language}: the report is translated into {', '.join(TRANSLATED_LANGUAGES)}"
        )
    root = package or package_folder(biennium)
    try:
        framework, intake = stages.receive(root, biennium)
        whole = stages.assemble(root, framework, intake.files, stages.read_all(intake.files))
    except PackageError as exc:
        raise _refuse(str(exc)) from None
    found = passages(whole, stages.validate(whole).evidence.clean, language)
    left = untranslated(found, stored_translations(upgraded_engine(settings.database_url()), language))
    write_xliff(left, language, framework.biennium, out)
    console.print(
        f"{len(left)} passage(s) to translate into {LANGUAGE_NAMES[language]} written to "
        f"{escape(str(out))} ({len(found) - len(left)} of {len(found)} already translated)",
        highlight=False,
    )


@translation_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="An XLIFF file exported by `translation export`, translated.")],
    by: Annotated[str, typer.Option("--by", help="The translator (in the people directory).")],
) -> None:
    """Keep the translations of FILE in the store's translation memory (each import in the audit
    trail): every later build of an edition in that language uses them."""
    from reporting import people
    from reporting.framework import TRANSLATED_LANGUAGES
    from reporting.report.xliff import XliffError, read_xliff
    from reporting.store.database import upgraded_engine
    from reporting.store.translations import remember

    try:
        translator = people.require(by, people.TRANSLATOR)
    except people.NotAllowed as refused:
        raise _refuse(str(refused)) from None
    if not file.is_file():
        raise _refuse(f"no file {file}")
    try:
        returned = read_xliff(file, TRANSLATED_LANGUAGES)
    except XliffError as exc:
        raise _refuse(str(exc)) from None
    if translator.languages and returned.language not in translator.languages:
        raise _refuse(f"{translator.name} does not translate into {returned.language} (people directory)")
    for line in returned.set_aside:
        errors.print(f"warning: {escape(line)}", highlight=False)
    kept = remember(
        upgraded_engine(settings.database_url()),
        returned.translated,
        returned.language,
        translator.name,
        returned.biennium,
        file.name,
    )
    console.print(
        f"{kept} translation(s) into {returned.language} kept; {returned.untranslated} unit(s) left "
        f"untranslated, {len(returned.set_aside)} set aside",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(translation_app, name="translation")
