"""Simulator kernels, steps 1-2 of an epoch: membership, delegated capital, and the epoch's features.

Public through :func:`fairshare.simulate`. Demand is placed by the built-in router's rule in its
fluid limit: the router's selection weights (``datasets.routing.selection_probability``),
re-normalised over the active nodes, and its filling of nodes up to their room
(``_kernels.waterfill.water_fill_linear``, the linear-time fill). Step functions work on one run ``r``
of packed state arrays (layout in :mod:`.state`) and are called by the drivers in :mod:`.epoch`.
"""

from __future__ import annotations

import numpy as np

from ..._jit import jit
from ..waterfill import _fill_linear
from .state import (
    ACTIVE,
    F_ACTIVE,
    F_BUSY,
    F_ENERGY,
    F_ONLINE,
    F_STAKE,
    F_WORK,
    I_AGEING,
    I_CHURN,
    I_DELEGATE,
    I_REPLAY,
    I_ROUTING,
    LEFT,
    N_FEAT,
    N_TASK,
    NEVER,
    NF_CAPEX,
    NF_KBUSY,
    NF_KIDLE,
    NF_ONLINE,
    NF_OWN,
    NI_JOIN,
    NI_LEAVE,
    NI_LIFE,
    P_EPOCH_S,
    P_EPY,
    P_K,
    P_RYIELD,
    PENDING,
    ROUTE_LATENCY,
    RP_CAP,
    RP_NEWCOMER,
    RP_RAMP,
    RP_REPCAP,
    SI_JOINED,
    SI_RETIRED,
    SN_ACTIVE,
    SN_DELEG,
    SO_PEND,
    SO_SINCE,
    SO_STATUS,
    SR_CIRC,
    SR_DELEG,
    SR_ENTRIES,
    SR_EXIT_HAZARD,
    SR_EXIT_RETIRED,
    SR_SPART,
    SR_STAKE,
)


@jit
def begin(t, r, net, draws, st, act):
    """Start of epoch ``t`` for run ``r``: membership, then delegated capital.

    Churn off: node ``i`` is active when ``join_i <= t <= leave_i`` (the history's network).
    Churn on, per operator: a ``PENDING`` operator due by ``t`` becomes ``ACTIVE`` (its nodes join
    now, one more entry); an active operator ``exit_after[r, o]`` epochs after joining leaves (an
    exogenous exit); a node of an active operator is on when joined by ``t`` and not retired, and
    retires (with ageing on) at ``life`` epochs after joining; an active operator with no node on
    and none still to join leaves (retired). Inactive nodes lose their delegations; from the
    second epoch on, delegated capital then moves (:func:`_move_capital`, when ``k > 0``).

    ``net``, ``draws``, ``st`` are :class:`~.state.Static`, :class:`~.state.Draws`,
    :class:`~.state.State`. Writes the active nodes' indices into ``act`` (in node order) and
    returns ``(own stake bonded, number of active nodes)``; the later steps visit only those nodes.
    """
    nf, ni, op_start, p, ip = net.nf, net.ni, net.op_start, net.p, net.ip
    exit_after = draws.exit_after
    sn, si, so, sr = st.sn, st.si, st.so, st.sr
    n_ops = op_start.shape[0] - 1
    n = nf.shape[1]
    if ip[I_CHURN] == 0:
        for i in range(n):
            sn[r, SN_ACTIVE, i] = 1.0 if ni[NI_JOIN, i] <= t <= ni[NI_LEAVE, i] else 0.0
    else:
        for o in range(n_ops):
            status = so[r, SO_STATUS, o]
            if status == PENDING and so[r, SO_PEND, o] <= t:
                status = ACTIVE
                so[r, SO_SINCE, o] = t
                sr[r, SR_ENTRIES] += 1.0
                for i in range(op_start[o], op_start[o + 1]):
                    si[r, SI_JOINED, i] = t
            if status == ACTIVE and t - so[r, SO_SINCE, o] >= exit_after[r, o]:
                status = LEFT
                sr[r, SR_EXIT_HAZARD] += 1.0
            alive = False
            for i in range(op_start[o], op_start[o + 1]):
                on = False
                joined = si[r, SI_JOINED, i]
                if status == ACTIVE and si[r, SI_RETIRED, i] == 0 and joined <= t:
                    if ip[I_AGEING] != 0 and t - joined >= ni[NI_LIFE, i]:
                        si[r, SI_RETIRED, i] = 1
                    else:
                        on = True
                elif status == ACTIVE and si[r, SI_RETIRED, i] == 0 and joined < NEVER:
                    alive = True  # a node scheduled to join later keeps the operator
                sn[r, SN_ACTIVE, i] = 1.0 if on else 0.0
                alive = alive or on
            if status == ACTIVE and not alive:
                status = LEFT
                sr[r, SR_EXIT_RETIRED] += 1.0
            so[r, SO_STATUS, o] = status
    own = 0.0
    kept = 0.0  # delegations kept and delegation weight of the active nodes (for the capital flow)
    weight = 0.0
    how = ip[I_DELEGATE]
    count = 0
    for i in range(n):
        if sn[r, SN_ACTIVE, i] > 0.0:
            own += nf[NF_OWN, i]
            kept += sn[r, SN_DELEG, i]
            weight += _delegation_weight(i, r, nf, how, sn)
            act[count] = i
            count += 1
        else:
            sn[r, SN_DELEG, i] = 0.0  # a departed node's delegations are re-placed below
    if t > 0 and p[P_K] > 0.0:
        _move_capital(r, nf, own, kept, weight, p, ip, sn, sr, act[:count])
    return own, count


