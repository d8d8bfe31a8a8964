"""Base of the optimiser's constraints: small frozen objects that build cvxpy constraints.

A :class:`Constraint` is configuration only (cvxportfolio style): ``build(ctx)``
returns a :class:`Built` record holding the cvxpy constraints, the Parameters
its knobs change, and the numbers its report needs. The same object builds
into the problem form and into the homogeneous form of the diagnostics
(:mod:`fairshare.optimization._context`).

Every constraint also checks itself numerically (:meth:`Constraint.slack`,
>= 0 where it holds, in its own normalised units) so results and tests verify
an optimum without trusting the solver, and reports sensitivities from its dual
values: ``d objective / d knob`` and its part of ``d objective / d scale`` (the
budget multiplier), by the envelope theorem: at the optimum the derivative of
the optimal value with respect to a parameter is the derivative of the
Lagrangian ``f + sum(lambda_i g_i)`` with the duals held fixed.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..errors import ConfigError, OptimizationError

__all__ = ["Constraint", "Built", "RowConstraint"]

#: Slack (normalised units) at or below which a constraint counts as binding.
BINDING_TOL = 1e-6


@dataclass
class Built:
    """One constraint built into one problem (see the module docstring).

    Parameters
    ----------
    owner : Constraint
        The constraint that built this record.
    label : str
        The constraint's description in this problem (with the scenario's name when there are several).
    constraints : list of cvxpy.Constraint
        The cvxpy constraints added to the problem (empty when every row was left out).
    params : dict, optional
        The cvxpy Parameters the constraint's knobs set, by name.
    data : dict, optional
        Numbers the report and rescaling need (for example ``scale``, ``per_scale``, ``times_scale``,
        ``scenario``).
    penalty : cvxpy.Expression, optional
        A term added to the objective (soft constraints); None for hard ones.
    """

    owner: "Constraint"
    label: str
    constraints: list
    params: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    penalty: object = None

    def duals(self) -> list[np.ndarray]:
        return [np.atleast_1d(np.asarray(c.dual_value, dtype=np.float64)) if c.dual_value is not None
                else np.zeros(1) for c in self.constraints]


class Constraint(abc.ABC):
    """Base class: subclasses are frozen dataclasses implementing ``build``, ``slack`` and ``sensitivities``.

    ``knobs`` name the values a frontier may sweep; ``money`` marks constraints
    on USD amounts, which change with the budget and the token price.
    """

    knobs: ClassVar[tuple] = ()
    money: ClassVar[bool] = False

    @property
    def soft(self) -> bool:
        return False

    @abc.abstractmethod
    def build(self, ctx) -> Built:
        """The cvxpy rows of the constraint in a problem context."""

    def slack(self, basis, theta: np.ndarray, *, scale: float = 1.0, flat_price: bool = False,
              status_quo: np.ndarray | None = None) -> np.ndarray:
        """Normalised slack of every row at ``theta`` (>= 0 where the constraint holds).

        ``scale`` is the budget multiplier (times the flat price when
        ``flat_price``); ``status_quo`` the baseline weights. Constraints without
        a slack measure say so with a typed error.
        """
        raise OptimizationError(f"{self.describe()} does not measure its slack outside a solve.")

    def sensitivities(self, built: Built, theta: np.ndarray, scale: float) -> dict[str, float]:
        """``{"scale": d f*/d scale, knob: d f*/d knob}`` from the duals of the last solve."""
        return {"scale": 0.0}

    def set_knob(self, built: Built, knob: str, value: float) -> None:
        raise ConfigError(f"{self.describe()} has no knob {knob!r}; its knobs: {', '.join(self.knobs) or 'none'}.")

    def set_costs(self, built: Built, basis) -> None:
        """Refresh cost-dependent Parameters from ``basis`` (frontiers over cost inputs)."""

    def rescale(self, built: Built, scale: float) -> None:
        """Set the Parameters that hold ``bound / scale`` (``data["per_scale"]``) or ``coef * scale``
        (``data["times_scale"]``) for a new USD scale."""
        built.data["scale"] = float(scale)
        for name, base in built.data.get("per_scale", {}).items():
            built.params[name].value = base / scale
        for name, base in built.data.get("times_scale", {}).items():
            built.params[name].value = base * scale

    def describe(self) -> str:
        return type(self).__name__


def check_fraction(value, what: str, low: float = 0.0, high: float = 1.0, open_low: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{what} must be a number in {'(' if open_low else '['}{low:g}, {high:g}], got {value!r}"
                          f"{' (arguments in the wrong order?)' if isinstance(value, str) else ''}.")
    v = float(value)
    ok = np.isfinite(v) and (v > low if open_low else v >= low) and v <= high
    if not ok:
        raise ConfigError(f"{what} must be in {'(' if open_low else '['}{low:g}, {high:g}], got {value!r}.")
    return v


class RowConstraint(Constraint):
    """Rows ``M theta >= b * total`` on token shares (``<=`` with ``sense = -1``), ``b`` one knob.

    Subclasses give ``rows(basis, ctx_status_quo) -> M (R, C)`` already
    normalised so ``b`` is a plain fraction, the knob's name and its value.
    """

    sense: ClassVar[int] = 1  # +1: M theta >= b; -1: M theta <= b
    knob: ClassVar[str] = ""
    bound_per_knob: ClassVar[float] = 1.0  # d bound / d knob

    @property
    def knobs(self) -> tuple:
        return (self.knob,)

    @abc.abstractmethod
    def rows(self, basis, status_quo):
        """``(R, C)`` normalised rows ``M`` of ``M theta >= b`` (or ``<=``)."""

    @abc.abstractmethod
    def bound(self) -> float:
        """The bound ``b`` the knob sets."""

    def knob_to_bound(self, value: float) -> float:
        return float(value)

    def build(self, ctx) -> Built:
        m = self.rows(ctx.basis, ctx.status_quo)
        never = ctx.never_binding(m, self.bound(), self.sense)
        m = m[~never]
        m = m[ctx.prune(m, self.sense)]
        b = ctx.parameter(self.bound())
        lhs = m @ ctx.theta
        cons = [lhs >= b * ctx.total] if self.sense > 0 else [lhs <= b * ctx.total]
        return Built(self, ctx.label(self.describe()), cons, {"bound": b},
                     {"rows": m, "built_bound": self.bound(), "dropped": bool(never.any())})

    def slack(self, basis, theta, *, scale=1.0, flat_price=False, status_quo=None):
        m = self.rows(basis, status_quo)
        return self.sense * (m @ theta - self.bound() * theta.sum())

    def set_knob(self, built, knob, value):
        if knob != self.knob:
            super().set_knob(built, knob, value)
        bound = self.knob_to_bound(value)
        stricter = (bound - built.data["built_bound"]) * self.sense > 0
        if built.data["dropped"] and stricter:
            raise ConfigError(f"{self.describe()}: the problem left out rows that hold at the bound it was built "
                              f"with; a stricter {knob} needs EmissionProblem(..., fixed_bounds=False).")
        built.params["bound"].value = bound

    def sensitivities(self, built, theta, scale):
        lam = built.duals()[0]
        # L = f + lam (b - M theta) for ">=", f + lam (M theta - b) for "<=": dL/db = sense * sum(lam)
        return {"scale": 0.0, self.knob: float(self.sense * lam.sum()) * self.bound_per_knob}
