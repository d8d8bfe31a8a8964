"""Calibration report and cost arithmetic of the built-in network.

:func:`calibration_report` generates the network for several seeds and sets every realised
figure beside its cited target and allowed range; :func:`network_economics` shows what the
network looks like before any reward rule is chosen (cost per node-day, fees against cost,
emission value against the network's cost). Both measure the generated
:class:`~fairshare.data.History` through :func:`fairshare.aggregate`, never the generator's
internals.

Costs come from the one cost model, :func:`fairshare.economics.node_costs`: energy
(``energy_kwh`` of the features, PUE included) times the node's tariff, plus straight-line
depreciation ``capex x (1 - residual) / lifetime_days`` for every active day of the life.
"""

from __future__ import annotations

from dataclasses import replace
from math import exp, pi, sqrt

import numpy as np
import pandas as pd

from ..data.history import History
from ..economics.costs import node_costs
from ..features import SMALL_TASK_TOKENS, Features, aggregate
from .archetypes import ARCHETYPES
from .demand import CLASS_MODEL, CLASSES, MODELS, RequestSizes, _normal_ppf
from .network import EPOCH_SECONDS, build_parts, network_config, open_inference_network
from .supply import unlocked_supply_growth
from .traffic import expected_busy

__all__ = ["expected_cost_per_day", "network_economics", "emission_coverage",
           "calibration_figures", "calibration_report", "router_tier_shares", "TOP_STAKE_HOLDERS", "QUANTILES"]

#: Livepeer ([sources: livepeer-delegation]): the 6% of holders with >= 10k LPT hold about 92% of bonded stake.
TOP_STAKE_HOLDERS = (0.06, 0.92)
#: Request-size quantiles reported (those of the Azure trace table, [sources: azure-llm-trace-2023]).
QUANTILES = (0.10, 0.50, 0.90, 0.99)
#: Azure conversation trace, empirical quantiles ([sources: azure-llm-trace-2023]), for reference beside the fit.
_TRACE = {"prompt": (207, 1020, 2734, 4142), "output": (54, 129, 424, 601)}
#: Cited utilisation ranges by tier: (low, high, source); the targets are the configured ones.
_UTILISATION = {
    "home": (0.05, 0.50, "[sources: gpu-rental-utilisation] home 0.05 / 0.2 / 0.5 scenarios"),
    "datacenter": (0.60, 0.85, "[sources: gpu-rental-utilisation] datacenter 60-85%"),
    "proxy": (0.60, 0.85, "[sources: gpu-rental-utilisation] datacenter range; proxies run on EC2 "
                                "[sources: og-tee-gateway]"),
}
#: Middle home scenario ([sources: gpu-rental-utilisation]), the home target.
_HOME_UTILISATION = 0.20


def network_economics(history: History, features: Features | None = None) -> pd.DataFrame:
    """Per archetype (and for the whole network): cost and fee revenue per active node-day.

    Columns: ``node_days``, ``utilisation`` (busy / online), ``energy_usd``, ``depreciation_usd``,
    ``cost_usd`` (their sum), ``fees_usd``, ``upstream_usd`` (per active node-day) and
    ``fee_margin_over_cost`` = (fees - upstream) / cost.

    Parameters
    ----------
    history : History
        A network history (built-in or not); its nodes table supplies the cost inputs.
    features : Features, optional
        Node-level features of ``history``; computed with :func:`fairshare.aggregate` when None.
    """
    f = aggregate(history) if features is None else features
    costs = node_costs(history, f)
    hardware = np.asarray(history.node_hardware, dtype=object)
    order = [a.name for a in ARCHETYPES if (hardware == a.name).any()]
    rows = {}
    for name, mask in [(n, hardware == n) for n in order] + [("network", np.ones(hardware.size, bool))]:
        days = f.active[:, mask].sum()
        sums = {"energy_usd": costs.energy_usd[:, mask].sum(),
                "depreciation_usd": costs.depreciation_usd[:, mask].sum(),
                "fees_usd": f.fees_usd[:, mask].sum(), "upstream_usd": f.upstream_cost_usd[:, mask].sum()}
        cost = sums["energy_usd"] + sums["depreciation_usd"]
        rows[name] = {"node_days": days,
                      "utilisation": f.busy_seconds[:, mask].sum() / f.online_seconds[:, mask].sum(),
                      **{k: v / days for k, v in sums.items()}, "cost_usd": cost / days,
                      "fee_margin_over_cost": (sums["fees_usd"] - sums["upstream_usd"]) / cost}
    cols = ["node_days", "utilisation", "energy_usd", "depreciation_usd", "cost_usd", "fees_usd", "upstream_usd",
            "fee_margin_over_cost"]
    return pd.DataFrame.from_dict(rows, orient="index")[cols].rename_axis("hardware")


