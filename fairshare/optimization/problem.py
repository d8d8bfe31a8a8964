"""One compiled emission-weight problem: build once (DPP), change Parameters, re-solve.

:class:`EmissionProblem` turns an objective and constraints over one or more
bases (scenarios) into a cvxpy problem in the weights ``theta`` (``theta >= 0``,
``sum(theta) == 1``, zero outside the allowed components). Everything a sweep
changes is a ``cp.Parameter``, almost always on a right-hand side: the USD
scale (budget multiplier, times the token price when it is flat) divides the
money constraints' bounds, so their matrices never depend on it; coverage needs
(cost inputs), CVaR levels, Nakamoto targets, caps, floors, the identity cost
and the fake-demand gain are Parameters too. The problem is DPP, so cvxpy
compiles it once and each re-solve only rewrites the Parameter values [1]_.
Gini terms add cutting planes by changing a Parameter matrix, not the problem.
Rows that other rows imply are left out before compiling (presolve, see
:meth:`Context.prune <fairshare.optimization._context.Context.prune>`).

Several scenarios (prices, demand) are optimised at once for the worst case:
every scenario's constraints hold and the objective is the largest scenario
objective (an epigraph).

References
----------
.. [1] A. Agrawal, B. Amos, S. Barratt, S. Boyd, S. Diamond, J. Z. Kolter,
   "Differentiable convex optimization layers", NeurIPS 2019 (disciplined
   parametrized programming); cvxpy documentation, https://www.cvxpy.org/tutorial/dpp.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from ..errors import ConfigError, OptimizationError
from ._context import Context
from ._solver import cvxpy, solve
from .basis import Basis
from .objectives import Objective, as_objective

__all__ = ["EmissionProblem", "Solution", "BASIS_KNOBS"]

#: Knobs of the problem itself (others belong to constraints).
BASIS_KNOBS = ("budget", "price", "budget_multiplier", "electricity_usd_per_kwh", "depreciation_life_years")


@dataclass
class Solution:
    """The raw answer of one solve: weights as the solver returned them, and bookkeeping.

    Parameters
    ----------
    theta : ndarray, shape (C,)
        Weights per component as the solver returned them (NaN when infeasible).
    status : str
        cvxpy status (``"optimal"``, ``"optimal_inaccurate"``, ``"infeasible"``, ...); a Gini problem whose
        bundle method stopped before ``gini_tol`` reports ``"optimal_inaccurate"``.
    solver : str
        The solver used.
    compile_s, solve_s : float
        Seconds spent compiling and in the solver, summed over the solver calls of this solve.
    wall_s : float
        Seconds the whole solve took.
    cuts : int
        Solver rounds of the Gini bundle method (0 without Gini terms).
    gap : float
        Decrease of the objective the Gini cutting-plane model still predicted at the end (0 without
        Gini terms; NaN when infeasible).
    objective : float
        The objective at ``theta`` (NaN when infeasible).
    """

    theta: np.ndarray
    status: str
    solver: str
    compile_s: float
    solve_s: float
    wall_s: float
    cuts: int
    gap: float
    objective: float


class EmissionProblem:
    """A compiled problem; :meth:`set` changes knobs, :meth:`solve` re-solves.

    Parameters
    ----------
    bases : Basis or dict of name -> Basis
        One basis, or one per scenario (same components).
    objective : str, Term or Objective, default "hhi"
        Anything :func:`~fairshare.optimization.objectives.as_objective` accepts.
    constraints : list of Constraint, default ()
    allowed : (C,) bool, optional
        Components the weights may use (default all).
    status_quo : (C,) array, optional
        Baseline weights (for ``MaxLoss``).
    flat_price : float, optional
        Value rewards at this flat token price instead of the history's prices.
    budget_multiplier : float, default 1.0
        Emission as a multiple of the history's schedule.
    homogeneous : bool, default False
        Build the diagnostics form (see :mod:`fairshare.optimization._context`); no objective.
    solver : str, optional
        cvxpy solver name (default Clarabel); must be installed.
    gini_tol : float, default 1e-9
        Gini terms: stop the bundle method when the model predicts a decrease below
        ``gini_tol * max(1, |objective|)`` (see :meth:`solve`).
    max_cut_rounds : int, default 200
        Gini terms: the most solver rounds of the bundle method per solve.
    presolve : bool, default True
        Leave out constraint rows that other rows imply (:meth:`Context.prune
        <fairshare.optimization._context.Context.prune>`); off for problems re-costed later.
    fixed_bounds : bool, default True
        Share-constraint bounds (caps, floors) stay as built, so rows that hold for
        every weight vector can be left out too; off when a frontier sweeps one.
    """

    def __init__(self, bases, objective="hhi", constraints=(), *, allowed=None, status_quo=None,
                 flat_price: float | None = None, budget_multiplier: float = 1.0, homogeneous: bool = False,
                 solver: str | None = None, gini_tol: float = 1e-9, max_cut_rounds: int = 200,
                 presolve: bool = True, fixed_bounds: bool = True):
        cp = cvxpy()
        self.bases = {"": bases} if isinstance(bases, Basis) else dict(bases)
        first = next(iter(self.bases.values()))
        self.components = first.components
        if any(b.components != self.components for b in self.bases.values()):
            raise ConfigError("every scenario basis must have the same components in the same order.")
        c = len(self.components)
        self.allowed = np.ones(c, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
        self.status_quo = None if status_quo is None else np.asarray(status_quo, dtype=np.float64)
        self.objective: Objective = as_objective(objective)
        self.constraints = list(constraints)
        self.flat_price = None if flat_price is None else float(flat_price)
        self.budget_multiplier = float(budget_multiplier)
        self.homogeneous = homogeneous
        self.solver = solver
        self.gini_tol = float(gini_tol)
        # exponential cones (log, entropy) stop short of 1e-6 in the weights at the usual tolerances: such
        # problems are polished by a second solve at tight tolerances (see _solve_once)
        self.polish = any(t.name in ("theil", "alpha_fair") for _, t in self.objective.terms)
        self.max_cut_rounds = int(max_cut_rounds)
        self.theta = cp.Variable(c, nonneg=True)
        self.scale = _Scale(self._scale_value())
        total = cp.sum(self.theta) if homogeneous else 1.0
        scale = 1.0 if homogeneous else self.scale.value
        cons = [] if homogeneous else [cp.sum(self.theta) == 1]
        if not self.allowed.all():
            cons.append(self.theta[np.flatnonzero(~self.allowed)] == 0)
        self.built, self.cuts, objectives, self.scenario_objectives = [], [], [], []
        for name, basis in self.bases.items():
            ctx = Context(cp, basis, self.theta, total, scale, self.allowed, flat_price=self.flat_price is not None,
                          homogeneous=homogeneous, scenario=name if len(self.bases) > 1 else "",
                          status_quo=self.status_quo, presolve=presolve, fixed_bounds=fixed_bounds)
            penalties = []
            for con in self.constraints:
                if homogeneous and con.soft:
                    continue
                b = con.build(ctx)
                b.data["scenario"] = name
                self.built.append(b)
                cons.extend(b.constraints)
                if b.penalty is not None:
                    penalties.append(b.penalty)
            if not homogeneous:
                expr, mine = 0, []
                for coef, term in self.objective.terms:
                    e, extra, handle = term.build(ctx)
                    cons.extend(extra)
                    if handle is not None:
                        self.cuts.append(handle)
                        mine.append((coef, handle))
                    expr = expr + coef * e
                objectives.append(expr + sum(penalties))
                self.scenario_objectives.append((objectives[-1], mine))
        if homogeneous:
            goal = cp.Minimize(cp.sum(self.theta))
        else:
            model = objectives[0] if len(objectives) == 1 else cp.max(cp.hstack(objectives))
            if self.cuts:  # proximal term of the bundle method: rho/2 ||theta||^2 - (rho c)' theta (DPP form)
                self.rho = cp.Parameter(nonneg=True, value=0.0)
                self.lin = cp.Parameter(c, value=np.zeros(c))
                self.prox = self.rho / 2 * cp.sum_squares(self.theta) - self.lin @ self.theta
                model = model + self.prox
            goal = cp.Minimize(model)
        self.problem = cp.Problem(goal, cons)
        if not self.problem.is_dcp(dpp=True):  # pragma: no cover - every term and constraint is DPP
            raise OptimizationError("internal: the emission-weight problem is not DPP; report this as a bug.")
        self.solves = 0

    # ------------------------------------------------------------------ knobs
    def _scale_value(self) -> float:
        return self.budget_multiplier * (1.0 if self.flat_price is None else self.flat_price)

    @property
    def knobs(self) -> tuple[str, ...]:
        own = {k for con in self.constraints for k in con.knobs}
        return tuple(BASIS_KNOBS) + tuple(sorted(own))

    def set(self, **knobs) -> "EmissionProblem":
        """Change knobs (``budget=`` tokens per epoch, ``price=`` flat USD, ``coverage_level=`` ...)."""
        for knob, value in knobs.items():
            if knob == "budget":
                mean = next(iter(self.bases.values())).emission_per_epoch.mean()
                self.budget_multiplier = float(value) / mean
            elif knob == "budget_multiplier":
                self.budget_multiplier = float(value)
            elif knob == "price":
                if self.flat_price is None:
                    raise ConfigError("price= needs a problem built at a flat price (flat_price=...).")
                self.flat_price = float(value)
            elif knob in ("electricity_usd_per_kwh", "depreciation_life_years"):
                self.set_bases({n: _recost(b, knob, value) for n, b in self.bases.items()})
            else:
                hits = [b for b in self.built if knob in b.owner.knobs]
                if not hits:
                    raise ConfigError(f"no constraint of this problem has the knob {knob!r}; knobs: "
                                      f"{', '.join(self.knobs)}.")
                for b in hits:
                    b.owner.set_knob(b, knob, value)
        if not (np.isfinite(self._scale_value()) and self._scale_value() > 0):
            raise ConfigError(f"budget and price must be finite and > 0 (scale {self._scale_value()!r}).")
        self.scale.value = self._scale_value()
        for b in self.built:
            b.owner.rescale(b, self.scale.value)
        return self

    def set_bases(self, bases: dict[str, Basis]) -> None:
        """New costs for the same operators (frontiers over cost inputs)."""
        self.bases = dict(bases)
        for b in self.built:
            b.owner.set_costs(b, self.bases[b.data["scenario"]])
            b.owner.rescale(b, self.scale.value)

    # ------------------------------------------------------------------ solve
    def solve(self, warm_start: bool = True) -> Solution:
        """Solve at the current knobs; the status may be ``"infeasible"``.

        Problems with Gini terms run a proximal bundle method on the cutting-plane
        model (Kiwiel's stabilised Kelley method [2]_): each round solves the model
        plus ``rho/2 ||theta - c||^2`` around the best point ``c`` so far, adds the
        Gini cut at the new point, and moves ``c`` there when the true objective
        fell by at least a tenth of what the model predicted. It stops when the
        predicted decrease is below ``gini_tol``: ``c`` is then optimal to that
        tolerance (the model is a lower bound of the objective).

        .. [2] K. C. Kiwiel, "Proximity control in bundle methods for convex
           nondifferentiable minimization", Mathematical Programming 46, 1990.
        """
        start = time.perf_counter()
        self._times = [0.0, 0.0]
        if not self.cuts:
            info = self._solve_once(warm_start)
            ok = info.status != "infeasible"
            theta = self._theta() if ok else np.full(len(self.components), np.nan)
            return Solution(theta, info.status, info.solver, *self._times, time.perf_counter() - start, 0, 0.0,
                            float(self.problem.value) if ok else float("nan"))
        # Gini cuts stay valid lower bounds when only knobs change (the shares do not), so a re-solve keeps them
        # (our warm start); a fresh model is seeded with the cuts of the vertices and the status quo
        fresh = not warm_start or any(len(h.rows) + self.max_cut_rounds // 2 > h.max_cuts or not h.rows
                                      for h in self.cuts)
        for handle in self.cuts if fresh else ():
            handle.reset()
            for point in self._seeds():
                handle.add(point)
        self.rho.value, self.lin.value = 0.0, np.zeros(len(self.components))  # a Kelley step on the model alone
        info = self._solve_once(warm_start)
        if info.status == "infeasible":
            return Solution(np.full(len(self.components), np.nan), info.status, info.solver, *self._times,
                            time.perf_counter() - start, 1, float("nan"), float("nan"))
        center = self._theta()
        f_center, _ = self._true_and_model()
        rho = 0.1 * max(abs(f_center), 1e-8)
        rounds, pred, status = 1, float("inf"), info.status
        while rounds < self.max_cut_rounds:
            if not all(h.add(center if rounds == 1 else point) for h in self.cuts):
                break
            self.rho.value, self.lin.value = rho, rho * center
            info = self._solve_once(warm_start)
            rounds += 1
            status = info.status
            point = self._theta()
            f_point, model = self._true_and_model()
            pred = f_center - model
            if pred <= self.gini_tol * max(1.0, abs(f_center)):
                break
            if f_center - f_point >= 0.1 * pred:  # serious step; a model this good earns a longer leash
                if f_center - f_point >= 0.5 * pred:
                    rho = max(rho / 4.0, 1e-12)
                center, f_center = point, f_point
            else:  # null step: the model was too optimistic this far out
                rho = min(rho * 2.0, 1e12)
        self.theta.value = center
        return Solution(center, status if pred <= self.gini_tol * max(1.0, abs(f_center)) else "optimal_inaccurate",
                        info.solver, *self._times, time.perf_counter() - start, rounds, max(pred, 0.0), f_center)

    def unique(self, sol: "Solution", rel: float = 1e-7) -> tuple["Solution", float]:
        """The optimum closest to the status quo among the optima of ``sol``, and how far the solver's was.

        A strictly convex second stage: minimise ``||theta - status_quo||**2`` (``||theta||**2`` without a
        status quo) over the weights that meet every constraint with the objective within ``rel`` of
        ``sol.objective`` (relative, plus 1e-10). Returns the solution with those weights and the largest
        weight change from ``sol``: above about 1e-4 (``optimization.solve.SEVERAL``) the first stage's
        optimum was one of several. Problems with Gini terms
        (cutting planes) are returned as they are, with NaN.

        Parameters
        ----------
        sol : Solution
            An optimal solution of this problem at its current knobs.
        rel : float, default 1e-7
            Relative slack on the objective that still counts as optimal.
        """
        if self.cuts or sol.status == "infeasible" or not np.isfinite(sol.objective):
            return sol, float("nan")
        cp = cvxpy()
        target = self.status_quo if self.status_quo is not None else np.zeros(len(self.components))
        bound = sol.objective + rel * abs(sol.objective) + 1e-10
        second = cp.Problem(cp.Minimize(cp.sum_squares(self.theta - target)),
                            list(self.problem.constraints) + [self.problem.objective.expr <= bound])
        first = self.theta.value.copy()
        # the second stage shares the first's constraints and variables: keep the first stage's duals and
        # auxiliary values (sensitivities read them; any optimum has the same dual certificate)
        duals = [c.dual_value for c in self.problem.constraints]
        others = [(v, v.value) for v in self.problem.variables() if v is not self.theta]
        try:
            info = solve(second, self.solver)
        except OptimizationError:  # the second stage only picks among optima: keep the first stage's
            info = None
        for c, d in zip(self.problem.constraints, duals):
            c.save_dual_value(d)
        for v, value in others:
            v.value = value
        if info is None or info.status not in ("optimal", "optimal_inaccurate"):
            self.theta.value = first
            return sol, float("nan")
        theta = np.where(self.allowed, self._theta(), 0.0)  # zero outside the allowed components, exactly
        self.theta.value = theta
        spread = float(np.max(np.abs(theta - np.clip(first, 0.0, None))))
        return replace(sol, theta=theta), spread

    def _solve_once(self, warm_start: bool):
        info = solve(self.problem, self.solver, warm_start=warm_start and self.solves > 0)
        self.solves += 1
        self._times[0] += info.compile_s
        self._times[1] += info.solve_s
        if self.polish and info.status == "optimal":
            # the first solve certifies optimality; the tight one only sharpens the weights (its status may read
            # "inaccurate" against 1e-12 tolerances), kept when it is no worse
            theta, value = self.theta.value.copy(), self.problem.value
            polished = solve(self.problem, self.solver, accuracy="tight")
            self._times[1] += polished.solve_s
            if polished.status == "infeasible" or not (self.problem.value <= value + 1e-9 * max(1.0, abs(value))):
                self.theta.value = theta
        return info

    def _theta(self) -> np.ndarray:
        return np.clip(np.asarray(self.theta.value, dtype=np.float64), 0.0, None)

    def _true_and_model(self) -> tuple[float, float]:
        """(objective with exact Gini terms, cutting-plane model) at the current solution."""
        theta = self._theta()
        true, model = -np.inf, -np.inf
        for expr, handles in self.scenario_objectives:
            m = float(expr.value)
            exact = m + sum(coef * (float(h.cut(theta) @ theta) - float(h.t.value)) for coef, h in handles)
            true, model = max(true, exact), max(model, m)
        return true, model

    def _seeds(self) -> list[np.ndarray]:
        c = len(self.components)
        seeds = [np.eye(c)[i] for i in np.flatnonzero(self.allowed)]
        if self.status_quo is not None:
            seeds.append(self.status_quo)
        return seeds


class _Scale:
    """The current USD scale (budget multiplier, times the flat price): a plain number, not a Parameter.

    Money constraints carry it on their right-hand sides (``V theta >= need / s``),
    so changing the budget or the price changes vectors only: the constraint
    matrix stays, and a solver that caches its factorisation (OSQP) reuses it.
    """

    def __init__(self, value: float):
        self.value = float(value)


def _recost(basis: Basis, knob: str, value: float) -> Basis:
    """The basis with one electricity tariff or one depreciation life for every node."""
    return basis.recost(**{knob: float(value)})
