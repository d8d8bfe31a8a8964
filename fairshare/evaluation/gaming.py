"""How a rule can be gamed: Sybil splits, merges, fake demand, and what drives it.

Public through :mod:`fairshare.evaluation`. Every measure replays the rule on
node-level features changed in one way, all else equal:

- **Sybil split gain** (k): one operator's every node becomes k identities, each
  with 1/k of its work, requests, fees, busy time and stake (each identity still
  claims the node's online time). Gain = the operator's reward split over its
  reward unsplit, averaged over a deterministic sample of operators at evenly
  spaced quantiles of window work (unilateral: one operator splits at a time).
- **Merge gain**: the nodes of the two operators nearest the median window work
  become one identity with their summed features; gain = merged reward over the
  two rewards before.
- **Fake-demand gain**: the node at the median of window work buys extra
  inference from itself, ``fake_fraction`` of its own work in every epoch it
  works, paying the network's mean fee per work unit plus its own marginal
  energy (the purchase is defined once, in :mod:`fairshare.economics.fake_demand`).
  Gain = extra reward value (tokens x price) over that spend; above 1 the rule
  pays for fake demand.
- **Stake- and compute-driven shares** (knock-out attribution): the part of the
  rule's payout lost when every node's stake is set to zero, and when every
  compute quantity (tasks, work, fees, busy and online time) is, normalised so
  the two add up to one.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..attacks import merge_keys, split_keys
from ..data.history import History
from ..economics.fake_demand import FakeDemandPurchase, fake_demand_purchase
from ..features import QUANTITIES, Features
from ..formulas import Formula

__all__ = ["split_gain", "split_rewards", "mean_gain", "merge_gain", "merge_pair", "merge_rewards",
           "fake_demand_gain", "purchase_gain", "fake_demand_value", "driven_shares", "knockout_payouts",
           "shares_from_knockouts", "sample_operators"]

_ADDITIVE = tuple(q for q in QUANTITIES if q not in ("online_seconds", "active", "energy_kwh"))
_COMPUTE = tuple(q for q in QUANTITIES if q not in ("stake_tokens", "active", "energy_kwh"))


def _columns(f: Features, index: np.ndarray, scale: np.ndarray | None = None, **override) -> Features:
    """Features restricted/repeated to node columns ``index``; additive quantities times ``scale``."""
    arrays = {}
    for q in QUANTITIES:
        a = getattr(f, q)[:, index]
        if scale is not None and q in _ADDITIVE:
            a = a * scale[None, :]
        arrays[q] = np.ascontiguousarray(a)
    arrays.update(override)
    return replace(f, entity_ids=f.entity_ids[index] if len(index) else f.entity_ids[:0],
                   entity_operator=f.entity_operator[index], node_count=f.node_count[index], **arrays)


def _by_work(f: Features) -> np.ndarray:
    """Codes of the operators with window work, by ascending work (ties in code order)."""
    work = np.bincount(f.entity_operator, weights=f.work_units.sum(axis=0), minlength=len(f.operator_ids))
    working = np.flatnonzero(work > 0)
    return working[np.argsort(work[working], kind="stable")]


def _paid(formula: Formula, f: Features, rewards: np.ndarray | None) -> np.ndarray:
    """``formula``'s rewards on ``f``: ``rewards`` when the caller already has them."""
    return formula.allocate(f).rewards if rewards is None else rewards


def sample_operators(f: Features, size: int) -> np.ndarray:
    """Operator codes at evenly spaced quantiles of window work (operators with work only).

    Parameters
    ----------
    f : Features
        Node-level features of the window (:func:`fairshare.aggregate`).
    size : int
        Number of quantiles; fewer codes come back when fewer operators work or picks coincide.

    Returns
    -------
    int ndarray
        Distinct operator codes (positions in ``f.operator_ids``), by ascending window work.
    """
    ordered = _by_work(f)
    if ordered.size == 0:
        return ordered
    picks = np.unique(np.round(np.linspace(0, ordered.size - 1, min(size, ordered.size))).astype(int))
    return ordered[picks]


