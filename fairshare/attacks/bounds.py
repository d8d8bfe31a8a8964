"""The optimiser's "no attack pays" rows, from the same closed forms the scoreboard reports.

Public through :mod:`fairshare.attacks`. For a ``Linear`` rule with weights ``theta`` every
attack's profit is linear in ``theta`` (:mod:`fairshare.attacks.library`):

- an insider's net gain is at most 1 exactly when ``(after - before) @ theta <= cost``;
- an outsider's, in every epoch, when ``after_e @ theta <= cost_e``.

:func:`attack_rows` stacks those rows, one per attacker (and size) and per outsider epoch, with
each cost split into a fixed part and the coefficients of the identity cost and of the protocol's
take (costs are linear in both), so frontiers and diagnoses can change them without rebuilding.
A rule meeting every row scores ``best_attack_net_gain <= 1`` against the same attacks, by
construction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .keys import IdleKey, Split
from .library import NAMES, Attack, CustomAttack, Effect
from .purchases import _Purchase, standard_attacks
from .target import Target

__all__ = ["AttackRows", "attack_rows"]


@dataclass(frozen=True, eq=False)
class AttackRows:
    """Rows ``gain @ theta <= base_usd + per_identity * identity_cost_usd + per_take * take_rate`` (USD).

    Parameters
    ----------
    gain : ndarray, shape (R, C)
        Profit per unit weight of each component (columns :data:`~fairshare.attacks.library.NAMES`).
    base_usd : ndarray, shape (R,)
        The part of each row's cost that is neither the identity cost nor the protocol's take, USD.
    per_identity : ndarray, shape (R,)
        Keys each row's attack pays the identity cost for.
    per_take : ndarray, shape (R,)
        Fees (USD) each row's attack pays itself, of which the protocol keeps the take.
    labels : list of str
        What each row is: attack, size and attacker (or epoch for outsiders).
    """

    gain: np.ndarray
    base_usd: np.ndarray
    per_identity: np.ndarray
    per_take: np.ndarray
    labels: list

    def cost(self, identity_cost_usd: float, take_rate: float) -> np.ndarray:
        """``(R,)`` cost of every row at an identity cost and a protocol take.

        Parameters
        ----------
        identity_cost_usd : float
            USD per key per epoch.
        take_rate : float
            Share of every fee the protocol keeps.
        """
        return self.base_usd + self.per_identity * float(identity_cost_usd) + self.per_take * float(take_rate)

    def columns(self, names) -> "AttackRows":
        """The rows over the components ``names`` only (weights elsewhere are 0), without rows that
        no weight on them can make bind.

        Parameters
        ----------
        names : sequence of str
            Components, in the order wanted.
        """
        idx = [NAMES.index(n) for n in names]
        gain = self.gain[:, idx]
        live = (gain > 0).any(axis=1)
        return AttackRows(np.ascontiguousarray(gain[live]), self.base_usd[live], self.per_identity[live],
                          self.per_take[live], [label for label, keep in zip(self.labels, live) if keep])


def _rows(effect: Effect) -> tuple[np.ndarray, np.ndarray, list]:
    if effect.outsider:
        e = effect.after_usd.shape[0]
        return effect.after_usd, effect.cost_usd, [f"{effect.attack} in epoch position {i}" for i in range(e)]
    name = effect.attack + (f" ({effect.variant})" if effect.variant else "")
    return effect.after_usd - effect.before_usd, effect.cost_usd, [f"{name} by {w}" for w in effect.attackers]


def _unit_rows(target: Target, attack: CustomAttack) -> tuple[np.ndarray, np.ndarray, list]:
    """Rows of a custom attack with unit costs: per epoch and component, the value a unit weight pays per unit
    (the whole epoch's part where the component is all zero: one unit would take it) against the unit's cost."""
    e = target.features.shape[0]
    gains, costs, labels = [], [], []
    for c, unit in attack.unit_costs.items():
        total = target.totals[c]
        g = np.zeros((e, len(NAMES)))
        g[:, NAMES.index(c)] = target.worth_usd / np.where(total > 0, total, 1.0)
        gains.append(g)
        costs.append(np.full(e, float(unit)))
        labels += [f"{attack.name} ({c}) in epoch position {i}" for i in range(e)]
    return np.vstack(gains), np.concatenate(costs), labels


def attack_rows(target: Target, attacks: list[Attack] | None = None) -> AttackRows:
    """The no-attack-pays rows of ``target`` (module docstring).

    Parameters
    ----------
    target : Target
        The network attacked, at the prices and emission the rows are valued at.
    attacks : list of Attack, optional
        Default :func:`~fairshare.attacks.standard_attacks` with ``target.costs.split_k``. Custom
        attacks bound the rows only through their ``unit_costs`` (per epoch, a unit weight's value per
        unit of the component against the unit's cost); without them they are scored, not bounded.
    """
    attacks = standard_attacks(target.costs.split_k) if attacks is None else attacks
    free = replace(target, costs=replace(target.costs, identity_cost_usd=0.0, take_rate=0.0))
    keyed = replace(target, costs=replace(free.costs, identity_cost_usd=1.0))
    taxed = replace(target, costs=replace(free.costs, take_rate=1.0))
    gains, bases, per_id, per_take, labels = [], [], [], [], []
    for attack in attacks:
        if isinstance(attack, CustomAttack):
            if attack.unit_costs:
                g, base, names = _unit_rows(target, attack)
                gains.append(g)
                bases.append(base)
                per_id.append(np.zeros_like(base))
                per_take.append(np.zeros_like(base))
                labels += names
            continue
        g, base, names = _rows(attack.effect(free))
        with_key = _rows(attack.effect(keyed))[1] if isinstance(attack, (Split, IdleKey)) else base
        with_take = _rows(attack.effect(taxed))[1] if isinstance(attack, (_Purchase, IdleKey)) else base
        gains.append(g)
        bases.append(base)
        per_id.append(with_key - base)
        per_take.append(with_take - base)
        labels += names
    if not gains:
        return AttackRows(np.zeros((0, len(NAMES))), np.zeros(0), np.zeros(0), np.zeros(0), [])
    return AttackRows(np.vstack(gains), np.concatenate(bases), np.concatenate(per_id), np.concatenate(per_take),
                      labels)
