"""The simulator's numba kernels (``fairshare._kernels.sim``) against their slow oracles (``tests/naive_sim.py``).

Worlds are small and valid by construction (a few runs, 2-4 operators of 1-3 nodes, 3 hardware codes,
2 traffic classes, a few epochs): hypothesis draws the switches (churn, ageing, price impact, fake
demand, capital flows, routing, replay, vesting taps, the economy) and a seed; numpy draws the arrays
from the seed. Inputs are continuous draws, so margins, hurdles, fake-demand gains and water-filling
levels land exactly on a decision threshold with probability zero; the worlds never place them there
by construction (no margin fixed at a hurdle, no gain equal to a cost).

Churn is on in about 60% of the worlds (replay, which needs the fixed network, in one in five); two in
five worlds are a boom (candidates on the incumbents' hardware, a low hurdle, a large emission:
entries) and two in five a bust (a small emission, fees below costs, heavy depreciation: loss exits).
Step tests look at epochs 0-5 of worlds that aim their entries, loss exits and retirements at the
epoch looked at (:func:`steps`). Hand-written worlds (``FORCED``) reach an entry, a loss exit and a
retirement for sure; the tests record the churn branches they reach with ``hypothesis.event``
(``pytest --hypothesis-show-statistics`` shows the rates).

Tolerance: float arrays agree within 1e-12 relative to the array's largest magnitude (``_close``);
integer state (statuses, streaks, join epochs, orders) and decisions (operators buying, active
counts) agree exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, example, given
from hypothesis import strategies as hst

from fairshare._kernels.sim import churn, economics, epoch, market, payout, price, sales, settle, summary
from fairshare._kernels.sim import state as k
from fairshare.formulas.components import COMPONENTS
from fairshare.simulation.inputs import component_fields

from . import naive_sim as naive
from .oracle_registry import Comparisons

pytestmark = pytest.mark.property

RTOL = 1e-12
NAMES = list(COMPONENTS)
COMP_FIELD = component_fields()
EVERY = np.array([f for f in range(k.N_TASK) if f != k.F_BUSY], dtype=np.int64)

#: Comparison tests by the ``naive_sim.ORACLES`` key they exercise (filled by :func:`compares` at import).
COMPARED = compares = Comparisons()


def test_every_oracle_is_compared():
    assert sorted(naive.ORACLES) == sorted(COMPARED)


# ---------------------------------------------------------------- worlds
ECONOMIES = ("drawn", "boom", "bust")


@hst.composite
def worlds(draw, runs=(1, 2), epochs=(6, 7), focus=None):
    """``(net, router, draws, theta, st, rec)`` of a small random network, valid by construction.

    Replay in one world in five (it needs the fixed network: churn off); churn in three of four others.
    ``focus``: the epoch a step test looks at, where the boom, the bust and ageing aim their events
    (:func:`build`).
    """
    seed = draw(hst.integers(0, 2**32 - 1))
    replay = draw(hst.integers(0, 4)) == 0
    flags = dict(churn=not replay and draw(hst.integers(0, 3)) > 0, ageing=draw(hst.booleans()),
                 impact=draw(hst.booleans()), fake=draw(hst.booleans()), capital=draw(hst.booleans()), replay=replay,
                 routing=draw(hst.integers(0, 3)), taps=draw(hst.sampled_from([1, 1, 3])),
                 delegate=draw(hst.integers(0, 2)), keep=draw(hst.booleans()), policy=draw(hst.booleans()),
                 economy=draw(hst.sampled_from(ECONOMIES + ECONOMIES[1:])))  # boom, bust: 2 in 5 each
    sizes = draw(hst.lists(hst.integers(1, 3), min_size=2, max_size=4))
    return build(np.random.default_rng(seed), draw(hst.integers(*runs)), draw(hst.integers(*epochs)), sizes,
                 **flags, focus=focus)


epochs_in = hst.integers(0, 5)  # worlds() run 6-7 epochs


@hst.composite
def steps(draw):
    """``(world, t)``: a world and the epoch a step test looks at, the world's churn aimed at it."""
    t = draw(epochs_in)
    return draw(worlds(focus=t)), t


#: Routing policy levers of :func:`build`: node cap, cold start, minimum pay (bundles).
LEVERS = ("cap", "cold", "bundle")


