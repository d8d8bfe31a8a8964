"""The evaluation engine: replay reward rules over a history and score them.

``fs.evaluate(history, {"status_quo": rule_a, "capped": rule_b})`` pays every
node by each rule, prices every operator's energy and depreciation, and
returns an :class:`Evaluation`: a scoreboard with one row per rule
(concentration, cost coverage overall and per class, earnings per node by
tier, stability, staker yield, what drives the payout, Sybil / merge /
fake-demand gains, winners and losers against a baseline), per-operator
detail, per-epoch trajectories and a trend statement. Rules are replayed one
at a time and only their summaries are kept, so memory does not grow with the
number of rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from .._distributed import check_client, map_ordered, n_workers, share, spans
from .._version import version
from ..attacks import AttackCosts, LinearAttacks, Target, attack_columns
from ..data.history import History
from ..data.io import changed_inputs
from ..economics.costs import PnL, node_costs, operator_classes, pnl
from ..economics.fake_demand import fake_demand_purchase
from ..errors import ConfigError, DataError
from ..features import Features, aggregate, sum_by_operator
from ..formulas import Allocation, Formula
from ..trend import trend as trend_of
from .gaming import driven_shares, merge_gain, purchase_gain, sample_operators, split_gain
from .linear import LinearBasis, as_linear
from .scoreboard import (
    DAYS_PER_MONTH,
    concentration,
    coverage_columns,
    earnings_columns,
    month_blocks,
    monthly,
    staker_yield,
    trajectories,
    winners_losers,
)

__all__ = ["evaluate", "Evaluation", "LEVELS"]

LEVELS = ("operator", "node")

HEADLINE = ("gini", "hhi", "nakamoto_1/3", "top_10pct_share", "coverage_share", "median_retail_coverage")
HEADLINE_TAIL = ("stake_driven_share", "best_attack_net_gain", "best_attack", "winners_share", "largest_loss_pct")

#: From this many Linear rules on, evaluate batches them (see ``batch_linear``).
BATCH_LINEAR = 3


@dataclass(frozen=True, eq=False)
class Evaluation:
    """What :func:`evaluate` found. ``scoreboard`` has one row per rule (index: rule name).

    Parameters
    ----------
    scoreboard : pandas.DataFrame
        One row per rule, indexed by rule name: concentration, coverage, earnings, staker yield,
        gaming gains, winners and losers.
    detail : dict of str to pandas.DataFrame
        Per-entity detail (tokens, earned value, costs, coverage, change against the baseline) of the
        rules detail was kept for (``keep_detail``).
    trajectories : dict of str to pandas.DataFrame
        Per rule, one row per epoch: gini, hhi and Nakamoto (1/3) over the entities active in it,
        and the retail share.
    trend : pandas.DataFrame
        Per rule, the bootstrapped trend of the retail share and a plain-language ``statement``.
    formulas : dict of str to Formula
        The rules scored, by name.
    level : {"operator", "node"}
        Who concentration and coverage were measured for.
    baseline : str
        Name of the rule winners and losers are counted against.
    provenance : dict, optional
        Version, inputs and parameters of the run.
    """

    scoreboard: pd.DataFrame
    detail: dict[str, pd.DataFrame]
    trajectories: dict[str, pd.DataFrame]
    trend: pd.DataFrame
    formulas: dict[str, Formula]
    level: str
    baseline: str
    provenance: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.scoreboard

    def headline(self) -> pd.DataFrame:
        """The scoreboard's key columns, in reading order: concentration, coverage, earnings, gaming."""
        cols = [c for c in HEADLINE if c in self.scoreboard.columns]
        cols += [c for c in self.scoreboard.columns if c.startswith(("coverage_share_", "monthly_usd_per_node_"))]
        return self.scoreboard[cols + [c for c in HEADLINE_TAIL if c in self.scoreboard.columns]]

    def summary(self) -> str:
        """A few plain-language lines per rule."""
        lines = []
        for name, row in self.scoreboard.iterrows():
            lines.append(
                f"{name}: gini {row['gini']:.3f}, top-10% share {row['top_10pct_share']:.1%}, Nakamoto(1/3) "
                f"{row['nakamoto_1/3']:.0f}; {row['coverage_share']:.1%} of active {self.level}s cover energy + "
                f"depreciation; best attack nets {row['best_attack_net_gain']:.3g}x its cost "
                f"({row['best_attack']}). {self.trend.loc[name, 'statement']}"
            )
        return "\n".join(lines)


