"""The chart of an outcome: member States by region, target against achieved, one panel per indicator.

Drawn with matplotlib's Agg canvas (no display, no pyplot state), in black, grey and hatching so that
it reads the same printed in greyscale. The figure is drawn at the size it is printed (PRINT_WIDTH_CM
wide in the report), so a font size here is the printed one: no text under MIN_FONT_POINTS."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reporting.outputs import written_in_place
from reporting.report.edition import DEFAULT_LANGUAGE, edition

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PRINT_WIDTH_CM = 16.5
"""The chart's width on the page (render_docx inserts it at this width)."""
WIDTH_INCHES = PRINT_WIDTH_CM / 2.54
PANEL_HEIGHT_INCHES = 1.9
"""One indicator's panel; the panels are stacked, each as wide as the page, so that the five regions'
names fit under the bars at a legible size."""
TOP_INCHES = 0.3
BOTTOM_INCHES = 0.45
DPI = 200
MIN_FONT_POINTS = 8.0
TEXT_POINTS = 8.0
TITLE_POINTS = 9.0


def chart_figure(chart: dict[str, Any]) -> Figure:
    """The figure of one outcome's chart data (see report_context: `o.chart`), its labels in the chart's
    `language`: per indicator the regions' bars, target hatched beside achieved in grey, the figures
    on the bars and a value axis of member States."""
    # Imported here: matplotlib takes about as long to import as a small build takes to check its
    # package, and `reporting validate` never draws. No pyplot, so no backend to choose.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    _ = edition(chart.get("language", DEFAULT_LANGUAGE)).gettext
    indicators: list[str] = chart["indicators"]
    regions: list[str] = chart["regions"]
    panels = max(len(indicators), 1)
    height = TOP_INCHES + BOTTOM_INCHES + PANEL_HEIGHT_INCHES * panels
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    highest = max([1, *(v for row in chart["achieved"] for v in row)])
    highest = max([highest, *(v or 0 for row in chart["target"] for v in row)])
    positions = list(range(len(regions)))
    labels = [textwrap.fill(r, 16) for r in regions]
    for ax, indicator, achieved, target in zip(
        axes, indicators, chart["achieved"], chart["target"], strict=False
    ):
        has_target = any(t is not None for t in target)
        width = 0.36 if has_target else 0.5
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
            ax.bar_label(bars, labels=["" if t is None else str(t) for t in target], fontsize=TEXT_POINTS)
        bars = ax.bar(
            [p + offset for p in positions],
            achieved,
            width,
            color="0.35",
            edgecolor="black",
            label=_("Achieved"),
        )
        ax.bar_label(bars, fontsize=TEXT_POINTS)
        ax.set_title(
            (_("Indicator %(id)s") if has_target else _("Indicator %(id)s (no target set)"))
            % {"id": indicator},
            fontsize=TITLE_POINTS,
            loc="left",
        )
        ax.set_ylim(0, highest * 1.2 + 0.5)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        ax.tick_params(labelsize=TEXT_POINTS)
        ax.set_ylabel(_("Member States"), fontsize=TEXT_POINTS)
        ax.spines[["top", "right"]].set_visible(False)
    axes[-1].set_xticks(positions, labels, fontsize=TEXT_POINTS)
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, fontsize=TEXT_POINTS, frameon=False, loc="upper right", ncols=2)
    figure.subplots_adjust(  # fixed margins: tight_layout would measure every text (slow)
        left=0.08, right=0.99, top=1 - TOP_INCHES / height, bottom=BOTTOM_INCHES / height, hspace=0.4
    )
    return figure


def draw_chart(chart: dict[str, Any], out: Path) -> Path:
    """Write the PNG of one outcome's chart (chart_figure) to `out`."""
    figure = chart_figure(chart)
    with written_in_place(out) as partial:
        figure.savefig(partial, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return out
