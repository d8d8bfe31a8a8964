"""``fs.optimize``: the emission weights closest to a defensible rule that meet the constraints.

The default problem (every part can be changed):

- objective: stay as close as possible to proportional-to-work, the one rule with no incentive to split
  or merge anonymous identities (:class:`~fairshare.optimization.objectives.DistanceFromProportional`:
  the share of the emission that moves between operators against it);
- hard full-cost coverage for active retail operators;
- energy-only coverage for the other active operators at CVaR level 0.9;
- a contribution floor: every active operator keeps 25% of its work-proportional reward;
- robust over a price band: every constraint also holds with the history's prices halved and doubled
  (:data:`DEFAULT_PRICE_BAND`), and the objective is the worst of the three;
- no attack of the library pays (:class:`~fairshare.optimization.constraints.NoAttackPays`) at the stated
  identity cost (0 when unstated) and protocol take;
- nothing unallocated.

When no rule of the family meets it, :class:`~fairshare.errors.InfeasibleError` says what would
have to change: the budget or price, the identity cost the protocol must enforce, the share of
fees it must keep, and for whom coverage cannot be had at all. On the built-in open-inference
network with nothing stated it cannot be had: emission pays more per unit of work, task or fee than
faking that unit costs.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .._version import version
from ..attacks import AttackCosts
from ..data.history import History
from ..errors import ConfigError, InfeasibleError
from ..features import Features
from ..formulas import COMPONENTS, Linear
from ..formulas import STATUS_QUO as _STATUS_QUO_RULE
from .basis import Basis
from .constraints import ContributionFloor, Coverage, MaxLoss, MaxUnallocated, ShareCap, default_constraints
from .diagnostics import full_coverage, infeasible_error, sensitivity_table
from .objectives import as_objective
from .oracle import allocate
from .problem import EmissionProblem
from .result import EmissionResult, clean_weights

__all__ = ["optimize", "STATUS_QUO_WEIGHTS", "problem_spec"]

#: Token price multipliers the default problem holds over (its worst case): the price halving or doubling over
#: the window, a stated assumption (change it with ``price_band=``).
DEFAULT_PRICE_BAND = (0.5, 2.0)

#: Largest weight change of the second stage that is still solver round-off: above it, several weight vectors
#: reach the optimum (the result says so and returns the one closest to the status quo).
SEVERAL = 1e-4

#: fairshare's reference stake-and-work rule, the default status quo.
STATUS_QUO_WEIGHTS = dict(_STATUS_QUO_RULE.weights)


def optimize(data, components=None, objective="distance_from_proportional", constraints="default", window="all", *,
             status_quo=None,
             budget: float | None = None, price: float | None = None, scenarios: dict | None = None,
             costs=None, classes=None, evaluator=None, solver: str | None = None,
             identity_cost_usd: float | None = None, attack_costs=None, max_unallocated: float = 0.0,
             depreciation: str = "straight_line", max_retail_nodes: int = 3, fake_fraction: float = 0.1,
             oracle: bool = True, price_band="default") -> EmissionResult:
    """Optimise emission weights over components (a ``Linear`` rule).

    Parameters
    ----------
    data : History, Features or Basis
        Node-level ``Features`` need ``costs=fs.economics.node_costs(history, features)``.
    components : list of str, optional
        Components the rule may weight (default all of ``formulas.COMPONENTS``).
    objective : str, Term or Objective
        ``"distance_from_proportional"`` (default: to work), ``"hhi"``, ``"max_share"``, ``"top_k_share"``,
        ``"gini"``, ``"theil"``, ``"alpha_fair"``, or a weighted sum such as ``0.5 * HHI() + 0.5 * Gini()``.
    constraints : "default" or list of Constraint
        ``"default"``: :func:`~fairshare.optimization.constraints.default_constraints`.
        ``MaxUnallocated(max_unallocated)`` is added unless one is given.
    window : "all", int or (first, last)
        Epochs the rewards and costs are summed over.
    status_quo : Linear or dict, optional
        Baseline rule (default ``Linear({"stake": 0.5, "work": 0.5})``).
    budget : float, optional
        Emission in tokens per epoch (mean over the window); the schedule is scaled to it.
    price : float, optional
        A flat token price (USD) instead of the history's prices.
    scenarios : dict, optional
        Worst-case optimisation: ``{name: {"price_multiplier": m, "emission_multiplier": b,
        "history": other_history}}``; every scenario's constraints hold and the largest
        scenario objective is minimised. The base case is the scenario ``"history"``.
    costs, classes : Costs and Series, optional
        For ``Features`` input: node-level costs and operator classes.
    evaluator : callable, optional
        ``evaluator(history, rules) -> Evaluation`` (pass ``fs.evaluate``) to attach the scoreboard
        rows of the status quo and the optimum. It replays the rules on the history with the
        history's own prices and whole window (to compare a flat-price problem, give a history
        whose market table has that price); with a price band, also rows ``optimum at <m>x the
        history's prices`` for each end of the band.
    solver : str, optional
        cvxpy solver (default Clarabel).
    identity_cost_usd : float, optional
        What the protocol makes one more key cost, USD per key per epoch, for the default problem's
        :class:`~fairshare.optimization.constraints.NoAttackPays` (a protocol parameter). None: the value
        the history's dataset states, else 0.
    attack_costs : fairshare.attacks.AttackCosts, optional
        Every cost the default problem's attacks are priced at (identity cost, take, gas, cost of
        capital, capacity proofs); default ``AttackCosts(identity_cost_usd=identity_cost_usd)``.
    max_unallocated : float
        Largest share of the emission the rule may leave unpaid.
    depreciation : {"straight_line", "declining_balance"}, default "straight_line"
        Depreciation method of the costs built from a History (and from scenario histories).
    max_retail_nodes : int, default 3
        Operators with at most this many nodes, all at home, are retail (History input and
        scenario histories; ``classes`` gives the classes of Features input).
    fake_fraction : float, default 0.1
        The fake demand the fake-demand bound prices: the share of its own work the median
        working node buys from itself (History and Features input; a Basis brings its own).
    oracle : bool
        Compute the per-operator oracle and the price of simplicity.
    price_band : "default", None or (float, float)
        Price multipliers ``(low, high)`` of the history's prices every constraint must also hold at
        (worst-case scenarios ``price_low`` and ``price_high``; the objective is the worst of the three).
        ``"default"``: :data:`DEFAULT_PRICE_BAND` for the default problem at the history's prices, none
        otherwise.

    Returns
    -------
    EmissionResult

    Raises
    ------
    InfeasibleError
        With ``min_budget_tokens_per_epoch``, ``min_price_multiplier``, ``min_flat_price_usd``,
        ``uncoverable`` (operator ids) and ``conflicts`` (constraints); with ``NoAttackPays`` also
        ``min_identity_cost_usd`` and ``min_take_rate`` (NaN where none would do).
    UnboundedError, SolverFailedError
        Naming the solver and a fallback.

    Examples
    --------
    >>> import fairshare as fs
    >>> h = fs.datasets.open_inference_network(seed=0, scale="small")
    >>> try:
    ...     fs.optimize(h)
    ... except fs.errors.InfeasibleError as err:
    ...     table = err.relaxations  # each constraint dropped in turn: do the others hold, and at which budgets?
    >>> table.loc[table["others_feasible"], "dropped"].str.split(",").str[0].tolist()
    ['coverage of full cost for retail operators', 'no attack pays (identity cost $0 per key per epoch']
    >>> from fairshare.optimization import NoAttackPays
    >>> res = fs.optimize(h, constraints=[NoAttackPays()], budget=30.0)
    >>> abs(sum(res.formula.weights.values()) - 1.0) < 1e-9
    True
    """
    spec = problem_spec(data, components, constraints, window, status_quo=status_quo, budget=budget, price=price,
                   scenarios=scenarios, costs=costs, classes=classes, solver=solver,
                   identity_cost_usd=identity_cost_usd, attack_costs=attack_costs, max_unallocated=max_unallocated,
                   depreciation=depreciation, max_retail_nodes=max_retail_nodes, fake_fraction=fake_fraction,
                   price_band=price_band)
    obj = as_objective(objective)
    problem = EmissionProblem(spec["bases"], obj, spec["constraints"], allowed=spec["allowed"],
                              status_quo=spec["status_quo"], flat_price=price,
                              budget_multiplier=spec["budget_multiplier"], solver=solver)
    sol = problem.solve(warm_start=False)
    if sol.status == "infeasible":
        raise infeasible_error(spec, spec["constraints"], {
            "scale": float(problem.scale.value), "budget_multiplier": problem.budget_multiplier,
            "flat_price": price, "mean_emission": spec["mean_emission"]})
    sol, spread = problem.unique(sol)
    result = assemble(problem, sol, spec, obj, evaluator=evaluator, with_oracle=oracle)
    result.solver.update(optimum_spread=spread, several_optima=bool(spread > SEVERAL) if np.isfinite(spread) else None)
    return result


def problem_spec(data, components=None, constraints="default", window="all", *, status_quo=None, budget=None,
            price=None, scenarios=None, costs=None, classes=None, solver=None, identity_cost_usd=None,
            attack_costs=None, max_unallocated=0.0, depreciation="straight_line", max_retail_nodes=3, fake_fraction=0.1,
            price_band="default") -> dict:
    """Bases, constraints and settings of one problem (shared by optimize, frontier and paths).

    Parameters
    ----------
    data : History, Features or Basis
        As for :func:`optimize`.
    components : list of str, optional
        Components the weights may use (default all of the basis's).
    constraints : "default" or list of Constraint, default "default"
        As for :func:`optimize`; ``MaxUnallocated(max_unallocated)`` is added unless one is given.
    window : "all", int or (first, last), default "all"
        Epochs summed over; must stay ``"all"`` for a Basis, which fixes its own.
    status_quo : Linear or dict, optional
        Baseline rule (default :data:`STATUS_QUO_WEIGHTS`).
    budget : float, optional
        Emission in tokens per epoch; finite and > 0.
    price : float, optional
        A flat token price, USD; finite and > 0.
    scenarios : dict, optional
        Worst-case scenarios, as for :func:`optimize`.
    costs, classes : Costs and Series, optional
        Node-level costs and operator classes of Features input (only there).
    solver : str, optional
        cvxpy solver name.
    identity_cost_usd : float, optional
        Passed to the default constraints' :class:`~fairshare.optimization.constraints.NoAttackPays` (None:
        the history's dataset's, else 0).
    attack_costs : fairshare.attacks.AttackCosts, optional
        Passed to the default constraints (see :func:`optimize`).
    max_unallocated : float, default 0.0
        Largest share of the emission left unpaid, unless a ``MaxUnallocated`` is given.
    depreciation : {"straight_line", "declining_balance"}, default "straight_line"
        Depreciation method of the costs built from a History.
    max_retail_nodes : int, default 3
        Operators with at most this many nodes, all at home, are retail (History input).
    fake_fraction : float, default 0.1
        Share of its own work the fake-demand buyer buys (History and Features input).
    price_band : "default", None or (float, float)
        As for :func:`optimize`.
    """
    if (costs is not None or classes is not None) and not isinstance(data, Features):
        raise ConfigError("costs= and classes= go with Features input; a History or Basis brings its own.")
    if isinstance(data, Basis) and not (isinstance(window, str) and window == "all"):
        raise ConfigError(f"a Basis already fixes its window ({data.window}); build it with Basis.from_history("
                          f"history, window={window!r}) instead of passing window=.")
    if isinstance(data, History):
        history = data
        base = Basis.from_history(data, None, window, depreciation=depreciation,
                                  max_retail_nodes=max_retail_nodes, fake_fraction=fake_fraction)
    elif isinstance(data, Features):
        if costs is None:
            raise ConfigError("optimising Features needs their costs: costs=fs.economics.node_costs(history, "
                              "features) (or pass the History itself).")
        history = None
        base = Basis.from_features(data, costs, classes, None, window, fake_fraction=fake_fraction)
    elif isinstance(data, Basis):
        history, base = data.history, data
    else:
        raise ConfigError(f"optimize takes a History, node-level Features or a Basis, got {type(data).__name__}.")
    comps = list(base.components if components is None else components)
    unknown = [c for c in comps if c not in base.components]
    if unknown or not comps:
        raise ConfigError(f"components {unknown or comps} are not in {', '.join(base.components)}.")
    allowed = np.array([c in comps for c in base.components])
    foreign = [c for c in base.components if c not in COMPONENTS]
    if foreign:
        raise ConfigError(f"optimize returns a formulas.Linear rule, so components must be among "
                          f"{', '.join(COMPONENTS)}; got {foreign}. Use EmissionProblem for other bases.")
    if status_quo is None and not set(STATUS_QUO_WEIGHTS) <= set(base.components):
        raise ConfigError(f"the default status quo {STATUS_QUO_WEIGHTS} needs the components stake and work; "
                          "pass status_quo= with weights on this problem's components.")
    sq_rule = _as_linear(STATUS_QUO_WEIGHTS if status_quo is None else status_quo)
    sq = base.theta(sq_rule)
    band = _price_band(price_band, constraints, price)
    if band is not None:
        scenarios = {**(scenarios or {}), "price_low": {"price_multiplier": band[0]},
                     "price_high": {"price_multiplier": band[1]}}
    bases = {"history": base} if scenarios else {"": base}
    for name, sc in (scenarios or {}).items():
        bases[name] = _scenario(base, sc, window, depreciation, max_retail_nodes, fake_fraction)
    if isinstance(constraints, str):
        if constraints != "default":
            raise ConfigError(f"constraints must be 'default' or a list of constraints, got {constraints!r}.")
        if attack_costs is None:
            attack_costs = AttackCosts.for_history(history if history is not None else base.history, identity_cost_usd)
        cons = default_constraints(attack_costs=attack_costs)
    else:
        cons = list(constraints)
    if not any(isinstance(c, MaxUnallocated) for c in cons):
        cons.append(MaxUnallocated(max_unallocated))
    if not base.emission_tokens > 0:
        raise ConfigError("nothing to design: the window emits no tokens (emission 0 in every epoch of the market "
                          "table); choose a window with emission.")
    if price is None and not base.emission_value_usd > 0:
        raise ConfigError("nothing to design: the window's emission is worth $0 (token price 0 in every epoch of the "
                          "market table); give a flat price= in USD or a window with a price.")
    mean_emission = float(base.emission_per_epoch.mean())
    if budget is not None and not (np.isfinite(budget) and budget > 0):
        raise ConfigError(f"budget must be a finite number of tokens per epoch > 0, got {budget!r}.")
    if price is not None and not (np.isfinite(price) and price > 0):
        raise ConfigError(f"price must be a finite USD price > 0, got {price!r}.")
    return {"bases": bases, "history": history, "constraints": cons, "allowed": allowed, "status_quo": sq,
            "status_quo_rule": sq_rule, "solver": solver, "mean_emission": mean_emission, "window": window,
            "budget_multiplier": 1.0 if budget is None else float(budget) / mean_emission, "price": price,
            "band": band}


def _price_band(band, constraints, price):
    """``(low, high)`` price multipliers the problem must hold over, or None."""
    if isinstance(band, str):
        if band != "default":
            raise ConfigError(f"price_band must be 'default', None or (low, high) multipliers, got {band!r}.")
        return DEFAULT_PRICE_BAND if (isinstance(constraints, str) and price is None) else None
    if band is None:
        return None
    try:
        low, high = (float(b) for b in band)
    except (TypeError, ValueError):
        raise ConfigError(f"price_band must be (low, high) price multipliers, got {band!r}.") from None
    if not (np.isfinite(low) and np.isfinite(high) and 0 < low <= 1 <= high):
        raise ConfigError(f"price_band needs 0 < low <= 1 <= high (multipliers of the history's prices), got {band!r}.")
    if price is not None:
        raise ConfigError("price_band multiplies the history's prices; with a flat price= give scenarios instead.")
    return low, high


def _as_linear(rule) -> Linear:
    if isinstance(rule, Linear):
        return rule
    if isinstance(rule, dict):
        return Linear(dict(rule))
    raise ConfigError(f"status_quo must be a formulas.Linear or a dict of weights, got {rule!r}.")


def _scenario(base: Basis, spec: dict, window, depreciation, max_retail_nodes, fake_fraction) -> Basis:
    unknown = set(spec) - {"price_multiplier", "emission_multiplier", "history"}
    if unknown:
        raise ConfigError(f"scenario keys must be price_multiplier, emission_multiplier, history; got {unknown}.")
    b = base
    if "history" in spec:
        b = Basis.from_history(spec["history"], base.components, window, depreciation=depreciation,
                               max_retail_nodes=max_retail_nodes, fake_fraction=fake_fraction)
        if not b.operator_ids.equals(base.operator_ids):
            raise ConfigError("a demand scenario must have the same operators present in the window as the history.")
    return b.scaled(spec.get("price_multiplier", 1.0), spec.get("emission_multiplier", 1.0))


def assemble(problem: EmissionProblem, sol, spec: dict, obj, *, evaluator=None, with_oracle=True) -> EmissionResult:
    """An :class:`EmissionResult` from a solved problem."""
    base = next(iter(problem.bases.values()))
    theta = clean_weights(sol.theta)
    comps = list(base.components)
    weights = pd.Series(theta, index=pd.Index(comps, name="component"), name="weight")
    formula = Linear({c: float(w) for c, w in zip(comps, theta) if w > 0})
    sq = spec["status_quo"]
    scale = float(problem.scale.value)
    flat = problem.flat_price is not None
    table, sens = sensitivity_table(problem, theta, obj.describe(), spec["mean_emission"], base.mean_price_usd)
    violations = [float(c.slack(b, theta, scale=scale, flat_price=flat, status_quo=sq).min())
                  for b in problem.bases.values() for c in problem.constraints]
    constraints = pd.DataFrame(table)
    constraints["violation"] = np.maximum(-np.array(violations), 0.0)
    sq_ok = all(float(c.slack(b, sq, scale=scale, flat_price=flat, status_quo=sq).min()) >= -1e-9
                for b in problem.bases.values() for c in problem.constraints if not c.soft)
    scenario_values = {n: obj.value(b, theta, problem.allowed) for n, b in problem.bases.items()} \
        if len(problem.bases) > 1 else {}
    value = max(scenario_values.values()) if scenario_values else obj.value(base, theta, problem.allowed)
    sq_value = obj.value(base, sq, problem.allowed)
    scoreboard = None
    if evaluator is not None:
        if spec["history"] is None:
            raise ConfigError("evaluator= needs a History (the scoreboard replays the rule on it).")
        scoreboard = evaluator(spec["history"], {"status_quo": spec["status_quo_rule"], "optimum": formula}).scoreboard
        for m in spec.get("band") or ():  # the proposal scored at the band's prices too, each row labelled
            h = spec["history"]
            at = replace(h, token_price_usd=h.token_price_usd * m)
            label = f"optimum at {m:g}x the history's prices"
            scoreboard = pd.concat([scoreboard, evaluator(at, {label: formula}).scoreboard])
    extra = [c for c in problem.constraints if isinstance(c, MaxUnallocated)]
    return EmissionResult(
        weights=weights, formula=formula, objective_name=obj.describe(), objective=value,
        objective_terms=obj.parts(base, theta, problem.allowed), status_quo=spec["status_quo_rule"],
        status_quo_objective=sq_value, status_quo_feasible=sq_ok, constraints=constraints, sensitivities=sens,
        operators=_operators(base, theta, sq, scale, flat), full_coverage=full_coverage(spec, extra),
        oracle=_oracle(base, obj, problem, theta, value, scale) if with_oracle else {},
        solver={"name": sol.solver, "status": sol.status, "compile_s": sol.compile_s, "solve_s": sol.solve_s,
                "wall_s": sol.wall_s, "cut_rounds": sol.cuts, "cut_gap": sol.gap},
        provenance={"fairshare_version": version, "input_hash": base.fingerprint(), **base.provenance,
                    "objective": obj.describe(), "constraints": [c.describe() for c in problem.constraints],
                    "components": [c for c, a in zip(comps, problem.allowed) if a], "window": base.window,
                    "budget_tokens_per_epoch": problem.budget_multiplier * spec["mean_emission"],
                    "flat_price_usd": problem.flat_price, "status_quo": dict(spec["status_quo_rule"].weights),
                    "scenarios": list(problem.bases)},
        scenarios=scenario_values, scoreboard=scoreboard, basis=base)


def _operators(basis: Basis, theta, sq, scale: float, flat: bool) -> pd.DataFrame:
    tokens, before = basis.tokens @ theta, basis.tokens @ sq
    value = basis.value(None) if not flat else basis.tokens
    cost = basis.cost("full")
    earned = scale * (value @ theta) + basis.margin_usd
    earned_sq = scale * (value @ sq) + basis.margin_usd
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(before > 0, 100.0 * (tokens - before) / before, np.where(tokens > 0, np.inf, 0.0))
        change = np.where(np.abs(tokens - before) <= 1e-9 * np.maximum(tokens, before), 0.0, change)
        frame = pd.DataFrame({
            "class": basis.classes, "active": basis.active, "tokens_status_quo": before, "tokens": tokens,
            "change_pct": change, "earned_usd": earned, "cost_usd": cost, "energy_usd": basis.energy_usd,
            "coverage_ratio": earned / cost, "coverage_ratio_status_quo": earned_sq / cost,
        }, index=pd.Index(basis.operator_ids, name="operator_id"))
    return frame


def _oracle(basis: Basis, obj, problem: EmissionProblem, theta, value: float, scale: float) -> dict:
    """Oracle objective under the hard floors and caps this problem implies, and the price of simplicity."""
    if len(obj.terms) != 1:
        return {"note": "the oracle compares single-term objectives"}
    term = obj.terms[0][1]
    if term.name not in ("hhi", "gini", "theil", "max_share", "top_k_share"):
        return {"note": f"the oracle comparison covers Schur-convex objectives, not {term.describe()}"}
    usd_per_share = scale * (basis.emission_tokens if problem.flat_price is not None else basis.emission_value_usd)
    floors, caps = np.zeros(basis.n_operators), np.full(basis.n_operators, np.inf)
    for con in problem.constraints:
        if isinstance(con, Coverage) and con.mode == "hard" and not con.per_epoch:
            sel = basis.select(con.who)
            need = (1 + con.margin) * basis.cost(con.cost) - basis.margin_usd
            floors = np.where(sel, np.maximum(floors, np.clip(need, 0, None) / usd_per_share), floors)
        elif isinstance(con, ContributionFloor):
            sel = basis.select(con.who)
            floors = np.where(sel, np.maximum(floors, con.fraction * basis.shares[:, basis.index(con.on)]), floors)
        elif isinstance(con, MaxLoss):
            sel = basis.select(con.who)
            floors = np.where(sel, np.maximum(floors, con.bound() * (basis.shares @ problem.status_quo)), floors)
        elif isinstance(con, ShareCap):
            caps = np.minimum(caps, con.cap)
    try:
        res = allocate(1.0, floors, term.name, caps=caps, k=min(getattr(term, "k", 1), basis.n_operators))
    except InfeasibleError as exc:
        return {"note": f"the hard floors alone exceed the emission: {exc}"}
    oracle_value = term.measure(np.asarray(res))
    return {"objective": oracle_value, "rule_objective": value, "difference": value - oracle_value,
            "price_of_simplicity": value / oracle_value if oracle_value > 0 else float("inf"),
            "floors": "hard coverage, contribution floor, max loss; caps: share cap (other constraints relaxed)"}
