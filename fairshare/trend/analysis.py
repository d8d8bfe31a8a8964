"""``trend``: how fast a metric series moves, how sure that is, and what the data behind it are.

The headline is the least-squares slope per year with the data-chosen block bootstrap interval
(:mod:`fairshare.trend.blocks`); Newey-West and Mann-Kendall/Sen are cross-checks
(:mod:`fairshare.trend.crosscheck`) and the statement says when they disagree. When the interval includes
zero, the minimum detectable slope (80% power at the stated confidence, from the interval's standard error)
and the epochs needed to detect the observed slope are given; the standard error of a trend falls as
``n^(-3/2)`` with fixed noise per epoch, so ``needed = n (mds / |slope|)^(2/3)``.

On a panel with partial labels, the conservative envelope (unlabelled rewards all in one entity vs each address
its own) is trended too, and the verdict is stated as the union of the headline interval and both envelope
intervals. Without labels the statement says the verdict is key-level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import pandas as pd

from .._version import version
from ..errors import ConfigError, DataError
from .blocks import slope_interval
from .breaks import change_points, event_study
from .crosscheck import mann_kendall, newey_west, sen_slope
from .measures import metric_function

__all__ = ["Trend", "trend", "Verdict", "verdict", "decompose"]

SECONDS_PER_YEAR = 365.25 * 86_400.0
_POWER = 0.8


@dataclass(frozen=True, eq=False)
class Trend:
    """A trend estimate with its interval, cross-checks and a plain statement.

    Parameters
    ----------
    metric : str
        What was trended.
    slope_per_year, low, high : float
        Slope per year and its interval (units of the metric per year).
    confidence : float
        Coverage of the interval.
    statement : str
        The verdict in one paragraph, saying what the data are.
    details : dict
        Everything else: ``n``, ``block_length``, ``iid`` interval, ``newey_west``, ``mann_kendall``,
        ``sen_slope_per_year``, ``disagreement``, ``change_points``, ``events``, ``envelope``,
        ``labelled_share``, ``mds_per_year``, ``epochs_needed``, ``level``, ``data``, ``provenance``.
    series : pandas.Series
        The series that was trended (NaN windows included).
    """

    metric: str
    slope_per_year: float
    low: float
    high: float
    confidence: float
    statement: str
    details: dict = field(default_factory=dict)
    series: pd.Series | None = None

    def to_frame(self) -> pd.DataFrame:
        """The numbers in one row.

        Returns
        -------
        pandas.DataFrame
        """
        d = self.details
        row = {"metric": self.metric, "slope_per_year": self.slope_per_year, "low": self.low, "high": self.high,
               "confidence": self.confidence, "n": d.get("n"), "block_length": d.get("block_length"),
               "iid_low": d["iid"]["low"], "iid_high": d["iid"]["high"],
               "newey_west_low": d["newey_west"]["low"], "newey_west_high": d["newey_west"]["high"],
               "sen_slope_per_year": d["sen_slope_per_year"], "mann_kendall_p": d["mann_kendall"]["p"],
               "mds_per_year": d.get("mds_per_year"), "epochs_needed": d.get("epochs_needed"),
               "level": d.get("level"), "data": d.get("data")}
        env = d.get("envelope")
        if env:
            row.update(envelope_low=env["low"], envelope_high=env["high"])
        if d.get("labelled_share") is not None:
            row["labelled_share"] = d["labelled_share"]
        return pd.DataFrame([row]).set_index("metric")

    def summary(self) -> str:
        """The statement.

        Returns
        -------
        str
        """
        return self.statement


def _time_axis(series: pd.Series, epoch_seconds) -> tuple[np.ndarray, float]:
    """Times in epochs (or seconds for a DatetimeIndex) and the factor to per-year slopes."""
    if isinstance(series.index, pd.DatetimeIndex):
        t = series.index.as_unit("ns").asi8.astype(np.float64) / 1e9
        return t, SECONDS_PER_YEAR
    if epoch_seconds is None:
        raise ConfigError("trend: give epoch_seconds (seconds per epoch of the series' index) so that slopes can "
                          "be stated per year, or pass a Series with a DatetimeIndex or a Panel.")
    t = np.asarray(series.index, dtype=np.float64)
    return t, SECONDS_PER_YEAR / float(epoch_seconds)


def trend(data, metric="gini", *, confidence: float = 0.95, seed=0, resamples: int = 999, epoch_seconds=None,
          breaks=None, label: str | None = None, small_threshold: float = 0.01, envelope: bool = True,
          changes: bool = True, about: str | None = None) -> Trend:
    """Trend of a metric series (or of a panel's metric) per year, with a data-chosen block bootstrap interval.

    Parameters
    ----------
    data : pandas.Series, array_like or fairshare.ledger.Panel
        A series indexed by epoch (or by datetimes), or a panel whose ``metric`` series is trended.
    metric : str or callable, default "gini"
        For a panel: a measure of :meth:`fairshare.ledger.Panel.series` (``"small_share"``, ``"gini"``,
        ``"hhi"``, ``"nakamoto"``, ...). For a series: its name in statements.
    confidence : float, default 0.95
        Coverage of the intervals.
    seed : int or numpy.random.SeedSequence, default 0
        Seed of every resample.
    resamples : int, default 999
        Bootstrap resamples.
    epoch_seconds : float, optional
        Seconds per epoch of a series' index (taken from the panel for a panel).
    breaks : list of int, optional
        Epochs of known rule changes: adds an event study (segmented slopes, placebo-date test).
    label : str, optional
        Subject of the statement (default: the metric's name).
    small_threshold : float, default 0.01
        Size below which an entity is small, for ``metric="small_share"``.
    envelope : bool, default True
        On a panel with partial labels, also trend the conservative envelope.
    changes : bool, default True
        Look for change points.
    about : str, optional
        What a plain series' data are (real or synthetic, which network, key or entity level), for the
        statement; a panel says it itself.

    Returns
    -------
    Trend

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import fairshare as fs
    >>> gini = pd.Series(0.60 - 0.0005 * np.arange(52) + 0.01 * np.sin(np.arange(52)), index=np.arange(52))
    >>> tr = fs.trend(gini, "gini", epoch_seconds=7 * 86_400, seed=0)
    >>> round(tr.slope_per_year, 3), tr.low < tr.slope_per_year < tr.high
    (-0.027, True)
    """
    if not 0 < confidence < 1:
        raise ConfigError(f"trend: confidence={confidence!r}; a number in (0, 1).")
    if not isinstance(resamples, (int, np.integer)) or resamples < 10:
        raise ConfigError(f"trend: resamples={resamples!r}; at least 10 (999 for a reported interval).")
    panel = data if hasattr(data, "series") and hasattr(data, "windows") else None
    name = metric if isinstance(metric, str) else getattr(metric, "__name__", "metric")
    context = {"level": "series", "data": about or "a metric series whose origin the caller did not state"}
    if panel is not None:
        if panel.epoch_seconds is None and epoch_seconds is None:
            raise ConfigError("trend: the panel's ledger has epoch indices without a length; give epoch_seconds.")
        epoch_seconds = epoch_seconds or panel.epoch_seconds
        series = panel.series(metric_function(metric), small_threshold=small_threshold, name=name)
        context = {"level": panel.level, "data": panel.describe()}
    else:
        series = data if isinstance(data, pd.Series) else pd.Series(np.asarray(data, dtype=np.float64))
        series = series.astype(np.float64)
    t_all, per_year = _time_axis(series, epoch_seconds)
    ok = np.isfinite(series.to_numpy())
    partial = 0
    if panel is not None:
        complete = panel.windows["complete"].to_numpy(bool)
        partial = int((ok & ~complete).sum())
        ok &= complete
    t, y = t_all[ok], series.to_numpy()[ok]
    if y.size < 4 or np.ptp(t) == 0:
        raise DataError(f"trend: {y.size} usable values of {name}; at least 4 at distinct times are needed.")
    head = slope_interval(t, y, confidence=confidence, resamples=resamples, seed=seed)
    iid = slope_interval(t, y, confidence=confidence, resamples=resamples, seed=seed, method="iid")
    nw = newey_west(t, y, confidence)
    d = {"n": int(y.size), "dropped_windows": int((~ok).sum()), "partial_windows": partial,
         "block_length": head["block_length"],
         "iid": {k: iid[k] * per_year for k in ("low", "high")},
         "newey_west": {"slope": nw["slope"] * per_year, "low": nw["low"] * per_year,
                        "high": nw["high"] * per_year, "lags": nw["lags"]},
         "mann_kendall": mann_kendall(y), "sen_slope_per_year": sen_slope(t, y) * per_year, **context,
         "provenance": {"fairshare_version": version, "seed": seed, "resamples": int(resamples),
                        "method": "stationary bootstrap, Politis-White block length, fixed-b percentile-t"}}
    slope, low, high = head["slope"] * per_year, head["low"] * per_year, head["high"] * per_year
    z = NormalDist().inv_cdf(0.5 + confidence / 2) + NormalDist().inv_cdf(_POWER)
    mds = z * head["se"] * per_year
    d["mds_per_year"] = mds
    d["epochs_needed"] = (float(y.size * (mds / abs(slope)) ** (2 / 3)) if slope != 0 else float("inf"))
    d["disagreement"] = _disagreement(low, high, d)
    d["change_points"] = change_points(t, y) if changes else []
    d["events"] = event_study(t, y, breaks, per_year=per_year) if breaks else None
    if panel is not None:
        share = panel.labelled_share
        totals = panel.totals()
        d["labelled_share"] = (float(np.nansum(share.to_numpy() * totals.to_numpy()) / totals.sum())
                               if share.notna().any() else None)
        if envelope and panel.labels is not None and (share < 1).any():
            env = panel.envelope(metric_function(metric), small_threshold=small_threshold)
            use = {k: np.isfinite(env[k].to_numpy()) & panel.windows["complete"].to_numpy(bool)
                   for k in ("pooled", "own")}
            tr = {k: slope_interval(t_all[use[k]], env[k].to_numpy()[use[k]], confidence=confidence,
                                    resamples=resamples, seed=seed) for k in ("pooled", "own")}
            d["envelope"] = {"low": min(v["low"] for v in tr.values()) * per_year,
                             "high": max(v["high"] for v in tr.values()) * per_year,
                             "pooled": {k: tr["pooled"][k] * per_year for k in ("slope", "low", "high")},
                             "own": {k: tr["own"][k] * per_year for k in ("slope", "low", "high")}}
        if panel.labels is not None and hasattr(panel, "entities"):
            try:
                d["decomposition"] = decompose(panel, metric, small_threshold=small_threshold)
            except DataError:
                d["decomposition"] = None
    statement = _statement(label or name, slope, low, high, confidence, d)
    return Trend(name, slope, low, high, confidence, statement, d, series)


def _disagreement(low, high, d) -> list[str]:
    def sign(lo, hi):
        return 1 if lo > 0 else (-1 if hi < 0 else 0)

    head = sign(low, high)
    out = []
    if sign(d["newey_west"]["low"], d["newey_west"]["high"]) != head:
        out.append("Newey-West")
    mk = d["mann_kendall"]
    mk_sign = 0 if mk["p"] >= 0.05 else (1 if mk["z"] > 0 else -1)
    if mk_sign != head:
        out.append("Mann-Kendall")
    if head and np.sign(d["sen_slope_per_year"]) != head:
        out.append("Sen's slope")
    return out


def _fmt(value: float, share: bool) -> str:
    return f"{100 * value:+.2f} points" if share else f"{value:+.4g}"


def _statement(subject: str, slope, low, high, confidence, d) -> str:
    share = "share" in subject
    unit = " per year"
    verb = "rose" if low > 0 else ("fell" if high < 0 else "shows no clear trend")
    pct = f"{round(100 * confidence)}%"
    subject = subject.replace("_", " ")
    text = (f"{subject[:1].upper()}{subject[1:]} {verb}: {_fmt(slope, share)}{unit} ({pct} interval "
            f"{_fmt(low, share)} to {_fmt(high, share)}; block bootstrap, mean block {d['block_length']:.1f} "
            f"windows, {d['n']} windows).")
    if d.get("labelled_share") is not None:
        text += f" {100 * d['labelled_share']:.0f}% of rewards were labelled."
    if d["dropped_windows"]:
        text += (f" Left out: {d['dropped_windows']} window(s) without a value"
                 + (f", of which {d['partial_windows']} shorter than the others (at the end of the ledger)"
                    if d.get("partial_windows") else "") + ".")
    env = d.get("envelope")
    if env:
        text += (f" The conservative envelope (unlabelled rewards in one entity vs each address its own) is "
                 f"{_fmt(env['low'], share)} to {_fmt(env['high'], share)}{unit}; joined with the interval, "
                 f"{_fmt(min(low, env['low']), share)} to {_fmt(max(high, env['high']), share)}{unit}.")
    if d.get("level") == "key":
        text += (" Key-level verdict: no entity labels, so one operator running many addresses counts many "
                 "times; splitting alone can look like convergence.")
    if d["disagreement"]:
        text += f" Cross-checks that disagree on the direction: {', '.join(d['disagreement'])}."
    if low <= 0 <= high:
        text += (f" The smallest slope this series could detect (80% power) is {_fmt(d['mds_per_year'], share)}"
                 f"{unit}; detecting the observed slope would take about {d['epochs_needed']:.0f} windows.")
    text += f" Data: {d['data']}."
    return text


def decompose(panel, metric="small_share", *, small_threshold: float = 0.01) -> dict:
    """Change of a metric from the first to the last window: within entities present in both vs entry and exit.

    ``change = within + (entry/exit)``, where ``within`` is the metric's change over the entities paid in both
    windows (stayers) and ``entry/exit`` is the rest: the metric on everyone minus on stayers, last window
    minus first window.

    Parameters
    ----------
    panel : fairshare.ledger.Panel
    metric : str or callable, default "small_share"
        ``"small_share"`` or a measure of :data:`fairshare.trend.measures.METRICS`.
    small_threshold : float, default 0.01

    Returns
    -------
    dict
        ``first_epoch``, ``last_epoch``, ``change``, ``within``, ``entry_exit``, ``stayers``, ``entrants``,
        ``leavers``.
    """
    b = panel._bounds()
    paid = [w for w in range(len(panel.windows)) if panel.amount[b[w]:b[w + 1]].sum() > 0]
    if len(paid) < 2:
        raise DataError("decompose: fewer than two windows with rewards.")
    w0, w1 = paid[0], paid[-1]
    c0, a0 = panel.entity[b[w0]:b[w0 + 1]], panel.amount[b[w0]:b[w0 + 1]]
    c1, a1 = panel.entity[b[w1]:b[w1 + 1]], panel.amount[b[w1]:b[w1 + 1]]
    stay = np.intersect1d(c0[a0 > 0], c1[a1 > 0])
    if metric == "small_share":
        shares = panel.series("small_share", small_threshold=small_threshold)
        small0 = _small_members(panel, w0, small_threshold)
        small1 = _small_members(panel, w1, small_threshold)

        def value(codes, amounts, small):
            return amounts[np.isin(codes, small)].sum() / amounts.sum() if amounts.sum() > 0 else np.nan
        full0, full1 = float(shares.iloc[w0]), float(shares.iloc[w1])
        s0 = value(c0[np.isin(c0, stay)], a0[np.isin(c0, stay)], small0)
        s1 = value(c1[np.isin(c1, stay)], a1[np.isin(c1, stay)], small1)
    else:
        f = metric_function(metric)
        full0, full1 = f(a0), f(a1)
        s0, s1 = (f(a0[np.isin(c0, stay)]), f(a1[np.isin(c1, stay)])) if stay.size else (np.nan, np.nan)
    return {"first_epoch": int(panel.windows["start_epoch"].iloc[w0]),
            "last_epoch": int(panel.windows["start_epoch"].iloc[w1]), "change": full1 - full0,
            "within": s1 - s0, "entry_exit": (full1 - s1) - (full0 - s0), "stayers": int(stay.size),
            "entrants": int(np.setdiff1d(c1[a1 > 0], stay).size), "leavers": int(np.setdiff1d(c0[a0 > 0], stay).size)}


def _small_members(panel, w, threshold):
    """Entity codes counted small in window ``w`` (the rule of :meth:`Panel.series`)."""
    b = panel._bounds()
    codes = panel.entity[b[w]:b[w + 1]]
    ref = w - 1 if w > 0 else w
    rc, ra = panel.entity[b[ref]:b[ref + 1]], panel.amount[b[ref]:b[ref + 1]]
    share = pd.Series(ra / ra.sum() if ra.sum() > 0 else ra, index=rc).reindex(codes, fill_value=0.0).to_numpy()
    klass = panel.entity_class[codes]
    small = np.array([c == "retail" if c is not None else s < threshold for c, s in zip(klass, share)], bool)
    return codes[small]


@dataclass(frozen=True, eq=False)
class Verdict:
    """The small-operator verdict: the trend of the small entities' reward share, with supporting trends.

    Parameters
    ----------
    headline : Trend
        Trend of the reward share of small entities.
    supporting : dict of str to Trend
        Trends of Gini, HHI and the Nakamoto coefficient.
    statement : str
        The verdict in one paragraph.
    """

    headline: Trend
    supporting: dict
    statement: str

    def to_frame(self) -> pd.DataFrame:
        """Headline and supporting trends, one row each.

        Returns
        -------
        pandas.DataFrame
        """
        return pd.concat([self.headline.to_frame()] + [t.to_frame() for t in self.supporting.values()])


def verdict(panel, *, small_threshold: float = 0.01, confidence: float = 0.95, seed=0, resamples: int = 999,
            breaks=None, supporting=("gini", "hhi", "nakamoto")) -> Verdict:
    """Are rewards moving toward small operators, by how much, and how sure?

    Parameters
    ----------
    panel : fairshare.ledger.Panel
    small_threshold : float, default 0.01
        Entities whose share of the previous window is below this are small (class ``retail`` where labels
        give classes).
    confidence : float, default 0.95
    seed : int, default 0
    resamples : int, default 999
    breaks : list of int, optional
        Known rule changes, for the event study.
    supporting : tuple of str, default ("gini", "hhi", "nakamoto")
        Measures trended beside the headline.

    Returns
    -------
    Verdict
    """
    subject = f"the share of rewards going to entities below {100 * small_threshold:g}%"
    if any(c is not None for c in panel.entity_class):
        subject = "the share of rewards going to retail entities (by label; others by size)"
    head = trend(panel, "small_share", confidence=confidence, seed=seed, resamples=resamples, breaks=breaks,
                 label=subject, small_threshold=small_threshold)
    sup = {m: trend(panel, m, confidence=confidence, seed=seed, resamples=resamples, envelope=False, changes=False)
           for m in supporting}
    extra = "; ".join(f"{m} {t.slope_per_year:+.3g}/yr ({t.low:+.3g} to {t.high:+.3g})" for m, t in sup.items())
    return Verdict(head, sup, f"{head.statement} Supporting trends: {extra}.")
