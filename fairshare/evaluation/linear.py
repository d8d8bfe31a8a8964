"""Batched evaluation of ``Linear`` rules: one precomputation, then O(C x K) per rule.

Public through :func:`fairshare.evaluate`. A ``Linear`` rule's rewards are
``sum_c theta_c * R_c`` where ``R_c`` pays the whole emission by component
``c`` alone. Every scoreboard input is either linear in ``theta`` (window
tokens and value per entity, node earnings per month, the retail share and
unallocated emission per epoch, and every gaming replay: split, merge, fake
demand, knock-outs) or, for the per-epoch HHI, a quadratic form in ``theta``
with a ``(C, C)`` Gram matrix per epoch. :class:`LinearBasis` computes those
per-component bases once; each rule then costs a few small matrix-vector
products and one sort of the window totals (for the concentration suite).
Memory is fixed by the bases, whatever the number of rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..attacks import NAMES
from ..features import sum_by_operator
from ..formulas import FloorPlusProportional, Formula, Linear
from ..formulas.components import PER_IDENTITY, component, component_shares
from .gaming import fake_demand_value, knockout_payouts, mean_gain, merge_pair, shares_from_knockouts
from .scoreboard import concentration, coverage_columns, earnings_columns, monthly, staker_yield, winners_losers

__all__ = ["LinearBasis", "as_linear"]


def as_linear(rule: Formula) -> Linear | None:
    """The ``Linear`` form of a rule that has one (Linear, FloorPlusProportional), else None.

    Parameters
    ----------
    rule : Formula
        Any reward rule; a ``Linear`` is returned as it is, a ``FloorPlusProportional`` as its
        :meth:`~fairshare.formulas.FloorPlusProportional.as_linear`; any other rule gives None.
    """
    if isinstance(rule, Linear):
        return rule
    if isinstance(rule, FloorPlusProportional):
        return rule.as_linear()
    return None


class LinearBasis:
    """Per-component bases of one evaluation context (see the module docstring).

    Built once by :func:`fairshare.evaluate` when enough of its rules are linear; :meth:`row` and
    :meth:`path` then score any ``Linear`` rule over ``components`` from its weight vector.

    Parameters
    ----------
    ctx : object
        The evaluation's private context (``fairshare.evaluation.engine._Context``): features, costs,
        classes and tiers, level, window flags, the sybil sample and ``sybil_k``, and the fake-demand purchase.
    components : iterable of str
        Component names (of :data:`~fairshare.formulas.COMPONENTS`), in the order of the weight vector
        ``theta``; C = their number. Every basis is ``(C, ...)``.
    """

    def __init__(self, ctx, components):
        f = ctx.features
        self.ctx = ctx
        self.components = list(components)
        shares, empty = component_shares(f, self.components)
        emission, price = f.emission_tokens, f.token_price_usd
        tokens = shares
        tokens *= emission[None, :, None]  # (C, E, N): the whole emission paid by each component alone
        c, e, n = tokens.shape
        self.unallocated = empty * emission[None, :]
        self.node_usd = np.einsum("cen,e->cn", tokens, price)
        self.node_monthly_usd = monthly(np.moveaxis(tokens * price[None, :, None], 0, 1), ctx.epoch_days)
        if ctx.level == "operator":
            flat = sum_by_operator(tokens.reshape(c * e, n), f.entity_operator, len(f.operator_ids), ctx.present_ops)
            entity = flat.reshape(c, e, -1)
        else:
            entity = tokens
        self.window_tokens = entity.sum(axis=1)
        self.window_usd = np.einsum("cek,e->ck", entity, price)
        self.paid_epoch = entity.sum(axis=2)
        self.retail_epoch = entity[:, :, ctx.classes == "retail"].sum(axis=2)
        self.gram = np.einsum("cek,dek->ecd", entity, entity)
        # what every row adds to the rule's part: window and monthly cash (fees - upstream cost)
        ef = ctx.entity_features
        self.entity_cash = ef.fees_usd.sum(axis=0) - ef.upstream_cost_usd.sum(axis=0)
        node_cash = f.fees_usd - f.upstream_cost_usd
        self.node_cash, self.node_monthly_cash = node_cash.sum(axis=0), monthly(node_cash, ctx.epoch_days)
        self._gaming(ctx)

    def _gaming(self, ctx):
        f = ctx.features
        rules = [Linear({name: 1.0}) for name in self.components]
        self.split = {k: np.array([[single_component_split(f, name, k, op) for op in ctx.sample]
                                   for name in self.components]) for k in ctx.sybil_k}  # k -> (C, S, 2)
        pair = merge_pair(f)
        self.merge = None if pair is None else np.array([single_component_merge(f, name, pair)
                                                         for name in self.components])  # (C, 2)
        purchase = ctx.purchase
        self.fake_spend = float("nan") if purchase is None else purchase.spend_usd
        self.fake_value = None if purchase is None else np.array([fake_demand_value(r, f, purchase) for r in rules])
        self.knockouts = np.array([knockout_payouts(r, f) for r in rules])  # (C, 3)

    def attack_theta(self, theta: np.ndarray) -> np.ndarray:
        """``theta`` over :data:`fairshare.attacks.NAMES` (the attack closed forms' component order)."""
        full = np.zeros(len(NAMES))
        for name, w in zip(self.components, theta):
            full[NAMES.index(name)] = w
        return full

    def theta(self, rule: Linear) -> np.ndarray:
        return np.array([rule.weights.get(name, 0.0) for name in self.components])

    def row(self, theta: np.ndarray, base_window: np.ndarray) -> dict:
        """The scoreboard row of the Linear rule with weights ``theta`` (same numbers as the general path)."""
        ctx, f = self.ctx, self.ctx.features
        window = theta @ self.window_tokens
        node_earned = theta @ self.node_usd + self.node_cash
        node_monthly = np.tensordot(theta, self.node_monthly_usd, axes=(0, 1)) + self.node_monthly_cash
        paid, no_stake, no_compute = theta @ self.knockouts
        stake_share, compute_share = shares_from_knockouts(paid, no_stake, no_compute)
        emission = f.emission_tokens.sum()
        row = {**concentration(window, ctx.present),
               **coverage_columns(theta @ self.window_usd + self.entity_cash, ctx.window_cost_usd,
                                  ctx.window_energy_usd, ctx.entity_pnl_active, ctx.classes),
               **earnings_columns(node_earned, ctx.node_active_days, node_monthly, ctx.whole_months, ctx.node_tiers),
               "staker_yield": staker_yield(paid, stake_share, f.stake_tokens, ctx.epoch_days, f.shape[0]),
               "stake_driven_share": stake_share, "compute_driven_share": compute_share}
        for k, parts in self.split.items():
            both = np.tensordot(theta, parts, axes=(0, 0))
            row[f"sybil_gain_k{k}"] = mean_gain(both[:, 0], both[:, 1])
        before, after = (theta @ self.merge) if self.merge is not None else (0.0, 0.0)
        row["merge_gain"] = after / before if before > 0 else float("nan")
        value = theta @ self.fake_value if self.fake_value is not None else float("nan")
        row["fake_demand_gain"] = value / self.fake_spend if self.fake_spend > 0 else float("nan")
        row.update(ctx.linear_attacks.columns(self.attack_theta(theta)))
        row.update(winners_losers(window, base_window, ctx.present))
        row["unallocated_share"] = float((theta @ self.unallocated).sum() / emission) if emission > 0 else float("nan")
        return row

    def path(self, theta: np.ndarray) -> pd.DataFrame:
        """Per-epoch HHI (quadratic form) and retail share; gini and Nakamoto need a sort: NaN here."""
        paid = theta @ self.paid_epoch
        square = np.einsum("c,ecd,d->e", theta, self.gram, theta)
        with np.errstate(invalid="ignore", divide="ignore"):
            hhi = np.where(paid > 0, square / paid**2, np.nan)
            retail = np.where(paid > 0, (theta @ self.retail_epoch) / paid, np.nan)
        return pd.DataFrame({"gini": np.nan, "hhi": hhi, "nakamoto_1/3": np.nan, "retail_share": retail})


def single_component_split(f, name: str, k: int, operator: int) -> tuple[float, float]:
    """(before, after) of ``operator`` splitting into ``k`` identities, under ``Linear({name: 1})``.

    Closed form of the replay in :func:`fairshare.evaluation.gaming.split_rewards`:
    additive components are split-neutral; a per-identity component (identity
    floor, availability) counts the operator's quantity ``Q`` k times, so its
    share of an epoch with total ``T`` becomes ``k Q / (T + (k - 1) Q)``.
    """
    q = component(f, name)
    mine = f.entity_operator == operator
    total = q.sum(axis=1)
    own = q[:, mine].sum(axis=1)
    emission = f.emission_tokens
    paid = total > 0
    before = float((emission[paid] * own[paid] / total[paid]).sum())
    if name not in PER_IDENTITY:
        return before, before
    grown = total + (k - 1) * own
    return before, float((emission[paid] * k * own[paid] / grown[paid]).sum())


def single_component_merge(f, name: str, pair) -> tuple[float, float]:
    """(before, after) of the two operators ``pair`` merging into one identity, under ``Linear({name: 1})``.

    Closed form of :func:`fairshare.evaluation.gaming.merge_rewards`: the merged
    identity holds the sum of every quantity, so only the identity floor
    changes (the pair's m working identities count as one).
    """
    q = component(f, name)
    members = np.isin(f.entity_operator, pair)
    total = q.sum(axis=1)
    own = q[:, members].sum(axis=1)
    emission = f.emission_tokens
    paid = total > 0
    before = float((emission[paid] * own[paid] / total[paid]).sum())
    if name != "identity_floor":
        return before, before
    merged = (own > 0).astype(np.float64)
    shrunk = total - own + merged
    ok = shrunk > 0
    return before, float((emission[ok] * merged[ok] / shrunk[ok]).sum())
