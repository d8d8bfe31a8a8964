"""Slow, obviously correct oracles: one per public kernel of ``fairshare._kernels.sim``.

Each oracle is written from the kernel's docstring and from :mod:`fairshare.simulation.config`
(never by calling a kernel), takes the kernel's arguments and has the kernel's effect: it updates
the same state arrays in place and returns what the kernel returns. Tests call it on copies of the
inputs and compare (``tests/test_kernels_sim.py``). Loops are plain Python over operators and
classes; sums are numpy's (pairwise), so results agree with the kernels to rounding, not bit for bit.

``ORACLES`` maps ``"sim.<module>.<function>"`` to the oracle of every public sim kernel.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from fairshare._kernels.sim import state as k

__all__ = ["ORACLES"]


# ---------------------------------------------------------------- market: membership, capital, features
def _ops(op_start):
    return [np.arange(op_start[o], op_start[o + 1]) for o in range(op_start.shape[0] - 1)]


def begin(t, r, net, draws, st, act):
    """Membership (fixed network, or churn: joins due, exogenous exits, retirements) then delegated capital."""
    nf, ni, p, ip = net.nf, net.ni, net.p, net.ip
    sn, si, so, sr = st.sn, st.si, st.so, st.sr
    if ip[k.I_CHURN] == 0:
        sn[r, k.SN_ACTIVE] = ((ni[k.NI_JOIN] <= t) & (t <= ni[k.NI_LEAVE])).astype(float)
    else:
        for o, nodes in enumerate(_ops(net.op_start)):
            status = so[r, k.SO_STATUS, o]
            if status == k.PENDING and so[r, k.SO_PEND, o] <= t:  # an entry decided earlier is due
                status = k.ACTIVE
                so[r, k.SO_SINCE, o] = t
                sr[r, k.SR_ENTRIES] += 1
                si[r, k.SI_JOINED, nodes] = t
            if status == k.ACTIVE and t - so[r, k.SO_SINCE, o] >= draws.exit_after[r, o]:  # exogenous exit
                status = k.LEFT
                sr[r, k.SR_EXIT_HAZARD] += 1
            joined, retired = si[r, k.SI_JOINED, nodes], si[r, k.SI_RETIRED, nodes]
            running = (status == k.ACTIVE) & (retired == 0) & (joined <= t)
            ageing_out = running & (ip[k.I_AGEING] != 0) & (t - joined >= ni[k.NI_LIFE, nodes])
            si[r, k.SI_RETIRED, nodes[ageing_out]] = 1
            on = running & ~ageing_out
            later = (status == k.ACTIVE) & (retired == 0) & (joined > t) & (joined < k.NEVER)
            sn[r, k.SN_ACTIVE, nodes] = on.astype(float)
            if status == k.ACTIVE and not (on.any() or later.any()):
                status = k.LEFT
                sr[r, k.SR_EXIT_RETIRED] += 1
            so[r, k.SO_STATUS, o] = status
    active = np.flatnonzero(sn[r, k.SN_ACTIVE] > 0)
    sn[r, k.SN_DELEG, sn[r, k.SN_ACTIVE] <= 0] = 0.0
    own = float(nf[k.NF_OWN, active].sum())
    act[:active.size] = active
    if t > 0 and p[k.P_K] > 0:
        _capital(r, nf, own, p, ip, sn, sr, active)
    return own, active.size


def _capital(r, nf, own, p, ip, sn, sr, active):
    """Capital.speed: bonded stake moves a share k of the way to where the yield is the required one."""
    target = sr[r, k.SR_SPART] * p[k.P_EPY] / p[k.P_RYIELD]
    total = sr[r, k.SR_DELEG] + p[k.P_K] * (target - sr[r, k.SR_STAKE])
    total = min(max(total, 0.0), max(sr[r, k.SR_CIRC] - own, 0.0))
    deleg = sn[r, k.SN_DELEG, active]
    how = ip[k.I_DELEGATE]  # DELEGATIONS: stake, capex, equal
    weight = (nf[k.NF_OWN, active] + deleg if how == 0 else nf[k.NF_CAPEX, active] if how == 1
              else np.ones(active.size))
    if weight.sum() <= 0:
        sn[r, k.SN_DELEG, active] = 0.0
        sr[r, k.SR_DELEG] = 0.0
        return
    kept = deleg.sum()
    new = deleg + (total - kept) * weight / weight.sum() if total >= kept else deleg * (total / kept)
    sn[r, k.SN_DELEG, active] = new
    sr[r, k.SR_DELEG] = new.sum()


def _water_fill(p, cap, total):
    """x = min(cap, mu p) with sum x = min(total, sum cap), by saturating the tightest nodes one round at a time."""
    x = np.zeros(p.size)
    free = p > 0
    left = total
    while free.any():
        mu = left / p[free].sum()
        full = free & (cap < mu * p)
        if not full.any():
            x[free] = mu * p[free]
            break
        x[full] = cap[full]
        left -= cap[full].sum()
        free &= ~full
    return x


def features(t, r, net, router, draws, st, act, stale, x, room, cap, nodes_buf):
    """The epoch's node features, replayed or placed by the router's fluid limit; returns unserved work."""
    nf, p, ip, sn, feat = net.nf, net.p, net.ip, st.sn, st.feat
    feat[:, r, :] = 0.0
    g = draws.units[r, t]
    if ip[k.I_REPLAY] != 0:
        rep = router.replay[t]
        feat[:k.N_TASK, r, act] = rep[:k.N_TASK, act] * g[0]
        feat[k.F_ONLINE, r, act] = rep[k.F_ONLINE, act]
        feat[k.F_ENERGY, r, act] = rep[k.F_ENERGY, act] + nf[k.NF_KBUSY, act] * rep[k.F_BUSY, act] * (g[0] - 1.0)
        feat[k.F_STAKE, r, act] = rep[k.F_STAKE, act] + sn[r, k.SN_DELEG, act]
        feat[k.F_ACTIVE, r, act] = 1.0
        return 0.0
    stake = np.zeros(nf.shape[1])
    stake[act] = nf[k.NF_OWN, act] + sn[r, k.SN_DELEG, act]
    feat[k.F_STAKE, r, act] = stake[act]
    left_s = np.zeros(nf.shape[1])
    left_s[act] = p[k.P_EPOCH_S] * nf[k.NF_ONLINE, act]
    busy = np.zeros(nf.shape[1])
    lost = 0.0
    pol = router.policy
    cold = pol[k.RP_NEWCOMER] >= 0
    score = router.rep.copy()  # the standing every node is routed at this epoch (cold start)
    if cold:
        joined = st.si[r, k.SI_JOINED] if ip[k.I_CHURN] else net.ni[k.NI_JOIN]
        age = t - joined.astype(np.float64)
        new = (joined > 0) & (router.rep > pol[k.RP_NEWCOMER]) & (age < pol[k.RP_RAMP])
        ramped = pol[k.RP_NEWCOMER] + (router.rep - pol[k.RP_NEWCOMER]) * age / np.where(new, pol[k.RP_RAMP], 1.0)
        score = np.where(new, ramped, router.rep)
    scale = np.where(router.rep > 0, score / np.where(router.rep > 0, router.rep, 1.0), 1.0) if cold \
        else np.ones(nf.shape[1])

    def takes(c, i, demand):  # units node i can take: whole bundles of free time, at most the cap
        if router.bundle[c] == np.inf or left_s[i] < router.bundle[c] * router.mean_busy[c, i]:
            return 0.0
        most = left_s[i] / router.mean_busy[c, i]
        return min(most, pol[k.RP_CAP] * demand) if pol[k.RP_CAP] > 0 else most

    for c in range(router.mean_busy.shape[0]):
        demand = g[c]
        if demand <= 0:
            continue
        nodes = np.array([i for i in act if router.eligible[c, i] != 0 and (not cold or score[i] >= router.floor[c])],
                         dtype=np.int64)
        units = np.zeros(nodes.size)
        if ip[k.I_ROUTING] == k.ROUTE_LATENCY:  # fastest first, each up to its free time
            rest = demand
            for i in router.latency_order[c]:
                if i < 0 or rest <= 0:
                    break
                if sn[r, k.SN_ACTIVE, i] > 0 and (not cold or score[i] >= router.floor[c]):
                    take = min(rest, takes(c, i, demand))
                    units[np.flatnonzero(nodes == i)] = take
                    rest -= take
        elif nodes.size:
            ws = router.w_stake[c, nodes] * stake[nodes] * scale[nodes]
            wc = router.w_cap[c, nodes] * (scale[nodes] if pol[k.RP_REPCAP] != 0 else 1.0)
            if ws.sum() > 0 or wc.sum() > 0:
                share = router.rshare[c] if ws.sum() > 0 else 1.0
                prob = (1 - share) * ws / ws.sum() if share < 1 else np.zeros(nodes.size)
                if wc.sum() > 0:
                    prob = prob + share * wc / wc.sum()
                room_units = np.array([takes(c, i, demand) if q > 0 else 0.0 for i, q in zip(nodes, prob)])
                prob = np.where(room_units > 0, prob, 0.0)
                if prob.sum() > 0:
                    units = _water_fill(prob, room_units, demand)
        lost += max(demand - units.sum(), 0.0) * router.unit[k.F_WORK, c]
        b = units * router.mean_busy[c, nodes] if nodes.size else units
        took = units > 0
        left_s[nodes[took]] = np.maximum(left_s[nodes[took]] - b[took], 0.0)
        busy[nodes[took]] += b[took]
        for f in router.need:
            feat[f, r, nodes[took]] += units[took] * router.unit[f, c]
    feat[k.F_BUSY, r, act] = busy[act]
    online = p[k.P_EPOCH_S] * nf[k.NF_ONLINE, act]
    feat[k.F_ONLINE, r, act] = online
    feat[k.F_ENERGY, r, act] = nf[k.NF_KIDLE, act] * online + nf[k.NF_KBUSY, act] * busy[act]
    feat[k.F_ACTIVE, r, act] = 1.0
    return lost


# ---------------------------------------------------------------- payout: Linear rule, fake demand
def _component(feat, r, f, nodes):
    if f == -1:  # identity floor
        return (feat[k.F_WORK, r, nodes] > 0).astype(float)
    if f == -2:  # fee margin
        return np.maximum(feat[k.F_FEES, r, nodes] - feat[k.F_UP, r, nodes], 0.0)
    return feat[f, r, nodes]


def linear(theta, comp_field, feat, r, act, emission, rewards, stake_part):
    """formulas.Linear: rewards_i = E sum_c theta_c q_ci / Q_c over active nodes; returns the unallocated tokens."""
    rewards[:] = 0.0
    stake_part[:] = 0.0
    unallocated = 0.0
    for c, w in enumerate(theta):
        if w <= 0:
            continue
        q = _component(feat, r, comp_field[c], act)
        if q.sum() <= 0:
            unallocated += w * emission
            continue
        rewards[act] += emission * w * q / q.sum()
        if comp_field[c] == k.F_STAKE:
            stake_part[act] = emission * w * q / q.sum()
    return unallocated


def fake_scale(r, op_start, p, so, feat, scale):
    """FakeDemand.fraction of a willing operator's real work, within the epoch's free time; counts such nodes."""
    scale[:] = 0.0
    for o, nodes in enumerate(_ops(op_start)):
        if so[r, k.SO_FAKE, o] == 0:
            continue
        busy, online = feat[k.F_BUSY, r, nodes], feat[k.F_ONLINE, r, nodes]
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.minimum(p[k.P_FAKE_FRAC], np.maximum(online - busy, 0.0) / busy)
        scale[nodes] = np.where(busy > 0, s, 0.0)
    return int((scale > 0).sum())


def _scaled(feat, r, nf, scale, nodes):
    """Columns ``nodes`` of run ``r`` with task fields times 1 + s and energy following the extra busy time."""
    cols = feat[:, r, nodes].copy()
    s = scale[nodes]
    cols[:k.N_TASK] *= 1.0 + s
    cols[k.F_ENERGY] += nf[k.NF_KBUSY, nodes] * feat[k.F_BUSY, r, nodes] * s
    return cols


def fake_variant(r, nf, scale, feat, fake):
    """The features if every willing active operator bought fake demand."""
    fake[:, r, :] = feat[:, r, :]
    nodes = np.flatnonzero(scale > 0)
    fake[:, r, nodes] = _scaled(feat, r, nf, scale, nodes)


def linear_trial(theta, comp_field, feat, r, act, emission, scale, trial):
    """``linear`` on the fake variant, kept for the nodes that would buy (scale > 0)."""
    variant = feat.copy()
    fake_variant(r, np.zeros((k.NF_ONLINE + 1, feat.shape[2])), scale, feat, variant)  # energy is not a component
    rewards, part = np.zeros(feat.shape[2]), np.zeros(feat.shape[2])
    linear(theta, comp_field, variant, r, act, emission, rewards, part)
    trial[act] = np.where(scale[act] > 0, rewards[act], 0.0)


def choose_fakes(r, nf, op_start, price, so, feat, scale, base_rewards, fake_rewards):
    """A willing operator buys when its reward gain (USD) beats the extra energy and upstream cost."""
    buying = 0
    for o, nodes in enumerate(_ops(op_start)):
        nodes = nodes[scale[nodes] > 0]
        if so[r, k.SO_FAKE, o] == 0 or nodes.size == 0:
            continue
        s = scale[nodes]
        gain = ((fake_rewards[nodes] - base_rewards[nodes]) * price).sum()
        cost = (nf[k.NF_CBUSY, nodes] * feat[k.F_BUSY, r, nodes] * s + feat[k.F_UP, r, nodes] * s).sum()
        if gain > cost and gain > 0:
            buying += 1
            feat[:, r, nodes] = _scaled(feat, r, nf, scale, nodes)
    return buying


# ---------------------------------------------------------------- settlement steps
def operator_margins(t, r, net, st, rewards, stake_part, price, act, ops, peer, tally):
    """Node economics (cut, earned, energy, depreciation, bills) summed by operator, hardware and epoch."""
    nf, ni, oi, ip, dep = net.nf, net.ni, net.oi, net.ip, net.dep
    sn, si, feat = st.sn, st.si, st.feat
    walk = net.taps.size == 1
    on = sn[r, k.SN_ACTIVE] > 0
    s = feat[k.F_STAKE, r]
    with np.errstate(divide="ignore", invalid="ignore"):
        cut = np.where(on & (s > 0), stake_part * sn[r, k.SN_DELEG] / s, 0.0)
    energy = nf[k.NF_CIDLE] * feat[k.F_ONLINE, r] + nf[k.NF_CBUSY] * feat[k.F_BUSY, r]
    age = t - (si[r, k.SI_JOINED] if ip[k.I_CHURN] != 0 else ni[k.NI_JOIN])
    inside = (age >= 0) & (age < dep.shape[0])
    depreciation = np.where(inside, dep[np.clip(age, 0, dep.shape[0] - 1), np.arange(age.size)], 0.0)
    earned = (rewards - cut) * price + feat[k.F_FEES, r] - feat[k.F_UP, r]
    bills = energy + feat[k.F_UP, r] - feat[k.F_FEES, r]
    for i in np.flatnonzero(on):
        h = ni[k.NI_HW, i]
        peer[:, h] += (earned[i], feat[k.F_BUSY, r, i], 1.0)
    counts = np.zeros(5)
    retail_tok = all_tok = covered = retail_margin = survivors = 0.0
    for o, nodes in enumerate(_ops(net.op_start)):
        a = nodes[on[nodes]]
        live = a.size > 0
        if walk and not live:  # one tap: only operators with active nodes are settled
            ops[k.OP_TOK, o] = ops[k.OP_STAKE, o] = ops[k.OP_LIVE, o] = 0.0
            continue
        tok = rewards[nodes].sum()
        margin = earned[a].sum() - (energy[a] + depreciation[a]).sum()
        ops[k.OP_TOK, o], ops[k.OP_STAKE, o], ops[k.OP_MARGIN, o] = tok, s[a].sum(), margin
        ops[k.OP_LIVE, o] = float(live)
        ops[k.OP_GRANT, o], ops[k.OP_BILLS, o] = (rewards[a] - cut[a]).sum(), bills[a].sum()
        cls = oi[k.OI_CLASS, o]
        all_tok += tok
        retail_tok += tok if cls == 0 else 0.0
        if live:
            counts[cls] += 1
            if cls == 0:
                retail_margin += margin
                covered += margin >= 0
                survivors += oi[k.OI_INITIAL, o] != 0
    tally[k.T_CAPITAL], tally[k.T_SPART] = cut[on].sum(), stake_part[on].sum()
    tally[k.T_STAKED], tally[k.T_WORK] = s[on].sum(), feat[k.F_WORK, r, on].sum()
    tally[k.T_FEES] = feat[k.F_FEES, r, on].sum()
    tally[k.T_RETAIL_TOK], tally[k.T_ALL_TOK], tally[k.T_COVERED] = retail_tok, all_tok, covered
    tally[k.T_RETAIL_MARGIN], tally[k.T_SURVIVORS], tally[k.T_LIVE] = retail_margin, survivors, counts.sum()
    tally[k.T_OPS0:k.T_OPS0 + 5] = counts
    st.sr[r, k.SR_SPART], st.sr[r, k.SR_STAKE] = tally[k.T_SPART], tally[k.T_STAKED]


def vest_and_sell(t, r, net, st, unallocated, price, ops, tally):
    """Vesting (Supply.reward_vesting taps), sales for bills, and circulating / locked / unallocated supply."""
    taps, ring, liquid, sr = net.taps, st.ring, st.liquid, st.sr
    v = taps.size
    n_ops = net.op_start.size - 1
    settled = np.flatnonzero(ops[k.OP_LIVE, :n_ops] > 0) if v == 1 else np.arange(n_ops)
    ring[r, t % v, settled] = ops[k.OP_GRANT, settled]
    ring[r, t % v, n_ops] = tally[k.T_CAPITAL]
    lags = np.arange(min(v, t + 1))
    cols = np.r_[settled, n_ops]
    out = (taps[lags, None] * ring[r][(t - lags) % v][:, cols]).sum(axis=0)
    liquid[r, settled] += out[:-1]
    sold = 0.0
    for j, o in enumerate(settled):
        if ops[k.OP_LIVE, o] > 0 and ops[k.OP_BILLS, o] > 0:
            sell = min(ops[k.OP_BILLS, o] / price, liquid[r, o])
            liquid[r, o] -= sell
            sold += sell
    released = out.sum()
    paid = net.exo[t, 0] - unallocated
    sr[r, k.SR_CIRC] += net.exo[t, 1] + released
    sr[r, k.SR_LOCKED] += paid - released
    sr[r, k.SR_UNALLOC] += unallocated
    tally[k.T_RELEASED], tally[k.T_SOLD] = released, sold


def epoch_price(t, r, price_exo, sr):
    """Price: P_t = P_exo_t e^(m_t)."""
    return price_exo[r, t] * math.exp(sr[r, k.SR_M])


def impact(t, r, net, sr, price, sold):
    """Price.impact: a constant-product pool of depth / (2 P) tokens; selling s multiplies P by (x / (x + s))^2."""
    x = net.p[k.P_DEPTH] / (2 * price)
    s = sold + net.exo[t, 2] - net.p[k.P_BUY] / price
    ratio = x / (x + abs(s))  # the price moves by ratio^2 (selling) or 1 / ratio^2 (buying)
    sr[r, k.SR_M] = net.p[k.P_DECAY] * sr[r, k.SR_M] + np.sign(s) * 2 * math.log(ratio)


def _gini(x):
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size * x.sum())


def _nakamoto(x, threshold=1 / 3):
    top = np.sort(x)[::-1]
    return int(np.argmax(np.cumsum(top) / x.sum() > threshold) + 1)


def _concentration(order, values, live, row, first):
    """Over every operator live in some epoch so far; those not live now hold 0 (survivorship-free)."""
    n_ops = values.size - 1
    kept = [int(o) for o in order[:order[n_ops]]]
    new = [o for o in range(n_ops) if live[o] > 0 and o not in kept]
    held_now = np.where(live[:n_ops] > 0, values[:n_ops], 0.0)
    ranked = sorted(kept + new, key=lambda o: held_now[o])  # stable: ties keep last epoch's order
    order[:len(ranked)] = ranked
    order[n_ops] = len(ranked)
    held = held_now[ranked]
    if held.size == 0 or held.sum() <= 0:
        row[first:first + 3] = np.nan
        return
    row[first:first + 3] = _gini(held), ((held / held.sum()) ** 2).sum(), _nakamoto(held)


def _ratio(a, b):
    return a / b if b > 0 else np.nan


def summary_row(t, r, net, st, rec, pay, ops, tally):
    """The epoch's measures (MEASURES) and, when kept, the per-node state."""
    sr, row = st.sr, rec.summary[r, t]
    emission, unlock, unlock_sell, pool, bucket_locked = net.exo[t]
    _concentration(st.orders[r, 0], ops[k.OP_TOK], ops[k.OP_LIVE], row, k.M_RGINI)
    _concentration(st.orders[r, 1], ops[k.OP_STAKE], ops[k.OP_LIVE], row, k.M_SGINI)
    counts = tally[k.T_OPS0:k.T_OPS0 + 5]
    paid = emission - pay.unallocated
    work, sold, spart, staked = tally[k.T_WORK], tally[k.T_SOLD], tally[k.T_SPART], tally[k.T_STAKED]
    values = {
        k.M_RETAIL_SHARE: _ratio(tally[k.T_RETAIL_TOK], tally[k.T_ALL_TOK]),
        k.M_SURVIVAL: _ratio(tally[k.T_SURVIVORS], sr[r, k.SR_RETAIL0]),
        k.M_OPS: counts.sum(), k.M_RETAIL_COVER: _ratio(tally[k.T_COVERED], counts[0]),
        k.M_RETAIL_MARGIN: _ratio(tally[k.T_RETAIL_MARGIN], counts[0]),
        k.M_ENTRIES: sr[r, k.SR_ENTRIES], k.M_EXIT_LOSS: sr[r, k.SR_EXIT_LOSS],
        k.M_EXIT_HAZARD: sr[r, k.SR_EXIT_HAZARD], k.M_EXIT_RETIRED: sr[r, k.SR_EXIT_RETIRED],
        k.M_PRICE: pay.price, k.M_EMISSION: emission, k.M_PAID: paid, k.M_UNALLOC: pay.unallocated,
        k.M_CIRC: sr[r, k.SR_CIRC], k.M_LOCKED_REWARD: sr[r, k.SR_LOCKED],
        k.M_LOCKED: bucket_locked + sr[r, k.SR_LOCKED], k.M_POOL: pool, k.M_UNALLOC_TOTAL: sr[r, k.SR_UNALLOC],
        k.M_UNLOCKED: unlock, k.M_RELEASED: tally[k.T_RELEASED], k.M_OP_SOLD: sold, k.M_UNLOCK_SOLD: unlock_sell,
        k.M_SELL: sold + unlock_sell, k.M_STAKED: staked, k.M_DELEG: staked - pay.own,
        k.M_YIELD: _ratio(spart * net.p[k.P_EPY], staked), k.M_STAKE_SHARE: _ratio(spart, paid),
        k.M_CAPITAL_SHARE: _ratio(tally[k.T_CAPITAL], paid),
        k.M_COMPUTE_SHARE: 1 - spart / paid if paid > 0 else np.nan,
        k.M_FAKE_WORK: pay.fake_work, k.M_FAKE_SHARE: _ratio(pay.fake_work, work), k.M_FAKERS: pay.buying,
        k.M_WORK: work, k.M_FEES: tally[k.T_FEES],
        k.M_UNSERVED: _ratio(pay.lost, pay.lost + work - pay.fake_work),
    }
    for m, value in values.items():
        row[m] = value
    row[k.M_OPS0:k.M_OPS0 + 5] = counts
    if rec.keep.shape[2] > 0:
        rec.keep[:, r, t] = (pay.rewards, st.feat[k.F_STAKE, r], st.feat[k.F_WORK, r], st.sn[r, k.SN_ACTIVE],
                             st.feat[k.F_BUSY, r])


