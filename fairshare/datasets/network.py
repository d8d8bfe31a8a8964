"""The open-inference what-if network: :func:`open_inference_network` builds a calibrated, seeded history.

The network is **hypothetical**: permissionless local-inference nodes as OpenGradient's
documentation describes them [sources: og-docs] (no public software or reward formula for such
nodes exists), over one year from TGE: home GPUs and Macs run by retail operators, colocation
A100 / L40S and datacenter 8xH100 fleets, and TEE proxies reselling hosted models. It is where
attacks, the optimiser and simulations of permissionless designs run; OpenGradient as deployed
is :func:`fairshare.datasets.opengradient_2026`. Every default cites a key of ``docs/sources.md`` (``[sources: key]``)
in the module that owns it: :mod:`.archetypes` (hardware, power, prices, sites),
:mod:`.supply` (operators, churn, stake, reputation), :mod:`.demand` (models, sizes,
verification, fees), :mod:`.routing` (the router), :mod:`.traffic` (calibrated demand) and
:mod:`.token` (emission and price). ``docs/network.md`` gathers them in one table.

Randomness comes from one ``SeedSequence(seed)`` tree with a child stream per component
(population, demand, routing, price), so changing one component leaves the others' draws
as they were; the same seed and options give bit-identical tables.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace

import numpy as np
import pandas as pd

from .._version import version
from ..data.history import History
from ..data.metadata import DatasetInfo
from ..data.schema import VERIFICATION_MODES
from ..errors import ConfigError
from .archetypes import ARCHETYPES
from .demand import CLASSES, MODELS, models_table
from .routing import REPUTATION_TIERS
from .supply import Population, SupplySpec, build_population
from .token import PRICE_HALF_LIFE_DAYS, PRICE_LOG_SD, PRICE_USD, check_price_parameters, emission_schedule, price_path
from .traffic import TrafficSpec, calibrate_demand, generate_tasks

__all__ = ["NetworkConfig", "NetworkParts", "SCALES", "open_inference_network", "network_config", "build_parts",
           "recorded_config", "GENERATOR", "WHAT_IF_GENERATORS", "what_if_info"]

#: ``provenance["generator"]`` of the what-if network.
GENERATOR = "fairshare.datasets.open_inference_network"
#: Generators of the what-if network: the current name and the one it had before the rename (saved
#: histories and results carry it).
WHAT_IF_GENERATORS = (GENERATOR, "fairshare.datasets.default_network")

#: Size presets: nodes (keys over the whole run), epochs and rows mode. ``small`` is for tests
#: and examples, ``default`` is the year-long demo network, ``large`` a stress size.
SCALES: dict[str, dict] = {
    "small": {"n_nodes": 80, "n_epochs": 30},
    "medium": {"n_nodes": 400, "n_epochs": 120},
    "default": {"n_nodes": 1200, "n_epochs": 365},
    "large": {"n_nodes": 3000, "n_epochs": 365},
}

#: Start of epoch 0: OPG's TGE on 21 April 2026 ([sources: opg-tokenomics]).
EPOCH_ORIGIN = "2026-04-21"
#: Epochs are days (the emission, price, churn and utilisation figures are per day).
EPOCH_SECONDS = 86_400.0
_ROWS = ("epoch", "unit")
_STREAMS = ("population", "demand", "routing", "price")


@dataclass(frozen=True)
class NetworkConfig:
    """Everything :func:`open_inference_network` needs besides the seed.

    ``n_nodes`` counts node keys over the whole run (some join late, some leave);
    ``emission`` is a schedule name of :mod:`.token`, a number of tokens per epoch or one
    value per epoch; ``rows`` is ``"epoch"`` (one settled row per epoch, node and model)
    or ``"unit"`` (one row per routed job or parcel: many more rows).

    Parameters
    ----------
    n_nodes : int, default 1200
        Node keys over the whole run (joiners and leavers included); at least one per archetype.
    n_epochs : int, default 365
        Number of daily epochs, >= 1; epoch 0 is the TGE (21 April 2026).
    supply : SupplySpec, default SupplySpec()
        Population parameters: archetype shares, operator sizes, churn, stake and reputation inputs.
    traffic : TrafficSpec, default TrafficSpec()
        Demand and routing parameters: request and job sizes, utilisation targets, router settings.
    emission : str, float or array_like, default "staking"
        Tokens emitted per epoch: a schedule of :data:`~fairshare.datasets.token.EMISSION_SCHEDULES`,
        a constant number of tokens per epoch, or ``n_epochs`` values.
    price_usd : float, default 0.16
        Centre of the token price path, USD per token ([sources: opg-market]); > 0.
    price_log_sd : float, default 0.587
        Stationary standard deviation of the log price (makes $0.05-$0.50 the 95% band, [sources: opg-market]); >= 0.
    price_half_life_days : float, default 30
        Mean-reversion half-life of the log price, days (assumption); > 0.
    rows : {"epoch", "unit"}, default "epoch"
        Task rows: one per epoch, node and model (plus one per ZKML request), or one per routed unit.
    """

    n_nodes: int = SCALES["default"]["n_nodes"]
    n_epochs: int = SCALES["default"]["n_epochs"]
    supply: SupplySpec = field(default_factory=SupplySpec)
    traffic: TrafficSpec = field(default_factory=TrafficSpec)
    emission: object = "staking"
    price_usd: float = PRICE_USD
    price_log_sd: float = PRICE_LOG_SD
    price_half_life_days: float = PRICE_HALF_LIFE_DAYS
    rows: str = "epoch"

    def validate(self) -> "NetworkConfig":
        """Raise :class:`~fairshare.errors.ConfigError` naming the first bad parameter."""
        if not isinstance(self.n_nodes, (int, np.integer)) or self.n_nodes < len(ARCHETYPES):
            raise ConfigError(f"n_nodes must be an integer >= {len(ARCHETYPES)} (one node of each archetype), "
                              f"got {self.n_nodes!r}.")
        if not isinstance(self.n_epochs, (int, np.integer)) or self.n_epochs < 1:
            raise ConfigError(f"n_epochs must be an integer >= 1, got {self.n_epochs!r}.")
        if self.rows not in _ROWS:
            raise ConfigError(f"rows must be one of {', '.join(_ROWS)}, got {self.rows!r}.")
        t = self.traffic
        checks = (("large_token_share", t.large_token_share, 0.0, 1.0, True),
                  ("target_datacenter_utilisation", t.target_datacenter_utilisation, 0.0, 1.0, False),
                  ("target_proxy_utilisation", t.target_proxy_utilisation, 0.0, 1.0, False),
                  ("large_max_epoch_share", t.large_max_epoch_share, 0.0, 1.0, False),
                  ("initial_operator_share", self.supply.initial_operator_share, 0.0, 1.0, False))
        for name, value, low, high, open_high in checks:
            if not (np.isfinite(value) and low < value and (value < high if open_high else value <= high)):
                raise ConfigError(f"{name} must lie in ({low:g}, {high:g}{')' if open_high else ']'}, got {value!r}.")
        if not t.large_alpha > 1.0:
            raise ConfigError(f"large_alpha must be > 1 (a finite mean job size), got {t.large_alpha!r}.")
        if not (isinstance(t.parcel_requests, (int, np.integer)) and t.parcel_requests >= 1):
            raise ConfigError(f"parcel_requests must be an integer >= 1, got {t.parcel_requests!r}.")
        for name, value in (("large_jobs_per_unit", t.large_jobs_per_unit), ("max_tries", t.max_tries)):
            if not (isinstance(value, (int, np.integer)) and value >= 1):
                raise ConfigError(f"{name} must be an integer >= 1, got {value!r}.")
        n_classes = len(CLASSES)
        if len(t.random_share) != n_classes or not all(0.0 <= r <= 1.0 for r in t.random_share):
            raise ConfigError(f"random_share must give {n_classes} values in [0, 1] (classes "
                              f"{', '.join(CLASSES)}), got {t.random_share!r}.")
        if len(t.min_reputation_tier) != n_classes or any(x not in REPUTATION_TIERS for x in t.min_reputation_tier):
            raise ConfigError(f"min_reputation_tier must give {n_classes} tiers among "
                              f"{', '.join(REPUTATION_TIERS)}, got {t.min_reputation_tier!r}.")
        if not (np.isfinite(t.zkml_per_small_request) and t.zkml_per_small_request >= 0):
            raise ConfigError(f"zkml_per_small_request must be a finite number >= 0, got "
                              f"{t.zkml_per_small_request!r}.")
        shares = self.supply.shares
        if len(shares) != len(ARCHETYPES) or min(shares) < 0 or sum(shares) <= 0:
            raise ConfigError(f"shares must give {len(ARCHETYPES)} non-negative archetype shares "
                              f"({', '.join(a.name for a in ARCHETYPES)}), got {shares!r}.")
        if not any(s > 0 for s, a in zip(shares, ARCHETYPES) if a.tier in ("datacenter", "colocation")):
            raise ConfigError("shares: demand is calibrated on the datacenter (else colocation) tier, so at "
                              f"least one of them needs a share > 0; got {shares!r}.")
        _check_supply(self.supply)
        emission_schedule(self.emission, int(self.n_epochs), EPOCH_SECONDS)
        check_price_parameters(self.price_usd, self.price_log_sd, self.price_half_life_days)
        return self


def _check_supply(spec: SupplySpec) -> None:
    for name, pairs in (("leave_hazard_30d", spec.leave_hazard_30d), ("failure_rate_max", spec.failure_rate_max),
                        ("uptime_min", spec.uptime_min)):
        if any(not (0.0 <= v <= 1.0) for _, v in pairs):
            raise ConfigError(f"{name} must give values in [0, 1], got {pairs!r}.")
    if any(not v > 0 for _, v in spec.operator_mean_nodes):
        raise ConfigError(f"operator_mean_nodes must give sizes > 0, got {spec.operator_mean_nodes!r}.")
    w = spec.retail_size_weights
    if not w or min(w) < 0 or sum(w) <= 0:
        raise ConfigError(f"retail_size_weights must be non-negative with a positive sum, got {w!r}.")
    b = spec.stake_brackets
    holders, stakes = [p for p, _ in b], [q for _, q in b]
    if min(holders + stakes) < 0 or abs(sum(holders) - 1) > 1e-9 or abs(sum(stakes) - 1) > 1e-9:
        raise ConfigError(f"stake_brackets must be (holder share, stake share) pairs, each column summing to 1, "
                          f"got {b!r}.")
    if not (np.isfinite(spec.mean_stake_tokens) and spec.mean_stake_tokens >= 0):
        raise ConfigError(f"mean_stake_tokens must be a finite number >= 0, got {spec.mean_stake_tokens!r}.")
    if not 0.0 <= spec.quality_min <= 1.0:
        raise ConfigError(f"quality_min must lie in [0, 1], got {spec.quality_min!r}.")


def network_config(scale: str = "default", **options) -> NetworkConfig:
    """The configuration of a scale preset, with ``options`` replacing any field.

    Options name :class:`NetworkConfig` fields, or fields of its ``supply``
    (:class:`~fairshare.datasets.supply.SupplySpec`) and ``traffic``
    (:class:`~fairshare.datasets.traffic.TrafficSpec`) parts.

    Parameters
    ----------
    scale : {"small", "medium", "default", "large"}, default "default"
        Size preset of :data:`SCALES` (sets ``n_nodes`` and ``n_epochs``).
    **options
        Replacement values by field name; ``n_nodes=None`` or ``n_epochs=None`` keeps the preset's.
        An unknown name or an invalid value raises :class:`~fairshare.errors.ConfigError`.

    Returns
    -------
    NetworkConfig
        The validated configuration.
    """
    if scale not in SCALES:
        raise ConfigError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}.")
    top = {f.name for f in fields(NetworkConfig)}
    supply_names = {f.name for f in fields(SupplySpec)}
    traffic_names = {f.name for f in fields(TrafficSpec)}
    mine, supply, traffic = dict(SCALES[scale]), {}, {}
    for name, value in options.items():
        if value is None and name in ("n_nodes", "n_epochs"):
            continue
        if name in top:
            mine[name] = value
        elif name in supply_names:
            supply[name] = value
        elif name in traffic_names:
            traffic[name] = value
        else:
            allowed = ", ".join(sorted(top | supply_names | traffic_names))
            raise ConfigError(f"unknown option {name!r}. Allowed: {allowed}.")
    cfg = NetworkConfig(**mine)
    if supply:
        cfg = replace(cfg, supply=replace(cfg.supply, **supply))
    if traffic:
        cfg = replace(cfg, traffic=replace(cfg.traffic, **traffic))
    return cfg.validate()


def what_if_info(config: NetworkConfig | None = None) -> DatasetInfo:
    """What the what-if network's data are: its :class:`~fairshare.data.DatasetInfo`.

    Parameters
    ----------
    config : NetworkConfig, optional
        The configuration (its emission schedule is named in the description); default settings when None.
    """
    emission = "staking" if config is None else config.emission
    pool = emission if isinstance(emission, str) else "custom"
    return DatasetInfo(
        network="open_inference_network", synthetic=True,
        description=("A hypothetical OpenGradient-style network of permissionless local-inference nodes (home "
                     "GPUs, Macs, colocation and datacenter fleets, TEE proxies), as OpenGradient's docs describe "
                     "such nodes; no public software pays them, so it is a what-if, not the deployed network. "
                     f"Emission: the {pool!r} schedule paid to inference nodes; baseline rule STAKE_WORK_50_50, "
                     "fairshare's invented stand-in (50% stake, 50% work)."),
        baseline="STAKE_WORK_50_50",
        price_basis=("USD at each epoch's OPG price, a seeded mean-reverting path: median $0.16 (the mid-June "
                     "2026 price), stationary 95% band $0.05-$0.50"),
        # a key of a permissionless node costs its registration only: about 520k gas with attestation
        # [sources: og-evm-tee-architecture] at the genesis base fee of 1 gwei [sources: og-mainnet-genesis],
        # about 0.0005 OPG once; no stake is required [sources: og-tee-registry]. Per epoch: 0.
        identity_cost_usd=0.0)


def open_inference_network(seed: int = 0, scale: str = "default", *, config: NetworkConfig | None = None,
                           **options) -> History:
    """The hypothetical open-inference network: calibrated, seeded, as a validated :class:`~fairshare.data.History`.

    **Hypothetical.** Permissionless local-inference nodes as OpenGradient's documentation describes
    them; no public software or reward formula for such nodes exists [sources: og-docs], so this is a
    what-if, not OpenGradient as deployed (that is :func:`~fairshare.datasets.opengradient_2026`). Its
    baseline, ``history.baseline``, is :data:`~fairshare.datasets.STAKE_WORK_50_50` (50% stake, 50%
    work), fairshare's stand-in, not a rule any network pays with; ``history.metadata`` says so.
    This network was called ``default_network`` before (that name works, with a warning, until 0.3).

    Parameters
    ----------
    seed : int
        Root of the random streams; the same seed and options give bit-identical tables.
    scale : {"small", "medium", "default", "large"}
        Size preset (:data:`SCALES`): ``small`` (80 nodes, 30 epochs) generates in well
        under a second; ``default`` (1,200 node keys, 365 epochs, about 0.6 million task
        rows, about 5 s) is the demo network.
    config : NetworkConfig, optional
        A full configuration (see :func:`network_config`); then ``scale`` is not used and
        no ``options`` may be given.
    **options
        Replace single settings, e.g. ``n_nodes=300``, ``n_epochs=90``,
        ``emission="ecosystem"``, ``price_usd=0.3``, ``rows="unit"``,
        ``target_datacenter_utilisation=0.8``, ``large_token_share=0.5``
        (see :func:`network_config`).

    Returns
    -------
    History
        Nodes (with an explicit ``tier``), tasks, market and models tables; the generator's
        configuration, seed and routing statistics are in ``history.provenance``.

    Examples
    --------
    >>> import fairshare as fs
    >>> h = fs.datasets.open_inference_network(seed=0, scale="small")
    >>> h.n_epochs
    30
    >>> h.metadata.synthetic
    True
    """
    if config is not None and options:
        raise ConfigError(f"give either config or options, not both (options: {', '.join(sorted(options))}).")
    cfg = network_config(scale, **options) if config is None else config
    parts = build_parts(seed, cfg)
    provenance = {
        "generator": GENERATOR, "fairshare_version": version, "seed": int(seed),
        "scale": scale if config is None else "custom", "config": _plain(asdict(cfg)),
        "demand_means_per_epoch": {c: float(v) for c, v in zip(CLASSES, parts.demand_means.mean(axis=0))},
        "late_capital_factor": parts.population.late_capital_factor, **parts.routing_stats,
    }
    return History.from_frames(_nodes_frame(parts.population), _tasks_frame(parts.tasks, parts.population),
                               parts.market, models=models_table(), epoch_seconds=EPOCH_SECONDS,
                               epoch_origin=EPOCH_ORIGIN, provenance=provenance, metadata=what_if_info(cfg))


@dataclass(frozen=True)
class NetworkParts:
    """What :func:`open_inference_network` builds before validation: the population, the calibrated
    demand means ``(E, C)``, the coded task columns, routing statistics and the market table.

    Parameters
    ----------
    config : NetworkConfig
        The validated configuration the parts were built from.
    population : Population
        Nodes and operators (:func:`~fairshare.datasets.supply.build_population`).
    demand_means : ndarray, shape ``(E, C)``
        Calibrated mean units per epoch and traffic class (:data:`~fairshare.datasets.demand.CLASSES`
        order).
    tasks : dict of str to ndarray
        Task columns, one entry per row: ``epoch``, ``node`` (population index), ``model`` (code in
        :data:`~fairshare.datasets.demand.MODELS`), ``requests``, ``input_tokens``, ``output_tokens``,
        ``busy_seconds``, ``verification`` (code in ``VERIFICATION_MODES``), ``fee_usd`` and
        ``upstream_cost_usd``.
    routing_stats : dict
        ``units_drawn`` and ``units_unserved``: units per class name over the run.
    market : DataFrame
        One row per epoch: ``epoch``, ``emission_tokens``, ``token_price_usd``.
    """

    config: NetworkConfig
    population: Population
    demand_means: np.ndarray
    tasks: dict
    routing_stats: dict
    market: pd.DataFrame


def build_parts(seed: int, config: NetworkConfig) -> NetworkParts:
    """Generate the network's parts for ``seed`` (one child random stream per component).

    Parameters
    ----------
    seed : int
        Non-negative root of the ``SeedSequence`` whose children drive the population, demand,
        routing and price streams.
    config : NetworkConfig
        The configuration; it is validated here.

    Returns
    -------
    NetworkParts
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}.")
    cfg = config.validate()
    children = np.random.SeedSequence(int(seed)).spawn(len(_STREAMS))
    streams = dict(zip(_STREAMS, (np.random.default_rng(s) for s in children)))
    n_epochs = int(cfg.n_epochs)
    pop = build_population(streams["population"], int(cfg.n_nodes), n_epochs, cfg.supply)
    active = pop.active(n_epochs)
    means, _ = calibrate_demand(cfg.traffic, pop.archetype, pop.reputation, pop.stake_tokens, active,
                                EPOCH_SECONDS)
    data, stats = generate_tasks(streams["demand"], streams["routing"], cfg.traffic, means, pop.archetype,
                                 pop.reputation, pop.stake_tokens, active, cfg.rows, EPOCH_SECONDS)
    market = pd.DataFrame({
        "epoch": np.arange(n_epochs, dtype=np.int64),
        "emission_tokens": emission_schedule(cfg.emission, n_epochs, EPOCH_SECONDS),
        "token_price_usd": price_path(streams["price"], n_epochs, center_usd=cfg.price_usd,
                                      log_sd=cfg.price_log_sd, half_life_days=cfg.price_half_life_days),
    })
    return NetworkParts(config=cfg, population=pop, demand_means=means, tasks=data, routing_stats=stats,
                        market=market)


