"""OpenGradient as its public code describes it (2026): :func:`opengradient_2026`.

What the code says, each with its source:

* **Validators.** Mainnet genesis is proof of authority: 4 validators, delegation messages rejected,
  slashing 0, new validators only by a governance proposal
  [sources: og-mainnet-genesis, og-poa-governance]. Each holds the 10 OPG placeholder self-stake;
  voting power comes from the proposal that added it, and the generator gives the 4 equal power
  (assumption: the genesis file lists placeholders). ``validators="permissionless"`` is what
  governance may vote for: more validators with delegated stake (counts and stake are then assumptions, stated below).
* **Emission.** The SVIP pool, 100M OPG, exponential decay, paid to validators by voting power;
  dormant until governance activates it [sources: og-svip-doc]. ``svip_activation_epoch=None``
  (default) keeps it dormant, so nobody receives emission; ``svip_activation_epoch=0`` is the
  scenario activated at TGE with the recommended 15-year half-life (12,652 OPG a day at first).
  The schedule is :func:`fairshare.economics.svip_emission`.
* **Inference.** LLM requests are relayed by TEE gateways (AWS Nitro enclaves on m5.xlarge-class
  EC2 instances) to closed models of OpenAI, Anthropic, Google and xAI, at the providers' list
  prices with no markup, paid to one address per gateway [sources: og-tee-gateway, og-sdk]. A
  relayed request does no work on the gateway (the registry's closed models carry 0 active
  parameters); the gateway's fees equal its upstream cost, so its margin is 0. Gateways pay rent
  for their instance, $0.192 an hour [sources: aws-ec2-pricing]; validators are taken to run on the
  same instance class (assumption).
* **Entry.** Permissioned: an admin grants the operator role and approves enclave measurements
  [sources: og-tee-registry]; gateways after the first ``initial_gateways`` join at admin-chosen
  epochs, spread evenly over the run (assumption: approvals are not public).
* **Routing.** The SDK ships one hard-coded gateway address [sources: og-sdk]: a share
  ``sdk_default_share`` of requests (assumption: 0.5) goes there. The rest follows the proposed
  reputation contract [sources: og-tee-reputation]: score = 10,000 x (0.5 success + 0.35 uptime)
  + 0.15 x (10,000 - 2 x average response ms), a gateway without requests scores a neutral 5,000,
  and clients read the top ``top_n`` gateways at or above ``min_tier`` (Good, 7,000) and spread
  requests evenly over them. A newcomer at 5,000 is below Good, so it is never routed (cold start).
* **Demand.** ``requests_per_day`` requests (10,000: "over 10,000 transactions a day", a
  low-grade figure [sources: opg-activity]), Poisson per epoch, equal shares of four listed
  models (assumption), request sizes of the Azure conversation trace
  [sources: azure-llm-trace-2023]; busy time as the what-if network's relay (one H100's batched stream,
  assumption).

Everything not listed with a source is an assumption, and ``history.metadata`` says the data are
synthetic. :func:`opengradient_calibration` sets the realised figures beside their cited targets.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import numpy as np
import pandas as pd

from .._version import version
from ..data.history import History
from ..data.metadata import DatasetInfo
from ..data.models import lookup
from ..economics.svip import SVIP_POOL_TOKENS, SVIP_RECOMMENDED_HALF_LIFE_DAYS, svip_emission
from ..errors import ConfigError
from .archetypes import PREFILL_DECODE_RATIO
from .demand import RequestSizes
from .network import EPOCH_ORIGIN, EPOCH_SECONDS, SCALES
from .routing import REPUTATION_TIERS
from .token import PRICE_HALF_LIFE_DAYS, PRICE_LOG_SD, PRICE_USD, price_path

__all__ = ["OpenGradientConfig", "opengradient_2026", "opengradient_config", "GENERATOR", "GATEWAY_MODELS",
           "INSTANCE_RENT_USD_PER_DAY", "NEUTRAL_REPUTATION"]

#: ``provenance["generator"]`` of the as-deployed network.
GENERATOR = "fairshare.datasets.opengradient_2026"
#: Closed models the gateway lists, drawn in equal shares (API names of :mod:`fairshare.data.models`).
GATEWAY_MODELS: tuple[str, ...] = ("gpt-4.1", "claude-sonnet-4-5", "gemini-2.5-flash", "grok-4-fast")
#: Rent of an m5.xlarge instance, USD per day: $0.192/h x 24 [sources: aws-ec2-pricing].
INSTANCE_RENT_USD_PER_DAY = 0.192 * 24
#: Score of a gateway that has served no request [sources: og-tee-reputation].
NEUTRAL_REPUTATION = 5000.0
#: Relay speed of a gateway, tokens per second (the what-if network's proxy; assumption).
_RELAY_TOKENS_PER_S = 2462.0
#: Gateways over the run by scale (assumption: the registry's count is not public).
_GATEWAYS = {"small": 3, "medium": 4, "default": 6, "large": 12}
_STREAMS = ("population", "demand", "reputation", "price")


@dataclass(frozen=True)
class OpenGradientConfig:
    """Everything :func:`opengradient_2026` needs besides the seed.

    Parameters
    ----------
    n_epochs : int, default 365
        Daily epochs from TGE (21 April 2026).
    n_gateways : int, default 6
        TEE gateways over the run (assumption).
    initial_gateways : int, default 2
        Gateways active at TGE; the others join later, admin-approved.
    validators : {"poa", "permissionless"}, default "poa"
        Proof of authority as at genesis, or the permissionless set governance may vote for.
    n_validators : int, default 4
        Validators (4 at genesis; ``permissionless`` default 20, assumption).
    bonded_tokens : float, default 40
        Tokens bonded by validators (4 x 10 OPG placeholders at genesis; ``permissionless`` default
        19M, 10% of the 190M circulating at TGE: assumption).
    svip_activation_epoch : int, optional
        Epoch governance activates the SVIP pool; None (default) keeps it dormant.
    svip_half_life_days : float, default 15 years
        SVIP half-life, days.
    requests_per_day : float, default 10000
        Mean requests per day over all gateways.
    sdk_default_share : float, default 0.5
        Share of requests sent to the SDK's hard-coded gateway (assumption).
    top_n : int, default 3
        Gateways a client reads from ``getTopTEEsByReputation`` (assumption).
    min_tier : {"poor", "fair", "good", "excellent"}, default "good"
        Lowest reputation tier a client accepts.
    price_usd, price_log_sd, price_half_life_days : float
        The token price path (as the what-if network's).
    """

    n_epochs: int = 365
    n_gateways: int = 6
    initial_gateways: int = 2
    validators: str = "poa"
    n_validators: int = 4
    bonded_tokens: float = 40.0
    svip_activation_epoch: int | None = None
    svip_half_life_days: float = SVIP_RECOMMENDED_HALF_LIFE_DAYS
    requests_per_day: float = 10_000.0
    sdk_default_share: float = 0.5
    top_n: int = 3
    min_tier: str = "good"
    price_usd: float = PRICE_USD
    price_log_sd: float = PRICE_LOG_SD
    price_half_life_days: float = PRICE_HALF_LIFE_DAYS

    def validate(self) -> "OpenGradientConfig":
        """Raise :class:`~fairshare.errors.ConfigError` naming the first bad parameter."""
        ints = (("n_epochs", 1), ("n_gateways", 1), ("initial_gateways", 1), ("n_validators", 1), ("top_n", 1))
        for name, low in ints:
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}.")
        if self.initial_gateways > self.n_gateways:
            raise ConfigError(f"initial_gateways ({self.initial_gateways}) must not exceed n_gateways "
                              f"({self.n_gateways}).")
        if self.validators not in ("poa", "permissionless"):
            raise ConfigError(f"validators must be 'poa' or 'permissionless', got {self.validators!r}.")
        if self.min_tier not in REPUTATION_TIERS:
            raise ConfigError(f"min_tier must be one of {', '.join(REPUTATION_TIERS)}, got {self.min_tier!r}.")
        for name in ("bonded_tokens", "requests_per_day"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ConfigError(f"{name} must be a finite number > 0, got {value!r}.")
        if not 0.0 <= self.sdk_default_share <= 1.0:
            raise ConfigError(f"sdk_default_share must lie in [0, 1], got {self.sdk_default_share!r}.")
        a = self.svip_activation_epoch
        if a is not None and (not isinstance(a, (int, np.integer)) or isinstance(a, bool) or a < 0):
            raise ConfigError(f"svip_activation_epoch must be None (dormant) or an epoch >= 0, got {a!r}.")
        svip_emission(0, half_life_days=self.svip_half_life_days)  # checks the half-life
        return self


def opengradient_config(scale: str = "default", **options) -> OpenGradientConfig:
    """The configuration of a scale preset, with ``options`` replacing any field.

    Parameters
    ----------
    scale : {"small", "medium", "default", "large"}, default "default"
        Size preset: epochs as the what-if network's (:data:`~fairshare.datasets.SCALES`) and a
        number of gateways (3, 4, 6, 12).
    **options
        Fields of :class:`OpenGradientConfig`; an unknown name raises :class:`~fairshare.errors.ConfigError`.
        ``validators="permissionless"`` changes the defaults of ``n_validators`` (20) and
        ``bonded_tokens`` (19M) unless they are given.
    """
    if scale not in SCALES:
        raise ConfigError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}.")
    names = {f.name for f in fields(OpenGradientConfig)}
    unknown = sorted(set(options) - names)
    if unknown:
        raise ConfigError(f"unknown option(s) {', '.join(unknown)}. Allowed: {', '.join(sorted(names))}.")
    base = {"n_epochs": SCALES[scale]["n_epochs"], "n_gateways": _GATEWAYS[scale]}
    if options.get("validators") == "permissionless":
        base.update(n_validators=20, bonded_tokens=19_000_000.0)
    return replace(OpenGradientConfig(), **{**base, **options}).validate()


def opengradient_2026(seed: int = 0, scale: str = "default", *, config: OpenGradientConfig | None = None,
                      **options) -> History:
    """OpenGradient as its public code describes it, one seeded synthetic year (module docstring).

    Its baseline, ``history.baseline``, is the real one: inference nodes are paid fees only and the
    SVIP pool goes to validators by voting power (:data:`~fairshare.datasets.SVIP_BY_VOTING_POWER`).
    The data are synthetic: node counts, request volumes, reputations and routing shares are
    assumptions around the cited figures, and ``history.metadata`` says which SVIP scenario applies.

    Parameters
    ----------
    seed : int
        Root of the random streams; the same seed and options give bit-identical tables.
    scale : {"small", "medium", "default", "large"}
        Size preset (:func:`opengradient_config`).
    config : OpenGradientConfig, optional
        A full configuration; then ``scale`` is not used and no ``options`` may be given.
    **options
        Replace single settings, e.g. ``svip_activation_epoch=0`` (the activated scenario),
        ``validators="permissionless"``, ``sdk_default_share=1.0``.

    Returns
    -------
    History
        Nodes (gateways and validators, with ``role`` and ``rent_usd_per_day``), tasks, market (with the
        ``emission_svip_tokens`` pool), models and pools tables.

    Examples
    --------
    >>> import fairshare as fs
    >>> h = fs.datasets.opengradient_2026(seed=0, scale="small")
    >>> sorted(set(h.role_labels)), float(h.emission_tokens.sum())
    (['gateway', 'validator'], 0.0)
    """
    if config is not None and options:
        raise ConfigError(f"give either config or options, not both (options: {', '.join(sorted(options))}).")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}.")
    cfg = opengradient_config(scale, **options) if config is None else config.validate()
    streams = dict(zip(_STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(int(seed))
                                  .spawn(len(_STREAMS)))))
    nodes, joined = _nodes(cfg, streams["population"])
    tasks, routed = _tasks(cfg, joined, streams["demand"], streams["reputation"])
    n = int(cfg.n_epochs)
    svip = svip_emission(n, activation_epoch=cfg.svip_activation_epoch, half_life_days=cfg.svip_half_life_days,
                         epoch_seconds=EPOCH_SECONDS)
    market = pd.DataFrame({
        "epoch": np.arange(n, dtype=np.int64), "emission_tokens": svip,
        "token_price_usd": price_path(streams["price"], n, center_usd=cfg.price_usd, log_sd=cfg.price_log_sd,
                                      half_life_days=cfg.price_half_life_days),
        "emission_svip_tokens": svip,
    })
    models = pd.DataFrame({"model": list(GATEWAY_MODELS),
                           "active_params_b": [lookup(m).active_params_b for m in GATEWAY_MODELS]})
    pools = pd.DataFrame({"pool": ["svip"], "pays": ["validator"]})
    provenance = {"generator": GENERATOR, "fairshare_version": version, "seed": int(seed),
                  "scale": scale if config is None else "custom", "config": asdict(cfg), **routed}
    return History.from_frames(nodes, tasks, market, models=models, pools=pools, epoch_seconds=EPOCH_SECONDS,
                               epoch_origin=EPOCH_ORIGIN, provenance=provenance, metadata=_info(cfg))


def _info(cfg: OpenGradientConfig) -> DatasetInfo:
    if cfg.svip_activation_epoch is None:
        svip = "SVIP dormant (as at genesis): no emission is paid"
    else:
        svip = (f"SVIP activated at epoch {cfg.svip_activation_epoch} with a {cfg.svip_half_life_days / 365.25:g}-year "
                f"half-life ({SVIP_POOL_TOKENS / 1e6:g}M OPG pool), paid to validators by voting power")
    return DatasetInfo(
        network="opengradient_2026", synthetic=True,
        description=(f"OpenGradient as its public code describes it: {cfg.n_validators} "
                     f"{'proof-of-authority' if cfg.validators == 'poa' else 'permissionless'} validators, "
                     f"{cfg.n_gateways} permissioned TEE gateways relaying closed models at list prices (fees passed "
                     f"upstream); {svip}. Counts, volumes and routing shares are assumptions."),
        baseline="SVIP_BY_VOTING_POWER",
        price_basis=("USD at each epoch's OPG price, a seeded mean-reverting path: median $0.16 (the mid-June "
                     "2026 price), stationary 95% band $0.05-$0.50"))


def _nodes(cfg: OpenGradientConfig, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    n_g, n_v, n = int(cfg.n_gateways), int(cfg.n_validators), int(cfg.n_epochs)
    later = n_g - int(cfg.initial_gateways)
    joins = np.concatenate([np.zeros(cfg.initial_gateways, dtype=np.int64),
                            ((np.arange(1, later + 1) * n) // (later + 1)).astype(np.int64)])
    if cfg.validators == "poa":
        stake = np.full(n_v, cfg.bonded_tokens / n_v)
    else:  # rank-size stake (k-th largest proportional to 1/k), in a seeded order
        weights = 1.0 / np.arange(1, n_v + 1)
        stake = cfg.bonded_tokens * rng.permutation(weights / weights.sum())
    ids = [f"gateway-{k}" for k in range(n_g)] + [f"validator-{k}" for k in range(n_v)]
    operators = ["opengradient"] + [f"gateway-operator-{k}" for k in range(1, n_g)] + \
        [f"validator-operator-{k}" for k in range(n_v)]
    rows = n_g + n_v
    nodes = pd.DataFrame({
        "node_id": ids, "operator_id": operators,
        "hardware": ["m5.xlarge_nitro"] * n_g + ["m5.xlarge"] * n_v,
        "gpu_count": np.zeros(rows, dtype=np.int64), "power_w": 0.0, "idle_power_w": 0.0, "pue": 1.0,
        "electricity_usd_per_kwh": 0.0, "capex_usd": 0.0, "lifetime_days": 5 * 365.25, "residual_fraction": 0.0,
        "stake_tokens": np.concatenate([np.zeros(n_g), stake]),
        "joined_epoch": np.concatenate([joins, np.zeros(n_v, dtype=np.int64)]),
        "region": "us_east_1", "tier": ["proxy"] * n_g + ["datacenter"] * n_v,
        "role": ["gateway"] * n_g + ["validator"] * n_v,
        "rent_usd_per_day": INSTANCE_RENT_USD_PER_DAY,
    })
    return nodes, joins


def _tasks(cfg: OpenGradientConfig, joined: np.ndarray, demand: np.random.Generator,
           reputation: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    n_g, n = int(cfg.n_gateways), int(cfg.n_epochs)
    success = reputation.uniform(0.97, 1.0, n_g)          # assumption
    uptime = reputation.uniform(0.98, 1.0, n_g)           # assumption
    response_ms = reputation.uniform(800.0, 2500.0, n_g)  # assumption
    score = 10_000 * (0.5 * success + 0.35 * uptime) + 0.15 * (10_000 - 2 * response_ms)
    floor = REPUTATION_TIERS[cfg.min_tier]
    served = joined == 0  # gateways live at TGE arrive with a record; later ones start neutral
    sizes, prices = RequestSizes(), [lookup(m) for m in GATEWAY_MODELS]
    rows, by_reputation, newcomer = [], 0, 0
    for e in range(n):
        active = joined <= e
        current = np.where(served, score, NEUTRAL_REPUTATION)
        total = int(demand.poisson(cfg.requests_per_day * EPOCH_SECONDS / 86_400))
        to_default = int(demand.binomial(total, cfg.sdk_default_share))
        eligible = np.flatnonzero(active & (current >= floor))
        chosen = eligible[np.argsort(-current[eligible], kind="stable")][: cfg.top_n] if eligible.size else [0]
        counts = np.zeros(n_g, dtype=np.int64)
        counts[0] += to_default
        np.add.at(counts, np.asarray(chosen), demand.multinomial(total - to_default,
                                                                 np.full(len(chosen), 1.0 / len(chosen))))
        by_reputation += total - to_default
        newcomer += int(counts[joined > 0].sum())
        for g in np.flatnonzero(counts):
            per_model = demand.multinomial(counts[g], np.full(len(GATEWAY_MODELS), 1.0 / len(GATEWAY_MODELS)))
            for m, k in enumerate(per_model):
                if k == 0:
                    continue
                prompt, output = sizes.sample(demand, 1, requests=int(k))
                fee = (prompt[0] * prices[m].input_usd_per_mtok + output[0] * prices[m].output_usd_per_mtok) / 1e6
                busy = (PREFILL_DECODE_RATIO * prompt[0] + output[0]) / _RELAY_TOKENS_PER_S
                rows.append((e, g, m, int(k), prompt[0], output[0], busy, fee))
        served |= counts > 0
    data = np.array(rows, dtype=object).reshape(-1, 8)
    tasks = pd.DataFrame({
        "epoch": data[:, 0].astype(np.int64), "node_id": [f"gateway-{g}" for g in data[:, 1]],
        "model": np.asarray(GATEWAY_MODELS, dtype=object)[data[:, 2].astype(np.int64)],
        "requests": data[:, 3].astype(np.int64), "input_tokens": data[:, 4].astype(np.float64),
        "output_tokens": data[:, 5].astype(np.float64), "busy_seconds": data[:, 6].astype(np.float64),
        "verification": "tee", "fee_usd": data[:, 7].astype(np.float64),
        "upstream_cost_usd": data[:, 7].astype(np.float64),
    })
    return tasks, {"requests_by_reputation": by_reputation, "requests_to_later_gateways": newcomer,
                   "reputation_scores": [float(s) for s in score]}