def decide(t, r, net, so, sr, margin, live, peer):
    """Churn: exit after ``patience`` loss-making epochs; a candidate joins (after the lag) over the hurdle."""
    nf, ni, oi, p = net.nf, net.ni, net.oi, net.p
    for o, nodes in enumerate(_ops(net.op_start)):
        status = so[r, k.SO_STATUS, o]
        if status == k.ACTIVE and live[o] > 0:
            so[r, k.SO_STREAK, o] = so[r, k.SO_STREAK, o] + 1 if margin[o] < 0 else 0
            if so[r, k.SO_STREAK, o] >= oi[k.OI_PATIENCE, o]:
                so[r, k.SO_STATUS, o] = k.LEFT
                sr[r, k.SR_EXIT_LOSS] += 1
        elif status == k.WAITING and oi[k.OI_AVAIL, o] <= t:
            hw = ni[k.NI_HW, nodes]
            if (peer[2, hw] <= 0).any():  # no active peer of some hardware: no estimate
                continue
            earned = (peer[0, hw] / peer[2, hw]).sum()
            cost = (nf[k.NF_CIDLE, nodes] * p[k.P_EPOCH_S] * nf[k.NF_ONLINE, nodes]
                    + nf[k.NF_CBUSY, nodes] * peer[1, hw] / peer[2, hw] + net.dep[0, nodes]).sum()
            if earned >= (1 + p[k.P_HURDLE]) * cost and earned > 0:
                so[r, k.SO_STATUS, o] = k.PENDING
                so[r, k.SO_PEND, o] = t + net.ip[k.I_LAG]