def _nodes_frame(pop: Population) -> pd.DataFrame:
    arch = pop.archetype

    def col(attr):
        return np.array([getattr(a, attr) for a in ARCHETYPES])[arch]

    left = pd.array(np.where(pop.left_epoch < 0, 0, pop.left_epoch), dtype="Int64")
    left[pop.left_epoch < 0] = pd.NA
    return pd.DataFrame({
        "node_id": pop.node_ids, "operator_id": pop.operator_ids[pop.node_operator],
        "hardware": np.array([a.name for a in ARCHETYPES], dtype=object)[arch],
        "gpu_count": col("gpu_count").astype(np.int64), "power_w": col("power_w"),
        "idle_power_w": col("idle_power_w"), "pue": col("pue"),
        "electricity_usd_per_kwh": pop.tariff_usd_per_kwh, "capex_usd": pop.capex_usd,
        "lifetime_days": col("lifetime_days"), "residual_fraction": col("residual_fraction"),
        "stake_tokens": pop.stake_tokens, "joined_epoch": pop.joined_epoch, "left_epoch": left,
        "region": pop.region, "tier": np.array([a.tier for a in ARCHETYPES], dtype=object)[arch],
    })


def _tasks_frame(data: dict, pop: Population) -> pd.DataFrame:
    names = np.array([m.name for m in MODELS], dtype=object)
    modes = np.asarray(VERIFICATION_MODES, dtype=object)
    return pd.DataFrame({
        "epoch": data["epoch"].astype(np.int64), "node_id": pop.node_ids[data["node"].astype(np.int64)],
        "model": names[data["model"].astype(np.int64)], "requests": data["requests"].astype(np.int64),
        "input_tokens": data["input_tokens"], "output_tokens": data["output_tokens"],
        "busy_seconds": data["busy_seconds"], "verification": modes[data["verification"].astype(np.int64)],
        "fee_usd": data["fee_usd"], "upstream_cost_usd": data["upstream_cost_usd"],
    })


