"""Running a simulation: per-run random streams, chunks of runs, both paths.

Public through :func:`fairshare.simulate`. Runs are processed in chunks (memory is the
summaries plus one chunk's working state; full per-node state only on request), and with a
``dask.distributed`` client in blocks of runs on its workers. Every run
draws from its own stream, ``SeedSequence(seed).spawn(runs)[r]``, split into four child
streams (price, demand, exits, fake-demand willingness), so a run's draws do not depend on
the chunking, on the number of runs, or on which mechanisms are switched on, and two
scenarios simulated with the same seed share their random draws (paired comparisons).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from .._distributed import map_ordered, n_workers, share, spans
from .._jit import num_threads
from .._kernels.sim import epoch as kernel
from .._kernels.sim import state as k
from ..features import QUANTITIES, Features
from ..formulas.components import _FIELD, COMPONENTS
from .inputs import Inputs, kernel_inputs
from .rules import RulePlan

__all__ = ["simulate_runs", "simulate_block", "RunOutput", "KEPT"]

_STREAMS = 4  # price, demand, exits, fake-demand willingness
#: Per-node arrays kept with ``keep_state`` (the kernel writes them in this order).
KEPT = ("rewards", "stake", "work", "active", "busy")


@dataclass(frozen=True, eq=False)
class RunOutput:
    """What :func:`simulate_runs` returns.

    Parameters
    ----------
    summary : numpy.ndarray
        ``(runs, epochs, measures)`` per-epoch measures of every run (``_kernels.sim.state.MEASURES``).
    state : dict or None
        Per-node arrays ``(runs, epochs, nodes)`` named by ``KEPT`` when ``keep_state`` was asked for.
    path : str
        ``"fast"`` or ``"general"``.
    seconds : float
        Wall time of the simulation.
    """

    summary: np.ndarray
    state: dict | None
    path: str
    seconds: float


def _draws(scn, inp: Inputs, run_seeds):
    """Per-run random inputs of a chunk: price path, demand units, exit offsets, fake willingness."""
    rc, e = len(run_seeds), inp.epochs
    net = scn.network
    epoch_days = net.history.epoch_seconds / 86_400.0
    price = np.empty((rc, e))
    units = np.empty((rc,) + (e, inp.demand_mean.shape[1]))
    exit_after = np.full((rc, net.n_operators), k.NEVER, dtype=np.int64)
    willing = np.zeros((rc, net.n_operators), dtype=np.int64)
    hz = dict(scn.churn.exit_hazard_30d)
    per_epoch = 1.0 - (1.0 - np.where(net.op_home, hz["home"], hz["other"])) ** (epoch_days / 30.0)
    dt = epoch_days / 365.25
    pr = scn.price
    for j, ss in enumerate(run_seeds):
        s_price, s_demand, s_exit, s_fake = (np.random.default_rng(c) for c in ss.spawn(_STREAMS))
        if inp.price_path is not None:
            price[j] = inp.price_path
        elif pr.model == "gbm":
            z = s_price.standard_normal(e - 1)
            steps = pr.log_drift_per_year * dt + pr.volatility_per_year * np.sqrt(dt) * z
            price[j] = inp.price0 * np.exp(np.r_[0.0, np.cumsum(steps)])
        else:
            price[j] = inp.price0
        if scn.demand.mode == "router" and scn.demand.noise:
            units[j] = s_demand.poisson(inp.demand_mean).astype(np.float64)
        else:
            units[j] = inp.demand_mean
        if scn.churn.enabled:
            draws = s_exit.geometric(np.clip(per_epoch, 1e-300, 1.0), size=net.n_operators)
            exit_after[j] = np.where(per_epoch > 0, draws, k.NEVER)
        if inp.ip[k.I_FAKE]:
            willing[j] = s_fake.random(net.n_operators) < scn.fake_demand.operator_share
    return price, units, exit_after, willing


def _state(scn, inp: Inputs, rc: int, willing: np.ndarray, keep_state: bool, general: bool):
    net = scn.network
    n, n_ops = net.n_nodes, net.n_operators
    sn = np.zeros((rc, 2, n))
    si = np.zeros((rc, 2, n), dtype=np.int64)
    si[:, k.SI_JOINED] = net.init_joined
    si[:, k.SI_RETIRED] = net.init_retired
    so = np.zeros((rc, 5, n_ops), dtype=np.int64)
    so[:, k.SO_STATUS] = net.op_status0
    so[:, k.SO_FAKE] = willing
    sr = np.zeros((rc, k.N_SR))
    sr[:, k.SR_CIRC] = inp.calendar.circulating0
    sr[:, k.SR_RETAIL0] = float(((inp.oi[k.OI_INITIAL] > 0) & (inp.oi[k.OI_CLASS] == 0)).sum())
    orders = np.zeros((rc, 2, n_ops + 1), dtype=np.int64)  # live operators by value; the last slot: how many
    keep = np.zeros((len(KEPT), rc, inp.epochs, n) if keep_state else (len(KEPT), 0, 0, 0))
    return dict(sn=sn, si=si, so=so, liquid=np.zeros((rc, n_ops)), ring=np.zeros((rc, inp.taps.size, n_ops + 1)),
                sr=sr, orders=orders, feat=np.zeros((k.N_FEAT, rc, n)),
                fake=np.zeros((k.N_FEAT, rc, n) if inp.ip[k.I_FAKE] and general else (k.N_FEAT, 1, 1)), keep=keep)


def _static(inp) -> k.Static:
    """The kernels' view of what every run reads."""
    return k.Static(inp.nf, inp.ni, inp.oi, inp.op_start, inp.dep, inp.taps, inp.exo, inp.hw_count, inp.p, inp.ip)


