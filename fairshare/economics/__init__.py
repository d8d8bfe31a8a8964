"""Operator economics: energy, depreciation, upstream cost, revenue, coverage.

The one implementation of the cost model; the evaluation engine and the
simulator both call it. Arrays are ``(E, K)``: epochs by entities (nodes, or
operators after :meth:`Costs.by_operator`). Money is in USD, rewards in tokens.

Definitions (DESIGN.md "Units, time and identity"):

- energy cost = ``energy_kwh * electricity_usd_per_kwh`` (energy from :func:`fairshare.aggregate`);
- depreciation, per active epoch, of ``capex_usd`` down to ``residual_fraction * capex_usd``
  over ``lifetime_days`` from ``joined_epoch``: straight-line (default) or declining-balance
  (book value ``capex * residual ** (age / lifetime)``); nothing after the end of life;
- earned value = reward tokens x token price in the epoch earned + fees - upstream cost;
- rent, per active epoch, of ``rent_usd_per_day`` where a node rents its instance;
- an entity *covers* its costs over a window when earned value >= energy + depreciation (+ rent)
  (options: per epoch, energy only, a margin, liquid value after vesting).

===============  ==================================================================
module           job
===============  ==================================================================
``costs``        ``node_costs``, ``pnl``, operator classes
``vesting``      ``Vesting``: when earned tokens become liquid
``fake_demand``  a node buying inference from itself: what it buys and what it costs
``svip``         OpenGradient's SVIP emission schedule (exponential decay, activation epoch)
===============  ==================================================================
"""

from .costs import DEPRECIATION_METHODS, Costs, PnL, node_costs, operator_classes, pnl
from .fake_demand import FakeDemandPurchase, fake_demand_purchase
from .svip import SVIP_POOL_TOKENS, SVIP_RECOMMENDED_HALF_LIFE_DAYS, svip_emission, svip_rate_per_day
from .vesting import Vesting

__all__ = ["Costs", "node_costs", "PnL", "pnl", "operator_classes", "Vesting", "DEPRECIATION_METHODS",
           "FakeDemandPurchase", "fake_demand_purchase", "svip_emission", "svip_rate_per_day", "SVIP_POOL_TOKENS",
           "SVIP_RECOMMENDED_HALF_LIFE_DAYS"]