def evaluate(history: History, formulas, *, level: str = "operator", baseline: str | None = None,
             features: Features | None = None, depreciation: str = "straight_line", vesting=None,
             max_retail_nodes: int = 3, sybil_k=(2, 10), sybil_sample: int = 8, fake_fraction: float = 0.1,
             keep_detail: int | None = 20, trend_resamples: int = 1000, seed: int = 0,
             batch_linear: bool | None = None, client=None, identity_cost_usd: float | None = None,
             attack_costs=None) -> Evaluation:
    """Replay reward rules over ``history`` and score them.

    Parameters
    ----------
    history : History
    formulas : dict of name -> Formula, a list of formulas, or one formula
    level : {"operator", "node"}
        Who fairness, coverage and concentration are measured for (rules always pay nodes).
    baseline : str, optional
        Name of the rule winners and losers are counted against (default: the first).
    features : Features, optional
        ``fs.aggregate(history)`` if already computed.
    depreciation : {"straight_line", "declining_balance"}
    vesting : fairshare.economics.Vesting, optional
        Vesting of rewards, for liquid values and funding gaps in the detail.
    max_retail_nodes : int
        Operators with at most this many nodes, all at home, are retail.
    sybil_k : tuple of int
        Split sizes for the Sybil gains (scoreboard columns ``sybil_gain_k{k}``).
    sybil_sample : int
        Operators (at evenly spaced work quantiles) each split in turn.
    fake_fraction : float
        Fake demand bought, as a fraction (> 0) of the median working node's own work
        (the purchase: :mod:`fairshare.economics.fake_demand`).
    keep_detail : int or None
        Keep per-entity detail for the first this many rules (None: all).
    trend_resamples, seed : int
        Bootstrap of the retail-share trend (seeded; same seed, same interval).
    batch_linear : bool or None
        Score ``Linear`` rules (and ``FloorPlusProportional``) from per-component
        bases computed once, a few small products per rule (same numbers to
        rounding; per-epoch gini and Nakamoto are kept only for rules with
        detail). Default: when there are at least ``BATCH_LINEAR`` of them.
    client : dask.distributed.Client, optional
        Score blocks of rules on this cluster's workers (the history, features and
        bases are sent once to each worker); the result is the same as without.
    identity_cost_usd : float, optional
        What the protocol makes one more key cost, USD per key per epoch (a protocol parameter). None:
        the value the history's dataset states, else 0 (the provenance says which). Ignored when
        ``attack_costs`` is given.
    attack_costs : fairshare.attacks.AttackCosts, optional
        Every cost the attack library is priced at (:mod:`fairshare.attacks`); the scoreboard's
        ``net_gain_<attack>``, ``best_attack_net_gain`` and ``best_attack`` columns. The gross
        ``sybil_gain_k*``, ``merge_gain`` and ``fake_demand_gain`` columns stay as extra columns.
    """
    check_client(client)
    rules = _named(formulas)
    if level not in LEVELS:
        raise ConfigError(f"level must be one of {', '.join(LEVELS)}, got {level!r}.")
    baseline = next(iter(rules)) if baseline is None else baseline
    if baseline not in rules:
        raise ConfigError(f"baseline {baseline!r} is not one of the rules: {', '.join(rules)}.")
    if any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2 for k in sybil_k):
        raise ConfigError(f"sybil_k must be whole numbers >= 2, got {sybil_k!r}.")
    if isinstance(sybil_sample, bool) or not isinstance(sybil_sample, (int, np.integer)) or sybil_sample < 1:
        raise ConfigError(f"sybil_sample must be a whole number >= 1 (operators sampled for the gross split gains), "
                          f"got {sybil_sample!r}.")
    if isinstance(trend_resamples, bool) or not isinstance(trend_resamples, (int, np.integer)) or trend_resamples < 10:
        raise ConfigError(f"trend_resamples must be a whole number >= 10 (999 or more for a reported interval), "
                          f"got {trend_resamples!r}.")
    f = aggregate(history) if features is None else _checked(features, history)
    if attack_costs is None:
        attack_costs = AttackCosts.for_history(history, identity_cost_usd)
    elif not isinstance(attack_costs, AttackCosts):
        raise ConfigError(f"attack_costs must be fairshare.attacks.AttackCosts, got {type(attack_costs).__name__}.")
    costs = node_costs(history, f, depreciation)
    classes_op = operator_classes(history, max_retail_nodes).to_numpy()
    node_tiers = history.tier_labels
    context = _Context(history, f, costs, classes_op, node_tiers, level, vesting,
                       sample_operators(f, sybil_sample), tuple(int(k) for k in sybil_k), fake_fraction,
                       Target(f, history, attack_costs, max_retail_nodes))
    base_window = context.entity_tokens(rules[baseline](f)).sum(axis=0)
    linear = {name: lin for name, rule in rules.items() if (lin := as_linear(rule)) is not None}
    batched = len(linear) >= BATCH_LINEAR if batch_linear is None else bool(batch_linear and linear)
    basis = None
    if batched:
        used = sorted({c for rule in linear.values() for c, w in rule.weights.items() if w > 0})
        basis = LinearBasis(context, used)
    jobs = [(name, rule, linear.get(name), keep_detail is None or i < keep_detail)
            for i, (name, rule) in enumerate(rules.items())]
    blocks = [jobs[lo:hi] for lo, hi in spans(len(jobs), 2 * n_workers(client) if client is not None else 1)]
    if client is not None:  # workers get everything but the history's task log
        light = history.without_tasks()
        context = replace(context, history=light, target=replace(context.target, history=light))
        if basis is not None:
            basis.ctx = context
    scored = map_ordered(client, _score_block, blocks, share(client, _Scorer(context, basis, base_window)))
    rows = {name: row for block in scored for name, (row, _, _) in block.items()}
    detail = {name: d for block in scored for name, (_, d, _) in block.items() if d is not None}
    paths = {name: path for block in scored for name, (_, _, path) in block.items()}
    scoreboard = pd.DataFrame.from_dict(rows, orient="index").rename_axis("rule")
    trend = pd.DataFrame.from_dict(
        {name: _trend(p["retail_share"].to_numpy(), history.epoch_seconds, trend_resamples, seed)
         for name, p in paths.items()}, orient="index").rename_axis("rule")
    provenance = {"fairshare_version": version, "history": repr(history), **history.provenance,
                  "level": level, "depreciation": depreciation, "sybil_k": list(context.sybil_k),
                  "sybil_sample": int(context.sample.size), "fake_fraction": fake_fraction, "seed": seed,
                  "attack_costs": attack_costs.describe(),
                  "rules": {n: repr(r) for n, r in rules.items()}}
    return Evaluation(scoreboard, detail, paths, trend, rules, level, baseline, provenance)


