"""Who funds a rule and who is paid today: the funding pool, stakers' yield, OpenGradient as deployed.

:func:`funding_pool_effect` says which pool pays the rules of an evaluation and what each rule
does to the yield of stake and to the security budget (the emission that rewards bonded stake),
against the history's baseline. :func:`who_is_paid_today` answers, for OpenGradient as its public
code describes it, who receives the emission with the SVIP pool dormant (as at genesis) and
activated (15-year half-life), and how concentrated that is. :func:`opengradient_calibration`
sets the as-deployed network's realised figures beside their cited targets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.history import History
from ..data.models import lookup
from ..economics.svip import SVIP_POOL_TOKENS, SVIP_RECOMMENDED_HALF_LIFE_DAYS, svip_rate_per_day
from ..features import aggregate
from ..metrics import hhi, nakamoto_coefficient
from .demand import RequestSizes
from .opengradient import GATEWAY_MODELS, INSTANCE_RENT_USD_PER_DAY, opengradient_2026
from .supply import unlocked_supply_growth

__all__ = ["funding_pool_effect", "who_is_paid_today", "opengradient_calibration", "CIRCULATING_AT_TGE_TOKENS"]

#: OPG circulating at TGE: 19% of 1B unlocked [sources: opg-tokenomics].
CIRCULATING_AT_TGE_TOKENS = 190_000_000.0


#: The what-if network's named emission schedules as funding pools.
_WHAT_IF_POOLS = {
    "staking": "the OPG staking-rewards pool (100M, here linear over 96 months), paying inference nodes; as coded "
               "this pool is SVIP and pays validators [sources: og-svip-doc], so paying nodes from it takes from them",
    "staking_svip": "the OPG staking-rewards pool under SVIP decay (48-month half-life), paying inference nodes; as "
                    "coded it pays validators [sources: og-svip-doc], so paying nodes from it takes from them",
    "ecosystem": "the OPG ecosystem bucket (400M, 10% at TGE, the rest over 60 months) [sources: opg-tokenomics], "
                 "paying inference nodes",
}


def _pools_text(history: History) -> str:
    if not history.pool_names:
        emission = history.provenance.get("config", {}).get("emission") if history.metadata is not None else None
        if isinstance(emission, str) and emission in _WHAT_IF_POOLS:
            return _WHAT_IF_POOLS[emission]
        if history.metadata is not None and history.metadata.network == "open_inference_network":
            return "a custom emission schedule paying inference nodes"
        return "one pool paying inference nodes (market emission_tokens)"
    return "; ".join(f"{p} pays {r}" for p, r in zip(history.pool_names, history.pool_pays))


def funding_pool_effect(history: History, scoreboard: pd.DataFrame, baseline: str | None = None) -> pd.DataFrame:
    """Per rule: the pool that pays it, stakers' yield and the security budget against the baseline.

    The security budget is the emission that rewards bonded stake, tokens per year (staker yield x
    mean bonded stake) and USD per year at the mean token price. A rule that moves emission from
    stake to work lowers it; this table says by how much.

    Parameters
    ----------
    history : History
        The history the scoreboard was computed on (its pools, stake and prices).
    scoreboard : DataFrame
        ``fs.evaluate(...).scoreboard``: one row per rule with ``staker_yield``.
    baseline : str, optional
        Scoreboard row to compare with; default: the row named ``"baseline"``, else the first row.

    Returns
    -------
    DataFrame
        One row per rule: ``funding_pool``, ``bonded_tokens``, ``bonded_ratio`` (of circulating OPG),
        ``staker_yield``, ``staker_yield_baseline``, ``security_budget_tokens_per_year``,
        ``security_budget_usd_per_year``, ``security_budget_change``.
    """
    f = aggregate(history)
    bonded = float(f.stake_tokens.sum(axis=1).mean()) if f.stake_tokens.size else 0.0
    days = np.arange(history.n_epochs) * history.epoch_seconds / 86_400.0
    circulating = float((CIRCULATING_AT_TGE_TOKENS * unlocked_supply_growth(days)).mean())
    price = float(np.mean(history.token_price_usd))
    yields = scoreboard["staker_yield"].astype(float)
    if baseline is None:
        baseline = "baseline" if "baseline" in yields.index else yields.index[0]
    base = float(yields.loc[baseline])
    budget = yields.fillna(0.0) * bonded
    base_budget = (0.0 if np.isnan(base) else base) * bonded
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(base_budget > 0, budget / base_budget - 1.0, np.nan)
    return pd.DataFrame({
        "funding_pool": _pools_text(history), "bonded_tokens": bonded,
        "bonded_ratio": bonded / circulating if circulating > 0 else np.nan,
        "staker_yield": yields, "staker_yield_baseline": base,
        "security_budget_tokens_per_year": budget, "security_budget_usd_per_year": budget * price,
        "security_budget_change": change,
    }, index=yields.index)


def who_is_paid_today(seed: int = 0, scale: str = "small") -> pd.DataFrame:
    """Who receives OpenGradient's emission as coded, SVIP dormant and activated, and how concentrated.

    Builds :func:`~fairshare.datasets.opengradient_2026` twice (dormant; activated at TGE with the
    recommended 15-year half-life) and pays each epoch's emission by the baseline rule
    (``SVIP_BY_VOTING_POWER``).

    Parameters
    ----------
    seed : int, default 0
        Seed of both networks.
    scale : {"small", "medium", "default", "large"}, default "small"
        Scale of both networks.

    Returns
    -------
    DataFrame
        One row per scenario: emission (tokens), share paid to validators and to gateways, operators
        paid, HHI and Nakamoto coefficient (1/2) of emission by operator, and gateways' fee margin (USD).
    """
    rows = {}
    for name, options in (("SVIP dormant (genesis)", {}), ("SVIP activated, 15-year half-life",
                                                           {"svip_activation_epoch": 0})):
        h = opengradient_2026(seed=seed, scale=scale, **options)
        f = aggregate(h)
        paid = h.baseline(f).rewards.sum(axis=0)
        roles = h.role_labels
        by_op = np.bincount(h.node_operator, weights=paid, minlength=h.n_operators)
        total = float(paid.sum())
        margin = float((f.fees_usd - f.upstream_cost_usd).sum())
        rows[name] = {
            "emission_tokens": float(h.emission_tokens.sum()),
            "validators_share": float(paid[roles == "validator"].sum() / total) if total > 0 else np.nan,
            "gateways_share": float(paid[roles == "gateway"].sum() / total) if total > 0 else np.nan,
            "operators_paid": int((by_op > 0).sum()),
            "hhi": float(hhi(by_op)) if total > 0 else np.nan,
            "nakamoto_1/2": float(nakamoto_coefficient(by_op, 0.5)) if total > 0 else np.nan,
            "gateway_fee_margin_usd": margin,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("scenario")


def opengradient_calibration(seed: int = 0, scale: str = "default") -> pd.DataFrame:
    """The as-deployed network's realised figures beside their cited targets (one row per figure).

    Parameters
    ----------
    seed : int, default 0
        Seed of the networks (dormant and activated SVIP).
    scale : {"small", "medium", "default", "large"}, default "default"
        Scale preset.

    Returns
    -------
    DataFrame
        ``figure``, ``realised``, ``target``, ``low``, ``high``, ``source`` and ``within`` (realised in
        ``[low, high]``).
    """
    dormant = opengradient_2026(seed=seed, scale=scale)
    active = opengradient_2026(seed=seed, scale=scale, svip_activation_epoch=0)
    f = aggregate(dormant)
    roles = dormant.role_labels
    sizes = RequestSizes()
    fee_card = np.mean([(sizes.mean_prompt * lookup(m).input_usd_per_mtok
                         + sizes.mean_output * lookup(m).output_usd_per_mtok) / 1e6 for m in GATEWAY_MODELS])
    requests = f.requests.sum()
    fees = float(f.fees_usd.sum())
    year = min(365, active.n_epochs)
    year_target = SVIP_POOL_TOKENS * (1 - 2 ** (-year / SVIP_RECOMMENDED_HALF_LIFE_DAYS))
    paid = active.baseline(aggregate(active)).rewards.sum(axis=0)
    later = dormant.provenance["requests_to_later_gateways"]
    rent = dormant.node_values["rent_usd_per_day"][roles == "gateway"].mean()
    rows = [
        ("validators at genesis", float((roles == "validator").sum()), 4, 4, 4, "[sources: og-mainnet-genesis]"),
        ("emission with SVIP dormant, tokens", float(dormant.emission_tokens.sum()), 0, 0, 0,
         "[sources: og-svip-doc]"),
        ("SVIP tokens on day 0 (activated)", float(active.emission_tokens[0]), svip_rate_per_day(),
         svip_rate_per_day() * 0.999, svip_rate_per_day() * 1.001,
         "[sources: og-svip-doc] R0 = ln 2 / half-life x pool"),
        (f"SVIP tokens over {year} days (activated)", float(active.emission_tokens[:year].sum()), year_target,
         year_target * 0.9999, year_target * 1.0001, "[sources: og-svip-doc] pool x (1 - 2^(-t / half-life))"),
        ("validators' share of SVIP (baseline)", float(paid[roles == "validator"].sum() / paid.sum()), 1, 1, 1,
         "[sources: og-svip-doc] paid by voting power"),
        ("upstream cost / fees of gateways", float(f.upstream_cost_usd.sum() / fees), 1, 1, 1,
         "[sources: og-tee-gateway] list prices, no markup"),
        ("work units of relayed requests", float(f.work_units.sum()), 0, 0, 0,
         "closed models: 0 active parameters (fairshare.data.models)"),
        ("mean fee per request, USD", fees / float(requests), fee_card, fee_card * 0.9, fee_card * 1.1,
         "[sources: og-tee-gateway, azure-llm-trace-2023] rate card x mean request size"),
        ("requests per day", float(requests) / dormant.n_epochs, 10_000, 9_700, 10_300,
         "[sources: opg-activity] (low grade)"),
        ("gateway rent, USD per day", float(rent), INSTANCE_RENT_USD_PER_DAY, INSTANCE_RENT_USD_PER_DAY,
         INSTANCE_RENT_USD_PER_DAY, "[sources: aws-ec2-pricing] m5.xlarge $0.192/h"),
        ("requests to gateways admitted after TGE", float(later), 0, 0, 0,
         "[sources: og-tee-reputation] newcomers at 5,000 < Good 7,000"),
    ]
    out = pd.DataFrame(rows, columns=["figure", "realised", "target", "low", "high", "source"])
    out["within"] = (out["realised"] >= out["low"] - 1e-9) & (out["realised"] <= out["high"] + 1e-9)
    return out
