"""Helpers that build a :class:`~fairshare.optimization.basis.Basis`: windows, identity rows, fake demand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..data.history import History
from ..economics.fake_demand import fake_demand_purchase
from ..errors import ConfigError
from ..features import QUANTITIES, Features
from ..formulas import component

__all__ = ["window_mask", "window_features", "identity_tokens", "fake_demand"]


def window_mask(epochs: np.ndarray, window) -> np.ndarray:
    """Epochs in ``window``: ``"all"``, the last ``n`` epochs (int), or ``(first, last)`` labels inclusive.

    Parameters
    ----------
    epochs : array_like, shape (E,)
        Epoch labels, ascending.
    window : "all", int or tuple of (int, int)
        ``"all"``, the last ``n`` epochs (``1 <= n <= E``) or ``(first, last)`` epoch labels inclusive.
    """
    epochs = np.asarray(epochs)
    if isinstance(window, str) and window == "all":
        return np.ones(epochs.size, dtype=bool)
    if isinstance(window, (int, np.integer)) and not isinstance(window, bool):
        if not 1 <= window <= epochs.size:
            raise ConfigError(f"window={window} asks for the last {window} epochs; the history has {epochs.size}.")
        mask = np.zeros(epochs.size, dtype=bool)
        mask[-int(window):] = True
        return mask
    if isinstance(window, tuple) and len(window) == 2:
        if not all(isinstance(w, (int, np.integer)) and not isinstance(w, bool) for w in window):
            raise ConfigError(f"window=(first, last) must be two whole epoch numbers, got {window!r}.")
        if not (epochs.size and epochs[0] <= window[0] <= window[1] <= epochs[-1]):
            raise ConfigError(f"window={window} is not within the history's epochs {epochs[0]}..{epochs[-1]} (first "
                              "<= last); give epochs the history has, or 'all'.")
        mask = (epochs >= window[0]) & (epochs <= window[1])
        if not mask.any():
            raise ConfigError(f"window={window} holds no epoch; the history runs {epochs[0]}..{epochs[-1]}.")
        return mask
    raise ConfigError(f"window must be 'all', a number of last epochs, or (first, last) epochs; got {window!r}.")


def window_features(f: Features, sel: np.ndarray) -> Features:
    if sel.all():
        return f
    arrays = {q: np.ascontiguousarray(getattr(f, q)[sel]) for q in QUANTITIES}
    return replace(f, epochs=f.epochs[sel], emission_tokens=f.emission_tokens[sel],
                   token_price_usd=f.token_price_usd[sel], **arrays)


def identity_tokens(f: Features, comps, epoch_seconds: float) -> np.ndarray:
    """``(E, C)``: tokens one more identity with work earns per unit weight in each epoch."""
    out = np.zeros((f.shape[0], len(comps)))
    worth = f.emission_tokens
    if "identity_floor" in comps:
        n = (f.work_units > 0).sum(axis=1)
        out[:, comps.index("identity_floor")] = worth / (n + 1.0)
    if "availability" in comps:
        online = component(f, "availability").sum(axis=1)
        out[:, comps.index("availability")] = worth * epoch_seconds / (online + epoch_seconds)
    return out


def fake_demand(f: Features, comps, history: History, fraction: float) -> tuple[np.ndarray | None, float]:
    """Closed form of the fake demand ``fs.evaluate`` replays (see :class:`Basis`).

    The purchase (which node, how much, what it pays) is
    :func:`fairshare.economics.fake_demand_purchase`; it changes one
    node's column only. A proportional component ``c`` with epoch total ``Q`` and
    node quantity ``q`` that the purchase turns into ``q'`` then pays the node
    ``E (q' / (Q - q + q') - q / Q)`` more tokens per unit weight in that epoch
    (zero for the components the purchase leaves alone: stake, availability, and
    the identity floor, since the node already works in every epoch it buys in).
    Returns ``(tokens (E, C), spend_usd)``; ``(None, nan)`` when no node works.
    """
    purchase = fake_demand_purchase(f, history, fraction)
    if purchase is None:
        return None, float("nan")
    node, worth = purchase.node, f.emission_tokens
    value = np.zeros((f.shape[0], len(comps)))
    for i, name in enumerate(comps):
        q_all = component(f, name)
        total, own = q_all.sum(axis=1), q_all[:, node]
        grown = component(purchase.bought, name)[:, node]
        total_after = total + (grown - own)
        after = np.divide(grown, total_after, out=np.zeros_like(total), where=total_after > 0)
        before = np.divide(own, total, out=np.zeros_like(total), where=total > 0)
        value[:, i] = worth * (after - before)
    return value, purchase.spend_usd