def settle(t, r, net, st, rec, pay, ops, act):
    """Economics, sales and supply, price impact, summary row, churn decisions."""
    peer = np.zeros((3, net.hw_count.size))
    tally = np.zeros(k.N_TALLY)
    operator_margins(t, r, net, st, pay.rewards, pay.stake_part, pay.price, act, ops, peer, tally)
    vest_and_sell(t, r, net, st, pay.unallocated, pay.price, ops, tally)
    if net.ip[k.I_IMPACT] != 0:
        impact(t, r, net, st.sr, pay.price, tally[k.T_SOLD])
    summary_row(t, r, net, st, rec, pay, ops, tally)
    if net.ip[k.I_CHURN] != 0:
        decide(t, r, net, st.so, st.sr, ops[k.OP_MARGIN], ops[k.OP_LIVE], peer)


# ---------------------------------------------------------------- drivers
def run_fast(net, router, draws, theta, comp_field, st, rec):
    """Every epoch of every run: begin, price, features, fake-demand choice, the Linear rule, settle."""
    n, n_ops = net.nf.shape[1], net.op_start.size - 1
    for r in range(draws.units.shape[0]):
        ops = np.zeros((k.N_OPS_ROWS, n_ops + 1))
        for t in range(draws.units.shape[1]):
            act = np.empty(n, dtype=np.int64)
            own, count = begin(t, r, net, draws, st, act)
            act = act[:count]
            price = epoch_price(t, r, draws.price_exo, st.sr)
            lost = features(t, r, net, router, draws, st, act, None, None, None, None, None)
            emission = net.exo[t, 0]
            buying, fake_work = 0, 0.0
            scale = np.zeros(n)
            if net.ip[k.I_FAKE] != 0 and fake_scale(r, net.op_start, net.p, st.so, st.feat, scale) > 0:
                base, trial, part = np.zeros(n), np.zeros(n), np.zeros(n)
                linear(theta[t], comp_field, st.feat, r, act, emission, base, part)
                linear_trial(theta[t], comp_field, st.feat, r, act, emission, scale, trial)
                before = st.feat[k.F_WORK, r, act].sum()
                buying = choose_fakes(r, net.nf, net.op_start, price, st.so, st.feat, scale, base, trial)
                fake_work = st.feat[k.F_WORK, r, act].sum() - before
            rewards, spart = np.zeros(n), np.zeros(n)
            unallocated = linear(theta[t], comp_field, st.feat, r, act, emission, rewards, spart)
            pay = k.Payout(rewards, spart, unallocated, own, lost, fake_work, buying, price)
            settle(t, r, net, st, rec, pay, ops, act)