def build(rng, n_runs, n_epochs, sizes, churn, ageing, impact, fake, capital, replay, routing, taps, delegate, keep,
          economy="drawn", focus=None, policy=False):
    """One world from ``rng``.

    ``economy``: ``"drawn"`` (every parameter drawn), ``"boom"`` (more candidates, on hardware the initial
    operators run, a hurdle below 0.1 and an emission of 1e6-1e7 tokens: entries pay) or ``"bust"`` (an
    emission below 100 tokens, fees below the upstream cost and depreciation of 1e3-1e4 USD a node-epoch:
    losses). ``focus`` (an epoch) aims churn at it: a boom's candidates become available at ``focus`` (they
    decide to enter then) or ``lag`` epochs earlier (they join then), a bust's operators (losing from epoch
    0) run out of patience at ``focus``, and with ageing half the initial operators' nodes retire at
    ``focus``. Without a focus a boom's candidates are available in epochs 0-2. ``policy``: a routing policy
    (True: each lever of ``LEVERS`` on in about half the worlds; a tuple: those levers): a node cap, a cold
    start (scores, class floors, a newcomer standing and a ramp of 1-6 epochs) and bundles of 1-10,000 units
    per dispatch; drawn last from ``rng``.
    """
    n_ops, n_hw, n_cls = len(sizes), 3, 2
    op_start = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    n = int(op_start[-1])
    epoch_s = 86_400.0
    nf = np.zeros((7, n))
    nf[k.NF_OWN] = rng.uniform(0.0, 5e3, n)
    nf[k.NF_CAPEX] = rng.uniform(1e2, 5e3, n)
    nf[k.NF_CBUSY] = rng.uniform(1e-4, 2e-3, n)   # USD per busy second
    nf[k.NF_CIDLE] = rng.uniform(1e-5, 2e-4, n)   # USD per online second
    nf[k.NF_KBUSY] = rng.uniform(1e-4, 1e-3, n)
    nf[k.NF_KIDLE] = rng.uniform(1e-5, 1e-4, n)
    nf[k.NF_ONLINE] = rng.uniform(0.5, 1.0, n)
    ni = np.zeros((5, n), dtype=np.int64)
    ni[k.NI_OP] = np.repeat(np.arange(n_ops), sizes)
    ni[k.NI_HW] = rng.integers(0, n_hw, n)
    ni[k.NI_JOIN] = rng.integers(-2, n_epochs, n)
    ni[k.NI_LEAVE] = ni[k.NI_JOIN] + rng.integers(0, n_epochs + 2, n)
    ni[k.NI_LIFE] = rng.integers(1, n_epochs + 3, n)
    initial = rng.random(n_ops) < (0.2 if economy == "boom" else 0.7)
    initial[0] = True
    oi = np.zeros((4, n_ops), dtype=np.int64)
    oi[k.OI_CLASS] = rng.integers(0, 5, n_ops)
    oi[k.OI_AVAIL] = rng.integers(0, n_epochs, n_ops)
    oi[k.OI_INITIAL] = initial
    oi[k.OI_PATIENCE] = rng.integers(1, 3, n_ops)
    lag = int(rng.integers(1, 3))
    if economy == "boom":  # candidates available in the first epochs, on hardware with active peers
        if focus is None:
            oi[k.OI_AVAIL] = rng.integers(0, 3, n_ops)
        else:
            oi[k.OI_AVAIL] = np.maximum(focus - lag * rng.integers(0, 2, n_ops), 0)
        incumbents = np.flatnonzero(initial[ni[k.NI_OP]])
        ni[k.NI_HW] = np.where(initial[ni[k.NI_OP]], ni[k.NI_HW], ni[k.NI_HW, rng.choice(incumbents, n)])
    dep = rng.uniform(0.0, 40.0, (n_epochs + 3, n))
    if economy == "bust":
        dep = rng.uniform(1e3, 1e4, (n_epochs + 3, n))
        if focus is not None:  # loss streaks from epoch 0 reach the patience at focus
            oi[k.OI_PATIENCE] = focus + 1
    tap = np.array([1.0]) if taps == 1 else rng.dirichlet(np.ones(taps))
    exo = np.empty((n_epochs, 5))
    exo[:, 0] = rng.uniform(1e3, 1e5, n_epochs)
    exo[rng.random(n_epochs) < 0.1, 0] = 0.0  # an epoch without emission
    if economy == "boom":
        exo[:, 0] = rng.uniform(1e6, 1e7, n_epochs)
    elif economy == "bust":
        exo[:, 0] = rng.uniform(0.0, 1e2, n_epochs)
    exo[:, 1] = rng.uniform(0.0, 2e4, n_epochs)
    exo[:, 2] = exo[:, 1] * rng.uniform(0.0, 0.5, n_epochs)
    exo[:, 3] = rng.uniform(1e6, 1e7, n_epochs)
    exo[:, 4] = rng.uniform(1e6, 1e8, n_epochs)
    p = np.zeros(9)
    p[k.P_EPOCH_S], p[k.P_EPY] = epoch_s, 365.25
    p[k.P_K] = rng.uniform(0.1, 1.0) if capital else 0.0
    p[k.P_RYIELD], p[k.P_HURDLE] = rng.uniform(0.05, 0.2), rng.uniform(0.0, 0.1 if economy == "boom" else 0.5)
    p[k.P_DEPTH], p[k.P_DECAY] = rng.uniform(1e4, 1e6), rng.uniform(0.5, 1.0)
    p[k.P_BUY], p[k.P_FAKE_FRAC] = rng.uniform(0.0, 2e3), rng.uniform(0.05, 0.3)
    ip = np.zeros(8, dtype=np.int64)
    ip[k.I_CHURN], ip[k.I_AGEING], ip[k.I_IMPACT], ip[k.I_FAKE] = churn, ageing, impact, fake
    ip[k.I_ROUTING], ip[k.I_REPLAY], ip[k.I_LAG], ip[k.I_DELEGATE] = routing, replay, lag, delegate
    net = k.Static(nf, ni, oi, op_start, dep, tap, exo, np.zeros(n_hw), p, ip)

    mean_busy = rng.uniform(5.0, 60.0, (n_cls, n))
    eligible = (rng.random((n_cls, n)) < 0.8).astype(np.uint8)
    w_stake = np.where(eligible, rng.uniform(0.0, 1.0, (n_cls, n)), 0.0)
    w_cap = np.where(eligible, rng.uniform(0.1, 1.0, (n_cls, n)), 0.0)
    if routing == 1:  # stake only
        w_cap[:] = 0.0
    latency = np.full((n_cls, n), -1, dtype=np.int64)
    for c in range(n_cls):
        idx = np.flatnonzero(eligible[c])
        idx = idx[np.argsort(mean_busy[c, idx], kind="stable")]
        latency[c, :idx.size] = idx
    if replay:
        rep = rng.uniform(0.0, 1.0, (n_epochs, k.N_FEAT, n)) * 1e3
        rep[:, k.F_BUSY] = rng.uniform(0.0, 4e4, (n_epochs, n))
        rep[:, k.F_ONLINE] = rng.uniform(4e4, epoch_s, (n_epochs, n))
        rep[:, k.F_STAKE] = rng.uniform(0.0, 5e3, (n_epochs, n))
    else:
        rep = np.zeros((1, k.N_FEAT, 1))
    unit = rng.uniform(0.1, 10.0, (k.N_TASK, n_cls))
    if economy == "bust":  # fees below the upstream cost: the margin is negative
        unit[k.F_FEES] = unit[k.F_UP] * rng.uniform(0.0, 1.0, n_cls)
    router = k.Router(unit, mean_busy, w_stake, w_cap,
                      rng.uniform(0.0, 1.0, n_cls), eligible, latency, rep, EVERY, np.full(n, 1e4), np.zeros(n_cls),
                      np.array([0.0, -1.0, 0.0, float(routing != 2)]), np.zeros(n_cls), 1.0 / mean_busy)

    capacity = (epoch_s / mean_busy).sum(axis=1)  # units every node could take
    units = rng.uniform(0.0, 1.5, (n_runs, n_epochs, n_cls)) * capacity
    if fake:
        # No node fills up: a full node's free time is a rounding residue (~1e-11 s), its fake scale ~1e-16,
        # and its operator's choice to buy fake demand compares a gain and a cost that are both rounding noise
        # (a decision threshold; see test_payout_kernels). Each class then asks at most half the smallest
        # node's room.
        light = 0.5 * np.min(nf[k.NF_ONLINE] * epoch_s / mean_busy.max(axis=0)) / n_cls
        units = rng.uniform(0.0, 1.0, (n_runs, n_epochs, n_cls)) * light
    if replay:
        units[..., 0] = rng.uniform(0.8, 1.5, (n_runs, n_epochs))
    exit_after = np.where(rng.random((n_runs, n_ops)) < 0.3, rng.integers(1, 2 * n_epochs, (n_runs, n_ops)), k.NEVER)
    draws = k.Draws(units, rng.uniform(0.05, 1.0, (n_runs, n_epochs)), exit_after)

    theta = rng.uniform(0.0, 1.0, (n_epochs, len(NAMES))) * (rng.random((n_epochs, len(NAMES))) < 0.6)
    theta[:, NAMES.index("work")] += 0.1
    theta /= theta.sum(axis=1, keepdims=True)

    si = np.zeros((n_runs, 2, n), dtype=np.int64)
    so = np.zeros((n_runs, 5, n_ops), dtype=np.int64)
    for o in range(n_ops):
        nodes = slice(op_start[o], op_start[o + 1])
        if initial[o]:
            so[:, k.SO_STATUS, o] = k.ACTIVE
            joined = rng.integers(-4, 2, sizes[o])  # some nodes join a little later
            si[:, k.SI_JOINED, nodes] = joined
            if ageing and focus is not None and rng.random() < 0.5:  # its nodes reach their life at focus
                ni[k.NI_LIFE, nodes] = np.maximum(focus - joined, 1)
        else:
            so[:, k.SO_STATUS, o] = k.WAITING
            si[:, k.SI_JOINED, nodes] = k.NEVER
    si[:, k.SI_RETIRED] = rng.random((n_runs, n)) < 0.1
    so[:, k.SO_FAKE] = rng.random((n_runs, n_ops)) < 0.6
    sr = np.zeros((n_runs, k.N_SR))
    sr[:, k.SR_CIRC] = rng.uniform(1e6, 1e7, n_runs)
    sr[:, k.SR_RETAIL0] = float((initial & (oi[k.OI_CLASS] == 0)).sum())
    sr[:, k.SR_M] = rng.uniform(-0.1, 0.1, n_runs)
    st = k.State(np.zeros((n_runs, 2, n)), si, so, np.zeros((n_runs, n_ops)), np.zeros((n_runs, tap.size, n_ops + 1)),
                 sr, np.zeros((n_runs, 2, n_ops + 1), dtype=np.int64), np.zeros((k.N_FEAT, n_runs, n)))
    rec = k.Record(np.full((n_runs, n_epochs, k.N_MEASURES), np.nan),
                   np.zeros((5, n_runs, n_epochs, n) if keep else (5, 0, 0, 0)))
    if policy:
        on = rng.random(3) < 0.5 if policy is True else np.isin(LEVERS, policy)
        pol = router.policy.copy()
        pol[k.RP_CAP] = rng.uniform(0.2, 0.9) if on[0] else 0.0
        pol[k.RP_NEWCOMER] = rng.uniform(0.0, 6e3) if on[1] else -1.0
        pol[k.RP_RAMP] = float(rng.integers(1, 7))
        bundle = 10.0 ** rng.uniform(0.0, 4.0, n_cls)  # a bundle's busy time from seconds to beyond an epoch
        router = router._replace(rep=rng.uniform(0.0, 1e4, n), floor=rng.uniform(0.0, 5e3, n_cls), policy=pol,
                                 bundle=bundle if on[2] else np.zeros(n_cls))
    return net, router, draws, theta, st, rec


