"""Objective terms of the emission-weight optimiser, composable by ``+`` and scalar ``*``.

Every term measures the operators' window rewards ``x = S theta`` as shares
of the window's emission (``S = tokens / E``, :class:`~fairshare.optimization.basis.Basis`).
With nothing unallocated (the default ``MaxUnallocated(0)``) ``sum(x) == 1``
and each term equals the metric of the same name in :mod:`fairshare.metrics`
on the operators present in the window.

================  ==================================  ==============================================
term              minimised                           convex form
================  ==================================  ==============================================
``HHI``           ``sum(x**2)``                       ``||R theta||**2``, ``S = QR`` (a C x C factor)
``LargestShare``  ``max(x)``                          ``max(S theta)``
``TopKShare``     sum of the ``k`` largest ``x``      ``sum_largest(S theta, k)``
``Gini``          ``sum_i (2i - n - 1) x_(i) / n``    cutting planes over theta (below)
``Theil``         ``ln n + sum(x ln x)``              ``ln n - sum(entr(S theta))``
``AlphaFair``     ``-sum(w u_alpha(x))``              ``log`` and power cones
``DistanceFrom    ``sum(|x - p|) / 2``, ``p`` the     ``norm1(S theta - p)``
Proportional``    shares of a proportional rule
================  ==================================  ==============================================

Gini without pairwise terms: by the rearrangement inequality the sorted form
is the maximum over orderings, ``G(theta) = max_pi c_pi' S theta`` with
``c_pi[i] = (2 rank_i - n - 1) / n``, a convex piecewise-linear function of the
C weights. Its epigraph is built from cuts ``t >= (S' c_pi) theta`` held in a
fixed-size Parameter matrix (DPP: adding a cut changes values, not the
problem); the optimiser adds the cut of the current solution's ordering until
the model and the exact Gini agree (Kelley's cutting-plane method [1]_,
stabilised by a proximal term, :meth:`EmissionProblem.solve
<fairshare.optimization.problem.EmissionProblem.solve>`). Each cut costs one sort
of the n shares and one ``S' c`` product; memory is O(n C), never O(n**2).

References
----------
.. [1] J. E. Kelley, "The cutting-plane method for solving convex programs",
   Journal of the SIAM 8(4), 1960.
.. [2] H. Theil, *Economics and Information Theory*, North-Holland, 1967.
.. [3] J. Mo, J. Walrand, "Fair end-to-end window-based congestion control",
   IEEE/ACM Transactions on Networking 8(5), 2000 (alpha-fairness).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import ConfigError

__all__ = ["Term", "Objective", "HHI", "LargestShare", "TopKShare", "Gini", "Theil", "AlphaFair", "as_objective",
           "OBJECTIVES", "DistanceFromProportional"]


class Term(abc.ABC):
    """One measure of the shares ``x = S theta``; combine terms with ``+`` and ``*``."""

    name: ClassVar[str] = ""
    cutting: ClassVar[bool] = False

    @abc.abstractmethod
    def build(self, ctx):
        """``(expression, constraints, handle)`` of the term in the context's weights."""

    @abc.abstractmethod
    def measure(self, x: np.ndarray) -> float:
        """The term at shares ``x`` (numpy)."""

    def value(self, basis, theta: np.ndarray, allowed: np.ndarray | None = None) -> float:
        """The term at weights ``theta`` (``allowed``: the components the problem may use)."""
        return self.measure(basis.shares @ theta)

    def __add__(self, other):
        return Objective(((1.0, self),)) + other

    __radd__ = __add__

    def __mul__(self, coef):
        return Objective(((float(coef), self),))

    __rmul__ = __mul__

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True)
class Objective:
    """A weighted sum of terms: minimise ``sum(coef * term)``.

    Parameters
    ----------
    terms : tuple of (float, Term)
        ``(coef, term)`` pairs; coefficients finite and >= 0, at least one pair.
    """

    terms: tuple

    def __post_init__(self):
        for coef, term in self.terms:
            if not (np.isfinite(coef) and coef >= 0) or not isinstance(term, Term):
                raise ConfigError(f"objective terms need finite coefficients >= 0 and Term objects; got "
                                  f"{coef!r} * {term!r}.")
        if not self.terms:
            raise ConfigError("the objective has no terms.")

    def __add__(self, other):
        if other == 0:
            return self
        other = as_objective(other)
        return Objective(self.terms + other.terms)

    __radd__ = __add__

    def __mul__(self, coef):
        return Objective(tuple((float(coef) * c, t) for c, t in self.terms))

    __rmul__ = __mul__

    @property
    def cutting(self) -> bool:
        return any(t.cutting for _, t in self.terms)

    def parts(self, basis, theta: np.ndarray, allowed=None) -> dict[str, float]:
        """Each term's value at ``theta`` (unweighted), by name."""
        return {t.describe(): t.value(basis, theta, allowed) for _, t in self.terms}

    def value(self, basis, theta: np.ndarray, allowed=None) -> float:
        return float(sum(c * t.value(basis, theta, allowed) for c, t in self.terms))

    def describe(self) -> str:
        return " + ".join(t.describe() if c == 1 else f"{c:g} * {t.describe()}" for c, t in self.terms)


