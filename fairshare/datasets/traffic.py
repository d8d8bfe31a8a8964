"""Traffic of the built-in network: calibrated demand, drawn units, routing, settled rows.

Demand is calibrated per epoch so that the network shows the cited utilisation and job mix
whatever nodes are active that epoch (demand follows supply):

* the mean number of small parcels ``D_small`` is solved (regula falsi on the fluid
  allocation of :func:`.routing.expected_allocation`) so that the **datacenter** tier is busy
  ``target_datacenter_utilisation`` of the epoch (0.725, the middle of the 60-85% range of
  [sources: gpu-rental-utilisation]); in an epoch without active datacenter nodes the colocation tier is the anchor, and
  without either there is no local demand;
* large jobs follow from the **token share of large jobs** (0.60, [sources: azure-llm-trace-2023, syfi-tracelab]):
  ``D_large x mean job tokens = share / (1 - share) x (small + zkml tokens)``;
* ZKML requests are ``zkml_per_small_request`` times the small requests (assumption);
* proxy parcels are set so TEE proxies are busy ``target_proxy_utilisation`` (they run on EC2,
  [sources: og-tee-gateway], a datacenter setting, so the same 0.725).

Everything else (home, Mac and colocation utilisation, who gets which job) follows from
the router. Unit counts are Poisson draws around the calibrated means, so a node's busy
time varies from epoch to epoch. Rows are settled per (epoch, node, model): one row holds
a node's large jobs, one its small parcels, one per hosted model; each ZKML request is a
row of its own (settled individually with its proof). ``rows="unit"`` writes one row per
routed unit instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._kernels.waterfill import water_fill
from ..data.schema import VERIFICATION_MODES
from .archetypes import ARCHETYPES, PREFILL_DECODE_RATIO
from .demand import (
    CLASS_MODEL,
    CLASS_VERIFICATION,
    CLASSES,
    MODELS,
    VERIFICATION_OVERHEAD,
    LargeJobs,
    RequestSizes,
    fees_usd,
    hosted_codes,
    model_codes,
)
from .routing import REPUTATION_TIERS, expected_allocation, route, selection_probability

__all__ = ["TrafficSpec", "node_speeds", "unit_sizes", "calibrate_demand", "expected_busy", "generate_tasks"]

_L, _S, _Z, _P = range(4)


@dataclass(frozen=True)
class TrafficSpec:
    """Demand and routing parameters (sources in :mod:`.demand`, this module and :mod:`.routing`).

    Per-class tuples follow :data:`~fairshare.datasets.demand.CLASSES` (large, small, zkml,
    proxy). ``random_share``: large jobs 0.3, Livepeer's random part ([sources: livepeer-protocol]); the request
    classes 1.0, because OpenGradient routes TEE requests by reputation, not stake ([sources: og-tee-reputation]).
    ``min_reputation_tier``: Good for large jobs, Fair otherwise ([sources: og-tee-reputation] tiers).
    ``parcel_requests`` and ``large_jobs_per_unit`` size the routed units (a representation
    choice). ``max_tries`` bounds the router's redraws before its exact draw.

    Parameters
    ----------
    request_sizes : RequestSizes, default RequestSizes()
        Prompt and output tokens of one small request ([sources: azure-llm-trace-2023] lognormal fits).
    large_alpha : float, default 1.3
        Pareto exponent of large-job sizes ([sources: syfi-tracelab]); > 1.
    large_min_requests : float, default 100
        Smallest large job, in mean small requests (x_min, [sources: azure-llm-trace-2023, syfi-tracelab]).
    large_max_epoch_share : float, default 0.25
        Largest large job: the tokens the fastest 70B node serves in this share of a day (86,400 s;
        assumption), in (0, 1]; at least 2 x the smallest job.
    large_token_share : float, default 0.60
        Share of local-inference tokens in large jobs ([sources: azure-llm-trace-2023, syfi-tracelab]), in (0, 1); sets
        the large-job demand.
    target_datacenter_utilisation : float, default 0.725
        Busy share of the datacenter tier (colocation when no datacenter node is active) that
        calibrates the small-parcel demand ([sources: gpu-rental-utilisation]), in (0, 1].
    target_proxy_utilisation : float, default 0.725
        Busy share of the TEE proxies that calibrates the proxy demand, in (0, 1].
    zkml_per_small_request : float, default 1e-5
        ZKML requests per small request (assumption); >= 0.
    parcel_requests : int, default 1024
        Requests per routed small or proxy parcel.
    large_jobs_per_unit : int, default 8
        Large jobs per routed large unit (each job drawn on its own).
    random_share : tuple of float, default (0.3, 1.0, 1.0, 1.0)
        Per class, share of units placed by the free-slot draw rather than by stake, in [0, 1].
    min_reputation_tier : tuple of str, default ("good", "fair", "fair", "fair")
        Per class, the lowest reputation tier (a key of
        :data:`~fairshare.datasets.routing.REPUTATION_TIERS`) a node needs to serve it.
    max_tries : int, default 8
        Router draws per unit before the exact draw among nodes with room.
    """

    request_sizes: RequestSizes = field(default_factory=RequestSizes)
    large_alpha: float = 1.3
    large_min_requests: float = 100.0
    large_max_epoch_share: float = 0.25
    large_token_share: float = 0.60
    target_datacenter_utilisation: float = 0.725
    target_proxy_utilisation: float = 0.725
    zkml_per_small_request: float = 1e-5
    parcel_requests: int = 1024
    large_jobs_per_unit: int = 8
    random_share: tuple[float, ...] = (0.3, 1.0, 1.0, 1.0)
    min_reputation_tier: tuple[str, ...] = ("good", "fair", "fair", "fair")
    max_tries: int = 8

    def large_jobs(self) -> LargeJobs:
        """Large-job size model; the cap is ``large_max_epoch_share`` of an epoch of the fastest
        70B node (a whole job settles within one epoch on one node)."""
        rs = self.request_sizes
        x_min = self.large_min_requests * rs.mean_tokens
        share = rs.mean_prompt / rs.mean_tokens
        fastest = max(a.speeds["70b"][1] for a in ARCHETYPES if a.serves("70b"))
        per_token = share * PREFILL_DECODE_RATIO + (1.0 - share)
        x_max = self.large_max_epoch_share * 86_400.0 * fastest / per_token
        return LargeJobs(alpha=self.large_alpha, min_tokens=x_min, max_tokens=max(x_max, 2 * x_min),
                         prompt_share=share)


def node_speeds(archetype: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(N, M)`` seconds per prompt token and per output token of each node for each model (inf: not served).

    Parameters
    ----------
    archetype : int ndarray, shape ``(N,)``
        Archetype code of each node (position in :data:`~fairshare.datasets.archetypes.ARCHETYPES`).
    """
    n_arch, n_models = len(ARCHETYPES), len(MODELS)
    pre = np.full((n_arch, n_models), np.inf)
    dec = np.full((n_arch, n_models), np.inf)
    for a, arch in enumerate(ARCHETYPES):
        for m, model in enumerate(MODELS):
            if arch.serves(model.family):
                p, d = arch.speeds[model.family]
                pre[a, m], dec[a, m] = 1.0 / p, 1.0 / d
    return np.ascontiguousarray(pre[archetype]), np.ascontiguousarray(dec[archetype])


