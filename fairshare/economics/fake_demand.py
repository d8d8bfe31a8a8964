"""Fake demand: a node buying inference from itself to farm emission. The one definition.

Private helper of :mod:`fairshare.economics` (layer 2.1), shared by the engines that
measure the hole: ``fs.evaluate`` replays a rule on :attr:`FakeDemandPurchase.bought`
(``fake_demand_gain``), and the optimiser turns the same purchase into a per-component
closed form (``Basis.fake_tokens``, ``optimization.FakeDemandBound``); a test checks the two agree.

The purchase, over the window of the features given:

- **who**: the node at the median of window work among the nodes with work (ties in
  node order), so the measure speaks of a typical node, not the largest or smallest;
- **how much**: ``fraction`` more of its own work in every epoch it works (none in an
  epoch without work);
- **what grows**: every per-task quantity of the node (:data:`GROWN`: requests, tokens,
  work of every kind, busy time, upstream cost) by that same share; its fees by the fees
  it pays; online time, energy, stake and activity stay as they are (the node is online
  anyway; the extra energy is counted as spend instead);
- **what it costs** (USD): the fees, at the window's mean fee per work unit
  (``fees_usd.sum() / work_units.sum()``, so a bought unit costs what clients pay on
  average), plus the electricity of the extra busy time above idle,
  ``busy * (power_w - idle_power_w) * pue / 3.6e6`` kWh at the node's tariff (the busy
  term of the energy model in :func:`fairshare._kernels.aggregate.node_epoch_terms`).

The simulator's ``FakeDemand`` is a different thing: a behavioural mechanism in which
willing operators decide each epoch whether buying pays, within their free time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .._kernels.aggregate import FIELDS
from ..data.history import History
from ..errors import ConfigError
from ..features import Features

__all__ = ["FakeDemandPurchase", "fake_demand_purchase", "GROWN"]

#: Quantities of the buying node that grow in proportion to its bought work (its fees grow by what it pays).
GROWN = tuple(q for q in FIELDS if q != "fees_usd")

_JOULES_PER_KWH = 3.6e6


@dataclass(frozen=True, eq=False)
class FakeDemandPurchase:
    """The fake demand of one window (see the module docstring).

    ``node`` is the buying node's column; ``bought`` the features with the purchase
    added (only column ``node`` differs from the features it was made from);
    ``fees_usd`` and ``energy_usd`` are ``(E,)``: what the node pays per epoch.

    Parameters
    ----------
    node : int
        Column of the buying node in the features.
    bought : Features
        The features with the purchase added.
    fees_usd : ndarray, shape (E,)
        Fees the node pays for its own inference in each epoch, USD.
    energy_usd : ndarray, shape (E,)
        Marginal electricity of serving the purchase in each epoch, USD.
    """

    node: int
    bought: Features
    fees_usd: np.ndarray
    energy_usd: np.ndarray

    @property
    def spend_usd(self) -> float:
        """Fees plus marginal electricity over the window (USD)."""
        return float((self.fees_usd + self.energy_usd).sum())


def fake_demand_purchase(f: Features, history: History, fraction: float) -> FakeDemandPurchase | None:
    """The median working node of node-level ``f`` buying ``fraction`` more of its own work.

    ``history`` gives the node's power draw, PUE and tariff. None when no node has
    work in the window.

    Parameters
    ----------
    f : Features
        Node-level features of the window (``fs.aggregate(history)``).
    history : History
        The history ``f`` was aggregated from (power draw, idle power, PUE and tariff of each node).
    fraction : float
        Share of its own work the node buys from itself in every epoch it works, > 0 (``fake_fraction``
        of :func:`fairshare.evaluate`, 0.1 there by default).
    """
    if not (np.isfinite(fraction) and fraction > 0):
        raise ConfigError(f"fake_fraction must be a finite number > 0 (the share of its own work a node "
                          f"buys from itself; 0.1 by default), got {fraction!r}.")
    if f.level != "node":
        raise ConfigError("fake demand is bought by one node: pass node-level features "
                          "(fs.aggregate(history)), not features summed by operator.")
    work = f.work_units.sum(axis=0)
    working = np.flatnonzero(work > 0)
    if working.size == 0:
        return None
    node = int(working[np.argsort(work[working], kind="stable")][working.size // 2])
    own = f.work_units[:, node]
    rate = np.where(own > 0, fraction, 0.0)
    fees = rate * own * (f.fees_usd.sum() / f.work_units.sum())
    v = history.node_values
    extra_busy = f.busy_seconds[:, node] * rate
    kwh = extra_busy * (v["power_w"][node] - v["idle_power_w"][node]) * v["pue"][node] / _JOULES_PER_KWH
    energy = kwh * v["electricity_usd_per_kwh"][node]
    arrays = {q: np.array(getattr(f, q)) for q in GROWN}
    for q in GROWN:
        arrays[q][:, node] *= 1.0 + rate
    arrays["fees_usd"] = np.array(f.fees_usd)
    arrays["fees_usd"][:, node] += fees
    return FakeDemandPurchase(node, replace(f, **arrays), fees, energy)
