"""Mechanism settings of a simulation scenario: supply, price, churn, capital, demand, fake demand.

Public through :mod:`fairshare.simulation`. The supply settings (``Bucket``, ``OPG_BUCKETS``,
``Supply``) live beside the token calendar in :mod:`fairshare.simulation.supply`; the table below
lists every mechanism's defaults. Each mechanism is a frozen dataclass whose
defaults cite a key of ``docs/sources.md`` (``[sources: key]``); "assumption" marks a
value no public source gives. Every mechanism can be
switched off. ``validate()`` raises :class:`~fairshare.errors.ConfigError` naming the
parameter, the value seen and what is allowed.

=====================================  ===================  ============================================
parameter                              default              source
=====================================  ===================  ============================================
``Supply.total_tokens``                1,000,000,000        [sources: opg-tokenomics] max supply (fixed)
``Supply.buckets``                     OPG table            [sources: opg-tokenomics] allocation table
                                                            (:data:`OPG_BUCKETS`)
``Supply.funding``                     ``"staking"``        [sources: opg-tokenomics]: the staking-rewards pool funds
                                                            nodes
``Supply.schedule``                    ``"linear"``         [sources: opg-tokenomics]: 100M over 96 months;
                                                            ``Scenario.from_history`` without a supply: the
                                                            history's market table (then ``"linear"`` on the
                                                            built-in network, an error on others)
``Demand.random_share``                the network's        routing policy; large jobs 0.3
                                                            ([sources: livepeer-protocol]), others 1.0
``Demand.min_tier``                    the network's        routing policy; good for large jobs, fair
                                                            otherwise ([sources: og-tee-reputation])
``Routing.node_cap``                   off                  routing policy: largest share of a class's
                                                            epoch demand one node takes
``Routing.newcomer_reputation``        off                  routing policy: a new node's standing
                                                            (OpenGradient's fair tier is 4,000,
                                                            [sources: og-tee-reputation])
``Routing.ramp_days``                  90                   assumption: days a new node takes to earn
                                                            its own score
``Routing.min_pay_usd``                off                  routing policy: least fee of one dispatch
``Supply.half_life_days``              48 months            [sources: og-svip-doc]: half the pool emitted in 48 months
                                                            (svip exponential, [sources: og-svip-module] ``x/svip``)
``Supply.halving_days``                4 years              [sources: subtensor]: Bitcoin-style halvings
``Supply.reward_vesting``              liquid at once       [sources: og-svip-module]: svip pays the FeeCollector and
                                                            ``x/distribution`` pays rewards out
``Bucket.sell_share``                  0.5 / 0.25 / 0       assumption: half of investor,
                                                            contributor and airdrop unlocks sold, a
                                                            quarter of ecosystem and foundation ones,
                                                            none of the liquidity bucket
``Price.model``                        ``"gbm"``            geometric Brownian motion
``Price.volatility_per_year``          0.587                [sources: opg-market]: $0.05-$0.50 is the 95% band of the
                                                            price a year on (ln 10 / 3.92)
``Price.impact``                       off                  endogenous price: opt in
``Price.depth_usd``                    $800,000             [sources: opg-market]: VIRTUAL/OPG pool, about $0.8M
``Price.book_depth_usd``               0                    exchange order books: no public figure for OPG,
                                                            so the built-in network keeps impact off
``Price.buy_usd_per_epoch``            0                    outside demand: no public figure (assumption)
``Price.impact_half_life_days``        30                   the built-in network's price reversion
                                                            half-life (assumption, datasets.token)
``Churn.patience_days``                home 30, else 75     assumption; the 2.5 ratio is the
                                                            built-in network's leave hazards, 5% vs
                                                            2% per 30 days (datasets.supply)
``Churn.hurdle``                       0.2                  assumption: join when expected value
                                                            earned beats costs by 20%
``Churn.entry_lag_days``               7                    assumption: buy, ship, register ([sources: og-tee-registry])
``Churn.exit_hazard_30d``              5% home, 2% else     the built-in network (datasets.supply)
``Churn.retire_at_end_of_life``        on                   [sources: depreciation-lives] lives: 3 years home, 5
                                                            datacenter
``Capital.elasticity``                 1.0                  assumption
``Capital.required_yield``             0.1045 per year      [sources: cosmos-mint]: Cosmos Hub minimum inflation 7% at
                                                            its 67% bonded goal (7 / 67)
``Capital.adjustment_days``            30                   assumption
``Capital.delegate_to``                ``"stake"``          [sources: livepeer-delegation] Livepeer (large wallets hold
                                                            92%),
                                                            [sources: livepeer-protocol] stake-weighted selection
``Demand.growth_per_year``             the history's trend  log-linear fit of work per epoch
``Demand.large_token_share``           0.60                 [sources: azure-llm-trace-2023, syfi-tracelab] (50-70%)
``Demand.routing``                     ``"reputation"``     the built-in router
                                                            ([sources: og-tee-reputation, livepeer-protocol])
``FakeDemand.operator_share``          0.1                  assumption (DESIGN.md: fake demand)
``FakeDemand.fraction``                0.1                  ``fs.evaluate``'s ``fake_fraction``
=====================================  ===================  ============================================
"""