def _static_eligibility(archetype, reputation, spec: TrafficSpec, s_dec) -> np.ndarray:
    codes = model_codes()
    served = np.isfinite(s_dec)
    models = [codes[CLASS_MODEL["large"]], codes[CLASS_MODEL["small"]], codes[CLASS_MODEL["zkml"]]]
    elig = np.zeros((len(CLASSES), archetype.size), dtype=bool)
    for c, m in enumerate(models):
        elig[c] = served[:, m]
    elig[_P] = served[:, hosted_codes()].all(axis=1)
    floor = np.array([REPUTATION_TIERS[t] for t in spec.min_reputation_tier])
    return elig & (reputation[None, :] >= floor[:, None])


def unit_sizes(spec: TrafficSpec) -> dict[str, tuple[float, float, float, float]]:
    """Requests, tokens, prompt tokens and output tokens of a mean unit of each class (by class name).

    Parameters
    ----------
    spec : TrafficSpec
        Request sizes, large-job model and unit sizes.
    """
    rs, jobs, b, k = spec.request_sizes, spec.large_jobs(), spec.parcel_requests, spec.large_jobs_per_unit
    job = jobs.mean_tokens * k
    parcel = (b, b * rs.mean_tokens, b * rs.mean_prompt, b * rs.mean_output)
    return {"large": (k, job, job * jobs.prompt_share, job * (1 - jobs.prompt_share)), "small": parcel,
            "zkml": (1, rs.mean_tokens, rs.mean_prompt, rs.mean_output), "proxy": parcel}


