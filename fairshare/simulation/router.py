"""Demand and routing inputs of a simulation, taken from the built-in network's own modules.

Public through :class:`fairshare.simulation.Scenario`. The four traffic classes, their unit
sizes, fees and verification modes are :mod:`fairshare.datasets.demand`'s; the starting
demand is :func:`fairshare.datasets.traffic.calibrate_demand` on the nodes active at the
start; the selection weights are :func:`fairshare.datasets.routing.selection_probability`'s
(stake part per unit of stake, and free-slot part), which the kernel re-normalises over the
active nodes each epoch; placement is the router's fluid limit (``water_fill``).

Reputation scores are not part of a history. For the built-in network they are rebuilt
from the history's provenance (the generator's seed and configuration, with the same
population stream) and checked against its nodes table; other histories pass them in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .._kernels.sim.state import (
    F_FEES,
    F_IN,
    F_LARGE,
    F_OUT,
    F_REQ,
    F_ROWS,
    F_SMALL,
    F_TEE,
    F_UP,
    F_VAN,
    F_WORK,
    F_ZK,
    N_TASK,
)
from ..datasets.archetypes import archetype_index
from ..datasets.demand import CLASS_MODEL, CLASS_VERIFICATION, CLASSES, MODELS, fees_usd, hosted_codes, model_codes
from ..datasets.network import recorded_config
from ..datasets.routing import REPUTATION_TIERS, selection_probability
from ..datasets.supply import build_population
from ..datasets.traffic import TrafficSpec, calibrate_demand, unit_sizes
from ..errors import ConfigError
from ..features import PREFILL_WEIGHT, SIZE_REFERENCE_PARAMS_B, SMALL_TASK_TOKENS
from .config import ROUTINGS, Demand

__all__ = ["Router", "build_router", "resolve_reputation"]


@dataclass(frozen=True, eq=False)
class Router:
    """Per class ``c`` and slot ``i``: busy seconds of a mean unit ``mean_busy``, the router's
    stake weight per staked token ``w_stake`` and free-slot weight ``w_cap``; per class the
    free-slot share ``random_share``, the mean unit's task fields ``unit`` (``(13, C)``,
    ``features`` order) and the starting demand ``demand0`` (units per epoch).

    Parameters
    ----------
    mean_busy : ndarray, shape ``(C, S)``
        Busy seconds of a mean unit of each class on each slot; ``inf`` where the slot is not eligible.
    w_stake : ndarray, shape ``(C, S)``
        Stake-draw weight per staked token (reputation, normalised over the eligible slots).
    w_cap : ndarray, shape ``(C, S)``
        Free-slot draw weight (reputation over mean busy, normalised; 1 per eligible slot for
        ``routing="uniform"``).
    random_share : ndarray, shape ``(C,)``
        Share of each class's units placed by the free-slot draw (0 for ``routing="stake"``, 1 for
        ``"uniform"``).
    unit : ndarray, shape ``(13, C)``
        Task fields of a mean unit of each class (requests, rows, tokens, work, fees, upstream cost,
        work by verification mode and by size; busy seconds left 0).
    demand0 : ndarray, shape ``(C,)``
        Calibrated mean units per epoch of each class at the start.
    latency_order : int ndarray, shape ``(C, S)``
        Eligible slots of each class, fastest (smallest mean busy) first, padded with -1.
    code : int
        Routing mode (position of ``Demand.routing`` in ``ROUTINGS``).
    reputation : ndarray, shape ``(S,)``
        Each slot's reputation score (its history node's).
    floor : ndarray, shape ``(C,)``
        Each class's reputation floor (the lower bound of its minimum tier).
    """

    mean_busy: np.ndarray
    w_stake: np.ndarray
    w_cap: np.ndarray
    random_share: np.ndarray
    unit: np.ndarray
    demand0: np.ndarray
    latency_order: np.ndarray
    code: int
    reputation: np.ndarray
    floor: np.ndarray


def resolve_reputation(history, reputation, cfg=None) -> np.ndarray:
    """Reputation score (0-10,000, [sources: og-tee-reputation]) of every history node; ``cfg`` is the history's
    :func:`~fairshare.datasets.network.recorded_config` (None: not the built-in network).

    Parameters
    ----------
    history : History
        The history whose nodes are scored.
    reputation : None, float or Series
        None: rebuild the scores of the built-in network's population from ``cfg`` and the recorded
        seed (a :class:`~fairshare.errors.ConfigError` otherwise); a number: one score for every
        node; a Series indexed by ``node_id``: a score per node. Scores lie in [0, 10000].
    cfg : NetworkConfig, optional
        The history's recorded configuration.

    Returns
    -------
    ndarray, shape ``(N,)``
        Scores in history node order.
    """
    if reputation is None:
        if cfg is not None:
            seed = int(history.provenance["seed"])
            stream = np.random.default_rng(np.random.SeedSequence(seed).spawn(4)[0])  # the population stream
            pop = build_population(stream, int(cfg.n_nodes), int(cfg.n_epochs), cfg.supply)
            nodes = history.nodes
            if (np.array_equal(pop.node_ids, nodes["node_id"].to_numpy(dtype=object))
                    and np.array_equal(pop.stake_tokens, nodes["stake_tokens"].to_numpy())
                    and np.array_equal(pop.capex_usd, nodes["capex_usd"].to_numpy())):
                return pop.reputation
        raise ConfigError("reputation: this history is not the built-in network (or its population cannot be "
                          "rebuilt from its provenance), so the router needs reputation scores: pass "
                          "reputation=<a score in [0, 10000] or a Series by node_id> (OpenGradient's TEEReputation "
                          "tiers: fair 4000, good "
                          "7000, excellent 9000), or use Demand(mode='replay').")
    if isinstance(reputation, pd.Series):
        ids = pd.Index(history.node_ids)
        missing = ids.difference(reputation.index)
        if len(missing):
            raise ConfigError(f"reputation: no score for nodes {list(missing[:5])} ({len(missing)} in all).")
        values = reputation.reindex(ids).to_numpy(dtype=np.float64)
    else:
        values = np.full(history.n_nodes, reputation, dtype=np.float64)
    if not np.all(np.isfinite(values) & (values >= 0) & (values <= 10_000)):
        raise ConfigError(f"reputation must lie in [0, 10000], got values from {np.nanmin(values)!r} to "
                          f"{np.nanmax(values)!r}.")
    return values


def _traffic(cfg, demand: Demand) -> TrafficSpec:
    spec = cfg.traffic if cfg is not None else TrafficSpec()
    if demand.large_token_share is not None:
        spec = replace(spec, large_token_share=float(demand.large_token_share))
    n = len(spec.random_share)
    if demand.random_share is not None:  # routing policy: the lottery share of every class
        spec = replace(spec, random_share=(float(demand.random_share),) * n)
    if demand.min_tier is not None:  # routing policy: one reputation floor for every class
        spec = replace(spec, min_reputation_tier=(demand.min_tier,) * n)
    return spec


def _unit_fields(spec: TrafficSpec) -> np.ndarray:
    """``(13, C)`` task fields of a mean unit of each class (``features`` order; busy left 0)."""
    codes = model_codes()
    sizes = unit_sizes(spec)
    out = np.zeros((N_TASK, len(CLASSES)))
    for c, name in enumerate(CLASSES):
        requests, _, prompt, output = sizes[name]
        models = hosted_codes() if name == "proxy" else np.array([codes[CLASS_MODEL[name]]])
        fee = float(np.mean(fees_usd(models, np.full(models.size, prompt), np.full(models.size, output))))
        params = float(np.mean([MODELS[m].active_params_b for m in models]))
        work = (PREFILL_WEIGHT * prompt + output) * params / SIZE_REFERENCE_PARAMS_B
        small = (prompt + output) / requests <= SMALL_TASK_TOKENS
        mode = CLASS_VERIFICATION[name]
        out[F_REQ, c], out[F_ROWS, c], out[F_IN, c], out[F_OUT, c] = requests, 1.0, prompt, output
        out[F_WORK, c], out[F_FEES, c] = work, fee
        out[F_UP, c] = fee if all(MODELS[m].pass_through for m in models) else 0.0
        out[F_VAN, c], out[F_TEE, c], out[F_ZK, c] = (work * (mode == "vanilla"), work * (mode == "tee"),
                                                      work * (mode == "zkml"))
        out[F_SMALL, c], out[F_LARGE, c] = (work, 0.0) if small else (0.0, work)
    return out


def build_router(network, demand: Demand, reputation) -> Router:
    """Routing arrays of ``network``'s slots (see :class:`Router`).

    Parameters
    ----------
    network : Network
        Slots of the scenario; every node's hardware must be a built-in archetype.
    demand : Demand
        Demand settings; ``routing`` and ``large_token_share`` are used.
    reputation : None, float or Series
        Reputation scores, as :func:`resolve_reputation` takes them.

    Returns
    -------
    Router
    """
    h = network.history
    try:
        arch = np.array([archetype_index(x) for x in np.asarray(h.node_hardware, dtype=object)], dtype=np.int64)
    except KeyError as exc:
        raise ConfigError(f"Demand(mode='router') needs every node's hardware among the built-in archetypes; "
                          f"{exc.args[0]!r} is not one. Use Demand(mode='replay') for this history.") from None
    cfg = recorded_config(h.provenance)
    rep = resolve_reputation(h, reputation, cfg)
    spec = _traffic(cfg, demand)
    stake = h.node_values["stake_tokens"].astype(np.float64)
    active0 = h.active[network.start]
    means, mean_busy = calibrate_demand(spec, arch, rep, stake, active0[None, :], h.epoch_seconds)
    src = network.source
    mb = np.ascontiguousarray(mean_busy[:, src])
    rep_s = rep[src]
    floor = np.array([REPUTATION_TIERS[t] for t in spec.min_reputation_tier])
    with np.errstate(invalid="ignore"):
        eligible = np.isfinite(mb) & (mb > 0) & (rep_s[None, :] >= floor[:, None])
    n_classes = len(CLASSES)
    ones = np.ones(src.size)
    w_stake = selection_probability(mb, eligible, ones, rep_s, np.zeros(n_classes))
    w_cap = selection_probability(mb, eligible, ones, rep_s, np.ones(n_classes))
    share = np.asarray(spec.random_share, dtype=np.float64)
    if demand.routing == "stake":
        share = np.zeros(n_classes)
    elif demand.routing == "uniform":
        share = np.ones(n_classes)
        w_cap = eligible.astype(np.float64)
    latency = np.full(mb.shape, -1, dtype=np.int64)
    for c in range(n_classes):
        idx = np.flatnonzero(eligible[c])
        idx = idx[np.argsort(mb[c, idx], kind="stable")]
        latency[c, : idx.size] = idx
    mb = np.where(eligible, mb, np.inf)
    return Router(mean_busy=np.ascontiguousarray(mb), w_stake=np.ascontiguousarray(w_stake),
                  w_cap=np.ascontiguousarray(w_cap), random_share=share, unit=_unit_fields(spec),
                  demand0=np.ascontiguousarray(means[0]), latency_order=latency, code=ROUTINGS.index(demand.routing),
                  reputation=np.ascontiguousarray(rep_s, dtype=np.float64),
                  floor=np.ascontiguousarray(floor, dtype=np.float64))