from __future__ import annotations

from dataclasses import dataclass
from math import log

import numpy as np

from .._checks import check_number as _number
from ..datasets.routing import REPUTATION_TIERS
from ..datasets.supply import SupplySpec
from ..datasets.token import PRICE_HALF_LIFE_DAYS, PRICE_LOG_SD
from ..errors import ConfigError

__all__ = ["Price", "Churn", "Capital", "Demand", "FakeDemand", "Routing", "OPERATOR_CLASSES", "SCHEDULES",
           "PRICE_MODELS", "ROUTINGS", "DELEGATIONS", "DEMAND_MODES"]

#: Operator classes in the order of their codes (``economics.operator_classes``).
OPERATOR_CLASSES: tuple[str, ...] = ("retail", "home", "colocation", "datacenter", "proxy")
SCHEDULES = ("linear", "exponential", "halving", "history")
PRICE_MODELS = ("constant", "gbm", "history")
ROUTINGS = ("reputation", "stake", "uniform", "latency")
DELEGATIONS = ("stake", "capex", "equal")
DEMAND_MODES = ("router", "replay")


def _choice(name, value, allowed):
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}.")


@dataclass(frozen=True)
class Price:
    """Token price in USD: an exogenous path, optionally moved by net selling (``impact``).

    ``model``: ``"constant"`` (``start_usd`` throughout), ``"gbm"`` (geometric Brownian
    motion, log drift ``log_drift_per_year`` and ``volatility_per_year``) or ``"history"``
    (the history's prices). ``start_usd`` defaults to the history's price at the start.

    With ``impact``, net sales move the price through a constant-product pool holding the
    token's total tradable liquidity around the price, ``D = depth_usd + book_depth_usd`` (the
    pools' liquidity plus the exchange order books' depth): selling ``s`` tokens into a pool of
    ``x = D / (2 P)`` tokens multiplies the price by ``(x / (x + s))^2`` (buying is
    symmetric); the impact decays with ``impact_half_life_days`` (market makers restore
    depth), so ``P_t = P_exo_t e^(m_t)``, ``m_(t+1) = a m_t - 2 sign(s) ln(1 + |s| / x)``.
    Net sales are operators' sales for their bills plus sold unlocks, less
    ``buy_usd_per_epoch`` of outside buying (demand for the token from outside the network's
    operators and unlocks).

    Calibration: give both depths and the outside buying from the token's own market data (the
    pools' reserves, the order books' depth within the band the sales move the price through,
    the net buying of other holders). The built-in what-if network has no such data: its pool
    depth is the VIRTUAL/OPG pool's ([sources: opg-market]), no public figure gives the order
    books' depth or the outside buying, so its scenarios keep ``impact`` off and every result
    labels the price an input.

    Parameters
    ----------
    model : {"gbm", "constant", "history"}, default "gbm"
        The exogenous price path.
    start_usd : float, optional
        Price at the start, USD, > 0 (default: the history's price at the start).
    volatility_per_year : float, default PRICE_LOG_SD
        Volatility of log price per year (``"gbm"``); >= 0.
    log_drift_per_year : float, default 0.0
        Drift of log price per year (``"gbm"``).
    impact : bool, default False
        Let net sales move the price (see above).
    depth_usd : float, default 800,000
        Liquidity of the token's pools (AMMs), USD; > 0.
    book_depth_usd : float, default 0.0
        Depth of the exchange order books, USD, added to ``depth_usd``; >= 0.
    impact_half_life_days : float, default PRICE_HALF_LIFE_DAYS
        Half-life of the price impact, days; > 0.
    buy_usd_per_epoch : float, default 0.0
        Outside buying, USD per epoch; >= 0.
    """

    model: str = "gbm"
    start_usd: float | None = None
    volatility_per_year: float = PRICE_LOG_SD
    log_drift_per_year: float = 0.0
    impact: bool = False
    depth_usd: float = 0.8e6
    impact_half_life_days: float = PRICE_HALF_LIFE_DAYS
    buy_usd_per_epoch: float = 0.0
    book_depth_usd: float = 0.0

    @property
    def total_depth_usd(self) -> float:
        """Total tradable liquidity the impact model trades against: pools plus order books, USD."""
        return float(self.depth_usd) + float(self.book_depth_usd)

    def validate(self) -> "Price":
        _choice("Price model", self.model, PRICE_MODELS)
        if self.start_usd is not None:
            _number("Price start_usd", self.start_usd, 0.0, low_open=True)
        _number("Price volatility_per_year", self.volatility_per_year, 0.0)
        _number("Price log_drift_per_year", self.log_drift_per_year)
        _number("Price depth_usd", self.depth_usd, 0.0, low_open=True)
        _number("Price impact_half_life_days", self.impact_half_life_days, 0.0, low_open=True)
        _number("Price buy_usd_per_epoch", self.buy_usd_per_epoch, 0.0)
        _number("Price book_depth_usd", self.book_depth_usd, 0.0)
        return self