@jit
def _move_capital(r, nf, own, kept, weight, p, ip, sn, sr, act):
    """Delegated stake moves toward the level where the staking yield is the required one.

    Target bonded stake ``S* = spart * epy / required_yield``; delegations become
    ``D + k (S* - S)`` clipped to ``[0, circulating - own]``. An increase goes to active nodes
    by the delegation weight (own + delegated stake, capex, or equal); a decrease scales every
    delegation down pro rata; with no weight all delegations are withdrawn. ``kept`` and
    ``weight`` are the active nodes' delegations and delegation weights, summed in node order
    (by :func:`begin`, in its pass over the nodes).
    """
    target = sr[r, SR_SPART] * p[P_EPY] / p[P_RYIELD]
    total = sr[r, SR_DELEG] + p[P_K] * (target - sr[r, SR_STAKE])
    room = sr[r, SR_CIRC] - own
    total = min(max(total, 0.0), max(room, 0.0))
    how = ip[I_DELEGATE]
    if weight <= 0.0:  # no active node can take delegations: they are all withdrawn
        for i in act:
            sn[r, SN_DELEG, i] = 0.0
        sr[r, SR_DELEG] = 0.0
        return
    placed = 0.0
    if total >= kept:
        extra = total - kept
        for i in act:
            sn[r, SN_DELEG, i] += extra * _delegation_weight(i, r, nf, how, sn) / weight
            placed += sn[r, SN_DELEG, i]
    else:
        scale = total / kept
        for i in act:
            sn[r, SN_DELEG, i] *= scale
            placed += sn[r, SN_DELEG, i]
    sr[r, SR_DELEG] = placed


@jit
def _delegation_weight(i, r, nf, how, sn):
    if how == 0:
        return nf[NF_OWN, i] + sn[r, SN_DELEG, i]
    if how == 1:
        return nf[NF_CAPEX, i]
    return 1.0