def emission_coverage(history: History, features: Features | None = None) -> pd.Series:
    """Emission value against the network's energy plus depreciation, over the whole history.

    * ``emission_over_cost``: emission x price over the network's cost (energy + depreciation);
    * ``fees_over_cost``: fee margin (fees - upstream cost) over cost;
    * ``emission_multiple_for_full_coverage``: the emission (a multiple of the schedule) that
      covers every operator's shortfall (cost - fee margin, where positive) when paid to
      exactly those operators: a lower bound for any real rule;
    * ``share_covered_by_fees``: active operators whose fee margin covers their cost;
    * ``share_covered_pro_rata_work`` (and ``..._retail``): operators covered when the emission
      is paid in proportion to work units each epoch (the plainest rule, for scale only);
    * ``multiple_pro_rata_work_p50`` / ``_p90``: the emission multiple that would cover half,
      and 90%, of active operators under that rule.

    Parameters
    ----------
    history : History
        A network history (built-in or not); its nodes table supplies the cost inputs.
    features : Features, optional
        Node-level features of ``history``; computed with :func:`fairshare.aggregate` when None.
    """
    f = aggregate(history) if features is None else features
    costs = node_costs(history, f)
    value_e = history.emission_tokens * history.token_price_usd
    value = float(value_e.sum())
    cost = float(costs.total_usd.sum())
    margin_node = (f.fees_usd - f.upstream_cost_usd).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_e = np.where(f.work_units.sum(axis=1, keepdims=True) > 0,
                           f.work_units / f.work_units.sum(axis=1, keepdims=True), 0.0)
    reward_node = (value_e[:, None] * share_e).sum(axis=0)
    op, n_ops = history.node_operator, history.n_operators

    def by_op(x):
        return np.bincount(op, weights=x, minlength=n_ops)

    cost_o, margin_o, reward_o = by_op(costs.total_usd.sum(axis=0)), by_op(margin_node), by_op(reward_node)
    active_o = by_op(f.active.sum(axis=0)) > 0
    retail_o = np.zeros(n_ops, dtype=bool)
    retail_o[op[history.tier_labels == "home"]] = True
    shortfall = cost_o - margin_o
    with np.errstate(invalid="ignore", divide="ignore"):
        multiple = np.where(shortfall <= 0, 0.0, np.where(reward_o > 0, shortfall / reward_o, np.inf))
    m = multiple[active_o]
    return pd.Series({
        "emission_value_usd_per_day": value / history.n_epochs,
        "network_cost_usd_per_day": cost / history.n_epochs,
        "fee_margin_usd_per_day": float(margin_node.sum()) / history.n_epochs,
        "emission_over_cost": value / cost,
        "fees_over_cost": float(margin_node.sum()) / cost,
        "emission_multiple_for_full_coverage": float(np.clip(shortfall, 0, None).sum()) / value,
        "share_covered_by_fees": float((shortfall[active_o] <= 0).mean()),
        "share_covered_pro_rata_work": float((m <= 1.0).mean()),
        "share_covered_pro_rata_work_retail": float((multiple[active_o & retail_o] <= 1.0).mean()),
        "multiple_pro_rata_work_p50": float(np.quantile(m, 0.5)),
        "multiple_pro_rata_work_p90": float(np.quantile(m, 0.9)),
    })


def _top_share(values: np.ndarray, fraction: float) -> float:
    """Share held by the top ``fraction`` of holders (interpolating the last holder)."""
    x = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    k = fraction * x.size
    whole = int(np.floor(k))
    part = x[:whole].sum() + (k - whole) * (x[whole] if whole < x.size else 0.0)
    return float(part / x.sum())


def _quantile_tolerance(sigma: float, q: float, n: int) -> float:
    """Relative tolerance of a sample quantile of a lognormal: 4 standard errors of its log, at least 2%."""
    z = _normal_ppf(q)
    density = exp(-z * z / 2) / sqrt(2 * pi)
    se = sigma * sqrt(q * (1 - q) / max(n, 1)) / density
    return max(0.02, exp(4 * se) - 1)


def _capacity_tokens_per_s(hardware: np.ndarray) -> np.ndarray:
    speed = {a.name: (a.speeds["8b"][1] if a.serves("8b") else 0.0) for a in ARCHETYPES}
    return np.array([speed[h] for h in hardware])