# ---------------------------------------------------------------- helpers
def clone(x):
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(clone(a) for a in x))
    if isinstance(x, tuple):
        return tuple(clone(a) for a in x)
    return x.copy() if isinstance(x, np.ndarray) else x


#: The axis along which a state array's rows are different quantities (each gets its own scale).
FIELD_AXIS = {"feat": 0, "sn": 1, "keep": 0}


def _close(a, b, what, axis=None, scale=None):
    """Integers exactly; floats within ``RTOL`` of the value plus ``RTOL`` of the quantity's largest magnitude
    (``scale``, or the array's largest, per row along ``axis`` when the rows are different quantities)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, what
    if a.dtype.kind in "iub" and b.dtype.kind in "iub":
        np.testing.assert_array_equal(a, b, err_msg=what)
        return
    a, b = a.astype(float), b.astype(float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"{what}: NaN pattern")
    if scale is None:
        mag = np.where(np.isfinite(a), np.abs(a), 0.0)
        if axis is None or a.ndim == 0 or a.size == 0:
            scale = mag.max(initial=0.0)
        else:
            others = tuple(d for d in range(a.ndim) if d != axis % a.ndim)
            scale = mag.max(axis=others, keepdims=True, initial=0.0)
    ok = np.isnan(a) | (np.abs(a - b) <= RTOL * np.abs(b) + RTOL * scale)
    assert ok.all(), f"{what}: {np.argwhere(~ok)[:5].tolist()} differ: {a[~ok][:5]} (kernel) vs {b[~ok][:5]} (oracle)"


#: Columns that are differences of other columns' quantities share their scale: reward-locked tokens
#: (paid - released, zero when rewards are liquid at once) with the supply, delegated (staked - own) with staked.
GROUPS = {"summary": ((k.M_LOCKED_REWARD, k.M_LOCKED, k.M_CIRC, k.M_UNALLOC_TOTAL), (k.M_DELEG, k.M_STAKED)),
          "sr": ((k.SR_CIRC, k.SR_LOCKED, k.SR_UNALLOC),)}


#: Measures that are fractions in [0, 1] (shares, concentration, coverage): 1e-12 absolute at least.
FRACTIONS = (k.M_RGINI, k.M_RHHI, k.M_SGINI, k.M_SHHI, k.M_RETAIL_SHARE, k.M_SURVIVAL, k.M_STAKE_SHARE,
             k.M_CAPITAL_SHARE, k.M_COMPUTE_SHARE, k.M_FAKE_SHARE, k.M_UNSERVED, k.M_RETAIL_COVER)


def _column_scale(x, groups):
    """Per last-axis column, its largest magnitude; the columns of a group share the group's largest;
    fractions have scale 1 at least."""
    scale = np.where(np.isfinite(x), np.abs(x), 0.0).max(axis=tuple(range(x.ndim - 1)), initial=0.0)
    for cols in groups:
        scale[list(cols)] = scale[list(cols)].max()
    if x.shape[-1] == k.N_MEASURES:
        scale[list(FRACTIONS)] = np.maximum(scale[list(FRACTIONS)], 1.0)
    else:  # the log price offset: 1e-12 absolute in log price is 1e-12 relative in price
        scale[k.SR_M] = max(scale[k.SR_M], 1.0)
    return scale


def same(a, b, what="value", axis=None):
    """Equal to tolerance, recursively through (named) tuples."""
    if isinstance(a, tuple) and hasattr(a, "_fields"):
        for name, x, y in zip(a._fields, a, b):
            if name in GROUPS:
                _close(x, y, f"{what}.{name}", scale=_column_scale(x, GROUPS[name]))
            else:
                same(x, y, f"{what}.{name}", FIELD_AXIS.get(name))
    elif isinstance(a, tuple):
        for j, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{what}[{j}]")
    else:
        _close(a, b, what, axis)


def advance(world, epochs):
    """The world after ``epochs`` epochs of the fast path (kernel), with the draws of the next epoch on."""
    net, router, draws, theta, st, rec = clone(world)
    if epochs > 0:
        head = k.Draws(np.ascontiguousarray(draws.units[:, :epochs]), np.ascontiguousarray(draws.price_exo[:, :epochs]),
                       draws.exit_after)
        epoch.run_fast(net, router._replace(need=EVERY), head, theta, COMP_FIELD, st, rec)
    return net, router, draws, theta, st, rec


def both(kernel, oracle, args, mutable, ops=None, rows=(), result_scale=None):
    """Run ``kernel`` and ``oracle`` on separate copies and compare the results and the arguments ``mutable``
    (positions); returns both copies of the arguments. ``ops``: position of a per-operator scratch whose
    buffer row (scratch, no meaning between calls) is not compared; ``rows``: positions of arrays whose rows
    (axis 0) are different quantities; ``result_scale``: the scale of a scalar result (``_close``)."""
    ka, oa = clone(args), clone(args)
    kr, orr = kernel(*ka), oracle(*oa)
    if ops is not None:
        ka[ops][k.OP_BUF] = oa[ops][k.OP_BUF] = 0.0
    if result_scale is None:
        same(kr, orr, f"{kernel.__name__} result")
    else:
        _close(kr, orr, f"{kernel.__name__} result", scale=result_scale)
    for j in mutable:
        same(ka[j], oa[j], f"{kernel.__name__} argument {j}", 0 if j in rows else None)
    return ka, oa


def ready(world, t, r=0):
    """Run ``r`` at epoch ``t`` after begin, features and the Linear rule (kernels): the inputs of settlement."""
    net, router, draws, theta, st, rec = advance(world, t)
    n = net.nf.shape[1]
    act = np.empty(n, dtype=np.int64)
    own, count = market.begin(t, r, net, draws, st, act)
    act = act[:count]
    prc = price.epoch_price(t, r, draws.price_exo, st.sr)
    lost = market.features(t, r, net, router._replace(need=EVERY), draws, st, act, np.arange(n), np.zeros(n),
                           np.empty(n), np.empty(n), np.empty(n, dtype=np.int64))
    rewards, spart = np.zeros(n), np.zeros(n)
    unallocated = payout.linear(theta[t], COMP_FIELD, st.feat, r, act, net.exo[t, 0], rewards, spart)
    pay = k.Payout(rewards, spart, unallocated, own, lost, 0.0, 0, prc)
    return net, router, draws, theta, st, rec, pay, act


# ---------------------------------------------------------------- churn branches
def entry_weighed(t, r, net, so, peer):
    """Whether ``churn.decide`` at ``t`` weighs a candidate's entry against the hurdle (its hardware has peers)."""
    for o in range(net.op_start.size - 1):
        hw = net.ni[k.NI_HW, net.op_start[o]:net.op_start[o + 1]]
        if so[r, k.SO_STATUS, o] == k.WAITING and net.oi[k.OI_AVAIL, o] <= t and (peer[2, hw] > 0).all():
            return True
    return False


