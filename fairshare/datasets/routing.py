"""A reputation- and stake-biased router, and its expected (fluid) allocation.

The router places *units* of work (a job, a parcel of requests, one request) on nodes, one
epoch at a time. Each unit belongs to a traffic class; each class has its own eligible
nodes and its own ``random_share`` r:

* with probability ``1 - r`` the unit goes to a node drawn in proportion to its **stake**
  (stake-weighted selection, as Livepeer's orchestrator selection, [sources: livepeer-protocol]);
* otherwise to a node drawn in proportion to its **free-slot capacity** (a random free
  slot: the "random part" of [sources: livepeer-protocol], through which small nodes win work). A node's capacity
  for a class is the inverse of the busy time a mean unit of the class takes on it, so
  this draw alone fills nodes to equal utilisation.

Both draws are weighted by **reputation** as well, the score of og-evm's
``TEE_REPUTATION_GUIDE`` ([sources: og-tee-reputation]): 50% success rate + 35% uptime ratio + 15% response quality
on a 0-10,000 scale, whose "future enhancements" give high-reputation TEEs priority; a class
may require a minimum score (tiers: Poor < 4,000 <= Fair < 7,000 <= Good < 9,000 <=
Excellent, as ``getTopTEEsByReputation(type, minTier, limit)`` filters them).

A drawn node that lacks room for the unit (its busy time would pass the epoch length) is
redrawn, up to ``max_tries`` draws; then one draw among the nodes that still have room, in
proportion to the same weights. So a unit lands on a node with room in proportion to its
selection weight, whatever the number of tries (they only save the exact draw's pass over
the nodes). A unit no node can take is left unserved (node ``-1``). Busy time includes the
verification overhead.

:func:`expected_allocation` is the fluid limit of the same rule (each node gets work in
proportion to its selection probability until it is full; the rest spills to the others in
the same proportions). The generator calibrates demand with it, and tests compare the
router against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._kernels.routing import route_units
from .._kernels.waterfill import water_fill
from ..errors import ConfigError

__all__ = ["REPUTATION_TIERS", "RouteResult", "reputation_score", "unit_busy_seconds", "class_mean_busy",
           "selection_probability", "route", "expected_allocation"]

#: Lower bounds of the reputation tiers on the 0-10,000 scale ([sources: og-tee-reputation]).
REPUTATION_TIERS: dict[str, float] = {"poor": 0.0, "fair": 4000.0, "good": 7000.0, "excellent": 9000.0}


@dataclass(frozen=True)
class RouteResult:
    """Where each unit went: ``node`` (``(U,)``, -1 for unserved), ``busy_seconds`` (``(U,)``,
    0 for unserved) and the nodes' ``room_seconds`` left after routing (``(N,)``).

    Parameters
    ----------
    node : int array, shape ``(U,)``
        Node index each unit was placed on, in input order; -1 for a unit no node could take.
    busy_seconds : float array, shape ``(U,)``
        Busy seconds of each unit on its node, verification overhead included; 0 when unserved.
    room_seconds : float array, shape ``(N,)``
        Busy seconds each node can still take after routing.
    """

    node: np.ndarray
    busy_seconds: np.ndarray
    room_seconds: np.ndarray

    @property
    def served(self) -> np.ndarray:
        return self.node >= 0


def reputation_score(success_rate, uptime_ratio, quality) -> np.ndarray:
    """TEE reputation on the 0-10,000 scale: 10,000 x (0.5 success + 0.35 uptime + 0.15 quality).

    [sources: og-tee-reputation]

    Parameters
    ----------
    success_rate : float or array_like
        Share of requests served successfully, in [0, 1].
    uptime_ratio : float or array_like
        Share of time online, in [0, 1].
    quality : float or array_like
        Response quality score, in [0, 1].
    """
    return 10_000.0 * (0.5 * np.asarray(success_rate) + 0.35 * np.asarray(uptime_ratio)
                       + 0.15 * np.asarray(quality))


def unit_busy_seconds(node, model, input_tokens, output_tokens, overhead, prefill_seconds_per_token,
                      decode_seconds_per_token) -> np.ndarray:
    """Busy time of each unit on the given node: ``(input x s_prefill + output x s_decode) x overhead``.

    Parameters
    ----------
    node, model : int arrays, shape ``(U,)``
        Node index and model code of each unit.
    input_tokens, output_tokens : float arrays, shape ``(U,)``
        Prompt and output tokens of each unit.
    overhead : float or float array, shape ``(U,)``
        Verification overhead multiplier of each unit.
    prefill_seconds_per_token, decode_seconds_per_token : float arrays, shape ``(N, M)``
        Seconds per prompt and per output token of each node for each model (``inf``: not served).
    """
    return ((input_tokens * prefill_seconds_per_token[node, model]
             + output_tokens * decode_seconds_per_token[node, model]) * overhead)


def class_mean_busy(unit_class, unit_model, input_tokens, output_tokens, overhead, prefill_seconds_per_token,
                    decode_seconds_per_token, n_classes: int) -> np.ndarray:
    """``(C, N)`` busy seconds a mean unit of each class takes on each node (inf: cannot serve; NaN: no units).

    Parameters
    ----------
    unit_class, unit_model : int arrays, shape ``(U,)``
        Class code (0..``n_classes`` - 1) and model code of each unit.
    input_tokens, output_tokens : float arrays, shape ``(U,)``
        Prompt and output tokens of each unit.
    overhead : float array, shape ``(U,)``
        Verification overhead multiplier of each unit.
    prefill_seconds_per_token, decode_seconds_per_token : float arrays, shape ``(N, M)``
        Seconds per prompt and per output token of each node for each model (``inf``: not served).
    n_classes : int
        Number of classes C (rows of the result).
    """
    n_models = prefill_seconds_per_token.shape[1]
    key = unit_class * n_models + unit_model
    size = n_classes * n_models
    pre = np.bincount(key, weights=input_tokens * overhead, minlength=size).reshape(n_classes, n_models)
    dec = np.bincount(key, weights=output_tokens * overhead, minlength=size).reshape(n_classes, n_models)
    count = np.bincount(unit_class, minlength=n_classes).astype(np.float64)
    out = np.full((n_classes, prefill_seconds_per_token.shape[0]), np.nan)
    with np.errstate(invalid="ignore"):
        for c in range(n_classes):
            if count[c] == 0:
                continue
            used = (pre[c] > 0) | (dec[c] > 0)
            s_pre = prefill_seconds_per_token[:, used]
            s_dec = decode_seconds_per_token[:, used]
            out[c] = (s_pre @ pre[c, used] + s_dec @ dec[c, used]) / count[c]
    return out


def _weights(mean_busy, eligible, stake, reputation):
    ok = eligible & np.isfinite(mean_busy) & (mean_busy > 0)
    rep = reputation / 10_000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        capacity = np.where(ok, rep / mean_busy, 0.0)
    stake_w = np.where(ok, stake * rep, 0.0)
    return ok, stake_w, capacity


def selection_probability(mean_busy, eligible, stake, reputation, random_share) -> np.ndarray:
    """``(C, N)`` chance that a unit of each class is first drawn on each node.

    ``(1 - r) x stake_i rep_i / sum + r x (rep_i / busy_i) / sum`` over the class's eligible
    nodes; a class whose eligible nodes hold no stake uses the capacity draw only.

    Parameters
    ----------
    mean_busy : float array, shape ``(C, N)``
        Busy seconds of a mean unit of each class on each node (:func:`class_mean_busy`); nodes
        where it is not finite and > 0 are not selected.
    eligible : bool array, shape ``(C, N)``
        Nodes allowed to take each class.
    stake : float array, shape ``(N,)``
        Stake of each node, tokens.
    reputation : float array, shape ``(N,)``
        Reputation score of each node, 0-10,000 (:func:`reputation_score`); a weight factor.
    random_share : sequence of C floats in [0, 1]
        Share of each class's units placed by the free-slot draw (the rest by stake).
    """
    ok, stake_w, capacity = _weights(mean_busy, eligible, stake, reputation)
    r = np.asarray(random_share, dtype=np.float64)[:, None]
    s_tot = stake_w.sum(axis=1, keepdims=True)
    c_tot = capacity.sum(axis=1, keepdims=True)
    r = np.where(s_tot > 0, r, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (1 - r) * np.where(s_tot > 0, stake_w / s_tot, 0.0) + r * np.where(c_tot > 0, capacity / c_tot, 0.0)
    return np.where(ok, p, 0.0)


def _check_route_inputs(unit_class, n_classes, random_share, eligible, stake, reputation, room_seconds):
    if unit_class.size and (unit_class.min() < 0 or unit_class.max() >= n_classes):
        raise ConfigError(f"unit_class: codes must lie in 0..{n_classes - 1} (one per row of eligible), "
                          f"got {unit_class.min()}..{unit_class.max()}.")
    r = np.asarray(random_share, dtype=np.float64)
    if r.shape != (n_classes,) or not np.all((r >= 0) & (r <= 1)):
        raise ConfigError(f"random_share: need {n_classes} values in [0, 1], got {random_share!r}.")
    for name, v in (("stake", stake), ("reputation", reputation), ("room_seconds", room_seconds)):
        if v.shape != (eligible.shape[1],) or not np.all(np.isfinite(v) & (v >= 0)):
            raise ConfigError(f"{name}: need {eligible.shape[1]} finite values >= 0 (one per node).")
    return r


def route(rng: np.random.Generator, unit_class, unit_model, input_tokens, output_tokens, overhead,
          room_seconds, prefill_seconds_per_token, decode_seconds_per_token, eligible, stake, reputation,
          random_share, max_tries: int = 8, mean_busy=None) -> RouteResult:
    """Place units on nodes, in the given order, with the stake / free-slot lottery.

    Parameters
    ----------
    rng : numpy.random.Generator
        The only source of randomness.
    unit_class, unit_model : int arrays, shape ``(U,)``
        Class code (row of ``eligible``) and model code (column of the speed arrays).
    input_tokens, output_tokens, overhead : float arrays, shape ``(U,)``
        Prompt and output tokens of each unit and its verification overhead multiplier.
    room_seconds : float array, shape ``(N,)``
        Busy seconds each node can still take in the epoch (0 for inactive nodes).
    prefill_seconds_per_token, decode_seconds_per_token : float arrays, shape ``(N, M)``
        Seconds per token of each node for each model (``inf`` where it cannot serve it).
    eligible : bool array, shape ``(C, N)``
        Nodes allowed to take each class (active, reputation tier, served model).
    stake, reputation : float arrays, shape ``(N,)``
        Stake (tokens) and reputation score (0-10,000).
    random_share : sequence of C floats in [0, 1]
        Share of each class's units placed by the free-slot draw (the rest by stake).
    max_tries : int
        Draws per unit before scanning for room.
    mean_busy : float array, shape ``(C, N)``, optional
        Busy seconds of a mean unit of each class on each node, which sets the free-slot
        weights; by default measured on the given units (:func:`class_mean_busy`).

    Returns
    -------
    RouteResult

    Examples
    --------
    >>> import numpy as np
    >>> from fairshare.datasets.routing import route
    >>> s = np.ones((2, 1))
    >>> r = route(np.random.default_rng(0), np.zeros(3, np.int64), np.zeros(3, np.int64), np.ones(3),
    ...           np.ones(3), np.ones(3), np.full(2, 10.0), s, s, np.ones((1, 2), bool), np.ones(2),
    ...           np.full(2, 9000.0), [0.3])
    >>> r.busy_seconds.tolist()
    [2.0, 2.0, 2.0]
    """
    unit_class = np.ascontiguousarray(unit_class, dtype=np.int64)
    unit_model = np.ascontiguousarray(unit_model, dtype=np.int64)
    eligible = np.asarray(eligible, dtype=bool)
    stake = np.asarray(stake, dtype=np.float64)
    reputation = np.asarray(reputation, dtype=np.float64)
    room = np.array(room_seconds, dtype=np.float64)
    r = _check_route_inputs(unit_class, eligible.shape[0], random_share, eligible, stake, reputation, room)
    if int(max_tries) < 1:
        raise ConfigError(f"max_tries must be >= 1, got {max_tries!r}.")
    s_pre = np.ascontiguousarray(prefill_seconds_per_token, dtype=np.float64)
    s_dec = np.ascontiguousarray(decode_seconds_per_token, dtype=np.float64)
    inp = np.ascontiguousarray(input_tokens, dtype=np.float64)
    out = np.ascontiguousarray(output_tokens, dtype=np.float64)
    ovh = np.ascontiguousarray(overhead, dtype=np.float64)
    if mean_busy is None:
        mean_busy = class_mean_busy(unit_class, unit_model, inp, out, ovh, s_pre, s_dec, eligible.shape[0])
    elif np.shape(mean_busy) != eligible.shape:
        raise ConfigError(f"mean_busy: need shape {eligible.shape} (classes, nodes), got {np.shape(mean_busy)}.")
    ok, stake_w, capacity = _weights(mean_busy, eligible, stake, reputation)
    offsets, nodes, cum_stake, cum_cap = _segments(ok, stake_w, capacity)
    node = np.full(unit_class.size, -1, dtype=np.int64)
    busy = np.zeros(unit_class.size)
    done = 0
    while done < unit_class.size:  # a fresh block of uniforms whenever the last one runs out
        uniforms = rng.random(4 * (unit_class.size - done) + 2 * int(max_tries) + 64)
        done = route_units(unit_class, unit_model, inp, out, ovh, offsets, nodes, cum_stake, cum_cap,
                            np.ascontiguousarray(r), s_pre, s_dec, room, uniforms, int(max_tries), node, busy, done)
    return RouteResult(node=node, busy_seconds=busy, room_seconds=room)


def _segments(ok, stake_w, capacity):
    """CSR layout of each class's eligible nodes with their cumulative weights."""
    offsets = np.zeros(ok.shape[0] + 1, dtype=np.int64)
    nodes, cum_s, cum_c = [], [], []
    for c in range(ok.shape[0]):
        idx = np.flatnonzero(ok[c])
        offsets[c + 1] = offsets[c] + idx.size
        nodes.append(idx)
        cum_s.append(np.cumsum(stake_w[c, idx]))
        cum_c.append(np.cumsum(capacity[c, idx]))
    def cat(parts, dtype):
        return np.ascontiguousarray(np.concatenate(parts) if parts else np.zeros(0), dtype=dtype)

    return offsets, cat(nodes, np.int64), cat(cum_s, np.float64), cat(cum_c, np.float64)


