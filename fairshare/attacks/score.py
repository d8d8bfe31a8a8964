"""Net gains of every attack on a rule: closed forms for ``Linear`` rules, replays for the rest.

Public through :mod:`fairshare.attacks`. The scoreboard columns:

- ``net_gain_<attack>``: the largest net gain of the attack over its attackers and sizes;
- ``best_attack_net_gain``: the largest over every attack;
- ``best_attack``: which attack, by whom, at which size.

The attacker set is stated: for ``Linear`` rules every operator with work in the window (closed
forms, :class:`LinearAttacks`); for any other rule the smallest, median and largest working
operator of each class (:func:`~fairshare.attacks.target.attacker_sample`), each replayed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from .._jit import num_threads, threads_can_share_kernels
from ..formulas import Formula, Linear
from .library import NAMES, Attack, CustomAttack, Effect
from .purchases import standard_attacks
from .target import Target, attacker_sample

__all__ = ["LinearAttacks", "replay_gain", "replay_table", "attack_columns", "theta_of", "FAMILIES"]

#: Column families of the standard library, in reading order.
FAMILIES = ("split", "merge", "tiny_requests", "fake_work", "self_paid_fees", "model_misreport", "idle_key",
            "stake_timing")


def theta_of(rule: Linear) -> np.ndarray:
    """``(C,)`` weights of a ``Linear`` rule over the components in :data:`~fairshare.attacks.library.NAMES`.

    Parameters
    ----------
    rule : Linear
        The rule.
    """
    return np.array([float(rule.weights.get(c, 0.0)) for c in NAMES])


def _columns(rows: list[tuple[str, str, object, float]], families) -> dict:
    """Scoreboard columns from ``(attack, variant, attacker, net gain)`` rows."""
    out = {f"net_gain_{name}": float("nan") for name in families}
    best, label = float("nan"), "none"
    for attack, variant, who, gain in rows:
        if not np.isfinite(gain) and not gain == np.inf:
            continue
        key = f"net_gain_{attack}"
        if not out[key] >= gain:  # NaN or smaller
            out[key] = gain
        if not best >= gain:
            best = gain
            label = f"{attack}{f' ({variant})' if variant else ''} by {who}"
    out["best_attack_net_gain"] = best
    out["best_attack"] = label
    return out


class LinearAttacks:
    """Every standard attack's closed form on one target, for scoring many ``Linear`` rules.

    Built once (one pass per attack over the network); :meth:`columns` then scores any weights
    with a few matrix products, every working operator an attacker.

    Parameters
    ----------
    target : Target
        The network attacked.
    attacks : list of Attack, optional
        The attacks (default :func:`~fairshare.attacks.standard_attacks` with ``target.costs.split_k``).
        Custom attacks have no closed form and are left out: score them with :func:`replay_table`.
    """

    def __init__(self, target: Target, attacks: list[Attack] | None = None):
        self.target = target
        attacks = standard_attacks(target.costs.split_k) if attacks is None else attacks
        self.effects: list[Effect] = [a.effect(target) for a in attacks if not isinstance(a, CustomAttack)]
        self.families = tuple(dict.fromkeys(e.attack for e in self.effects))

    def gains(self, theta: np.ndarray) -> list[tuple[str, str, object, float]]:
        """``(attack, variant, attacker, net gain)`` of every attack and attacker under ``theta``.

        Parameters
        ----------
        theta : ndarray, shape (C,)
            Weights over :data:`~fairshare.attacks.library.NAMES` (:func:`theta_of`).
        """
        rows = []
        for e in self.effects:
            g = e.net_gains(theta)
            rows += [(e.attack, e.variant, who, float(x)) for who, x in zip(e.attackers, g)]
        return rows

    def columns(self, theta: np.ndarray) -> dict:
        """The scoreboard columns (module docstring) of the ``Linear`` rule with weights ``theta``.

        Parameters
        ----------
        theta : ndarray, shape (C,)
            Weights over :data:`~fairshare.attacks.library.NAMES` (:func:`theta_of`).
        """
        best = {}
        for e in self.effects:
            g = e.net_gains(theta)
            if g.size and not np.isnan(g).all():
                i = int(np.nanargmax(np.where(np.isnan(g), -np.inf, g)))
                best[(e.attack, e.variant)] = (e.attackers[i], float(g[i]))
        rows = [(a, v, who, g) for (a, v), (who, g) in best.items()]
        return _columns(rows, self.families)

    def batch(self, thetas: np.ndarray) -> np.ndarray:
        """``(R,)`` best net gain of each of R ``Linear`` rules (``thetas`` is ``(R, C)``).

        Parameters
        ----------
        thetas : ndarray, shape (R, C)
            Weights of the rules over :data:`~fairshare.attacks.library.NAMES`.
        """
        best = np.full(thetas.shape[0], -np.inf)
        for e in self.effects:
            g = e.net_gains(thetas)
            best = np.maximum(best, np.where(np.isnan(g), -np.inf, g).max(axis=1))
        return np.where(np.isneginf(best), np.nan, best)


def replay_gain(rule: Formula, target: Target, attack: Attack, attacker, rewards: np.ndarray | None = None) -> float:
    """Net gain of ``attacker`` mounting ``attack`` against ``rule``, by replaying the rule.

    Parameters
    ----------
    rule : Formula
        Any reward rule.
    target : Target
        The network attacked.
    attack : Attack
        The attack.
    attacker : int
        Operator code (for a merge, the smaller member of the pair; ignored by outsiders).
    rewards : ndarray, shape (E, N), optional
        ``rule``'s rewards on ``target.features`` when already computed.
    """
    f = target.features
    price = f.token_price_usd
    played = attack.replay(target, attacker)
    after = rule.allocate(played.features).rewards[:, played.after].sum(axis=1) * price
    if np.ndim(played.cost_usd):  # an outsider: its best epoch
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(after > 0, after / played.cost_usd, 0.0)
        return float(ratio.max(initial=0.0))
    paid = rule.allocate(f).rewards if rewards is None else rewards
    before = float((paid[:, played.before].sum(axis=1) * price).sum())
    return (float(after.sum()) - played.cost_usd) / before if before > 0 else float("nan")


def replay_table(rule: Formula, target: Target, attacks: list[Attack] | None = None, attackers=None,
                 rewards: np.ndarray | None = None) -> pd.DataFrame:
    """One row per attack and attacker, by replaying ``rule`` (any rule).

    Parameters
    ----------
    rule : Formula
        Any reward rule.
    target : Target
        The network attacked.
    attacks : list of Attack, optional
        Default: :func:`~fairshare.attacks.standard_attacks` with ``target.costs.split_k``.
    attackers : int ndarray, optional
        Operator codes (default :func:`~fairshare.attacks.target.attacker_sample`).
    rewards : ndarray, shape (E, N), optional
        ``rule``'s rewards on ``target.features`` when already computed.

    Returns
    -------
    DataFrame
        Columns ``attack``, ``variant``, ``attacker`` and ``net_gain``.
    """
    attacks = standard_attacks(target.costs.split_k) if attacks is None else attacks
    codes = attacker_sample(target) if attackers is None else np.asarray(attackers, dtype=np.int64)
    paid = rule.allocate(target.features).rewards if rewards is None else rewards
    ids = target.features.operator_ids
    jobs = []
    for attack in attacks:
        if hasattr(attack, "cached"):
            attack.cached(target)  # the purchase's deltas, once, before the replays share them
        if attack.attackers(target).tolist() == [-1]:
            jobs.append((attack, "outsider", -1))
            continue
        for code in codes:
            if hasattr(attack, "pairs"):
                pair = attack.pairs(target, np.array([code]))
                if not len(pair):
                    continue
                who = f"{ids[pair[0, 0]]}+{ids[pair[0, 1]]}"
            else:
                who = ids[code]
            jobs.append((attack, who, int(code)))
    # every replay is independent and numpy releases the GIL on the array copies that dominate: threads, one per
    # numba thread where numba's threading layer lets parallel kernels start from several threads (else one);
    # the rows come back in job order, so the table is the same at any thread count
    def one(job):
        return replay_gain(rule, target, job[0], job[2], paid)

    workers = max(num_threads(), 1) if threads_can_share_kernels() else 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        gains = list(pool.map(one, jobs))
    rows = [(a.attack, a.variant, who, g) for (a, who, _), g in zip(jobs, gains)]
    return pd.DataFrame(rows, columns=["attack", "variant", "attacker", "net_gain"])


def attack_columns(rule: Formula, target: Target, attacks: list[Attack] | None = None,
                   linear: LinearAttacks | None = None, rewards: np.ndarray | None = None) -> dict:
    """The scoreboard's attack columns of ``rule`` (module docstring).

    ``Linear`` rules are scored by closed forms over every working operator (``linear``, built here
    when not given); any other rule, and custom attacks, by replays over the attacker sample.

    Parameters
    ----------
    rule : Formula
        Any reward rule.
    target : Target
        The network attacked.
    attacks : list of Attack, optional
        Default: :func:`~fairshare.attacks.standard_attacks` with ``target.costs.split_k``.
    linear : LinearAttacks, optional
        The closed forms of ``target`` when already built.
    rewards : ndarray, shape (E, N), optional
        ``rule``'s rewards on ``target.features`` when already computed.
    """
    from ..formulas import FloorPlusProportional

    attacks = standard_attacks(target.costs.split_k) if attacks is None else attacks
    custom = [a for a in attacks if isinstance(a, CustomAttack)]
    lin = rule.as_linear() if isinstance(rule, FloorPlusProportional) else rule
    families = tuple(dict.fromkeys(a.attack for a in attacks))
    if isinstance(lin, Linear):
        linear = LinearAttacks(target, attacks) if linear is None else linear
        theta = theta_of(lin)
        rows = [(a, v, who, g) for a, v, who, g in linear.gains(theta)]
        if custom:
            table = replay_table(rule, target, custom, rewards=rewards)
            rows += list(table.itertuples(index=False, name=None))
        return _columns(rows, families)
    table = replay_table(rule, target, attacks, rewards=rewards)
    return _columns(list(table.itertuples(index=False, name=None)), families)
