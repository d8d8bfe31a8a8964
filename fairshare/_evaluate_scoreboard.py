"""One scoreboard row: concentration, coverage and earnings of one rule's rewards.

Public through :mod:`fairshare.evaluate`. Concentration is measured on the
window's reward tokens per operator (or per node with ``level="node"``), over
the entities active at some point in the window; coverage over the operators
with work in the window (DESIGN.md's *active* operators).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .metrics import gini, hhi, nakamoto_coefficient, summary
from .economics import PnL
from .features import Features

__all__ = ["concentration", "coverage_columns", "earnings_columns", "DAYS_PER_MONTH"]

#: Days in a "month" for monthly earnings (30, as the 30-day windows of the concentration data).
DAYS_PER_MONTH = 30.0

_CONCENTRATION = {"gini": "gini", "theil": "theil", "hhi": "hhi", "nakamoto_1/3": "nakamoto_1/3",
                  "nakamoto_1/2": "nakamoto_1/2", "top_1pct_share": "top_1pct_share",
                  "top_10pct_share": "top_10pct_share", "palma": "palma"}


def concentration(tokens: np.ndarray, present: np.ndarray) -> dict[str, float]:
    """Suite of concentration measures of ``tokens`` (``(K,)``) over the entities ``present``."""
    held = np.ascontiguousarray(tokens[present], dtype=np.float64)
    if held.size == 0 or held.sum() <= 0:
        return {k: float("nan") for k in _CONCENTRATION}
    row = summary(held)
    return {k: float(row[v]) for k, v in _CONCENTRATION.items()}


def coverage_columns(pnl_op: PnL, classes: np.ndarray) -> dict[str, float]:
    """Share of active operators covering energy + depreciation, overall and per class; retail median ratio."""
    active = pnl_op.active()
    ratio = pnl_op.coverage_ratio()
    covers = ratio >= 1.0
    out = {"coverage_share": _share(covers, active),
           "energy_coverage_share": _share(pnl_op.coverage_ratio(energy_only=True) >= 1.0, active)}
    for label in sorted(set(classes[active])):
        out[f"coverage_share_{label}"] = _share(covers, active & (classes == label))
    retail = active & (classes == "retail")
    out["median_retail_coverage"] = float(np.median(ratio[retail])) if retail.any() else float("nan")
    return out


def _share(flags: np.ndarray, among: np.ndarray) -> float:
    n = int(among.sum())
    return float(flags[among].sum() / n) if n else float("nan")


def earnings_columns(pnl_node: PnL, tiers: np.ndarray, epoch_days: float) -> dict[str, float]:
    """Monthly earnings per active node by tier (USD), and reward stability.

    Earnings are earned value (rewards at the price of the epoch earned + fees
    - upstream cost) per 30 days of activity, averaged over active nodes.
    Stability is the median, over nodes active in at least two whole months, of
    the coefficient of variation of their monthly earnings.
    """
    f: Features = pnl_node.features
    earned = pnl_node.earned_usd
    active_days = f.active.sum(axis=0) * epoch_days
    per_month = np.where(active_days > 0, earned.sum(axis=0) / np.maximum(active_days, 1e-300) * DAYS_PER_MONTH,
                         np.nan)
    out = {}
    for label in sorted(set(tiers)):
        cols = (tiers == label) & (active_days > 0)
        out[f"monthly_usd_per_node_{label}"] = float(np.mean(per_month[cols])) if cols.any() else float("nan")
    out["reward_stability_cv"] = _stability(earned, f.active, epoch_days)
    return out


def _stability(earned: np.ndarray, active: np.ndarray, epoch_days: float) -> float:
    per_month = max(int(round(DAYS_PER_MONTH / epoch_days)), 1)
    months = earned.shape[0] // per_month
    if months < 2:
        return float("nan")
    cut = months * per_month
    monthly = earned[:cut].reshape(months, per_month, -1).sum(axis=1)
    whole = active[:cut].reshape(months, per_month, -1).min(axis=1) > 0
    counts = whole.sum(axis=0)
    keep = counts >= 2
    if not keep.any():
        return float("nan")
    m = np.where(whole, monthly, 0.0)[:, keep]
    n = counts[keep]
    mean = m.sum(axis=0) / n
    var = (np.where(whole[:, keep], (m - mean) ** 2, 0.0)).sum(axis=0) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.sqrt(var) / np.abs(mean)
    cv = cv[np.isfinite(cv)]
    return float(np.median(cv)) if cv.size else float("nan")


def staker_yield(reward_tokens_total: float, stake_share: float, stake: np.ndarray, epoch_days: float,
                 n_epochs: int) -> float:
    """Annualised yield on stake of the rewards the stake part drives (tokens per staked token per year)."""
    mean_stake = float(stake.sum(axis=1).mean()) if stake.size else 0.0
    if mean_stake <= 0 or not np.isfinite(stake_share):
        return float("nan")
    years = n_epochs * epoch_days / 365.0
    return reward_tokens_total * stake_share / mean_stake / years


def winners_losers(tokens: np.ndarray, baseline: np.ndarray, present: np.ndarray) -> dict[str, float]:
    """Share of entities gaining against the baseline's tokens, and the largest loss in percent."""
    a, b = tokens[present], baseline[present]
    paid = b > 0
    change = np.where(paid, (a - b) / np.where(paid, b, 1.0), np.where(a > 0, np.inf, 0.0))
    return {"winners_share": float((a > b).mean()) if a.size else float("nan"),
            "largest_loss_pct": float(-100.0 * change.min()) if a.size and change.min() < 0 else 0.0}


def retail_share_path(op_tokens: np.ndarray, retail: np.ndarray) -> np.ndarray:
    """``(E,)`` share of each epoch's paid tokens that went to retail operators (NaN when none paid)."""
    total = op_tokens.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, op_tokens[:, retail].sum(axis=1) / total, np.nan)


def trajectories(op_tokens: np.ndarray, active: np.ndarray, retail: np.ndarray) -> pd.DataFrame:
    """Per epoch: gini, hhi and Nakamoto (1/3) over the entities active in it, and the retail share.

    Epochs where no active entity was paid are NaN.
    """
    paid = ((op_tokens * (active > 0)).sum(axis=1) > 0) & ((active > 0).sum(axis=1) > 0)
    masked = np.where(active[paid] > 0, op_tokens[paid], np.nan)
    frame = pd.DataFrame(np.nan, index=np.arange(op_tokens.shape[0]), columns=["gini", "hhi", "nakamoto_1/3"])
    if paid.any():
        frame.loc[paid, "gini"] = gini(masked, nan_policy="omit")
        frame.loc[paid, "hhi"] = hhi(masked, nan_policy="omit")
        frame.loc[paid, "nakamoto_1/3"] = nakamoto_coefficient(masked, 1 / 3, nan_policy="omit")
    frame["retail_share"] = retail_share_path(op_tokens, retail)
    return frame