def record_churn(net, before, after, weighed=None):
    """``hypothesis.event`` for every branch of ``market.begin`` / ``churn.decide`` taken from the state ``before``
    to ``after`` (their counters, retired nodes and statuses; ``--hypothesis-show-statistics`` shows the rates);
    ``weighed``: whether a candidate's entry was weighed (:func:`entry_weighed`)."""
    if not net.ip[k.I_CHURN]:
        event("churn off")
        return
    grew = after.sr - before.sr
    status = before.so[:, k.SO_STATUS], after.so[:, k.SO_STATUS]
    reached = {
        "begin: a pending operator joins": (grew[:, k.SR_ENTRIES] > 0).any(),
        "begin: exogenous exit": (grew[:, k.SR_EXIT_HAZARD] > 0).any(),
        "begin: a node retires": (after.si[:, k.SI_RETIRED] > before.si[:, k.SI_RETIRED]).any(),
        "begin: an operator leaves, its nodes retired": (grew[:, k.SR_EXIT_RETIRED] > 0).any(),
        "decide: entry weighed": weighed,
        "decide: a candidate enters (pending)": ((status[0] == k.WAITING) & (status[1] != k.WAITING)).any(),
        "decide: loss exit": (grew[:, k.SR_EXIT_LOSS] > 0).any(),
    }
    event("churn on")
    for name, hit in reached.items():
        if hit:
            event(f"churn on, {name}")


