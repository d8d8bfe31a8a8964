"""Incentive constraints of the optimiser: no attack of the library pays, and subsidy pay stays near costs.

Money constraints (USD amounts the rule pays, so they move with the budget and the token price) that
encode what operators would do to a rule rather than what it owes them: :class:`NoAttackPays` holds
the attack library's closed forms (:mod:`fairshare.attacks`) below their costs, and :class:`SubsidyCap`
keeps pay from components other than verified work near each class's costs. Both belong to the default
problem (:func:`fairshare.optimization.constraints.default_constraints`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import ConfigError
from .base import Built, Constraint
from .share_constraints import VERIFIED

__all__ = ["NoAttackPays", "SubsidyCap"]


@dataclass(frozen=True)
class SubsidyCap(Constraint):
    """No operator class is paid more than ``(1 + margin)`` times its full cost by subsidy components.

    Subsidy components are every component not proportional to verified work (all but
    :data:`~fairshare.optimization.share_constraints.VERIFIED`): pay they route to a class beyond what
    keeps it running is a transfer the rule chose, not a reward for verified work. One row per class
    of active operators: ``s * sum_k V_k,sub theta_sub <= (1 + margin) * sum_k cost_k``.

    Parameters
    ----------
    margin : float, default 0.25
        Share above the class's full cost (energy + depreciation) subsidy pay may reach; finite, >= 0.
        A stated assumption (docs/attacks.md): enough to keep a marginal operator in, not to fund growth.
    """

    margin: float = 0.25
    knobs: ClassVar[tuple] = ("subsidy_margin",)
    money: ClassVar[bool] = True

    def __post_init__(self):
        m = self.margin
        if isinstance(m, bool) or not isinstance(m, (int, float, np.integer, np.floating)) or not (
                np.isfinite(m) and m >= 0):
            raise ConfigError(f"SubsidyCap margin must be a finite number >= 0, got {m!r}.")

    def rows(self, basis, flat_price: bool):
        """``(value (R, C), cost (R,), labels)``: per class, the USD a unit of each subsidy weight pays it."""
        sub = np.array([c not in VERIFIED for c in basis.components])
        value = (basis.tokens if flat_price else basis.value_usd) * sub[None, :]
        cost = basis.cost("full")
        labels = sorted(set(basis.classes[basis.active].tolist()))
        v = np.array([value[basis.active & (basis.classes == c)].sum(axis=0) for c in labels])
        v = v.reshape(-1, value.shape[1])
        k = np.array([cost[basis.active & (basis.classes == c)].sum() for c in labels])
        return v, k, labels

    def build(self, ctx):
        v, cost, labels = self.rows(ctx.basis, ctx.flat_price)
        label = ctx.label(self.describe())
        live = (v.max(axis=1) > 0) if v.size else np.zeros(0, dtype=bool)
        if not live.any():
            return Built(self, label, [], {}, {"labels": []})
        v, cost = v[live], cost[live]
        norm = v.max(axis=1)
        base = (1.0 + self.margin) * cost / norm
        bound = ctx.parameter(base / ctx.scale)
        return Built(self, label, [(v / norm[:, None]) @ ctx.theta <= bound], {"bound": bound},
                     {"labels": [x for x, keep in zip(labels, live) if keep], "norm": norm, "cost": cost,
                      "per_scale": {"bound": base}, "scale": ctx.scale, "flat_price": ctx.flat_price})

    def slack(self, basis, theta, *, scale=1.0, flat_price=False, status_quo=None):
        v, cost, _ = self.rows(basis, flat_price)
        if not v.size:
            return np.zeros(1)
        norm = np.maximum(v.max(axis=1), 1e-300)
        return ((1.0 + self.margin) * cost - scale * (v @ theta)) / norm

    def set_knob(self, built, knob, value):
        if knob != "subsidy_margin":
            super().set_knob(built, knob, value)
        value = float(value)
        if not (np.isfinite(value) and value >= 0):
            raise ConfigError(f"subsidy_margin must be a finite number >= 0, got {value!r}.")
        if "bound" in built.params:
            built.data["margin"] = value
            built.data["per_scale"]["bound"] = (1.0 + value) * built.data["cost"] / built.data["norm"]
            self.rescale(built, built.data["scale"])

    def set_costs(self, built, basis):
        if "bound" not in built.params:
            return
        _, cost, labels = self.rows(basis, built.data["flat_price"])
        by = dict(zip(labels, cost))
        built.data["cost"] = np.array([by[x] for x in built.data["labels"]])
        margin = built.data.get("margin", self.margin)
        built.data["per_scale"]["bound"] = (1.0 + margin) * built.data["cost"] / built.data["norm"]
        self.rescale(built, built.data["scale"])

    def sensitivities(self, built, theta, scale):
        if "bound" not in built.params:
            return {"scale": 0.0}
        mu = built.duals()[0]  # L = f + mu (v theta - b / s)
        return {"scale": float((mu * built.params["bound"].value).sum() / scale),
                "subsidy_margin": float(-(mu * built.data["cost"] / built.data["norm"]).sum() / scale)}

    def describe(self):
        return f"subsidy components pay no class more than {1 + self.margin:.2f}x its full cost"


@dataclass(frozen=True)
class NoAttackPays(Constraint):
    """No attack of the library nets more than it costs: ``best_attack_net_gain <= 1``.

    One row per attacker and size of every standard attack (:func:`fairshare.attacks.attack_rows`):
    splits, merges, tiny requests, fake work, self-paid fees, model misreports (insiders, every
    working operator), idle keys and stake timing (outsiders, every epoch). The rows are the
    scoreboard's own closed forms, so a rule meeting them scores ``best_attack_net_gain <= 1``
    against the same attacks and costs.

    Under a flat token price (the scale carries the price) the stake-timing rows are left out:
    their cost moves with the price and the scale cannot say which part of it is price; the
    result's constraint list says so.

    Parameters
    ----------
    costs : fairshare.attacks.AttackCosts, optional
        Identity cost, protocol take, gas, cost of capital, capacity proofs and attack sizes
        (default ``AttackCosts()``: identity cost 0, which no per-key pay can survive).
    custom : tuple of fairshare.attacks.CustomAttack, default ()
        User-defined attacks; those with ``unit_costs`` add rows, the others are scored only (the
        description says which).
    """

    costs: object = None
    custom: tuple = ()
    knobs: ClassVar[tuple] = ("identity_cost_usd", "take_rate")
    money: ClassVar[bool] = True

    def __post_init__(self):
        from ..attacks import AttackCosts

        if self.costs is not None and not isinstance(self.costs, AttackCosts):
            raise ConfigError(f"NoAttackPays costs must be fairshare.attacks.AttackCosts, got {self.costs!r}.")
        from ..attacks import CustomAttack

        custom = tuple(self.custom) if isinstance(self.custom, (list, tuple)) else (self.custom,)
        if not all(isinstance(a, CustomAttack) for a in custom):
            raise ConfigError(f"NoAttackPays custom must be fairshare.attacks.CustomAttack objects, got "
                              f"{self.custom!r}.")
        object.__setattr__(self, "custom", custom)

    @property
    def attack_costs(self):
        from ..attacks import AttackCosts

        return AttackCosts() if self.costs is None else self.costs

    def rows(self, basis, flat_price: bool):
        """The :class:`~fairshare.attacks.AttackRows` over the basis' components at its price basis."""
        from dataclasses import replace as _replace

        from ..attacks import Target, attack_rows, standard_attacks

        if basis.history is None or basis.features is None:
            raise ConfigError("NoAttackPays replays attacks on node keys: build the problem from a History "
                              "(fs.optimize(history)), or drop the constraint.")
        cache = basis.__dict__.setdefault("_attack_rows", {})
        key = (bool(flat_price), _replace(self.attack_costs, identity_cost_usd=0.0, take_rate=0.0),  # rows take any
               self.custom)
        if key not in cache:
            f = basis.features
            mask = basis.epoch_mask if basis.epoch_mask is not None else np.ones(f.shape[0], dtype=bool)
            target = Target(f, basis.history, self.attack_costs).window(mask)
            sub = _replace(target.features, emission_tokens=np.asarray(basis.emission_per_epoch, dtype=np.float64),
                           token_price_usd=np.asarray(basis.epoch_prices(flat_price), dtype=np.float64))
            attacks = [a for a in standard_attacks(self.attack_costs.split_k)
                       if not (flat_price and a.attack == "stake_timing")] + list(self.custom)
            cache[key] = attack_rows(Target(sub, basis.history, self.attack_costs), attacks).columns(basis.components)
        return cache[key]

    def build(self, ctx):
        rows = self.rows(ctx.basis, ctx.flat_price)
        label = ctx.label(self.describe())
        pruned = False
        if ctx.presolve and len(rows.labels) > 1:
            rows, pruned = self._presolve(rows, ctx), True
        if not rows.labels:
            return Built(self, label, [], {}, {"rows": rows, "norm": np.ones(0), "pruned": pruned})
        norm = np.abs(rows.gain).max(axis=1)
        base = rows.cost(self.attack_costs.identity_cost_usd, self.attack_costs.take_rate) / norm
        cost = ctx.parameter(base / ctx.scale)
        cons = [(rows.gain / norm[:, None]) @ ctx.theta <= cost]
        return Built(self, label, cons, {"cost": cost},
                     {"rows": rows, "norm": norm, "per_scale": {"cost": base}, "scale": ctx.scale,
                      "flat_price": ctx.flat_price, "identity_cost_usd": self.attack_costs.identity_cost_usd,
                      "take_rate": self.attack_costs.take_rate, "pruned": pruned})

    def _presolve(self, rows, ctx):
        """The rows without those another row implies, at this problem's fixed attack costs.

        With ``theta >= 0``, a row ``g theta <= c`` (``c > 0``) is implied by any row whose ``g / c`` is
        at least as large in every component; rows of zero cost with no negative gain say only that their
        components get no weight, so they merge into one row (their sum).
        """
        from ..attacks import AttackRows

        cost = rows.cost(self.attack_costs.identity_cost_usd, self.attack_costs.take_rate)
        free = (cost <= 0) & (rows.gain >= 0).all(axis=1)
        paid = np.flatnonzero(cost > 0)
        keep = np.zeros(len(rows.labels), dtype=bool)
        keep[(cost <= 0) & ~free] = True
        if paid.size:
            keep[paid[ctx.prune(rows.gain[paid] / cost[paid, None], sense=-1)]] = True
        idx = np.flatnonzero(keep)
        gain, base = rows.gain[idx], cost[idx]
        labels = [rows.labels[i] for i in idx]
        if free.any():
            g = rows.gain[free]
            gain = np.vstack([gain, (g / g.max(axis=1, keepdims=True)).sum(axis=0, keepdims=True)])
            base = np.r_[base, 0.0]
            names = sorted({rows.labels[i].split(" by ")[0].split(" in epoch")[0] for i in np.flatnonzero(free)})
            labels.append("free attacks (" + ", ".join(names) + ")")
        zero = np.zeros(len(labels))
        return AttackRows(np.ascontiguousarray(gain), base, zero, zero, labels)

    def slack(self, basis, theta, *, scale=1.0, flat_price=False, status_quo=None):
        rows = self.rows(basis, flat_price)
        if not rows.labels:
            return np.zeros(1)
        norm = np.abs(rows.gain).max(axis=1)
        cost = rows.cost(self.attack_costs.identity_cost_usd, self.attack_costs.take_rate)
        return (cost - scale * (rows.gain @ theta)) / norm

    def set_knob(self, built, knob, value):
        if knob not in self.knobs:
            super().set_knob(built, knob, value)
        if built.data.get("pruned"):
            raise ConfigError("this problem was presolved for fixed attack costs; build it with presolve=False to "
                              f"change {knob} (frontiers over it do).")
        value = float(value)
        ok = np.isfinite(value) and value >= 0 and (knob != "take_rate" or value <= 1)
        if not ok:
            raise ConfigError(f"{knob} must be a finite number >= 0{' and <= 1' if knob == 'take_rate' else ''}, "
                              f"got {value!r}.")
        built.data[knob] = value
        self._recost(built)

    @staticmethod
    def _recost(built):
        rows = built.data["rows"]
        if rows.labels:
            built.data["per_scale"]["cost"] = rows.cost(built.data["identity_cost_usd"],
                                                        built.data["take_rate"]) / built.data["norm"]
            built.owner.rescale(built, built.data["scale"])

    def set_costs(self, built, basis):
        """Re-derive what each attack costs from a re-priced basis (its history's tariffs); the gains stay."""
        if "cost" not in built.params:
            return
        if built.data.get("pruned"):
            raise ConfigError("this problem was presolved for fixed attack costs; build it with presolve=False to "
                              "change costs (frontiers over cost inputs do).")
        rows = self.rows(basis, built.data["flat_price"])
        old = built.data["rows"]
        if rows.gain.shape != old.gain.shape or not np.array_equal(rows.gain, old.gain):
            raise ConfigError("the new costs change what the attacks earn; rebuild the problem.")
        built.data["rows"] = rows
        self._recost(built)

    def sensitivities(self, built, theta, scale):
        if "cost" not in built.params:
            return {"scale": 0.0}
        mu = built.duals()[0]  # L = f + mu (rows theta - c / s)
        rows, norm = built.data["rows"], built.data["norm"]
        return {"scale": float((mu * built.params["cost"].value).sum() / scale),
                "identity_cost_usd": float(-(mu * rows.per_identity / norm).sum() / scale),
                "take_rate": float(-(mu * rows.per_take / norm).sum() / scale)}

    def binding_attacks(self, built, theta, scale, tol: float = 1e-6) -> list[str]:
        """Labels of the rows the weights ``theta`` meet with (normalised) slack below ``tol`` (rows the
        weights pay nothing on are left out: they hold at any cost).

        Parameters
        ----------
        built : Built
            This constraint as built into the solved problem.
        theta : ndarray, shape (C,)
            The weights.
        scale : float
            The budget multiplier (times the flat price when the price is flat).
        tol : float, default 1e-6
            Slack at or below which a row binds.
        """
        rows, norm = built.data["rows"], built.data["norm"]
        if not rows.labels:
            return []
        cost = rows.cost(built.data["identity_cost_usd"], built.data["take_rate"])
        paid = scale * (rows.gain @ theta)
        slack = (cost - paid) / norm
        return [rows.labels[i] for i in np.flatnonzero((slack <= tol) & (paid > tol * norm))]

    def describe(self):
        c = self.attack_costs
        scored = [a.name for a in self.custom if not a.unit_costs]
        extra = f"; {', '.join(scored)} scored only (no unit costs)" if scored else ""
        return (f"no attack pays (identity cost ${c.identity_cost_usd:g} per key per epoch, "
                f"take {c.take_rate:.1%}, {c.capacity_proofs} capacity proofs{extra})")