def _mean_busy(spec: TrafficSpec, s_pre, s_dec) -> tuple[np.ndarray, np.ndarray]:
    """``(C, N)`` busy seconds of a mean unit per class and node, and ``(C,)`` mean tokens per unit."""
    codes = model_codes()
    sizes = unit_sizes(spec)

    def busy(c, m):
        _, _, prompt, output = sizes[c]
        return (prompt * s_pre[:, m] + output * s_dec[:, m]) * VERIFICATION_OVERHEAD[CLASS_VERIFICATION[c]]

    out = np.vstack([busy(c, codes[CLASS_MODEL[c]]) for c in ("large", "small", "zkml")]
                    + [np.mean([busy("proxy", m) for m in hosted_codes()], axis=0)])
    tokens = np.array([sizes[c][1] for c in CLASSES])
    return out, tokens


def _class_setup(spec: TrafficSpec, archetype, reputation):
    """Node speeds ``(N, M)`` (prefill, decode), the mean unit's ``(C, N)`` busy seconds and ``(C,)``
    tokens, and the ``(C, N)`` static eligibility (served model, reputation tier)."""
    s_pre, s_dec = node_speeds(archetype)
    mean_busy, tokens = _mean_busy(spec, s_pre, s_dec)
    return s_pre, s_dec, mean_busy, tokens, _static_eligibility(archetype, reputation, spec, s_dec)


def calibrate_demand(spec: TrafficSpec, archetype, reputation, stake, active, epoch_seconds: float = 86_400.0):
    """``(E, C)`` mean units per epoch and class that meet the module's calibration targets.

    Returns the means and the ``(C, N)`` mean busy per unit used to find them.

    Parameters
    ----------
    spec : TrafficSpec
        Calibration targets, unit sizes and router settings.
    archetype : int ndarray, shape ``(N,)``
        Archetype code of each node.
    reputation : ndarray, shape ``(N,)``
        Reputation score of each node, 0-10,000 (sets eligibility by tier and the selection weights).
    stake : ndarray, shape ``(N,)``
        Stake of each node, tokens (counted only in epochs where the node is active).
    active : bool ndarray, shape ``(E, N)``
        Nodes active in each epoch.
    epoch_seconds : float, default 86400
        Length of an epoch, seconds: the busy time an active node can take.
    """
    _, _, mean_busy, tokens, static = _class_setup(spec, archetype, reputation)
    tiers = np.array([ARCHETYPES[a].tier for a in range(len(ARCHETYPES))], dtype=object)[archetype]
    dc, colo, proxy = tiers == "datacenter", tiers == "colocation", tiers == "proxy"
    share = spec.large_token_share
    z = spec.zkml_per_small_request * spec.parcel_requests  # zkml requests per small parcel
    large_per_small = share / (1.0 - share) * (tokens[_S] + z * tokens[_Z]) / tokens[_L]
    means = np.zeros((active.shape[0], len(CLASSES)))
    guess = 0.0
    for e in range(active.shape[0]):
        act = active[e]
        room = np.where(act, float(epoch_seconds), 0.0)
        elig = static & act[None, :]
        p = np.ascontiguousarray(selection_probability(mean_busy, elig, stake * act, reputation, spec.random_share))
        anchor = dc & act if (dc & act).any() else colo & act
        if anchor.any():
            target = spec.target_datacenter_utilisation
            gap = lambda d: _anchor_busy(d, p, mean_busy, room, anchor, large_per_small, z) - target  # noqa: E731
            guess = _solve_increasing(gap, guess, _small_upper_bound(p, mean_busy, room))
            means[e, _S], means[e, _L], means[e, _Z] = guess, large_per_small * guess, z * guess
        with np.errstate(invalid="ignore"):
            pp = np.where(p[_P] > 0, p[_P] * mean_busy[_P], 0.0)
        if (proxy & act).any() and pp.sum() > 0:
            means[e, _P] = spec.target_proxy_utilisation * room[proxy].sum() / pp.sum()
    return means, mean_busy


