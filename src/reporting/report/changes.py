"""What changed between two builds: figures (old → new per indicator and region), member States and CPO
results added to or removed from each figure, CPO results whose criteria or counting changed, results
whose texts changed (a short word-level excerpt), and input files added, removed or replaced.

A build is compared as a `Snapshot`: its indicator summary, its evidence trail (indicator_evidence),
its input files and, when known, the texts of its CPO results. Snapshots come from an output folder
(`reporting diff OLD_DIR NEW_DIR`) or from the store's record of an earlier build of the biennium."""

from __future__ import annotations

import difflib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from reporting.counting.aggregate import EVIDENCE_TRAIL_COLUMNS, result_texts
from reporting.escaping import csv_text, markdown_text
from reporting.report.manifest import MANIFEST, short_id
from reporting.store.builds import stored_builds
from reporting.store.versions import evidence_of_files

SUMMARY_CSV = "indicator_summary.csv"
EVIDENCE_CSV = "indicator_evidence.csv"
FIRST_BUILD = "The first build of {biennium} recorded in the store: nothing to compare with."
EXCERPT_WORDS = 6
"""Words of context shown on each side of a changed passage."""

Key = tuple[str, str]
"""(indicator, CPO code): one CPO result."""


@dataclass(frozen=True)
class Snapshot:
    summary: pd.DataFrame
    trail: pd.DataFrame
    inputs: list[dict[str, Any]] | None = None
    texts: dict[Key, str] | None = None
    build_id: str = ""
    built_at: str = ""


@dataclass
class Changes:
    figures: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    texts: list[dict[str, Any]] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.figures or self.members or self.results or self.texts or self.inputs)

    def counts(self) -> str:
        """e.g. "2 figure(s), 1 member State added or removed, 1 text" (empty when nothing changed)."""
        parts = [
            (len(self.figures), "figure(s) changed"),
            (len(self.members), "member State(s) added to or removed from a figure"),
            (len(self.results), "CPO result(s) added, removed or recounted"),
            (len(self.texts), "result text(s) changed"),
            (len(self.inputs), "input file(s) added, removed or replaced"),
        ]
        return ", ".join(f"{n} {what}" for n, what in parts if n)