def forced(branch):
    """A one-run, six-epoch world (churn on, no exogenous exit) that takes ``branch`` for sure.

    ``"entry"``: a boom; operators 0 and 1 run from epoch 0, candidate 2 (available at once, on node 0's
    hardware) decides to enter at epoch 0 and joins at 1. ``"loss exit"``: a bust without fees; every operator
    loses from epoch 0 and, with patience 1, leaves at the end of it. ``"retirement"``: ageing; operator 0's
    nodes reach their life of 1 epoch at epoch 1, retire, and it leaves.
    """
    economy = {"entry": "boom", "loss exit": "bust"}.get(branch, "drawn")
    net, router, draws, theta, st, rec = build(
        np.random.default_rng(7), 1, 6, [2, 2, 1], churn=True, ageing=branch == "retirement", impact=False,
        fake=False, capital=False, replay=False, routing=0, taps=1, delegate=0, keep=False, economy=economy)
    initial = np.array([True, True, branch != "entry"])
    of = net.ni[k.NI_OP]
    net.oi[k.OI_INITIAL], net.oi[k.OI_AVAIL] = initial, 0
    net.oi[k.OI_PATIENCE] = 1 if branch == "loss exit" else 10
    net.ip[k.I_LAG] = 1
    net.ni[k.NI_HW, of == 2] = net.ni[k.NI_HW, 0]
    net.ni[k.NI_LIFE] = np.where((of == 0) & (branch == "retirement"), 1, 10)
    if branch == "loss exit":
        router.unit[k.F_FEES] = 0.0
    draws.exit_after[:] = k.NEVER
    st.so[:, k.SO_STATUS] = np.where(initial, k.ACTIVE, k.WAITING)
    st.si[:, k.SI_JOINED] = np.where(initial[of], 0, k.NEVER)
    st.si[:, k.SI_RETIRED] = 0
    st.sr[:, k.SR_RETAIL0] = float((initial & (net.oi[k.OI_CLASS] == 0)).sum())
    return net, router, draws, theta, st, rec