@dataclass(frozen=True)
class Churn:
    """Operators joining and leaving.

    With ``enabled=False`` the network is the history's own (nodes come and go as recorded):
    the fixed network. Otherwise operators present at the start stay until ``patience_days``
    loss-making epochs in a row (margin = earned value - energy - depreciation < 0), an
    exogenous exit (hazard ``exit_hazard_30d`` per 30 days, by tier: ``home`` and ``other``)
    or the end of their hardware's life (``retire_at_end_of_life``). Operators that join later
    in the history (and ``clones`` copies of every operator, available from the start) are
    candidates: from their recorded join epoch on, a candidate joins when the value its nodes
    would earn (the mean of active nodes of the same hardware) beats their energy and
    depreciation by ``hurdle``, ``entry_lag_days`` after deciding.

    Parameters
    ----------
    enabled : bool, default True
        Simulate joining and leaving; False keeps the history's own network.
    patience_days : tuple of (str, float) pairs
        Days of losses in a row after which an operator leaves, one pair per operator class
        (default retail and home 30, colocation, datacenter and proxy 75); each > 0.
    hurdle : float, default 0.2
        A candidate joins when expected earned value exceeds energy and depreciation by this fraction; > -1.
    entry_lag_days : float, default 7.0
        Days from the decision to join to the first active epoch; >= 0.
    exit_hazard_30d : tuple of (str, float) pairs
        Probability of an exogenous exit per 30 days for ``"home"`` and ``"other"`` nodes, each in [0, 1)
        (default the built-in network's leave hazards).
    retire_at_end_of_life : bool, default True
        Retire a node at the end of its hardware's life.
    clones : int, default 0
        Copies of every operator added as entry candidates from the start; >= 0.
    """

    enabled: bool = True
    patience_days: tuple[tuple[str, float], ...] = (("retail", 30.0), ("home", 30.0), ("colocation", 75.0),
                                                    ("datacenter", 75.0), ("proxy", 75.0))
    hurdle: float = 0.2
    entry_lag_days: float = 7.0
    exit_hazard_30d: tuple[tuple[str, float], ...] = (
        ("home", dict(SupplySpec().leave_hazard_30d)["home"]),
        ("other", dict(SupplySpec().leave_hazard_30d)["datacenter"]))
    retire_at_end_of_life: bool = True
    clones: int = 0

    def validate(self) -> "Churn":
        got = dict(self.patience_days)
        if set(got) != set(OPERATOR_CLASSES):
            raise ConfigError(f"Churn patience_days must give one value per operator class "
                              f"({', '.join(OPERATOR_CLASSES)}), got {self.patience_days!r}.")
        for k, v in got.items():
            _number(f"Churn patience_days[{k!r}]", v, 0.0, low_open=True)
        _number("Churn hurdle", self.hurdle, -1.0, low_open=True)
        _number("Churn entry_lag_days", self.entry_lag_days, 0.0)
        hz = dict(self.exit_hazard_30d)
        if set(hz) != {"home", "other"}:
            raise ConfigError(f"Churn exit_hazard_30d must give 'home' and 'other', got {self.exit_hazard_30d!r}.")
        for k, v in hz.items():
            _number(f"Churn exit_hazard_30d[{k!r}]", v, 0.0, 1.0, high_open=True)
        if not isinstance(self.clones, (int, np.integer)) or isinstance(self.clones, bool) or self.clones < 0:
            raise ConfigError(f"Churn clones must be a whole number >= 0, got {self.clones!r}.")
        return self