def _text_frame(csv: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(csv), dtype=str, keep_default_na=False)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as its CSV (render.write_summary_csv, write_evidence_csv) reads back: every cell text,
    missing ones empty, formulas neutralised (both sides compare alike)."""
    return _text_frame(csv_text(frame))


def folder_snapshot(folder: Path, texts: dict[Key, str] | None = None) -> Snapshot:
    """The snapshot of an output folder: its CSVs and build.json (inputs, id, time) when present."""
    manifest_file = folder / MANIFEST
    manifest = json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.is_file() else {}
    trail_file = folder / EVIDENCE_CSV
    trail = (
        _text_frame(trail_file.read_text(encoding="utf-8"))
        if trail_file.is_file()
        else pd.DataFrame(columns=EVIDENCE_TRAIL_COLUMNS)
    )
    return Snapshot(
        summary=_text_frame((folder / SUMMARY_CSV).read_text(encoding="utf-8")),
        trail=trail,
        inputs=manifest.get("inputs"),
        texts=texts,
        build_id=str(manifest.get("build_id", "")),
        built_at=str(manifest.get("built_at", "")),
    )


def _figures(old: pd.DataFrame, new: pd.DataFrame) -> list[dict[str, Any]]:
    keys = ["outcome", "indicator", "region"]
    both = old[[*keys, "achieved"]].merge(
        new[[*keys, "achieved"]], on=keys, how="outer", suffixes=("_old", "_new")
    )
    both = both.fillna("")
    changed = both[both["achieved_old"] != both["achieved_new"]]
    return [
        {
            "outcome": r["outcome"],
            "indicator": r["indicator"],
            "region": r["region"],
            "old": r["achieved_old"] or "–",
            "new": r["achieved_new"] or "–",
        }
        for r in changed.to_dict("records")
    ]


def _counted(trail: pd.DataFrame) -> dict[tuple[str, str], dict[str, dict[str, str]]]:
    """Per figure (indicator, region, Total included): member State → its counted CPO results."""
    figures: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    for r in trail[trail["counted"] == "yes"].to_dict("records"):
        for region in (r["region"], "Total"):
            states = figures.setdefault((r["indicator"], region), {})
            states.setdefault(r["member_state"], {})[r["cpo_code"]] = r["country"]
    return figures


def _members(old: pd.DataFrame, new: pd.DataFrame) -> list[dict[str, Any]]:
    before, after = _counted(old), _counted(new)
    found = []
    for figure in sorted(set(before) | set(after)):
        was, now = before.get(figure, {}), after.get(figure, {})
        for change, states, source in (
            ("added", set(now) - set(was), now),
            ("removed", set(was) - set(now), was),
        ):
            for state in sorted(states):
                found.append(
                    {
                        "indicator": figure[0],
                        "region": figure[1],
                        "change": change,
                        "member_state": state,
                        "results": ", ".join(
                            f"{country}/{code}" for code, country in sorted(source[state].items())
                        ),
                    }
                )
    return found


def _results(old: pd.DataFrame, new: pd.DataFrame) -> list[dict[str, Any]]:
    keys = ["indicator", "cpo_code"]
    columns = [*keys, "region", "country", "counted", "reason", "criteria"]
    both = old[columns].merge(new[columns], on=keys, how="outer", suffixes=("_old", "_new"), indicator=True)
    found = []
    for r in both.fillna("").to_dict("records"):
        name = f"{r['country_new'] or r['country_old']}/{r['cpo_code']}"
        if r["_merge"] == "right_only":
            change, detail = "added", _state(r, "new")
        elif r["_merge"] == "left_only":
            change, detail = "removed", _state(r, "old")
        elif (r["counted_old"], r["criteria_old"]) != (r["counted_new"], r["criteria_new"]):
            change, detail = "changed", f"{_state(r, 'old')} → {_state(r, 'new')}"
        else:
            continue
        found.append({"indicator": r["indicator"], "result": name, "change": change, "detail": detail})
    return found


def _state(row: dict[Any, Any], side: str) -> str:
    counted = "counted" if row[f"counted_{side}"] == "yes" else f"not counted ({row[f'reason_{side}']})"
    return f"criteria {row[f'criteria_{side}'] or '-'}, {counted}"


def excerpt(old: str, new: str, context: int = EXCERPT_WORDS) -> str:
    """The first changed passage, word by word: `…before [-old-] {+new+} after…`."""
    a, b = old.split(), new.split()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        before = a[max(0, i1 - context) : i1]
        after = a[i2 : i2 + context]
        removed = f"[-{' '.join(a[i1:i2][: 2 * context])}-]" if i2 > i1 else ""
        added = f"{{+{' '.join(b[j1:j2][: 2 * context])}+}}" if j2 > j1 else ""
        lead = "…" if i1 - context > 0 else ""
        tail = "…" if i2 + context < len(a) else ""
        return " ".join(p for p in (lead + " ".join(before), removed, added, " ".join(after) + tail) if p)
    return "(spacing only)"


def _texts(old: Snapshot, new: Snapshot) -> list[dict[str, Any]]:
    found = []
    if "texts" in old.trail and "texts" in new.trail:
        keys = ["indicator", "cpo_code"]
        both = old.trail[[*keys, "country", "criteria", "texts"]].merge(
            new.trail[[*keys, "criteria", "texts"]], on=keys, suffixes=("_old", "_new")
        )
        both = both[both["criteria_old"] == both["criteria_new"]]  # else the result's change says it
        changed = both[
            (both["texts_old"] != both["texts_new"]) & (both["texts_old"] != "") & (both["texts_new"] != "")
        ]
        for r in changed.to_dict("records"):
            key = (r["indicator"], r["cpo_code"])
            shown = (
                excerpt(old.texts[key], new.texts[key])
                if old.texts and new.texts and key in old.texts and key in new.texts
                else "texts changed"
            )
            found.append(
                {"indicator": r["indicator"], "result": f"{r['country']}/{r['cpo_code']}", "excerpt": shown}
            )
    return found


def _inputs(old: list[dict[str, Any]] | None, new: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    if old is None or new is None:
        return []
    before = {i["name"]: i for i in old}
    after = {i["name"]: i for i in new}
    found = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            found.append({"change": "added", "name": name, "detail": f"sha256 {after[name]['sha256'][:12]}"})
        elif name not in after:
            found.append(
                {"change": "removed", "name": name, "detail": f"sha256 {before[name]['sha256'][:12]}"}
            )
        elif before[name]["sha256"] != after[name]["sha256"]:
            found.append(
                {
                    "change": "replaced",
                    "name": name,
                    "detail": f"sha256 {before[name]['sha256'][:12]} → {after[name]['sha256'][:12]}",
                }
            )
    return found


def compare(old: Snapshot, new: Snapshot) -> Changes:
    """Everything that differs between two builds' figures, results, texts and inputs."""
    return Changes(
        figures=_figures(old.summary, new.summary),
        members=_members(old.trail, new.trail),
        results=_results(old.trail, new.trail),
        texts=_texts(old, new),
        inputs=_inputs(old.inputs, new.inputs),
    )