def expected_cost_per_day(history: History, utilisation: np.ndarray) -> np.ndarray:
    """``(N,)`` cost per active day of each node at a given busy share, from its own inputs.

    ``(power x u + idle power x (1 - u)) x 24 h x PUE x tariff + capex x (1 - residual) / lifetime``.

    Parameters
    ----------
    history : History
        Supplies each node's power, idle power, PUE, tariff, capex, residual fraction and lifetime.
    utilisation : float or ndarray, shape ``(N,)``
        Busy share u of an online day, in [0, 1], for every node or one per node.
    """
    v = history.node_values
    watts = v["power_w"] * utilisation + v["idle_power_w"] * (1 - utilisation)
    energy = watts * 24.0 / 1000.0 * v["pue"] * v["electricity_usd_per_kwh"]
    return energy + v["capex_usd"] * (1 - v["residual_fraction"]) / v["lifetime_days"]


def calibration_figures(history: History, features: Features | None = None) -> pd.DataFrame:
    """Realised figures of one generated network beside their targets (one row per figure).

    Targets are the configured values (the cited defaults unless the network was generated
    with other options, as its ``provenance["config"]`` records); ranges are the cited ones
    or, where none is cited, the tolerances documented in ``docs/network.md``.

    Parameters
    ----------
    history : History
        A history generated by :func:`~fairshare.datasets.open_inference_network` (another history is
        measured against the default configuration's targets).
    features : Features, optional
        Node-level features of ``history``; computed with :func:`fairshare.aggregate` when None.

    Returns
    -------
    DataFrame
        Columns ``figure``, ``group``, ``value``, ``target``, ``low``, ``high``, ``source``.
    """
    f = aggregate(history) if features is None else features
    cfg = _config_of(history)
    t_cfg = cfg.traffic
    rows = []

    def add(figure, group, value, target=np.nan, low=np.nan, high=np.nan, source=""):
        rows.append({"figure": figure, "group": group, "value": float(value), "target": target, "low": low,
                     "high": high, "source": source})

    tiers = history.tier_labels
    targets = {"home": _HOME_UTILISATION, "datacenter": t_cfg.target_datacenter_utilisation,
               "proxy": t_cfg.target_proxy_utilisation}
    for tier in ("home", "colocation", "datacenter", "proxy"):
        m = tiers == tier
        if m.any():
            value = f.busy_seconds[:, m].sum() / f.online_seconds[:, m].sum()
            if tier in _UTILISATION:
                add("utilisation", tier, value, targets[tier], *_UTILISATION[tier])
            else:
                add("utilisation", tier, value, source="no cited target: emerges from the router")

    local = tiers != "proxy"
    tasks = history.tasks
    node_pos = history.node_ids.get_indexer(tasks["node_id"])
    on_local = local[node_pos]
    tokens = (tasks["input_tokens"] + tasks["output_tokens"]).to_numpy()
    large = tokens > SMALL_TASK_TOKENS * tasks["requests"].to_numpy()
    share = t_cfg.large_token_share
    add("token share of large jobs", "local inference", tokens[on_local & large].sum() / tokens[on_local].sum(),
        share, share - 0.10, share + 0.10, "[sources: azure-llm-trace-2023, syfi-tracelab] (50-70% of token volume)")
    req = tasks["requests"].to_numpy()
    add("count share of large jobs", "local inference", req[on_local & large].sum() / req[on_local].sum(),
        source="[sources: azure-llm-trace-2023, syfi-tracelab] suggest about 5%; conflicts with the token share "
               "(docs): not targeted")

    sizes = t_cfg.request_sizes
    single = (req == 1) & on_local
    for which, column, sigma in (("prompt", "input_tokens", sizes.prompt_sigma),
                                 ("output", "output_tokens", sizes.output_sigma)):
        values = tasks.loc[single, column].to_numpy()
        for q, trace in zip(QUANTILES, _TRACE[which]):
            target = sizes.quantile(which, q)
            tol = _quantile_tolerance(sigma, q, values.size)
            add(f"{which} tokens p{int(q * 100)}", "single requests", np.quantile(values, q),
                target, target * (1 - tol), target * (1 + tol),
                f"[sources: azure-llm-trace-2023] lognormal fit (trace {trace}); range 4 s.e. at n={values.size}")

    last = history.n_epochs - 1
    act_last, act_first = history.active[last], history.active[0]
    stake = history.node_values["stake_tokens"]
    op_stake = np.bincount(history.node_operator[act_last], weights=stake[act_last], minlength=history.n_operators)
    op_stake = op_stake[np.bincount(history.node_operator[act_last], minlength=history.n_operators) > 0]
    frac, share = TOP_STAKE_HOLDERS
    add("stake share of top 6% operators", "last epoch", _top_share(op_stake, frac), share, share - 0.10,
        min(share + 0.07, 1.0), "[sources: livepeer-delegation] Livepeer: 6% of wallets hold ~92% "
        "(range: churn and entrants move it)")
    growth = float(unlocked_supply_growth(last * history.epoch_seconds / 86_400.0))
    entrants = act_last & (history.node_values["joined_epoch"] > history.epochs[0]) & (stake > 0)
    add("active stake, last / first epoch", "network",
        stake[act_last].sum() / stake[act_first].sum() if entrants.any() else np.nan, growth,
        growth * 0.98, growth * 1.02,
        "[sources: opg-tokenomics] unlocked supply 190M -> 300M in 12 months (NaN: no entrant "
        "holds stake at the last epoch)")

    hardware = np.asarray(history.node_hardware, dtype=object)
    spec_shares = cfg.supply.shares
    total_share = sum(spec_shares)
    tol = 0.005 + 1.0 / history.n_nodes
    for arch, s in zip(ARCHETYPES, spec_shares):
        target = s / total_share
        add("node mix", arch.name, (hardware == arch.name).mean(), target, target - tol, target + tol,
            "population mix (assumption)")

    dc_ops = np.zeros(history.n_operators, dtype=bool)
    dc_ops[history.node_operator[tiers == "datacenter"]] = True
    dc_nodes = dc_ops[history.node_operator]
    cap = _capacity_tokens_per_s(hardware)
    add("datacenter operators: share of nodes", "network", dc_nodes.mean(), 0.10, 0.0, 0.20,
        "design aim (assumption): large operators < 20% of nodes")
    add("datacenter operators: share of capacity", "network", cap[dc_nodes].sum() / cap.sum(), np.nan, 0.60, 1.0,
        "design aim (assumption): > 60% of capacity (8B decode tokens/s)")

    costs = node_costs(history, f)
    util_target = {"home": 0.20, "colocation": 0.725, "datacenter": 0.725, "proxy": 0.725}
    expected = expected_cost_per_day(history, np.array([util_target[t] for t in tiers]))
    node_days = f.active.sum(axis=0)
    for arch in ARCHETYPES:
        m = hardware == arch.name
        if not m.any() or node_days[m].sum() == 0:
            continue
        realised = costs.total_usd[:, m].sum() / node_days[m].sum()
        target = float((expected[m] * node_days[m]).sum() / node_days[m].sum())
        add("cost per node-day (USD)", arch.name, realised, target, target * 0.85, target * 1.15,
            f"node inputs ([sources: gpu-prices, electricity-prices, gpu-rental-utilisation]) at utilisation "
            f"{util_target[arch.tier]:g}")

    drawn = history.provenance.get("units_drawn", {})
    unserved = history.provenance.get("units_unserved", {})
    if drawn:
        add("unserved units", "all classes", sum(unserved.values()) / max(sum(drawn.values()), 1), 0.0, 0.0, 0.001,
            "router: demand is calibrated below capacity")
    return pd.DataFrame(rows)