@dataclass(frozen=True)
class Capital:
    """Delegated stake that follows the staking yield (late, cheap capital).

    The staking yield ``Y`` is the stake-driven part of the epoch's rewards over the bonded
    stake, per year. Each epoch the bonded stake ``S`` moves toward the level at which the
    yield equals ``required_yield``: ``dS = k S (Y / required_yield - 1) = k (S* - S)`` with
    ``k = elasticity x epoch / adjustment_days`` (at most 1). Operators' own stake is fixed;
    the change is delegated stake, never below zero and never above the circulating supply
    not already bonded. New delegations go to active nodes by ``delegate_to`` (their stake,
    their hardware value, or equally); withdrawals and the stake of departed nodes are taken
    and re-placed pro rata. Delegators receive the stake-driven part of a node's reward in
    proportion to their share of its stake, which dilutes the operator. ``elasticity=0``
    switches capital flows off.

    Parameters
    ----------
    elasticity : float, default 1.0
        Speed of the stake's response to the yield gap; >= 0 (0 switches capital flows off).
    required_yield : float, default 0.07 / 0.67
        The yield per year at which bonded stake is in balance; > 0.
    adjustment_days : float, default 30.0
        Days over which stake closes the gap at ``elasticity = 1``; > 0 (``elasticity * epoch /
        adjustment_days`` must stay <= 1).
    delegate_to : {"stake", "capex", "equal"}, default "stake"
        How new delegations are spread over active nodes: by their stake, their hardware value, or equally.
    """

    elasticity: float = 1.0
    required_yield: float = 0.07 / 0.67
    adjustment_days: float = 30.0
    delegate_to: str = "stake"

    def validate(self) -> "Capital":
        _number("Capital elasticity", self.elasticity, 0.0)
        _number("Capital required_yield", self.required_yield, 0.0, low_open=True)
        _number("Capital adjustment_days", self.adjustment_days, 0.0, low_open=True)
        _choice("Capital delegate_to", self.delegate_to, DELEGATIONS)
        return self

    def speed(self, epoch_days: float) -> float:
        """The per-epoch adjustment ``k``; :class:`ConfigError` when above 1 (the flow would overshoot)."""
        k = self.elasticity * epoch_days / self.adjustment_days
        if k > 1.0:
            raise ConfigError(f"Capital elasticity x epoch / adjustment_days must be <= 1 (no overshoot), got "
                              f"{self.elasticity!r} x {epoch_days:g} / {self.adjustment_days!r} = {k:g}.")
        return k