def expected_busy(spec: TrafficSpec, means, archetype, reputation, stake, active,
                  epoch_seconds: float = 86_400.0) -> tuple[np.ndarray, np.ndarray]:
    """``(C, N)`` busy seconds per class and node over all epochs in the router's fluid limit
    (:func:`.routing.expected_allocation` with the calibrated demand ``means``), and the
    matching ``(C, N)`` tokens (busy time over the mean unit's busy time, times its tokens).

    Parameters
    ----------
    spec : TrafficSpec
        Unit sizes and router settings.
    means : ndarray, shape ``(E, C)``
        Mean units per epoch and class (from :func:`calibrate_demand`).
    archetype : int ndarray, shape ``(N,)``
        Archetype code of each node.
    reputation : ndarray, shape ``(N,)``
        Reputation score of each node, 0-10,000 (sets eligibility by tier and the selection weights).
    stake : ndarray, shape ``(N,)``
        Stake of each node, tokens (counted only in epochs where the node is active).
    active : bool ndarray, shape ``(E, N)``
        Nodes active in each epoch.
    epoch_seconds : float, default 86400
        Length of an epoch, seconds.
    """
    _, _, mean_busy, unit_tokens, static = _class_setup(spec, archetype, reputation)
    total = np.zeros((len(CLASSES), archetype.size))
    for e in range(active.shape[0]):
        act = active[e]
        total += expected_allocation(means[e], mean_busy, np.where(act, epoch_seconds, 0.0), static & act[None, :],
                                     stake * act, reputation, spec.random_share)
    with np.errstate(divide="ignore", invalid="ignore"):
        tokens = np.where(total > 0, total / mean_busy * unit_tokens[:, None], 0.0)
    return total, tokens


def _anchor_busy(d_small, p, mean_busy, room, anchor, large_per_small, z):
    """Expected busy share of the ``anchor`` nodes when ``d_small`` parcels (and the matching
    large jobs and ZKML requests) are routed in class order (fluid limit)."""
    left = room.copy()
    total = 0.0
    for c, units in ((_L, large_per_small * d_small), (_S, d_small), (_Z, z * d_small)):
        pc = p[c]
        if units <= 0 or not pc.any():
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            cap = np.where(pc > 0, left / mean_busy[c], 0.0)
            busy = np.where(pc > 0, water_fill(pc, cap, float(units)) * mean_busy[c], 0.0)
        total += busy[anchor].sum()
        left = np.maximum(left - busy, 0.0)
    return total / room[anchor].sum()


def _small_upper_bound(p, mean_busy, room):
    ok = (p[_S] > 0) & np.isfinite(mean_busy[_S])
    return 4.0 * (room[ok] / mean_busy[_S][ok]).sum() + 1.0


