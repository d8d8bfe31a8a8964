"""Trends of concentration and of small operators' reward share: how fast, how sure, and on what data.

``fs.trend(series_or_panel, metric=..., confidence=0.95, seed=0)`` is this module called as a function: the
module is callable, so ``fs.trend`` is both the verb of the public API and the home of the estimators below.
It returns a :class:`Trend` with ``slope_per_year``, ``low``, ``high`` and ``statement``.

==================  ========================================================================================
module              job
==================  ========================================================================================
``analysis``        ``trend``, ``Trend``, the small-operator ``verdict``, ``decompose`` (within vs entry/exit)
``blocks``          the headline interval: data-chosen block bootstrap (Politis-White), fixed-b percentile-t
``crosscheck``      Newey-West HAC, Mann-Kendall, Sen's slope
``breaks``          change points (PELT) and event studies around known dates
``measures``        named measures of a window's holdings; the key- and entity-level suite of a panel
``concentration``   the Edinburgh Decentralisation Index's metric set; Nakamoto ranges for lottery data
``section``         the convergence section of a report (text, tables, plotted numbers)
==================  ========================================================================================
"""

import sys
import types

from .analysis import Trend, Verdict, decompose, trend, verdict
from .blocks import block_length, slope_interval
from .concentration import EDI_METRICS, edi_metrics, edi_series, nakamoto_range
from .crosscheck import mann_kendall, newey_west, sen_slope
from .measures import METRICS, metric_function, panel_summary
from .section import ConvergenceSection, convergence_section

__all__ = ["trend", "Trend", "verdict", "Verdict", "decompose", "block_length", "slope_interval", "newey_west",
           "mann_kendall", "sen_slope", "edi_metrics", "edi_series", "EDI_METRICS", "nakamoto_range",
           "METRICS", "metric_function", "panel_summary", "ConvergenceSection", "convergence_section"]


class _CallableModule(types.ModuleType):
    """``fairshare.trend(...)`` calls :func:`fairshare.trend.trend`."""

    def __call__(self, *args, **kwargs):
        return trend(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
