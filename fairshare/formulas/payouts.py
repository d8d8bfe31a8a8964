"""Integer payouts in base units by the largest-remainder method.

Public through :mod:`fairshare.formulas` (``to_base_units``) and
:meth:`fairshare.formulas.Allocation.base_units`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..errors import FormulaError

__all__ = ["to_base_units"]

_EXACT_FLOAT = 2**53


def to_base_units(rewards, allocated, decimals: int = 6) -> np.ndarray:
    """Round token rewards to integer base units that sum exactly to each epoch's total.

    Parameters
    ----------
    rewards : (E, K) array of tokens, >= 0
    allocated : (E,) tokens to pay in each epoch (emission minus unallocated)
    decimals : int
        Base units per token are ``10 ** decimals`` (18 for most ERC-20 tokens).

    Returns
    -------
    (E, K) int64 array, or an object array of Python ints when totals exceed
    2**53 base units (exact arithmetic either way).

    Notes
    -----
    Largest remainder (Hamilton) method: the epoch total
    ``T = round(allocated * 10**decimals)`` is apportioned by the rewards: each
    holder gets the floor of its quota ``T * r_i / sum(r)``; the fewer than K
    units still missing go one each to the largest remainders, ties to the
    lower index. Totals below 2**51 units use float64 quotas (exact to well
    under one unit); larger ones use exact rational arithmetic.
    """
    r = np.asarray(rewards, dtype=np.float64)
    total_tokens = np.asarray(allocated, dtype=np.float64)
    if r.ndim != 2 or total_tokens.shape != (r.shape[0],):
        raise FormulaError(f"to_base_units needs (E, K) rewards and (E,) totals; got {r.shape} and "
                           f"{total_tokens.shape}.")
    if int(decimals) != decimals or not 0 <= decimals <= 30:
        raise FormulaError(f"decimals must be a whole number in [0, 30], got {decimals!r}.")
    if not (np.isfinite(r).all() and (r >= 0).all() and np.isfinite(total_tokens).all()
            and (total_tokens >= 0).all()):
        raise FormulaError("to_base_units needs finite rewards >= 0 and finite totals >= 0.")
    scale = 10.0 ** decimals
    if total_tokens.max(initial=0.0) * scale < _EXACT_FLOAT / 4:
        return _fast(r, total_tokens, scale)
    return _exact(r, total_tokens, int(decimals))


def _fast(r: np.ndarray, totals: np.ndarray, scale: float) -> np.ndarray:
    target = np.rint(totals * scale)
    mass = r.sum(axis=1)
    _check_mass(mass, target)
    with np.errstate(invalid="ignore", divide="ignore"):
        quota = np.where(mass[:, None] > 0, r * (target / mass)[:, None], 0.0)
    base = np.floor(quota)
    out = base.astype(np.int64)
    remainder = quota - base
    for e in range(r.shape[0]):
        _settle(out[e], remainder[e], int(target[e]) - int(out[e].sum()))
    return out


def _exact(r: np.ndarray, totals: np.ndarray, decimals: int) -> np.ndarray:
    unit = 10**decimals
    out = np.zeros(r.shape, dtype=object)
    for e in range(r.shape[0]):
        weights = [Fraction(float(v)) for v in r[e]]
        mass = sum(weights, Fraction(0))
        target = round(Fraction(float(totals[e])) * unit)
        _check_mass(np.array([float(mass)]), np.array([target]))
        if target == 0:
            continue
        quotas = [w * target / mass for w in weights]
        floors = [q.numerator // q.denominator for q in quotas]
        remainder = np.array([float(q - f) for q, f in zip(quotas, floors)])
        row = np.array(floors, dtype=object)
        _settle(row, remainder, int(target - sum(floors)))
        out[e] = row
    return out


def _check_mass(mass: np.ndarray, target: np.ndarray) -> None:
    bad = (mass <= 0) & (target > 0)
    if bad.any():
        raise FormulaError(f"{int(bad.sum())} epoch(s) have tokens to pay but no rewards to apportion them by "
                           "(report them as unallocated instead).")


def _settle(row: np.ndarray, remainder: np.ndarray, missing: int) -> None:
    """Give the ``missing`` units (0 <= missing < holders, up to rounding) to the largest remainders."""
    order = np.lexsort((np.arange(remainder.size), -remainder))
    while missing > 0:
        step = min(missing, row.shape[0])
        row[order[:step]] += 1
        missing -= step
    while missing < 0:
        takers = [i for i in order[::-1] if row[i] > 0][: -missing]
        row[takers] -= 1
        missing += len(takers)
