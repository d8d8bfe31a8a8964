"""Constraints on token shares and weights (they do not depend on the budget or the price).

Each holds for operator shares ``x = S theta`` of the window's emission and is
homogeneous of degree one in the weights (written against ``total``), see
:mod:`fairshare.optimization._context`.

- :class:`ShareCap`: ``x_k <= cap`` for every operator (maximum operator share).
- :class:`NakamotoAtLeast`: Nakamoto coefficient ``>= N``: the ``N - 1`` largest
  shares hold at most ``threshold``: ``sum_largest(x, N-1) <= threshold``, written
  with its LP dual ``min_z (N-1) z + sum(pos(x - z))`` [1]_ so that ``N`` is a
  Parameter (a frontier over ``N`` reuses one compiled problem).
- :class:`ContributionFloor`: every selected operator keeps at least
  ``fraction`` of its reward under ``Linear({on: 1})`` (work-proportional).
- :class:`MaxLoss`: no selected operator loses more than ``max_loss_pct`` percent
  of its reward under the status quo.
- :class:`MinWeight`: at least ``at_least`` of the emission on the named components
  (default: verified work).
- :class:`WeightBounds`: per-component bounds.
- :class:`MaxUnallocated`: at most ``share`` of the emission left unpaid (weight
  on components that are all zero in some epochs); the optimiser adds
  ``MaxUnallocated(0)`` unless one is given.

References
----------
.. [1] R. T. Rockafellar, S. Uryasev, "Optimization of conditional value-at-risk",
   Journal of Risk 2(3), 2000 (the sum of the k largest as a linear program).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..errors import ConfigError
from .base import Built, Constraint, RowConstraint, check_fraction

__all__ = ["ConcentrationCap", "ShareCap", "NakamotoAtLeast", "ContributionFloor", "MaxLoss", "MinWeight",
           "WeightBounds", "MaxUnallocated", "VERIFIED"]

#: The verified-work components.
VERIFIED = ("verified_work_tee", "verified_work_zkml")


def _relative_to(basis, who, base: np.ndarray) -> np.ndarray:
    """Share rows of the operators ``who`` paid under ``base`` (``(K,)`` shares), each divided by its ``base``."""
    keep = basis.select(who) & (base > 0)
    return basis.shares[keep] / base[keep, None]


@dataclass(frozen=True)
class ShareCap(RowConstraint):
    """No operator receives more than ``cap`` of the window's emission.

    Parameters
    ----------
    cap : float, default 0.1
        Largest share of the window's emission one operator may receive, in (0, 1].
    """

    cap: float = 0.1
    sense: ClassVar[int] = -1
    knob: ClassVar[str] = "max_share"

    def __post_init__(self):
        check_fraction(self.cap, "ShareCap cap", open_low=True)

    def rows(self, basis, status_quo):
        return basis.shares

    def bound(self):
        return self.cap

    def describe(self):
        return f"max operator share {self.cap:.1%}"


@dataclass(frozen=True)
class ContributionFloor(RowConstraint):
    """Each selected operator keeps at least ``fraction`` of its ``Linear({on: 1})`` reward.

    Parameters
    ----------
    fraction : float, default 0.25
        Share, in [0, 1], of its ``Linear({on: 1})`` reward each selected operator keeps.
    who : str, list or ndarray of bool, default "active"
        The operators bound (see :meth:`Basis.select <fairshare.optimization.basis.Basis.select>`):
        ``"active"`` (work in the window), ``"all"``, ``"non_retail"``, a class label, a list of
        operator ids or a boolean mask. Operators that ``Linear({on: 1})`` pays nothing are not bound.
    on : str, default "work"
        The component of the reference rule ``Linear({on: 1})``.
    """

    fraction: float = 0.25
    who: object = "active"
    on: str = "work"
    knob: ClassVar[str] = "contribution_floor"

    def __post_init__(self):
        check_fraction(self.fraction, "ContributionFloor fraction")

    def rows(self, basis, status_quo):
        return _relative_to(basis, self.who, basis.shares[:, basis.index(self.on)])

    def bound(self):
        return self.fraction

    def describe(self):
        return f"contribution floor {self.fraction:.0%} of {self.on}-proportional reward"


@dataclass(frozen=True)
class MaxLoss(RowConstraint):
    """No selected operator loses more than ``max_loss_pct`` percent against the status quo.

    Parameters
    ----------
    max_loss_pct : float, default 50.0
        Largest loss allowed against the status-quo reward, in percent, in [0, 100].
    who : str, list or ndarray of bool, default "all"
        The operators bound, as for :class:`ContributionFloor`; operators the status quo pays nothing
        are not bound.
    """

    max_loss_pct: float = 50.0
    who: object = "all"
    knob: ClassVar[str] = "max_loss_pct"
    bound_per_knob: ClassVar[float] = -0.01

    def __post_init__(self):
        check_fraction(self.max_loss_pct, "MaxLoss max_loss_pct", 0.0, 100.0)

    def rows(self, basis, status_quo):
        if status_quo is None:
            raise ConfigError("MaxLoss needs the status-quo weights (optimize(..., status_quo=...)).")
        return _relative_to(basis, self.who, basis.shares @ status_quo)

    def bound(self):
        return 1.0 - self.max_loss_pct / 100.0

    def knob_to_bound(self, value):
        return 1.0 - check_fraction(value, "max_loss_pct", 0.0, 100.0) / 100.0

    def describe(self):
        return f"no operator loses more than {self.max_loss_pct:g}% vs the status quo"


@dataclass(frozen=True)
class MinWeight(RowConstraint):
    """At least ``at_least`` of the emission weighted on ``components`` (default verified work).

    Parameters
    ----------
    at_least : float, default 0.1
        Smallest total weight, in [0, 1], on ``components``.
    components : tuple of str, default VERIFIED
        The components whose weights are summed (default the verified-work ones).
    """

    at_least: float = 0.1
    components: tuple = VERIFIED
    knob: ClassVar[str] = "min_weight"

    def __post_init__(self):
        check_fraction(self.at_least, "MinWeight at_least")
        if isinstance(self.components, str) or not isinstance(self.components, (tuple, list)) or not all(
                isinstance(c, str) for c in self.components) or not self.components:
            raise ConfigError(f"MinWeight components must be a tuple of component names, e.g. ('work',), got "
                              f"{self.components!r}.")

    def rows(self, basis, status_quo):
        m = np.zeros((1, len(basis.components)))
        for c in self.components:
            m[0, basis.index(c)] = 1.0
        return m

    def bound(self):
        return self.at_least

    def describe(self):
        return f"at least {self.at_least:.0%} weight on {'+'.join(self.components)}"


@dataclass(frozen=True)
class NakamotoAtLeast(Constraint):
    """Nakamoto coefficient of operator shares ``>= count``: the ``count - 1`` largest hold ``<= threshold``.

    Matches :func:`fairshare.metrics.nakamoto_coefficient` (fewest holders with
    more than ``threshold``); the bound is tightened by ``1e-9`` so solver
    rounding cannot leave the top ``count - 1`` at exactly the threshold.

    Parameters
    ----------
    count : int, default 5
        The Nakamoto coefficient to reach; a whole number >= 1 (and at most one more than the operators
        present).
    threshold : float, default 0.5
        The share, in (0, 1], the ``count - 1`` largest operators together may hold at most.
    """

    count: int = 5
    threshold: float = 0.5
    knobs: ClassVar[tuple] = ("nakamoto", "nakamoto_threshold")

    def __post_init__(self):
        if int(self.count) != self.count or self.count < 1:
            raise ConfigError(f"NakamotoAtLeast count must be a whole number >= 1, got {self.count!r}.")
        check_fraction(self.threshold, "NakamotoAtLeast threshold", open_low=True)

    def build(self, ctx):
        cp = ctx.cp
        k = ctx.parameter(float(self._k(self.count, ctx.basis)), nonneg=True)
        thr = ctx.parameter(self.threshold - 1e-9)
        z = cp.Variable()
        x = ctx.shares @ ctx.theta
        cons = [k * z + cp.sum(cp.pos(x - z)) <= thr * ctx.total]
        return Built(self, ctx.label(self.describe()), cons, {"k": k, "threshold": thr}, {"z": z})

    @staticmethod
    def _k(count, basis) -> int:
        if count - 1 > basis.n_operators:
            raise ConfigError(f"a Nakamoto coefficient of {count} needs at least {count - 1} operators; "
                              f"{basis.n_operators} are present.")
        return int(count) - 1

    def slack(self, basis, theta, *, scale=1.0, flat_price=False, status_quo=None):
        x = np.sort(basis.shares @ theta)[::-1]
        top = x[: self.count - 1].sum()
        return np.array([self.threshold * theta.sum() - top])

    def set_knob(self, built, knob, value):
        if knob == "nakamoto":
            if int(value) != value or value < 1:
                raise ConfigError(f"a Nakamoto target must be a whole number >= 1, got {value!r}.")
            built.params["k"].value = float(int(value) - 1)
        elif knob == "nakamoto_threshold":
            built.params["threshold"].value = check_fraction(value, "threshold", open_low=True) - 1e-9
        else:
            super().set_knob(built, knob, value)

    def sensitivities(self, built, theta, scale):
        mu = float(built.duals()[0].sum())
        return {"scale": 0.0, "nakamoto_threshold": -mu}

    def describe(self):
        return f"Nakamoto coefficient >= {self.count} (threshold {self.threshold:.0%})"


@dataclass(frozen=True)
class ConcentrationCap(Constraint):
    """HHI of operators' window rewards at most ``hhi``: ``||S theta||**2 <= hhi`` (a second-order cone).

    Parameters
    ----------
    hhi : float, optional
        The largest Herfindahl-Hirschman index allowed, in (0, 1]. None (default): the status quo's,
        so a proposal may not concentrate rewards more than the rule it replaces.
    """

    hhi: float | None = None
    knobs: ClassVar[tuple] = ("hhi_at_most",)

    def __post_init__(self):
        if self.hhi is not None:
            check_fraction(self.hhi, "ConcentrationCap hhi", open_low=True)

    def bound(self, basis, status_quo) -> float:
        if self.hhi is not None:
            return float(self.hhi)
        if status_quo is None:
            raise ConfigError("ConcentrationCap() caps HHI at the status quo's: give the problem a status quo, "
                              "or a number (ConcentrationCap(hhi=0.1)).")
        x = basis.shares @ status_quo
        return float(x @ x) / max(float(status_quo.sum()), 1e-300) ** 2

    def build(self, ctx):
        cp = ctx.cp
        r = np.linalg.qr(ctx.shares, mode="r")  # ||S theta|| == ||R theta||, R is C x C
        root = ctx.parameter(np.sqrt(self.bound(ctx.basis, ctx.status_quo)) + 1e-12, nonneg=True)
        return Built(self, ctx.label(self.describe()), [cp.norm(r @ ctx.theta, 2) <= root * ctx.total],
                     {"root": root}, {})

    def slack(self, basis, theta, *, scale=1.0, flat_price=False, status_quo=None):
        x = basis.shares @ theta
        return np.array([self.bound(basis, status_quo) * theta.sum() ** 2 - float(x @ x)])

    def set_knob(self, built, knob, value):
        if knob != "hhi_at_most":
            super().set_knob(built, knob, value)
        built.params["root"].value = np.sqrt(check_fraction(value, "hhi_at_most", open_low=True)) + 1e-12

    def sensitivities(self, built, theta, scale):
        return {"scale": 0.0}

    def describe(self):
        return "HHI at most the status quo's" if self.hhi is None else f"HHI at most {self.hhi:g}"


@dataclass(frozen=True)
class WeightBounds(Constraint):
    """``low <= weight[c] <= high`` for each component in ``bounds`` (``{name: (low, high)}``).

    Parameters
    ----------
    bounds : dict of str to tuple of float, default {}
        ``{component: (low, high)}`` with ``0 <= low <= high <= 1``; components left out are unbounded.
    """

    bounds: dict = field(default_factory=dict)

    def __post_init__(self):
        for c, (lo, hi) in self.bounds.items():
            check_fraction(lo, f"WeightBounds low for {c}")
            check_fraction(hi, f"WeightBounds high for {c}")
            if lo > hi:
                raise ConfigError(f"WeightBounds for {c}: low {lo} is above high {hi}.")

    def _arrays(self, basis):
        idx = np.array([basis.index(c) for c in self.bounds], dtype=np.int64)
        lo = np.array([float(v[0]) for v in self.bounds.values()])
        hi = np.array([float(v[1]) for v in self.bounds.values()])
        return idx, lo, hi

    def build(self, ctx):
        idx, lo, hi = self._arrays(ctx.basis)
        if idx.size == 0:
            return Built(self, ctx.label(self.describe()), [])
        th = ctx.theta[idx]
        cons = [th >= lo * ctx.total, th <= hi * ctx.total]
        return Built(self, ctx.label(self.describe()), cons, {}, {"idx": idx})

    def slack(self, basis, theta, *, scale=1.0, flat_price=False, status_quo=None):
        idx, lo, hi = self._arrays(basis)
        t = theta[idx]
        return np.r_[t - lo * theta.sum(), hi * theta.sum() - t]

    def describe(self):
        return "weight bounds " + ", ".join(f"{c} in [{lo:g}, {hi:g}]" for c, (lo, hi) in self.bounds.items())


@dataclass(frozen=True)
class MaxUnallocated(Constraint):
    """At most ``share`` of the window's emission unpaid; ``0`` forbids weight on sometimes-empty components.

    Parameters
    ----------
    share : float, default 0.0
        Largest share, in [0, 1], of the window's emission the weights may leave unpaid.
    """

    share: float = 0.0

    def __post_init__(self):
        check_fraction(self.share, "MaxUnallocated share")

    def _row(self, basis):
        e = basis.emission_tokens
        return basis.unallocated / e if e > 0 else np.zeros(len(basis.components))

    def build(self, ctx):
        u = self._row(ctx.basis)
        if not (u > 0).any():
            return Built(self, ctx.label(self.describe()), [])
        if self.share == 0:
            cons = [ctx.theta[np.flatnonzero(u > 0)] == 0]
        else:
            cons = [u @ ctx.theta <= self.share * ctx.total]
        return Built(self, ctx.label(self.describe()), cons)

    def slack(self, basis, theta, *, scale=1.0, flat_price=False, status_quo=None):
        u = self._row(basis)
        if not (u > 0).any():
            return np.array([np.inf])  # nothing can be left unpaid
        return np.array([self.share * theta.sum() - u @ theta])

    def describe(self):
        return f"unallocated emission <= {self.share:.0%}"
