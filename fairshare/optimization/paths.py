"""Phased transitions from the status quo to an optimum, with a per-epoch limit on anyone's loss.

A governance change rarely switches weights at once. :func:`transition` moves
along the straight line from the start weights to the target, each epoch as far
as the loss limit allows: with window rewards ``r(theta) = tokens @ theta``
linear in the weights, the step ``theta_t = theta_{t-1} + g (target - theta_{t-1})``
costs operator ``k`` the fraction ``g (r_k(theta_{t-1}) - r_k(target)) / r_k(theta_{t-1})``
of its reward, so the largest step that keeps every loss at most ``x`` is, in
closed form,

``g_t = min(1, min over losers k of x r_k(theta_{t-1}) / (r_k(theta_{t-1}) - r_k(target)))``.

Every intermediate rule is a valid ``Linear`` rule (a convex combination of
two). An operator the target pays nothing can only lose a fraction ``x`` per
epoch, so such a path approaches the target geometrically and never reaches it:
the result says how close it gets in ``epochs`` and how many epochs a 1e-6
distance would take.

Robustness (several price or demand scenarios at once, worst case) is
``fs.optimize(..., scenarios=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..formulas import Linear
from .basis import Basis

__all__ = ["transition", "TransitionPath"]


@dataclass(frozen=True, eq=False)
class TransitionPath:
    """The phased path: one row per epoch of the transition (weights, step, largest loss, distance left).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per epoch of the path (index ``epoch`` from 1): ``step`` (fraction of the remaining
        distance moved), ``largest_loss_pct``, ``distance`` (half the L1 distance of the weights to the
        target) and the weights ``w_<component>``.
    rules : list of Linear
        The rule of each epoch.
    reached_at : int or None
        The epoch the target is reached in; None if not within the path's epochs.
    epochs_to_close : float
        Epochs until the weights are within 1e-6 of the target on the same path (``reached_at`` when
        reached; ``inf`` when not within 100,000 epochs).
    max_loss_pct : float
        The per-epoch loss limit, in percent.
    """

    table: pd.DataFrame
    rules: list
    reached_at: int | None
    epochs_to_close: float
    max_loss_pct: float

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def __repr__(self) -> str:
        return f"TransitionPath({len(self.table)} epochs, reached_at={self.reached_at})"

    def summary(self) -> str:
        when = (f"reaches the target in epoch {self.reached_at}" if self.reached_at is not None
                else f"ends {self.table['distance'].iloc[-1]:.2%} of the weight away from the target")
        close = ("" if self.reached_at is not None else
                 f"; within 1e-6 after {self.epochs_to_close:.0f} epochs" if np.isfinite(self.epochs_to_close)
                 else "; never within 1e-6 (an operator the target pays nothing loses only a fraction per epoch)")
        return (f"transition with at most {self.max_loss_pct:g}% loss per operator per epoch: {when}{close}.")


def transition(basis: Basis, start, target, *, epochs: int, max_loss_pct: float) -> TransitionPath:
    """Straight-line phased path from ``start`` to ``target`` weights (see the module docstring).

    Parameters
    ----------
    basis : Basis
        The network the losses are measured on (window rewards per operator).
    start, target : Linear or dict
    epochs : int
        Epochs of the transition (rows of the table).
    max_loss_pct : float
        Largest loss of any operator from one epoch to the next, in percent (0, 100].
    """
    if not isinstance(basis, Basis):
        raise ConfigError("transition needs a Basis (EmissionResult.transition uses the result's).")
    if int(epochs) != epochs or epochs < 1:
        raise ConfigError(f"epochs must be a whole number >= 1, got {epochs!r}.")
    if not (np.isfinite(max_loss_pct) and 0 < max_loss_pct <= 100):
        raise ConfigError(f"max_loss_pct must be in (0, 100], got {max_loss_pct!r}.")
    a, b = basis.theta(start), basis.theta(target)
    x = max_loss_pct / 100.0
    r_target = basis.tokens @ b
    theta, rows, rules, reached = a.copy(), [], [], None
    for t in range(1, int(epochs) + 1):
        g = _step(basis.tokens @ theta, r_target, x)
        new = b.copy() if g >= 1.0 else theta + g * (b - theta)
        before, after = basis.tokens @ theta, basis.tokens @ new
        with np.errstate(divide="ignore", invalid="ignore"):
            loss = np.where(before > 0, (before - after) / before, 0.0)
        theta = new
        distance = 0.5 * float(np.abs(b - theta).sum())
        rows.append({"epoch": t, "step": g, "largest_loss_pct": 100.0 * float(max(loss.max(), 0.0)),
                     "distance": distance, **{f"w_{c}": float(w) for c, w in zip(basis.components, theta)}})
        rules.append(Linear({c: float(w) for c, w in zip(basis.components, theta / theta.sum()) if w > 0}))
        if g >= 1.0:
            reached = t
            break
    return TransitionPath(pd.DataFrame(rows).set_index("epoch"), rules, reached,
                      _epochs_to_close(basis, theta, b, r_target, x, len(rows)) if reached is None else float(reached),
                      float(max_loss_pct))


def _step(r_now: np.ndarray, r_target: np.ndarray, x: float) -> float:
    drop = r_now - r_target
    losers = (drop > 0) & (r_now > 0)
    if not losers.any():
        return 1.0
    return float(min(1.0, np.min(x * r_now[losers] / drop[losers])))


def _epochs_to_close(basis, theta, target, r_target, x, done: int, tol: float = 1e-6, cap: int = 100_000) -> float:
    """Epochs until the weights are within ``tol`` (half L1) of the target, continuing the same path."""
    t = done
    while 0.5 * np.abs(target - theta).sum() > tol:
        if t >= cap:
            return float("inf")
        g = _step(basis.tokens @ theta, r_target, x)
        theta = target.copy() if g >= 1.0 else theta + g * (target - theta)
        t += 1
    return float(t)
