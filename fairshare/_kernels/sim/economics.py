"""Simulator kernels, step 4a of an epoch: node economics and operator margins.

Public through :func:`fairshare.simulate`. Costs are the per-node rates derived from
``economics.node_costs`` (see :mod:`fairshare.simulation.network`): energy is the idle rate times
online seconds plus the busy rate times busy seconds; depreciation comes from the table ``dep`` by
the node's age.
"""

from __future__ import annotations

from ..._jit import jit
from .state import (
    F_BUSY,
    F_FEES,
    F_ONLINE,
    F_STAKE,
    F_UP,
    F_WORK,
    I_CHURN,
    NF_CBUSY,
    NF_CIDLE,
    NI_HW,
    NI_JOIN,
    NI_OP,
    OI_CLASS,
    OI_INITIAL,
    OP_BILLS,
    OP_GRANT,
    OP_LIVE,
    OP_MARGIN,
    OP_STAKE,
    OP_TOK,
    SI_JOINED,
    SN_ACTIVE,
    SN_DELEG,
    SR_SPART,
    SR_STAKE,
    T_ALL_TOK,
    T_CAPITAL,
    T_COVERED,
    T_FEES,
    T_LIVE,
    T_OPS0,
    T_RETAIL_MARGIN,
    T_RETAIL_TOK,
    T_SPART,
    T_STAKED,
    T_SURVIVORS,
    T_WORK,
)

__all__ = ["operator_margins"]


