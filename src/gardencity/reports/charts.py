"""The report's bar charts of the districts' values against the threshold (matplotlib, in
the maps' style, PNG as base64)."""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from gardencity.reports.maps import map_style, png_base64
from gardencity.vocabulary import vocabulary

__all__ = ["bar_chart"]


def _wrapped(name: str, width: int = 12) -> str:
    """``name`` broken between words into lines of about ``width`` characters.

    >>> _wrapped("Economic Development Zone")
    'Economic\\nDevelopment\\nZone'
    >>> _wrapped("经济技术开发区")
    '经济技术开发区'
    """
    return textwrap.fill(name, width, break_long_words=False, break_on_hyphens=False)


def bar_chart(
    names: list[str],
    values: list[float | None],
    threshold: float | None,
    labels: dict[str, str],
    title: str,
    unit: str,
) -> str:
    """A bar per district (``names``, ``values``; none for a district without a value, which
    is labelled ``labels["no_value"]`` rather than drawn as a zero), green where it meets
    ``threshold`` and red where not, the threshold as a dashed line: a base64 PNG."""
    with map_style():
        fig, ax = plt.subplots(figsize=(7.2, 3.2))
        shown = [v if v is not None else float("nan") for v in values]  # no bar, not a zero
        met = vocabulary().style("statuses", "pass").mark
        unmet = vocabulary().style("statuses", "fail").mark
        colours = [
            met if threshold is None or v is None or v >= threshold else unmet for v in values
        ]
        # long (English) names on lines of their own words, not over the next bar's name
        ax.bar(range(len(names)), shown, color=colours, tick_label=[_wrapped(n) for n in names])
        for i, v in enumerate(values):
            if v is not None:
                ax.text(i, v, f"{v:.1f}", ha="center", va="bottom", fontsize=8)
            else:
                ax.text(i, 0, labels["no_value"], ha="center", va="bottom", fontsize=8)
        if threshold is not None:
            ax.axhline(threshold, color="black", ls="--", lw=1)
            ax.text(  # beyond the last bar, where no bar's value label can be
                1.01,
                threshold,
                f"{labels['legend_threshold']} {threshold:g}",
                transform=ax.get_yaxis_transform(),
                ha="left",
                va="center",
                fontsize=8,
                clip_on=False,
            )
        ax.set_ylabel(unit)
        ax.set_title(title, fontsize=11)
        ax.spines[["top", "right"]].set_visible(False)
        return png_base64(fig, inside=True)
