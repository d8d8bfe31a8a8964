"""Running a simulation: kernel inputs, per-run random streams, chunks of runs, both paths.

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
from .config import DELEGATIONS, OPERATOR_CLASSES
from .rules import RulePlan
from .supply import Calendar, calendar, vesting_taps

__all__ = ["Inputs", "kernel_inputs", "simulate_runs", "simulate_block", "RunOutput"]

_ROWS = {"requests": k.F_REQ, "task_rows": k.F_ROWS, "input_tokens": k.F_IN, "output_tokens": k.F_OUT,
         "work_units": k.F_WORK, "busy_seconds": k.F_BUSY, "fees_usd": k.F_FEES, "upstream_cost_usd": k.F_UP,
         "work_vanilla": k.F_VAN, "work_tee": k.F_TEE, "work_zkml": k.F_ZK, "small_task_work": k.F_SMALL,
         "large_task_work": k.F_LARGE, "online_seconds": k.F_ONLINE, "energy_kwh": k.F_ENERGY,
         "stake_tokens": k.F_STAKE, "active": k.F_ACTIVE}
if tuple(sorted(_ROWS, key=_ROWS.get)) != QUANTITIES:  # the kernel's rows are features.QUANTITIES, in order
    raise ImportError("fairshare._kernels.sim.state feature rows no longer match features.QUANTITIES")
_STREAMS = 4  # price, demand, exits, fake-demand willingness
#: Per-node arrays kept with ``keep_state`` (the kernel writes them in this order).
KEPT = ("rewards", "stake", "work", "active", "busy")


@dataclass(frozen=True, eq=False)
class Inputs:
    """Everything the kernels read that is the same for every run (built by :func:`kernel_inputs`).

    Parameters
    ----------
    nf, ni : numpy.ndarray
        Per-node float ``(7, N)`` and integer ``(5, N)`` rows (own stake, capex, cost and energy rates, online
        fraction; operator, hardware, scheduled join and leave epochs, life), indexed by ``_kernels.sim.state``.
    oi : numpy.ndarray
        Per-operator integer rows ``(4, O)``: class, availability, active at the start, patience (epochs).
    op_start : numpy.ndarray
        ``(O + 1,)`` first node slot of each operator (nodes are grouped by operator).
    dep : numpy.ndarray
        ``(A, N)`` depreciation (USD) of each node slot by its age in epochs.
    taps : numpy.ndarray
        Vesting release shares of rewards, per epoch after earning.
    exo : numpy.ndarray
        ``(epochs, 5)`` emission, unlocks, sold unlocks, pool and locked bucket tokens per epoch.
    hw_count : numpy.ndarray
        Node slots per hardware code.
    unit, mean_busy, w_stake, w_cap, rshare, eligible, latency_order, replay : numpy.ndarray
        Demand and routing inputs: unit sizes, mean busy seconds per class and node, selection weights by
        stake and by capacity, the random share, eligibility per class, the latency order, replayed work.
    comp_field : numpy.ndarray
        Feature row of each ``Linear`` component.
    p, ip : numpy.ndarray
        Float and integer scenario parameters (churn, capital, price, fake demand), indexed by
        ``_kernels.sim.state``.
    calendar : Calendar
        The token calendar (unlocks and the funding pool's emission).
    demand_mean : numpy.ndarray
        Mean units per epoch of each demand class.
    price0 : float
        Token price at the start (USD).
    price_path : numpy.ndarray or None
        The history's prices when the price model replays them.
    epochs : int
        Simulated epochs.
    """

    nf: np.ndarray
    ni: np.ndarray
    oi: np.ndarray
    op_start: np.ndarray
    dep: np.ndarray
    taps: np.ndarray
    exo: np.ndarray
    hw_count: np.ndarray
    unit: np.ndarray
    mean_busy: np.ndarray
    w_stake: np.ndarray
    w_cap: np.ndarray
    rshare: np.ndarray
    eligible: np.ndarray
    latency_order: np.ndarray
    replay: np.ndarray
    comp_field: np.ndarray
    p: np.ndarray
    ip: np.ndarray
    calendar: Calendar
    demand_mean: np.ndarray
    price0: float
    price_path: np.ndarray | None
    epochs: int


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


def kernel_inputs(scn, epochs: int) -> Inputs:
    """Kernel inputs of scenario ``scn`` over ``epochs`` simulated epochs.

    Parameters
    ----------
    scn : Scenario
        The network and its mechanisms.
    epochs : int
        Epochs to simulate.

    Returns
    -------
    Inputs
    """
    net = scn.network
    h = net.history
    epoch_days = h.epoch_seconds / 86_400.0
    n = net.n_nodes
    busy_usd, idle_usd, busy_kwh, idle_kwh = net.rates
    nf = np.zeros((7, n))
    nf[k.NF_OWN], nf[k.NF_CAPEX], nf[k.NF_CBUSY], nf[k.NF_CIDLE] = net.own_stake, net.capex, busy_usd, idle_usd
    nf[k.NF_KBUSY], nf[k.NF_KIDLE], nf[k.NF_ONLINE] = busy_kwh, idle_kwh, 1.0
    ni = np.zeros((5, n), dtype=np.int64)
    ni[k.NI_OP], ni[k.NI_HW], ni[k.NI_JOIN], ni[k.NI_LEAVE], ni[k.NI_LIFE] = (
        net.node_op, net.hw_code, net.sched_join, net.sched_leave, net.life_epochs)
    patience = dict(scn.churn.patience_days)
    oi = np.zeros((4, net.n_operators), dtype=np.int64)
    oi[k.OI_CLASS], oi[k.OI_AVAIL] = net.op_class, net.op_avail
    if scn.churn.enabled:
        oi[k.OI_INITIAL] = net.initial_ops
    else:
        oi[k.OI_INITIAL] = np.add.reduceat((net.sched_join <= 0) & (net.sched_leave >= 0), net.op_start[:-1]) > 0
    days = np.array([patience[c] for c in OPERATOR_CLASSES])[net.op_class]
    oi[k.OI_PATIENCE] = np.maximum(np.round(days / epoch_days), 1).astype(np.int64)
    offset = int(h.epochs[net.start]) - int(scn.tge_epoch)
    hist_emission = h.emission_tokens[net.start: net.start + epochs]
    cal = calendar(scn.supply, epochs, offset, epoch_days, hist_emission)
    plan_dep = net.depreciation_table(net.max_age(epochs))
    replay_mode = scn.demand.mode == "replay"
    if replay_mode:
        router = None
        f = scn.replay_features
        sl = slice(net.start, net.start + epochs)
        replay = np.ascontiguousarray(np.stack([getattr(f, q)[sl][:, net.source] for q in QUANTITIES], axis=1))
        mean_busy = w_stake = w_cap = np.zeros((1, n))
        eligible = np.zeros((1, n), dtype=np.uint8)
        unit, rshare, latency = np.zeros((k.N_TASK, 1)), np.zeros(1), np.full((1, n), -1, dtype=np.int64)
        routing_code = 0
    else:
        router = scn.router
        replay = np.zeros((1, k.N_FEAT, 1))
        mean_busy, unit, rshare, latency = router.mean_busy, router.unit, router.random_share, router.latency_order
        w_stake, w_cap = router.w_stake, router.w_cap
        eligible = (np.isfinite(mean_busy) & ((w_stake > 0) | (w_cap > 0))).astype(np.uint8)
        routing_code = router.code
    growth = scn.demand.growth_rate(scn.fitted_growth)
    years = np.arange(epochs) * epoch_days / 365.25
    factor = np.exp(growth * years)
    demand_mean = factor[:, None] * (router.demand0[None, :] if router is not None else 1.0)
    p = np.zeros(9)
    p[k.P_EPOCH_S], p[k.P_EPY] = h.epoch_seconds, 365.25 / epoch_days
    p[k.P_K] = scn.capital.speed(epoch_days)
    p[k.P_RYIELD], p[k.P_HURDLE] = scn.capital.required_yield, scn.churn.hurdle
    p[k.P_DEPTH] = scn.price.depth_usd
    p[k.P_DECAY] = 0.5 ** (epoch_days / scn.price.impact_half_life_days)
    p[k.P_BUY], p[k.P_FAKE_FRAC] = scn.price.buy_usd_per_epoch, scn.fake_demand.fraction
    ip = np.zeros(8, dtype=np.int64)
    ip[k.I_CHURN] = int(scn.churn.enabled)
    ip[k.I_AGEING] = int(scn.churn.retire_at_end_of_life)
    ip[k.I_IMPACT] = int(scn.price.impact)
    ip[k.I_FAKE] = int(scn.fake_demand.enabled and scn.fake_demand.operator_share > 0)
    ip[k.I_ROUTING], ip[k.I_REPLAY] = routing_code, int(replay_mode)
    ip[k.I_LAG] = max(int(round(scn.churn.entry_lag_days / epoch_days)), 1)
    ip[k.I_DELEGATE] = DELEGATIONS.index(scn.capital.delegate_to)
    comp_field = np.array([-1 if c == "identity_floor" else QUANTITIES.index(_FIELD[c]) for c in COMPONENTS],
                          dtype=np.int64)
    price0 = scn.price.start_usd if scn.price.start_usd is not None else float(h.token_price_usd[net.start])
    path = h.token_price_usd[net.start: net.start + epochs] if scn.price.model == "history" else None
    return Inputs(nf=nf, ni=ni, oi=oi, op_start=net.op_start, dep=plan_dep,
                  taps=vesting_taps(scn.supply.reward_vesting), exo=cal.exo(),
                  hw_count=np.zeros(int(net.hw_code.max(initial=0)) + 1), unit=np.ascontiguousarray(unit),
                  mean_busy=np.ascontiguousarray(mean_busy),
                  w_stake=np.ascontiguousarray(w_stake), w_cap=np.ascontiguousarray(w_cap),
                  rshare=np.ascontiguousarray(rshare),
                  eligible=np.ascontiguousarray(eligible),
                  latency_order=np.ascontiguousarray(latency), replay=replay, comp_field=comp_field, p=p, ip=ip,
                  calendar=cal, demand_mean=np.ascontiguousarray(demand_mean), price0=float(price0), price_path=path,
                  epochs=epochs)


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
                    inp.replay, need)


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
