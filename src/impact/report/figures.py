"""Charts in a report: the library's plots given the report's words, embedded with a text alternative.

The library's plotting functions take ``labels=`` (their texts) and ``lang=``
(their number formats) with English defaults; this module hands them the
catalogue's words, so the library never imports the report. A chart is
embedded as a PNG with ``alt`` text, its bounding box fitted to every label
(``bbox_inches="tight"``), so no label is cut, and any axis still on
matplotlib's default number format gets the report's (Babel). :func:`figure_texts` dumps the
text a chart shows, from its SVG, so tests can check that a French chart
holds no English.
"""

from __future__ import annotations

import base64
import io
import re
import struct
from html import unescape

from impact.report.i18n import labels
from impact.report.templating import render

__all__ = ["chart_labels", "figure_html", "figure_texts", "localise_axes"]

#: Catalogue keys a chart may use; each plotting function reads the ones it knows.
CHART_KEYS = (
    "cum_title", "cum_bar", "cum_line", "cum_payback", "year", "present_value", "npv_axis", "draws", "mc_title",
    "tornado_title", "low_value", "high_value", "be_title", "be_estimate", "be_line", "effect", "estimate",
    "before_adoption", "after_adoption", "uniform_band", "reference", "honest_x", "honest_y", "honest_original",
    "honest_robust", "honest_breakdown", "sc_synthetic", "sc_loo", "sc_gap", "sc_placebo_lines", "sc_title",
    "gt_period", "gt_cohort", "gt_colorbar", "gt_title", "gt_panel", "event_time", "power_simulated", "power_band",
    "power_analytic", "power_alpha", "power_mde", "power_x", "power_y", "history_mean",
)


def chart_labels(lang: str, **extra) -> dict:
    """The texts of every chart in ``lang`` (``labels=`` of the plotting functions), plus ``extra`` ones."""
    L = labels(lang)
    return {**{k: L[k] for k in CHART_KEYS}, **extra}


def _close(fig) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)


def _wrap_titles(fig) -> None:
    # A translated title is often longer than the English one; wrap it to its axes rather than let it
    # run into the neighbouring panel or off the figure.
    import textwrap

    for ax in fig.axes:
        title = ax.get_title()
        width_in = ax.get_position().width * fig.get_figwidth()
        limit = max(20, int(width_in * 72 / (0.6 * ax.title.get_fontsize())))
        if title and "\n" not in title and len(title) > limit:
            ax.set_title(textwrap.fill(title, limit))


def localise_axes(fig, lang: str) -> None:
    """Give every plain numeric axis of ``fig`` Babel tick labels in ``lang`` (``0,45``, ``1 200``, never ``1e7``).

    Only matplotlib's default number formatter is replaced: date, category
    and already localised axes keep theirs, so this is safe on any chart.
    """
    from matplotlib.ticker import ScalarFormatter

    from impact.formats import axis_formatter

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if type(axis.get_major_formatter()) is ScalarFormatter:
                axis.set_major_formatter(axis_formatter(lang))


def figure_html(fig, lang: str, alt: str, caption: str | None = None, dpi: int = 110) -> str:
    """``<figure>`` with the chart as an embedded PNG and ``alt`` text; closes the figure.

    ``fig`` is a matplotlib Figure or Axes.
    """
    fig = getattr(fig, "figure", fig)
    localise_axes(fig, lang)
    _wrap_titles(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    _close(fig)
    data = buffer.getvalue()
    # The PNG header holds the size after the tight crop; declaring it lets the page lay out before decoding.
    width, height = struct.unpack(">II", data[16:24])
    png = base64.b64encode(data).decode("ascii")
    return render("figure.html.j2", lang, png=png, alt=alt, caption=caption, width=width, height=height)


def figure_texts(fig) -> list[str]:
    """Every text a chart shows (titles, axis labels, tick labels, legend, annotations), read from its SVG.

    Fonts are kept as text (``svg.fonttype = "none"``), so the SVG holds the
    strings themselves; empty strings are left out.
    """
    import matplotlib

    fig = getattr(fig, "figure", fig)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg")
    texts = re.findall(r"<text[^>]*>(.*?)</text>", buffer.getvalue(), flags=re.S)
    out = []
    for t in texts:
        t = unescape(re.sub(r"<[^>]+>", "", t)).strip()
        if t:
            out.append(t)
    return out