@jit
def features(t, r, net, router, draws, st, act, stale, x, room, cap, nodes_buf):
    """The epoch's features of every node into ``feat[:, r, :]``; returns the unserved work.

    Replay: active nodes get the replayed task fields times the demand factor ``units[r, t, 0]``,
    energy grows with the extra busy time, stake is the replayed stake plus delegations. Router:
    each class's demand is placed by :func:`_place`; a node's busy seconds are ``units x mean_busy``
    and its task fields ``units x unit``; online seconds are the epoch, energy ``k_idle online +
    k_busy busy``; unserved work is the unplaced units times the class's work per unit.

    Only the task fields listed in ``need`` are computed, the others stay zero (the fast path
    computes what the rule and the economics read). ``act`` lists the active nodes; ``stale`` the
    nodes whose entries may be non-zero (those active in the last epoch: every other entry is
    zero). ``eligible[c, i]`` says whether class ``c`` can be routed to node ``i``; with a cold
    start (``policy[RP_NEWCOMER] >= 0``) also whether the node's standing (:func:`standing`) reaches
    the class's floor ``floor[c]``. ``x``, ``room``, ``cap`` and ``nodes_buf`` are ``(N,)`` scratch
    buffers.
    """
    nf, p, ip = net.nf, net.p, net.ip
    unit, mean_busy, replay, need = router.unit, router.mean_busy, router.replay, router.need
    units = draws.units
    sn, feat = st.sn, st.feat
    if ip[I_REPLAY] != 0:
        for f in range(N_FEAT):
            _zero(feat[f, r], stale)
        g = units[r, t, 0]
        for i in act:
            for f in range(N_TASK):
                feat[f, r, i] = replay[t, f, i] * g
            feat[F_ONLINE, r, i] = replay[t, F_ONLINE, i]
            feat[F_ENERGY, r, i] = replay[t, F_ENERGY, i] + nf[NF_KBUSY, i] * replay[t, F_BUSY, i] * (g - 1.0)
            feat[F_STAKE, r, i] = replay[t, F_STAKE, i] + sn[r, SN_DELEG, i]
            feat[F_ACTIVE, r, i] = 1.0
        return 0.0
    for f in need:  # the router writes only these rows, busy time and the rows of the last loop below
        _zero(feat[f, r], stale)
    _zero(feat[F_BUSY, r], stale)
    for i in stale:  # stake, online, energy and activity are set for every active node below
        if sn[r, SN_ACTIVE, i] <= 0.0:
            for f in _SET:
                feat[f, r, i] = 0.0
    lost = 0.0
    stake = feat[F_STAKE, r]
    for i in act:
        room[i] = p[P_EPOCH_S] * nf[NF_ONLINE, i]  # seconds left
        stake[i] = nf[NF_OWN, i] + sn[r, SN_DELEG, i]
    busy = feat[F_BUSY, r]
    if router.policy[RP_NEWCOMER] >= 0.0:  # cold start: each active node's standing this epoch
        stand = np.empty(nf.shape[1])
        for i in act:
            stand[i] = _standing(t, r, i, net.ni, ip, st.si, router.rep, router.policy)
    else:
        stand = np.empty(0)
    drawn_buf = np.empty(nf.shape[1], dtype=np.int64)  # scratch of the fill (_place), then the nodes served
    ratio_buf = np.empty(nf.shape[1])
    latency = ip[I_ROUTING] == ROUTE_LATENCY
    for c in range(mean_busy.shape[0]):
        demand = units[r, t, c]
        if demand <= 0.0:
            continue
        if latency:
            placed, m = _place_latency(c, demand, r, router, sn, stake, act, nodes_buf, x, room, stand)
            level = 1.0  # x holds the units
        else:
            placed = 0.0  # the lottery's: the sum of the units, below
            m, level = _place(c, demand, router, stake, act, nodes_buf, x, room, cap, stand, drawn_buf, ratio_buf)
        nodes = nodes_buf[:m]
        summed = 0.0
        served = 0  # the nodes with units, listed in drawn_buf[:served]
        for i in nodes:  # each node's units are x times the level; the lottery's placed units are their sum
            if x[i] > 0.0:
                units_i = level * x[i]
                x[i] = units_i
                summed += units_i
                if units_i > 0.0:
                    b = units_i * mean_busy[c, i]
                    room[i] = max(room[i] - b, 0.0)
                    busy[i] += b
                    drawn_buf[served] = i
                    served += 1
        if not latency:
            placed = summed
        lost += max(demand - placed, 0.0) * unit[F_WORK, c]
        for f in need:  # row by row: each node's entry gets the same sum, class after class
            row = feat[f, r]
            per_unit = unit[f, c]
            for i in drawn_buf[:served]:
                row[i] += x[i] * per_unit
    for i in act:
        online = p[P_EPOCH_S] * nf[NF_ONLINE, i]
        feat[F_ONLINE, r, i] = online
        feat[F_ENERGY, r, i] = nf[NF_KIDLE, i] * online + nf[NF_KBUSY, i] * busy[i]
        feat[F_ACTIVE, r, i] = 1.0
    return lost


