"""Constraints of the emission-weight optimiser, as small composable objects.

Money constraints (this module) bound USD amounts the rule pays, so they move
with the budget and the token price: coverage of operators' costs, the Sybil
bound on per-identity components, and the fee-linked cap on fake demand.
Share constraints (:mod:`fairshare.optimization.share_constraints`) bound token
shares and weights. Pass any list of them to :func:`fairshare.optimization.optimize`;
:func:`default_constraints` is the documented default problem.

Coverage (DESIGN.md "Units, time and identity"): operator ``k`` is covered when
``earned_k = s * V_k theta + fees_k - upstream_k >= (1 + margin) * cost_k``, with
``V`` the USD value of a unit weight (:class:`~fairshare.optimization.basis.Basis`) and
``s`` the budget multiplier. Rows are normalised by ``cost_k``, so the
*relative shortfall* ``d_k = (need_k - s V_k theta) / cost_k`` (``need = (1 + margin)
cost - fees + upstream``) is what the three modes bound:

- ``hard``: ``d_k <= 0`` for every selected operator;
- ``soft``: ``penalty * sum(cost_k * pos(d_k)) / sum(cost_k)`` (the uncovered
  fraction of the selected operators' costs) is added to the objective;
- ``cvar``: ``CVaR_level(d) <= 0``: on average the worst ``1 - level`` of the
  selected operators are covered, a convex stand-in for "at least ``level`` of
  them are covered" [1]_: ``exists tau: (1 - level) R tau + sum(pos(d - tau)) <= 0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import ConfigError
from .base import Built, Constraint, check_fraction
from .incentives import NoAttackPays, SubsidyCap
from .share_constraints import (
    VERIFIED,
    ConcentrationCap,
    ContributionFloor,
    MaxLoss,
    MaxUnallocated,
    MinWeight,
    NakamotoAtLeast,
    ShareCap,
    WeightBounds,
)

__all__ = ["Constraint", "Coverage", "SybilBound", "FakeDemandBound", "ShareCap", "NakamotoAtLeast",
           "ContributionFloor", "MaxLoss", "MinWeight", "WeightBounds", "MaxUnallocated", "VERIFIED",
           "default_constraints", "COVERAGE_MODES", "NoAttackPays",
           "SubsidyCap", "ConcentrationCap"]

COVERAGE_MODES = ("hard", "soft", "cvar")

#: Relative safety margin of hard coverage rows, so solver rounding never leaves an operator a hair short of its
#: cost (coverage ratios are compared with ``>= 1`` by the evaluation).
SAFETY = 1e-8


@dataclass(frozen=True)
class Coverage(Constraint):
    """Earned value covers cost for operators ``who`` (module docstring for the modes).

    Parameters
    ----------
    who : str, list or mask
        ``"active"``, ``"retail"``, ``"non_retail"``, a class, operator ids or a mask
        (:meth:`Basis.select <fairshare.optimization.basis.Basis.select>`).
    cost : {"full", "energy"}
        Energy plus depreciation, or energy only.
    mode : {"hard", "soft", "cvar"}
    level : float
        CVaR level (``cvar``), in ``[0, 1)``.
    penalty : float
        Weight of the uncovered cost fraction in the objective (``soft``).
    per_epoch : bool
        Cover every active epoch of every operator instead of the window total.
    margin : float
        Require ``(1 + margin) * cost``.
    """

    who: object = "active"
    cost: str = "full"
    mode: str = "hard"
    level: float = 0.9
    penalty: float = 1.0
    per_epoch: bool = False
    margin: float = 0.0
    money: ClassVar[bool] = True

    @property
    def knobs(self) -> tuple:
        return ("coverage_level",) if self.mode == "cvar" else ()

    def __post_init__(self):
        if self.mode not in COVERAGE_MODES:
            raise ConfigError(f"Coverage mode must be one of {', '.join(COVERAGE_MODES)}, got {self.mode!r}.")
        if self.cost not in ("full", "energy"):
            raise ConfigError(f"Coverage cost must be 'full' or 'energy', got {self.cost!r}.")
        check_fraction(self.level, "Coverage level", 0.0, 1.0 - 1e-12)
        if not (np.isfinite(self.penalty) and self.penalty >= 0):
            raise ConfigError(f"Coverage penalty must be a finite number >= 0, got {self.penalty!r}.")
        if not (np.isfinite(self.margin) and self.margin > -1):
            raise ConfigError(f"Coverage margin must be a finite number > -1, got {self.margin!r}.")

    @property
    def soft(self) -> bool:
        return self.mode == "soft"

    def rows(self, basis, flat_price: bool):
        """``(value / cost (R, C), need / cost (R,), cost (R,), labels)`` of the covered rows."""
        sel = basis.select(self.who)
        if self.per_epoch:
            price = basis.epoch_prices(flat_price)
            cost = basis.cost(self.cost, per_epoch=True)[:, sel]
            margin = basis.margin(per_epoch=True)[:, sel]
            value = basis.epoch_tokens[:, sel, :] * price[:, None, None]
            keep = cost > 0
            e_idx, k_idx = np.nonzero(keep)
            labels = [(int(basis.window[0] + e), basis.operator_ids[np.flatnonzero(sel)[k]])
                      for e, k in zip(e_idx, k_idx)]
            cost, margin, value = cost[keep], margin[keep], value[keep]
        else:
            cost, margin = basis.cost(self.cost)[sel], basis.margin()[sel]
            value = (basis.tokens if flat_price else basis.value_usd)[sel]
            keep = cost > 0
            labels = list(basis.operator_ids[np.flatnonzero(sel)[keep]])
            cost, margin, value = cost[keep], margin[keep], value[keep]
        need = (1.0 + self.margin) * cost - margin
        return value / cost[:, None], need / cost, cost, labels

    def build(self, ctx):
        cp = ctx.cp
        v, need, cost, labels = self.rows(ctx.basis, ctx.flat_price)
        data = {"v": v, "cost": cost, "labels": labels, "rows": len(labels), "scale": ctx.scale}
        label = ctx.label(self.describe())
        if not labels:
            return Built(self, label, [], {}, data)
        base = need + (SAFETY if self.mode == "hard" else 0.0)
        if self.mode == "hard" and ctx.presolve:  # drop rows met by any weights, and rows another row implies
            live = np.flatnonzero(base > 0)
            live = live[ctx.prune(v[live] / base[live, None])]
            v, base, cost = v[live], base[live], cost[live]
            data.update(v=v, cost=cost, labels=[labels[i] for i in live], pruned=True, rows=int(live.size))
            if not live.size:
                return Built(self, label, [], {}, data)
        need_p = ctx.parameter(base / ctx.scale)
        data["per_scale"] = {"need": base}
        data["flat_price"] = ctx.flat_price
        params = {"need": need_p}
        if not ctx.presolve:  # costs may change (frontiers over cost inputs): the normalised rows are Parameters
            params["v"] = ctx.parameter(v)
        short = need_p - (params["v"] if "v" in params else v) @ ctx.theta  # relative shortfall d, over the scale
        if self.mode == "hard":
            return Built(self, label, [short <= 0], params, data)
        if self.mode == "soft":  # penalty * s * weights @ pos(short), through u >= short, u >= 0
            data["weights"] = cost / cost.sum()
            data["times_scale"] = {"penalty": self.penalty}
            u = cp.Variable(len(labels), nonneg=True)
            if "v" in params:  # costs may change: the weighted penalty is one Parameter vector (DPP)
                data["times_scale"] = {"weighted": self.penalty * data["weights"]}
                params["weighted"] = ctx.parameter(self.penalty * ctx.scale * data["weights"], nonneg=True)
                return Built(self, label, [u >= short], params, data, penalty=params["weighted"] @ u)
            pen = ctx.parameter(self.penalty * ctx.scale, nonneg=True)
            params["penalty"] = pen
            return Built(self, label, [u >= short], params, data, penalty=pen * (data["weights"] @ u))
        tau = cp.Variable()
        omega = ctx.parameter((1.0 - self.level) * len(labels), nonneg=True)
        params["omega"] = omega
        data["tau"] = tau
        return Built(self, label, [omega * tau + cp.sum(cp.pos(short - tau)) <= 0], params, data)

    def shortfall(self, basis, theta, scale=1.0, flat_price=False) -> np.ndarray:
        """Relative shortfall ``d`` of every covered row at ``theta`` (<= 0 covered)."""
        v, need, _, _ = self.rows(basis, flat_price)
        return need - scale * (v @ theta)

    def slack(self, basis, theta, *, scale=1.0, flat_price=False, status_quo=None):
        d = self.shortfall(basis, theta, scale, flat_price)
        if self.mode == "soft" or d.size == 0:
            return np.zeros(1)
        if self.mode == "hard":
            return -d
        return np.array([-cvar(d, self.level)])

    def set_knob(self, built, knob, value):
        if knob != "coverage_level" or self.mode != "cvar":
            raise ConfigError(f"{self.describe()} has no knob {knob!r}; coverage_level belongs to cvar coverage.")
        level = check_fraction(value, "coverage level", 0.0, 1.0 - 1e-12)
        built.params["omega"].value = (1.0 - level) * built.data["rows"]

    def set_costs(self, built, basis):
        if built.data.get("pruned"):
            raise ConfigError("this problem was presolved for fixed costs; build it with presolve=False to "
                              "change costs (frontiers over cost inputs do).")
        if "need" not in built.params:
            return
        v, need, cost, _ = self.rows(basis, built.data.get("flat_price", False))
        if need.shape != built.params["need"].shape:
            raise ConfigError("the new costs change which operators have a cost to cover; rebuild the problem.")
        safety = SAFETY if self.mode == "hard" else 0.0
        # every row is normalised by its new cost, as a fresh build would (the CVaR and soft forms weigh by it)
        built.params["v"].value = v
        built.data.update(v=v, cost=cost)
        if "weighted" in built.params:
            built.data["weights"] = cost / cost.sum()
            built.data["times_scale"]["weighted"] = self.penalty * built.data["weights"]
        built.data["per_scale"]["need"] = need + safety
        self.rescale(built, built.data["scale"])

    def sensitivities(self, built, theta, scale):
        if not built.data["rows"]:
            return {"scale": 0.0}
        earned = built.data["v"] @ theta  # per unit scale
        need = built.params["need"].value  # need / scale
        if self.mode == "hard":  # L = f + lam (need / s - v theta): dL/ds = -lam need / s**2
            lam = built.duals()[0]
            return {"scale": float(-(lam * need).sum() / scale), "need_usd": lam / (built.data["cost"] * scale)}
        short = need - earned
        if self.mode == "soft":  # penalty * sum(w pos(need - s v theta)): derivative -penalty * sum_short(w v theta)
            w = built.data["weights"] * (short > 0)
            return {"scale": float(-self.penalty * (w * earned).sum())}
        mu = float(built.duals()[0].sum())
        tau = float(built.data["tau"].value)
        tail = short - tau > 0
        return {"scale": float(-mu * need[tail].sum() / scale),
                "coverage_level": float(-mu * tau * built.data["rows"])}

    def describe(self):
        who = self.who if isinstance(self.who, str) else f"{len(np.atleast_1d(self.who))} chosen operators"
        what = "full cost" if self.cost == "full" else "energy"
        how = {"hard": "hard", "soft": f"soft (penalty {self.penalty:g})",
               "cvar": f"CVaR at {self.level:.0%}"}[self.mode]
        extra = (", per epoch" if self.per_epoch else "") + (f", margin {self.margin:+.0%}" if self.margin else "")
        return f"coverage of {what} for {who} operators, {how}{extra}"


def cvar(d: np.ndarray, level: float) -> float:
    """CVaR at ``level`` of equally likely values ``d``: ``min_tau tau + sum(pos(d - tau)) / ((1 - level) n)``."""
    d = np.sort(np.asarray(d, dtype=np.float64))
    n = d.size
    omega = (1.0 - level) * n
    tail = np.cumsum(d[::-1])[::-1]  # tail[i] = sum(d[i:])
    values = omega * d + (tail - d * (n - np.arange(n)))  # candidate tau = d[i]; the minimum is at one
    return float(values.min() / omega)


@dataclass(frozen=True)
class SybilBound(Constraint):
    """One more identity earns at most ``identity_cost_usd`` per epoch from per-identity components.

    A new node key with work earns an equal share of ``identity_floor`` and,
    online all epoch, a share of ``availability`` (``include_availability``);
    splitting one node into k keys multiplies both claims, so per-identity pay
    above what an identity costs to stand up is a Sybil hole. The bound holds for
    the window's mean pay per epoch, or in every epoch with ``per_epoch=True``
    (stricter when prices move).

    ``identity_cost_usd`` is what the protocol makes one more key cost (registration
    burn, bonded stake times the cost of capital, attestation): a protocol parameter,
    never derived from honest operators' running costs. Unstated it is 0, and then no
    per-identity pay is allowed. :class:`NoAttackPays` bounds these and every other attack.

    Parameters
    ----------
    identity_cost_usd : float, default 0.0
        What standing up one more identity costs, USD per epoch; finite and >= 0.
    include_availability : bool, default True
        Count the ``availability`` component as a per-identity claim (only ``identity_floor`` when False).
    per_epoch : bool, default False
        Bound the pay of every epoch instead of the window's mean pay per epoch.
    """

    identity_cost_usd: float = 0.0
    include_availability: bool = True
    per_epoch: bool = False
    knobs: ClassVar[tuple] = ("identity_cost_usd",)
    money: ClassVar[bool] = True

    def __post_init__(self):
        c = self.identity_cost_usd
        if isinstance(c, bool) or not isinstance(c, (int, float, np.integer, np.floating)) or not (
                np.isfinite(c) and c >= 0):
            raise ConfigError(f"SybilBound identity_cost_usd must be a finite number >= 0, got {c!r}.")

    def cost(self, basis) -> float:
        return float(self.identity_cost_usd)

    def rows(self, basis, flat_price: bool) -> np.ndarray:
        """``(R, C)`` USD per unit weight one more identity earns (per epoch, or the window mean)."""
        rows = basis.identity_tokens * basis.epoch_prices(flat_price)[:, None]
        if not self.include_availability and "availability" in basis.components:
            rows[:, basis.index("availability")] = 0.0
        if not self.per_epoch:
            rows = rows.mean(axis=0, keepdims=True)
        return rows[rows.sum(axis=1) > 0]

    def build(self, ctx):
        rows = self.rows(ctx.basis, ctx.flat_price)
        label = ctx.label(self.describe())
        if rows.size == 0:
            return Built(self, label, [], {}, {"norm": 1.0})
        norm = float(rows.max())
        base = self.cost(ctx.basis) / norm
        cost = ctx.parameter(base / ctx.scale)
        cons = [(rows / norm) @ ctx.theta <= cost]
        return Built(self, label, cons, {"cost": cost},
                     {"rows": rows / norm, "norm": norm, "per_scale": {"cost": base}, "scale": ctx.scale})

    def slack(self, basis, theta, *, scale=1.0, flat_price=False, status_quo=None):
        rows = self.rows(basis, flat_price)
        if rows.size == 0:
            return np.zeros(1)
        norm = float(rows.max())
        return (self.cost(basis) - scale * (rows @ theta)) / norm

    def set_knob(self, built, knob, value):
        if knob != "identity_cost_usd":
            super().set_knob(built, knob, value)
        if "cost" in built.params:
            built.data["per_scale"]["cost"] = float(value) / built.data["norm"]
            self.rescale(built, built.data["scale"])

    def sensitivities(self, built, theta, scale):
        if "cost" not in built.params:
            return {"scale": 0.0}
        mu = built.duals()[0]  # L = f + mu (rows theta - c / s)
        return {"scale": float(mu.sum() * built.params["cost"].value / scale),
                "identity_cost_usd": float(-mu.sum() / (built.data["norm"] * scale))}

    def describe(self):
        c = f"${self.identity_cost_usd:g}"
        when = "in every epoch" if self.per_epoch else "per epoch on average"
        return f"Sybil bound: one more identity earns at most {c} {when}"


@dataclass(frozen=True)
class FakeDemandBound(Constraint):
    """Fake demand gains at most ``max_gain`` dollars of reward per dollar spent.

    The fake demand is the one ``fs.evaluate`` replays (the median working node
    buys ``fake_fraction`` more of its own work, paying the mean fee per work unit
    and its marginal energy); its gain is linear in the weights
    (:class:`~fairshare.optimization.basis.Basis`), so the scoreboard's
    ``fake_demand_gain`` of the result is at most ``max_gain``. ``max_gain = 1``:
    buying one's own inference never pays.

    Parameters
    ----------
    max_gain : float, default 1.0
        Largest reward, in USD, the fake demand may earn per USD spent on it; finite and >= 0.
    """

    max_gain: float = 1.0
    knobs: ClassVar[tuple] = ("max_gain",)
    money: ClassVar[bool] = True

    def __post_init__(self):
        if not (np.isfinite(self.max_gain) and self.max_gain >= 0):
            raise ConfigError(f"FakeDemandBound max_gain must be a finite number >= 0, got {self.max_gain!r}.")

    def row(self, basis, flat_price: bool) -> np.ndarray:
        if basis.fake_tokens is None or not np.isfinite(basis.fake_spend_usd) or basis.fake_spend_usd <= 0:
            raise ConfigError("FakeDemandBound needs the fake-demand replay of a history: build the problem from a "
                              "History (node power and tariffs), or drop the constraint.")
        return (basis.fake_tokens * basis.epoch_prices(flat_price)[:, None]).sum(axis=0) / basis.fake_spend_usd

    def build(self, ctx):
        g = self.row(ctx.basis, ctx.flat_price)
        cap = ctx.parameter(self.max_gain / ctx.scale)
        return Built(self, ctx.label(self.describe()), [g @ ctx.theta <= cap], {"cap": cap},
                     {"g": g, "per_scale": {"cap": self.max_gain}, "scale": ctx.scale})

    def slack(self, basis, theta, *, scale=1.0, flat_price=False, status_quo=None):
        return np.array([self.max_gain - scale * (self.row(basis, flat_price) @ theta)])

    def set_knob(self, built, knob, value):
        if knob != "max_gain":
            super().set_knob(built, knob, value)
        built.data["per_scale"]["cap"] = float(value)
        self.rescale(built, built.data["scale"])

    def sensitivities(self, built, theta, scale):
        mu = float(built.duals()[0].sum())  # L = f + mu (g theta - max_gain / s)
        return {"scale": mu * float(built.params["cap"].value) / scale, "max_gain": -mu / scale}

    def describe(self):
        return f"fee-linked cap: fake-demand gain <= {self.max_gain:g}"


def default_constraints(identity_cost_usd: float = 0.0, cvar_level: float = 0.9,
                        contribution_floor: float = 0.25, attack_costs=None,
                        subsidy_margin: float = 0.25) -> list[Constraint]:
    """The default problem's constraints (see :func:`fairshare.optimization.optimize`).

    Hard full-cost coverage for active retail operators; energy-only coverage
    for the other active operators at a CVaR level; a contribution floor on
    work-proportional rewards; concentration no higher than the status quo's
    (:class:`ConcentrationCap`); subsidy components paying no class more than
    ``1 + subsidy_margin`` times its cost (:class:`SubsidyCap`); no attack of the
    library pays (:class:`NoAttackPays`).

    Parameters
    ----------
    identity_cost_usd : float, default 0.0
        What the protocol makes one more key cost, USD per key per epoch (a protocol parameter; 0
        when unstated). Ignored when ``attack_costs`` is given (which carries its own).
    cvar_level : float, default 0.9
        CVaR level, in [0, 1), of the energy-only coverage of non-retail operators.
    contribution_floor : float, default 0.25
        ``fraction`` of the :class:`ContributionFloor` on work-proportional rewards.
    attack_costs : fairshare.attacks.AttackCosts, optional
        Every cost the attacks are priced at (default: ``AttackCosts(identity_cost_usd=identity_cost_usd)``).
    subsidy_margin : float, default 0.25
        ``margin`` of the :class:`SubsidyCap`.
    """
    from ..attacks import AttackCosts

    if attack_costs is None:
        attack_costs = AttackCosts(identity_cost_usd=identity_cost_usd)
    elif identity_cost_usd != attack_costs.identity_cost_usd and identity_cost_usd:
        raise ConfigError(f"identity_cost_usd={identity_cost_usd!r} disagrees with attack_costs' "
                          f"{attack_costs.identity_cost_usd!r}; give it once, in attack_costs.")
    return [Coverage(who="retail", cost="full", mode="hard"),
            Coverage(who="non_retail", cost="energy", mode="cvar", level=cvar_level),
            ContributionFloor(fraction=contribution_floor),
            ConcentrationCap(),
            SubsidyCap(margin=subsidy_margin),
            NoAttackPays(attack_costs)]
