"""Supply side of the built-in network: operators, their nodes, churn, stake and reputation.

The population is built from the archetype catalogue (:mod:`.archetypes`) in five steps:

1. **Node counts** per archetype: ``n_nodes`` times the population shares (an assumption), apportioned
   by largest remainder with at least one node per archetype that has a share (so a small
   network still has every kind of node). Counts are a specification, not a draw.
2. **Operators.** Home nodes (GPUs and Macs) belong to retail operators of 1, 2 or 3 nodes
   with chances in proportion to 1, 1/4, 1/9 (assumption: no public source gives a size mix;
   DESIGN.md calls an operator retail up to 3 nodes). Colocation, datacenter and proxy
   nodes belong to operators whose sizes follow a rank-size law (size of the k-th largest
   proportional to 1/k): with exponent 1 the top three of Filecoin's 267 operators would
   hold 29.7% of power against the reported 30.2% ([sources: concentration-reports]). The number of such operators is
   the node count over a mean size (assumption: datacenter 20, colocation 5, proxy 2).
3. **Nodes**: purchase price drawn uniformly in the archetype's range, one region per
   operator (its tariff), PUE, life and residual value from the archetype.
4. **Churn** (assumption: no public node counts): over a year, 30% of operators join
   after the first epoch (a shorter run has proportionally fewer entrants, 30% x run /
   365 days, and at least one), at a uniformly drawn epoch and with all their nodes; each node leaves with a
   hazard of 5% per 30 days at home and 2% elsewhere.
5. **Stake** is heavy-tailed as Livepeer's delegators ([sources: livepeer-delegation]): the top 6% of holders hold 92%
   of stake, the next 9% hold 6%, the other 85% hold 2%; mean 5,562 tokens per holder
   (17.92M bonded LPT over 3,222 delegators). The operators present at the first epoch
   (incumbents) are ranked by the hardware value they put at risk (sum of purchase prices)
   and, within a bracket, stake in proportion to it; a node bonds its operator's stake in
   proportion to its own price (a proxy enclave, bought for nothing, bonds nothing).
   **Late capital**: total bonded stake grows with the unlocked OPG supply, 190M at TGE to
   300M at month 12 ([sources: opg-tokenomics]). Operators that join later (entrants) bond, per dollar of
   hardware, the incumbents' mean stake per dollar times one factor, chosen so that the
   stake active at the last epoch is the first epoch's times the supply growth to that
   epoch; a factor above 1 is capital arriving faster than hardware.

Reputation ([sources: og-tee-reputation] formula, :func:`.routing.reputation_score`) has three inputs no public source
gives (assumptions): failure rate uniform on 0-10% at home (BurstGPT reports over
5% for some services, [sources: burstgpt]) and 0-2% elsewhere; uptime ratio uniform on 0.80-1.00 at home
and 0.98-1.00 elsewhere; response quality uniform on 0.5-1.0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .archetypes import ARCHETYPES, TARIFFS_USD_PER_KWH
from .routing import reputation_score

__all__ = ["SupplySpec", "Population", "apportion", "rank_size", "build_population", "unlocked_supply_growth"]

#: Unlocked OPG supply at TGE and 12 months after (millions, [sources: opg-tokenomics] derived schedule).
_UNLOCKED_M0, _UNLOCKED_M12 = 190.0, 300.0


@dataclass(frozen=True)
class SupplySpec:
    """Parameters of the population (defaults and sources in the module docstring).

    Parameters
    ----------
    shares : tuple of float, default the archetypes' shares
        Share of node keys per archetype, in :data:`~fairshare.datasets.archetypes.ARCHETYPES` order
        (the assumed mix); normalised, so they need not sum to 1.
    retail_size_weights : tuple of float, default (1, 1/4, 1/9)
        Relative chances of a retail (home) operator running 1, 2, 3, ... nodes (assumption).
    operator_mean_nodes : tuple of (str, float) pairs, default colocation 5, datacenter 20, proxy 2
        Mean nodes per operator by tier; sets the number of rank-size operators (assumption).
    initial_operator_share : float, default 0.70
        Share of a year's operators present at the first epoch, in (0, 1]; the rest join later,
        proportionally fewer in a shorter run.
    leave_hazard_30d : tuple of (str, float) pairs, default home 0.05, others 0.02
        Chance that a node leaves within 30 days, by tier (assumption).
    stake_brackets : tuple of (float, float) pairs, default ((0.06, 0.92), (0.09, 0.06), (0.85, 0.02))
        (share of holders, share of stake) of each bracket, richest first (Livepeer, [sources: livepeer-delegation]);
        each
        column sums to 1.
    mean_stake_tokens : float, default 5,562
        Mean stake per incumbent operator, tokens (17.92M bonded LPT over 3,222 delegators,
        [sources: livepeer-delegation]).
    late_capital : bool, default True
        Scale entrants' stake so active stake grows with the unlocked OPG supply ([sources: opg-tokenomics]).
    failure_rate_max : tuple of (str, float) pairs, default home 0.10, other 0.02
        Upper end of the uniform failure rate, at home and elsewhere (a reputation input).
    uptime_min : tuple of (str, float) pairs, default home 0.80, other 0.98
        Lower end of the uniform uptime ratio (up to 1), at home and elsewhere.
    quality_min : float, default 0.5
        Lower end of the uniform response quality (up to 1).
    """

    shares: tuple[float, ...] = tuple(a.share for a in ARCHETYPES)
    retail_size_weights: tuple[float, ...] = (1.0, 1 / 4, 1 / 9)
    operator_mean_nodes: tuple[tuple[str, float], ...] = (("colocation", 5.0), ("datacenter", 20.0),
                                                          ("proxy", 2.0))
    initial_operator_share: float = 0.70
    leave_hazard_30d: tuple[tuple[str, float], ...] = (("home", 0.05), ("colocation", 0.02),
                                                       ("datacenter", 0.02), ("proxy", 0.02))
    stake_brackets: tuple[tuple[float, float], ...] = ((0.06, 0.92), (0.09, 0.06), (0.85, 0.02))
    mean_stake_tokens: float = 17.92e6 / 3222
    late_capital: bool = True
    failure_rate_max: tuple[tuple[str, float], ...] = (("home", 0.10), ("other", 0.02))
    uptime_min: tuple[tuple[str, float], ...] = (("home", 0.80), ("other", 0.98))
    quality_min: float = 0.5


@dataclass(frozen=True)
class Population:
    """Node and operator arrays of a generated population (node arrays ``(N,)``, operator ``(O,)``).

    Parameters
    ----------
    node_ids : ndarray of str, shape ``(N,)``
        Node keys (``node-00000``, ...).
    node_operator : int ndarray, shape ``(N,)``
        Operator index of each node (position in ``operator_ids``).
    archetype : int ndarray, shape ``(N,)``
        Archetype code of each node (position in :data:`~fairshare.datasets.archetypes.ARCHETYPES`).
    capex_usd : ndarray, shape ``(N,)``
        Purchase price, USD.
    region : ndarray of str, shape ``(N,)``
        Tariff region (the operator's).
    tariff_usd_per_kwh : ndarray, shape ``(N,)``
        Electricity tariff of the region, USD/kWh.
    stake_tokens : ndarray, shape ``(N,)``
        Stake bonded on the node, tokens (its share of the operator's stake, by purchase price).
    joined_epoch : int ndarray, shape ``(N,)``
        First active epoch (the operator's).
    left_epoch : int ndarray, shape ``(N,)``
        Last active epoch; -1 when the node stays to the end.
    success_rate : ndarray, shape ``(N,)``
        Share of requests served successfully (1 - failure rate).
    uptime_ratio : ndarray, shape ``(N,)``
        Share of time online.
    quality : ndarray, shape ``(N,)``
        Response quality in [0, 1].
    reputation : ndarray, shape ``(N,)``
        Reputation score, 0-10,000, from the three inputs above.
    operator_ids : ndarray of str, shape ``(O,)``
        Operator keys, prefixed with the kind (``retail-0000``, ...).
    operator_kind : ndarray of str, shape ``(O,)``
        ``"retail"``, ``"colo"``, ``"dc"`` or ``"proxy"``.
    operator_stake_tokens : ndarray, shape ``(O,)``
        Stake of each operator, tokens (sum over its nodes).
    late_capital_factor : float
        Multiplier on entrants' stake per dollar of hardware (1.0 without late capital).
    """

    node_ids: np.ndarray
    node_operator: np.ndarray
    archetype: np.ndarray
    capex_usd: np.ndarray
    region: np.ndarray
    tariff_usd_per_kwh: np.ndarray
    stake_tokens: np.ndarray
    joined_epoch: np.ndarray
    left_epoch: np.ndarray  # -1: active to the end
    success_rate: np.ndarray
    uptime_ratio: np.ndarray
    quality: np.ndarray
    reputation: np.ndarray
    operator_ids: np.ndarray
    operator_kind: np.ndarray
    operator_stake_tokens: np.ndarray
    late_capital_factor: float

    @property
    def n_nodes(self) -> int:
        return int(self.node_ids.size)

    def active(self, n_epochs: int) -> np.ndarray:
        """``(E, N)`` bool: node within its joined..left window."""
        e = np.arange(n_epochs)[:, None]
        last = np.where(self.left_epoch < 0, n_epochs, self.left_epoch)
        return (e >= self.joined_epoch[None, :]) & (e <= last[None, :])


def apportion(total: int, weights, minimum=0) -> np.ndarray:
    """Integers summing to ``total`` in proportion to ``weights`` (largest remainder), each >= ``minimum``
    (a number, or one per part).

    Parameters
    ----------
    total : int
        Sum of the result.
    weights : array_like of float
        Non-negative weights, one per part (not all zero).
    minimum : int or array_like of int, default 0
        Least count of every part, or of each part; ``ValueError`` when the minimums exceed ``total``.
    """
    w = np.asarray(weights, dtype=np.float64)
    floor = np.broadcast_to(np.asarray(minimum, dtype=np.int64), w.shape).copy()
    rest = total - floor.sum()
    if rest < 0:
        raise ValueError(f"cannot give {w.size} parts at least {minimum} out of {total}")
    exact = rest * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    left = rest - base.sum()
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:left]] += 1
    return floor + base


def rank_size(n_nodes: int, n_operators: int) -> np.ndarray:
    """Operator sizes (descending) under the rank-size law size_k ~ 1/k, each >= 1, summing to ``n_nodes``.

    Parameters
    ----------
    n_nodes : int
        Nodes to share out (>= 1).
    n_operators : int
        Number of operators; capped at ``n_nodes`` and raised to at least 1.
    """
    k = max(1, min(n_operators, n_nodes))
    return apportion(n_nodes, 1.0 / np.arange(1, k + 1), minimum=1)


def unlocked_supply_growth(epoch_days: np.ndarray) -> np.ndarray:
    """Unlocked OPG supply relative to TGE after ``epoch_days`` days (linear 190M -> 300M over 12 months).

    [sources: opg-tokenomics]

    Parameters
    ----------
    epoch_days : float or array_like
        Days since the TGE (not capped at 12 months: the line continues).
    """
    return 1.0 + (_UNLOCKED_M12 / _UNLOCKED_M0 - 1.0) * np.asarray(epoch_days, dtype=np.float64) / 365.25


def _operator_sizes(rng, spec: SupplySpec, tier: str, n: int) -> np.ndarray:
    if tier == "home":
        w = np.asarray(spec.retail_size_weights, dtype=np.float64)
        draws = rng.choice(np.arange(1, w.size + 1), size=n, p=w / w.sum())
        cum = np.cumsum(draws)
        k = int(np.searchsorted(cum, n)) + 1
        sizes = draws[:k].copy()
        sizes[-1] -= int(cum[k - 1] - n)
        return sizes
    mean = dict(spec.operator_mean_nodes)[tier]
    return rank_size(n, max(1, int(round(n / mean))))


def build_population(rng: np.random.Generator, n_nodes: int, n_epochs: int, spec: SupplySpec,
                     epoch_days: float = 1.0) -> Population:
    """Draw operators and nodes (see the module docstring for every rule and source).

    Parameters
    ----------
    rng : numpy.random.Generator
        The population stream (the only source of randomness).
    n_nodes : int
        Node keys over the whole run.
    n_epochs : int
        Length of the run, epochs (sets the share of entrants and the late-capital target).
    spec : SupplySpec
        Population parameters.
    epoch_days : float, default 1.0
        Length of an epoch, days (converts the 30-day leave hazard and the supply growth).

    Returns
    -------
    Population
    """
    shares = np.asarray(spec.shares, dtype=np.float64)
    present = (shares > 0).astype(np.int64)
    counts = apportion(n_nodes, shares, minimum=present if n_nodes >= present.sum() else 0)
    kinds = {"home": "retail", "colocation": "colo", "datacenter": "dc", "proxy": "proxy"}
    node_arch, node_op, op_kind = [], [], []
    for a_code, (arch, n) in enumerate(zip(ARCHETYPES, counts)):
        if n == 0:
            continue
        sizes = _operator_sizes(rng, spec, arch.tier, int(n))
        first = len(op_kind)
        op_kind.extend([kinds[arch.tier]] * sizes.size)
        node_op.append(np.repeat(np.arange(first, first + sizes.size), sizes))
        node_arch.append(np.full(int(n), a_code))
    archetype = np.concatenate(node_arch).astype(np.int64)
    node_operator = np.concatenate(node_op).astype(np.int64)
    op_kind = np.asarray(op_kind, dtype=object)
    n_ops = op_kind.size
    n = archetype.size

    low = np.array([a.capex_low_usd for a in ARCHETYPES])[archetype]
    high = np.array([a.capex_high_usd for a in ARCHETYPES])[archetype]
    capex = low + (high - low) * rng.random(n)
    op_arch = np.zeros(n_ops, dtype=np.int64)
    op_arch[node_operator] = archetype
    n_regions = np.array([len(a.regions) for a in ARCHETYPES])[op_arch]
    op_pick = np.minimum((rng.random(n_ops) * n_regions).astype(np.int64), n_regions - 1)
    op_region = np.array([ARCHETYPES[a].regions[i] for a, i in zip(op_arch, op_pick)], dtype=object)
    regions = op_region[node_operator]
    tariff = np.array([TARIFFS_USD_PER_KWH[r] for r in regions])

    tier = np.array([ARCHETYPES[a].tier for a in range(len(ARCHETYPES))], dtype=object)[archetype]
    home = tier == "home"
    joined, left = _churn(rng, spec, n_epochs, node_operator, n_ops, tier, epoch_days)
    success, uptime, quality = _reputation_inputs(rng, spec, home)
    capital = np.bincount(node_operator, weights=capex, minlength=n_ops)
    op_joined = np.zeros(n_ops, dtype=np.int64)
    op_joined[node_operator] = joined
    incumbent = op_joined == 0
    op_stake = np.zeros(n_ops)
    op_stake[incumbent] = _bracket_stake(rng, spec, capital[incumbent])
    rate = op_stake.sum() / capital[incumbent].sum() if capital[incumbent].sum() > 0 else 0.0
    op_stake[~incumbent] = rate * capital[~incumbent]
    with np.errstate(invalid="ignore", divide="ignore"):
        stake = np.where(capital[node_operator] > 0, op_stake[node_operator] * capex / capital[node_operator], 0.0)
    factor = 1.0
    if spec.late_capital:
        stake, factor = _late_capital(stake, joined, left, n_epochs, epoch_days)
        op_stake = np.bincount(node_operator, weights=stake, minlength=n_ops)

    width = max(5, len(str(n)))
    node_ids = np.array([f"node-{i:0{width}d}" for i in range(n)], dtype=object)
    op_ids = np.array([f"{k}-{i:04d}" for i, k in enumerate(op_kind)], dtype=object)
    return Population(node_ids=node_ids, node_operator=node_operator, archetype=archetype, capex_usd=capex,
                      region=regions, tariff_usd_per_kwh=tariff, stake_tokens=stake, joined_epoch=joined,
                      left_epoch=left, success_rate=success, uptime_ratio=uptime, quality=quality,
                      reputation=reputation_score(success, uptime, quality), operator_ids=op_ids,
                      operator_kind=op_kind, operator_stake_tokens=op_stake, late_capital_factor=factor)


def _churn(rng, spec, n_epochs, node_operator, n_ops, tier, epoch_days):
    entrant_share = (1.0 - spec.initial_operator_share) * min(1.0, n_epochs * epoch_days / 365.25)
    n_entrants = max(1, int(round(entrant_share * n_ops))) if n_epochs > 1 and entrant_share > 0 else 0
    later = np.zeros(n_ops, dtype=bool)
    later[rng.permutation(n_ops)[:n_entrants]] = True
    op_join = np.where(later, rng.integers(1, max(n_epochs, 2), size=n_ops), 0)
    op_join = np.minimum(op_join, n_epochs - 1)
    joined = op_join[node_operator].astype(np.int64)
    hazard_30 = dict(spec.leave_hazard_30d)
    h30 = np.array([hazard_30[t] for t in tier])
    per_epoch = 1.0 - (1.0 - h30) ** (epoch_days / 30.0)
    stay = rng.geometric(np.clip(per_epoch, 1e-12, 1.0)) - 1  # epochs active after joining
    last = joined + stay
    left = np.where((per_epoch > 0) & (last < n_epochs - 1), last, -1).astype(np.int64)
    return joined, left


def _reputation_inputs(rng, spec, home):
    fail_max = dict(spec.failure_rate_max)
    up_min = dict(spec.uptime_min)
    u = rng.random((3, home.size))
    failure = u[0] * np.where(home, fail_max["home"], fail_max["other"])
    lo = np.where(home, up_min["home"], up_min["other"])
    uptime = lo + (1.0 - lo) * u[1]
    quality = spec.quality_min + (1.0 - spec.quality_min) * u[2]
    return 1.0 - failure, uptime, quality


def _bracket_stake(rng, spec, capital):
    """Operator stake: Livepeer-like brackets by rank of capital, within a bracket in proportion to it."""
    n = capital.size
    order = np.lexsort((rng.random(n), -capital))  # richest first, random tie-break
    pop_share = np.array([b[0] for b in spec.stake_brackets])
    stake_share = np.array([b[1] for b in spec.stake_brackets])
    sizes = apportion(n, pop_share)
    total = spec.mean_stake_tokens * n
    stake = np.zeros(n)
    start = 0
    for size, share in zip(sizes, stake_share):
        members = order[start:start + size]
        start += size
        cap = capital[members]
        if cap.sum() > 0:
            stake[members] = total * share * cap / cap.sum()
    return stake


def _late_capital(stake, joined, left, n_epochs, epoch_days):
    """Scale joiners' stake so active stake grows with unlocked supply ([sources: opg-tokenomics]) by the last epoch."""
    last = n_epochs - 1
    active_end = (joined <= last) & ((left < 0) | (left >= last))
    active_start = joined == 0
    incumbent = joined == 0
    start_total = stake[active_start].sum()
    inc_end = stake[active_end & incumbent].sum()
    join_end = stake[active_end & ~incumbent].sum()
    target = start_total * float(unlocked_supply_growth(last * epoch_days))
    if join_end <= 0 or target <= inc_end:
        return stake, 1.0
    factor = (target - inc_end) / join_end
    return np.where(incumbent, stake, stake * factor), float(factor)
