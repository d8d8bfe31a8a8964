"""fairshare's library of reward rules, each a registered :class:`~fairshare.formulas.Formula`.

See :mod:`fairshare.formulas` for the contract every rule keeps and :mod:`fairshare.formulas.base` for
the interface.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .._kernels.waterfill import capped_proportional
from ..errors import FormulaError
from .base import Allocation, Formula, ScoreFormula, check_component, check_nonneg
from .components import COMPONENTS, PER_IDENTITY, component, component_shares

__all__ = [
    "Proportional", "PerTask", "StakeWeighted", "CobbDouglas", "Power", "VerificationWeighted", "SmallTaskBonus",
    "Linear", "FloorPlusProportional", "Capped", "FeeLinkedCap", "STATUS_QUO", "reference_rules",
]

@dataclass(frozen=True)
class Proportional(ScoreFormula):
    """Pay in proportion to one component (default: work units). Monotone.

    Split-neutral on a size component (work, stake, fees, ...): splitting a node into k keys splits its
    reward; rewarded on a per-identity component (``availability``, ``identity_floor``), which every key
    claims in full.

    Parameters
    ----------
    on : str, default "work"
        The component paid in proportion to, one of :data:`~fairshare.formulas.COMPONENTS`.
    """

    on: str = "work"
    name: ClassVar[str] = "proportional"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        check_component(self.on, "Proportional(on=...)")

    def scores(self, features):
        return component(features, self.on)

    def sybil(self):
        return "rewarded" if self.on in PER_IDENTITY else "neutral"

    def describe(self):
        return f"each epoch's emission in proportion to {COMPONENTS[self.on]}"


@dataclass(frozen=True)
class PerTask(Proportional):
    """The same reward for every request served.

    Parameters
    ----------
    on : str, default "tasks"
        The component paid in proportion to: requests served unless changed.
    """

    on: str = "tasks"
    name: ClassVar[str] = "per_task"


@dataclass(frozen=True)
class StakeWeighted(Proportional):
    """Pay in proportion to stake bonded while active (as stake-weighted emission pools do).

    Parameters
    ----------
    on : str, default "stake"
        The component paid in proportion to: stake bonded while active unless changed.
    """

    on: str = "stake"
    name: ClassVar[str] = "stake_weighted"


@dataclass(frozen=True)
class CobbDouglas(ScoreFormula):
    """Score ``work ** a * stake ** b`` (a factor with exponent 0 counts as 1).

    Parameters
    ----------
    work_exponent : float, default 0.5
        Exponent ``a`` of work units; finite and >= 0.
    stake_exponent : float, default 0.5
        Exponent ``b`` of stake tokens; finite and >= 0. Splitting an identity is neutral when
        ``a + b == 1``, rewarded below 1 and penalised above.
    """

    work_exponent: float = 0.5
    stake_exponent: float = 0.5
    name: ClassVar[str] = "cobb_douglas"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        check_nonneg(self.work_exponent, "CobbDouglas work_exponent")
        check_nonneg(self.stake_exponent, "CobbDouglas stake_exponent")

    def scores(self, features):
        return _power(features.work_units, self.work_exponent) * _power(features.stake_tokens, self.stake_exponent)

    def sybil(self):
        return _by_degree(self.work_exponent + self.stake_exponent)


@dataclass(frozen=True)
class Power(ScoreFormula):
    """Score ``component ** exponent``: below 1 favours small holders (and pays Sybil splitting).

    Parameters
    ----------
    exponent : float, default 0.5
        Exponent applied to the component; finite and >= 0 (0 pays every node with a score of 1).
    on : str, default "work"
        The component raised to ``exponent``, one of :data:`~fairshare.formulas.COMPONENTS`.
    """

    exponent: float = 0.5
    on: str = "work"
    name: ClassVar[str] = "power"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        check_nonneg(self.exponent, "Power exponent")
        check_component(self.on, "Power(on=...)")

    def scores(self, features):
        return _power(component(features, self.on), self.exponent)

    def sybil(self):
        if self.on in PER_IDENTITY:  # every identity claims the whole quantity; exponent 0 pays 1 per identity
            return "rewarded"
        return _by_degree(self.exponent)

    def merging(self):
        if self.on in PER_IDENTITY and self.exponent > 1:
            return "unknown"  # merged availability adds up, and (a + b) ** p > a ** p + b ** p for p > 1
        return super().merging()


def _by_degree(degree: float) -> str:
    """Scores homogeneous of ``degree`` in a node's quantities: splitting scales its score by k**(1 - degree)."""
    return "neutral" if degree == 1 else ("rewarded" if degree < 1 else "penalised")


def _power(x: np.ndarray, exponent: float) -> np.ndarray:
    return np.ones_like(x) if exponent == 0 else np.power(x, exponent)