def split_rewards(formula: Formula, f: Features, k: int, operator: int,
                  rewards: np.ndarray | None = None) -> tuple[float, float]:
    """(reward before, reward after) of ``operator`` splitting each of its nodes into ``k`` identities.

    ``rewards``: ``formula``'s rewards on ``f`` when already computed (as in every function here).
    Each identity gets 1/k of the node's additive quantities (work, requests, tokens, fees, busy time,
    upstream cost, stake) and keeps its online time, energy and activity flag in full.

    Parameters
    ----------
    formula : Formula
        The reward rule replayed.
    f : Features
        Node-level features of the window (:func:`fairshare.aggregate`).
    k : int
        Identities each node becomes (>= 1; 1 leaves the operator as it is).
    operator : int
        Code of the splitting operator (position in ``f.operator_ids``).
    rewards : ndarray, shape ``(E, N)``, optional
        ``formula``'s rewards on ``f`` (tokens per epoch and node) when already computed; computed when None.

    Returns
    -------
    (float, float)
        The operator's reward tokens over the window before and after the split.
    """
    mine = f.entity_operator == operator
    before = float(_paid(formula, f, rewards)[:, mine].sum())
    split, owned = split_keys(f, k, operator)
    after = float(formula.allocate(split).rewards[:, owned].sum())
    return before, after


def split_gain(formula: Formula, f: Features, k: int, operators: np.ndarray,
               rewards: np.ndarray | None = None) -> float:
    """Mean Sybil split gain over ``operators`` (codes) paid before splitting; NaN when none was.

    Parameters
    ----------
    formula : Formula
        The reward rule replayed.
    f : Features
        Node-level features of the window (:func:`fairshare.aggregate`).
    k : int
        Identities each node becomes (see :func:`split_rewards`).
    operators : int ndarray
        Codes of the operators that split, one at a time (e.g. :func:`sample_operators`).
    rewards : ndarray, shape ``(E, N)``, optional
        ``formula``'s rewards on ``f`` (tokens per epoch and node) when already computed; computed when None.
    """
    rewards = _paid(formula, f, rewards)
    pairs = [split_rewards(formula, f, k, op, rewards) for op in operators]
    return mean_gain(np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]))


def mean_gain(before: np.ndarray, after: np.ndarray) -> float:
    """Mean of ``after / before`` over the entries with ``before > 0`` (NaN when there are none).

    Parameters
    ----------
    before : ndarray, shape ``(S,)``
        Rewards before the change, one per sampled operator.
    after : ndarray, shape ``(S,)``
        Rewards after the change, in the same order.
    """
    paid = before > 0
    return float(np.mean(after[paid] / before[paid])) if paid.any() else float("nan")


def merge_pair(f: Features) -> np.ndarray | None:
    """Codes of the two operators nearest the median window work (None with fewer than two working).

    Parameters
    ----------
    f : Features
        Node-level features of the window (:func:`fairshare.aggregate`).
    """
    ordered = _by_work(f)
    if ordered.size < 2:
        return None
    mid = ordered.size // 2
    return ordered[[mid - 1, mid]] if ordered.size > 2 else ordered[:2]


def merge_rewards(formula: Formula, f: Features, pair: np.ndarray,
                  rewards: np.ndarray | None = None) -> tuple[float, float]:
    """(rewards of the two operators apart, reward of their nodes merged into one identity).

    The merged identity is appended with the members' summed quantities; the
    members are zeroed (an all-zero, inactive node is paid nothing by any rule).

    Parameters
    ----------
    formula : Formula
        The reward rule replayed.
    f : Features
        Node-level features of the window (:func:`fairshare.aggregate`).
    pair : int ndarray, shape ``(2,)``
        Codes of the two merging operators (:func:`merge_pair`).
    rewards : ndarray, shape ``(E, N)``, optional
        ``formula``'s rewards on ``f`` (tokens per epoch and node) when already computed; computed when None.
    """
    members = np.isin(f.entity_operator, pair)
    before = float(_paid(formula, f, rewards)[:, members].sum())
    merged, owned = merge_keys(f, *pair)
    return before, float(formula.allocate(merged).rewards[:, owned].sum())


def merge_gain(formula: Formula, f: Features, rewards: np.ndarray | None = None) -> float:
    """Reward of the two median operators merged into one identity, over their rewards apart.

    NaN when fewer than two operators work or the pair was paid nothing apart.

    Parameters
    ----------
    formula : Formula
        The reward rule replayed.
    f : Features
        Node-level features of the window (:func:`fairshare.aggregate`).
    rewards : ndarray, shape ``(E, N)``, optional
        ``formula``'s rewards on ``f`` (tokens per epoch and node) when already computed; computed when None.
    """
    pair = merge_pair(f)
    if pair is None:
        return float("nan")
    before, after = merge_rewards(formula, f, pair, rewards)
    return after / before if before > 0 else float("nan")