FORCED = {branch: forced(branch) for branch in ("entry", "loss exit", "retirement")}


def test_forced_worlds_take_their_branch():
    for branch, counter, count in (("entry", k.SR_ENTRIES, 1), ("loss exit", k.SR_EXIT_LOSS, 3),
                                   ("retirement", k.SR_EXIT_RETIRED, 1)):
        net, router, draws, theta, st, rec = clone(FORCED[branch])
        head = k.Draws(draws.units[:, :2].copy(), draws.price_exo[:, :2].copy(), draws.exit_after)
        epoch.run_fast(net, router._replace(need=EVERY), head, theta, COMP_FIELD, st, rec)
        assert st.sr[0, counter] == count, branch  # within epochs 0-1
        if branch == "entry":
            assert (st.so[0, k.SO_STATUS] == k.ACTIVE).all()


# ---------------------------------------------------------------- market
@compares("sim.market.begin")
@given(steps())
@example((FORCED["entry"], 1)).via("a pending operator joins")
@example((FORCED["retirement"], 1)).via("an operator's nodes retire")
@example((FORCED["loss exit"], 1)).via("every operator left at a loss")
def test_begin(case):
    world, t = case
    net, router, draws, theta, st, rec = advance(world, t)
    for r in range(draws.units.shape[0]):
        ka, _ = both(market.begin, naive.begin, (t, r, net, draws, st, np.full(net.nf.shape[1], -1, dtype=np.int64)),
                     (4, 5))
        record_churn(net, st, ka[4])


@compares("sim.market.features")
@given(steps())
def test_features(case):
    world, t = case
    net, router, draws, theta, st, rec = advance(world, t)
    n = net.nf.shape[1]
    act = np.empty(n, dtype=np.int64)
    count = market.begin(t, 0, net, draws, st, act)[1]
    bufs = (np.zeros(n), np.empty(n), np.empty(n), np.empty(n, dtype=np.int64))
    demand_work = draws.units[0, t] @ router.unit[k.F_WORK]  # unserved work is demand less placed work
    both(market.features, naive.features, (t, 0, net, router, draws, st, act[:count], np.arange(n)) + bufs, (5,),
         result_scale=demand_work)


