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

__all__ = ["SimulationResult", "HEADLINE"]

#: Measures the summary reports.
HEADLINE = ("reward_gini", "retail_share", "retail_survival", "operators", "price_usd", "circulating_tokens",
            "sell_pressure_tokens", "capital_share", "fake_work_share")


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

    @property
    def runs(self) -> int:
        return int(self.values.shape[0])

    def _index(self, name: str) -> int:
        if name not in self.measures:
            raise ConfigError(f"measure {name!r} is not simulated; the measures are: {', '.join(self.measures)}.")
        return self.measures.index(name)

    def measure(self, name: str) -> pd.DataFrame:
        """One measure as an epoch x run table."""
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
        for name in HEADLINE:
            lines.append(f"  {name}: {last[(name, mid)]:.4g} [{last[(name, lo)]:.4g}, {last[(name, hi)]:.4g}]")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"SimulationResult({self.runs} runs x {len(self.epochs)} epochs x {len(self.measures)} measures, "
                f"{self.path} path)")
