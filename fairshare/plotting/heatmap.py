"""The heat map of a coverage surface (:func:`fairshare.evaluation.coverage_surface`) with its cost-covering contour."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .theme import attach, figure_helper, share_axis

__all__ = ["surface", "SURFACE_VALUES"]

#: Values a surface can show: column -> (colour-bar label, default contour level, what the contour means).
SURFACE_VALUES = {
    "retail_median_coverage": ("Median retail coverage (earned value / costs)", 1.0,
                               "median retail operator just covers its costs"),
    "retail_covering_share": ("Retail operators covering their costs (share)", 0.5,
                              "half of retail operators cover their costs"),
}

#: Grids with at most this many cells print each cell's value.
ANNOTATE_CELLS = 120


def surface(ax, frame: pd.DataFrame, *, value: str = "retail_median_coverage", level: float | None = None,
            title: str | None = None):
    """Draw a coverage surface as a heat map (price across, utilisation up) with the cost-covering contour.

    Parameters
    ----------
    ax : matplotlib Axes or None
        Where to draw; None makes a new figure.
    frame : pandas.DataFrame
        A :func:`~fairshare.evaluation.coverage_surface` result: ``price_usd``, ``utilisation`` and ``value``,
        one row per grid point.
    value : {"retail_median_coverage", "retail_covering_share"}
        The column coloured.
    level : float, optional
        The contour drawn; default 1 for the median coverage (costs just covered) and 0.5 for the
        covering share.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib Axes
        ``plotted_data(ax)``: ``price_usd, utilisation, <value>`` of every cell, and ``level``. When the
        grid never reaches the level, no contour is drawn and a note on the axes says on which side
        the whole grid lies.

    Examples
    --------
    >>> import fairshare as fs
    >>> from fairshare import plotting
    >>> h = fs.datasets.open_inference_network(seed=0, scale="small")
    >>> s = fs.evaluation.coverage_surface(h, fs.formulas.STATUS_QUO, prices=[0.1, 1, 10], utilisations=[0.2, 0.6])
    >>> ax = plotting.surface(None, s)
    >>> sorted(plotting.plotted_data(ax).columns)
    ['level', 'price_usd', 'retail_median_coverage', 'utilisation']
    """
    if value not in SURFACE_VALUES:
        raise ConfigError(f"surface: value must be one of {', '.join(SURFACE_VALUES)}, got {value!r}.")
    if not isinstance(frame, pd.DataFrame) or not {"price_usd", "utilisation", value} <= set(frame.columns):
        raise ConfigError(f"surface takes a coverage_surface table with price_usd, utilisation and {value}.")
    label, default_level, meaning = SURFACE_VALUES[value]
    level = default_level if level is None else float(level)
    return _draw(frame, value, level, label, meaning, title, ax=ax)


@figure_helper
def _draw(frame, value, level, label, meaning, title, *, ax):
    grid = frame.pivot_table(index="utilisation", columns="price_usd", values=value, aggfunc="first", dropna=False)
    if grid.shape[0] * grid.shape[1] != len(frame):
        raise ConfigError("surface: the table needs one row per (price_usd, utilisation) pair.")
    prices, utils, z = grid.columns.to_numpy(float), grid.index.to_numpy(float), grid.to_numpy(float)
    x, y = np.arange(prices.size), np.arange(utils.size)  # equal cells whatever the spacing; ticks name the values
    finite = z[np.isfinite(z)]
    highest = float(finite.max()) if finite.size else level
    # colours span 0 to twice the level (or the top share), so cells either side of the contour differ; cells above
    # take the top colour and the bar's arrow says so; each cell's own value is printed (small grids)
    top = 1.0 if value == "retail_covering_share" else min(max(highest, level), 2.0 * level)
    mesh = ax.pcolormesh(x, y, z, shading="nearest", cmap="cividis", vmin=0.0, vmax=top)
    bar = ax.figure.colorbar(mesh, ax=ax, extend="max" if highest > top else "neither")
    bar.set_label(label)
    if value == "retail_covering_share":
        share_axis(bar.ax.yaxis)
    crosses = finite.size and finite.min() < level < finite.max() and min(z.shape) >= 2
    if crosses:
        lines = ax.contour(x, y, z, levels=[level], colors="#D55E00", linewidths=2.0)
        ax.clabel(lines, fmt={level: f"{level:g}"}, fontsize=8)
        ax.plot([], [], color="#D55E00", linewidth=2.0, label=f"{level:g}: {meaning}")
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.14), fontsize=8)
    else:
        side = "below" if finite.size and finite.max() < level else "at or above"
        ax.text(0.0, 1.02, f"No {level:g} contour: every cell is {side} {level:g}",
                transform=ax.transAxes, va="bottom", ha="left", fontsize=8,
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "#888888"})
    if z.size <= ANNOTATE_CELLS:
        for i in y:
            for j in x:
                if np.isfinite(z[i, j]):
                    text = f"{z[i, j]:.0%}" if value == "retail_covering_share" else f"{z[i, j]:.3g}"
                    ax.text(j, i, text, ha="center", va="center", fontsize=7,
                            color="white" if z[i, j] < 0.55 * top else "black")
    ax.set_xticks(x, [f"{p:.3g}" for p in prices], rotation=45 if prices.size > 8 else 0)
    ax.set_yticks(y, [f"{u:.0%}" for u in utils])
    ax.set_xlabel("Token price (USD, every epoch)")
    ax.set_ylabel("Utilisation (busy share of online time)")
    ax.grid(False)
    if title:
        ax.set_title(title)
    data = frame[["price_usd", "utilisation", value]].copy()
    data["level"] = level
    attach(ax, data)