@pytest.mark.parametrize("lever", LEVERS)
def test_features_under_each_routing_lever(lever):
    """Each routing lever alone, on fixed networks (nodes joining later are newcomers) and with churn, every
    routing mode: the kernel equals the oracle, and the lever changes the placement in some worlds."""
    changed = 0
    for seed in range(48):
        rng = np.random.default_rng([seed, LEVERS.index(lever)])
        world = build(rng, 1, 7, [2, 3, 2], churn=seed % 2 == 1, ageing=False, impact=False, fake=False,
                      capital=False, replay=False, routing=seed % 4, taps=1, delegate=0, keep=False, policy=(lever,))
        off = world[1]._replace(policy=np.array([0.0, -1.0, 0.0, float(seed % 4 != 2)]),
                                bundle=np.zeros(world[1].bundle.size))
        n = world[0].nf.shape[1]
        for t in range(1, 6):
            net, router, draws, theta, st, rec = advance(world, t)
            act = np.empty(n, dtype=np.int64)
            count = market.begin(t, 0, net, draws, st, act)[1]
            got = []
            for rt in (router, off):
                bufs = (np.zeros(n), np.empty(n), np.empty(n), np.empty(n, dtype=np.int64))
                args = (t, 0, net, rt._replace(need=EVERY), draws, st, act[:count], np.arange(n)) + bufs
                ka, _ = both(market.features, naive.features, args, (5,), result_scale=draws.units[0, t] @ rt.unit[
                    k.F_WORK])
                got.append(ka[5].feat[:, 0])
            changed += not np.array_equal(got[0], got[1])
    assert changed >= 10, changed


# ---------------------------------------------------------------- payout
@compares("sim.payout.linear", "sim.payout.fake_scale", "sim.payout.fake_variant", "sim.payout.linear_trial",
          "sim.payout.choose_fakes")
@given(steps())
def test_payout_kernels(case):
    world, t = case
    net, router, draws, theta, st, rec, pay, act = ready(world, t)
    feat, so, n, r = st.feat, st.so, net.nf.shape[1], 0
    e = net.exo[t, 0]
    both(payout.linear, naive.linear, (theta[t], COMP_FIELD, feat, r, act, e, np.zeros(n), np.zeros(n)), (6, 7))
    scale = np.zeros(n)
    payout.fake_scale(r, net.op_start, net.p, so, feat, scale)
    # keep away from the buy threshold: a node the router filled has a fake scale of rounding size (~1e-16),
    # where gain and cost of buying are both rounding noise; such nodes do not buy here
    scale[scale < 1e-9] = 0.0
    both(payout.fake_scale, naive.fake_scale, (r, net.op_start, net.p, so, feat, np.ones(n)), (5,))
    both(payout.fake_variant, naive.fake_variant, (r, net.nf, scale, feat, np.zeros_like(feat)), (4,))
    both(payout.linear_trial, naive.linear_trial, (theta[t], COMP_FIELD, feat, r, act, e, scale, np.zeros(n)), (7,))
    base, trial = np.zeros(n), np.zeros(n)
    payout.linear(theta[t], COMP_FIELD, feat, r, act, e, base, np.zeros(n))
    payout.linear_trial(theta[t], COMP_FIELD, feat, r, act, e, scale, trial)
    both(payout.choose_fakes, naive.choose_fakes, (r, net.nf, net.op_start, pay.price, so, feat, scale, base, trial),
         (5,))


# ---------------------------------------------------------------- settlement steps
@compares("sim.economics.operator_margins", "sim.sales.vest_and_sell", "sim.price.impact", "sim.price.epoch_price",
          "sim.summary.summary_row", "sim.churn.decide", "sim.settle.settle")
