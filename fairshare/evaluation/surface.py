"""Retail cost coverage over a grid of token price x utilisation (a two-dimensional sensitivity surface).

CADLabs' Ethereum model shows validator profit over a surface of two environmental inputs; this
is the same for a reward rule: retail operators' cost coverage over the token price and the
utilisation of the hardware.

What the axes mean
------------------
- **price** ``p``: every epoch's token price is ``p`` USD (replacing the history's price path);
  rules that read the price (a fee-linked cap) see it too.
- **utilisation** ``u``: in every epoch a node served anything, its busy time is set to ``u`` of its
  online time, and everything it served that epoch (requests, tokens, work units, fees, upstream
  cost) scales by the same factor ``u x online / busy``; energy follows busy time through the cost
  model; an epoch a node served nothing stays idle (no work is invented). ``scope="retail"`` does
  this to retail operators' nodes only and leaves the others as in the history; ``scope="all"``
  (default) to every node. Depreciation and rent do not depend on either axis.

Each grid point is measured as the scoreboard measures it (:func:`~fairshare.evaluation.scoreboard.coverage_columns`):
per operator over the window, earned value (rewards x price + fees - upstream cost) over energy +
depreciation (+ rent), among retail operators with work in the window.

Cost: one replay of the rule per utilisation when its rewards do not depend on the price (``Linear`` and
its forms), then every price at once; other rules are replayed at every grid point.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import replace

import numpy as np
import pandas as pd

from .._kernels.aggregate import FIELDS, node_epoch_terms
from ..data.history import History
from ..economics.costs import node_costs, operator_classes
from ..errors import ConfigError, RangeError
from ..features import Features, aggregate, sum_by_operator
from ..formulas import Formula
from .engine import _checked
from .linear import as_linear
from .scoreboard import coverage_columns

__all__ = ["coverage_surface", "SCOPES", "UTILISATION_MEANING"]

SCOPES = ("all", "retail")

#: What the utilisation axis means (also in ``frame.attrs["utilisation_meaning"]``).
UTILISATION_MEANING = ("busy share of online time: in every epoch a node served anything, its busy time is set to u x "
                       "its online time and what it served (requests, tokens, work, fees, upstream cost) scales by the "
                       "same factor; energy follows busy time; epochs it served nothing stay idle")


def coverage_surface(history: History, rule: Formula, *, prices, utilisations, scope: str = "all",
                     max_retail_nodes: int = 3, features: Features | None = None) -> pd.DataFrame:
    """Retail median coverage and retail share covering costs at every (price, utilisation).

    Parameters
    ----------
    history : History
        The network (built-in or any other).
    rule : Formula
        The reward rule.
    prices : sequence of float
        Token prices, USD; each finite and > 0.
    utilisations : sequence of float
        Busy shares of online time, each in (0, 1] (see the module docstring).
    scope : {"all", "retail"}, default "all"
        Whose utilisation is set: every node's, or retail operators' nodes' only.
    max_retail_nodes : int, default 3
        Operators with at most this many nodes, all at home, are retail.
    features : Features, optional
        ``fs.aggregate(history)`` if already computed.

    Returns
    -------
    pandas.DataFrame
        One row per (price, utilisation), prices outer: ``price_usd``, ``utilisation``,
        ``retail_median_coverage`` (median of earned value over cost among active retail operators),
        ``retail_covering_share`` (their share with coverage >= 1) and ``retail_operators`` (how many
        were counted). ``attrs``: ``network``, ``synthetic``, ``price_basis``, ``utilisation_meaning``,
        ``scope``.

    Raises
    ------
    ConfigError
        For a rule that is not a Formula, an unknown scope, or empty grids.
    RangeError
        For a price <= 0 or not finite, or a utilisation outside (0, 1].

    Notes
    -----
    At utilisation ``u`` a node's quantities in epoch ``e`` are ``q_e * u * online_e / busy_e`` (where
    ``busy_e > 0``); energy ``= (P_busy * busy + P_idle * (online - busy)) * PUE``; coverage
    ``= (p * tokens + fees - upstream) / (energy cost + depreciation + rent)`` over the window.

    Examples
    --------
    >>> import fairshare as fs
    >>> h = fs.datasets.open_inference_network(seed=0, scale="small")
    >>> s = fs.evaluation.coverage_surface(h, fs.formulas.STATUS_QUO, prices=[0.1, 0.5], utilisations=[0.2, 0.6])
    >>> s[["price_usd", "utilisation"]].values.tolist()
    [[0.1, 0.2], [0.1, 0.6], [0.5, 0.2], [0.5, 0.6]]
    """
    if not isinstance(rule, Formula):
        raise ConfigError(f"rule must be a fairshare Formula, got {type(rule).__name__}.")
    if scope not in SCOPES:
        raise ConfigError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}.")
    price_grid = _grid(prices, "prices", "a token price in USD, finite and > 0", lambda x: x > 0)
    util_grid = _grid(utilisations, "utilisations", "a busy share of online time in (0, 1]", lambda x: 0 < x <= 1)
    f = aggregate(history) if features is None else _checked(features, history)
    classes_op = operator_classes(history, max_retail_nodes).to_numpy()
    present = np.unique(f.entity_operator)
    classes = classes_op[present]
    scaled_nodes = np.ones(f.shape[1], bool) if scope == "all" else classes_op[f.entity_operator] == "retail"
    active = f.by_operator().work_units.sum(axis=0) > 0
    price_free = as_linear(rule) is not None
    out = np.empty((price_grid.size, util_grid.size, 3))
    for j, u in enumerate(util_grid):
        fu = _at_utilisation(history, f, u, scaled_nodes)
        costs = node_costs(history, fu).by_operator()
        cost, energy = costs.total_usd.sum(axis=0), costs.energy_usd.sum(axis=0)
        cash = (costs.features.fees_usd - costs.features.upstream_cost_usd).sum(axis=0)
        tokens = _operator_tokens(rule, fu, present) if price_free else None
        for i, p in enumerate(price_grid):
            if not price_free:
                priced = _with_price(fu, p)
                tokens = _operator_tokens(rule, priced, present)
            cols = coverage_columns(p * tokens + cash, cost, energy, active, classes)
            out[i, j] = (cols["median_retail_coverage"], cols.get("coverage_share_retail", np.nan),
                         int((active & (classes == "retail")).sum()))
    frame = pd.DataFrame({
        "price_usd": np.repeat(price_grid, util_grid.size), "utilisation": np.tile(util_grid, price_grid.size),
        "retail_median_coverage": out[:, :, 0].ravel(), "retail_covering_share": out[:, :, 1].ravel(),
        "retail_operators": out[:, :, 2].ravel().astype(np.int64),
    })
    meta = history.metadata
    frame.attrs.update({"network": meta.network if meta is not None else "a user's history",
                        "synthetic": None if meta is None else meta.synthetic,
                        "price_basis": "USD at the grid's token price, the same in every epoch",
                        "utilisation_meaning": UTILISATION_MEANING, "scope": scope})
    return frame


def _grid(values, name: str, what: str, ok) -> np.ndarray:
    try:
        grid = [float(v) for v in values]
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a sequence of numbers, got {values!r}.") from None
    if not grid:
        raise ConfigError(f"{name} is empty: give at least one value ({what}).")
    bad = [v for v in grid if not math.isfinite(v) or not ok(v)]
    if bad or any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in values):
        raise RangeError(f"{name}: every value must be {what}; got {bad or list(values)}.")
    return np.asarray(grid)


def _at_utilisation(history: History, f: Features, u: float, nodes: np.ndarray) -> Features:
    """``f`` with the chosen nodes busy ``u`` of their online time in every epoch they served (energy recomputed)."""
    busy = f.busy_seconds
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where((busy > 0) & nodes[None, :], u * f.online_seconds / busy, 1.0)
    scaled = {q: getattr(f, q) * factor for q in FIELDS}
    v = history.node_values
    last = np.where(np.isnan(v["left_epoch"]), np.inf, v["left_epoch"])
    energy, _, _ = node_epoch_terms(
        np.ascontiguousarray(scaled["busy_seconds"]), f.online_seconds, v["power_w"], v["idle_power_w"], v["pue"],
        v["joined_epoch"].astype(np.float64), last, history.epochs.astype(np.float64),
        np.zeros((1, f.shape[1])))
    return replace(f, energy_kwh=energy, **scaled)


def _with_price(f: Features, price: float) -> Features:
    return replace(f, token_price_usd=np.full(f.shape[0], price))


def _operator_tokens(rule: Formula, f: Features, present: np.ndarray) -> np.ndarray:
    rewards = rule(f).rewards
    return sum_by_operator(rewards, f.entity_operator, len(f.operator_ids), present).sum(axis=0)