def _router(inp, need) -> k.Router:
    """The kernels' view of demand placement, computing the task fields ``need``."""
    return k.Router(inp.unit, inp.mean_busy, inp.w_stake, inp.w_cap, inp.rshare, inp.eligible, inp.latency_order,
                    inp.replay, need, inp.rep, inp.floor, inp.policy, inp.bundle, _inv_busy(inp.mean_busy))


def _inv_busy(mean_busy: np.ndarray) -> np.ndarray:
    """``1 / mean_busy`` where it is finite and > 0, else 0: the units a node takes per free second."""
    with np.errstate(divide="ignore"):
        return np.ascontiguousarray(np.where(np.isfinite(mean_busy) & (mean_busy > 0), 1.0 / mean_busy, 0.0))


def _kstate(st) -> k.State:
    """The kernels' view of a chunk's state arrays."""
    return k.State(st["sn"], st["si"], st["so"], st["liquid"], st["ring"], st["sr"], st["orders"], st["feat"])


def _chunk_fast(inp, draws, st, theta, summary):
    price, units, exit_after, _ = draws
    kernel.run_fast(_static(inp), _router(inp, _needed(theta)), k.Draws(units, price, exit_after), theta,
                    inp.comp_field, _kstate(st), k.Record(summary, st["keep"]))


def _needed(theta) -> np.ndarray:
    """Task fields (besides busy time) the fast path computes: work, fees, upstream (economics) and the
    rule's components."""
    need = {k.F_WORK, k.F_FEES, k.F_UP}
    used = theta.max(axis=0) > 0
    for c, name in enumerate(COMPONENTS):
        row = QUANTITIES.index(_FIELD[name]) if name in _FIELD else k.F_WORK
        if used[c] and row < k.N_TASK:
            need.add(row)
    return np.array(sorted(need), dtype=np.int64)


def _block(scn, inp, arrays, t, prices):
    """Features of epoch ``t`` with one row per run (views of the kernel's feature array)."""
    net = scn.network
    rc = arrays.shape[1]
    label = int(net.history.epochs[net.start]) + t
    return Features(level="node", epochs=np.full(rc, label, dtype=np.int64), entity_ids=scn.node_index,
                    operator_ids=scn.operator_index, entity_operator=net.node_op,
                    node_count=np.ones(net.n_nodes, dtype=np.int64), emission_tokens=np.full(rc, inp.exo[t, 0]),
                    token_price_usd=prices.copy(), **{q: arrays[i] for i, q in enumerate(QUANTITIES)})


def _chunk_general(scn, inp, draws, st, plan: RulePlan, summary, progress, done, total):
    price, units, exit_after, _ = draws
    rc = units.shape[0]
    own, lost, prices = np.zeros(rc), np.zeros(rc), np.zeros(rc)
    buying, fake_work = np.zeros(rc, dtype=np.int64), np.zeros(rc)
    scale = np.zeros((rc, inp.nf.shape[1]))
    every = np.array([f for f in range(k.N_TASK) if f != k.F_BUSY], dtype=np.int64)
    net, router, kdraws, kst = _static(inp), _router(inp, every), k.Draws(units, price, exit_after), _kstate(st)
    rec = k.Record(summary, st["keep"])
    for t in range(inp.epochs):
        kernel.stage_begin(t, net, router, kdraws, kst, st["fake"], scale, own, lost, prices)
        block = _block(scn, inp, st["feat"], t, prices)
        if t == 0:
            plan.check_separable(block, t)
        rewards, unallocated = plan.allocate(block, t)
        buying[:] = 0
        fake_work[:] = 0.0
        if inp.ip[k.I_FAKE] and scale.any():
            trial, _ = plan.allocate(_block(scn, inp, st["fake"], t, prices), t)
            kernel.stage_choose(net, kst, scale, _c(rewards), _c(trial), prices, buying, fake_work)
            if buying.any():
                rewards, unallocated = plan.allocate(block, t)
        rewards = _c(rewards)
        stake_part = _c(plan.stake_part(block, t, rewards))
        kernel.stage_settle(t, net, kst, rec, rewards, stake_part, _c(np.broadcast_to(unallocated, (rc,))), own, lost,
                            fake_work, buying, prices)
        if progress is not None:
            progress(done + rc * (t + 1), total)


def _c(a):
    return np.ascontiguousarray(a, dtype=np.float64)