@dataclass(frozen=True)
class Demand:
    """Inference demand and how it is routed.

    ``mode="router"``: each epoch's units of the built-in network's four traffic classes
    (large jobs, small parcels, ZKML requests, proxy parcels; ``datasets.demand``) start at
    the network's calibrated demand for the first epoch, grow by ``growth_per_year``
    (default: the history's log-linear trend of work per epoch), are drawn Poisson around
    that mean (``noise``) as in the built-in network, and are placed by the built-in
    router in its fluid limit (``datasets.routing.expected_allocation``) with ``routing``:
    ``"reputation"`` (the network's reputation- and stake-biased lottery), ``"stake"``
    (stake-weighted only), ``"uniform"`` (every eligible active node alike) or
    ``"latency"`` (fastest nodes filled first). ``large_token_share`` re-sets the token
    share of large jobs ([sources: azure-llm-trace-2023, syfi-tracelab]).

    ``mode="replay"``: every node does in each epoch what the history records, times the
    growth; needs ``Churn(enabled=False)`` (the fixed network).

    Parameters
    ----------
    mode : {"router", "replay"}, default "router"
        Route the built-in network's traffic classes, or replay the history's work.
    growth_per_year : float, optional
        Demand growth per year (0.5 is +50%), > -1; None uses the history's log-linear trend.
    large_token_share : float, optional
        Token share of large jobs, in [0, 1); None keeps the network's.
    noise : bool, default True
        Draw each epoch's units Poisson around their mean (the mean itself when False).
    routing : {"reputation", "stake", "uniform", "latency"}, default "reputation"
        How the router places units (``mode="router"``).
    random_share : float, optional
        Routing policy: the share of every class's units placed by the capacity lottery (the rest
        by stake), in [0, 1]; None keeps the network's per-class shares (large jobs 0.3, the
        others 1.0, ``datasets.traffic.TrafficSpec``).
    min_tier : {"poor", "fair", "good", "excellent"}, optional
        Routing policy: one reputation floor for every class (``datasets.routing.REPUTATION_TIERS``);
        None keeps the network's (good for large jobs, fair otherwise). ``"poor"`` opens every
        class to every node.
    """

    mode: str = "router"
    growth_per_year: float | None = None
    large_token_share: float | None = None
    noise: bool = True
    routing: str = "reputation"
    random_share: float | None = None
    min_tier: str | None = None

    def validate(self) -> "Demand":
        _choice("Demand mode", self.mode, DEMAND_MODES)
        _choice("Demand routing", self.routing, ROUTINGS)
        if self.growth_per_year is not None:
            _number("Demand growth_per_year", self.growth_per_year, -1.0, low_open=True)
        if self.large_token_share is not None:
            _number("Demand large_token_share", self.large_token_share, 0.0, 1.0, high_open=True)
        if self.random_share is not None:
            _number("Demand random_share", self.random_share, 0.0, 1.0)
        if self.min_tier is not None:
            _choice("Demand min_tier", self.min_tier, ("poor", "fair", "good", "excellent"))
        return self

    def growth_rate(self, fitted: float) -> float:
        """Log growth per year: ``ln(1 + growth_per_year)``, or ``fitted`` when not given."""
        return fitted if self.growth_per_year is None else log(1.0 + self.growth_per_year)


@dataclass(frozen=True)
class FakeDemand:
    """Operators that buy inference from their own nodes when the rule pays for it.

    A share ``operator_share`` of operators (drawn per run) is willing. Each epoch every
    willing operator's nodes would add ``fraction`` of their real work (and its tasks,
    tokens, fees and busy time, within the epoch's free time); a willing operator does so
    when the extra reward, valued at the price, beats the extra cost: the energy of the
    extra busy time and any upstream bill (its own fee comes back to it). The gain is
    measured with every willing operator buying at once.

    Parameters
    ----------
    enabled : bool, default True
        Simulate fake demand.
    operator_share : float, default 0.1
        Share of operators willing to buy from themselves, in [0, 1], drawn per run.
    fraction : float, default 0.1
        Share of their real work a willing operator's nodes add each epoch; > 0.
    """

    enabled: bool = True
    operator_share: float = 0.1
    fraction: float = 0.1

    def validate(self) -> "FakeDemand":
        _number("FakeDemand operator_share", self.operator_share, 0.0, 1.0)
        _number("FakeDemand fraction", self.fraction, 0.0, low_open=True)
        return self