@dataclass(frozen=True)
class VerificationWeighted(ScoreFormula):
    """Score ``sum(multiplier[mode] * work[mode])``: reward verified work explicitly.

    Parameters
    ----------
    multipliers : dict, default {"vanilla": 1.0, "tee": 1.5, "zkml": 3.0}
        Weight of work units per verification mode (keys among ``"vanilla"``, ``"tee"``, ``"zkml"``;
        values finite and >= 0). A mode left out is weighted 0.
    """

    multipliers: dict = field(default_factory=lambda: {"vanilla": 1.0, "tee": 1.5, "zkml": 3.0})
    name: ClassVar[str] = "verification_weighted"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        unknown = set(self.multipliers) - {"vanilla", "tee", "zkml"}
        if unknown:
            raise FormulaError(f"VerificationWeighted multipliers: unknown modes {sorted(unknown)}; "
                               "use vanilla, tee, zkml.")
        for mode, m in self.multipliers.items():
            check_nonneg(m, f"VerificationWeighted multiplier for {mode}")

    def scores(self, features):
        by_mode = features.work_by_verification()
        return sum(float(self.multipliers.get(mode, 0.0)) * work for mode, work in by_mode.items())

    def sybil(self):
        return "neutral"


@dataclass(frozen=True)
class SmallTaskBonus(ScoreFormula):
    """Score ``work + bonus * small_task_work``: extra weight on fragmented small tasks.

    Parameters
    ----------
    bonus : float, default 1.0
        Extra weight on small-task work units; finite and >= 0 (0 is plain work-proportional).
    """

    bonus: float = 1.0
    name: ClassVar[str] = "small_task_bonus"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        check_nonneg(self.bonus, "SmallTaskBonus bonus")

    def scores(self, features):
        return features.work_units + self.bonus * features.small_task_work

    def sybil(self):
        return "neutral"


@dataclass(frozen=True)
class Linear(Formula):
    """Emission split over components by fixed weights (the optimiser's family).

    ``rewards[e] = emission[e] * sum_c weights[c] * share_c[e]``; weights are
    >= 0 and sum to 1. Weight on a component that is all zero in an epoch is
    unallocated there, so rewards stay linear in the weights.

    Parameters
    ----------
    weights : dict, default {"work": 1.0}
        Component name -> weight; names from :data:`~fairshare.formulas.COMPONENTS`, weights >= 0
        and summing to 1 (to 1e-9).
    """

    weights: dict = field(default_factory=lambda: {"work": 1.0})
    name: ClassVar[str] = "linear"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        if not isinstance(self.weights, Mapping):
            raise FormulaError(f"Linear weights must be a mapping of component name to weight (e.g. {{'work': 0.5, "
                               f"'stake': 0.5}}), got {self.weights!r} (a {type(self.weights).__name__}).")
        if not self.weights:
            raise FormulaError("Linear needs at least one component weight.")
        for c, w in self.weights.items():
            check_component(c, "Linear weights")
            check_nonneg(w, f"Linear weight on {c}")
        total = sum(self.weights.values())
        if abs(total - 1.0) > 1e-9:
            raise FormulaError(f"Linear weights must sum to 1 (the whole emission), got {total!r}; "
                               f"weights: {self.weights}.")

    def allocate(self, features):
        names = [c for c, w in self.weights.items() if w > 0]
        shares, empty = component_shares(features, names)
        w = np.array([self.weights[c] for c in names])
        emission = features.emission_tokens
        rewards = np.tensordot(w, shares, axes=1) * emission[:, None]
        # an epoch where every weighted component is empty pays nothing: all of it is unallocated, exactly (the
        # weights sum to 1 only to rounding)
        share = np.where(empty.all(axis=0), 1.0, (w[:, None] * empty).sum(axis=0))
        unallocated = share * emission
        return Allocation(rewards, unallocated, emission)

    def sybil(self):
        return "rewarded" if any(self.weights.get(c, 0) > 0 for c in PER_IDENTITY) else "neutral"

    def describe(self):
        parts = ", ".join(f"{w:.1%} by {c}" for c, w in sorted(self.weights.items(), key=lambda kv: -kv[1]) if w)
        return f"emission split {parts}"


@dataclass(frozen=True)
class FloorPlusProportional(Formula):
    """``floor_share`` of emission equally per identity with work in the epoch, the rest in proportion to ``on``.

    Parameters
    ----------
    floor_share : float, default 0.2
        Share of each epoch's emission, in [0, 1], paid equally to every identity (node key) with work in
        the epoch (the ``identity_floor`` component).
    on : str, default "work"
        The component the remaining ``1 - floor_share`` is paid in proportion to.
    """

    floor_share: float = 0.2
    on: str = "work"
    name: ClassVar[str] = "floor_plus_proportional"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        check_nonneg(self.floor_share, "FloorPlusProportional floor_share", upper=1.0)
        check_component(self.on, "FloorPlusProportional(on=...)")

    def as_linear(self) -> Linear:
        weights = {"identity_floor": self.floor_share}
        weights[self.on] = weights.get(self.on, 0.0) + (1.0 - self.floor_share)
        return Linear({c: w for c, w in weights.items() if w > 0})

    def allocate(self, features):
        return self.as_linear().allocate(features)

    def sybil(self):
        return self.as_linear().sybil()


