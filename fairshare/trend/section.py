"""The convergence section of a report: numbers, tables and the data behind its figures, from a panel.

Presentation stays a layer up: this module returns text and tables; ``fairshare converge`` draws the figures
from :attr:`ConvergenceSection.figure_data` and writes everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._version import version
from .analysis import Verdict, verdict
from .concentration import edi_series

__all__ = ["ConvergenceSection", "convergence_section"]


@dataclass(frozen=True, eq=False)
class ConvergenceSection:
    """Everything ``fairshare converge`` writes.

    Parameters
    ----------
    markdown : str
        The section's text.
    tables : dict of str to pandas.DataFrame
        ``series`` (per window), ``trends``, ``edi`` (the index's metric set, population rule applied).
    figure_data : dict of str to pandas.DataFrame
        Plotted numbers of each figure (``small_share`` with its trend line, envelope and change points,
        ``gini``, ``label_coverage``).
    numbers : dict
        Headline numbers (JSON-safe).
    verdict : Verdict
        The verdict object.
    """

    markdown: str
    tables: dict
    figure_data: dict
    numbers: dict
    verdict: Verdict = field(repr=False)


def _clean(value):
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, (np.integer,)):
        return int(value)
    return value


def convergence_section(panel, *, small_threshold: float = 0.01, confidence: float = 0.95, seed=0,
                        resamples: int = 999, breaks=None) -> ConvergenceSection:
    """Build the convergence section of a panel.

    Parameters
    ----------
    panel : fairshare.ledger.Panel
    small_threshold : float, default 0.01
        Size below which an entity is small.
    confidence : float, default 0.95
    seed : int, default 0
    resamples : int, default 999
    breaks : list of int, optional
        Known rule changes (event study).

    Returns
    -------
    ConvergenceSection
    """
    v = verdict(panel, small_threshold=small_threshold, confidence=confidence, seed=seed, resamples=resamples,
                breaks=breaks)
    head = v.headline
    epochs = head.series.index.to_numpy(dtype=np.float64)
    seconds = float(panel.epoch_seconds or 1.0)
    fitted_slope = head.slope_per_year * seconds / (365.25 * 86_400.0)
    finite = np.isfinite(head.series.to_numpy())
    centre_t, centre_y = epochs[finite].mean(), head.series.to_numpy()[finite].mean()
    series = pd.DataFrame({"small_share": head.series,
                           "trend_line": centre_y + fitted_slope * (epochs - centre_t)})
    for name, tr in v.supporting.items():
        series[name] = tr.series
    series["labelled_share"] = panel.labelled_share.to_numpy()
    env = head.details.get("envelope")
    if env:
        band = panel.envelope("small_share", small_threshold=small_threshold)
        series["envelope_low"], series["envelope_high"] = band["low"].to_numpy(), band["high"].to_numpy()
    edi = edi_series(panel.rebuild(population="adjacent"))
    trends = v.to_frame()
    meta = panel.meta
    lines = [
        "# Are rewards moving toward small operators?", "",
        f"Data: {panel.describe()}; {meta.get('rows', 0):,} payouts"
        + (f" ({meta['dropped_no_record']:,} rows with no record dropped, as asked)"
           if meta.get("dropped_no_record") else "")
        + f"; amounts summed exactly in base units (decimals {meta.get('decimals')}), converted to float for the "
          "metrics with a relative error below 2.3e-16.", "",
        f"**Verdict.** {v.statement}", "",
    ]
    if head.details.get("level") == "key":
        lines += ["**What key-level data limit.** Without entity labels every address counts as its own "
                  "participant: an operator running many keys looks like many small ones, so the small share and "
                  "the concentration measures describe keys, not operators. Add labels (`--labels`) to measure "
                  "entities.", ""]
    cps = head.details.get("change_points") or []
    lines += [f"Change points of the small share (PELT on the mean; candidates): "
              f"{', '.join(f'{c:g}' for c in cps) if cps else 'none'}.", ""]
    dec = head.details.get("decomposition")
    if dec:
        lines += [f"From epoch {dec['first_epoch']} to {dec['last_epoch']} the small share changed "
                  f"{100 * dec['change']:+.2f} points: {100 * dec['within']:+.2f} within the {dec['stayers']} entities "
                  f"paid in both, {100 * dec['entry_exit']:+.2f} from {dec['entrants']} entrants and "
                  f"{dec['leavers']} leavers.", ""]
    events = head.details.get("events")
    if events is not None and len(events):
        lines += ["Event study (slope change at each break, placebo-date p-value):", "",
                  "```", events.to_string(), "```", ""]
    lines += ["Edinburgh Decentralisation Index metric set per window (population: active in the window or an "
              "adjacent one), first and last window [sources: edi-2023]:", "",
              "```", edi.iloc[[0, -1]].to_string(), "```", "",
              f"fairshare {version}; seed {seed}; {resamples} resamples; confidence {confidence}."]
    shown = series[[c for c in ("small_share", "trend_line", "envelope_low", "envelope_high") if c in series]]
    shown = shown.assign(change_point=np.isin(epochs, np.asarray(cps, dtype=np.float64)))
    figures = {"small_share": shown.reset_index(),
               "gini": series[["gini"]].reset_index()}
    if panel.labels is not None:
        figures["label_coverage"] = series[["labelled_share"]].reset_index()
    numbers = {k: _clean(val) for k, val in {
        "statement": v.statement, "slope_per_year": head.slope_per_year, "low": head.low, "high": head.high,
        "confidence": confidence, "level": head.details.get("level"), "data": head.details.get("data"),
        "labelled_share": head.details.get("labelled_share"), "block_length": head.details.get("block_length"),
        "envelope_low": env["low"] if env else None, "envelope_high": env["high"] if env else None,
        "change_points": cps, "windows": head.details.get("n")}.items()}
    numbers["supporting"] = {m: {"slope_per_year": _clean(t.slope_per_year), "low": _clean(t.low),
                                 "high": _clean(t.high)} for m, t in v.supporting.items()}
    return ConvergenceSection("\n".join(lines) + "\n", {"series": series, "trends": trends, "edi": edi},
                              figures, numbers, v)
