"""Reward components: the fixed vocabulary of ``formulas.Linear`` and the optimiser.

Public through :mod:`fairshare.formulas`. Each component is a non-negative
``(E, K)`` quantity read off :class:`~fairshare.features.Features`; its
*share* in an epoch is the entity's part of the epoch total, so shares sum to
one in every epoch where the component is not all zero (DESIGN.md
"Components"). An all-zero epoch has no shares: emission weighted on that
component in that epoch is reported as unallocated.
"""

from __future__ import annotations

import numpy as np

from ..errors import FormulaError
from ..features import Features

__all__ = ["COMPONENTS", "PER_IDENTITY", "MARGINS", "component", "component_shares"]

#: name -> what it measures (the quantity is read off Features by :func:`component`).
COMPONENTS: dict[str, str] = {
    "work": "work units of all verified and unverified tasks",
    "verified_work_tee": "work units of TEE-verified tasks",
    "verified_work_zkml": "work units of ZKML-verified tasks",
    "small_task_work": "work units of small tasks (tokens per request <= small_task_tokens)",
    "tasks": "requests served",
    "availability": "online seconds while active",
    "stake": "stake bonded while active",
    "identity_floor": "1 for every identity (node key) with work in the epoch: an equal share per active identity",
    "fees": "fee margin: fees paid by clients minus the upstream cost passed on to providers (USD, at least 0)",
}

#: Components every identity can claim in full, whatever its size: splitting an identity multiplies them.
PER_IDENTITY = ("identity_floor", "availability")

_FIELD = {
    "work": "work_units",
    "verified_work_tee": "work_tee",
    "verified_work_zkml": "work_zkml",
    "small_task_work": "small_task_work",
    "tasks": "requests",
    "availability": "online_seconds",
    "stake": "stake_tokens",
}

#: Components read off two fields: name -> (field, field subtracted), floored at 0 per cell.
MARGINS = {"fees": ("fees_usd", "upstream_cost_usd")}


def component(features: Features, name: str) -> np.ndarray:
    """The ``(E, K)`` quantity of component ``name`` (not normalised).

    Parameters
    ----------
    features : Features
        Aggregated features (node or operator level).
    name : str
        A component of :data:`COMPONENTS`.
    """
    if name == "identity_floor":
        return (features.work_units > 0).astype(np.float64)
    if name in MARGINS:  # revenue a node keeps: a proxy's pass-through to its provider is not its own
        gross, passed = MARGINS[name]
        return np.maximum(getattr(features, gross) - getattr(features, passed), 0.0)
    if name not in _FIELD:
        raise FormulaError(f"unknown component {name!r}; the components are: {', '.join(COMPONENTS)}.")
    return getattr(features, _FIELD[name])


def component_shares(features: Features, names) -> tuple[np.ndarray, np.ndarray]:
    """Per-epoch shares of the components ``names``.

    Returns ``(shares, empty)``: ``shares`` is ``(C, E, K)`` with each
    ``shares[c, e]`` summing to one, or all zero where the component is all
    zero in epoch ``e``; ``empty`` is ``(C, E)`` bool marking those epochs.

    Parameters
    ----------
    features : Features
        Aggregated features (node or operator level).
    names : iterable of str
        Components of :data:`COMPONENTS`, in the order of the ``C`` axis of the result.
    """
    names = list(names)
    e, k = features.shape
    shares = np.zeros((len(names), e, k))
    empty = np.zeros((len(names), e), dtype=bool)
    for c, name in enumerate(names):
        q = component(features, name)
        totals = q.sum(axis=1)
        empty[c] = totals <= 0
        np.divide(q, totals[:, None], out=shares[c], where=~empty[c][:, None])
    return shares, empty