#: Feature rows the router path sets for every active node (it adds to busy time and the task fields ``need``).
_SET = (F_ONLINE, F_ENERGY, F_STAKE, F_ACTIVE)


@jit
def _zero(row, nodes):
    """``row[i] = 0`` for every ``i`` of ``nodes``."""
    for i in nodes:
        row[i] = 0.0


@jit
def _standing(t, r, i, ni, ip, si, rep, policy):
    """Reputation node ``i`` of run ``r`` is routed at in epoch ``t`` (cold start).

    Its own score ``rep[i]``, except for a node that joined after the start (join epoch ``j > 0``:
    ``si[r, SI_JOINED, i]`` with churn, ``ni[NI_JOIN, i]`` without) whose own score is above the
    newcomer's ``s0 = policy[RP_NEWCOMER]``: ``s0 + (rep[i] - s0) (t - j) / policy[RP_RAMP]`` until
    ``t - j`` reaches the ramp. Off (``s0 < 0``): the own score.
    """
    own = rep[i]
    start = policy[RP_NEWCOMER]
    if start < 0.0 or own <= start:
        return own
    joined = si[r, SI_JOINED, i] if ip[I_CHURN] != 0 else ni[NI_JOIN, i]
    if joined <= 0:
        return own
    age = float(t - joined)
    ramp = policy[RP_RAMP]
    if age >= ramp:
        return own
    return start + (own - start) * age / ramp


@jit
def _take(room, bundle, busy_per_unit, units_per_second, node_cap, demand):
    """Units of a class a node can take with its free time ``room`` (seconds), under the routing policy: none
    when its free time holds no whole bundle (minimum pay: ``bundle`` units of ``busy_per_unit`` seconds each),
    else ``room * units_per_second``, at most ``node_cap`` (``policy[RP_CAP]``, when > 0) of the demand."""
    if bundle == np.inf or room < bundle * busy_per_unit:  # inf: a class paying nothing meets no floor
        return 0.0
    cap = room * units_per_second
    if node_cap > 0.0 and cap > node_cap * demand:
        cap = node_cap * demand
    return cap


@jit
def _eligible(c, router, stake, act, nodes_buf, x, stand):
    """The active nodes class ``c`` can be routed to, into ``nodes_buf[:m]`` (in the order of ``act``), with
    ``x`` zeroed there; returns ``m`` and the totals of their stake and capacity (reputation) weights.

    A node of ``act`` is eligible when ``eligible[c, i]`` and, with a cold start (``stand``: each node's
    standing, empty when off), its standing reaches the class's floor; its reputation weights are then
    scaled by standing over own score (the capacity weight only when ``policy[RP_REPCAP]``).
    """
    w_stake, w_cap, eligible, rep = router.w_stake, router.w_cap, router.eligible, router.rep
    cold = stand.size > 0
    floor = router.floor[c]
    repcap = router.policy[RP_REPCAP] != 0.0
    by_stake = router.rshare[c] < 1.0  # a class placed by the lottery alone never reads stake
    s_tot = 0.0
    c_tot = 0.0
    m = 0
    for i in act:  # the eligible nodes and the totals of their weights, in one pass
        if eligible[c, i] == 0 or (cold and stand[i] < floor):
            continue
        nodes_buf[m] = i
        m += 1
        x[i] = 0.0
        f = stand[i] / rep[i] if cold and rep[i] > 0.0 else 1.0
        if by_stake:
            s_tot += w_stake[c, i] * stake[i] * f
        c_tot += w_cap[c, i] * (f if repcap else 1.0)
    return m, s_tot, c_tot


