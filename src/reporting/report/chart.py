"""The chart of an outcome: member States by region, target against achieved, one panel per indicator.

Drawn with matplotlib's Agg canvas (no display, no pyplot state), in black, grey and hatching so that
it reads the same printed in greyscale."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from reporting.outputs import written_in_place
from reporting.report.edition import DEFAULT_LANGUAGE, edition

WIDTH_INCHES = 9.0
HEIGHT_INCHES = 3.4
DPI = 150


def draw_chart(chart: dict[str, Any], out: Path) -> Path:
    """Write the PNG of one outcome's chart data (see report_context: `o.chart`) to `out`, its labels in
    the chart's `language`."""
    # Imported here: matplotlib takes about as long to import as a small build takes to check its
    # package, and `reporting validate` never draws. No pyplot, so no backend to choose.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _ = edition(chart.get("language", DEFAULT_LANGUAGE)).gettext
    indicators: list[str] = chart["indicators"]
    regions: list[str] = chart["regions"]
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, max(len(indicators), 1), sharey=True, squeeze=False)[0]
    highest = max([1, *(v for row in chart["achieved"] for v in row)])
    highest = max([highest, *(v or 0 for row in chart["target"] for v in row)])
    positions = list(range(len(regions)))
    labels = [textwrap.fill(r, 12) for r in regions]
    for ax, indicator, achieved, target in zip(
        axes, indicators, chart["achieved"], chart["target"], strict=False
    ):
        has_target = any(t is not None for t in target)
        width = 0.38 if has_target else 0.6
        offset = width / 2 if has_target else 0.0
        if has_target:
            bars = ax.bar(
                [p - offset for p in positions],
                [t or 0 for t in target],
                width,
                color="white",
                edgecolor="black",
                hatch="///",
                label=_("Target"),
            )
            ax.bar_label(bars, labels=["" if t is None else str(t) for t in target], fontsize=7)
        bars = ax.bar(
            [p + offset for p in positions],
            achieved,
            width,
            color="0.35",
            edgecolor="black",
            label=_("Achieved"),
        )
        ax.bar_label(bars, fontsize=7)
        # Figures are written on the bars: no y axis to draw (it is most of matplotlib's time here).
        ax.text(
            0.5,
            1.02,
            (_("Indicator %(id)s") if has_target else _("Indicator %(id)s (no target set)"))
            % {"id": indicator},
            transform=ax.transAxes,
            ha="center",
            fontsize=9,
        )
        ax.set_xticks(positions, labels, fontsize=7)
        ax.set_ylim(0, highest * 1.15 + 0.5)
        ax.yaxis.set_visible(False)
        ax.spines[["top", "right", "left"]].set_visible(False)
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, fontsize=7, frameon=False, loc="upper right", ncols=2)
    figure.subplots_adjust(left=0.02, right=0.99, top=0.86, bottom=0.17, wspace=0.06)
    with written_in_place(out) as partial:
        figure.savefig(partial, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return out
