"""Reward rules in a simulation: a rule, or a governance change from one rule to another.

Public through :mod:`fairshare.simulation`. A :class:`RuleChange` pays by ``before`` until
epoch ``at`` and by ``after`` from then on; with ``over`` epochs the change is phased:
epoch ``at + j`` pays ``(1 - a) before + a after`` with ``a = (j + 1) / over``.

Fast path: rules whose rewards are a fixed linear combination of component shares
(``formulas.Linear`` and the optimiser's result, ``FloorPlusProportional``, and
``Proportional`` / ``PerTask`` / ``StakeWeighted``) run inside the kernel as per-epoch
component weights; a transition between two such rules blends the weights, which is the
same as blending the rewards because a ``Linear`` rule is linear in its weights.
Any other rule runs on the general path: each epoch, the rule is called on a block of
:class:`~fairshare.features.Features` whose rows are the runs (so it must treat epochs
independently, as every rule in ``fairshare.formulas`` does; a rule that carries state
from one epoch to the next is refused, see :meth:`RulePlan.check_separable`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..errors import ConfigError
from ..features import QUANTITIES, Features
from ..formulas import STATUS_QUO, FloorPlusProportional, Formula, Linear, PerTask, Proportional, StakeWeighted
from ..formulas.components import COMPONENTS

__all__ = ["RuleChange", "RulePlan", "STATUS_QUO", "COMPUTE_QUANTITIES"]

#: Quantities zeroed to knock compute out (as ``fs.evaluate``'s stake / compute attribution).
COMPUTE_QUANTITIES = tuple(q for q in QUANTITIES if q not in ("stake_tokens", "active", "energy_kwh"))


@dataclass(frozen=True)
class RuleChange:
    """A governance change: ``before`` until epoch ``at``, then ``after`` (phased over ``over`` epochs).

    Parameters
    ----------
    before : Formula
        The rule until epoch ``at``.
    after : Formula
        The rule from then on.
    at : int
        Simulated epoch (0 is the first) from which ``after`` pays; >= 0.
    over : int, default 0
        Epochs of the phase-in: the weight of ``after`` is ``(t - at + 1) / over`` in epoch ``t``, clipped
        to [0, 1], and rewards blend both rules' payouts; 0 switches at once.
    """

    before: Formula
    after: Formula
    at: int
    over: int = 0

    def __post_init__(self):
        for name in ("before", "after"):
            if not isinstance(getattr(self, name), Formula):
                raise ConfigError(f"RuleChange {name} must be a fairshare formula, got "
                                  f"{type(getattr(self, name)).__name__}.")
        for name, low in (("at", 0), ("over", 0)):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                raise ConfigError(f"RuleChange {name} must be a whole number >= {low}, got {value!r}.")

    def blend(self, epochs: int) -> np.ndarray:
        """``(E,)`` weight of ``after`` in each simulated epoch."""
        t = np.arange(epochs, dtype=np.float64)
        if self.over == 0:
            return (t >= self.at).astype(np.float64)
        return np.clip((t - self.at + 1.0) / self.over, 0.0, 1.0)


def _linear_weights(rule: Formula) -> dict | None:
    if isinstance(rule, Linear):
        return dict(rule.weights)
    if isinstance(rule, FloorPlusProportional):
        return dict(rule.as_linear().weights)
    if type(rule) in (Proportional, PerTask, StakeWeighted):
        return {rule.on: 1.0}
    return None


class RulePlan:
    """The rule of each simulated epoch, as kernel weights (fast path) or Python calls (general path).

    Parameters
    ----------
    rule : Formula or RuleChange
        The rule, or a change between two rules.
    epochs : int
        Number of simulated epochs.
    """

    def __init__(self, rule, epochs: int):
        if isinstance(rule, RuleChange):
            self.rules, self.alpha = (rule.before, rule.after), rule.blend(epochs)
        elif isinstance(rule, Formula):
            self.rules, self.alpha = (rule,), np.zeros(epochs)
        else:
            raise ConfigError(f"rule must be a fairshare formula or a RuleChange, got {type(rule).__name__}.")
        self.epochs = epochs

    def theta(self) -> np.ndarray | None:
        """``(E, C)`` component weights per epoch (``formulas.COMPONENTS`` order), or None."""
        weights = [_linear_weights(r) for r in self.rules]
        if any(w is None for w in weights):
            return None
        rows = np.array([[w.get(c, 0.0) for c in COMPONENTS] for w in weights])
        if len(rows) == 1:
            return np.ascontiguousarray(np.broadcast_to(rows[0], (self.epochs, len(COMPONENTS))))
        a = self.alpha[:, None]
        return np.ascontiguousarray((1.0 - a) * rows[0][None, :] + a * rows[1][None, :])

    def allocate(self, features: Features, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Rewards ``(R, N)`` and unallocated emission ``(R,)`` of epoch ``t`` (rows are runs)."""
        a = float(self.alpha[t])
        if a == 0.0 or len(self.rules) == 1:
            alloc = self.rules[0](features)
            return alloc.rewards, alloc.unallocated
        if a == 1.0:
            alloc = self.rules[1](features)
            return alloc.rewards, alloc.unallocated
        x, y = self.rules[0](features), self.rules[1](features)
        return (1.0 - a) * x.rewards + a * y.rewards, (1.0 - a) * x.unallocated + a * y.unallocated

    def stake_part(self, features: Features, t: int, rewards: np.ndarray) -> np.ndarray:
        """Stake-driven part of each node's reward by knock-out (as ``fs.evaluate``): the reward lost
        without stake over the rewards lost without stake and without compute."""
        zero = np.zeros(features.shape)
        no_stake, _ = self.allocate(replace(features, stake_tokens=zero), t)
        no_compute, _ = self.allocate(replace(features, **{q: zero for q in COMPUTE_QUANTITIES}), t)
        lost_stake = np.maximum(rewards - no_stake, 0.0)
        lost_compute = np.maximum(rewards - no_compute, 0.0)
        both = lost_stake + lost_compute
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(both > 0, rewards * lost_stake / both, 0.0)

    def check_separable(self, features: Features, t: int) -> None:
        """Refuse a rule whose last row depends on the rows before it (state carried across epochs)."""
        if features.shape[0] < 2:
            return
        whole, _ = self.allocate(features, t)
        last = _rows(features, slice(features.shape[0] - 1, None))
        alone, _ = self.allocate(last, t)
        if not np.allclose(whole[-1], alone[0], rtol=1e-9, atol=1e-9 * max(float(np.abs(whole[-1]).sum()), 1.0)):
            names = ", ".join(type(r).__name__ for r in self.rules)
            raise ConfigError(f"rule {names}: its rewards in one epoch depend on the epochs before it (it carries "
                              "state across epochs), but simulate applies rules one epoch at a time to all runs; "
                              "allowed: rules that treat each epoch on its own, as every rule in fairshare.formulas.")


def _rows(f: Features, rows: slice) -> Features:
    arrays = {q: np.ascontiguousarray(getattr(f, q)[rows]) for q in QUANTITIES}
    return replace(f, epochs=f.epochs[rows], emission_tokens=f.emission_tokens[rows],
                   token_price_usd=f.token_price_usd[rows], **arrays)