def fake_demand_value(formula: Formula, f: Features, purchase: FakeDemandPurchase,
                      rewards: np.ndarray | None = None) -> float:
    """Extra reward value (tokens x price, USD) ``purchase`` earns its node under ``formula``.

    Parameters
    ----------
    formula : Formula
        The reward rule replayed.
    f : Features
        Node-level features of the window (:func:`fairshare.aggregate`).
    purchase : FakeDemandPurchase
        The fake demand (:func:`~fairshare.economics.fake_demand.fake_demand_purchase` of ``f``); its
        ``bought`` features are replayed.
    rewards : ndarray, shape ``(E, N)``, optional
        ``formula``'s rewards on ``f`` (tokens per epoch and node) when already computed; computed when None.
    """
    node = purchase.node
    delta = formula.allocate(purchase.bought).rewards[:, node] - _paid(formula, f, rewards)[:, node]
    return float((delta * f.token_price_usd).sum())


def fake_demand_gain(formula: Formula, f: Features, history: History, fake_fraction: float = 0.1) -> float:
    """Extra reward value per dollar of fake demand bought by the median working node.

    Parameters
    ----------
    formula : Formula
        The reward rule replayed.
    f : Features
        Node-level features of the window (:func:`fairshare.aggregate`).
    history : History
        The history ``f`` was aggregated from (the buying node's power draw, PUE and tariff).
    fake_fraction : float, default 0.1
        Share of its own work the node buys from itself in every epoch it works, > 0.
    """
    return purchase_gain(formula, f, fake_demand_purchase(f, history, fake_fraction))


def purchase_gain(formula: Formula, f: Features, purchase: FakeDemandPurchase | None,
                  rewards: np.ndarray | None = None) -> float:
    """Extra reward value per dollar ``purchase`` spends (NaN without a purchase or a spend).

    Parameters
    ----------
    formula : Formula
        The reward rule replayed.
    f : Features
        Node-level features of the window (:func:`fairshare.aggregate`).
    purchase : FakeDemandPurchase or None
        The fake demand (:func:`~fairshare.economics.fake_demand.fake_demand_purchase` of ``f``); None
        when no node works.
    rewards : ndarray, shape ``(E, N)``, optional
        ``formula``'s rewards on ``f`` (tokens per epoch and node) when already computed; computed when None.
    """
    if purchase is None or purchase.spend_usd <= 0:
        return float("nan")
    return fake_demand_value(formula, f, purchase, rewards) / purchase.spend_usd


def knockout_payouts(formula: Formula, f: Features, rewards: np.ndarray | None = None) -> tuple[float, float, float]:
    """Tokens paid as is, with every stake zero, and with every compute quantity zero.

    The compute quantities are the task fields (requests, tokens, work, busy seconds, fees, upstream
    cost) and online seconds.

    Parameters
    ----------
    formula : Formula
        The reward rule replayed.
    f : Features
        Node-level features of the window (:func:`fairshare.aggregate`).
    rewards : ndarray, shape ``(E, N)``, optional
        ``formula``'s rewards on ``f`` (tokens per epoch and node) when already computed; computed when None.
    """
    zero = np.zeros(f.shape)
    return (float(_paid(formula, f, rewards).sum()),
            float(formula.allocate(replace(f, stake_tokens=zero)).rewards.sum()),
            float(formula.allocate(replace(f, **{q: zero for q in _COMPUTE})).rewards.sum()))


def driven_shares(formula: Formula, f: Features, rewards: np.ndarray | None = None) -> tuple[float, float]:
    """(stake-driven, compute-driven) shares of the payout by knock-out attribution.

    Parameters
    ----------
    formula : Formula
        The reward rule replayed.
    f : Features
        Node-level features of the window (:func:`fairshare.aggregate`).
    rewards : ndarray, shape ``(E, N)``, optional
        ``formula``'s rewards on ``f`` (tokens per epoch and node) when already computed; computed when None.
    """
    return shares_from_knockouts(*knockout_payouts(formula, f, rewards))


def shares_from_knockouts(paid: float, no_stake: float, no_compute: float) -> tuple[float, float]:
    """(stake-driven, compute-driven) shares from the three payouts of :func:`knockout_payouts`.

    The share of ``paid`` lost to each knock-out (clipped at 0), normalised to add up to one; NaN
    for both when nothing is paid or neither knock-out loses anything.

    Parameters
    ----------
    paid : float
        Tokens paid with the features as they are.
    no_stake : float
        Tokens paid with every stake set to zero.
    no_compute : float
        Tokens paid with every compute quantity set to zero.
    """
    if paid <= 0:
        return float("nan"), float("nan")
    lost_stake, lost_compute = max(1.0 - no_stake / paid, 0.0), max(1.0 - no_compute / paid, 0.0)
    total = lost_stake + lost_compute
    if total <= 0:
        return float("nan"), float("nan")
    return lost_stake / total, lost_compute / total