def _config_of(history: History):
    """The generator configuration recorded in a built-in history (the defaults otherwise)."""
    recorded = history.provenance.get("config")
    if not recorded:
        return network_config()
    supply = {k: tuple(tuple(x) if isinstance(x, list) else x for x in v) if isinstance(v, list) else v
              for k, v in recorded["supply"].items()}
    traffic = {k: tuple(v) if isinstance(v, list) else v for k, v in recorded["traffic"].items()
               if k != "request_sizes"}
    cfg = network_config(**supply, **traffic)
    sizes = RequestSizes(**recorded["traffic"]["request_sizes"])
    return replace(cfg, traffic=replace(cfg.traffic, request_sizes=sizes))


def calibration_report(seeds=(0, 1, 2), scale: str = "default", **options) -> pd.DataFrame:
    """Realised calibration figures of the built-in network over several seeds.

    Parameters
    ----------
    seeds : sequence of int
        Seeds of the networks measured (one ``seed_<k>`` column each).
    scale : str
        Scale preset of :func:`~fairshare.datasets.open_inference_network`.
    **options
        Further options for :func:`~fairshare.datasets.open_inference_network`.

    Returns
    -------
    DataFrame
        One row per (figure, group): ``target``, ``low``, ``high`` (averaged over seeds where
        they depend on the drawn nodes, as the cost figures do), ``source``, the realised value
        per seed (``seed_<k>``), their ``mean`` and ``within`` (every seed with a value inside
        its own ``[low, high]``; NaN where no range is cited or no seed has a value).

    Examples
    --------
    >>> from fairshare.datasets import calibration_report
    >>> report = calibration_report(seeds=(0,), scale="small")
    >>> list(report.columns)
    ['target', 'low', 'high', 'seed_0', 'mean', 'within', 'source']
    """
    figures = []
    for seed in seeds:
        fig = calibration_figures(open_inference_network(seed, scale, **options)).set_index(["figure", "group"])
        ranged = fig["low"].notna() & fig["high"].notna() & fig["value"].notna()
        inside = (fig["value"] >= fig["low"]) & (fig["value"] <= fig["high"])
        fig["inside"] = np.where(ranged, inside, np.nan)
        figures.append(fig)
    first = figures[0]
    out = first[["source"]].copy()
    for col in ("target", "low", "high"):  # node-dependent targets (costs) differ a little by seed
        cols = pd.concat([f[col] for f in figures], axis=1)
        same = cols.eq(cols.iloc[:, 0], axis=0).all(axis=1) | cols.isna().all(axis=1)
        out[col] = cols.iloc[:, 0].where(same, cols.mean(axis=1))
    seed_cols = []
    for seed, fig in zip(seeds, figures):
        out[f"seed_{seed}"] = fig["value"]
        seed_cols.append(f"seed_{seed}")
    out["mean"] = out[seed_cols].mean(axis=1)
    inside = pd.concat([f["inside"] for f in figures], axis=1)
    judged = inside.notna().any(axis=1)
    out["within"] = np.where(judged, (inside.fillna(1.0) == 1.0).all(axis=1), np.nan)
    return out[["target", "low", "high", *seed_cols, "mean", "within", "source"]]


