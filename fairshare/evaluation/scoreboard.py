"""One scoreboard row: concentration, coverage and earnings of one rule's rewards.

Public through :mod:`fairshare.evaluation`. Concentration is measured on the
window's reward tokens per operator (or per node with ``level="node"``), over
the entities active at some point in the window; coverage over the operators
with work in the window (DESIGN.md's *active* operators).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics import gini, hhi, nakamoto_coefficient, summary

__all__ = ["concentration", "coverage_columns", "earnings_columns", "monthly", "month_blocks", "staker_yield",
           "winners_losers", "retail_share_path", "trajectories", "DAYS_PER_MONTH"]

#: Days in a "month" for monthly earnings (30, as the 30-day windows of the concentration data).
DAYS_PER_MONTH = 30.0

_CONCENTRATION = {"gini": "gini", "theil": "theil", "hhi": "hhi", "nakamoto_1/3": "nakamoto_1/3",
                  "nakamoto_1/2": "nakamoto_1/2", "top_1pct_share": "top_1pct_share",
                  "top_10pct_share": "top_10pct_share", "palma": "palma"}


def concentration(tokens: np.ndarray, present: np.ndarray) -> dict[str, float]:
    """Suite of concentration measures of ``tokens`` (``(K,)``) over the entities ``present``.

    Parameters
    ----------
    tokens : ndarray, shape ``(K,)``
        Reward tokens of each entity (operator or node) over the window.
    present : bool ndarray, shape ``(K,)``
        Entities to measure over (those active at some point in the window).

    Returns
    -------
    dict of str to float
        ``gini``, ``theil``, ``hhi``, ``nakamoto_1/3``, ``nakamoto_1/2``, ``top_1pct_share``,
        ``top_10pct_share`` and ``palma``; all NaN when no present entity holds tokens.
    """
    held = np.ascontiguousarray(tokens[present], dtype=np.float64)
    if held.size == 0 or held.sum() <= 0:
        return {k: float("nan") for k in _CONCENTRATION}
    row = summary(held)
    return {k: float(row[v]) for k, v in _CONCENTRATION.items()}


def coverage_columns(earned_usd: np.ndarray, cost_usd: np.ndarray, energy_usd: np.ndarray, active: np.ndarray,
                     classes: np.ndarray) -> dict[str, float]:
    """Share of active entities covering energy + depreciation over the window, overall and per class.

    All arguments are ``(K,)`` window totals (earned value, energy + depreciation,
    energy) and flags; also the median coverage ratio of retail entities.

    Parameters
    ----------
    earned_usd : ndarray, shape ``(K,)``
        Earned value of each entity over the window, USD (rewards at the price of the epoch earned
        + fees - upstream cost).
    cost_usd : ndarray, shape ``(K,)``
        Energy + depreciation of each entity over the window, USD.
    energy_usd : ndarray, shape ``(K,)``
        Energy cost of each entity over the window, USD.
    active : bool ndarray, shape ``(K,)``
        Entities counted: those with work in the window.
    classes : ndarray of str, shape ``(K,)``
        Operator class of each entity (e.g. ``"retail"``); one ``coverage_share_<class>`` column per
        class present among the active entities.

    Returns
    -------
    dict of str to float
        ``coverage_share``, ``energy_coverage_share``, ``coverage_share_<class>`` and
        ``median_retail_coverage`` (NaN when there is nothing to count).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = earned_usd / cost_usd
        covers = ratio >= 1.0
        out = {"coverage_share": _share(covers, active),
               "energy_coverage_share": _share(earned_usd / energy_usd >= 1.0, active)}
    for label in sorted(set(classes[active])):
        out[f"coverage_share_{label}"] = _share(covers, active & (classes == label))
    retail = active & (classes == "retail")
    out["median_retail_coverage"] = float(np.median(ratio[retail])) if retail.any() else float("nan")
    return out


