"""Where a written report is, as the Prefect UI can show it: browsers refuse `file://` links from an
http page, so the artifact gives the path as text to copy and, when the output folder is a share with
a web address (REPORTING_OUTPUT_URL for REPORTING_OUTPUT_DIR), a real link to the file there, and
when the portal's address is set (REPORTING_PORTAL_URL), a link that opens it in the portal (signers
and operators, after signing in)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from reporting.escaping import markdown_text


def share_url(path: Path, output_dir: Path, output_url: str) -> str | None:
    """The file's address on the share, or None (no address configured, or the file lies elsewhere)."""
    if not output_url:
        return None
    try:
        relative = path.resolve().relative_to(output_dir.resolve())
    except ValueError:
        return None
    return "/".join([output_url.rstrip("/"), *(quote(part) for part in relative.parts)])


def portal_url(path: Path, output_dir: Path) -> str | None:
    """The report's address in the portal (`/reports/<biennium>/<file>`), or None (no portal address
    configured, or the file lies outside the output folder the portal serves)."""
    from reporting.portal.web import PortalSettings

    portal = PortalSettings().url
    try:
        biennium, *rest = path.resolve().relative_to(output_dir.resolve()).parts
    except ValueError:
        return None
    if not portal or not rest:
        return None
    return "/".join([portal.rstrip("/"), "reports", quote(biennium), *(quote(part) for part in rest)])


def report_link_markdown(path: Path, output_dir: Path, output_url: str) -> str:
    """The report's path on a line of its own (escaped: a folder name is shown as typed), and its link."""
    lines = ["Path (copy it into the file manager or Word's *Open* dialog):", "", markdown_text(path), ""]
    url = share_url(path, output_dir, output_url)
    if url:
        lines += [f"[Open {markdown_text(path.name)}]({url})", ""]
    elif output_url:
        lines += [f"Not under the shared output folder {markdown_text(output_dir)}: no web link.", ""]
    in_portal = portal_url(path, output_dir)
    if in_portal:
        lines += [f"[Open {markdown_text(path.name)} in the portal]({in_portal})", ""]
    return "\n".join(lines)
