"""Figures of fairshare results: Lorenz curves, coverage, frontiers, weights, fan charts, unlocks.

Import it explicitly (``from fairshare import plotting``); ``import fairshare``
does not load Matplotlib. Every helper takes ``ax=None`` (a new figure when
None), draws, attaches the plotted numbers to the Axes and returns the Axes;
none shows or saves a figure (scripts do, with ``plotted_data(ax)`` written
beside each figure as CSV). Inputs are plain pandas objects or fairshare
results:

=====================  ===================================================================
helper                 input
=====================  ===================================================================
:func:`lorenz`         an Evaluation (its detail's ``reward_tokens``) or a dict name -> holdings
:func:`coverage`       an Evaluation and a rule, or a detail DataFrame (``class``, ``coverage_ratio``)
:func:`frontier`       a DataFrame (swept value, objective; optional ``status``) or a Frontier
:func:`emission_weights`  a dict / Series of component weights, a ``Linear`` rule, or a
                       DataFrame (components x candidates)
:func:`fan_chart`      tidy ``run, epoch, value`` rows, a runs x epochs array, or an epoch x run table
:func:`unlock_calendar`  a DataFrame, epoch x bucket, of tokens unlocked per epoch
:func:`surface`        a ``coverage_surface`` table (price x utilisation); ``surface(ax, frame)``
=====================  ===================================================================

The look (Okabe-Ito palette, labels with units) is :data:`STYLE`, applied by
the :func:`style` context manager inside each helper.

===========  ==================================================================
module       job
===========  ==================================================================
``charts``   the helpers above and ``render`` (a drawing to PNG bytes)
``theme``    palette, axis formats, ``style()`` and ``plotted_data(ax)``
``heatmap``  the heat map of a coverage surface with its cost-covering contour
===========  ==================================================================
"""

from .charts import AXIS_LABELS, coverage, emission_weights, fan_chart, frontier, lorenz, render, unlock_calendar
from .heatmap import surface
from .theme import CLASS_COLOURS, OKABE_ITO, PALETTE, STYLE, plotted_data, style

__all__ = ["lorenz", "coverage", "frontier", "emission_weights", "fan_chart", "unlock_calendar", "render",
           "surface", "plotted_data", "style", "STYLE", "PALETTE", "OKABE_ITO", "CLASS_COLOURS", "AXIS_LABELS"]