def expected_allocation(units, mean_busy, room_seconds, eligible, stake, reputation, random_share) -> np.ndarray:
    """``(C, N)`` expected busy seconds per class and node when ``units[c]`` units of each class
    are routed in class order (the fluid limit of :func:`route`).

    ``mean_busy`` is the ``(C, N)`` busy time of a mean unit (see :func:`class_mean_busy`).

    Parameters
    ----------
    units : sequence of C floats
        Expected number of units of each class; class 0 is placed first, each next class on the room left.
    mean_busy : float array, shape ``(C, N)``
        Busy seconds of a mean unit of each class on each node.
    room_seconds : float array, shape ``(N,)``
        Busy seconds each node can take (the epoch length if active, 0 otherwise).
    eligible : bool array, shape ``(C, N)``
        Nodes allowed to take each class.
    stake : float array, shape ``(N,)``
        Stake of each node, tokens.
    reputation : float array, shape ``(N,)``
        Reputation score of each node, 0-10,000 (:func:`reputation_score`); a weight factor.
    random_share : sequence of C floats in [0, 1]
        Share of each class's units placed by the free-slot draw (the rest by stake).
    """
    room = np.array(room_seconds, dtype=np.float64)
    p = selection_probability(mean_busy, eligible, stake, reputation, random_share)
    out = np.zeros_like(p)
    for c in range(p.shape[0]):
        if units[c] <= 0 or not p[c].any():
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            cap = np.where(p[c] > 0, room / mean_busy[c], 0.0)
            x = water_fill(np.ascontiguousarray(p[c]), np.ascontiguousarray(cap), float(units[c]))
            busy = np.where(p[c] > 0, x * mean_busy[c], 0.0)
        out[c] = busy
        room = np.maximum(room - busy, 0.0)
    return out