def recorded_config(provenance: dict) -> NetworkConfig | None:
    """The :class:`NetworkConfig` recorded in a built-in history's ``provenance``, or None.

    None when the history is not :func:`open_inference_network`'s or its recorded configuration cannot
    be rebuilt exactly (the rebuilt one must give the same provenance record).

    Parameters
    ----------
    provenance : dict
        A history's ``provenance``; its ``generator``, ``scale`` and ``config`` entries are read.
    """
    if provenance.get("generator") not in WHAT_IF_GENERATORS or "config" not in provenance:
        return None
    scale = provenance.get("scale")
    scale = scale if scale in SCALES else "default"
    base = network_config(scale)
    target = provenance["config"]
    options = {}
    for name, value in target.items():
        if name in ("supply", "traffic"):
            part = getattr(base, name)
            for sub, subvalue in value.items():
                current = getattr(part, sub)
                if _plain(current) != subvalue:
                    options[sub] = type(current)(**subvalue) if is_dataclass(current) else _tuples(subvalue)
        elif _plain(getattr(base, name)) != value:
            options[name] = _tuples(value)
    try:
        cfg = network_config(scale, **options)
    except (ConfigError, TypeError):
        return None
    return cfg if _plain(asdict(cfg)) == target else None


def _tuples(value):
    """A provenance value back as configuration (lists become tuples)."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def _plain(value):
    """Configuration as plain Python values (for provenance)."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
