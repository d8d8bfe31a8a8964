"""The attack machinery: what an attack changes, what it costs, and its exact replay; user-defined attacks.

Public through :mod:`fairshare.attacks`; docs/attacks.md explains each with the incidents
behind it. Every attack is unilateral (one attacker at a time, everyone else as they were)
and has two readings that agree to rounding (a test checks 1e-9 relative):

- :meth:`Attack.effect` gives, for many attackers at once, the USD value per unit weight of
  every component before and after the attack (a ``Linear`` rule's value is the weighted sum,
  so net gains of any number of ``Linear`` rules follow by matrix products), and the cost;
- :meth:`Attack.replay` changes node-level features the way the attack does and returns them
  with the attacker's columns and cost, for replaying any rule.

Insiders (split, merge, fake demand, self-paid fees, model misreport) have a reward before the
attack: **net gain** = (value after - cost) / value before. Outsiders (an idle key, stake bonded
for one epoch) have none: net gain = value / cost in the epoch where that ratio is highest. 1 is
neutral; above 1 the attack pays.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, replace
from typing import Callable, ClassVar

import numpy as np

from ..errors import ConfigError
from ..features import Features
from ..formulas import COMPONENTS
from .target import Target

__all__ = ["Attack", "Effect", "Replay", "CustomAttack", "NAMES"]

#: Component order of every ``(.., C)`` array here.
NAMES = tuple(COMPONENTS)


@dataclass(frozen=True, eq=False)
class Effect:
    """What one attack does to many attackers, per unit weight of every component.

    Insiders: ``before_usd``, ``after_usd`` are ``(A, C)`` window values and ``cost_usd`` ``(A,)``.
    Outsiders: ``after_usd`` is ``(E, C)`` per epoch, ``cost_usd`` ``(E,)`` and ``before_usd`` None.

    Parameters
    ----------
    attack : str
        Family name (``split``, ``merge``, ``tiny_requests``, ...).
    variant : str
        The attack's size or form within the family (``"k=10"``), "" when there is one.
    attackers : list
        Who attacks, one entry per row: operator ids (a pair joined by ``+`` for merges), or
        ``"outsider"``.
    before_usd : ndarray or None
        Value per unit weight before the attack (insiders).
    after_usd : ndarray
        Value per unit weight after the attack.
    cost_usd : ndarray
        What the attack costs (negative: it saves money).
    """

    attack: str
    variant: str
    attackers: list
    before_usd: np.ndarray | None
    after_usd: np.ndarray
    cost_usd: np.ndarray

    @property
    def outsider(self) -> bool:
        return self.before_usd is None

    def net_gains(self, theta: np.ndarray) -> np.ndarray:
        """Net gain of every attacker row under weights ``theta`` (``(C,)``, or ``(R, C)`` for R rules).

        Insiders paid nothing before are NaN. An outsider's row is its best epoch (``(1,)``).

        Parameters
        ----------
        theta : ndarray, shape (C,) or (R, C)
            Weights over :data:`NAMES`.
        """
        theta = np.asarray(theta, dtype=np.float64)
        single = theta.ndim == 1
        t = np.atleast_2d(theta)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.outsider:
                value = t @ self.after_usd.T  # (R, E)
                ratio = np.where(value > 0, value / self.cost_usd[None, :], 0.0)
                gains = ratio.max(axis=1, initial=0.0)[:, None]
            else:
                before, after = t @ self.before_usd.T, t @ self.after_usd.T  # (R, A)
                gains = np.where(before > 0, (after - self.cost_usd[None, :]) / before, np.nan)
        return gains[0] if single else gains


@dataclass(frozen=True, eq=False)
class Replay:
    """An attack applied to node-level features, for one attacker.

    Parameters
    ----------
    features : Features
        The features after the attack (columns may be appended).
    before : ndarray of bool, shape (N,)
        The attacker's columns in the original features (all False for an outsider).
    after : ndarray of bool, shape (N',)
        The attacker's columns in ``features``.
    cost_usd : float or ndarray
        What the attack costs: a window total (insiders) or ``(E,)`` per epoch (outsiders).
    """

    features: Features
    before: np.ndarray
    after: np.ndarray
    cost_usd: float | np.ndarray


class Attack(abc.ABC):
    """Base class: an attack with an :meth:`effect` over attackers and a :meth:`replay` for one."""

    attack: ClassVar[str] = ""
    variant: str = ""

    @property
    def label(self) -> str:
        return self.attack + (f" ({self.variant})" if self.variant else "")

    def attackers(self, target: Target) -> np.ndarray:
        """Operator codes that can mount the attack: operators with work in the window.

        Parameters
        ----------
        target : Target
            The network attacked.
        """
        return np.flatnonzero(target.window_work > 0)

    def effect(self, target: Target, attackers: np.ndarray | None = None) -> Effect:
        """Values per unit weight before and after, and costs, of ``attackers`` (default: all that can).

        Attacks without a closed form (user-defined ones) are scored by :meth:`replay` only.

        Parameters
        ----------
        target : Target
            The network attacked.
        attackers : int ndarray, optional
            Operator codes.
        """
        raise ConfigError(f"{self.label} has no closed form for Linear rules; score it by replay "
                          "(fairshare.attacks.replay_table).")

    @abc.abstractmethod
    def replay(self, target: Target, attacker) -> Replay:
        """The features after ``attacker`` (an operator code) mounts the attack.

        Parameters
        ----------
        target : Target
            The network attacked.
        attacker : int
            Operator code (ignored by outsiders).
        """

    def _ids(self, target: Target, codes) -> list:
        return [target.features.operator_ids[c] for c in codes]


# ---------------------------------------------------------------------- closed forms from node quantities
def _values(target: Target, attackers: np.ndarray, after: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``(A, C)`` window values before and after when every attacker's nodes hold ``after`` (unilaterally).

    ``after`` maps components to ``(E, N)`` node quantities with every attacker's change applied at
    once; each attacker's shares use the network total with only its own change.
    """
    worth = target.worth_usd
    before_v = np.zeros((attackers.size, len(NAMES)))
    after_v = np.zeros_like(before_v)
    for i, name in enumerate(NAMES):
        total = target.totals[name][:, None]
        own_b = target.by_operator(target.quantities[name])[:, attackers]
        own_a = own_b if name not in after else target.by_operator(after[name])[:, attackers]
        grown = total - own_b + own_a
        with np.errstate(divide="ignore", invalid="ignore"):
            before_v[:, i] = worth @ np.where(total > 0, own_b / total, 0.0)
            after_v[:, i] = worth @ np.where(grown > 0, own_a / grown, 0.0)
    return before_v, after_v


def _with(f: Features, deltas: dict[str, np.ndarray], mask: np.ndarray | None = None) -> Features:
    """``f`` with ``deltas`` (field -> ``(E, N)``) added, only in the columns ``mask`` selects."""
    arrays = {}
    for q, d in deltas.items():
        arrays[q] = getattr(f, q) + (d if mask is None else d * mask[None, :])
    return replace(f, **arrays)


@dataclass(frozen=True, eq=False)
class CustomAttack(Attack):
    """A user-defined attack: a replay and its cost.

    Parameters
    ----------
    name : str
        Family name (becomes the scoreboard column ``net_gain_<name>``).
    change : callable
        ``change(features, attacker) -> (features_after, owned_after)``: node-level features after
        operator code ``attacker`` mounts the attack, and a bool mask of its columns in them.
    cost_usd : float or callable
        Window cost of the attack, USD, or ``cost_usd(features, attacker) -> float``.
    outsider : bool, default False
        True for an attacker paid nothing before (net gain = value / cost).
    unit_costs : dict, optional
        ``{component: USD per unit}``: what one more unit of each component costs the attacker. With them
        the attack also bounds ``Linear`` rules in the optimiser (``NoAttackPays(custom=...)``: per epoch,
        the emission value a unit weight pays per unit of the component may not exceed its cost);
        without them it is scored by replay only, and the constraint's description says so.
    """

    name: str = "custom"
    change: Callable | None = None
    cost_usd: object = 0.0
    outsider: bool = False
    unit_costs: dict | None = None

    def __post_init__(self):
        if not callable(self.change):
            raise ConfigError("CustomAttack needs change(features, attacker) -> (features_after, owned_after).")
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ConfigError(f"CustomAttack name must be an identifier (it names a column), got {self.name!r}.")
        for c, u in (self.unit_costs or {}).items():
            if c not in NAMES:
                raise ConfigError(f"CustomAttack {self.name}: unit_costs names {c!r}, not a component; the components "
                                  f"are {', '.join(NAMES)}.")
            if isinstance(u, bool) or not isinstance(u, (int, float, np.integer, np.floating)) or not (
                    np.isfinite(u) and u >= 0):
                raise ConfigError(f"CustomAttack {self.name}: unit cost of {c} must be a finite number of USD >= 0, "
                                  f"got {u!r}.")

    @property
    def attack(self) -> str:  # type: ignore[override]
        return self.name

    def _cost(self, target, attacker) -> float:
        c = self.cost_usd(target.features, attacker) if callable(self.cost_usd) else self.cost_usd
        if isinstance(c, bool) or not isinstance(c, (int, float, np.integer, np.floating)) or not np.isfinite(c):
            raise ConfigError(f"CustomAttack {self.name}: the cost must be a finite number of USD, got {c!r}.")
        return float(c)

    def replay(self, target, attacker):
        f = target.features
        after, owned = self.change(f, attacker)
        owned = np.asarray(owned, dtype=bool)
        before = np.zeros(f.shape[1], dtype=bool) if self.outsider else f.entity_operator == attacker
        if owned.shape != (after.shape[1],):
            raise ConfigError(f"CustomAttack {self.name}: owned_after needs one flag per column of the features "
                              f"after ({after.shape[1]}), got shape {owned.shape}.")
        return Replay(after, before, owned, self._cost(target, attacker))
