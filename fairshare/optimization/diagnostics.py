"""Diagnostics: why a problem is infeasible, what would fix it, and what each constraint costs.

Every USD amount a rule pays scales with ``s`` = budget multiplier (times the
token price when it is flat). With ``phi = s * theta`` every hard constraint is
convex in ``phi`` and ``sum(phi) = s`` (:mod:`fairshare.optimization._context`), so

- the smallest ``s`` at which the constraints can hold is ``min sum(phi)``, one
  convex problem; the largest (upper limits such as the Sybil bound and the
  fee-linked cap tighten as ``s`` grows) is ``max sum(phi)``;
- at a flat price the same problem built on token values gives the smallest
  flat price directly;
- when no ``s`` works, the constraints whose removal alone restores feasibility
  are named, and coverage rows that no allowed component pays at all (for
  example operators with no work) are listed.

Shadow prices come from the duals of the last solve (envelope theorem, see
:mod:`fairshare.optimization.base`) and are read in plain language.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InfeasibleError
from ._solver import cvxpy, solve
from .base import BINDING_TOL
from .problem import EmissionProblem

__all__ = ["ScaleRange", "scale_range", "infeasible_error", "full_coverage", "sensitivity_table", "uncoverable"]

#: Above this multiple of the current scale the upper end counts as unbounded.
_BIG = 1e6


class ScaleRange(dict):
    """``{"min", "max", "feasible", "conflicts", "uncoverable", "relaxed"}``: ``relaxed`` maps each hard
    constraint's description to the ``(min, max)`` scale of the others (``(nan, 0)`` when they fail too),
    filled when the whole set is infeasible."""


def _homogeneous(spec: dict, constraints, flat_price) -> EmissionProblem:
    return EmissionProblem(spec["bases"], "hhi", [c for c in constraints if not c.soft], allowed=spec["allowed"],
                           status_quo=spec["status_quo"], flat_price=flat_price, homogeneous=True,
                           solver=spec.get("solver"))


def scale_range(spec: dict, constraints, flat: bool = False) -> ScaleRange:
    """Smallest and largest USD scale at which the hard constraints hold (see the module docstring).

    ``spec`` holds ``bases``, ``allowed``, ``status_quo`` and ``solver``. With
    ``flat`` the scale is the flat token price times the budget multiplier.
    Share constraints alone are scale-free, so ``phi = 0`` meets them: the
    constraints hold at some positive scale only when ``max sum(phi) > 0``.

    Parameters
    ----------
    spec : dict
        A problem spec (:func:`~fairshare.optimization.solve.problem_spec`): ``bases``, ``allowed``,
        ``status_quo`` and ``solver`` are read.
    constraints : list of Constraint
        The constraints; soft ones are left out.
    flat : bool, default False
        Measure the scale as a flat token price times the budget multiplier instead of a multiple of the
        history's prices.
    """
    lo, hi = _interval(spec, constraints, flat)
    out = ScaleRange(min=lo, max=hi, feasible=hi > 0, conflicts=[], uncoverable=uncoverable(spec, constraints),
                     relaxed={})
    if not out["feasible"]:
        for i, con in enumerate(constraints):
            if con.soft or type(con).__name__ == "MaxUnallocated":
                continue
            rest = [c for j, c in enumerate(constraints) if j != i]
            lo_i, hi_i = _interval(spec, rest, flat)
            out["relaxed"][con.describe()] = (lo_i, hi_i)
            if hi_i > 0:
                out["conflicts"].append(con.describe())
    return out


def _interval(spec: dict, constraints, flat: bool) -> tuple[float, float]:
    """``(min, max)`` of ``sum(phi)`` over the homogeneous form; ``(nan, 0)`` when nothing is feasible."""
    cp = cvxpy()
    hom = _homogeneous(spec, constraints, 1.0 if flat else None)
    if solve(hom.problem, spec.get("solver"), what="the feasibility diagnosis").status == "infeasible":
        return float("nan"), 0.0
    low = max(float(hom.problem.value), 0.0)
    upper = cp.Problem(cp.Maximize(cp.sum(hom.theta)), hom.problem.constraints + [cp.sum(hom.theta) <= _BIG])
    if solve(upper, spec.get("solver"), what="the feasibility diagnosis").status == "infeasible":
        return float("nan"), 0.0
    top = float(upper.value)
    if top <= 1e-9 * max(low, 1.0):
        return float("nan"), 0.0
    return low, float("inf") if top >= _BIG * (1 - 1e-6) else top


def uncoverable(spec: dict, constraints) -> list:
    """Operators in hard coverage that no allowed component pays (no rule in the family can cover them).

    Parameters
    ----------
    spec : dict
        A problem spec; its ``bases`` and ``allowed`` components are read.
    constraints : list of Constraint
        The constraints; only hard :class:`~fairshare.optimization.constraints.Coverage` ones count.
    """
    found = []
    for con in constraints:
        if getattr(con, "mode", None) != "hard":
            continue
        for basis in spec["bases"].values():
            v, need, _, labels = con.rows(basis, False)
            dead = (v[:, spec["allowed"]].sum(axis=1) <= 0) & (need > 0)
            found.extend(labels[i] for i in np.flatnonzero(dead))
    return list(dict.fromkeys(found))


def infeasible_error(spec: dict, constraints, state: dict) -> InfeasibleError:
    """An :class:`InfeasibleError` saying by how much, for whom, and what to change.

    ``state`` holds ``scale`` (current), ``budget_multiplier``, ``flat_price``
    (or None) and ``mean_emission`` (tokens per epoch of the schedule).

    Parameters
    ----------
    spec : dict
        The problem spec that proved infeasible.
    constraints : list of Constraint
        Its constraints (soft ones are named but not diagnosed).
    state : dict
        The problem's knobs when it failed (see above).
    """
    flat = state["flat_price"] is not None
    rng = scale_range(spec, constraints, flat=flat)
    s0, b0 = state["scale"], state["budget_multiplier"]
    names = "; ".join(c.describe() for c in constraints if not c.soft)
    err_attrs = {"uncoverable": rng["uncoverable"], "conflicts": rng["conflicts"],
                 "min_price_multiplier": float("nan"), "max_price_multiplier": float("nan"),
                 "min_budget_tokens_per_epoch": float("nan"), "min_flat_price_usd": float("nan")}
    price = f"a flat price of ${state['flat_price']:.4g}" if flat else "the history's token prices"
    others = [n for n in spec["bases"] if n not in ("", "history")]
    every = f" (and in the scenarios {', '.join(others)})" if others else ""
    lines = [f"No emission weights satisfy the constraints ({names}) at this budget "
             f"({b0 * state['mean_emission']:,.0f} tokens per epoch) and {price}{every}."]
    if rng["feasible"]:
        ratio = rng["min"] / s0
        err_attrs.update(min_price_multiplier=ratio, max_price_multiplier=rng["max"] / s0,
                         min_budget_tokens_per_epoch=ratio * b0 * state["mean_emission"])
        if flat:
            err_attrs["min_flat_price_usd"] = rng["min"] / b0
        else:
            flat_rng = scale_range(spec, constraints, flat=True)
            err_attrs["min_flat_price_usd"] = flat_rng["min"] / b0 if flat_rng["feasible"] else float("nan")
        if ratio > 1:
            at_flat = (f"; with one flat price in every epoch, from ${err_attrs['min_flat_price_usd']:.4g}"
                       if not flat and np.isfinite(err_attrs["min_flat_price_usd"]) else "")
            lines.append(f"They become feasible from a budget of {err_attrs['min_budget_tokens_per_epoch']:,.0f} "
                         f"tokens per epoch ({ratio:.3f}x this one), or at token prices {ratio:.3f}x these"
                         f"{at_flat}.")
        if rng["max"] < s0:
            lines.append(f"Upper limits (no attack pays, Sybil bound, fee-linked cap) hold only up to "
                         f"{rng['max'] / s0:.3f}x this budget ({rng['max'] / s0 * b0 * state['mean_emission']:,.0f} "
                         "tokens per epoch): lower the budget or price, leave emission unallocated, or make "
                         "attacks dearer (identity_cost_usd, the protocol's take of fees, verified work).")
        if rng["min"] <= s0 <= rng["max"]:
            lines.append("The diagnosis finds weights at this budget, so the solver's verdict is numerical: "
                         "retry with solver='SCS'.")
    else:
        lines.append("No budget or price makes them feasible.")
        if rng["conflicts"]:
            lines.append("Dropping any one of these restores feasibility at some budget: "
                         + "; ".join(rng["conflicts"]) + ".")
    if rng["uncoverable"]:
        shown = ", ".join(map(str, rng["uncoverable"][:8]))
        more = f" and {len(rng['uncoverable']) - 8} more" if len(rng["uncoverable"]) > 8 else ""
        lines.append(f"{len(rng['uncoverable'])} operators cannot be covered by any rule in the family (no allowed "
                     f"component pays them, e.g. no work): {shown}{more}. Leave them out of hard coverage "
                     "(Coverage(who=[...])) or allow a component that pays them.")
    lines += _attack_changes(spec, constraints, s0, flat, err_attrs)
    per_scale = b0 * state["mean_emission"] / s0  # tokens per epoch of one unit of scale
    err_attrs["relaxations"] = pd.DataFrame(
        [{"dropped": name, "others_feasible": bool(hi > 0),
          "from_budget_tokens_per_epoch": lo * per_scale if hi > 0 else float("nan"),
          "to_budget_tokens_per_epoch": ((hi * per_scale if hi < _BIG * s0 else float("inf")) if hi > 0
                                         else float("nan"))}
         for name, (lo, hi) in rng.get("relaxed", {}).items()],
        columns=["dropped", "others_feasible", "from_budget_tokens_per_epoch", "to_budget_tokens_per_epoch"])
    extra = [c for c in constraints if type(c).__name__ == "MaxUnallocated"]
    err_attrs["full_coverage"] = full_coverage(spec, extra)
    fc = err_attrs["full_coverage"]
    if np.isfinite(fc["rule_budget_tokens_per_epoch"]):
        lines.append(f"For scale: covering every active operator's full cost (and nothing else) would need "
                     f"{fc['rule_budget_tokens_per_epoch']:,.0f} tokens per epoch with a rule of this family "
                     f"({fc['oracle_budget_tokens_per_epoch']:,.0f} with any payment vector).")
    err = InfeasibleError(" ".join(lines))
    for k, v in err_attrs.items():
        setattr(err, k, v)
    return err


def _feasible_at(spec: dict, constraints, scale: float, flat: bool) -> bool:
    lo, hi = _interval(spec, constraints, flat)
    return hi > 0 and lo <= scale * (1 + 1e-9) and scale <= hi * (1 + 1e-9)


def _attack_changes(spec: dict, constraints, s0: float, flat: bool, attrs: dict) -> list[str]:
    """What would make a problem with ``NoAttackPays`` feasible at this budget: the identity cost the protocol
    must enforce (searched over $0.001 to $1,000,000 per key per epoch), or the share of fees it must keep.

    Sets ``min_identity_cost_usd`` (NaN when no identity cost is enough) and ``min_take_rate`` (the protocol's
    share of fees that would do with keys priced out; NaN when none would) on ``attrs``.
    """
    from dataclasses import replace

    from .constraints import NoAttackPays

    attrs.update(min_identity_cost_usd=float("nan"), min_take_rate=float("nan"))
    found = [i for i, c in enumerate(constraints) if isinstance(c, NoAttackPays)]
    if not found:
        return []
    i = found[0]
    con = constraints[i]

    def with_costs(**change):
        out = list(constraints)
        out[i] = NoAttackPays(replace(con.attack_costs, **change))
        return out

    lines = []
    top = 1e6
    if _feasible_at(spec, with_costs(identity_cost_usd=top), s0, flat):
        lo, hi = max(con.attack_costs.identity_cost_usd, 1e-3), top
        for _ in range(24):  # bisection on a log scale, to about 0.2% of the answer
            mid = float(np.sqrt(lo * hi))
            lo, hi = (lo, mid) if _feasible_at(spec, with_costs(identity_cost_usd=mid), s0, flat) else (mid, hi)
        attrs["min_identity_cost_usd"] = hi
        lines.append(f"An identity cost of ${hi:,.4g} per key per epoch enforced by the protocol would make them "
                     "feasible at this budget (other attack costs as stated).")
    else:
        lines.append("No identity cost alone makes them feasible: attacks that need no new key (fake demand, "
                     "self-paid fees, model misreports, stake timing) pay at this budget.")
        take = con.attack_costs.take_rate
        if take < 1.0 and _feasible_at(spec, with_costs(identity_cost_usd=top, take_rate=1.0), s0, flat):
            lo, hi = take, 1.0
            for _ in range(10):  # to 0.1% of the fees
                mid = 0.5 * (lo + hi)
                lo, hi = (lo, mid) if _feasible_at(spec, with_costs(identity_cost_usd=top, take_rate=mid), s0,
                                                   flat) else (mid, hi)
            attrs["min_take_rate"] = hi
            lines.append(f"With keys priced out (a prohibitive identity cost), a protocol keeping {hi:.1%} of every "
                         "fee (so fake demand costs what it earns) would make them feasible.")
        else:
            attrs["min_take_rate"] = float("nan")
            lines.append("Not even a protocol keeping every fee with keys priced out would: verify work (TEE or "
                         "ZKML), lower the budget or leave emission unallocated.")
    return lines


def full_coverage(spec: dict, extra=()) -> dict:
    """What covering every active operator's full cost would take, in the family and for any payment.

    Returns budgets (tokens per epoch at the schedule's prices) and flat prices
    (at the schedule's emission) for the ``Linear`` family (with ``extra``
    constraints, e.g. ``MaxUnallocated``) and the oracle lower bound (each
    operator paid exactly its uncovered cost).

    Parameters
    ----------
    spec : dict
        A problem spec; the first basis is used.
    extra : sequence of Constraint, default ()
        Constraints that hold alongside full coverage in the family (for example ``MaxUnallocated``).
    """
    from .constraints import Coverage

    cons = [Coverage(who="active", cost="full", mode="hard"), *extra]
    basis = next(iter(spec["bases"].values()))
    mean_e = float(basis.emission_per_epoch.mean())
    hist = scale_range(spec, cons)
    flat = scale_range(spec, cons, flat=True)
    need = (basis.cost("full") - basis.margin())[basis.active]
    gap_usd = float(np.clip(need, 0, None).sum())
    return {
        "rule_budget_tokens_per_epoch": hist["min"] * mean_e if hist["feasible"] else float("inf"),
        "rule_price_multiplier": hist["min"] if hist["feasible"] else float("inf"),
        "rule_flat_price_usd": flat["min"] if flat["feasible"] else float("inf"),
        "rule_uncoverable": hist["uncoverable"],
        "oracle_budget_tokens_per_epoch": gap_usd / basis.emission_value_usd * mean_e,
        "oracle_price_multiplier": gap_usd / basis.emission_value_usd,
        "oracle_flat_price_usd": gap_usd / basis.emission_tokens,
    }


def sensitivity_table(problem: EmissionProblem, theta: np.ndarray, objective_name: str, mean_emission: float,
                      mean_price: float) -> tuple[list[dict], dict]:
    """Per-constraint binding status, slack, duals and readings; and the budget and price sensitivities.

    Parameters
    ----------
    problem : EmissionProblem
        The problem, just solved.
    theta : ndarray, shape (C,)
        The weights found.
    objective_name : str
        The objective, described, for the plain-language readings.
    mean_emission : float
        Mean emission of the schedule, tokens per epoch.
    mean_price : float
        Mean token price of the window, USD (used when the problem has no flat price).
    """
    rows, d_scale = [], 0.0
    s = float(problem.scale.value)
    per_scale_token = (s / problem.budget_multiplier) / mean_emission  # d scale / d (token per epoch)
    for b in problem.built:
        con = b.owner
        basis = problem.bases[b.data["scenario"]]
        slack = con.slack(basis, theta, scale=s, flat_price=problem.flat_price is not None,
                          status_quo=problem.status_quo)
        sens = con.sensitivities(b, theta, s) if b.constraints or b.penalty is not None else {"scale": 0.0}
        d_scale += sens.get("scale", 0.0)
        tight = int((slack <= BINDING_TOL).sum())
        knobs = {k: v for k, v in sens.items() if k not in ("scale", "need_usd")}
        knob, shadow = next(iter(knobs.items()), (None, float("nan")))
        per_token = sens.get("scale", 0.0) * per_scale_token
        rows.append({"constraint": b.label, "binding": bool(tight) and not con.soft, "binding_rows": tight,
                     "rows": int(slack.size), "min_slack": float(slack.min()) if slack.size else float("nan"),
                     "knob": knob, "shadow_price": shadow, "d_objective_per_token_per_epoch": per_token,
                     "reading": _reading(con, sens, objective_name, tight, per_token)})
    b0 = problem.budget_multiplier
    per_token = d_scale * per_scale_token
    # d scale / d price: b at a flat price; b / (mean price) per dollar of the flat-equivalent price otherwise
    per_cent = d_scale * b0 * 0.01 / (1.0 if problem.flat_price is not None else mean_price)
    return rows, {"d_objective_d_scale": d_scale, "per_token_per_epoch": per_token, "per_price_cent": per_cent}


def _reading(con, sens: dict, name: str, tight: int, per_token: float) -> str:
    """Plain-language reading of one constraint's sensitivity."""
    if not tight and not con.soft:
        return "not binding: changing it a little changes nothing."
    parts = []
    if per_token:
        parts.append(f"through it, one more token of emission per epoch {'lowers' if per_token < 0 else 'raises'} "
                     f"{name} by {abs(per_token):.3g}")
    for knob, value in sens.items():
        if knob in ("scale", "need_usd") or not np.isfinite(value):
            continue
        step, unit = _STEPS.get(knob, (1.0, f"one unit of {knob}"))
        parts.append(f"{unit} {'raises' if value * step > 0 else 'lowers'} {name} by {abs(value * step):.3g}")
    if "need_usd" in sens:
        lam = np.asarray(sens["need_usd"])
        if lam.size and lam.max() > 0:
            parts.append(f"binding for {tight} rows; one more USD of cost to cover for the most constraining one "
                         f"raises {name} by {lam.max():.3g}")
    return "; ".join(parts) if parts else "binding."


_STEPS = {
    "coverage_level": (0.01, "raising the coverage level by 1 point"),
    "contribution_floor": (0.01, "raising the contribution floor by 1 point"),
    "identity_cost_usd": (1.0, "allowing $1 more per identity per epoch"),
    "take_rate": (0.01, "the protocol keeping 1 point more of every fee"),
    "max_gain": (0.1, "allowing 0.1 more fake-demand gain"),
    "subsidy_margin": (0.1, "allowing subsidy pay 0.1 more of a class's cost"),
    "max_share": (0.01, "raising the share cap by 1 point"),
    "nakamoto_threshold": (0.01, "raising the Nakamoto threshold by 1 point"),
    "max_loss_pct": (1.0, "allowing 1 more percent of loss"),
    "min_weight": (0.01, "requiring 1 more point of weight"),
}