@jit
def operator_margins(t, r, net, st, rewards, stake_part, price, act, ops, peer, tally):
    """Per operator of run ``r`` in epoch ``t``: rewards, stake, margin, liveness, kept rewards and bills.

    For every active node ``i`` (``sn[r, SN_ACTIVE, i] > 0``) of operator ``o``, with stake ``s``:

    * delegators' cut ``d_i = stake_part_i * deleg_i / s`` (0 when ``s = 0``);
    * earned ``e_i = (rewards_i - d_i) * price + fees_i - upstream_i`` (USD);
    * energy ``c_i = c_idle * online_i + c_busy * busy_i``, depreciation ``dep[age, i]`` (age from
      the churn join epoch when churn is on, else the scheduled join; 0 outside the table);
    * bills ``c_i + upstream_i - fees_i`` (what liquid tokens must pay).

    ``ops`` rows (:data:`~.state.OP_TOK` ...): rewards of all the operator's nodes, stake, margin
    ``sum e - sum (c + dep)``, liveness (1.0 with an active node), kept rewards ``sum (rewards - d)``,
    bills. With one vesting tap only operators with active nodes are visited (the others are
    marked not live, with nothing); otherwise every operator. ``peer`` ``(3, H)`` (zero on entry)
    gets earned, busy seconds and count of active nodes per hardware; ``tally`` (zero on entry) the
    epoch's totals (:data:`~.state.T_CAPITAL` ...). Sets ``sr[r, SR_SPART]`` and ``sr[r, SR_STAKE]``
    (stake-driven rewards and bonded stake, read by the next epoch's capital flow).
    """
    nf, ni, oi, op_start, dep, ip = net.nf, net.ni, net.oi, net.op_start, net.dep, net.ip
    sn, si, feat, sr = st.sn, st.si, st.feat, st.sr
    n_ops = op_start.shape[0] - 1
    op_tok, op_stake, op_margin, op_live = ops[OP_TOK], ops[OP_STAKE], ops[OP_MARGIN], ops[OP_LIVE]
    op_grant, op_bills = ops[OP_GRANT], ops[OP_BILLS]
    capital = spart_total = staked = work = fees = 0.0
    retail_tok = all_tok = covered = retail_margin = survivors = 0.0
    n_live = 0
    # with rewards liquid at once (one tap) only operators with active nodes have anything to settle:
    # walk the active nodes (grouped by operator); otherwise every operator, for its vesting
    walk = net.taps.shape[0] == 1
    n_walk = act.shape[0] if walk else n_ops
    j = 0
    hw = -1  # the hardware whose peer sums are being added to (kept in registers while it repeats)
    hw_earned = hw_busy = hw_nodes = 0.0
    for step in range(n_walk):
        if walk:
            if j >= act.shape[0]:
                break
            o = ni[NI_OP, act[j]]
        else:
            o = step
        tok = stake = grant = earned = cost = bills = 0.0
        live = False
        for i in range(op_start[o], op_start[o + 1]):
            reward = rewards[i]
            tok += reward
            if sn[r, SN_ACTIVE, i] <= 0.0:
                continue
            j += 1
            live = True
            s = feat[F_STAKE, r, i]
            cut = stake_part[i] * sn[r, SN_DELEG, i] / s if s > 0.0 else 0.0
            capital += cut
            spart_total += stake_part[i]
            stake += s
            busy = feat[F_BUSY, r, i]
            energy = nf[NF_CIDLE, i] * feat[F_ONLINE, r, i] + nf[NF_CBUSY, i] * busy
            age = t - (si[r, SI_JOINED, i] if ip[I_CHURN] != 0 else ni[NI_JOIN, i])
            depreciation = dep[age, i] if 0 <= age < dep.shape[0] else 0.0
            node_earned = (reward - cut) * price + feat[F_FEES, r, i] - feat[F_UP, r, i]
            grant += reward - cut
            earned += node_earned
            cost += energy + depreciation
            bills += energy + feat[F_UP, r, i] - feat[F_FEES, r, i]
            work += feat[F_WORK, r, i]
            fees += feat[F_FEES, r, i]
            h = ni[NI_HW, i]
            if h != hw:
                if hw >= 0:
                    peer[0, hw], peer[1, hw], peer[2, hw] = hw_earned, hw_busy, hw_nodes
                hw = h
                hw_earned, hw_busy, hw_nodes = peer[0, h], peer[1, h], peer[2, h]
            hw_earned += node_earned
            hw_busy += busy
            hw_nodes += 1.0
        margin = earned - cost
        op_tok[o] = tok
        op_stake[o] = stake
        op_margin[o] = margin
        op_live[o] = 1.0 if live else 0.0
        op_grant[o] = grant
        op_bills[o] = bills
        staked += stake
        k = oi[OI_CLASS, o]
        all_tok += tok
        if k == 0:
            retail_tok += tok
        if live:
            n_live += 1
            tally[T_OPS0 + k] += 1.0
            if k == 0:
                retail_margin += margin
                if margin >= 0.0:
                    covered += 1.0
                if oi[OI_INITIAL, o] != 0:
                    survivors += 1.0
    if hw >= 0:
        peer[0, hw], peer[1, hw], peer[2, hw] = hw_earned, hw_busy, hw_nodes
    if walk:  # operators without active nodes: nothing earned, not live
        for o in range(n_ops):
            if op_live[o] > 0.0 and not _any_active(r, sn, op_start, o):
                op_live[o] = 0.0
                op_tok[o] = 0.0
                op_stake[o] = 0.0
    tally[T_CAPITAL] = capital
    tally[T_SPART] = spart_total
    tally[T_STAKED] = staked
    tally[T_WORK] = work
    tally[T_FEES] = fees
    tally[T_RETAIL_TOK] = retail_tok
    tally[T_ALL_TOK] = all_tok
    tally[T_COVERED] = covered
    tally[T_RETAIL_MARGIN] = retail_margin
    tally[T_SURVIVORS] = survivors
    tally[T_LIVE] = n_live
    sr[r, SR_SPART] = spart_total
    sr[r, SR_STAKE] = staked


@jit
def _any_active(r, sn, op_start, o):
    for i in range(op_start[o], op_start[o + 1]):
        if sn[r, SN_ACTIVE, i] > 0.0:
            return True
    return False