def change_lines(changes: Changes) -> list[str]:
    """One plain line per change (what `reporting diff` prints)."""
    if not changes:
        return ["no change"]
    lines = [f"figure {f['indicator']} {f['region']}: {f['old']} → {f['new']}" for f in changes.figures]
    lines += [
        f"{m['change']} {m['member_state']} ({m['results']}) {'to' if m['change'] == 'added' else 'from'} "
        f"{m['indicator']} {m['region']}"
        for m in changes.members
    ]
    lines += [
        f"CPO result {r['change']}: {r['indicator']} {r['result']}: {r['detail']}" for r in changes.results
    ]
    lines += [f"text changed: {t['indicator']} {t['result']}: {t['excerpt']}" for t in changes.texts]
    lines += [f"input file {i['change']}: {i['name']} ({i['detail']})" for i in changes.inputs]
    return lines


def build_date(built_at: str) -> str:
    """`2 December 2026` from an ISO time (the text itself when it is none)."""
    try:
        return datetime.fromisoformat(built_at).strftime("%d %B %Y").lstrip("0")
    except ValueError:
        return built_at


def since(snapshot: Snapshot) -> str:
    """`the build of 2 December 2026 (1a2b3c4d)`."""
    return f"the build of {build_date(snapshot.built_at)} ({short_id(snapshot.build_id)})"


def changes_context(changes: Changes | None, baseline: Snapshot | None) -> dict[str, Any]:
    """What report.md says about the changes since the earlier build (plain data for the template)."""
    if baseline is None or changes is None:
        return {"since": None, "date": None, "build": None, "none": True, "lines": []}
    return {
        "since": since(baseline),
        "date": build_date(baseline.built_at),
        "built_at": baseline.built_at,
        "build": short_id(baseline.build_id),
        "none": not changes,
        "lines": change_lines(changes) if changes else [],
    }


def changes_markdown(biennium: str, changes: Changes | None, baseline: Snapshot | None) -> str:
    """The `report-<biennium>-changes` artifact: each change line escaped (it quotes CPO titles, texts,
    file names of a submission)."""
    shown = markdown_text(biennium)
    if baseline is None or changes is None:
        return f"# Changes, {shown}\n\n{FIRST_BUILD.format(biennium=shown)}"
    title = f"# Changes since {markdown_text(since(baseline))}, {shown}"
    if not changes:
        return f"{title}\n\nNo change: the same figures, results, texts and input files."
    return "\n".join([title, "", *(f"- {markdown_text(line)}" for line in change_lines(changes))])


def summary_line(changes: Changes | None, baseline: Snapshot | None) -> str:
    """The terminal summary's line about the previous build."""
    if baseline is None or changes is None:
        return "No earlier build of this biennium in the store to compare with."
    if not changes:
        return f"No change since {since(baseline)}."
    return f"Changes since {since(baseline)}: {changes.counts()}."


def stored_texts(engine: Engine, inputs: list[dict[str, Any]] | None) -> dict[Key, str] | None:
    """The texts of the CPO results of a build, from the evidence rows the store keeps of its input
    files (superseded rows are kept); None when its inputs are not known to the store."""
    ids = [
        int(i["file_id"])
        for i in inputs or []
        if i.get("file_id") is not None and i.get("role") == "evidence"
    ]
    if not ids:
        return None
    return result_texts(evidence_of_files(engine, ids).astype({"criterion": "int64"}))


def _iso(value: Any) -> str:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else str(value)


def stored_snapshot(engine: Engine, record: dict[str, Any]) -> Snapshot:
    """A build recorded in the store (models.BuildRecord) as a snapshot, its texts included."""
    inputs = json.loads(record["inputs_json"])
    return Snapshot(
        summary=_text_frame(record["summary_csv"]),
        trail=_text_frame(record["evidence_csv"]),
        inputs=inputs,
        texts=stored_texts(engine, inputs),
        build_id=str(record["build_id"]),
        built_at=_iso(record["built_at"]),
    )


def earlier_builds(
    engine: Engine, biennium: str, identifier: str, outcomes: list[str] | None
) -> tuple[Snapshot | None, Snapshot | None]:
    """The previous build of the biennium (of the same outcomes), and the latest one made of other
    inputs than `identifier` — what report.md compares with, so that a rebuild from unchanged inputs
    writes the same report.md."""
    same = [b for b in stored_builds(engine, biennium) if json.loads(b["outcomes_json"]) == outcomes]
    if not same:
        return None, None
    last = stored_snapshot(engine, same[0])
    other = next((b for b in same if b["build_id"] != identifier), None)
    if other is None:
        return last, None
    return last, last if other is same[0] else stored_snapshot(engine, other)