@dataclass(frozen=True)
class Capped(Formula):
    """A base rule with every node's share of an epoch capped at ``share_cap``; excess redistributed.

    The excess goes to uncapped nodes in proportion to their base rewards
    (water-filling, exact); what no node can take is unallocated.

    Parameters
    ----------
    share_cap : float, default 0.02
        Largest share of an epoch's emission one node may receive, in (0, 1].
    base : Formula, default Proportional()
        The rule whose rewards are capped.
    """

    share_cap: float = 0.02
    base: Formula = field(default_factory=Proportional)
    name: ClassVar[str] = "capped"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        check_nonneg(self.share_cap, "Capped share_cap", upper=1.0)
        if not self.share_cap > 0:
            raise FormulaError(f"Capped share_cap must be in (0, 1], got {self.share_cap!r}.")

    def sybil(self):
        return "rewarded" if self.base.sybil() in ("neutral", "rewarded") else "unknown"

    def merging(self):
        return "penalised" if self.base.sybil() in ("neutral", "rewarded") else "unknown"

    def allocate(self, features):
        base = self.base.allocate(features)
        budget = features.emission_tokens - base.unallocated
        caps = np.broadcast_to((self.share_cap * features.emission_tokens)[:, None], base.rewards.shape)
        rewards, left = capped_proportional(base.rewards, np.ascontiguousarray(caps), budget)
        return Allocation(rewards, base.unallocated + left, features.emission_tokens)


@dataclass(frozen=True)
class FeeLinkedCap(Formula):
    """A base rule with each node's emission at most ``k`` times the fees it earned (in tokens).

    Closes the fake-demand hole: buying one's own inference for a fee ``x``
    earns at most ``k * x`` of emission. With ``redistribute=True`` the excess
    goes to nodes below their cap (water-filling); otherwise it is unallocated.

    Parameters
    ----------
    k : float, default 1.0
        A node's emission in an epoch is at most ``k * fees_usd / token_price_usd`` tokens; finite and >= 0.
        Epochs with a token price of 0 are not capped.
    base : Formula, default Proportional()
        The rule whose rewards are capped.
    redistribute : bool, default True
        Give the excess to nodes below their cap in proportion to their base rewards (water-filling);
        if False the excess is unallocated.
    """

    k: float = 1.0
    base: Formula = field(default_factory=Proportional)
    redistribute: bool = True
    name: ClassVar[str] = "fee_linked_cap"
    monotone: ClassVar[bool] = False

    def __post_init__(self):
        check_nonneg(self.k, "FeeLinkedCap k")

    def sybil(self):
        return self.base.sybil()

    def merging(self):
        # min(a + b, ca + cb) >= min(a, ca) + min(b, cb): without redistribution a merge never loses
        if not self.redistribute and self.base.merging() == "neutral":
            return "rewarded"
        return "unknown"

    def allocate(self, features):
        base = self.base.allocate(features)
        price = features.token_price_usd[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):  # price 0: no cap (np.where keeps inf)
            caps = np.where(price > 0, self.k * features.fees_usd / price, np.inf)
        if self.redistribute:
            budget = features.emission_tokens - base.unallocated
            rewards, left = capped_proportional(base.rewards, np.ascontiguousarray(caps), budget)
        else:
            rewards = np.minimum(base.rewards, caps)
            left = (base.rewards - rewards).sum(axis=1)
        return Allocation(rewards, base.unallocated + left, features.emission_tokens)


#: fairshare's reference status quo: half of emission by stake, half by work. OpenGradient's emission
#: pool pays stakers pro rata to bonded stake ([sources: og-svip-module], x/svip) and work-value shares pay
#: compute (Render, [sources: render-bme]); no public per-task formula for inference nodes exists ([sources: og-docs]),
#: so this
#: stake-and-work mix stands in for the status quo. Every study can pass its own.
STATUS_QUO = Linear({"stake": 0.5, "work": 0.5})


def reference_rules() -> dict[str, Formula]:
    """The status quo and the alternatives fairshare's demo and examples compare, by name."""
    return {
        "status_quo": STATUS_QUO,
        "stake_only": StakeWeighted(),
        "work_only": Proportional(),
        "capped_2pct": Capped(0.02),
        "floor_20pct": FloorPlusProportional(0.2),
        "sqrt_work": Power(0.5),
        "small_task_bonus": SmallTaskBonus(2.0),
        "verified_weighted": VerificationWeighted(),
        "fee_linked_cap": FeeLinkedCap(5.0, base=STATUS_QUO),
    }