@dataclass(frozen=True)
class HHI(Term):
    """Herfindahl-Hirschman index of operator shares, ``sum(x**2)``."""

    name: ClassVar[str] = "hhi"

    def build(self, ctx):
        r = np.linalg.qr(ctx.shares, mode="r")  # ||S theta||^2 == ||R theta||^2, R is C x C
        return ctx.cp.sum_squares(r @ ctx.theta), [], None

    def measure(self, x):
        return float(np.sum(x * x))


@dataclass(frozen=True)
class LargestShare(Term):
    """The largest operator share, ``max(x)``."""

    name: ClassVar[str] = "max_share"

    def build(self, ctx):
        return ctx.cp.max(ctx.shares @ ctx.theta), [], None

    def measure(self, x):
        return float(np.max(x))


@dataclass(frozen=True)
class TopKShare(Term):
    """Share of the ``k`` best-paid operators, ``sum_largest(x, k)``.

    Parameters
    ----------
    k : int, default 10
        Number of best-paid operators; a whole number >= 1 (more than the operators present counts them all).
    """

    k: int = 10
    name: ClassVar[str] = "top_k_share"

    def __post_init__(self):
        if int(self.k) != self.k or self.k < 1:
            raise ConfigError(f"TopKShare k must be a whole number >= 1, got {self.k!r}.")

    def build(self, ctx):
        k = min(int(self.k), ctx.basis.n_operators)
        return ctx.cp.sum_largest(ctx.shares @ ctx.theta, k), [], None

    def measure(self, x):
        k = min(int(self.k), x.size)
        return float(np.sort(x)[::-1][:k].sum())

    def describe(self):
        return f"top_{self.k}_share"


@dataclass(frozen=True)
class Gini(Term):
    """Gini coefficient (mean-difference, population form) of operator shares, by cutting planes.

    Parameters
    ----------
    max_cuts : int, default 256
        Size of the cut store: the most supporting planes of the Gini the cutting-plane loop can add.
    """

    max_cuts: int = 256
    name: ClassVar[str] = "gini"
    cutting: ClassVar[bool] = True

    def build(self, ctx):
        handle = GiniCuts(ctx, self.max_cuts)
        return handle.t, [handle.t >= handle.matrix @ ctx.theta], handle

    def measure(self, x):
        n = x.size
        ranks = 2.0 * np.arange(1, n + 1) - n - 1.0
        return float(ranks @ np.sort(x) / n)