@given(steps())
@example((FORCED["entry"], 0)).via("a candidate decides to enter")
@example((FORCED["loss exit"], 0)).via("loss exits")
def test_settlement_steps(case):
    world, t = case
    net, router, draws, theta, st, rec, pay, act = ready(world, t)
    before = clone((st, rec))
    r = 0
    n_ops = net.op_start.size - 1
    ops = np.zeros((k.N_OPS_ROWS, n_ops + 1))
    peer, tally = np.zeros((3, net.hw_count.size)), np.zeros(k.N_TALLY)
    ka, _ = both(economics.operator_margins, naive.operator_margins,
                 (t, r, net, st, pay.rewards, pay.stake_part, pay.price, act, ops, peer, tally), (3, 8, 9, 10),
                 rows=(8, 9))
    st, ops, peer, tally = ka[3], ka[8], ka[9], ka[10]  # the kernel's, as the next step's input
    ka, _ = both(sales.vest_and_sell, naive.vest_and_sell, (t, r, net, st, pay.unallocated, pay.price, ops, tally),
                 (3, 7), rows=(6,))
    st, tally = ka[3], ka[7]
    both(price.impact, naive.impact, (t, r, net, st.sr, pay.price, tally[k.T_SOLD]), (3,))
    both(price.epoch_price, naive.epoch_price, (t, r, draws.price_exo, st.sr), ())
    ka, _ = both(summary.summary_row, naive.summary_row, (t, r, net, st, rec, pay, ops, tally), (3, 4, 6),
                 ops=6, rows=(6,))
    ka, _ = both(churn.decide, naive.decide, (t, r, net, st.so, st.sr, ops[k.OP_MARGIN], ops[k.OP_LIVE], peer),
                 (3, 4))
    record_churn(net, st, st._replace(so=ka[3], sr=ka[4]), weighed=entry_weighed(t, r, net, st.so, peer))
    st, rec = before
    both(settle.settle, naive.settle, (t, r, net, st, rec, pay, np.zeros((k.N_OPS_ROWS, n_ops + 1)), act), (3, 4, 6),
         ops=6, rows=(6,))


# ---------------------------------------------------------------- whole epochs
@compares("sim.epoch.stage_begin", "sim.epoch.stage_choose", "sim.epoch.stage_settle")
@given(steps())
@example((FORCED["entry"], 0)).via("a candidate decides to enter")
@example((FORCED["entry"], 1)).via("a pending operator joins")
@example((FORCED["loss exit"], 0)).via("loss exits")
@example((FORCED["retirement"], 1)).via("an operator's nodes retire")
def test_general_path_epoch(case):
    """One full epoch of the general path, stage_begin -> stage_choose -> stage_settle, every run, switches drawn
    (churn, capital, price impact, sales through vesting, fake demand)."""
    world, t = case
    net, router, draws, theta, st, rec = advance(world, t)
    rc, n = draws.units.shape[0], net.nf.shape[1]

    def outputs():
        return (np.zeros((k.N_FEAT, rc, n)), np.zeros((rc, n)), np.zeros(rc), np.zeros(rc), np.zeros(rc))

    results = []
    for mod in (epoch, naive):
        s, rc_ = clone(st), clone(rec)
        fake, scale, own, lost, prices = outputs()
        mod.stage_begin(t, net, router, draws, s, fake, scale, own, lost, prices)
        linear = payout.linear if mod is epoch else naive.linear
        base, trial, spart = np.zeros((rc, n)), np.zeros((rc, n)), np.zeros((rc, n))
        unallocated = np.zeros(rc)
        for r in range(rc):
            act = np.flatnonzero(s.sn[r, k.SN_ACTIVE] > 0)
            linear(theta[t], COMP_FIELD, s.feat, r, act, net.exo[t, 0], base[r], spart[r])
            if net.ip[k.I_FAKE]:
                linear(theta[t], COMP_FIELD, fake, r, act, net.exo[t, 0], trial[r], np.zeros(n))
        buying, fake_work = np.zeros(rc, dtype=np.int64), np.zeros(rc)
        if net.ip[k.I_FAKE]:
            mod.stage_choose(net, s, scale, base, trial, prices, buying, fake_work)
        for r in range(rc):
            act = np.flatnonzero(s.sn[r, k.SN_ACTIVE] > 0)
            unallocated[r] = linear(theta[t], COMP_FIELD, s.feat, r, act, net.exo[t, 0], base[r], spart[r])
        mod.stage_settle(t, net, s, rc_, base, spart, unallocated, own, lost, fake_work, buying, prices)
        results.append(((s, rc_, fake, scale, own, prices, buying, fake_work), lost))
    same(results[0][0], results[1][0], "general path epoch")
    record_churn(net, st, results[0][0][0])
    demand_work = draws.units[:, t] @ router.unit[k.F_WORK]  # unserved work is demand less placed work
    _close(results[0][1], results[1][1], "general path unserved work", scale=demand_work)


@compares("sim.epoch.run_fast")
@given(worlds(runs=(1, 3), epochs=(3, 7)))
@example(FORCED["entry"]).via("a candidate decides to enter, joins")
@example(FORCED["loss exit"]).via("loss exits")
@example(FORCED["retirement"]).via("an operator's nodes retire")
def test_run_fast(world):
    """Every epoch of every run of the fast path against the oracles' composition, every mechanism drawn."""
    net, router, draws, theta, st, rec = world
    args = (net, router, draws, theta, COMP_FIELD, st, rec)
    ka, _ = both(epoch.run_fast, naive.run_fast, args, (5, 6))
    record_churn(net, st, ka[5])
