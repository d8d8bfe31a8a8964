"""The per-operator oracle: the best any payment vector could do, whatever the rule.

:func:`allocate` splits a fixed ``budget`` over holders with floors ``c`` and
caps ``u`` (``c <= r <= u``, ``sum(r) == budget``). It is the yardstick of the
emission-weight optimiser: a ``Linear`` rule can only pay what its components
measure, the oracle can pay anything, so the rule's optimum over the oracle's
is the *price of simplicity*.

Exact paths (no solver, O(n log n), :func:`fairshare._kernels.clipfill.clipfill`):

- ``hhi``, ``gini``, ``theil``, ``top_k_share``, ``max_share``, ``max_min``
  (unweighted): the water-filling allocation ``r_i = clip(lam, c_i, u_i)``. It is
  majorised by every other feasible allocation (its Lorenz curve lies above
  theirs), so it minimises every Schur-convex measure at once [1]_, [2]_.
- ``alpha_fair`` with weights ``w`` and ``alpha > 0``: maximising
  ``sum(w_i * r_i ** (1 - alpha) / (1 - alpha))`` (``sum(w_i log r_i)`` at
  ``alpha = 1``) gives, from the KKT conditions ``w_i r_i ** -alpha = mu``,
  ``r_i = clip(w_i ** (1 / alpha) * nu, c_i, u_i)`` [3]_: the same fill with slopes
  ``w ** (1 / alpha)``; proportional fairness (``alpha = 1``) pays ``r`` in
  proportion to ``w`` when no bound binds.
- ``max_min`` with weights: ``r_i = clip(w_i * nu, c_i, u_i)`` (weighted max-min
  fairness [4]_); ``hhi`` with weights minimises ``sum(r_i ** 2 / w_i)``, the same fill.

``alpha = 0`` (utilitarian, a linear objective with many optima) and
``method="solver"`` use cvxpy; there ``max_min`` (lexicographic, Keshav's
progressive filling) is solved as the weighted quadratic above, whose
minimiser is the same fill, since maximising only the smallest share has many optima.

References
----------
.. [1] A. W. Marshall, I. Olkin, B. C. Arnold, *Inequalities: Theory of
   Majorization and Its Applications*, 2nd ed., Springer, 2011, ch. 3.
.. [2] S. Boyd, L. Vandenberghe, *Convex Optimization*, Cambridge University
   Press, 2004, example 5.2 (water-filling).
.. [3] J. Mo, J. Walrand, "Fair end-to-end window-based congestion control",
   IEEE/ACM Transactions on Networking 8(5), 2000.
.. [4] S. Keshav, *An Engineering Approach to Computer Networking*,
   Addison-Wesley, 1997, pp. 215-217 (max-min fair share).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._kernels.clipfill import clipfill
from ..errors import ConfigError, InfeasibleError
from ..metrics import gini, hhi, theil, top_k_share
from ._solver import cvxpy, solve

__all__ = ["allocate", "OracleAllocation", "ORACLE_OBJECTIVES"]

#: Objectives of :func:`allocate`; the first six are Schur-convex (one water-filling answer).
ORACLE_OBJECTIVES = ("hhi", "gini", "theil", "top_k_share", "max_share", "max_min", "alpha_fair", "proportional")
_SCHUR = ("gini", "theil", "top_k_share", "max_share")


@dataclass(frozen=True, eq=False)
class OracleAllocation:
    """What :func:`allocate` returns. ``np.asarray(result)`` is the allocation.

    ``allocation`` is in the units of the budget and floors; ``index`` keeps
    the labels of a Series input. ``level`` is the water level ``nu`` of the
    fill (NaN on solver paths); ``at_floor`` and ``at_cap`` flag the holders held
    by a bound.

    Parameters
    ----------
    allocation : ndarray, shape (n,)
        What each holder receives, in the units of the budget.
    objective : str
        The objective minimised (``"proportional"`` is reported as ``"alpha_fair"``).
    value : float
        The objective at the allocation.
    level : float
        Water level ``nu`` of the exact fill; NaN on the solver path.
    at_floor, at_cap : ndarray of bool, shape (n,)
        Holders at their floor, or at their cap (to ``1e-12 * max(budget, 1)``).
    budget : float
        The total placed.
    method : {"exact", "solver"}
        The path that computed the allocation.
    alpha : float, optional
        Inequality aversion of ``alpha_fair``; None for other objectives.
    index : pandas.Index, optional
        Labels of the holders when the floors were a Series.
    details : dict, optional
        Objective-specific settings (``{"k": k}`` for ``top_k_share``).
    """

    allocation: np.ndarray
    objective: str
    value: float
    level: float
    at_floor: np.ndarray
    at_cap: np.ndarray
    budget: float
    method: str
    alpha: float | None = None
    index: pd.Index | None = None
    details: dict = field(default_factory=dict)

    def __array__(self, dtype=None, copy=None):
        return self.allocation if dtype is None else self.allocation.astype(dtype)

    def __len__(self) -> int:
        return self.allocation.size

    def to_series(self) -> pd.Series:
        return pd.Series(self.allocation, index=self.index, name="allocation")

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"allocation": self.allocation, "at_floor": self.at_floor, "at_cap": self.at_cap},
                            index=self.index)

    def __repr__(self) -> str:
        return f"OracleAllocation({self.objective}, {self.allocation.size} holders, {self.method})"

    def summary(self) -> str:
        n = self.allocation.size
        return (f"oracle ({self.method}) for {self.objective}: {n} holders, budget {self.budget:,.6g}; "
                f"{int(self.at_floor.sum())} held at their floor, {int(self.at_cap.sum())} at their cap; "
                f"objective {self.value:.6g}.")


def allocate(budget, floors, objective: str = "hhi", caps=None, weights=None, alpha: float = 1.0, *,
             k: int | None = None, method: str = "auto", solver: str | None = None) -> OracleAllocation:
    """Best allocation of ``budget`` over holders with floors and caps (any payment vector).

    Parameters
    ----------
    budget : float
        Total to place, ``>= 0``: ``sum(r) == budget``.
    floors : array-like or Series, shape (n,)
        ``r_i >= floors_i >= 0``; a Series keeps its labels on the result.
    objective : {"hhi", "gini", "theil", "top_k_share", "max_share", "max_min", "alpha_fair", "proportional"}
        ``proportional`` is ``alpha_fair`` with ``alpha = 1``.
    caps : array-like or float, optional
        ``r_i <= caps_i`` (default: none).
    weights : array-like, optional
        Positive weights of ``alpha_fair``, ``max_min`` and ``hhi`` (``sum(r**2 / w)``).
    alpha : float
        Inequality aversion of ``alpha_fair`` (``>= 0``; 1 is proportional fairness,
        large values approach max-min fairness).
    k : int, optional
        Holders counted by ``top_k_share`` (default 1).
    method : {"auto", "exact", "solver"}
        ``auto`` uses the exact fill wherever it applies; ``solver`` forces cvxpy.
    solver : str, optional
        cvxpy solver for solver paths (default Clarabel).

    Returns
    -------
    OracleAllocation
        ``np.asarray(result)`` is the allocation, in the units of ``budget`` and ``floors``.

    Raises
    ------
    InfeasibleError
        ``sum(floors) > budget`` or ``sum(caps) < budget``; ``min_budget`` and
        ``max_budget`` give the range of budgets that can be placed.

    Notes
    -----
    Water-filling: ``r_i = clip(lam, c_i, u_i)`` with ``lam`` solving
    ``sum_i clip(lam, c_i, u_i) = B``; weighted alpha-fair: ``r_i = clip(w_i^(1/alpha) nu, c_i, u_i)``
    (module docstring and references there).

    Examples
    --------
    Boyd & Vandenberghe's water-filling example 5.2 (floors 0.8, 1.0, 1.2, one unit to add):

    >>> import numpy as np, fairshare as fs
    >>> r = fs.allocate(4.0, [0.8, 1.0, 1.2])
    >>> np.round(np.asarray(r) - [0.8, 1.0, 1.2], 4)
    array([0.5333, 0.3333, 0.1333])
    """
    if objective not in ORACLE_OBJECTIVES:
        raise ConfigError(f"objective must be one of {', '.join(ORACLE_OBJECTIVES)}, got {objective!r}.")
    if method not in ("auto", "exact", "solver"):
        raise ConfigError(f"method must be 'auto', 'exact' or 'solver', got {method!r}.")
    if objective == "proportional":
        objective, alpha = "alpha_fair", 1.0
    index = floors.index if isinstance(floors, pd.Series) else None
    lower = _vector(floors, "floors")
    n = lower.size
    upper = np.full(n, np.inf) if caps is None else np.broadcast_to(_vector(caps, "caps", n), (n,)).copy()
    w = None if weights is None else _vector(weights, "weights", n, positive=True)
    budget = float(budget)
    k = 1 if k is None else int(k)
    _check(budget, lower, upper, alpha, k, n)
    if w is not None and objective in _SCHUR:
        raise ConfigError(f"{objective} takes no weights (weights apply to alpha_fair, max_min and hhi).")
    if objective == "alpha_fair" and w is None:
        w = np.ones(n)
    exact = not (objective == "alpha_fair" and alpha == 0)
    if method == "exact" and not exact:
        raise ConfigError("alpha_fair with alpha = 0 (utilitarian) has no exact path: use method='solver'.")
    if method == "solver" or not exact:
        r = _solve(budget, lower, upper, w, objective, alpha, k, solver)
        level, how = float("nan"), "solver"
    else:
        slopes = np.ones(n) if w is None else (w ** (1.0 / alpha) if objective == "alpha_fair" else w)
        r, level = clipfill(np.ascontiguousarray(slopes), np.ascontiguousarray(lower),
                            np.ascontiguousarray(upper), budget)
        how = "exact"
    tol = 1e-12 * max(budget, 1.0)
    return OracleAllocation(allocation=r, objective=objective, value=_value(r, objective, w, alpha, k),
                            level=float(level), at_floor=r <= lower + tol, at_cap=r >= upper - tol, budget=budget,
                            method=how, alpha=alpha if objective == "alpha_fair" else None, index=index,
                            details={"k": k} if objective == "top_k_share" else {})


def _vector(x, what: str, n: int | None = None, positive: bool = False) -> np.ndarray:
    a = np.atleast_1d(np.asarray(x, dtype=np.float64)).ravel()
    if n is not None and a.size not in (1, n):
        raise ConfigError(f"{what} has {a.size} entries; the floors have {n}.")
    if a.size == 0:
        raise ConfigError(f"{what} is empty: give at least one holder.")
    bad = ~np.isfinite(a) & ~(np.isposinf(a) & (what == "caps"))
    if bad.any() or (a < 0).any() or (positive and (a <= 0).any()):
        first = int(np.flatnonzero(bad | (a < 0) | (positive & (a <= 0)))[0])
        need = "> 0" if positive else ">= 0"
        raise ConfigError(f"{what} must be finite and {need}; entry {first} is {float(a[first])!r}.")
    return np.ascontiguousarray(np.broadcast_to(a, (n,)) if n is not None else a)


def _check(budget, lower, upper, alpha, k, n) -> None:
    if not np.isfinite(budget) or budget < 0:
        raise ConfigError(f"budget must be a finite number >= 0, got {budget!r}.")
    if not np.isfinite(alpha) or alpha < 0:
        raise ConfigError(f"alpha must be a finite number >= 0, got {alpha!r}.")
    if not 1 <= k <= n:
        raise ConfigError(f"k must be between 1 and the number of holders ({n}), got {k!r}.")
    crossed = np.flatnonzero(upper < lower)
    if crossed.size:
        i = int(crossed[0])
        raise InfeasibleError(f"holder {i} has cap {upper[i]:g} below its floor {lower[i]:g} "
                              f"({crossed.size} holders in all): raise the caps or lower the floors.")
    low, high = float(lower.sum()), float(upper.sum())
    if budget < low * (1 - 1e-12):
        err = InfeasibleError(f"the floors sum to {low:,.6g}, above the budget {budget:,.6g}: raise the budget "
                              f"by {low - budget:,.6g} to at least {low:,.6g}, or lower the floors.")
        err.min_budget, err.max_budget, err.shortfall = low, high, low - budget
        raise err
    if budget > high * (1 + 1e-12):
        err = InfeasibleError(f"the caps sum to {high:,.6g}, below the budget {budget:,.6g}: at most "
                              f"{high:,.6g} can be placed; raise the caps or lower the budget.")
        err.min_budget, err.max_budget, err.shortfall = low, high, 0.0
        raise err


def _value(r: np.ndarray, objective: str, w, alpha: float, k: int) -> float:
    """The objective at ``r`` (concentration measures of shares; alpha-fair welfare of ``r``)."""
    if objective == "alpha_fair":
        with np.errstate(divide="ignore"):
            if alpha == 1:
                return float(np.sum(w * np.log(r)))
            return float(np.sum(w * r ** (1 - alpha)) / (1 - alpha))
    if r.sum() <= 0:
        return float("nan")
    if objective == "max_min":
        return float(np.min(r if w is None else r / w))
    if objective == "hhi":
        return float(hhi(r)) if w is None else float(np.sum(r ** 2 / w))
    if objective == "max_share":
        return float(r.max() / r.sum())
    if objective == "top_k_share":
        return float(top_k_share(r, k))
    return float(gini(r) if objective == "gini" else theil(r))


def _solve(budget, lower, upper, w, objective, alpha, k, solver) -> np.ndarray:
    """The same problem through cvxpy, on ``y = r / budget`` for scaling."""
    cp = cvxpy()
    n = lower.size
    if budget == 0:
        return np.zeros(n)
    y = cp.Variable(n)
    lo, hi = lower / budget, upper / budget
    cons = [cp.sum(y) == 1, y >= lo]
    if np.isfinite(hi).any():
        cons.append(y[np.isfinite(hi)] <= hi[np.isfinite(hi)])
    if objective == "gini":
        raise ConfigError("gini has only the exact path (water-filling): use method='auto'.")
    if objective in ("hhi", "max_min"):  # lexicographic max-min is the weighted quadratic's minimiser
        goal = cp.Minimize(cp.sum_squares(y) if w is None else cp.sum(cp.multiply(1.0 / w, cp.square(y))))
    elif objective == "theil":
        goal = cp.Maximize(cp.sum(cp.entr(y)))
    elif objective == "max_share":
        goal = cp.Minimize(cp.max(y))
    elif objective == "top_k_share":
        goal = cp.Minimize(cp.sum_largest(y, k))
    elif alpha == 0:
        goal = cp.Maximize(w @ y)
    elif alpha == 1:
        goal = cp.Maximize(w @ cp.log(y))
    elif alpha < 1:
        goal = cp.Maximize(w @ cp.power(y, 1 - alpha))
    else:
        goal = cp.Minimize(w @ cp.power(y, 1 - alpha))
    problem = cp.Problem(goal, cons)
    info = solve(problem, solver, accuracy="tight", what=f"the {objective} oracle")
    if info.status == "infeasible":  # bounds were checked; a solver-side infeasibility is numerical
        raise InfeasibleError(f"solver {info.solver} reports the {objective} oracle infeasible although the floors "
                              "and caps admit the budget: rescale the inputs or use method='auto'.")
    return np.clip(np.asarray(y.value, dtype=np.float64), lo, hi) * budget
