"""Exact payout amounts: parsing to integer base units and summing them beyond int64.

An amount is held as two limbs, ``value = hi * 2**32 + lo`` with ``0 <= lo < 2**32``, both int64. Sums of
limbs are exact int64 sums (``lo`` sums cannot overflow below 2**31 rows per group); when a group's ``hi`` sum
could overflow (totals near 2**94 base units, 2e10 tokens of an 18-decimal token), those sums are done with
Python integers instead, and a total beyond 2**95 keeps its high limb as a Python integer (object dtype): exact
at any size. Python integers everywhere would be exact too, but an object array of 100M of them takes
gigabytes and sums at interpreter speed; two int64 limbs keep the usual path in numpy. Conversion to float
happens once, for the metrics: ``float(hi) * 2**32 + float(lo)`` has a relative error below 2**-52 (two
roundings of 2**-53 each).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import DataError, NaNError, RangeError, SchemaError

__all__ = ["LIMB", "FLOAT_RELATIVE_ERROR", "parse_amounts", "to_limbs", "limbs_to_float", "limbs_to_int",
           "sum_limbs_by_group"]

#: Base of the low limb.
LIMB = 1 << 32
_MASK = LIMB - 1
#: Bound on the relative error of :func:`limbs_to_float` (two roundings to float64).
FLOAT_RELATIVE_ERROR = 2.0 ** -52
_DECIMAL = re.compile(r"^\s*\+?(\d*)(?:\.(\d*))?\s*$")
_INT64_MAX = np.iinfo(np.int64).max


def _rows(mask: np.ndarray, limit: int = 5) -> str:
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    more = f" and {rows.size - limit} more" if rows.size > limit else ""
    return f"row(s) {shown}{more}"


def to_limbs(values) -> tuple[np.ndarray, np.ndarray]:
    """Split non-negative integers into int64 limbs ``(hi, lo)``.

    Parameters
    ----------
    values : array_like of int
        int64, uint64 or Python integers (object array) in base units, >= 0.

    Returns
    -------
    tuple of numpy.ndarray
        ``hi`` and ``lo`` (int64; ``hi`` is an object array of Python integers when a value reaches 2**95),
        ``value = hi * 2**32 + lo``.
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        if arr.dtype.kind == "u":
            return (arr >> np.uint64(32)).astype(np.int64), (arr & np.uint64(_MASK)).astype(np.int64)
        arr = arr.astype(np.int64, copy=False)
        return arr >> 32, arr & _MASK
    ints = [int(v) for v in arr.ravel().tolist()]
    high = [v >> 32 for v in ints]
    lo = np.fromiter((v & _MASK for v in ints), dtype=np.int64, count=len(ints))
    if high and (max(high) > _INT64_MAX or min(high) < -_INT64_MAX - 1):
        return np.array(high, dtype=object), lo  # beyond 2**95: the high limb stays a Python integer
    return np.fromiter(high, dtype=np.int64, count=len(high)), lo


