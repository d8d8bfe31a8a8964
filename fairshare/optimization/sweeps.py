"""Frontiers and sweeps on one compiled problem.

:func:`frontier` builds the problem once and, for each value, changes the
Parameters behind one knob and re-solves: the budget (tokens per epoch), a flat
token price, the CVaR coverage level, the Nakamoto target, or a cost input
(one electricity tariff, one depreciation life, re-priced by
:func:`fairshare.economics.node_costs`), or any constraint knob (``max_share``,
``identity_cost_usd``, ``max_gain``, ``contribution_floor``, ...). cvxpy
compiles a DPP problem on the first solve and only rewrites Parameter values
afterwards; solvers that accept a starting point (SCS, OSQP) warm-start from
the previous one. Infeasible points are rows with status ``"infeasible"``, not
errors. With a ``dask.distributed`` client, each worker builds the problem once
and sweeps a contiguous block of the values.

Cited ranges: token price $0.05-0.50 [sources: opg-market];
electricity 0.06-0.42 USD/kWh [sources: electricity-prices]; depreciation life 3-6 years
[sources: depreciation-lives].
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .._distributed import check_client, map_ordered, n_workers, share, spans
from ..errors import ConfigError
from .constraints import Coverage, NakamotoAtLeast
from .objectives import as_objective
from .problem import EmissionProblem
from .result import clean_weights
from .solve import problem_spec

__all__ = ["frontier", "Frontier", "CITED_RANGES"]

#: Knobs that re-price costs (their problems keep every coverage and attack row).
COST_KNOBS = ("electricity_usd_per_kwh", "depreciation_life_years", "identity_cost_usd", "take_rate")

#: Knobs that move share-constraint bounds (their problems keep every share row).
ROW_KNOBS = ("max_share", "contribution_floor", "max_loss_pct", "min_weight")

#: Sweep ranges [sources: opg-market, electricity-prices, depreciation-lives].
CITED_RANGES = {"price": (0.05, 0.50), "electricity_usd_per_kwh": (0.06, 0.42), "depreciation_life_years": (3.0, 6.0)}


@dataclass(frozen=True, eq=False)
class Frontier:
    """One row per swept value: status, objective, weights and coverage; times of build, compile and solves.

    Parameters
    ----------
    over : str
        The swept knob.
    table : pandas.DataFrame
        One row per swept value (indexed by it): status, solve and compile seconds, Gini cut rounds,
        objective, the weights, coverage, ``binding`` (the hard constraints with a positive shadow
        price there) and ``optimum_spread`` (how far the second stage moved the weights; see
        :meth:`EmissionProblem.unique <fairshare.optimization.problem.EmissionProblem.unique>`).
    build_s : float
        Seconds spent building problems (summed over workers with a client).
    compile_s : float
        Seconds of the first compile.
    solve_s : float
        Seconds of all solves (wall time of each, summed).
    rebuilt : bool
        Whether the problem was rebuilt for every point (``rebuild=True``).
    provenance : dict, optional
        Objective, constraints and budget of the sweep.
    """

    over: str
    table: pd.DataFrame
    build_s: float
    compile_s: float
    solve_s: float
    rebuilt: bool
    provenance: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def __repr__(self) -> str:
        return f"Frontier(over={self.over!r}, {len(self.table)} points)"

    @property
    def feasible(self) -> pd.DataFrame:
        return self.table[self.table["status"] != "infeasible"]

    def summary(self) -> str:
        t = self.table
        ok = self.feasible
        first = f"feasible from {self.over} = {ok.index.min():.4g}" if len(ok) else "feasible nowhere"
        return (f"frontier over {self.over}: {len(t)} points, {first}; build {self.build_s:.3f} s, first compile "
                f"{self.compile_s:.3f} s, solves {self.solve_s:.3f} s in all"
                f"{' (rebuilt per point)' if self.rebuilt else ' (one compiled problem)'}.")


def frontier(data, over: str = "price", values=None, *, components=None, objective="distance_from_proportional",
             constraints="default",
             window="all", status_quo=None, budget: float | None = None, price: float | None = None,
             solver: str | None = None, warm_start: bool = True, rebuild: bool = False, client=None,
             **options) -> Frontier:
    """Re-solve one problem over a range of values of one knob.

    Parameters
    ----------
    data : History, Features or Basis
    over : str
        ``"budget"`` (tokens per epoch), ``"price"`` (flat USD), ``"coverage_level"``,
        ``"nakamoto"``, ``"electricity_usd_per_kwh"``, ``"depreciation_life_years"`` or a
        constraint knob.
    values : sequence of float
        Default: 10 points over the cited range for price and cost inputs.
    warm_start : bool, default True
        Start each solve from the previous point's solution (solvers that support it) and keep
        Gini cuts between points.
    rebuild : bool
        Build and compile a fresh problem for every point (for comparison only).
    client : dask.distributed.Client, optional
        Sweep on a cluster: the values are split into contiguous blocks (about one per
        worker), each worker builds and compiles the problem once and solves its block,
        and the rows are gathered in value order. ``build_s`` and ``solve_s`` then add up
        the workers' times and ``compile_s`` is the first block's first compile. Without
        a warm start (Clarabel, the default solver, has none) the numbers equal
        ``client=None`` to solver round-off; a warm start or Gini cuts carried from the
        previous point depend on where a block begins.
    components, objective, constraints, window, status_quo, budget, price, solver
        As for :func:`fairshare.optimization.optimize`.
    **options
        Other keywords of :func:`fairshare.optimization.optimize` that shape the problem:
        ``scenarios``, ``costs``, ``classes``, ``identity_cost_usd``, ``max_unallocated``,
        ``depreciation``, ``max_retail_nodes``, ``fake_fraction``.

    Returns
    -------
    Frontier
    """
    check_client(client)
    if values is None:
        if over not in CITED_RANGES:
            raise ConfigError(f"give values= for a frontier over {over!r}.")
        values = np.linspace(*CITED_RANGES[over], 10)
    bad = [v for v in values if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))
           or not np.isfinite(v)]
    if bad:
        raise ConfigError(f"frontier values must be finite numbers, got {bad[:3]!r}.")
    values = [float(v) for v in values]
    if not values:
        raise ConfigError("values= is empty.")
    if over == "nakamoto" and any(v != int(v) or v < 1 for v in values):
        raise ConfigError(f"a frontier over nakamoto sweeps whole Nakamoto targets >= 1, got {values}.")
    if over == "price":
        price = values[0]
    spec = problem_spec(data, components, constraints, window, status_quo=status_quo, budget=budget, price=price,
                   solver=solver, **options)
    cons = spec["constraints"]
    if over == "nakamoto" and not any(isinstance(c, NakamotoAtLeast) for c in cons):
        cons.append(NakamotoAtLeast(count=int(values[0])))
    if over == "coverage_level" and not any(isinstance(c, Coverage) and c.mode == "cvar" for c in cons):
        raise ConfigError("a frontier over coverage_level needs a Coverage(mode='cvar') constraint.")
    obj = as_objective(objective)
    if client is not None:  # workers get the bases without the history's task log
        spec = {**spec, "bases": {name: b if b.history is None else replace(b, history=b.history.without_tasks())
                                  for name, b in spec["bases"].items()}}
    sweep = _Sweep(spec, obj, cons, over, price, solver, warm_start, rebuild)
    blocks = [values[lo:hi] for lo, hi in spans(len(values), n_workers(client))]
    parts = map_ordered(client, _solve_block, blocks, share(client, sweep))
    table = pd.DataFrame([row for part in parts for row in part[0]]).set_index(over)
    return Frontier(over, table, sum(p[1] for p in parts), float(parts[0][2]), sum(p[3] for p in parts), rebuild,
                    {"objective": obj.describe(), "constraints": [c.describe() for c in cons],
                     "budget_tokens_per_epoch": spec["budget_multiplier"] * spec["mean_emission"]})


@dataclass(frozen=True, eq=False)
class _Sweep:
    """What every block of a frontier needs to build its problem (sent once to each worker)."""

    spec: dict
    objective: object
    constraints: list
    over: str
    price: float | None
    solver: str | None
    warm_start: bool
    rebuild: bool

    def build(self) -> EmissionProblem:
        spec = self.spec
        return EmissionProblem(spec["bases"], self.objective, self.constraints, allowed=spec["allowed"],
                               status_quo=spec["status_quo"], flat_price=self.price,
                               budget_multiplier=spec["budget_multiplier"], solver=self.solver,
                               presolve=self.over not in COST_KNOBS, fixed_bounds=self.over not in ROW_KNOBS)


def _solve_block(values: list[float], sweep: _Sweep) -> tuple[list[dict], float, float, float]:
    """Rows of ``values`` on one built problem; with build time, first compile time and total solve time."""
    start = time.perf_counter()
    problem = sweep.build()
    build_s = time.perf_counter() - start
    if sweep.over not in problem.knobs:
        raise ConfigError(f"cannot sweep {sweep.over!r}; this problem's knobs: {', '.join(problem.knobs)}.")
    rows, compile_first, solve_total = [], None, 0.0
    for v in values:
        if sweep.rebuild and rows:
            t0 = time.perf_counter()
            problem = sweep.build()
            build_s += time.perf_counter() - t0
        problem.set(**{sweep.over: v})
        sol = problem.solve(warm_start=sweep.warm_start and not sweep.rebuild)
        compile_first = sol.compile_s if compile_first is None else compile_first
        t0 = time.perf_counter()
        sol, spread = problem.unique(sol)  # the same second stage as optimize: one optimum, named
        solve_total += sol.wall_s + time.perf_counter() - t0
        rows.append({**_row(problem, sol, sweep.objective, sweep.over, v), "optimum_spread": spread})
    return rows, build_s, compile_first, solve_total


def _row(problem: EmissionProblem, sol, obj, over: str, value: float) -> dict:
    base = next(iter(problem.bases.values()))
    row = {over: value, "status": sol.status, "solve_s": sol.solve_s, "compile_s": sol.compile_s,
           "cut_rounds": sol.cuts}
    if sol.status == "infeasible":
        row["objective"] = float("nan")
        return row
    theta = clean_weights(sol.theta)
    row["objective"] = obj.value(base, theta, problem.allowed)
    scale = float(problem.scale.value)
    value_m = base.tokens if problem.flat_price is not None else base.value_usd
    earned = scale * (value_m @ theta) + base.margin_usd
    with np.errstate(divide="ignore", invalid="ignore"):
        covered = earned >= base.cost("full")
        energy = earned >= base.cost("energy")
    retail = base.active & (base.classes == "retail")
    row["coverage_share"] = float(covered[base.active].mean()) if base.active.any() else float("nan")
    row["coverage_share_retail"] = float(covered[retail].mean()) if retail.any() else float("nan")
    row["energy_coverage_share"] = float(energy[base.active].mean()) if base.active.any() else float("nan")
    row.update({f"w_{c}": float(w) for c, w in zip(base.components, theta)})
    row["binding"] = "; ".join(binding_labels(problem))
    return row


def binding_labels(problem: EmissionProblem, tol: float = 1e-8) -> list[str]:
    """Labels of the hard constraints with a positive shadow price at the problem's last solve.

    Parameters
    ----------
    problem : EmissionProblem
        A solved problem.
    tol : float, default 1e-8
        Dual values at or below this count as zero.
    """
    out = []
    for b in problem.built:
        if b.owner.soft or not b.constraints:
            continue
        if any(float(np.max(np.abs(d))) > tol for d in b.duals()):
            if hasattr(b.owner, "binding_attacks"):  # name the attacks, not the costs the problem was built with
                rows = b.owner.binding_attacks(b, np.clip(problem.theta.value, 0.0, None), problem.scale.value)
                attacks = sorted({r.split(" by ")[0].split(" in epoch")[0] for r in rows})
                out.append("no attack pays (binding: " + (", ".join(attacks) or "none at 1e-6") + ")")
            else:
                out.append(b.label)
    return out