class GiniCuts:
    """The cut store of one Gini term: ``t >= P theta`` with ``P`` a ``(max_cuts, C)`` Parameter."""

    def __init__(self, ctx, max_cuts: int):
        self.shares = ctx.shares
        self.t = ctx.cp.Variable()
        c = self.shares.shape[1]
        self.rows: list[np.ndarray] = []
        self.max_cuts = int(max_cuts)
        self.matrix = ctx.parameter(np.zeros((self.max_cuts, c)))

    def cut(self, theta: np.ndarray) -> np.ndarray:
        """``(C,)`` coefficients of the Gini's supporting plane at ``theta``."""
        x = self.shares @ theta
        n = x.size
        order = np.argsort(x, kind="stable")
        coef = np.empty(n)
        coef[order] = (2.0 * np.arange(1, n + 1) - n - 1.0) / n
        return coef @ self.shares

    def add(self, theta: np.ndarray) -> bool:
        """Add the cut at ``theta``; False when the store is full."""
        if len(self.rows) >= self.max_cuts:
            return False
        self.rows.append(self.cut(theta))
        stacked = np.array(self.rows)
        filler = np.repeat(stacked[:1], self.max_cuts - len(self.rows), axis=0)  # copies of a real cut
        self.matrix.value = np.vstack([stacked, filler])
        return True

    def reset(self) -> None:
        self.rows = []


@dataclass(frozen=True)
class Theil(Term):
    """Theil T index of operator shares, ``ln n + sum(x ln x)`` (zero holders count in n and add 0)."""

    name: ClassVar[str] = "theil"

    def build(self, ctx):
        n = ctx.basis.n_operators
        return np.log(n) - ctx.cp.sum(ctx.cp.entr(ctx.shares @ ctx.theta)), [], None

    def measure(self, x):
        pos = x[x > 0]
        return float(np.log(x.size) + np.sum(pos * np.log(pos)))


@dataclass(frozen=True)
class AlphaFair(Term):
    """Negative alpha-fair welfare of the shares of operators ``who``.

    ``u(x) = log x`` at ``alpha = 1``, else ``x**(1 - alpha) / (1 - alpha)``;
    minimised is ``-sum(w * u(x))``. ``alpha = 0`` is utilitarian (total paid),
    ``alpha = 1`` proportional fairness, large ``alpha`` approaches max-min.
    Operators no allowed component can pay are left out (their utility would be
    ``-inf`` under every rule).

    Parameters
    ----------
    alpha : float, default 1.0
        Inequality aversion; finite and >= 0.
    weights : tuple of float, optional
        Welfare weight ``w`` of each operator present in the window (finite, > 0, one per operator);
        None weights all 1.
    who : str, default "active"
        The operators whose welfare counts (see
        :meth:`Basis.select <fairshare.optimization.basis.Basis.select>`).
    """

    alpha: float = 1.0
    weights: tuple | None = None
    who: str = "active"
    name: ClassVar[str] = "alpha_fair"

    def __post_init__(self):
        if not (np.isfinite(self.alpha) and self.alpha >= 0):
            raise ConfigError(f"AlphaFair alpha must be a finite number >= 0, got {self.alpha!r}.")

    def rows(self, basis, allowed) -> tuple[np.ndarray, np.ndarray]:
        sel = basis.select(self.who) & (basis.shares[:, allowed].sum(axis=1) > 0)
        w = np.ones(basis.n_operators) if self.weights is None else np.asarray(self.weights, dtype=np.float64)
        if w.shape != (basis.n_operators,) or not (np.isfinite(w).all() and (w > 0).all()):
            raise ConfigError(f"AlphaFair weights need {basis.n_operators} finite positive entries (one per "
                              "operator present in the window).")
        return sel, w[sel]

    def build(self, ctx):
        cp = ctx.cp
        sel, w = self.rows(ctx.basis, ctx.allowed)
        x = ctx.shares[sel] @ ctx.theta
        a = float(self.alpha)
        if a == 0:
            return -(w @ x), [], None
        if a == 1:
            return -(w @ cp.log(x)), [], None
        if a < 1:
            return -(w @ cp.power(x, 1 - a)) / (1 - a), [], None
        return (w @ cp.power(x, 1 - a)) / (a - 1), [], None

    def value(self, basis, theta, allowed=None):
        sel, w = self.rows(basis, np.ones(len(basis.components), dtype=bool) if allowed is None else allowed)
        return self.measure_weighted((basis.shares @ theta)[sel], w)

    def measure_weighted(self, x, w):
        a = float(self.alpha)
        with np.errstate(divide="ignore"):
            if a == 1:
                return float(-np.sum(w * np.log(x)))
            return float(-np.sum(w * x ** (1 - a)) / (1 - a))

    def measure(self, x):
        return self.measure_weighted(x, np.ones(x.size))

    def describe(self):
        return f"alpha_fair({self.alpha:g})"


