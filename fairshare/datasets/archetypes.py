"""Node archetypes of the built-in network: hardware, power, price, life, site and speed.

Every number is taken, or derived in the open, from a source of ``docs/sources.md``
(cited as ``[sources: key]``). "Derived" rows show the arithmetic; "assumption" marks the few
values no public source gives.

Power at the wall (W)
---------------------
=================  ============================================  =====================================
archetype          busy / idle                                   derivation
=================  ============================================  =====================================
``rtx3090``        (0.65 x 350 + 80) / 0.90 = 341.7 / 88.9        TDP 350 W [sources: gpu-prices]; decode at 0.65 TDP
                                                                  [sources: decode-power];
                                                                 host +80 W [sources: server-overhead]; PSU 90%
                                                                 [sources: server-overhead]; idle GPU
                                                                 30 W [sources: decode-power] + host 50 W
                                                                 [sources: server-overhead], through the PSU
``rtx4090``        (0.65 x 450 + 100) / 0.90 = 436.1 / 88.9       TDP 450 W [sources: gpu-prices]; host +100 W
                                                                  [sources: server-overhead]
``mac_m2_ultra``   0.65 x 295 = 191.8 / 10                        295 W max and 10 W idle at the wall,
                                                                 PSU included [sources: gpu-prices] (support.apple.com)
``a100_80gb``      400 x 1.10 = 440 / 0.2 x 400 x 1.10 = 88       SXM 400 W [sources: gpu-prices]; batched serving at
                                                                  full
                                                                 TDP (batched serving, the top of the
                                                                 0.5-1.0 range of [sources: decode-power]); host +10%
                                                                 [sources: server-overhead];
                                                                 idle 20% of TDP [sources: decode-power]
``l40s``           350 x 1.10 = 385 / 77                          350 W [sources: gpu-prices]; as a100_80gb
``h100_sxm_x8``    8 x 700 x 1.10 = 6,160 / 1,232                 700 W each [sources: gpu-prices]; as a100_80gb
``tee_proxy``      80 / 0.90 = 88.9 / 50 / 0.90 = 55.6            CPU enclave host only ([sources: og-tee-gateway]: 2
                                                                  vCPU,
                                                                 8 GB); host +80 W [sources: server-overhead], idle
                                                                 host 50 W [sources: server-overhead]
=================  ============================================  =====================================

Purchase price (USD, drawn uniformly in the range), life and residual value
---------------------------------------------------------------------------
``rtx3090`` 500-800 used ([sources: gpu-prices]); ``rtx4090`` 1,599-1,800 (MSRP [sources: gpu-prices]); ``mac_m2_ultra``
5,000-7,000 ([sources: gpu-prices], not verified there); ``a100_80gb`` 8,000-15,000 ([sources: gpu-prices]); ``l40s``
5,156-9,667 (derived: [sources: gpu-prices] gives no purchase price, so the A100 range is scaled by the
rental ratio L40S $0.87/h to A100 $1.35/h, [sources: koyeb-batch]); ``h100_sxm_x8`` 8 x 25,000-30,000
([sources: gpu-prices]);
``tee_proxy`` 0 (no hardware bought: a rented enclave, [sources: og-tee-gateway], whose rent this what-if does
not charge; ``opengradient_2026`` charges rent [sources: aws-ec2-pricing]). GPUs only: host and chassis prices have no
public source here. Consumer hardware
(home GPUs, Macs) 3 years with 30% residual; datacenter GPUs 5 years with 10% residual
([sources: depreciation-lives]).

Serving speed (tokens per second of one node)
---------------------------------------------
Home nodes serve one stream at a time (batch 1, llama.cpp, [sources: gpu-benchmarks-llm]): RTX 3090 prefill 4,030 /
decode 115.4; RTX 4090 7,139 / 130.6; M2 Ultra 994 / 78.8 (Llama-3-8B Q4_K_M). Datacenter
GPUs serve batched ([sources: koyeb-batch] Koyeb, Llama-3.1-8B at batch 32): A100 1,933, L40S 1,124, H100
2,462 decode tokens/s per GPU; their prefill is charged at :data:`PREFILL_DECODE_RATIO` of a
decode token ([sources: gpu-benchmarks-llm]: 130.6 / 7,139). 70B speed is the 8B speed times the batch-1 ratio of a
70B to a 7B model on the same card ([sources: gpu-benchmarks-llm]: A100 25.7 / 136.2, H100 25.9 / 133.8; L40S uses the
A100 ratio). Home cards (24 GB) do not hold a 70B model; a Mac could (12.5 tokens/s, [sources: gpu-benchmarks-llm])
but one minimum-size large job would hold it for about 40 minutes, so Macs serve the 8B
class only (a design choice). A proxy node relays hosted models; no public source gives
enclave occupancy, so one busy enclave is taken to relay one H100's batched stream
(2,462 tokens/s, [sources: gpu-benchmarks-llm]; assumption).

Sites
-----
PUE: home 1.0, colocation 1.5, hyperscale datacenter 1.15 ([sources: uptime-pue]); proxies run on EC2
([sources: og-tee-gateway]),
so hyperscale. Tariffs (USD/kWh, [sources: electricity-prices]): US residential 0.165, German household 0.43,
EU household 0.31, Chinese household 0.078, US industrial 0.08, Chinese industrial 0.088.
Home nodes draw one of the four household regions with equal chance, colocation and
datacenter nodes one of the two industrial regions, proxies US industrial (assumption:
no public source gives a regional mix).

Population mix by node count (assumption: no public node counts exist [sources: og-docs]): home GPU 60% (3090 and 4090
in equal parts:
assumption), Mac 10%, colocation 15% (A100 and L40S in equal parts: assumption),
datacenter 10%, TEE proxy 5%.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = [
    "PREFILL_DECODE_RATIO",
    "TARIFFS_USD_PER_KWH",
    "Archetype",
    "ARCHETYPES",
    "archetype_index",
    "archetype_table",
]

#: Prefill cost of one prompt token relative to one decode token ([sources: gpu-benchmarks-llm]: RTX 4090 prefills
#: 7,139 and decodes 130.6 tokens/s). Same value as ``fairshare.features.PREFILL_WEIGHT``.
PREFILL_DECODE_RATIO = 130.6 / 7139.0

#: Electricity tariffs by region, USD/kWh ([sources: electricity-prices]).
TARIFFS_USD_PER_KWH: dict[str, float] = {
    "us_residential": 0.165,
    "de_household": 0.43,
    "eu_household": 0.31,
    "cn_household": 0.078,
    "us_industrial": 0.08,
    "cn_industrial": 0.088,
}

_HOME_REGIONS = ("us_residential", "de_household", "eu_household", "cn_household")
_INDUSTRIAL_REGIONS = ("us_industrial", "cn_industrial")
_CONSUMER_LIFE_DAYS = 3 * 365.25
_DATACENTER_LIFE_DAYS = 5 * 365.25
_PSU = 0.90
_HOST_SHARE = 1.10
_IDLE_TDP_SHARE = 0.20
_DECODE_TDP_SHARE = 0.65

# 70B / 7B batch-1 speed ratios on the same card ([sources: gpu-benchmarks-llm], llama.cpp Q4_0).
_RATIO_70B_A100 = 25.7 / 136.2
_RATIO_70B_H100 = 25.9 / 133.8
_L40S_CAPEX_SCALE = 0.87 / 1.35  # L40S / A100 PCIe rental price ([sources: koyeb-batch])


@dataclass(frozen=True)
class Archetype:
    """One kind of node: hardware, power, price, depreciation, site and serving speed.

    ``speeds`` maps a model family (``"8b"``, ``"70b"``, ``"hosted"``) to the node's
    (prefill, decode) tokens per second at its serving batch. ``share`` is its share of
    node keys in the default population.

    Parameters
    ----------
    name : str
        Archetype name, written to the nodes table's ``hardware`` column (e.g. ``"rtx4090"``).
    tier : {"home", "colocation", "datacenter", "proxy"}
        Site tier; sets the operator kind, churn hazard and reputation inputs of its nodes.
    gpu_count : int
        GPUs per node (0 for the CPU-only TEE proxy).
    power_w : float
        Power at the wall while serving, W, before PUE (host and PSU losses included).
    idle_power_w : float
        Power at the wall while online and idle, W, before PUE.
    capex_low_usd, capex_high_usd : float
        Range of the purchase price, USD; each node's price is drawn uniformly in it.
    lifetime_days : float
        Depreciation life, days (3 years for consumer hardware, 5 for datacenter GPUs).
    residual_fraction : float
        Value left at the end of the life, as a fraction of the purchase price.
    pue : float
        Power usage effectiveness of the site (home 1.0, colocation 1.5, hyperscale 1.15).
    regions : tuple of str
        Tariff regions (keys of :data:`TARIFFS_USD_PER_KWH`) an operator of this archetype draws from.
    share : float
        Share of node keys in the default population (the shares of all archetypes sum to 1).
    speeds : dict of str to (float, float)
        Model family (``"8b"``, ``"70b"``, ``"hosted"``) to (prefill, decode) tokens per second of
        one node; a family not in the dict is not served.
    batched : bool
        True when the node serves at a batch (datacenter GPUs, proxies), False for batch-1 home nodes.
    source : str
        Bibliography keys (``docs/sources.md``) of the figures' sources.
    """

    name: str
    tier: str
    gpu_count: int
    power_w: float
    idle_power_w: float
    capex_low_usd: float
    capex_high_usd: float
    lifetime_days: float
    residual_fraction: float
    pue: float
    regions: tuple[str, ...]
    share: float
    speeds: dict
    batched: bool
    source: str

    def serves(self, family: str) -> bool:
        """True when the archetype serves models of ``family``."""
        return family in self.speeds


def _batched(decode_tokens_per_s: float) -> tuple[float, float]:
    return decode_tokens_per_s / PREFILL_DECODE_RATIO, decode_tokens_per_s


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype("rtx3090", "home", 1, (_DECODE_TDP_SHARE * 350 + 80) / _PSU, 80 / _PSU, 500.0, 800.0,
              _CONSUMER_LIFE_DAYS, 0.30, 1.0, _HOME_REGIONS, 0.30, {"8b": (4030.0, 115.4)}, False,
              "[sources: gpu-prices, server-overhead, gpu-benchmarks-llm]; mix: assumption"),
    Archetype("rtx4090", "home", 1, (_DECODE_TDP_SHARE * 450 + 100) / _PSU, 80 / _PSU, 1599.0, 1800.0,
              _CONSUMER_LIFE_DAYS, 0.30, 1.0, _HOME_REGIONS, 0.30, {"8b": (7139.0, 130.6)}, False,
              "[sources: gpu-prices, server-overhead, gpu-benchmarks-llm]; mix: assumption"),
    Archetype("mac_m2_ultra", "home", 1, _DECODE_TDP_SHARE * 295, 10.0, 5000.0, 7000.0,
              _CONSUMER_LIFE_DAYS, 0.30, 1.0, _HOME_REGIONS, 0.10, {"8b": (994.0, 78.8)}, False,
              "[sources: gpu-prices, gpu-benchmarks-llm]; mix: assumption"),
    Archetype("a100_80gb", "colocation", 1, 400 * _HOST_SHARE, _IDLE_TDP_SHARE * 400 * _HOST_SHARE,
              8000.0, 15000.0, _DATACENTER_LIFE_DAYS, 0.10, 1.5, _INDUSTRIAL_REGIONS, 0.075,
              {"8b": _batched(1933.0), "70b": _batched(1933.0 * _RATIO_70B_A100)}, True,
              "[sources: gpu-prices, server-overhead, gpu-benchmarks-llm, koyeb-batch]; mix: assumption"),
    Archetype("l40s", "colocation", 1, 350 * _HOST_SHARE, _IDLE_TDP_SHARE * 350 * _HOST_SHARE,
              8000.0 * _L40S_CAPEX_SCALE, 15000.0 * _L40S_CAPEX_SCALE, _DATACENTER_LIFE_DAYS, 0.10, 1.5,
              _INDUSTRIAL_REGIONS, 0.075,
              {"8b": _batched(1124.0), "70b": _batched(1124.0 * _RATIO_70B_A100)}, True,
              "[sources: gpu-prices, koyeb-batch] (derived price); mix: assumption"),
    Archetype("h100_sxm_x8", "datacenter", 8, 8 * 700 * _HOST_SHARE, 8 * _IDLE_TDP_SHARE * 700 * _HOST_SHARE,
              8 * 25000.0, 8 * 30000.0, _DATACENTER_LIFE_DAYS, 0.10, 1.15, _INDUSTRIAL_REGIONS, 0.10,
              {"8b": _batched(8 * 2462.0), "70b": _batched(8 * 2462.0 * _RATIO_70B_H100)}, True,
              "[sources: gpu-prices, server-overhead, gpu-benchmarks-llm, koyeb-batch]; mix: assumption"),
    Archetype("tee_proxy", "proxy", 0, 80 / _PSU, 50 / _PSU, 0.0, 0.0, _DATACENTER_LIFE_DAYS, 0.0, 1.15,
              ("us_industrial",), 0.05, {"hosted": _batched(2462.0)}, True,
              "[sources: og-tee-gateway, server-overhead, koyeb-batch]; relay speed and mix: assumption"),
)


def archetype_index(name: str) -> int:
    """Position of the archetype called ``name`` in :data:`ARCHETYPES`.

    Parameters
    ----------
    name : str
        Archetype name (an :attr:`Archetype.name`, the nodes table's ``hardware`` value); an
        unknown name raises ``KeyError``.
    """
    for i, a in enumerate(ARCHETYPES):
        if a.name == name:
            return i
    raise KeyError(name)


def archetype_table() -> pd.DataFrame:
    """The archetypes as a table (one row each): what the docs print."""
    rows = []
    for a in ARCHETYPES:
        tariffs = [TARIFFS_USD_PER_KWH[r] for r in a.regions]
        rows.append({
            "hardware": a.name, "tier": a.tier, "share": a.share, "gpu_count": a.gpu_count,
            "power_w": round(a.power_w, 1), "idle_power_w": round(a.idle_power_w, 1), "pue": a.pue,
            "capex_usd": f"{a.capex_low_usd:,.0f}-{a.capex_high_usd:,.0f}",
            "lifetime_years": round(a.lifetime_days / 365.25, 2), "residual_fraction": a.residual_fraction,
            "tariff_usd_per_kwh": f"{min(tariffs):g}-{max(tariffs):g}",
            "decode_tokens_per_s": ", ".join(f"{k}: {v[1]:,.1f}" for k, v in a.speeds.items()),
            "source": a.source,
        })
    return pd.DataFrame(rows)