def _solve_increasing(gap, guess, upper, rtol: float = 1e-10, iterations: int = 60):
    """Root of a continuous increasing ``gap`` on ``[0, upper]`` (Illinois regula falsi, warm start).

    Returns ``upper`` when the gap stays negative (the target cannot be reached).
    """
    lo, hi = 0.0, upper
    if 0.0 < guess < upper:
        lo, hi = guess * 0.8, min(guess * 1.25, upper)
        if gap(lo) > 0:
            lo = 0.0
        if gap(hi) < 0:
            hi = upper
    f_lo, f_hi = gap(lo), gap(hi)
    if f_hi <= 0:
        return hi
    side = 0
    x = lo
    for _ in range(iterations):
        x = hi - f_hi * (hi - lo) / (f_hi - f_lo) if f_hi != f_lo else 0.5 * (lo + hi)
        f_x = gap(x)
        if abs(f_x) <= rtol or (hi - lo) <= rtol * hi:
            return x
        if f_x > 0:
            hi, f_hi = x, f_x
            if side == 1:
                f_lo *= 0.5
            side = 1
        else:
            lo, f_lo = x, f_x
            if side == -1:
                f_hi *= 0.5
            side = -1
    return x


def _draw_units(rng, spec: TrafficSpec, counts, jobs: LargeJobs):
    """Units of one epoch in class order: class, model, requests, prompt, output tokens."""
    rs, b = spec.request_sizes, spec.parcel_requests
    codes = model_codes()
    n_l, n_s, n_z, n_p = (int(c) for c in counts)
    k = spec.large_jobs_per_unit
    job_prompt, job_output = jobs.sample(rng, n_l * k)
    parts = [(job_prompt.reshape(n_l, k).sum(axis=1), job_output.reshape(n_l, k).sum(axis=1)),
             rs.sample(rng, n_s, b), rs.sample(rng, n_z, 1), rs.sample(rng, n_p, b)]
    hosted = hosted_codes()
    model = np.concatenate([np.full(n_l, codes[CLASS_MODEL["large"]]), np.full(n_s, codes[CLASS_MODEL["small"]]),
                            np.full(n_z, codes[CLASS_MODEL["zkml"]]), hosted[rng.integers(0, hosted.size, n_p)]])
    klass = np.repeat(np.arange(4), [n_l, n_s, n_z, n_p])
    requests = np.repeat(np.array([k, b, 1, b], dtype=np.int64), [n_l, n_s, n_z, n_p])
    prompt = np.maximum(np.rint(np.concatenate([x[0] for x in parts])), 1.0)
    output = np.maximum(np.rint(np.concatenate([x[1] for x in parts])), 1.0)
    return klass, model.astype(np.int64), requests, prompt, output