def simulate_runs(scn, rule, epochs: int, runs: int, seed: int, path: str, keep_state: bool, progress,
                  chunk_runs: int | None, client=None) -> tuple[RunOutput, Inputs]:
    """Run every chunk of runs; returns the summaries (and state when asked).

    Parameters
    ----------
    scn : Scenario
        The network and its mechanisms.
    rule : Formula or RuleChange
        The reward rule.
    epochs, runs, seed : int
        Simulated epochs, Monte Carlo runs, root of the runs' random streams.
    path : {"auto", "fast", "general"}
        As in :func:`fairshare.simulate`.
    keep_state : bool
        Keep the per-node arrays of ``KEPT``.
    progress : callable or None
        ``progress(done, total)`` in run-epochs.
    chunk_runs : int or None
        Runs per chunk (memory bound; results do not depend on it).
    client : dask.distributed.Client, optional
        Simulate blocks of runs on its workers.

    Returns
    -------
    tuple of (RunOutput, Inputs)

    With a ``dask.distributed`` client the runs are split into contiguous blocks (about two
    per worker, at most one per run), each block is simulated on a worker by
    :func:`simulate_block`, and the blocks are joined in run order; ``progress`` is then
    called once per block, after all have come back. A run's numbers do not depend on
    its block, so the result is the same with or without a client.
    """
    began = time.perf_counter()
    inp = kernel_inputs(scn, epochs)
    used = "fast" if path in ("auto", "fast") and RulePlan(rule, epochs).theta() is not None else "general"
    total = runs * epochs
    if client is None:
        summary, state = simulate_block((0, runs), scn, inp, rule, used, seed, keep_state, chunk_runs, progress,
                                        total)
    else:
        blocks = spans(runs, 2 * n_workers(client))
        light = replace(scn, history=scn.history.without_tasks(), _cache=scn._cache)  # set up by kernel_inputs()
        parts = map_ordered(client, simulate_block, blocks, share(client, light), share(client, inp), rule, used, seed,
                            keep_state, chunk_runs)
        if progress is not None:
            for _, hi in blocks:
                progress(hi * epochs, total)
        summary, state = _join(parts, keep_state)
    return RunOutput(summary=summary, state=state, path=used, seconds=time.perf_counter() - began), inp


def simulate_block(span: tuple[int, int], scn, inp: Inputs, rule, used: str, seed: int, keep_state: bool,
                   chunk_runs: int | None, progress=None, total: int | None = None) -> tuple[np.ndarray, dict | None]:
    """Summaries ``(hi - lo, epochs, measures)`` (and state) of runs ``lo..hi-1`` of ``span = (lo, hi)``.

    Run ``r`` draws from ``SeedSequence(seed).spawn(...)[r]``, its global index, so a block
    gives the same numbers for its runs as a simulation of all runs. ``used`` is the path
    (``"fast"`` or ``"general"``); ``progress(done, total)`` counts run-epochs of all runs.

    Parameters
    ----------
    span : tuple of int
        ``(lo, hi)``: the runs of this block.
    scn : Scenario
        The network and its mechanisms.
    inp : Inputs
        The kernel inputs (:func:`kernel_inputs`).
    rule : Formula or RuleChange
        The reward rule.
    used : {"fast", "general"}
        The path.
    seed : int
        Root of the runs' random streams.
    keep_state : bool
        Keep the per-node arrays of ``KEPT``.
    chunk_runs : int or None
        Runs per chunk.
    progress : callable, optional
        ``progress(done, total)`` in run-epochs.
    total : int, optional
        Run-epochs of the whole simulation, passed to ``progress``.
    """
    lo, hi = span
    epochs = inp.epochs
    plan = RulePlan(rule, epochs)
    theta = plan.theta() if used == "fast" else None
    if chunk_runs is None:
        chunk_runs = max(4 * num_threads(), 16) if used == "fast" else hi - lo
    children = np.random.SeedSequence(seed).spawn(hi)[lo:]
    parts = []
    for a in range(lo, hi, chunk_runs):
        b = min(a + chunk_runs, hi)
        draws = _draws(scn, inp, children[a - lo:b - lo])
        st = _state(scn, inp, b - a, draws[3], keep_state, used == "general")
        part = np.full((b - a, epochs, k.N_MEASURES), np.nan)
        if used == "fast":
            _chunk_fast(inp, draws, st, theta, part)
            if progress is not None:
                progress(b * epochs, total)
        else:
            _chunk_general(scn, inp, draws, st, plan, part, progress, a * epochs, total)
        parts.append((part, dict(zip(KEPT, st["keep"])) if keep_state else None))
    return _join(parts, keep_state)


def _join(parts, keep_state: bool) -> tuple[np.ndarray, dict | None]:
    """Summaries and state of consecutive groups of runs, concatenated along the run axis."""
    summary = np.concatenate([p[0] for p in parts], axis=0)
    state = {name: np.concatenate([p[1][name] for p in parts], axis=0) for name in KEPT} if keep_state else None
    return summary, state