def router_tier_shares(seed: int = 0, scale: str = "default", **options) -> pd.DataFrame:
    """Share of each traffic class taken by each tier: what the router did against its expectation.

    Generates the network's parts for ``seed`` and compares the work the router placed (the
    task rows) with the router's fluid limit (:func:`.traffic.expected_busy`) under the same
    calibrated demand. Rows: (class, tier). Columns: ``busy_realised``, ``busy_expected``
    (shares of the class's busy seconds), ``tokens_realised``, ``tokens_expected`` (shares
    of its tokens).

    Parameters
    ----------
    seed : int, default 0
        Seed of :func:`~fairshare.datasets.build_parts`.
    scale : {"small", "medium", "default", "large"}, default "default"
        Size preset (:data:`~fairshare.datasets.SCALES`).
    **options
        Further :func:`~fairshare.datasets.network_config` options.
    """
    parts = build_parts(seed, network_config(scale, **options))
    pop, cfg = parts.population, parts.config
    active = pop.active(int(cfg.n_epochs))
    busy_exp, tokens_exp = expected_busy(cfg.traffic, parts.demand_means, pop.archetype, pop.reputation,
                                         pop.stake_tokens, active, EPOCH_SECONDS)
    tier_names = ("home", "colocation", "datacenter", "proxy")
    tier_of = np.array([tier_names.index(ARCHETYPES[a].tier) for a in range(len(ARCHETYPES))])[pop.archetype]
    model_class = np.full(len(MODELS), CLASSES.index("proxy"))
    for c, name in CLASS_MODEL.items():
        model_class[[m.name for m in MODELS].index(name)] = CLASSES.index(c)
    t = parts.tasks
    key = model_class[t["model"]] * len(tier_names) + tier_of[t["node"]]
    n_cells = len(CLASSES) * len(tier_names)
    out = {}
    for name, realised_w, expected in (("busy", t["busy_seconds"], busy_exp),
                                       ("tokens", t["input_tokens"] + t["output_tokens"], tokens_exp)):
        realised = np.bincount(key, weights=realised_w, minlength=n_cells).reshape(len(CLASSES), len(tier_names))
        exp_tier = np.stack([expected[:, tier_of == k].sum(axis=1) for k in range(len(tier_names))], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"{name}_realised"] = (realised / realised.sum(axis=1, keepdims=True)).ravel()
            out[f"{name}_expected"] = (exp_tier / exp_tier.sum(axis=1, keepdims=True)).ravel()
    index = pd.MultiIndex.from_product([CLASSES, tier_names], names=["class", "tier"])
    return pd.DataFrame(out, index=index)