def generate_tasks(demand_rng, route_rng, spec: TrafficSpec, means, archetype, reputation, stake, active,
                   rows: str = "epoch", epoch_seconds: float = 86_400.0) -> tuple[dict, dict]:
    """Draw, route and settle every epoch's units; return coded task columns and routing stats.

    Parameters
    ----------
    demand_rng : numpy.random.Generator
        Stream for unit counts (Poisson around ``means``), sizes and hosted-model choice.
    route_rng : numpy.random.Generator
        Stream for the router's draws.
    spec : TrafficSpec
        Unit sizes and router settings.
    means : ndarray, shape ``(E, C)``
        Mean units per epoch and class (from :func:`calibrate_demand`).
    archetype : int ndarray, shape ``(N,)``
        Archetype code of each node.
    reputation : ndarray, shape ``(N,)``
        Reputation score of each node, 0-10,000 (sets eligibility by tier and the selection weights).
    stake : ndarray, shape ``(N,)``
        Stake of each node, tokens (counted only in epochs where the node is active).
    active : bool ndarray, shape ``(E, N)``
        Nodes active in each epoch.
    rows : {"epoch", "unit"}, default "epoch"
        Settle one row per epoch, node and model (each ZKML request on its own row), or write one
        row per routed unit.
    epoch_seconds : float, default 86400
        Length of an epoch, seconds.

    Returns
    -------
    data : dict of str to ndarray
        Task columns ``epoch``, ``node``, ``model``, ``requests``, ``input_tokens``, ``output_tokens``,
        ``busy_seconds``, ``verification`` (codes), ``fee_usd`` and ``upstream_cost_usd``; served units only.
    stats : dict
        ``units_drawn`` and ``units_unserved`` per class name.
    """
    s_pre, s_dec, mean_busy, _, static = _class_setup(spec, archetype, reputation)
    jobs = spec.large_jobs()
    n_nodes, n_models = archetype.size, len(MODELS)
    mode_code = {m: i for i, m in enumerate(VERIFICATION_MODES)}
    class_mode = np.array([mode_code[CLASS_VERIFICATION[c]] for c in CLASSES])
    class_ovh = np.array([VERIFICATION_OVERHEAD[CLASS_VERIFICATION[c]] for c in CLASSES])
    out = {k: [] for k in _COLUMNS}
    drawn = np.zeros(len(CLASSES), dtype=np.int64)
    unserved = np.zeros(len(CLASSES), dtype=np.int64)
    for e in range(active.shape[0]):
        act = active[e]
        counts = demand_rng.poisson(means[e])
        klass, model, requests, prompt, output = _draw_units(demand_rng, spec, counts, jobs)
        res = route(route_rng, klass, model, prompt, output, class_ovh[klass], np.where(act, epoch_seconds, 0.0),
                    s_pre, s_dec, static & act[None, :], stake * act, reputation, spec.random_share,
                    spec.max_tries, mean_busy=mean_busy)
        drawn += counts
        ok = res.served
        unserved += np.bincount(klass[~ok], minlength=len(CLASSES))
        cols = {"node": res.node[ok], "model": model[ok], "requests": requests[ok], "input_tokens": prompt[ok],
                "output_tokens": output[ok], "busy_seconds": res.busy_seconds[ok],
                "verification": class_mode[klass[ok]]}
        if rows == "epoch":
            cols = _settle(cols, klass[ok] == _Z, n_nodes, n_models)
        cols["epoch"] = np.full(cols["node"].size, e, dtype=np.int64)
        for k in cols:
            out[k].append(cols[k])
    data = {k: np.concatenate(v) for k, v in out.items()}
    data["fee_usd"] = fees_usd(data["model"], data["input_tokens"], data["output_tokens"])
    pass_through = np.array([m.pass_through for m in MODELS])
    data["upstream_cost_usd"] = np.where(pass_through[data["model"]], data["fee_usd"], 0.0)
    stats = {"units_drawn": dict(zip(CLASSES, drawn.tolist())), "units_unserved": dict(zip(CLASSES, unserved.tolist()))}
    return data, stats


_COLUMNS = ("epoch", "node", "model", "requests", "input_tokens", "output_tokens", "busy_seconds", "verification")


def _settle(cols: dict, single: np.ndarray, n_nodes: int, n_models: int) -> dict:
    """One row per (node, model) for batched units; single-settled units keep a row each."""
    batch = ~single
    key = cols["node"][batch] * n_models + cols["model"][batch]
    size = n_nodes * n_models
    sums = {k: np.bincount(key, weights=cols[k][batch], minlength=size)
            for k in ("requests", "input_tokens", "output_tokens", "busy_seconds")}
    mode = np.zeros(size, dtype=np.int64)
    mode[key] = cols["verification"][batch]
    keys = np.flatnonzero(np.bincount(key, minlength=size))
    settled = {k: v[keys] for k, v in sums.items()}
    settled["requests"] = np.rint(settled["requests"]).astype(np.int64)
    settled.update(node=keys // n_models, model=keys % n_models, verification=mode[keys])
    return {k: np.concatenate([settled[k], cols[k][single]]) for k in cols}
