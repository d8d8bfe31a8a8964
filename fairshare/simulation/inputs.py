"""The simulator's kernel inputs: everything the kernels read that is the same for every run.

:func:`kernel_inputs` packs a scenario's network (node slots, operators, costs), its token
calendar, demand and routing inputs and its mechanisms' parameters into the contiguous arrays the
kernels of :mod:`fairshare._kernels.sim` read (row layout in ``_kernels.sim.state``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._kernels.sim import state as k
from ..features import QUANTITIES
from ..formulas.components import _FIELD, COMPONENTS, MARGINS
from .config import DELEGATIONS, OPERATOR_CLASSES
from .supply import Calendar, calendar, vesting_taps

__all__ = ["Inputs", "kernel_inputs", "component_fields"]


def component_fields() -> np.ndarray:
    """``(C,)`` feature row the simulator's kernels read for each component of ``formulas.COMPONENTS``.

    -1 marks the identity floor (1 for a key with work), -2 the fee margin (fees minus upstream cost,
    at least 0); any other value is a row of ``features.QUANTITIES``.
    """
    return np.array([-1 if c == "identity_floor" else -2 if c in MARGINS else QUANTITIES.index(_FIELD[c])
                     for c in COMPONENTS], dtype=np.int64)

_ROWS = {"requests": k.F_REQ, "task_rows": k.F_ROWS, "input_tokens": k.F_IN, "output_tokens": k.F_OUT,
         "work_units": k.F_WORK, "busy_seconds": k.F_BUSY, "fees_usd": k.F_FEES, "upstream_cost_usd": k.F_UP,
         "work_vanilla": k.F_VAN, "work_tee": k.F_TEE, "work_zkml": k.F_ZK, "small_task_work": k.F_SMALL,
         "large_task_work": k.F_LARGE, "online_seconds": k.F_ONLINE, "energy_kwh": k.F_ENERGY,
         "stake_tokens": k.F_STAKE, "active": k.F_ACTIVE}
if tuple(sorted(_ROWS, key=_ROWS.get)) != QUANTITIES:  # the kernel's rows are features.QUANTITIES, in order
    raise ImportError("fairshare._kernels.sim.state feature rows no longer match features.QUANTITIES")

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
    rep, floor, policy, bundle : numpy.ndarray
        Routing policy inputs (``Scenario.routing``): each node's reputation score, each class's floor,
        the policy entries ``_kernels.sim.state.RP_*`` and each class's units per dispatch (0: no floor).
    comp_field : numpy.ndarray
        Feature row of each ``Linear`` component (-1: the identity floor, -2: the fee margin).
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
    rep: np.ndarray
    floor: np.ndarray
    policy: np.ndarray
    bundle: np.ndarray
    comp_field: np.ndarray
    p: np.ndarray
    ip: np.ndarray
    calendar: Calendar
    demand_mean: np.ndarray
    price0: float
    price_path: np.ndarray | None
    epochs: int


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
        rep, floor, bundle = np.full(n, 10_000.0), np.zeros(1), np.zeros(1)
    else:
        router = scn.router
        replay = np.zeros((1, k.N_FEAT, 1))
        mean_busy, unit, rshare, latency = router.mean_busy, router.unit, router.random_share, router.latency_order
        w_stake, w_cap = router.w_stake, router.w_cap
        eligible = (np.isfinite(mean_busy) & ((w_stake > 0) | (w_cap > 0))).astype(np.uint8)
        routing_code = router.code
        rep, floor = router.reputation, router.floor
        bundle = scn.routing.bundles(unit[k.F_FEES])
    policy = np.zeros(k.N_POLICY)
    rt = scn.routing
    policy[k.RP_CAP] = 0.0 if rt.node_cap is None else rt.node_cap
    policy[k.RP_NEWCOMER] = -1.0 if rt.newcomer_score is None else rt.newcomer_score
    policy[k.RP_RAMP] = rt.ramp_days / epoch_days
    policy[k.RP_REPCAP] = 0.0 if scn.demand.routing == "uniform" else 1.0
    growth = scn.demand.growth_rate(scn.fitted_growth)
    years = np.arange(epochs) * epoch_days / 365.25
    factor = np.exp(growth * years)
    demand_mean = factor[:, None] * (router.demand0[None, :] if router is not None else 1.0)
    p = np.zeros(9)
    p[k.P_EPOCH_S], p[k.P_EPY] = h.epoch_seconds, 365.25 / epoch_days
    p[k.P_K] = scn.capital.speed(epoch_days)
    p[k.P_RYIELD], p[k.P_HURDLE] = scn.capital.required_yield, scn.churn.hurdle
    p[k.P_DEPTH] = scn.price.total_depth_usd
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
    comp_field = component_fields()
    price0 = scn.price.start_usd if scn.price.start_usd is not None else float(h.token_price_usd[net.start])
    path = h.token_price_usd[net.start: net.start + epochs] if scn.price.model == "history" else None
    return Inputs(nf=nf, ni=ni, oi=oi, op_start=net.op_start, dep=plan_dep,
                  taps=vesting_taps(scn.supply.reward_vesting), exo=cal.exo(),
                  hw_count=np.zeros(int(net.hw_code.max(initial=0)) + 1), unit=np.ascontiguousarray(unit),
                  mean_busy=np.ascontiguousarray(mean_busy),
                  w_stake=np.ascontiguousarray(w_stake), w_cap=np.ascontiguousarray(w_cap),
                  rshare=np.ascontiguousarray(rshare),
                  eligible=np.ascontiguousarray(eligible),
                  latency_order=np.ascontiguousarray(latency), replay=replay, rep=np.ascontiguousarray(rep),
                  floor=np.ascontiguousarray(floor), policy=policy, bundle=np.ascontiguousarray(bundle),
                  comp_field=comp_field, p=p, ip=ip,
                  calendar=cal, demand_mean=np.ascontiguousarray(demand_mean), price0=float(price0), price_path=path,
                  epochs=epochs)