def _share(flags: np.ndarray, among: np.ndarray) -> float:
    n = int(among.sum())
    return float(flags[among].sum() / n) if n else float("nan")


def month_blocks(n_epochs: int, epoch_days: float) -> tuple[int, int]:
    """(epochs per 30-day month, whole months in the window).

    Parameters
    ----------
    n_epochs : int
        Epochs in the window.
    epoch_days : float
        Length of an epoch, days; epochs per month is ``30 / epoch_days`` rounded, at least 1.
    """
    per_month = max(int(round(DAYS_PER_MONTH / epoch_days)), 1)
    return per_month, n_epochs // per_month


def monthly(matrix: np.ndarray, epoch_days: float) -> np.ndarray:
    """``(M, K)`` sums of an ``(E, K)`` matrix over whole 30-day months (a trailing partial month is left out).

    Parameters
    ----------
    matrix : ndarray, shape ``(E, K)``
        Per-epoch values (epoch axis first; further axes are kept).
    epoch_days : float
        Length of an epoch, days (see :func:`month_blocks`).
    """
    per_month, months = month_blocks(matrix.shape[0], epoch_days)
    return matrix[: months * per_month].reshape((months, per_month) + matrix.shape[1:]).sum(axis=1)


def earnings_columns(earned_usd: np.ndarray, active_days: np.ndarray, monthly_usd: np.ndarray,
                     whole_months: np.ndarray, tiers: np.ndarray) -> dict[str, float]:
    """Monthly earnings per active node by tier (USD), and reward stability.

    ``earned_usd`` and ``active_days`` are ``(N,)`` window totals per node;
    ``monthly_usd`` ``(M, N)`` earned value per whole 30-day month and
    ``whole_months`` ``(M, N)`` whether the node was active all that month.
    Earnings are earned value (rewards at the price of the epoch earned + fees -
    upstream cost) per 30 days of activity, averaged over active nodes.
    Stability is the median, over nodes active in at least two whole months,
    of the coefficient of variation of their monthly earnings.

    Parameters
    ----------
    earned_usd : ndarray, shape ``(N,)``
        Earned value of each node over the window, USD.
    active_days : ndarray, shape ``(N,)``
        Days each node was active in the window.
    monthly_usd : ndarray, shape ``(M, N)``
        Earned value of each node in each whole 30-day month, USD (:func:`monthly`).
    whole_months : bool ndarray, shape ``(M, N)``
        True where the node was active in every epoch of that month.
    tiers : ndarray of str, shape ``(N,)``
        Site tier of each node; one ``monthly_usd_per_node_<tier>`` column per tier.

    Returns
    -------
    dict of str to float
        ``monthly_usd_per_node_<tier>`` and ``reward_stability_cv`` (NaN when no node qualifies).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        per_month = np.where(active_days > 0, earned_usd / active_days * DAYS_PER_MONTH, np.nan)
    out = {}
    for label in sorted(set(tiers)):
        cols = (tiers == label) & (active_days > 0)
        out[f"monthly_usd_per_node_{label}"] = float(np.mean(per_month[cols])) if cols.any() else float("nan")
    out["reward_stability_cv"] = _stability(monthly_usd, whole_months)
    return out


def _stability(monthly_usd: np.ndarray, whole: np.ndarray) -> float:
    counts = whole.sum(axis=0)
    keep = counts >= 2
    if monthly_usd.shape[0] < 2 or not keep.any():
        return float("nan")
    m = np.where(whole, monthly_usd, 0.0)[:, keep]
    n = counts[keep]
    mean = m.sum(axis=0) / n
    var = (np.where(whole[:, keep], (m - mean) ** 2, 0.0)).sum(axis=0) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.sqrt(var) / np.abs(mean)
    cv = cv[np.isfinite(cv)]
    return float(np.median(cv)) if cv.size else float("nan")


def staker_yield(reward_tokens_total: float, stake_share: float, stake: np.ndarray, epoch_days: float,
                 n_epochs: int) -> float:
    """Annualised yield on stake of the rewards the stake part drives (tokens per staked token per year).

    ``reward_tokens_total x stake_share / mean bonded stake / years``, with the mean over epochs of the
    network's total stake; NaN when that mean is not positive or ``stake_share`` is not finite.

    Parameters
    ----------
    reward_tokens_total : float
        Reward tokens paid over the window, tokens.
    stake_share : float
        Share of the rewards driven by stake (:func:`~fairshare.evaluation.gaming.driven_shares`).
    stake : ndarray, shape ``(E, N)``
        Stake bonded per epoch and node, tokens.
    epoch_days : float
        Length of an epoch, days.
    n_epochs : int
        Epochs in the window (``n_epochs x epoch_days / 365`` years).
    """
    mean_stake = float(stake.sum(axis=1).mean()) if stake.size else 0.0
    if mean_stake <= 0 or not np.isfinite(stake_share):
        return float("nan")
    years = n_epochs * epoch_days / 365.0
    return reward_tokens_total * stake_share / mean_stake / years


def winners_losers(tokens: np.ndarray, baseline: np.ndarray, present: np.ndarray) -> dict[str, float]:
    """Share of entities gaining against the baseline's tokens, and the largest loss in percent.

    A change within ``1e-9`` of the baseline (relative) is rounding, neither a gain nor a loss.

    Parameters
    ----------
    tokens : ndarray, shape ``(K,)``
        Reward tokens of each entity over the window under the rule.
    baseline : ndarray, shape ``(K,)``
        Reward tokens of each entity over the window under the baseline rule.
    present : bool ndarray, shape ``(K,)``
        Entities counted (those active at some point in the window).

    Returns
    -------
    dict of str to float
        ``winners_share`` (NaN when no entity is present) and ``largest_loss_pct`` (a positive
        percentage of the baseline; 0 when nobody loses).
    """
    a, b = tokens[present], baseline[present]
    paid = b > 0
    change = np.where(paid, (a - b) / np.where(paid, b, 1.0), np.where(a > 0, np.inf, 0.0))
    change = np.where(np.abs(a - b) <= _SAME * np.maximum(np.abs(a), np.abs(b)), 0.0, change)
    return {"winners_share": float((change > 0).mean()) if a.size else float("nan"),
            "largest_loss_pct": float(-100.0 * change.min()) if a.size and change.min() < 0 else 0.0}


#: Relative difference below which two token amounts are the same (float rounding).
_SAME = 1e-9


def retail_share_path(op_tokens: np.ndarray, retail: np.ndarray) -> np.ndarray:
    """``(E,)`` share of each epoch's paid tokens that went to retail operators (NaN when none paid).

    Parameters
    ----------
    op_tokens : ndarray, shape ``(E, K)``
        Reward tokens per epoch and entity.
    retail : bool ndarray, shape ``(K,)``
        True for the entities of retail operators.
    """
    total = op_tokens.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, op_tokens[:, retail].sum(axis=1) / total, np.nan)


def trajectories(op_tokens: np.ndarray, active: np.ndarray, retail: np.ndarray) -> pd.DataFrame:
    """Per epoch: gini, hhi and Nakamoto (1/3) over the entities active in it, and the retail share.

    Epochs where no active entity was paid are NaN.

    Parameters
    ----------
    op_tokens : ndarray, shape ``(E, K)``
        Reward tokens per epoch and entity.
    active : ndarray, shape ``(E, K)``
        Active nodes (or a flag) per epoch and entity; an entity counts in an epoch when > 0.
    retail : bool ndarray, shape ``(K,)``
        True for the entities of retail operators (the ``retail_share`` column).

    Returns
    -------
    DataFrame
        One row per epoch position: ``gini``, ``hhi``, ``nakamoto_1/3`` and ``retail_share``.
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