@dataclass(frozen=True, eq=False)
class _Scorer:
    """What scoring any rule needs (sent once to each worker with a client)."""

    context: "_Context"
    basis: LinearBasis | None
    base_window: np.ndarray  # (K,) the baseline rule's window tokens per entity


def _score_block(jobs: list, scorer: _Scorer) -> dict:
    """``name -> (scoreboard row, detail or None, per-epoch path)`` for ``(name, rule, linear, keep)`` jobs."""
    context, basis, base_window = scorer.context, scorer.basis, scorer.base_window
    out = {}
    for name, rule, linear, keep in jobs:
        if basis is not None and linear is not None:
            theta = basis.theta(linear)
            row = basis.row(theta, base_window)
            if keep:
                kept, path = context.detail_and_path(context.replay(rule(context.features)), base_window)
            else:
                kept, path = None, basis.path(theta)
            out[name] = (row, kept, path)
            continue
        alloc = rule(context.features)
        replay = context.replay(alloc)
        row = context.row(rule, replay, base_window)
        out[name] = (row, *context.detail_and_path(replay, base_window, keep))
    return out


def _named(formulas) -> dict[str, Formula]:
    if isinstance(formulas, Formula):
        formulas = [formulas]
    if isinstance(formulas, dict):
        rules = dict(formulas)
    else:
        rules = {}
        for rule in formulas:
            name = rule.name or type(rule).__name__
            rules[name if name not in rules else f"{name}_{len(rules)}"] = rule
    if not rules:
        raise ConfigError("evaluate needs at least one rule.")
    bad = [n for n, r in rules.items() if not isinstance(r, Formula)]
    if bad:
        raise ConfigError(f"these entries are not fairshare formulas: {', '.join(map(str, bad))}.")
    return rules


