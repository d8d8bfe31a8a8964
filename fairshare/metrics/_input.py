"""Input and output plumbing shared by the public functions of :mod:`fairshare.metrics`.

Pandas stops here: :func:`prepare_holdings` turns a list, an ndarray, a Series or a
DataFrame into a C-contiguous ``(R, n)`` float64 array (R distributions of n
holders; leading axes flattened, the measured axis last), checks it, and
remembers how to put labels back; :func:`finish` does that. Nothing is cleaned
silently: NaN, infinite or negative holdings and all-zero rows raise typed
errors, and only ``nan_policy="omit"`` drops NaN, on request.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from .._kernels.inequality import MAX_DENOMINATOR, row_stats
from ..errors import AlignmentError, ConfigError, DataError, NaNError, RangeError

__all__ = ["Prepared", "prepare_holdings", "finish", "check_number", "check_count", "check_threshold", "fill_doc",
           "measure_rows", "NAN_POLICIES", "FLOAT_DENOMINATOR", "holder_counts", "effective_from_theil"]

NAN_POLICIES = ("raise", "omit")

_COMMON_DOC = """x : array_like, pandas.Series or pandas.DataFrame
        Non-negative finite holdings; each distribution runs along ``axis``.
    axis : int, default -1
        Axis holding the holders of one distribution.
    nan_policy : {"raise", "omit"}, default "raise"
        ``"omit"`` drops NaN holdings (each row keeps its own holders)."""
_RETURNS_DOC = """float, numpy.ndarray or pandas.Series
        One value per distribution: a float for 1-D input or a Series, an
        array of the leading shape for N-D input, a Series indexed by the rows
        of a DataFrame (by its columns with ``axis=0``)."""


def fill_doc(func):
    """Put the shared parameter and return text into ``func``'s docstring."""
    func.__doc__ = func.__doc__.replace("%(common)s", _COMMON_DOC).replace("%(returns)s", _RETURNS_DOC)
    return func


def measure_rows(func, x, which, *, axis, nan_policy, epsilon=0.0, positive=False, what=""):
    """Validate ``x`` and run the unsorted kernel measure ``which`` on every row."""
    p = prepare_holdings(func, x, axis=axis, nan_policy=nan_policy, positive=positive, what=what)
    return p, p.apply(lambda v, w: row_stats(v, which, epsilon))


@dataclass(frozen=True, eq=False)
class Prepared:
    """Validated holdings ``values`` ``(R, n)``; ragged ``rows`` too after omitting NaN.

    With ``rows`` set (``nan_policy="omit"`` met NaN), ``values`` still holds
    the NaN and computations go through ``rows``. ``weights`` follows the
    layout of ``rows`` when set, else of ``values`` (``None`` when not
    given). ``kind`` is ``"array"``, ``"series"`` or ``"frame"``;
    ``row_labels`` label the R results of a DataFrame; ``holder_labels``
    label the n holders of pandas input.
    """

    func: str
    values: np.ndarray
    rows: tuple | None
    weights: np.ndarray | tuple | None
    lead_shape: tuple
    kind: str
    row_labels: pd.Index | None
    holder_labels: pd.Index | None

    def apply(self, compute):
        """``compute(values, weights)`` on the whole ``(R, n)`` block, or row by row when ragged."""
        if self.rows is None:
            return compute(self.values, self.weights)
        parts = []
        for r, row in enumerate(self.rows):
            w = None if self.weights is None else self.weights[r][None, :]
            parts.append(compute(row[None, :], w))
        return np.concatenate(parts, axis=0)


