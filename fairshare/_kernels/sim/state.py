"""Layout of the simulator's arrays: feature, state and parameter rows, and the summary measures.

Public through :func:`fairshare.simulate` (``MEASURES``). The kernels (:mod:`._simulate_market`,
:mod:`._simulate_payout`, :mod:`._simulate_settle`, :mod:`._simulate_kernel`) index their packed
arrays with these names; :mod:`._simulate_run` fills the arrays in the same order.
"""

from __future__ import annotations

__all__ = [
    "ACTIVE", "F_ACTIVE", "F_BUSY", "F_ENERGY", "F_FEES", "F_IN", "F_LARGE", "F_ONLINE", "F_OUT", "F_REQ",
    "F_ROWS", "F_SMALL", "F_STAKE", "F_TEE", "F_UP", "F_VAN", "F_WORK", "F_ZK", "GONE", "I_AGEING", "I_CHURN",
    "I_DELEGATE", "I_FAKE", "I_IMPACT", "I_LAG", "I_REPLAY", "I_ROUTING", "LEFT", "MEASURES",
    "M_CAPITAL_SHARE", "M_CIRC", "M_COMPUTE_SHARE", "M_DELEG", "M_EMISSION", "M_ENTRIES", "M_EXIT_HAZARD",
    "M_EXIT_LOSS", "M_EXIT_RETIRED", "M_FAKERS", "M_FAKE_SHARE", "M_FAKE_WORK", "M_FEES", "M_LOCKED",
    "M_LOCKED_REWARD", "M_OPS", "M_OPS0", "M_OPS1", "M_OPS2", "M_OPS3", "M_OPS4", "M_OP_SOLD", "M_PAID",
    "M_POOL", "M_PRICE", "M_RELEASED", "M_RETAIL_COVER", "M_RETAIL_MARGIN", "M_RETAIL_SHARE", "M_RGINI",
    "M_RHHI", "M_RNAK", "M_SELL", "M_SGINI", "M_SHHI", "M_SNAK", "M_STAKED", "M_STAKE_SHARE", "M_SURVIVAL",
    "M_UNALLOC", "M_UNALLOC_TOTAL", "M_UNLOCKED", "M_UNLOCK_SOLD", "M_UNSERVED", "M_WORK", "M_YIELD", "NEVER",
    "NF_CAPEX", "NF_CBUSY", "NF_CIDLE", "NF_KBUSY", "NF_KIDLE", "NF_ONLINE", "NF_OWN", "NI_HW", "NI_JOIN",
    "NI_LEAVE", "NI_LIFE", "NI_OP", "N_FEAT", "N_MEASURES", "N_SR", "N_TASK", "OI_AVAIL", "OI_CLASS",
    "OI_INITIAL", "OI_PATIENCE", "PENDING", "P_BUY", "P_DECAY", "P_DEPTH", "P_EPOCH_S", "P_EPY", "P_FAKE_FRAC",
    "P_HURDLE", "P_K", "P_RYIELD", "ROUTE_LATENCY", "SI_JOINED", "SI_RETIRED", "SN_ACTIVE",
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
