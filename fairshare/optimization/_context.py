"""The build context handed to objective terms and constraints (one per scenario).

A term or constraint reads the basis through the context and writes cvxpy
expressions in the weights. Two forms are built from the same objects:

- the *problem* form: ``theta`` the weights (``sum(theta) == 1``), ``scale`` a
  ``cp.Parameter`` multiplying every USD amount the rule pays (the budget
  multiplier, times the token price when the price is flat);
- the *homogeneous* form used by diagnostics: ``theta`` stands for
  ``phi = scale * theta`` (so ``sum(phi)`` *is* the scale), ``scale`` is 1 and
  ``total`` is ``sum(phi)``. Minimising ``sum(phi)`` subject to the hard
  constraints gives the smallest budget or price multiplier that makes them
  feasible, as one convex problem (no bisection).

Token-share constraints are written against ``total`` (``1`` in the problem
form) so they are homogeneous of degree one and hold in both forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._kernels.dominance import undominated
from .basis import Basis

__all__ = ["Context"]


@dataclass
class Context:
    cp: object
    basis: Basis
    theta: object
    total: object
    scale: object
    allowed: np.ndarray
    flat_price: bool = False
    homogeneous: bool = False
    scenario: str = ""
    status_quo: np.ndarray | None = None
    presolve: bool = True
    fixed_bounds: bool = True
    parameters: list = field(default_factory=list)

    @property
    def shares(self) -> np.ndarray:
        """``(K, C)`` share of the window's emission per unit weight."""
        return self.basis.shares

    def parameter(self, value, nonneg: bool = False):
        """A new cvxpy Parameter holding ``value`` (scalar or array)."""
        value = np.asarray(value, dtype=np.float64)
        p = self.cp.Parameter(value.shape, nonneg=nonneg, value=value if value.ndim else float(value))
        self.parameters.append(p)
        return p

    def prune(self, rows: np.ndarray, sense: int = 1) -> np.ndarray:
        """``(R,) bool``: rows of ``rows @ theta >= b`` (``<=`` with ``sense = -1``) that another row does not imply.

        With ``theta >= 0`` a row is implied by any row below it elementwise (above
        it for ``<=``); see :mod:`fairshare._kernels.dominance`. All rows are kept
        when presolve is off (problems whose rows are re-costed later).
        """
        if not self.presolve or rows.shape[0] < 2:
            return np.ones(rows.shape[0], dtype=bool)
        keep, _ = undominated(np.ascontiguousarray(rows if sense > 0 else -rows, dtype=np.float64), 4096)
        return keep

    def never_binding(self, rows: np.ndarray, bound: float, sense: int = 1) -> np.ndarray:
        """``(R,) bool``: share rows that hold for every weight vector (``rows @ theta`` lies between the row's
        smallest and largest allowed entries, times ``total``), when the bound is fixed for the problem's life."""
        if not (self.presolve and self.fixed_bounds) or rows.shape[0] == 0:
            return np.zeros(rows.shape[0], dtype=bool)
        sub = rows[:, self.allowed]
        return sub.min(axis=1) >= bound if sense > 0 else sub.max(axis=1) <= bound

    def label(self, text: str) -> str:
        return f"{text} [{self.scenario}]" if self.scenario else text
