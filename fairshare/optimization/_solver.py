"""The one door to cvxpy: lazy import, solver choice, statuses turned into typed errors.

``import fairshare`` must not import cvxpy (it is heavy); every module of
:mod:`fairshare.optimization` gets it from :func:`cvxpy` at call time.

Default solver: Clarabel (interior point; LP, QP, SOCP and exponential cones,
with dual values, deterministic). Fallbacks named in errors: SCS (first order,
all cone types, warm starts) and HiGHS (LPs).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

from ..errors import ConfigError, SolverFailedError, UnboundedError

__all__ = ["cvxpy", "solve", "SolveInfo", "DEFAULT_SOLVER", "FALLBACK"]

DEFAULT_SOLVER = "CLARABEL"

#: What to try when a solver fails, by solver.
FALLBACK = {"CLARABEL": "SCS", "SCS": "CLARABEL", "OSQP": "CLARABEL", "HIGHS": "CLARABEL", "ECOS": "CLARABEL"}

#: Solvers whose cvxpy interface uses a previous solution as a starting point.
WARM_STARTS = {"SCS", "OSQP"}

#: Solver settings by accuracy: "accurate" for the optimiser, "tight" for small oracle checks.
_SETTINGS = {
    "accurate": {"CLARABEL": {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10, "max_iter": 500},
                 "SCS": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000},
                 "OSQP": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iter": 400_000, "polishing": True}},
    "tight": {"CLARABEL": {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "max_iter": 1000},
              "SCS": {"eps_abs": 1e-11, "eps_rel": 1e-11, "max_iters": 500_000}},
    "default": {},
}


def _installed() -> tuple:
    """cvxpy's installed solvers (looked up once: the lookup imports every solver package)."""
    global _INSTALLED
    if _INSTALLED is None:
        _INSTALLED = tuple(cvxpy().installed_solvers())
    return _INSTALLED


_INSTALLED = None


def cvxpy():
    """The cvxpy module, imported on first use."""
    import cvxpy as cp

    return cp


@dataclass
class SolveInfo:
    """What one solve cost and returned (times in seconds)."""

    solver: str
    status: str
    compile_s: float
    solve_s: float
    wall_s: float
    iterations: int | None


def solve(problem, solver: str | None = None, *, warm_start: bool = False, accuracy: str = "accurate",
          what: str = "the emission-weight problem") -> SolveInfo:
    """Solve ``problem``; raise typed errors for unbounded and failed solves.

    Infeasible statuses are returned (status ``"infeasible"``): the caller
    turns them into an :class:`~fairshare.errors.InfeasibleError` with a
    diagnosis. ``optimal_inaccurate`` is returned as is and reported.
    """
    cp = cvxpy()
    name = (solver or DEFAULT_SOLVER).upper()
    if name not in _installed():
        raise ConfigError(f"solver {name!r} is not installed; installed: {', '.join(_installed())}.")
    start = time.perf_counter()
    tries = [accuracy] if accuracy == "default" else [accuracy, "default"]
    usable = (cp.OPTIMAL, cp.OPTIMAL_INACCURATE, cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE, cp.UNBOUNDED,
              cp.UNBOUNDED_INACCURATE)
    for i, level in enumerate(tries):  # tight tolerances can fail on degenerate problems: retry at the defaults
        try:
            with warnings.catch_warnings():  # an inaccurate solution is reported through its status
                warnings.filterwarnings("ignore", message="Solution may be inaccurate", category=UserWarning)
                problem.solve(solver=name, warm_start=warm_start and name in WARM_STARTS,
                              **_SETTINGS[level].get(name, {}))
        except cp.error.SolverError as exc:
            if i + 1 == len(tries):
                raise SolverFailedError(f"solver {name} failed on {what}: {exc} Retry with "
                                        f"solver={FALLBACK.get(name, 'SCS')!r}, or rescale the inputs.") from exc
            continue
        if problem.status in usable:
            break
    wall = time.perf_counter() - start
    stats = problem.solver_stats
    status = problem.status
    if status in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE):
        raise UnboundedError(f"{what} is unbounded with solver {name}: an objective term has no finite "
                             "minimum over the weights (check alpha_fair weights and operators that can be paid "
                             f"nothing). Retry with solver={FALLBACK.get(name, 'SCS')!r} to confirm.")
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE, cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        raise SolverFailedError(f"solver {name} stopped with status {status!r} on {what}. Retry with "
                                f"solver={FALLBACK.get(name, 'SCS')!r}.")
    compile_s = float(getattr(problem, "compilation_time", None) or 0.0)
    solve_s = float(stats.solve_time) if stats is not None and stats.solve_time is not None else wall - compile_s
    iters = stats.num_iters if stats is not None else None
    return SolveInfo(name, "infeasible" if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE) else status,
                     compile_s, solve_s, wall, iters)