def check_number(func, name, value, *, low=-math.inf, high=math.inf, low_open=False,
                 high_open=False) -> float:
    """``value`` as a float inside the stated interval, else :class:`ConfigError`."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        value = float(value)
        ok = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise ConfigError(f"{func}: {name} must be a finite number in {lo}{low:g}, {high:g}{hi}, "
                          f"got {value!r}.")
    return value


#: A float threshold is read as the nearest fraction with a denominator at most this.
FLOAT_DENOMINATOR = 1000


def check_threshold(func, name, value) -> Fraction:
    """``value`` as a rational strictly between 0 and 1, else :class:`ConfigError`.

    A :class:`fractions.Fraction` (any :class:`numbers.Rational`) is taken as
    it is; a float is read as the nearest fraction with a denominator at most
    :data:`FLOAT_DENOMINATOR` (``0.5`` is 1/2, ``1 / 3`` is 1/3, ``0.33`` is
    33/100). Numerator and denominator must not exceed ``2**31 - 1``.
    """
    if isinstance(value, numbers.Rational) and not isinstance(value, (bool, np.bool_)):
        fraction = Fraction(int(value.numerator), int(value.denominator))
    elif isinstance(value, (float, np.floating)) and math.isfinite(value):
        fraction = Fraction(float(value)).limit_denominator(FLOAT_DENOMINATOR)
    else:
        raise ConfigError(f"{func}: {name} must be a number strictly between 0 and 1 (a float or a "
                          f"fractions.Fraction), got {value!r}.")
    if not 0 < fraction < 1:
        read = "" if fraction == value else (
            f" (read as {fraction}, the nearest fraction with a denominator at most {FLOAT_DENOMINATOR}; "
            f"pass a fractions.Fraction for a finer threshold)")
        raise ConfigError(f"{func}: {name} must be strictly between 0 and 1, got {value!r}{read}.")
    if fraction.denominator > MAX_DENOMINATOR:
        raise ConfigError(f"{func}: {name} {value!r} has a denominator above {MAX_DENOMINATOR}; pass "
                          f"Fraction(...).limit_denominator({MAX_DENOMINATOR}) or a float.")
    return fraction


def check_count(func, name, value, *, low, high, what="") -> int:
    """``value`` as an int in ``[low, high]`` (``what`` describes ``high``), else :class:`ConfigError`."""
    if not (isinstance(value, numbers.Integral) and not isinstance(value, bool) and low <= value <= high):
        raise ConfigError(f"{func}: {name} must be an integer from {low} to {high}{what}, "
                          f"got {value!r}.")
    return int(value)


def _to_float(func, name, values) -> np.ndarray:
    try:
        arr = np.asarray(values)
    except ValueError:  # ragged nesting
        raise DataError(f"{func}: {name} must be a list or array of numbers with rows of equal length; got a "
                        f"ragged {type(values).__name__}. Pad the rows or measure them one at a time.") from None
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(np.float64) if arr.dtype.kind == "O" else None
        except (TypeError, ValueError):
            arr = None
        if arr is None:
            raise DataError(f"{func}: {name} must hold numbers, got dtype {arr_dtype(values)}.")
    return np.asarray(arr, dtype=np.float64)


def arr_dtype(values):
    """The dtype numpy gives ``values`` (for messages)."""
    return np.asarray(values).dtype


def _from_input(func, x, axis):
    """(array with the measured axis last, kind, row labels, holder labels, orient).

    ``orient`` moves the measured axis of an array shaped like ``x`` last.
    """
    if isinstance(x, pd.DataFrame):
        if axis not in (-1, 0, 1):
            raise ConfigError(f"{func}: axis must be 0, 1 or -1 for a DataFrame, got {axis!r}.")
        frame = x if axis != 0 else x.T
        try:
            arr = frame.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise DataError(f"{func}: x must hold numbers only; a column could not be read "
                            f"as float64 ({exc}).") from None
        return arr, "frame", frame.index, frame.columns, (np.transpose if axis == 0 else np.asarray)
    if isinstance(x, pd.Series):
        if axis not in (-1, 0):
            raise ConfigError(f"{func}: axis must be 0 or -1 for a Series, got {axis!r}.")
        try:
            arr = x.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            raise DataError(f"{func}: x must hold numbers, got dtype {x.dtype}.") from None
        return arr, "series", None, x.index, np.asarray
    arr = _to_float(func, "x", x)
    if arr.ndim == 0:
        raise DataError(f"{func}: x must be a list or an array of holdings, got the scalar {x!r}.")
    if not isinstance(axis, numbers.Integral) or not -arr.ndim <= axis < arr.ndim:
        raise ConfigError(f"{func}: axis {axis!r} is out of range for x with {arr.ndim} dimension(s).")
    return np.moveaxis(arr, axis, -1), "array", None, None, lambda a: np.moveaxis(a, axis, -1)


def _where(kind, lead_shape, row_labels, holder_labels, r, i) -> str:
    if kind == "frame":
        return f"row {row_labels[r]!r}, column {holder_labels[i]!r}"
    if kind == "series":
        return f"label {holder_labels[i]!r}"
    if len(lead_shape) == 0:
        return f"position {i}"
    return f"index {tuple(int(k) for k in np.unravel_index(r, lead_shape)) + (i,)} (measured axis last)"


def _check_values(func, name, arr2d, where, what, *, positive=False):
    """Raise on NaN, infinite, negative (or, with ``positive``, zero) entries of ``arr2d``."""
    low, high = arr2d.min(), arr2d.max()  # NaN propagates: two passes settle the usual valid case
    if (low > 0 or (low == 0 and not positive)) and high < math.inf:
        return
    checks = [(np.isnan(arr2d), NaNError, "NaN", "must be finite numbers"
               + ("; pass nan_policy='omit' to drop NaN explicitly" if name == "x" else "")),
              (np.isinf(arr2d), NaNError, "infinite", "must be finite numbers"),
              (arr2d < 0, RangeError, "negative", "must be >= 0")]
    if positive:
        checks.append((arr2d == 0, RangeError, "zero", f"must be > 0 for {what}"))
    for mask, error, label, allowed in checks:
        if mask.any():
            r, i = np.argwhere(mask)[0]
            raise error(f"{func}: {name} holds {int(mask.sum())} {label} value(s) (first at "
                        f"{where(r, i)}: {float(arr2d[r, i])!r}); {name} {allowed}.")


def prepare_holdings(func, x, *, axis=-1, nan_policy="raise", weights=None, positive=False,
            what="") -> Prepared:
    """Validate holdings ``x`` (and optional frequency ``weights``) for ``func``.

    ``positive`` requires every holding > 0 (``what`` says for which measure).
    """
    if nan_policy not in NAN_POLICIES:
        raise ConfigError(f"{func}: nan_policy must be 'raise' or 'omit', got {nan_policy!r}.")
    arr, kind, row_labels, holder_labels, orient = _from_input(func, x, axis)
    n = arr.shape[-1]
    lead_shape = arr.shape[:-1]
    if n == 0 or arr.size == 0:
        raise DataError(f"{func}: x is empty (shape {arr.shape} with the measured axis last); "
                        f"pass at least one holding per row.")
    values = np.ascontiguousarray(arr.reshape(-1, n))

    def where(r, i):
        return _where(kind, lead_shape, row_labels, holder_labels, r, i)

    w2d = None
    if weights is not None:
        w = _to_float(func, "weights", _aligned_weights(func, x, weights))
        if w.shape == (n,):
            w = np.broadcast_to(w, arr.shape)
        elif w.ndim == arr.ndim and orient(w).shape == arr.shape:
            w = orient(w)
        else:
            raise DataError(f"{func}: weights must have the shape of x or hold one weight per "
                            f"holder ({n},), got shape {w.shape}.")
        w2d = np.ascontiguousarray(w.reshape(-1, n))
        _check_values(func, "weights", w2d, where, what)

    nan = np.isnan(values) if nan_policy == "omit" else None
    omit = nan is not None and bool(nan.any())
    # omitted NaN are checked as 1.0, a value every check accepts
    _check_values(func, "x", np.where(nan, 1.0, values) if omit else values, where, what,
                  positive=positive)
    rows = None
    if omit:
        keep = ~nan
        empty = np.flatnonzero(~keep.any(axis=1))
        if empty.size:
            raise DataError(f"{func}: {_row_text(kind, lead_shape, row_labels, int(empty[0]))} holds "
                            f"only NaN; nothing is left after nan_policy='omit'.")
        rows = tuple(values[r, keep[r]] for r in range(values.shape[0]))
        if w2d is not None:
            w2d = tuple(w2d[r, keep[r]] for r in range(values.shape[0]))
    prepared = Prepared(func, values, rows, w2d, lead_shape, kind, row_labels, holder_labels)
    _check_totals(prepared)
    return prepared


def _aligned_weights(func, x, weights):
    """Pandas weights on pandas holdings are aligned by label; anything else by position."""
    if not isinstance(weights, (pd.Series, pd.DataFrame)) or not isinstance(x, (pd.Series, pd.DataFrame)):
        return weights.to_numpy() if isinstance(weights, (pd.Series, pd.DataFrame)) else weights
    if isinstance(weights, pd.Series):
        keys = x.index if isinstance(x, pd.Series) else x.columns
        missing = keys.difference(weights.index)
        aligned = weights.reindex(keys) if not missing.size else None
    else:
        missing = x.index.difference(weights.index).append(x.columns.difference(weights.columns))
        aligned = weights.reindex(index=x.index, columns=x.columns) if not missing.size else None
    if missing.size:
        raise AlignmentError(f"{func}: weights have no entry for {missing.size} label(s) of x "
                             f"(first: {missing[:3].tolist()}); give a weight to every holder.")
    return aligned.to_numpy()


def _row_text(kind, lead_shape, row_labels, r):
    if kind == "frame":
        return f"row {row_labels[r]!r} of x"
    if len(lead_shape) == 0:
        return "x"
    return f"row {tuple(int(k) for k in np.unravel_index(r, lead_shape))} of x"


def _check_totals(p: Prepared) -> None:
    """Every row needs a positive, finite (weighted) total."""
    blocks = [p.values] if p.rows is None else [row[None, :] for row in p.rows]
    weights = [p.weights] if p.rows is None else (p.weights or [None] * len(blocks))
    start = 0
    for block, w in zip(blocks, weights):
        with np.errstate(over="ignore"):
            totals = (block if w is None else block * np.atleast_2d(w)).sum(axis=-1)
        bad = np.flatnonzero(~(totals > 0) | ~np.isfinite(totals))
        if bad.size:
            r = start + int(bad[0])
            text = _row_text(p.kind, p.lead_shape, p.row_labels, r)
            if np.isfinite(totals[bad[0]]):
                held = "holdings" if w is None else "weighted holdings (weights times x)"
                raise DataError(f"{p.func}: {text} has all {held} zero ({bad.size} such row(s)); "
                                f"shares of a zero total are undefined. Drop such rows or pass "
                                f"a distribution with a positive total.")
            raise DataError(f"{p.func}: the total of {text} overflows float64; rescale x "
                            f"(every measure here is scale invariant).")
        start += block.shape[0]


def holder_counts(p):
    """Number of holders of each row of the validated ``p`` (its own after ``nan_policy="omit"``)."""
    if p.rows is None:
        return np.full(p.values.shape[0], float(p.values.shape[-1]))
    return np.array([float(row.size) for row in p.rows])


def effective_from_theil(n, theil):
    """``exp(entropy) = n exp(-T)``: at most ``n`` since ``T >= 0``; rounding kept at least 1."""
    return np.maximum(n * np.exp(-np.asarray(theil)), 1.0)


def finish(p: Prepared, out: np.ndarray, name: str):
    """Results ``(R,)`` back in the shape and labels of the input.

    A Series or 1-D input gives a Python scalar; a DataFrame gives a Series
    indexed by its rows (or columns when ``axis=0``); an N-D array gives an
    array of its leading shape.
    """
    out = np.asarray(out).reshape(p.lead_shape)
    if p.kind == "frame":
        return pd.Series(out, index=p.row_labels, name=name)
    if out.ndim == 0:
        return out.item()
    return out