@dataclass
class _Context:
    history: History
    features: Features
    costs: object
    classes_op: np.ndarray
    node_tiers: np.ndarray
    level: str
    vesting: object
    sample: np.ndarray
    sybil_k: tuple
    fake_fraction: float
    target: Target

    def __post_init__(self):
        f = self.features
        self.present_ops = np.unique(f.entity_operator)
        if self.level == "operator":
            self.entity_ids = f.operator_ids[self.present_ops]
            self.classes = self.classes_op[self.present_ops]
            self.entity_costs = self.costs.by_operator()
            self.capex = _to_entities(self.history.node_values["capex_usd"][None, :], f, self.present_ops)[0]
        else:
            self.entity_ids = f.entity_ids
            self.classes = self.classes_op[f.entity_operator]
            self.entity_costs = self.costs
            self.capex = self.history.node_values["capex_usd"]
        self.entity_features = self.entity_costs.features
        self.present = self.entity_features.active.max(axis=0) > 0
        self.entity_pnl_active = self.entity_features.work_units.sum(axis=0) > 0
        self.window_cost_usd = self.entity_costs.total_usd.sum(axis=0)
        self.window_energy_usd = self.entity_costs.energy_usd.sum(axis=0)
        self.epoch_days = self.history.epoch_seconds / 86_400.0
        self.node_active_days = f.active.sum(axis=0) * self.epoch_days
        self.whole_months = monthly(self.features.active, self.epoch_days) >= month_blocks(
            self.features.shape[0], self.epoch_days)[0]

    @cached_property
    def linear_attacks(self) -> LinearAttacks:
        """Closed forms of every standard attack (built once, on first use by a Linear rule)."""
        return LinearAttacks(self.target)

    def attack_columns(self, rule: Formula, rewards: np.ndarray | None = None) -> dict:
        """``net_gain_<attack>``, ``best_attack_net_gain`` and ``best_attack`` of one rule."""
        linear = self.linear_attacks if as_linear(rule) is not None else None
        return attack_columns(rule, self.target, linear=linear, rewards=rewards)

    @cached_property
    def purchase(self):
        """The fake-demand purchase every rule is scored on (made once, on first use)."""
        return fake_demand_purchase(self.features, self.history, self.fake_fraction)

    def entity_tokens(self, alloc: Allocation) -> np.ndarray:
        if self.level == "node":
            return alloc.rewards
        return _to_entities(alloc.rewards, self.features, self.present_ops)

    def replay(self, alloc: Allocation) -> tuple:
        """``(alloc, entity tokens, entity P&L)``: what the row, detail and path of one allocation share."""
        tokens = self.entity_tokens(alloc)
        return alloc, tokens, pnl(self.entity_costs, tokens, self.vesting)

    def row(self, rule: Formula, replay: tuple, base_window: np.ndarray) -> dict:
        """The scoreboard row of one rule by replaying it (the general path)."""
        f = self.features
        alloc, tokens, entity_pnl = replay
        node_pnl = pnl(self.costs, alloc.rewards, self.vesting)
        window_tokens = tokens.sum(axis=0)
        stake_share, compute_share = driven_shares(rule, f, alloc.rewards)
        emission = f.emission_tokens.sum()
        node_earned = node_pnl.earned_usd
        row = {**concentration(window_tokens, self.present),
               **coverage_columns(entity_pnl.earned_usd.sum(axis=0), self.window_cost_usd, self.window_energy_usd,
                                  self.entity_pnl_active, self.classes),
               **earnings_columns(node_earned.sum(axis=0), self.node_active_days,
                                  monthly(node_earned, self.epoch_days), self.whole_months, self.node_tiers),
               "staker_yield": staker_yield(alloc.rewards.sum(), stake_share, f.stake_tokens, self.epoch_days,
                                            f.shape[0]),
               "stake_driven_share": stake_share, "compute_driven_share": compute_share,
               **{f"sybil_gain_k{k}": split_gain(rule, f, k, self.sample, alloc.rewards) for k in self.sybil_k},
               "merge_gain": merge_gain(rule, f, alloc.rewards),
               "fake_demand_gain": purchase_gain(rule, f, self.purchase, alloc.rewards),
               **self.attack_columns(rule, alloc.rewards),
               **winners_losers(window_tokens, base_window, self.present),
               "unallocated_share": float(alloc.unallocated.sum() / emission) if emission > 0 else float("nan")}
        return row

    def detail_and_path(self, replay: tuple, base_window: np.ndarray,
                        keep: bool = True) -> tuple[pd.DataFrame | None, pd.DataFrame]:
        """Per-entity detail (None unless ``keep``) and per-epoch trajectories of one rule's :meth:`replay`."""
        _, tokens, entity_pnl = replay
        path = trajectories(tokens, self.entity_features.active, self.classes == "retail")
        return (self._detail(entity_pnl, base_window) if keep else None), path

    def _detail(self, p: PnL, base: np.ndarray) -> pd.DataFrame:
        key = "operator_id" if self.level == "operator" else "node_id"
        tokens = p.reward_tokens.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            change = np.where(base > 0, 100.0 * (tokens - base) / base, np.nan)
        frame = pd.DataFrame({
            "class": self.classes, "nodes": self.entity_features.node_count,
            "active": p.active(), "reward_tokens": tokens, "reward_usd": p.reward_usd.sum(axis=0),
            "fees_usd": p.features.fees_usd.sum(axis=0), "upstream_usd": p.features.upstream_cost_usd.sum(axis=0),
            "energy_usd": p.costs.energy_usd.sum(axis=0), "depreciation_usd": p.costs.depreciation_usd.sum(axis=0),
            "earned_usd": p.earned_usd.sum(axis=0), "coverage_ratio": p.coverage_ratio(), "covers": p.covers(),
            "break_even_price_usd": p.break_even_price_usd(), "longest_loss_streak": p.longest_loss_streak(),
            "payback_epochs": p.payback_epochs(self.capex), "must_sell": p.must_sell(),
            "funding_gap_usd": p.funding_gap_usd(), "change_vs_baseline_pct": change,
        }, index=pd.Index(self.entity_ids, name=key))
        return frame