def limbs_to_float(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Amounts as float64, relative error below :data:`FLOAT_RELATIVE_ERROR`.

    Parameters
    ----------
    hi, lo : numpy.ndarray
        Limbs from :func:`to_limbs` or :func:`sum_limbs_by_group`.

    Returns
    -------
    numpy.ndarray
    """
    return hi.astype(np.float64) * float(LIMB) + lo.astype(np.float64)


def limbs_to_int(hi, lo) -> int:
    """The exact sum of all amounts given by limbs, as a Python integer.

    Parameters
    ----------
    hi, lo : array_like
        Limbs.

    Returns
    -------
    int
    """
    return sum(int(h) for h in np.asarray(hi).tolist()) * LIMB + sum(int(v) for v in np.asarray(lo).tolist())


def sum_limbs_by_group(starts: np.ndarray, hi: np.ndarray, lo: np.ndarray, what: str = "amount"):
    """Exact sums of limb amounts over consecutive groups starting at ``starts`` (as ``np.add.reduceat``).

    Parameters
    ----------
    starts : numpy.ndarray
        First row of each group, increasing, starting at 0.
    hi, lo : numpy.ndarray
        Limbs of the rows, grouped consecutively.
    what : str
        Name used in the error raised when a total exceeds the exact range.

    Returns
    -------
    tuple of numpy.ndarray
        Normalised limbs of the group totals.
    """
    if hi.size == 0:
        return hi.copy(), lo.copy()
    sizes = np.diff(np.append(starts, hi.size))
    if int(sizes.max()) >= (1 << 31):
        raise DataError(f"{what}: more than 2**31 rows in one group; split the input by epoch.")
    if hi.dtype != object and int(np.abs(hi).max()) * int(sizes.max()) <= _INT64_MAX - LIMB:
        lo_sum = np.add.reduceat(lo, starts)
        hi_sum = np.add.reduceat(hi, starts) + (lo_sum >> 32)
        return hi_sum, lo_sum & _MASK
    # a total could leave int64's limb range: sum these groups as Python integers (exact, slower)
    values = np.array([(int(h) << 32) + int(v) for h, v in zip(hi.tolist(), lo.tolist())], dtype=object)
    return to_limbs(np.add.reduceat(values, starts))


def parse_amounts(values, *, unit: str = "base", decimals: int = 0, column: str = "amount",
                  table: str = "ledger") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a column of amounts to exact integer base units.

    Parameters
    ----------
    values : pandas.Series or array_like
        Integers (int64, uint64), integer or decimal strings, or floats (read through their shortest decimal
        representation, which recovers a decimal written in a text file; strings avoid floats altogether).
    unit : {"base", "token"}
        ``"base"``: values are integers in base units (a decimal point is an error); ``"token"``: values are
        token amounts, multiplied by ``10**decimals`` exactly (more fractional digits than ``decimals`` is an
        error, never a rounding).
    decimals : int
        Decimals of the token (18 for most EVM tokens, 9 for SOL, 6 for ATOM).
    column, table : str
        Names used in error messages.

    Returns
    -------
    tuple of numpy.ndarray
        ``(hi, lo, missing)``: limbs of every row (0 where missing) and a boolean mask of missing rows
        (NaN, None or empty string); the caller decides what missing means.
    """
    if unit not in ("base", "token"):
        raise DataError(f"{table}: unit={unit!r}; use 'base' (integer base units) or 'token' (decimal token "
                        "amounts scaled by 10**decimals).")
    if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool) or not 0 <= decimals <= 36:
        raise DataError(f"{table}: decimals={decimals!r}; give the token's decimals as an integer in 0..36.")
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    kind = s.dtype.kind
    if kind in "iu":
        if kind == "i" and (s.to_numpy() < 0).any():
            raise RangeError(f"{table}.{column}: negative amounts in {_rows(s.to_numpy() < 0)}; payouts are >= 0.")
        scale = 10 ** int(decimals) if unit == "token" else 1
        hi, lo = to_limbs(s.to_numpy())
        if scale != 1:
            return _scale(hi, lo, scale, column, table) + (np.zeros(s.size, bool),)
        return hi, lo, np.zeros(s.size, bool)
    if kind == "b":
        raise SchemaError(f"{table}.{column}: booleans are not amounts; give integers or decimal strings.")
    if kind == "f":
        arr = s.to_numpy()
        bad = np.isinf(arr)
        if bad.any():
            raise NaNError(f"{table}.{column}: infinite amounts in {_rows(bad)}; give finite amounts.")
        text = pd.Series([repr(float(v)) if np.isfinite(v) else None for v in arr], dtype=object)
        text = text.str.replace(r"\.0$", "", regex=True)
        if text.str.contains("e", regex=False).any():
            raise DataError(f"{table}.{column}: floats in exponent form in "
                            f"{_rows(text.str.contains('e', regex=False).to_numpy())}; their decimal is ambiguous. "
                            "Give the amounts as strings or integers in base units.")
        s = text
    return _parse_text(s, unit, int(decimals), column, table)


def _scale(hi, lo, scale, column, table):
    values = [(int(h) << 32) + int(v) for h, v in zip(hi.tolist(), lo.tolist())]
    h2, l2 = to_limbs(np.array([v * scale for v in values] or [], dtype=object))
    return h2, l2


def _parse_text(s: pd.Series, unit: str, decimals: int, column: str, table: str):
    missing = s.isna().to_numpy() | (s.astype("string").str.strip() == "").fillna(True).to_numpy()
    codes, uniques = pd.factorize(s.where(~missing, None), use_na_sentinel=True)
    parsed = np.empty(len(uniques), dtype=object)
    bad = np.zeros(len(uniques), bool)
    frac_long = np.zeros(len(uniques), bool)
    longest = 0
    dot = np.zeros(len(uniques), bool)
    negative = np.zeros(len(uniques), bool)
    for i, raw in enumerate(uniques.tolist()):
        text = str(raw)
        m = _DECIMAL.match(text)
        if m is None or (m.group(1) == "" and not m.group(2)):
            negative[i] = text.strip().startswith("-")
            bad[i] = True
            continue
        whole, frac = m.group(1) or "0", m.group(2)
        if frac is not None and unit == "base":
            if frac.strip("0") == "":
                frac = None
            else:
                dot[i] = True
                continue
        frac = frac or ""
        if len(frac.rstrip("0")) > decimals:
            frac_long[i] = True
            longest = max(longest, len(frac.rstrip("0")))
            continue
        frac = frac[:decimals] if unit == "token" else ""
        exponent = decimals if unit == "token" else 0
        parsed[i] = int(whole + frac.ljust(exponent, "0"))
    for mask, what, fix in (
            (negative, "negative amounts", "payouts are >= 0"),
            (bad, "values that are not decimal numbers", "write plain decimals such as 12 or 0.5"),
            (dot, "decimal points with unit='base'", "pass unit='token' and the token's decimals, or give integer "
                                                    "base units"),
            (frac_long, f"more fractional digits than decimals={decimals} (up to {longest})",
             "give the token's decimals, or as many as the text carries, so that nothing is rounded")):
        if mask.any():
            rows = np.isin(codes, np.flatnonzero(mask))
            err = RangeError if mask is negative else DataError
            raise err(f"{table}.{column}: {what} in {_rows(rows)} (e.g. {uniques[np.flatnonzero(mask)[0]]!r}); "
                      f"{fix}.")
    uh, ul = to_limbs(parsed) if len(uniques) else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    if not uh.size:
        return np.zeros(codes.size, np.int64), np.zeros(codes.size, np.int64), missing
    pick = np.maximum(codes, 0)
    hi = uh[pick]
    hi[codes < 0] = 0
    lo = np.where(codes >= 0, ul[pick], 0).astype(np.int64)
    return hi, lo, missing
