"""What :func:`fairshare.simulate` returns: per run and epoch measures, bands, the unlock calendar.

Public through :mod:`fairshare.simulation`. The measures (one value per run and epoch):

==============================  ==============================================================
measure                         meaning
==============================  ==============================================================
``reward_gini/hhi/nakamoto``    concentration of the epoch's reward tokens over active
                                operators (Nakamoto at 1/3), as ``fs.evaluate``'s trajectories
``stake_gini/hhi/nakamoto``     the same for bonded stake (own plus delegated)
``retail_share``                share of the epoch's paid tokens that went to retail operators
``retail_survival``             retail operators of the start still active, over their number
``operators``, ``operators_*``  active operators, by class (retail, home, colocation,
                                datacenter, proxy)
``entries``, ``exits_*``        joins and exits so far (for losses, exogenous, end of life)
``price_usd``                   token price
``emission_tokens``             emitted by the funding pool; ``paid_tokens`` + ``unallocated_tokens``
``circulating_tokens``          unlocked bucket tokens + released rewards (+ earlier emission)
``locked_tokens``               still locked in buckets and in reward vesting
``pool_tokens``                 left in the funding pool
``unlocked_tokens``             bucket unlocks of the epoch (the unlock calendar)
``sell_pressure_tokens``        sold in the epoch: operators paying bills + sold unlocks
``staked_tokens``               bonded stake; ``delegated_tokens`` its delegated part
``staking_yield``               stake-driven rewards over bonded stake, per year
``stake_driven_share``          share of paid tokens driven by stake (``compute_share`` the rest)
``capital_share``               share of paid tokens that delegated capital receives
``fake_work_units``             work bought as fake demand; ``fake_work_share`` of all work
``unserved_work_share``         demand no node could take
``retail_coverage``             share of active retail operators whose earned value covered
                                energy + depreciation in the epoch; ``retail_margin_usd`` their
                                mean margin
==============================  ==============================================================
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..features import sum_by_operator

__all__ = ["SimulationResult", "HEADLINE", "WINDOWS"]

#: Measures the summary reports.
HEADLINE = ("reward_gini", "retail_share", "retail_survival", "operators", "price_usd", "circulating_tokens",
            "sell_pressure_tokens", "capital_share", "fake_work_share")


#: Relative gap below which two simulated values are the same (summation order, not the rule).
_ROUNDING = 1e-9

#: Per-run summaries :meth:`SimulationResult.difference` takes.
WINDOWS = ("last_quarter", "last", "all")


def _per_run(data: np.ndarray, window: str) -> np.ndarray:
    """``(runs, epochs)`` to one value per run: the mean over ``window`` (NaN epochs left out)."""
    e = data.shape[1]
    part = data[:, -1:] if window == "last" else data[:, e - max(e // 4, 1):] if window == "last_quarter" else data
    with warnings.catch_warnings():  # a run with the measure undefined throughout gives NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(part, axis=1)


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else np.nan


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Simulated measures, ``values`` ``(runs, epochs, measures)``, with labels and provenance.

    ``state`` holds per-node arrays ``(runs, epochs, nodes)`` (``rewards``, ``stake``, ``work``,
    ``active``, ``busy`` seconds) when the simulation was asked to keep them (``keep_state=True``).

    Parameters
    ----------
    values : ndarray, shape (runs, epochs, measures)
        The simulated measures.
    measures : tuple of str
        Measure names, in the order of the last axis of ``values``.
    epochs : ndarray, shape (epochs,)
        Epoch labels of the simulated epochs (continuing the history's numbering).
    unlocks : pandas.DataFrame
        Tokens unlocked per epoch (rows) and bucket (columns).
    node_ids : pandas.Index
        Labels of the node slots.
    operator_ids : pandas.Index
        Labels of the operators.
    node_operator : ndarray of int, shape (nodes,)
        Operator code of each node slot.
    operator_class : ndarray of str, shape (operators,)
        Class of each operator (``"retail"``, ``"home"``, ``"colocation"``, ``"datacenter"``, ``"proxy"``).
    path : {"fast", "general"}
        The path the runs took.
    seconds : float
        Wall time of the runs, seconds.
    state : dict or None, optional
        Per-node arrays (see above) with ``keep_state=True``; None otherwise.
    provenance : dict, optional
        Version, seed, rule, scenario settings and inputs of the run.
    operator_initial : ndarray of bool, shape (operators,), optional
        Operators active at the start (incumbents); the others are entry candidates.
    by_rule : dict of str to SimulationResult, optional
        With several rules (``simulate(..., rules={...})``): each rule's result, on common random
        numbers; ``values`` are then the first rule's.
    """

    values: np.ndarray
    measures: tuple
    epochs: np.ndarray
    unlocks: pd.DataFrame
    node_ids: pd.Index
    operator_ids: pd.Index
    node_operator: np.ndarray
    operator_class: np.ndarray
    path: str
    seconds: float
    state: dict | None = None
    provenance: dict = field(default_factory=dict)
    operator_initial: np.ndarray | None = None
    by_rule: dict | None = None

    def fates(self) -> pd.DataFrame:
        """Incumbents and entrants, separately: how many, and how many are still active at the last epoch.

        Needs the per-node state (``simulate(..., keep_state=True)``). An incumbent is an operator
        active at the start; an entrant one that was not and had an active node in some epoch.

        Returns
        -------
        pandas.DataFrame
            One row per run: ``incumbents``, ``incumbents_active``, ``incumbent_survival``,
            ``retail_incumbents``, ``retail_incumbent_survival``, ``entrants``, ``entrants_active``,
            ``entrant_survival`` (NaN without entrants).
        """
        if self.state is None or self.operator_initial is None:
            raise ConfigError("fates needs the per-node state: simulate(..., keep_state=True).")
        n_ops = len(self.operator_ids)
        active = self.state["active"] > 0  # (R, E, N)
        ever = sum_by_operator(active.any(axis=1).astype(np.float64), self.node_operator, n_ops) > 0
        last = sum_by_operator(active[:, -1].astype(np.float64), self.node_operator, n_ops) > 0
        inc = np.asarray(self.operator_initial, dtype=bool)
        retail = inc & (self.operator_class == "retail")
        ent = ever & ~inc
        with np.errstate(invalid="ignore", divide="ignore"):
            frame = pd.DataFrame({
                "incumbents": np.full(self.runs, inc.sum()), "incumbents_active": (last & inc).sum(axis=1),
                "incumbent_survival": (last & inc).sum(axis=1) / inc.sum(),
                "retail_incumbents": np.full(self.runs, retail.sum()),
                "retail_incumbent_survival": (last & retail).sum(axis=1) / retail.sum(),
                "entrants": ent.sum(axis=1), "entrants_active": (last & ent).sum(axis=1),
                "entrant_survival": (last & ent).sum(axis=1) / ent.sum(axis=1)},
                index=pd.RangeIndex(self.runs, name="run"))
        return frame

    @property
    def runs(self) -> int:
        return int(self.values.shape[0])

    @property
    def rules(self) -> tuple:
        """Names of the simulated rules (one name, ``"rule"``, for a single rule)."""
        return tuple(self.by_rule) if self.by_rule else ("rule",)

    def rule(self, name: str) -> "SimulationResult":
        """The result of one rule of an A/B simulation.

        Parameters
        ----------
        name : str
            A name of ``rules``.
        """
        if not self.by_rule:
            if name == "rule":
                return self
            raise ConfigError(f"rule {name!r}: this simulation ran one rule; pass rules={{name: rule, ...}} to "
                              "simulate to compare rules.")
        if name not in self.by_rule:
            raise ConfigError(f"rule {name!r} was not simulated; the rules are: {', '.join(self.by_rule)}.")
        return self.by_rule[name]

    def difference(self, a: str, b: str, measures=None, window: str = "last_quarter",
                   confidence: float = 0.9) -> pd.DataFrame:
        """Each measure's difference, rule ``a`` minus rule ``b``, paired run by run (common random numbers).

        Every run of both rules drew the same random numbers, so the per-run differences
        measure the rules' effect alone. A measure is first summarised per run over ``window``
        (NaN epochs left out), then differenced run by run.

        Parameters
        ----------
        a, b : str
            Names of two simulated rules.
        measures : str or list of str, optional
            Default: every measure.
        window : {"last_quarter", "last", "all"}
            Per-run summary: the mean over the last quarter of the epochs (equilibrium), the
            last epoch, or the mean over every epoch.
        confidence : float
            Level of the interval of the mean difference (Student t across runs) and of the
            central band of the per-run differences, in (0, 1).

        Returns
        -------
        pandas.DataFrame
            One row per measure: ``a`` and ``b`` (means across runs), ``difference`` (mean of the
            paired differences), ``low``/``high`` (interval of that mean), ``band_low``/``band_high``
            (central ``confidence`` band of the per-run differences), ``runs`` (runs where both are
            defined) and ``kind``: ``"outcome"``; ``"deterministic"`` when neither rule's value varies
            across runs (no interval is shown); ``"unchanged"`` when the measure is identical under
            both rules in every run, to 1e-9 relative (e.g. an exogenous price path without impact, an
            input: its difference is 0 by construction, no interval).
        """
        if not isinstance(confidence, (int, float)) or not 0.0 < confidence < 1.0:
            raise ConfigError(f"confidence must be a number in (0, 1), got {confidence!r}.")
        if window not in WINDOWS:
            raise ConfigError(f"window must be one of {', '.join(WINDOWS)}, got {window!r}.")
        ra, rb = self.rule(a), self.rule(b)
        names = list(self.measures) if measures is None else [measures] if isinstance(measures, str) else list(measures)
        from scipy.stats import t as student

        rows = []
        for name in names:
            xa, xb = _per_run(ra.values[:, :, ra._index(name)], window), _per_run(rb.values[:, :, rb._index(name)],
                                                                                   window)
            ok = np.isfinite(xa) & np.isfinite(xb)
            d = xa[ok] - xb[ok]
            n = int(ok.sum())
            row = {"measure": name, "a": _mean(xa[ok]), "b": _mean(xb[ok]), "difference": _mean(d), "low": np.nan,
                   "high": np.nan, "band_low": np.nan, "band_high": np.nan, "runs": n}
            tol = _ROUNDING * max(float(np.abs(np.r_[xa[ok], xb[ok]]).max()) if n else 0.0, 1e-300)
            if n and np.all(np.abs(d) <= tol):
                row["kind"] = "unchanged"
            elif n and np.ptp(xa[ok]) <= tol and np.ptp(xb[ok]) <= tol:
                row["kind"] = "deterministic"
            else:
                row["kind"] = "outcome"
                if n >= 2:
                    half = float(student.ppf(0.5 + confidence / 2, n - 1) * d.std(ddof=1) / np.sqrt(n))
                    row["low"], row["high"] = row["difference"] - half, row["difference"] + half
                    row["band_low"], row["band_high"] = np.quantile(d, [0.5 - confidence / 2, 0.5 + confidence / 2])
            rows.append(row)
        out = pd.DataFrame(rows).set_index("measure")
        arms = (self.rule(a).provenance, self.rule(b).provenance)
        price_input = all(p.get("price_is_input", False) for p in arms)
        price = ("the price is an input (no price impact), the same under both" if price_input
                 else "the price moves with net sales (price impact on)")
        out.attrs.update({"a": a, "b": b, "window": window, "confidence": confidence, "price_is_input": price_input,
                          "data": arms[0].get("data", ""),
                          "statement": f"{a} minus {b}, paired over {self.runs} runs with common random numbers; "
                                       f"per-run {window.replace('_', ' ')} means; {confidence:.0%} intervals; "
                                       f"{price}"})
        return out

    def _index(self, name: str) -> int:
        if name not in self.measures:
            raise ConfigError(f"measure {name!r} is not simulated; the measures are: {', '.join(self.measures)}.")
        return self.measures.index(name)

    def measure(self, name: str, rule: str | None = None) -> pd.DataFrame:
        """One measure as an epoch x run table.

        Parameters
        ----------
        name : str
            A measure of ``measures``.
        rule : str, optional
            With several rules: which one (default: the first).
        """
        if rule is not None:
            return self.rule(rule).measure(name)
        return pd.DataFrame(self.values[:, :, self._index(name)].T, index=pd.Index(self.epochs, name="epoch"),
                            columns=pd.RangeIndex(self.runs, name="run"))

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per (run, epoch), one column per measure."""
        r, e, _ = self.values.shape
        frame = pd.DataFrame(self.values.reshape(r * e, -1), columns=list(self.measures))
        frame.insert(0, "epoch", np.tile(self.epochs, r))
        frame.insert(0, "run", np.repeat(np.arange(r), e))
        return frame

    def bands(self, measures=None, quantiles=(0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Quantiles across runs per epoch: rows are epochs, columns (measure, quantile).

        NaN values (an epoch where a measure is undefined in a run) are left out.
        """
        names = list(self.measures) if measures is None else [measures] if isinstance(measures, str) else list(measures)
        q = np.asarray(quantiles, dtype=np.float64)
        if q.ndim != 1 or not np.all((q >= 0) & (q <= 1)):
            raise ConfigError(f"quantiles must be values in [0, 1], got {quantiles!r}.")
        cols = {}
        for name in names:
            data = self.values[:, :, self._index(name)]
            with warnings.catch_warnings():  # an epoch undefined in every run gives NaN, not a warning
                warnings.simplefilter("ignore", RuntimeWarning)
                qs = np.nanquantile(data, q, axis=0)
            for j, level in enumerate(q):
                cols[(name, float(level))] = qs[j]
        frame = pd.DataFrame(cols, index=pd.Index(self.epochs, name="epoch"))
        frame.columns = pd.MultiIndex.from_tuples(frame.columns, names=["measure", "quantile"])
        return frame

    def final(self) -> pd.DataFrame:
        """Every measure at the last epoch, one row per run."""
        return pd.DataFrame(self.values[:, -1, :], columns=list(self.measures),
                            index=pd.RangeIndex(self.runs, name="run"))

    def monthly_unlocks(self, days: float = 30.0) -> pd.DataFrame:
        """Bucket unlocks summed over blocks of ``days`` (the unlock calendar; the same in every run)."""
        per = max(int(round(days / self.provenance.get("epoch_days", 1.0))), 1)
        block = np.arange(len(self.unlocks)) // per
        out = self.unlocks.groupby(block).sum()
        out.index = pd.Index(self.epochs[::per][: len(out)], name="from_epoch")
        return out

    def unlock_events(self, window: int = 30) -> pd.DataFrame:
        """Epochs where a bucket starts unlocking (at the TGE, after a cliff): tokens that epoch and over
        the ``window`` epochs from it."""
        rows = []
        data = self.unlocks.to_numpy()
        for b, name in enumerate(self.unlocks.columns):
            on = data[:, b] > 0
            starts = np.flatnonzero(on & ~np.r_[False, on[:-1]])
            for s in starts:
                rows.append({"epoch": int(self.epochs[s]), "bucket": name, "tokens": float(data[s, b]),
                             f"tokens_{window}_epochs": float(data[s: s + window, b].sum())})
        return pd.DataFrame(rows, columns=["epoch", "bucket", "tokens", f"tokens_{window}_epochs"])

    def operator_rewards(self) -> pd.DataFrame:
        """Reward tokens per operator over the whole simulation, one column per run (needs ``keep_state``)."""
        if self.state is None:
            raise ConfigError("operator_rewards needs the per-node state: simulate(..., keep_state=True).")
        totals = self.state["rewards"].sum(axis=1)  # (R, N)
        sums = sum_by_operator(totals, self.node_operator, len(self.operator_ids))
        return pd.DataFrame(sums.T, index=self.operator_ids, columns=pd.RangeIndex(self.runs, name="run"))

    def summary(self, quantiles=(0.05, 0.5, 0.95)) -> str:
        """Plain-language lines: each headline measure at the last epoch (median and band across runs)."""
        lo, mid, hi = quantiles
        last = self.bands(HEADLINE, quantiles).iloc[-1]
        lines = [f"{self.runs} runs x {len(self.epochs)} epochs ({self.path} path, {self.seconds:.2f} s); "
                 f"at epoch {self.epochs[-1]}, median [{lo:.0%}-{hi:.0%} band] across runs:"]
        data = self.provenance.get("data")
        if data:
            lines.insert(0, f"Data: {data}")
        for name in HEADLINE:
            tag = " (an input: exogenous price path, the same under every rule)" \
                if name == "price_usd" and self.provenance.get("price_is_input") else ""
            if last[(name, lo)] == last[(name, hi)]:  # the same in every run: no band
                lines.append(f"  {name}: {last[(name, mid)]:.4g}{tag}")
            else:
                lines.append(f"  {name}: {last[(name, mid)]:.4g} [{last[(name, lo)]:.4g}, "
                             f"{last[(name, hi)]:.4g}]{tag}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"SimulationResult({self.runs} runs x {len(self.epochs)} epochs x {len(self.measures)} measures, "
                f"{self.path} path)")