@dataclass(frozen=True)
class DistanceFromProportional(Term):
    """How far operators' rewards are from a proportional rule: ``sum(|x - p|) / 2``.

    ``p`` are the shares ``Linear({to: 1.0})`` pays; the distance is the share of the emission that
    moves between operators against it (total variation, between 0 and 1). Proportional to work is
    the one rule that gives no incentive to split or merge anonymous identities (Leshno and Strack
    [4]_), so staying close to it keeps a proposal's departures small and visible.

    Parameters
    ----------
    to : str, default "work"
        The component the reference rule pays in proportion to (one of the problem's components).

    References
    ----------
    .. [4] J. D. Leshno, P. Strack, "Bitcoin: An axiomatic approach and an impossibility theorem",
       American Economic Review: Insights 2(3), 2020.
    """

    to: str = "work"
    name: ClassVar[str] = "distance_from_proportional"

    def _reference(self, basis) -> np.ndarray:
        return basis.shares[:, basis.index(self.to)]

    def build(self, ctx):
        p = self._reference(ctx.basis)
        return 0.5 * ctx.cp.norm1(ctx.shares @ ctx.theta - p * ctx.total), [], None

    def measure(self, x):  # pragma: no cover - value() passes the reference
        raise ConfigError("DistanceFromProportional needs the basis: use value(basis, theta).")

    def value(self, basis, theta, allowed=None):
        return float(0.5 * np.abs(basis.shares @ theta - self._reference(basis)).sum())

    def describe(self) -> str:
        return f"distance_from_proportional({self.to})"


#: Objective names accepted as strings.
OBJECTIVES = {"hhi": HHI, "max_share": LargestShare, "top_k_share": TopKShare, "gini": Gini, "theil": Theil,
              "alpha_fair": AlphaFair, "distance_from_proportional": DistanceFromProportional}


def as_objective(spec) -> Objective:
    """An :class:`Objective` from a name, a term, an objective, or a dict ``{name or term: coefficient}``.

    Parameters
    ----------
    spec : str, Term, Objective or dict
        An objective name (``"hhi"``, ``"max_share"``, ``"top_k_share"``, ``"gini"``, ``"theil"``,
        ``"alpha_fair"``, ``"distance_from_proportional"``), a term, an objective (returned as is) or
        ``{name or term: coefficient}``.
    """
    if isinstance(spec, Objective):
        return spec
    if isinstance(spec, Term):
        return Objective(((1.0, spec),))
    if isinstance(spec, str):
        if spec not in OBJECTIVES:
            raise ConfigError(f"unknown objective {spec!r}; use one of {', '.join(OBJECTIVES)}, a Term such as "
                              "TopKShare(k=5), or a weighted sum like 0.5 * HHI() + 0.5 * Gini().")
        return Objective(((1.0, OBJECTIVES[spec]()),))
    if isinstance(spec, dict):
        terms = ()
        for name, coef in spec.items():
            terms += (float(coef) * as_objective(name)).terms
        return Objective(terms)
    raise ConfigError(f"cannot read an objective from {spec!r}.")
