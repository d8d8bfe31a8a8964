"""Layout of the simulator's arrays: feature, state and parameter rows, the summary measures, and the
named tuples of arrays the kernels pass around.

Public through :func:`fairshare.simulate` (``MEASURES``). The kernels (:mod:`.market`, :mod:`.payout`,
:mod:`.economics`, :mod:`.sales`, :mod:`.price`, :mod:`.summary`, :mod:`.churn`, :mod:`.settle`,
:mod:`.epoch`) index their packed arrays with these names; :mod:`fairshare.simulation.run` fills the
arrays in the same order and groups them into :class:`Static`, :class:`Router`, :class:`Draws`,
:class:`State` and :class:`Record` (numba takes named tuples of arrays as arguments). Shapes: R runs,
N nodes, O operators, E epochs, V vesting taps, C traffic classes, H hardware codes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "ACTIVE", "F_ACTIVE", "F_BUSY", "F_ENERGY", "F_FEES", "F_IN", "F_LARGE", "F_ONLINE", "F_OUT", "F_REQ",
    "F_ROWS", "F_SMALL", "F_STAKE", "F_TEE", "F_UP", "F_VAN", "F_WORK", "F_ZK", "GONE", "I_AGEING", "I_CHURN",
    "I_DELEGATE", "N_OPS_ROWS", "N_TALLY", "OP_BILLS", "OP_BUF", "OP_GRANT", "OP_LIVE", "OP_MARGIN", "OP_MARK",
    "OP_STAKE", "OP_TOK", "T_ALL_TOK", "T_CAPITAL", "T_COVERED", "T_FEES", "T_LIVE", "T_OPS0", "T_RELEASED",
    "T_RETAIL_MARGIN", "T_RETAIL_TOK", "T_SOLD", "T_SPART", "T_STAKED", "T_SURVIVORS", "T_WORK",
    "Draws", "Payout", "Record", "Router", "State", "Static",
    "I_FAKE", "I_IMPACT", "I_LAG", "I_REPLAY", "I_ROUTING", "LEFT", "MEASURES",
    "M_CAPITAL_SHARE", "M_CIRC", "M_COMPUTE_SHARE", "M_DELEG", "M_EMISSION", "M_ENTRIES", "M_EXIT_HAZARD",
    "M_EXIT_LOSS", "M_EXIT_RETIRED", "M_FAKERS", "M_FAKE_SHARE", "M_FAKE_WORK", "M_FEES", "M_LOCKED",
    "M_LOCKED_REWARD", "M_OPS", "M_OPS0", "M_OPS1", "M_OPS2", "M_OPS3", "M_OPS4", "M_OP_SOLD", "M_PAID",
    "M_POOL", "M_PRICE", "M_RELEASED", "M_RETAIL_COVER", "M_RETAIL_MARGIN", "M_RETAIL_SHARE", "M_RGINI",
    "M_RHHI", "M_RNAK", "M_SELL", "M_SGINI", "M_SHHI", "M_SNAK", "M_STAKED", "M_STAKE_SHARE", "M_SURVIVAL",
    "M_UNALLOC", "M_UNALLOC_TOTAL", "M_UNLOCKED", "M_UNLOCK_SOLD", "M_UNSERVED", "M_WORK", "M_YIELD", "NEVER",
    "NF_CAPEX", "NF_CBUSY", "NF_CIDLE", "NF_KBUSY", "NF_KIDLE", "NF_ONLINE", "NF_OWN", "NI_HW", "NI_JOIN",
    "NI_LEAVE", "NI_LIFE", "NI_OP", "N_FEAT", "N_MEASURES", "N_SR", "N_TASK", "OI_AVAIL", "OI_CLASS",
    "OI_INITIAL", "OI_PATIENCE", "PENDING", "P_BUY", "P_DECAY", "P_DEPTH", "P_EPOCH_S", "P_EPY", "P_FAKE_FRAC",
    "P_HURDLE", "P_K", "P_RYIELD", "ROUTE_LATENCY",
    "RP_CAP", "RP_NEWCOMER", "RP_RAMP", "RP_REPCAP", "N_POLICY", "SI_JOINED", "SI_RETIRED", "SN_ACTIVE",
    "SN_DELEG", "SO_FAKE", "SO_PEND", "SO_SINCE", "SO_STATUS", "SO_STREAK", "SR_CIRC", "SR_DELEG", "SR_ENTRIES",
    "SR_EXIT_HAZARD", "SR_EXIT_LOSS", "SR_EXIT_RETIRED", "SR_LOCKED", "SR_M", "SR_RETAIL0", "SR_SPART",
    "SR_STAKE", "SR_UNALLOC", "WAITING",
]


# ---------------------------------------------------------------- feature rows (features.QUANTITIES)
F_REQ, F_ROWS, F_IN, F_OUT, F_WORK, F_BUSY, F_FEES, F_UP = 0, 1, 2, 3, 4, 5, 6, 7
F_VAN, F_TEE, F_ZK, F_SMALL, F_LARGE = 8, 9, 10, 11, 12
F_ONLINE, F_ENERGY, F_STAKE, F_ACTIVE = 13, 14, 15, 16
N_FEAT = 17
N_TASK = 13  # the task-log fields, scaled by demand growth and by fake demand

# ---------------------------------------------------------------- static node rows
NF_OWN, NF_CAPEX, NF_CBUSY, NF_CIDLE, NF_KBUSY, NF_KIDLE, NF_ONLINE = 0, 1, 2, 3, 4, 5, 6
NI_OP, NI_HW, NI_JOIN, NI_LEAVE, NI_LIFE = 0, 1, 2, 3, 4
OI_CLASS, OI_AVAIL, OI_INITIAL, OI_PATIENCE = 0, 1, 2, 3
#: ``SI_JOINED`` of a node not (yet) scheduled to join.
NEVER = 1 << 60

# ---------------------------------------------------------------- state rows
SN_DELEG, SN_ACTIVE = 0, 1
SI_JOINED, SI_RETIRED = 0, 1
SO_STATUS, SO_STREAK, SO_PEND, SO_SINCE, SO_FAKE = 0, 1, 2, 3, 4
WAITING, PENDING, ACTIVE, LEFT, GONE = 0, 1, 2, 3, 4
SR_M, SR_CIRC, SR_LOCKED, SR_UNALLOC, SR_SPART, SR_STAKE, SR_DELEG, SR_ENTRIES = 0, 1, 2, 3, 4, 5, 6, 7
SR_EXIT_LOSS, SR_EXIT_HAZARD, SR_EXIT_RETIRED, SR_RETAIL0 = 8, 9, 10, 11
N_SR = 12

# ---------------------------------------------------------------- scalar parameters
P_EPOCH_S, P_EPY, P_K, P_RYIELD, P_HURDLE, P_DEPTH, P_DECAY, P_BUY, P_FAKE_FRAC = 0, 1, 2, 3, 4, 5, 6, 7, 8
I_CHURN, I_AGEING, I_IMPACT, I_FAKE, I_ROUTING, I_REPLAY, I_LAG, I_DELEGATE = 0, 1, 2, 3, 4, 5, 6, 7
ROUTE_LATENCY = 3
#: Routing policy entries: node cap (share of a class's epoch demand; 0: none), a new node's standing (< 0:
#: no cold start), epochs to earn its own score, and whether the capacity draw is reputation weighted (1) or
#: not (0, ``routing="uniform"``).
RP_CAP, RP_NEWCOMER, RP_RAMP, RP_REPCAP = 0, 1, 2, 3
N_POLICY = 4

# ---------------------------------------------------------------- summary measures
MEASURES = (
    "reward_gini", "reward_hhi", "reward_nakamoto", "stake_gini", "stake_hhi", "stake_nakamoto",
    "retail_share", "retail_survival", "operators", "operators_retail", "operators_home",
    "operators_colocation", "operators_datacenter", "operators_proxy", "entries", "exits_loss",
    "exits_hazard", "exits_retired", "price_usd", "emission_tokens", "paid_tokens", "unallocated_tokens",
    "circulating_tokens", "locked_tokens", "pool_tokens", "unallocated_total_tokens", "unlocked_tokens",
    "released_reward_tokens", "sell_pressure_tokens", "operator_sold_tokens", "unlock_sold_tokens",
    "staked_tokens", "delegated_tokens", "staking_yield", "stake_driven_share", "capital_share",
    "compute_share", "fake_work_units", "fake_work_share", "fakers_buying", "work_units", "fees_usd",
    "unserved_work_share", "retail_coverage", "retail_margin_usd", "locked_reward_tokens",
)
(M_RGINI, M_RHHI, M_RNAK, M_SGINI, M_SHHI, M_SNAK, M_RETAIL_SHARE, M_SURVIVAL, M_OPS, M_OPS0, M_OPS1, M_OPS2,
 M_OPS3, M_OPS4, M_ENTRIES, M_EXIT_LOSS, M_EXIT_HAZARD, M_EXIT_RETIRED, M_PRICE, M_EMISSION, M_PAID,
 M_UNALLOC, M_CIRC, M_LOCKED, M_POOL, M_UNALLOC_TOTAL, M_UNLOCKED, M_RELEASED, M_SELL, M_OP_SOLD,
 M_UNLOCK_SOLD, M_STAKED, M_DELEG, M_YIELD, M_STAKE_SHARE, M_CAPITAL_SHARE, M_COMPUTE_SHARE, M_FAKE_WORK,
 M_FAKE_SHARE, M_FAKERS, M_WORK, M_FEES, M_UNSERVED, M_RETAIL_COVER, M_RETAIL_MARGIN,
 M_LOCKED_REWARD) = range(len(MEASURES))
N_MEASURES = len(MEASURES)

# ---------------------------------------------------------------- settlement scratch
#: Rows of the per-operator scratch ``ops`` ``(N_OPS_ROWS, O + 1)`` of one run: rewards (tokens), stake,
#: margin (USD), liveness (1.0 when the operator had an active node), the rewards it keeps (tokens, after
#: delegators' cut), its bills (USD), then a buffer and a marker row (all zero between calls) for the
#: concentration measures.
OP_TOK, OP_STAKE, OP_MARGIN, OP_LIVE, OP_GRANT, OP_BILLS, OP_BUF, OP_MARK = 0, 1, 2, 3, 4, 5, 6, 7
N_OPS_ROWS = 8
#: Entries of the epoch's ``tally`` ``(N_TALLY,)``: delegators' cut, stake-driven rewards, bonded stake,
#: work, fees, released and sold tokens, retail and all rewards, retail operators covering their costs,
#: retail margin, surviving initial retail operators, live operators, then live operators by class
#: (``T_OPS0 + class``, 5 classes).
(T_CAPITAL, T_SPART, T_STAKED, T_WORK, T_FEES, T_RELEASED, T_SOLD, T_RETAIL_TOK, T_ALL_TOK, T_COVERED,
 T_RETAIL_MARGIN, T_SURVIVORS, T_LIVE, T_OPS0) = range(14)
N_TALLY = T_OPS0 + 5


# ---------------------------------------------------------------- named tuples of arrays
class Static(NamedTuple):
    """What every run reads and none writes: the network, the token calendar and the parameters."""

    nf: np.ndarray        #: ``(7, N)`` float node rows ``NF_*``
    ni: np.ndarray        #: ``(5, N)`` int node rows ``NI_*``
    oi: np.ndarray        #: ``(4, O)`` int operator rows ``OI_*``
    op_start: np.ndarray  #: ``(O + 1,)`` operator ``o`` owns nodes ``op_start[o]:op_start[o + 1]``
    dep: np.ndarray       #: ``(A, N)`` depreciation (USD per epoch) by age in epochs
    taps: np.ndarray      #: ``(V,)`` share of an epoch's rewards released ``a`` epochs later
    exo: np.ndarray       #: ``(E, 5)`` emission, unlocked, unlock sold, pool, bucket-locked tokens
    hw_count: np.ndarray  #: ``(H,)`` one slot per hardware code
    p: np.ndarray         #: ``(9,)`` float parameters ``P_*``
    ip: np.ndarray        #: ``(8,)`` int switches ``I_*``


class Router(NamedTuple):
    """Demand placement inputs, the same for every run (the built-in router's, or the replayed work)."""

    unit: np.ndarray           #: ``(N_TASK, C)`` task fields per unit of a class
    mean_busy: np.ndarray      #: ``(C, N)`` busy seconds per unit
    w_stake: np.ndarray        #: ``(C, N)`` stake weight of the selection lottery
    w_cap: np.ndarray          #: ``(C, N)`` capacity (reputation) weight of the lottery
    rshare: np.ndarray         #: ``(C,)`` share of the capacity weight
    eligible: np.ndarray       #: ``(C, N)`` uint8: class ``c`` may go to node ``i``
    latency_order: np.ndarray  #: ``(C, N)`` nodes fastest first, -1 padded
    replay: np.ndarray         #: ``(E, N_FEAT, N)`` replayed features (replay mode)
    need: np.ndarray           #: task fields to compute
    rep: np.ndarray            #: ``(N,)`` each node's own reputation score (cold start)
    floor: np.ndarray          #: ``(C,)`` reputation floor of each class, compared with a node's standing
    policy: np.ndarray         #: ``(N_POLICY,)`` routing policy ``RP_*``
    bundle: np.ndarray         #: ``(C,)`` units per dispatch under a minimum pay (0: no floor)
    inv_busy: np.ndarray       #: ``(C, N)`` units per busy second, ``1 / mean_busy`` (0 where not finite)


class Draws(NamedTuple):
    """Each run's random inputs."""

    units: np.ndarray       #: ``(R, E, C)`` demand units
    price_exo: np.ndarray   #: ``(R, E)`` exogenous price (USD)
    exit_after: np.ndarray  #: ``(R, O)`` epochs active before an exogenous exit


class State(NamedTuple):
    """Each run's state, updated in place epoch after epoch."""

    sn: np.ndarray      #: ``(R, 2, N)`` float node state ``SN_*``
    si: np.ndarray      #: ``(R, 2, N)`` int node state ``SI_*``
    so: np.ndarray      #: ``(R, 5, O)`` int operator state ``SO_*``
    liquid: np.ndarray  #: ``(R, O)`` operators' liquid tokens
    ring: np.ndarray    #: ``(R, V, O + 1)`` rewards kept in the last ``V`` epochs (last column: delegators')
    sr: np.ndarray      #: ``(R, N_SR)`` run scalars ``SR_*``
    orders: np.ndarray  #: ``(R, 2, O + 1)`` live operators by rewards and by stake; last slot: how many
    feat: np.ndarray    #: ``(N_FEAT, R, N)`` the epoch's features


class Record(NamedTuple):
    """What the simulator keeps."""

    summary: np.ndarray  #: ``(R, E, N_MEASURES)`` measures per run and epoch
    keep: np.ndarray     #: ``(5, R, E, N)`` per-node state, or ``(5, 0, 0, 0)``


class Payout(NamedTuple):
    """One run's epoch as settlement reads it: the rule's payout and the market step's scalars."""

    rewards: np.ndarray     #: ``(N,)`` tokens per node
    stake_part: np.ndarray  #: ``(N,)`` the stake component's part of ``rewards``
    unallocated: float      #: emission the rule left unallocated (tokens)
    own: float              #: operators' own stake bonded (tokens)
    lost: float             #: unserved work units
    fake_work: float        #: fake work units bought
    buying: int             #: operators buying fake demand
    price: float            #: the epoch's price (USD)