@jit
def _place_latency(c, demand, r, router, sn, stake, act, nodes_buf, x, room, stand):
    """Units of class ``c`` per active eligible node into ``x``, fastest nodes first (``routing="latency"``), each up
    to what it can take (:func:`_take`); returns the units placed and the number ``m`` of eligible nodes,
    written to ``nodes_buf[:m]`` (:func:`_eligible`). The order skips nodes whose standing is below the floor."""
    m = _eligible(c, router, stake, act, nodes_buf, x, stand)[0]
    cold = stand.size > 0
    floor = router.floor[c]
    latency_order = router.latency_order
    left = demand
    for j in range(latency_order.shape[1]):
        i = latency_order[c, j]
        if i < 0 or left <= 0.0:
            break
        if sn[r, SN_ACTIVE, i] > 0.0 and not (cold and stand[i] < floor):
            take = min(left, _take(room[i], router.bundle[c], router.mean_busy[c, i], router.inv_busy[c, i],
                                   router.policy[RP_CAP], demand))
            x[i] = take
            left -= take
    return demand - left, m


@jit
def _place(c, demand, router, stake, act, nodes_buf, x, room, cap, stand, drawn_buf, ratio_buf):
    """Units of class ``c`` per active eligible node (fluid limit of the router's lottery): returns the number
    ``m`` of eligible nodes, written to ``nodes_buf[:m]`` (:func:`_eligible`), and a level: each node's units
    are ``level * x[i]`` where ``x[i] > 0`` (else none); the caller applies the level.

    Selection weights are the router's (``datasets.routing.selection_probability``) over the active
    nodes; each node is filled in proportion to them up to what it can take (:func:`_take`: its room,
    none unless it holds a whole bundle under a minimum pay, at most the node cap), by ``water_fill_linear``
    (in place, level 1) called on the nodes that can be drawn and still take some, when some of them fill
    up; when none does (the level is the first level of the fill, ``x`` the weights), or all do (level 1,
    ``x`` what they can take), the fill has a closed form. ``drawn_buf`` and ``ratio_buf`` are ``(N,)``
    scratch buffers of the fill.
    """
    w_stake, w_cap, rshare, rep = router.w_stake, router.w_cap, router.rshare, router.rep
    m, s_tot, c_tot = _eligible(c, router, stake, act, nodes_buf, x, stand)
    nodes = nodes_buf[:m]
    cold = stand.size > 0
    repcap = router.policy[RP_REPCAP] != 0.0
    if c_tot <= 0.0 and s_tot <= 0.0:
        return m, 1.0
    share = rshare[c] if s_tot > 0.0 else 1.0
    a = (1.0 - share) / s_tot if share < 1.0 else 0.0  # per unit of stake weight
    b = share / c_tot if c_tot > 0.0 else 0.0  # per unit of capacity weight
    bundle, node_cap = router.bundle[c], router.policy[RP_CAP]
    mean_busy, inv_busy = router.mean_busy[c], router.inv_busy[c]
    p_rest = 0.0
    room_total = 0.0
    drawn = 0
    for i in nodes:
        f = stand[i] / rep[i] if cold and rep[i] > 0.0 else 1.0
        pi = b * w_cap[c, i] * (f if repcap else 1.0)
        if a > 0.0:
            pi += a * w_stake[c, i] * stake[i] * f
        cap[i] = _take(room[i], bundle, mean_busy[i], inv_busy[i], node_cap, demand) if pi > 0.0 else 0.0
        if cap[i] <= 0.0:
            pi = 0.0  # a full node takes nothing at any level: left out of the fill
        x[i] = pi
        if pi > 0.0:
            room_total += cap[i]
            drawn_buf[drawn] = i
            drawn += 1
            p_rest += pi
    if p_rest <= 0.0:
        return m, 1.0
    if room_total <= demand:  # every node fills up (water_fill's level stays infinite): x = cap, exactly
        for i in drawn_buf[:drawn]:
            x[i] = cap[i]
        return m, 1.0
    mu = demand / p_rest  # water_fill's first level
    for i in drawn_buf[:drawn]:
        if cap[i] < mu * x[i]:  # some node fills up at the first level: the fill
            _fill_linear(x, cap, demand, drawn_buf[:drawn], ratio_buf[:drawn], x)  # water_fill_linear, in place
            return m, 1.0
    return m, mu  # no node fills up at the first level: it is the fill, exactly
