"""The look of fairshare's figures and the plumbing every plot helper shares.

Public through :mod:`fairshare.plotting`. One palette (Okabe and Ito's eight
colours, safe for the common colour-vision deficiencies), one set of
Matplotlib settings applied through :func:`style` (a context manager; nothing
changes globally at import), and the record of plotted numbers each helper
attaches to its Axes (``ax.fairshare_data``, read with :func:`plotted_data`).
"""

from __future__ import annotations

import functools

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..errors import ConfigError

__all__ = ["OKABE_ITO", "PALETTE", "EXTRA_COLOURS", "MANY_COLOURS", "LINE_STYLES", "CLASS_COLOURS", "STYLE", "style",
           "plotted_data", "colour_for", "series_style", "share_axis", "token_axis", "compact"]

#: Okabe, M. and Ito, K. (2008), "Color Universal Design": name -> hex.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}

#: Order in which series take colours: yellow, the palest on white, comes last.
PALETTE = tuple(OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple",
                                       "sky_blue", "black", "yellow"))

#: Colours added when a figure has more line series than the palette has colours: Paul Tol's "wine", "olive" and
#: "indigo" (Tol, P. (2021), "Colour schemes", SRON/EPS/TN/09-002), away from every Okabe-Ito colour.
EXTRA_COLOURS = ("#882255", "#999933", "#332288")

#: The colours of many line series: the palette without its pale yellow, the extra colours, then the yellow.
MANY_COLOURS = tuple(c for c in PALETTE if c != OKABE_ITO["yellow"]) + EXTRA_COLOURS + (OKABE_ITO["yellow"],)

#: Line styles that series cycle through when a figure has many of them (solid, dashed, dash-dot, dotted).
LINE_STYLES = ("-", "--", "-.", ":")

#: From this many line series on, the series differ in line style as well as in colour.
MANY_SERIES = 5

#: Fixed colours of operator classes, so a class looks the same in every figure.
CLASS_COLOURS = {"retail": OKABE_ITO["bluish_green"], "home": OKABE_ITO["sky_blue"],
                 "colocation": OKABE_ITO["orange"], "datacenter": OKABE_ITO["blue"],
                 "proxy": OKABE_ITO["reddish_purple"]}

#: Matplotlib settings of every fairshare figure (applied by :func:`style`).
STYLE = {
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "axes.titlesize": 12,
    "axes.labelsize": 10.5,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "figure.figsize": (6.4, 4.2),
    "figure.dpi": 110,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
    "figure.constrained_layout.use": True,
}


def style():
    """Context manager applying :data:`STYLE` to the figures made inside it.

    Examples
    --------
    >>> from fairshare import plotting
    >>> with plotting.style():                               # doctest: +SKIP
    ...     fig, axes = plt.subplots(1, 2)
    """
    return mpl.rc_context(STYLE)


def figure_helper(func):
    """Decorator of plot helpers: apply the style, make Axes when ``ax`` is None, return the Axes."""

    @functools.wraps(func)
    def wrapper(*args, ax=None, **kwargs):
        with style():
            if ax is None:
                _, ax = plt.subplots()
            func(*args, ax=ax, **kwargs)
        return ax

    return wrapper


def attach(ax, frame: pd.DataFrame) -> None:
    """Record the numbers a helper plotted on ``ax`` (read back with :func:`plotted_data`)."""
    ax.fairshare_data = frame.reset_index(drop=True)


def plotted_data(ax) -> pd.DataFrame:
    """Every number a fairshare plot helper drew on ``ax``, as a tidy table.

    Scripts save it beside the figure (``plotted_data(ax).to_csv(...)``);
    tests check figures by it.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes a fairshare plot helper returned.

    Raises
    ------
    ConfigError
        When no fairshare helper drew on ``ax``.
    """
    data = getattr(ax, "fairshare_data", None)
    if data is None:
        raise ConfigError("these Axes hold no fairshare plot: plotted_data reads what a fairshare.plotting "
                          "helper drew (pass the Axes it returned).")
    return data.copy()


def colour_for(i: int) -> str:
    """The ``i``-th palette colour (cycling).

    Parameters
    ----------
    i : int
        Index of the series.
    """
    return PALETTE[i % len(PALETTE)]


def series_style(i: int, n: int) -> dict:
    """Colour and line style of the ``i``-th of ``n`` line series, as keywords of ``Axes.plot``.

    Up to four series: palette colours, solid lines. From :data:`MANY_SERIES` series on, the line
    style cycles through :data:`LINE_STYLES` as well, and from nine series on the colours are
    :data:`MANY_COLOURS` (the palette's yellow, hard to see as a thin line, comes eleventh): each
    of up to eleven series has its own colour, neighbours differ in both colour and style, and no
    two of up to 44 series share both.

    Parameters
    ----------
    i : int
        Index of the series, from 0.
    n : int
        Number of series in the figure.

    Examples
    --------
    >>> series_style(7, 10)
    {'color': '#882255', 'linestyle': ':'}
    """
    colours = PALETTE if n <= len(PALETTE) else MANY_COLOURS
    style_ = LINE_STYLES[i % len(LINE_STYLES)] if n >= MANY_SERIES else "-"
    return {"color": colours[i % len(colours)], "linestyle": style_}


def share_axis(axis) -> None:
    """Show a [0, 1] share as percent on ``axis`` (``ax.xaxis`` or ``ax.yaxis``).

    Parameters
    ----------
    axis : matplotlib.axis.Axis
        ``ax.xaxis`` or ``ax.yaxis``.
    """
    axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))


def compact(value, _pos=None) -> str:
    """A number with k / M / B suffixes and at most four significant digits (48570 -> "48.57k").

    Parameters
    ----------
    value : float
        The number.
    _pos : int, optional
        Tick position, passed by Matplotlib's ``FuncFormatter`` and ignored.
    """
    size = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.4g}{suffix}"
    return f"{value:.4g}"


def token_axis(axis) -> None:
    """Token amounts with k / M / B suffixes on ``axis``.

    Parameters
    ----------
    axis : matplotlib.axis.Axis
        ``ax.xaxis`` or ``ax.yaxis``.
    """
    axis.set_major_formatter(FuncFormatter(compact))