def stage_begin(t, net, router, draws, st, fake, scale, own, lost, prices):
    """General path, steps 1-2 of every run (and the fake variant)."""
    n = net.nf.shape[1]
    for r in range(draws.units.shape[0]):
        act = np.empty(n, dtype=np.int64)
        own[r], count = begin(t, r, net, draws, st, act)
        prices[r] = epoch_price(t, r, draws.price_exo, st.sr)
        lost[r] = features(t, r, net, router, draws, st, act[:count], None, None, None, None, None)
        if net.ip[k.I_FAKE] != 0:
            fake_scale(r, net.op_start, net.p, st.so, st.feat, scale[r])
            fake_variant(r, net.nf, scale[r], st.feat, fake)


def stage_choose(net, st, scale, base_rewards, fake_rewards, prices, buying, fake_work):
    """General path, step 3: every run's fake-demand choice and the fake work it adds."""
    for r in range(st.feat.shape[1]):
        before = st.feat[k.F_WORK, r].sum()
        buying[r] = choose_fakes(r, net.nf, net.op_start, prices[r], st.so, st.feat, scale[r], base_rewards[r],
                                 fake_rewards[r])
        fake_work[r] = st.feat[k.F_WORK, r].sum() - before


def stage_settle(t, net, st, rec, rewards, stake_part, unallocated, own, lost, fake_work, buying, prices):
    """General path, step 4 of every run."""
    for r in range(st.feat.shape[1]):
        ops = np.zeros((k.N_OPS_ROWS, net.op_start.size))
        act = np.flatnonzero(st.sn[r, k.SN_ACTIVE] > 0)
        pay = k.Payout(rewards[r], stake_part[r], unallocated[r], own[r], lost[r], fake_work[r], buying[r], prices[r])
        settle(t, r, net, st, rec, pay, ops, act)


ORACLES: dict[str, Callable] = {
    "sim.market.begin": begin,
    "sim.market.features": features,
    "sim.payout.linear": linear,
    "sim.payout.fake_scale": fake_scale,
    "sim.payout.fake_variant": fake_variant,
    "sim.payout.linear_trial": linear_trial,
    "sim.payout.choose_fakes": choose_fakes,
    "sim.economics.operator_margins": operator_margins,
    "sim.sales.vest_and_sell": vest_and_sell,
    "sim.price.epoch_price": epoch_price,
    "sim.price.impact": impact,
    "sim.summary.summary_row": summary_row,
    "sim.churn.decide": decide,
    "sim.settle.settle": settle,
    "sim.epoch.run_fast": run_fast,
    "sim.epoch.stage_begin": stage_begin,
    "sim.epoch.stage_choose": stage_choose,
    "sim.epoch.stage_settle": stage_settle,
}