def _checked(f: Features, history: History) -> Features:
    """``f`` when it was aggregated from ``history``; a ConfigError naming what differs otherwise.

    Features carry the history's epochs, node ids, emission and prices, which must match exactly; where
    the task log is in memory, each node's requests over the window must match too (features of another
    history of the same shape differ there).
    """
    if not isinstance(f, Features) or f.level != "node":
        raise ConfigError("features= must be node-level Features of this history (fs.aggregate(history)).")
    differ = changed_inputs(f.input_sha256, (history.provenance or {}).get("input_sha256"))
    if differ:
        raise DataError(f"features= were aggregated from other input files than this history's: {', '.join(differ)} "
                        "differ. Pass fs.aggregate(history) of the history you evaluate.")
    checks = (("epochs", f.epochs, history.epochs), ("node ids", f.entity_ids, history.node_ids),
              ("emission", f.emission_tokens, history.emission_tokens),
              ("token prices", f.token_price_usd, history.token_price_usd))
    for what, mine, theirs in checks:
        if len(mine) != len(theirs) or not np.array_equal(np.asarray(mine), np.asarray(theirs)):
            raise ConfigError(f"features= were not aggregated from this history: their {what} differ. Pass "
                              "fs.aggregate(history) of the history you evaluate.")
    source = history.tasks_source
    if getattr(source, "in_memory", False) or type(source).__name__ == "InMemoryTasks":
        counts = np.zeros(history.n_nodes)
        for chunk in source.chunks():
            counts += np.bincount(chunk.node, weights=chunk.requests, minlength=history.n_nodes)
        if not np.array_equal(counts, f.requests.sum(axis=0)):
            raise ConfigError("features= were not aggregated from this history: the nodes' request counts differ. "
                              "Pass fs.aggregate(history) of the history you evaluate.")
    return f


def _to_entities(matrix: np.ndarray, f: Features, present_ops: np.ndarray) -> np.ndarray:
    return sum_by_operator(matrix, f.entity_operator, len(f.operator_ids), present_ops)


def _trend(share: np.ndarray, epoch_seconds: float, resamples: int, seed: int) -> dict:
    """Trend of the retail share per 30 days, by :func:`fairshare.trend` (one implementation of trends).

    The interval is fairshare.trend's data-chosen block bootstrap; epochs without a share are left out.
    """
    finite = np.isfinite(share)
    if finite.sum() < 4:
        return {"slope_per_month": np.nan, "low": np.nan, "high": np.nan,
                "statement": "Too few paid epochs for a trend."}
    tr = trend_of(pd.Series(share, index=np.arange(share.size)), "retail share", epoch_seconds=epoch_seconds,
                  resamples=resamples, seed=seed, label="the retail share of rewards", changes=False,
                  about="the retail share of a rule replayed over the history")
    per_month = DAYS_PER_MONTH / 365.25
    return {"slope_per_month": tr.slope_per_year * per_month, "low": tr.low * per_month,
            "high": tr.high * per_month, "statement": tr.statement}