@dataclass(frozen=True)
class Routing:
    """Routing policy levers beyond the lottery's share and the tier floor (those are ``Demand``'s).

    All act in the router's fluid limit, every epoch, class by class (``mode="router"``):

    * ``node_cap``: no node takes more than this share of a class's units in an epoch. The
      excess is re-routed by the same water-fill to the other nodes in proportion to their
      selection weights; what no node can take is unserved. The cap is per node: an operator
      with several nodes can take several caps.
    * ``newcomer_reputation`` and ``ramp_days`` (cold start): a node that joins after the
      simulation's start (an entrant, or a node the history adds later) is routed at a
      standing of ``newcomer_reputation`` in its first epoch, rising linearly to its own score
      over ``ramp_days``; a node whose own score is lower keeps its own. The standing replaces
      the score in the tier floor (``Demand.min_tier`` and the network's) and scales the node's
      reputation weights (the capacity draw's under ``routing="uniform"`` is not reputation
      weighted, so there only the floor applies; under ``"latency"`` only the floor). Nodes
      active at the start keep their scores.
    * ``min_pay_usd`` (consolidation, an eligibility rule): a class whose unit pays ``f`` USD in
      fees with ``f < min_pay_usd`` is dispatched in bundles of ``k = ceil(min_pay_usd / f)``
      units (``k = 1`` otherwise), and a node takes units of the class in an epoch only while
      its free time holds a whole bundle (``k`` units' busy seconds); demand, work and fees are
      unchanged. The fluid router then gives an eligible node its water-fill share, which need
      not be a whole number of bundles: the floor decides who may serve, not each dispatch's size. A class whose
      units pay nothing cannot meet a floor and is unserved. Tiny fragmented tasks are so
      consolidated, and nodes too small or too slow for a bundle get none of that class.

    Parameters
    ----------
    node_cap : float, optional
        Largest share of a class's epoch demand (units) one node takes, in (0, 1]; None: no cap.
    newcomer_reputation : float or str, optional
        Standing of a new node when it joins: a score in [0, 10000] or a tier name
        (``"poor"``, ``"fair"``, ``"good"``, ``"excellent"``: the tier's lower bound); None: no
        cold start.
    ramp_days : float, default 90.0
        Days over which a new node's standing rises to its own score; >= 0 (an assumption).
    min_pay_usd : float, optional
        Least fee (USD) of one dispatch; > 0; None: no floor.
    """

    node_cap: float | None = None
    newcomer_reputation: object = None
    ramp_days: float = 90.0
    min_pay_usd: float | None = None

    def validate(self) -> "Routing":
        if self.node_cap is not None:
            _number("Routing node_cap", self.node_cap, 0.0, 1.0, low_open=True)
        if isinstance(self.newcomer_reputation, str):
            _choice("Routing newcomer_reputation", self.newcomer_reputation, ("poor", "fair", "good", "excellent"))
        elif self.newcomer_reputation is not None:
            _number("Routing newcomer_reputation", self.newcomer_reputation, 0.0, 10_000.0)
        _number("Routing ramp_days", self.ramp_days, 0.0)
        if self.min_pay_usd is not None:
            _number("Routing min_pay_usd", self.min_pay_usd, 0.0, low_open=True)
        return self

    @property
    def newcomer_score(self) -> float | None:
        """``newcomer_reputation`` as a score (a tier's lower bound for a tier name); None when off."""
        if isinstance(self.newcomer_reputation, str):
            return REPUTATION_TIERS[self.newcomer_reputation]
        return None if self.newcomer_reputation is None else float(self.newcomer_reputation)

    def bundles(self, fee_per_unit: np.ndarray) -> np.ndarray:
        """Units per dispatch of each class: ``ceil(min_pay_usd / fee)`` when the fee is below the floor
        (``inf`` for a class paying nothing), 1 otherwise; 0 (no floor) when ``min_pay_usd`` is None.

        Parameters
        ----------
        fee_per_unit : ndarray, shape ``(C,)``
            Fee of a mean unit of each class, USD.
        """
        fee = np.asarray(fee_per_unit, dtype=np.float64)
        if self.min_pay_usd is None:
            return np.zeros(fee.shape)
        with np.errstate(divide="ignore"):
            k = np.where(fee > 0, np.ceil(self.min_pay_usd / np.where(fee > 0, fee, 1.0)), np.inf)
        return np.maximum(k, 1.0)
