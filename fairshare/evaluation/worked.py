"""Worked examples: what one more operator of a stated kind would earn and spend in a year.

Render's RNP-019 closes with worked examples, one per kind of node, so that an operator can read
off what the rule pays hardware like theirs [sources: render-rnp-019]. :func:`worked_examples` does
that for any history and any rules: a home RTX 4090, an H100 fleet in a datacenter and a TEE
gateway by default (:data:`OPERATORS`), or a user's own :class:`WorkedOperator`.

Convention (the marginal operator)
----------------------------------
Each example is one node key of an operator of its own, added to every epoch of the history
beside the nodes already there, and every rule is replayed with it. So the component totals
include it: under a ``Linear`` rule with weights ``w_c`` it earns, in epoch ``e`` with emission
``E_e``, ``sum_c w_c * E_e * x_c / X_c`` tokens, where ``x_c`` is its quantity of component ``c``
and ``X_c`` the epoch's total *including* ``x_c`` (for an operator small beside the network, about
its share of what the others produce). Any other rule pays it what its own replay pays.

What it serves comes from the history, never from a guess: per busy second, it serves what the
history's nodes of the same hardware (its ``peers``) served over the window (tokens, requests,
work units by verification mode and task size, fees and upstream cost). It is online every epoch;
busy ``utilisation`` of that time (default: its peers' busy share of their online time); its stake
defaults to the peers' median stake. A kind with no peers in the history cannot run there (the
permissioned OpenGradient network has TEE gateways only): its row says so and carries no numbers.

Its costs are the project's cost model (:func:`fairshare.economics.node_costs`) applied to its
stated hardware: energy = (busy power x busy + idle power x idle) x PUE x tariff; straight-line
depreciation of the purchase price to its residual value over its life; rent per day.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .._checks import check_number
from .._kernels.aggregate import FIELDS, node_epoch_terms
from ..data.history import History
from ..data.schema import NODE_TIERS
from ..datasets.archetypes import ARCHETYPES, TARIFFS_USD_PER_KWH, archetype_index
from ..datasets.opengradient import INSTANCE_RENT_USD_PER_DAY
from ..economics.costs import node_costs
from ..errors import ConfigError
from ..features import Features, aggregate
from ..formulas import Formula
from .engine import _checked

__all__ = ["WorkedOperator", "OPERATORS", "CONVENTION", "worked_examples"]

_DAY = 86_400.0
_YEAR_DAYS = 365.25

#: The marginal-operator convention every worked example follows (also in ``frame.attrs["convention"]``).
CONVENTION = ("each example is one node key of an operator of its own, added to every epoch of the history and paid by "
              "replaying the rule with it; component totals X_c include it, so under a Linear rule it earns "
              "sum_c w_c * E * x_c / X_c tokens an epoch (E the epoch's emission, x_c its quantity of component c). "
              "Per busy second it serves what the history's nodes of the same hardware served over the window; busy "
              "time = utilisation x online time (online every epoch)")


@dataclass(frozen=True)
class WorkedOperator:
    """A hypothetical operator with stated hardware and costs, for :func:`worked_examples`.

    Parameters
    ----------
    name : str
        Label of the example (e.g. ``"home RTX 4090"``).
    peers : tuple of str
        Hardware labels (the nodes table's ``hardware``) of the history's nodes whose serving
        rates per busy second the example takes; none present means the kind cannot run there.
    tier : {"home", "colocation", "datacenter", "proxy"}
        Site tier of the example node.
    power_w, idle_power_w : float
        Power at the wall while serving and while idle, W, before PUE; >= 0.
    pue : float
        Power usage effectiveness of the site; >= 1.
    electricity_usd_per_kwh : float
        Tariff, USD per kWh; >= 0.
    capex_usd : float
        Purchase price, USD; >= 0.
    lifetime_days : float
        Depreciation life, days; > 0.
    residual_fraction : float
        Value left at the end of the life, as a share of ``capex_usd``, in [0, 1].
    rent_usd_per_day : float, default 0
        Rent of a rented instance, USD per day; >= 0.
    utilisation : float, optional
        Busy share of online time, in (0, 1]; None takes the peers' busy share of their online time.
    stake_tokens : float, optional
        Stake bonded, tokens; >= 0. None takes the peers' median stake.
    source : str, default ""
        Where the figures come from (keys of ``docs/sources.md``).
    """

    name: str
    peers: tuple
    tier: str
    power_w: float
    idle_power_w: float
    pue: float
    electricity_usd_per_kwh: float
    capex_usd: float
    lifetime_days: float
    residual_fraction: float
    rent_usd_per_day: float = 0.0
    utilisation: float | None = None
    stake_tokens: float | None = None
    source: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"WorkedOperator name must be a non-empty string, got {self.name!r}.")
        peers = (self.peers,) if isinstance(self.peers, str) else tuple(self.peers)
        if not peers or not all(isinstance(p, str) and p for p in peers):
            raise ConfigError(f"WorkedOperator {self.name!r}: peers must be hardware labels (strings) of the history's "
                              f"nodes, got {self.peers!r}.")
        object.__setattr__(self, "peers", peers)
        if self.tier not in NODE_TIERS:
            raise ConfigError(f"WorkedOperator {self.name!r}: tier must be one of {', '.join(NODE_TIERS)}, "
                              f"got {self.tier!r}.")
        bounds = {"power_w": (0, None), "idle_power_w": (0, None), "pue": (1, None),
                  "electricity_usd_per_kwh": (0, None), "capex_usd": (0, None), "residual_fraction": (0, 1),
                  "rent_usd_per_day": (0, None)}
        for field, (low, high) in bounds.items():
            _check_number(self.name, field, getattr(self, field), low, high)
        _check_number(self.name, "lifetime_days", self.lifetime_days, 0, None, strict=True)
        if self.utilisation is not None:
            _check_number(self.name, "utilisation", self.utilisation, 0, 1, strict=True)
        if self.stake_tokens is not None:
            _check_number(self.name, "stake_tokens", self.stake_tokens, 0, None)


def _check_number(name, field, value, low, high, strict=False):
    check_number(f"WorkedOperator {name!r}: {field}", value, low, high, low_open=strict)


def _archetype_operator(name: str, hardware: str, tariff: str, source: str) -> WorkedOperator:
    a = ARCHETYPES[archetype_index(hardware)]
    return WorkedOperator(name, (hardware,), a.tier, a.power_w, a.idle_power_w, a.pue, TARIFFS_USD_PER_KWH[tariff],
                          (a.capex_low_usd + a.capex_high_usd) / 2.0, a.lifetime_days, a.residual_fraction,
                          source=source)


#: The default examples. Hardware from :data:`fairshare.datasets.archetypes.ARCHETYPES` (price: the middle of the
#: archetype's range); the gateway rents an m5.xlarge enclave as OpenGradient's gateways do, its electricity paid in
#: the rent.
OPERATORS: tuple[WorkedOperator, ...] = (
    _archetype_operator("home RTX 4090", "rtx4090", "us_residential",
                        "[sources: gpu-prices, server-overhead, depreciation-lives, electricity-prices] US residential "
                        "tariff"),
    _archetype_operator("H100 fleet (8x H100 SXM, datacenter)", "h100_sxm_x8", "us_industrial",
                        "[sources: gpu-prices, server-overhead, uptime-pue, depreciation-lives, electricity-prices] US "
                        "industrial tariff"),
    WorkedOperator("TEE gateway (rented m5.xlarge enclave)", ("tee_proxy", "m5.xlarge_nitro"), "proxy", 0.0, 0.0, 1.0,
                   0.0, 0.0, ARCHETYPES[archetype_index("tee_proxy")].lifetime_days, 0.0,
                   rent_usd_per_day=INSTANCE_RENT_USD_PER_DAY,
                   source="[sources: og-tee-gateway, aws-ec2-pricing] m5.xlarge $0.192/h, electricity in the rent"),
)

_COLUMNS = ("operator", "rule", "runs_here", "note", "utilisation", "utilisation_basis", "stake_tokens",
            "served_tokens_per_year", "reward_tokens_per_year", "reward_usd_per_year", "fee_margin_usd_per_year",
            "energy_usd_per_year", "depreciation_usd_per_year", "rent_usd_per_year", "cost_usd_per_year",
            "earned_usd_per_year", "coverage", "net_usd_per_year", "source")


def worked_examples(history: History, rules: dict, *, price_usd: float | None = None, operators=None,
                    features: Features | None = None) -> pd.DataFrame:
    """One row per example operator and rule: tokens, USD, costs, coverage and net a year.

    Parameters
    ----------
    history : History
        The network the examples join (built-in or any other).
    rules : dict of str to Formula
        The rules to pay them by, by name (one Formula is taken as ``{its name: it}``).
    price_usd : float, optional
        One token price for every epoch, USD (> 0 and finite); None (default) uses each epoch's price of
        the history (its price basis). Rules that read the price (a fee-linked cap) see the same one.
    operators : sequence of WorkedOperator, optional
        The examples; default :data:`OPERATORS` (a home RTX 4090, an H100 fleet, a TEE gateway).
    features : Features, optional
        ``fs.aggregate(history)`` if already computed.

    Returns
    -------
    pandas.DataFrame
        Columns ``operator``, ``rule``, ``runs_here`` (False where the history has no peers of the kind;
        ``note`` then says why and every number is NaN), ``utilisation`` and ``utilisation_basis``,
        ``stake_tokens``, ``served_tokens_per_year`` (prompt + generated tokens), ``reward_tokens_per_year``,
        ``reward_usd_per_year``, ``fee_margin_usd_per_year`` (fees - upstream cost), ``energy_usd_per_year``,
        ``depreciation_usd_per_year``, ``rent_usd_per_year``, ``cost_usd_per_year`` (their sum),
        ``earned_usd_per_year`` (reward value + fee margin), ``coverage`` (earned over cost),
        ``net_usd_per_year`` (earned - cost) and ``source``. ``attrs``: ``network``, ``synthetic``,
        ``price_basis``, ``convention`` (:data:`CONVENTION`), ``window_days``.

    Raises
    ------
    ConfigError
        For rules that are not formulas, operators that are not :class:`WorkedOperator`, or a bad price.

    Notes
    -----
    Per year = window total x 365.25 / window days. Under a ``Linear`` rule the example's tokens in
    epoch ``e`` are ``sum_c w_c E_e x_c / X_c`` with ``X_c`` including ``x_c`` (the module docstring
    states the convention). Worked examples per kind of hardware follow Render's RNP-019
    [sources: render-rnp-019].

    Examples
    --------
    >>> import fairshare as fs
    >>> h = fs.datasets.open_inference_network(seed=0, scale="small")
    >>> table = fs.evaluation.worked_examples(h, {"status_quo": fs.formulas.STATUS_QUO})
    >>> table["operator"].tolist()
    ['home RTX 4090', 'H100 fleet (8x H100 SXM, datacenter)', 'TEE gateway (rented m5.xlarge enclave)']
    """
    named = _rules(rules)
    examples = OPERATORS if operators is None else _operators(operators)
    if price_usd is not None:
        _check_price(price_usd)
    f = aggregate(history) if features is None else _checked(features, history)
    if price_usd is not None:
        f = replace(f, token_price_usd=np.full(f.shape[0], float(price_usd)))
    window_days = f.shape[0] * history.epoch_seconds / _DAY
    per_year = _YEAR_DAYS / window_days
    meta = history.metadata
    network = meta.network if meta is not None else "a user's history"
    rows = []
    for op in examples:
        peers = np.isin(np.asarray(history.node_hardware, dtype=object), op.peers)
        busy_total = f.busy_seconds[:, peers].sum()
        if not peers.any() or busy_total <= 0:
            what = "has no" if not peers.any() else "has idle"
            note = (f"cannot run here: {network} {what} {' / '.join(op.peers)} nodes to take serving rates from "
                    "(no numbers invented)")
            rows += [{"operator": op.name, "rule": name, "runs_here": False, "note": note, "source": op.source}
                     for name in named]
            continue
        column, utilisation, basis, stake = _example_column(history, f, op, peers, busy_total)
        grown = _appended(f, column, op.name)
        cost = node_costs(_carrier(history, op, stake), replace(f, **{q: v[:, None] for q, v in column.items()},
                                                                  entity_ids=pd.Index([op.name], dtype=object),
                                                                  entity_operator=np.zeros(1, dtype=np.int64),
                                                                  operator_ids=pd.Index([op.name], dtype=object),
                                                                  node_count=np.ones(1, dtype=np.int64)))
        energy, depreciation = cost.energy_usd.sum(), cost.depreciation_usd.sum()
        rent = 0.0 if cost.rent_usd is None else cost.rent_usd.sum()
        margin = (column["fees_usd"] - column["upstream_cost_usd"]).sum()
        served = (column["input_tokens"] + column["output_tokens"]).sum()
        for name, rule in named.items():
            tokens = rule(grown).rewards[:, -1]
            reward_usd = float((tokens * f.token_price_usd).sum())
            earned, total = reward_usd + margin, energy + depreciation + rent
            rows.append({
                "operator": op.name, "rule": name, "runs_here": True, "note": "", "utilisation": utilisation,
                "utilisation_basis": basis, "stake_tokens": stake, "served_tokens_per_year": served * per_year,
                "reward_tokens_per_year": float(tokens.sum()) * per_year, "reward_usd_per_year": reward_usd * per_year,
                "fee_margin_usd_per_year": margin * per_year, "energy_usd_per_year": energy * per_year,
                "depreciation_usd_per_year": depreciation * per_year, "rent_usd_per_year": rent * per_year,
                "cost_usd_per_year": total * per_year, "earned_usd_per_year": earned * per_year,
                "coverage": earned / total if total > 0 else (np.inf if earned > 0 else np.nan),
                "net_usd_per_year": (earned - total) * per_year, "source": op.source,
            })
    frame = pd.DataFrame(rows, columns=list(_COLUMNS))
    frame["runs_here"] = frame["runs_here"].astype(bool)
    frame.attrs.update({
        "network": network, "synthetic": None if meta is None else meta.synthetic,
        "price_basis": (f"USD at a stated token price of {float(price_usd):g} in every epoch" if price_usd is not None
                        else (meta.price_basis if meta is not None else "USD at each epoch's token price (market "
                              "table)")),
        "convention": CONVENTION, "window_days": window_days,
    })
    return frame


def _rules(rules) -> dict:
    if isinstance(rules, Formula):
        rules = {rules.name or type(rules).__name__: rules}
    if not isinstance(rules, dict) or not rules:
        raise ConfigError("rules must be a non-empty dict of name -> fairshare Formula.")
    bad = [str(n) for n, r in rules.items() if not isinstance(r, Formula)]
    if bad:
        raise ConfigError(f"these rules are not fairshare formulas: {', '.join(bad)}.")
    return dict(rules)


def _operators(operators) -> tuple:
    ops = (operators,) if isinstance(operators, WorkedOperator) else tuple(operators)
    bad = [type(o).__name__ for o in ops if not isinstance(o, WorkedOperator)]
    if not ops or bad:
        raise ConfigError("operators must be fairshare.evaluation.WorkedOperator objects"
                          + (f"; got {', '.join(bad)}." if bad else ", at least one."))
    names = [o.name for o in ops]
    if len(set(names)) != len(names):
        raise ConfigError(f"operators need distinct names, got {names}.")
    return ops


def _check_price(price_usd) -> None:
    if isinstance(price_usd, bool) or not isinstance(price_usd, numbers.Real) or not math.isfinite(price_usd) \
            or price_usd <= 0:
        raise ConfigError(f"price_usd must be a finite token price > 0 (USD), or None for the history's prices; "
                          f"got {price_usd!r}.")


def _example_column(history: History, f: Features, op: WorkedOperator, peers: np.ndarray, busy_total: float):
    """Per-epoch quantities ``(E,)`` of the example node, its utilisation, where that came from, and its stake."""
    online_peers = f.online_seconds[:, peers].sum()
    if op.utilisation is None:
        utilisation = float(busy_total / online_peers)
        basis = f"the history's {' / '.join(op.peers)} nodes' busy share of their online time"
    else:
        utilisation, basis = float(op.utilisation), "stated"
    stake = (float(np.median(history.node_values["stake_tokens"][peers])) if op.stake_tokens is None
             else float(op.stake_tokens))
    e = f.shape[0]
    online = np.full(e, float(history.epoch_seconds))
    busy = utilisation * online
    column = {q: busy * (getattr(f, q)[:, peers].sum() / busy_total) for q in FIELDS if q != "busy_seconds"}
    column["busy_seconds"] = busy
    energy, _, staked = node_epoch_terms(
        busy[:, None], online[:, None], np.array([op.power_w]), np.array([op.idle_power_w]), np.array([op.pue]),
        np.array([-np.inf]), np.array([np.inf]), f.epochs.astype(np.float64), np.array([[stake]]))
    column.update(online_seconds=online, energy_kwh=energy[:, 0], stake_tokens=staked[:, 0], active=np.ones(e))
    return column, utilisation, basis, stake


def _appended(f: Features, column: dict, name: str) -> Features:
    """``f`` with the example as one more node key of a new operator (the last column)."""
    label = f"{name} (worked example)"
    arrays = {q: np.c_[getattr(f, q), v] for q, v in column.items()}
    return replace(f, entity_ids=f.entity_ids.append(pd.Index([label], dtype=object)),
                   operator_ids=f.operator_ids.append(pd.Index([label], dtype=object)),
                   entity_operator=np.r_[f.entity_operator, len(f.operator_ids)], node_count=np.r_[f.node_count, 1],
                   **arrays)


def _carrier(history: History, op: WorkedOperator, stake: float) -> History:
    """A one-node history holding the example's stated hardware, for the cost model (its task row is a stand-in).

    :func:`~fairshare.economics.node_costs` reads tariffs, prices, lives and join epochs from a history;
    the example's energy comes from its own features, so the stand-in task row plays no part.
    """
    first = int(history.epochs[0])
    nodes = pd.DataFrame({
        "node_id": [op.name], "operator_id": [op.name], "hardware": [op.name], "gpu_count": [0],
        "power_w": [float(op.power_w)], "idle_power_w": [float(op.idle_power_w)], "pue": [float(op.pue)],
        "electricity_usd_per_kwh": [float(op.electricity_usd_per_kwh)], "capex_usd": [float(op.capex_usd)],
        "lifetime_days": [float(op.lifetime_days)], "residual_fraction": [float(op.residual_fraction)],
        "stake_tokens": [stake], "joined_epoch": [first], "region": ["stated"], "tier": [op.tier],
        "rent_usd_per_day": [float(op.rent_usd_per_day)],
    })
    tasks = pd.DataFrame({"epoch": [first], "node_id": [op.name], "model": ["meta-llama/Llama-3.1-8B-Instruct"],
                          "requests": [1], "input_tokens": [0.0], "output_tokens": [1.0], "busy_seconds": [0.0],
                          "verification": ["vanilla"], "fee_usd": [0.0], "upstream_cost_usd": [0.0]})
    market = pd.DataFrame({"epoch": history.epochs, "emission_tokens": history.emission_tokens,
                           "token_price_usd": history.token_price_usd})
    return History.from_frames(nodes, tasks, market, epoch_seconds=history.epoch_seconds)
