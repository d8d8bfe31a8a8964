"""Kernels: inequality and concentration measures over the rows of a 2-D array.

Every kernel takes a C-contiguous ``(R, n)`` float64 array (one distribution
per row, validated by :mod:`fairshare.metrics._input`: finite, non-negative,
each row with a positive total), returns new arrays and runs its rows in
parallel. Each ``prange`` iteration writes only its own output row and sums
within a row run in a fixed order, so results do not depend on the thread
count. Kernels whose name says ``sorted`` expect every row sorted ascending
(the caller sorts once with ``np.sort``; one sort serves every sort-based
measure, see :func:`suite_sorted_rows`).

Row totals are compensated (Neumaier) sums in storage order. Measures with a
stated bound are sums of per-holder terms of one sign, so rounding keeps them
inside it, and Nakamoto thresholds are rationals ``num / den`` compared
exactly (see :func:`nakamoto_sorted_rows`). The slow oracles of every kernel
live in ``tests/naive.py``.

Each row kernel is compiled twice from one source (:func:`_row_kernel`): with
``parallel=True``, and serially for small inputs, where waking the thread pool
costs more than the work (milliseconds on a busy machine, against
microseconds). Both variants compute every row with the same code, so the
choice never changes a result.
"""

from __future__ import annotations

import math
import types

import numpy as np

from .._jit import jit, jit_parallel, prange

__all__ = [
    "ROW_STATS",
    "row_stats",
    "gini_sorted_rows",
    "lorenz_share_sorted_rows",
    "nakamoto_sorted_rows",
    "suite_sorted_rows",
    "SUITE_FIXED",
    "group_sums",
    "group_theil",
    "PARALLEL_MIN_ELEMENTS",
    "MAX_DENOMINATOR",
]

#: Codes of the measures :func:`row_stats` computes (the ``which`` argument; the
#: order of the results of :func:`_share_moments`).
ROW_STATS = {"theil": 0, "mld": 1, "entropy": 2, "hhi": 3, "atkinson_ratio": 4}

#: Leading columns of the float output of :func:`suite_sorted_rows`.
SUITE_FIXED = ("total", "gini", "theil", "entropy", "hhi", "atkinson_ratio")


# --------------------------------------------------------------------------- row helpers

#: Machine epsilon of float64 (unit roundoff u = EPS / 2).
_EPS = 2.0 ** -52
#: Below this |x / mean - 1| the per-holder terms use their Taylor series (no cancellation).
_SERIES_BELOW = 1e-2
#: The exact accumulator: 30-bit limbs; position 0 weighs 2**-1127 (the lowest bit of any float64
#: mantissa read as a 53-bit integer), so 78 limbs hold c * x for every finite x >= 0 and |c| < 2**31,
#: summed up to 2**31 times, with room for the sign.
_LIMB_BITS = 30
_LIMB_MASK = (1 << 30) - 1
_LIMBS = 78
#: Holdings above this (2**900) are scaled by _HUGE_SCALE (2**-100, exact) where sums of them could overflow.
_HUGE = 2.0**900
_HUGE_SCALE = 2.0**-100
#: Groups whose total is below this (2**-800) are scaled by _TINY_SCALE (2**200, exact) in the group Theil.
_TINY = 2.0**-800
_TINY_SCALE = 2.0**200
#: Smallest positive normal float64.
_SMALLEST_NORMAL = 2.0**-1022
#: Largest denominator (and numerator) of a threshold the exact comparison takes.
MAX_DENOMINATOR = (1 << 31) - 1


@jit
def _add(s, c, v):
    """One step of Neumaier's compensated sum: returns the new ``(sum, compensation)`` (an infinite sum stays so)."""
    t = s + v
    if not math.isfinite(t):
        return t, 0.0
    if abs(s) >= abs(v):
        c += (s - t) + v
    else:
        c += (v - t) + s
    return t, c


@jit
def _row_sum(row):
    """Compensated (Neumaier) sum of ``row`` in storage order: error about one rounding of the total."""
    s = c = 0.0
    for v in row:
        s, c = _add(s, c, v)
    return s + c


@jit
def _theil_term(r, d):
    """``r ln r - r + 1`` (>= 0) for ``r = x / mean``, ``d = r - 1``; 1 at ``r = 0``."""
    if r == 0.0:
        return 1.0
    if abs(d) < _SERIES_BELOW:  # sum_{k>=2} (-1)^k d^k / (k (k - 1))
        term = d * d
        acc = 0.0
        for k in range(2, 12):
            acc += term / (k * (k - 1))
            term *= -d
        return acc
    return max(r * math.log(r) - d, 0.0)


@jit
def _mld_term(r, d):
    """``r - 1 - ln r`` (>= 0) for ``r = x / mean > 0``, ``d = r - 1``; inf at ``r = 0``."""
    if r == 0.0:
        return math.inf
    if abs(d) < _SERIES_BELOW:  # sum_{k>=2} (-1)^k d^k / k
        term = d * d
        acc = 0.0
        for k in range(2, 12):
            acc += term / k
            term *= -d
        return acc
    return max(d - math.log(r), 0.0)


@jit
def _power_term(r, d, power):
    """``r^power - 1 - power d`` for ``r = x / mean``, ``d = r - 1``.

    <= 0 for ``0 < power < 1``; >= 0 for ``power < 0``.
    """
    if power == 0.5:  # sqrt(r) - 1 - d / 2 = -(d / (1 + sqrt r))^2 / 2, without cancellation
        q = d / (1.0 + math.sqrt(r))
        return -0.5 * q * q
    if r == 0.0:  # x / mean underflowed (or x = 0, for power > 0 only): r^power is 0 or infinite
        value = power - 1.0 if power > 0.0 else math.inf
    elif abs(d) * (abs(power) + 1.0) < _SERIES_BELOW:  # sum_{k>=2} C(power, k) d^k
        coef = power * (power - 1.0) / 2.0
        term = d * d
        value = 0.0
        for k in range(2, 14):
            value += coef * term
            coef *= (power - k) / (k + 1.0)
            term *= d
    else:  # from r itself: d = r - 1 has lost r's low bits when r is small
        value = (r ** power - 1.0) - power * d
    return min(value, 0.0) if power > 0.0 else max(value, 0.0)


@jit
def _share_moments(row, total, epsilon):
    """Theil T, MLD, entropy, HHI and the Atkinson ratio of ``row`` in one pass, one log per holder.

    With ``r_i = x_i / mean`` and ``d_i = r_i - 1`` (so ``sum d_i = 0``), every
    measure is a sum of per-holder terms of one sign, added with compensation,
    so rounding cannot take it out of its range (equal holders never land
    below a minimum or above a maximum): ``T = (1/n) sum (r ln r - r + 1)``;
    ``MLD = (1/n) sum (r - 1 - ln r)`` (infinite with a zero holder);
    entropy ``ln n - T`` (kept in ``[0, ln n]``); ``HHI = (1 + (1/n) sum d^2) / n``
    (kept <= 1); Atkinson ratio ``ede / mean = (1 + (1/n) sum (r^p - 1 - p d))^(1/p)``
    with ``p = 1 - epsilon`` (<= 1), ``exp(-MLD)`` for ``epsilon = 1``, 0 for
    ``epsilon >= 1`` with a zero holder, 1 for ``epsilon = 0``. Terms near
    ``r = 1`` use their Taylor series; the mean's own rounding cancels to
    first order in these forms. A subnormal mean is not used: ``r`` comes
    from the shares then.
    """
    n = row.shape[0]
    mean = total / n
    tiny = mean < _SMALLEST_NORMAL  # a subnormal mean has lost bits: ratios from the shares instead
    log_n = math.log(n)
    power = 1.0 - epsilon
    t_s = t_c = l_s = l_c = q_s = q_c = p_s = p_c = 0.0
    has_zero = False
    for v in row:
        r = (v / total) * n if tiny else v / mean
        d = r - 1.0
        t_s, t_c = _add(t_s, t_c, _theil_term(r, d))
        q_s, q_c = _add(q_s, q_c, d * d)
        if v > 0.0:
            if r > 0.0:
                l_s, l_c = _add(l_s, l_c, _mld_term(r, d))
            else:  # v / mean underflowed: ln r from the logs (r itself adds nothing)
                l_s, l_c = _add(l_s, l_c, -1.0 - (math.log(v) - math.log(total) + log_n))
        else:
            has_zero = True
        if epsilon != 1.0 and epsilon != 0.0 and (v > 0.0 or power > 0.0):
            p_s, p_c = _add(p_s, p_c, _power_term(r, d, power))
    theil = min((t_s + t_c) / n, log_n)
    mld = math.inf if has_zero else (l_s + l_c) / n
    entropy = max(log_n - theil, 0.0)
    hhi = min((1.0 + (q_s + q_c) / n) / n, 1.0)
    if epsilon == 0.0:
        ratio = 1.0
    elif epsilon >= 1.0 and has_zero:
        ratio = 0.0
    elif epsilon == 1.0:
        ratio = math.exp(-mld)
    else:
        moment = (p_s + p_c) / n  # <= 0 for 0 < p < 1, >= 0 for p < 0
        if power > 0.0:
            moment = max(moment, -1.0)
        ratio = math.exp(math.log1p(moment) / power) if moment > -1.0 else 0.0
    return theil, mld, entropy, hhi, ratio


@jit
def _gini_sorted(xs, ws, weighted):
    """Mean-difference Gini of an ascending row; ``ws`` are weights in the same order.

    Uses D_i = sum_{j<i} w_j (x_i - x_j) = D_{i-1} + W_{<i} (x_i - x_{i-1}), so every
    added term is non-negative and the result keeps full relative precision
    near equality: G = sum_i w_i D_i / (W * sum_i w_i x_i).
    """
    # holdings near the float64 limit are scaled by an exact power of two first, so the sums of
    # differences cannot overflow (the Gini is scale invariant; other rows are computed as given)
    scale = _HUGE_SCALE if xs[xs.shape[0] - 1] > _HUGE else 1.0
    d = 0.0
    pairs = 0.0
    below = 0.0
    weighted_total = 0.0
    previous = xs[0] * scale
    for i in range(xs.shape[0]):
        w = ws[i] if weighted else 1.0
        x = xs[i] * scale
        d += below * (x - previous)
        pairs += w * d
        below += w
        weighted_total += w * x
        previous = x
    return pairs / (below * weighted_total)


@jit
def _scaled_sum(row, top):
    """Compensated sum of ``row / top`` (``top`` the row's largest holding): the total Lorenz shares divide by."""
    s = c = 0.0
    for v in row:
        s, c = _add(s, c, v / top)
    return s + c


@jit
def _lorenz_share(xs, count, from_top, scaled_total):
    """Share held by ``count`` holders (real, in [0, n]) of an ascending row.

    The largest holders when ``from_top``, else the smallest; a fractional
    ``count`` takes that fraction of the next holder (linear interpolation
    on the Lorenz curve). Holdings are divided by the largest one first and
    summed with compensation (``scaled_total`` is :func:`_scaled_sum`), so
    equal holders add whole numbers exactly: the top k of n equal holders
    hold exactly ``k / n`` (rounded once), the Palma ratio of equal holders
    is exactly 0.25, and holdings near the float64 limits neither overflow
    nor underflow.
    """
    n = xs.shape[0]
    top = xs[n - 1]
    whole = min(int(count), n)
    s = c = 0.0
    for k in range(whole):
        s, c = _add(s, c, (xs[n - 1 - k] if from_top else xs[k]) / top)
    frac = count - whole
    if whole < n and frac > 0.0:
        s, c = _add(s, c, frac * ((xs[n - 1 - whole] if from_top else xs[whole]) / top))
    return (s + c) / scaled_total


@jit
def _exact_add(acc, x, c):
    """``acc += c * x`` exactly, for a finite ``x >= 0`` and an integer ``|c| <= MAX_DENOMINATOR``."""
    if x == 0.0 or c == 0:
        return
    f, e = math.frexp(x)
    mant = np.int64(f * 9007199254740992.0)  # x = mant * 2**(e - 53), mant < 2**53 (exact)
    pos = e + 1074  # weight of mant's lowest bit, in units of 2**-1127 (>= 1 for any x > 0)
    negative = c < 0
    c = -c if negative else c
    _add_at(acc, (mant & 0x7FFFFFF) * c, pos, negative)  # low 27 bits times c: < 2**58
    _add_at(acc, (mant >> 27) * c, pos + 27, negative)  # high 26 bits times c: < 2**57


@jit
def _add_at(acc, v, pos, negative):
    """``acc += (-1 if negative else 1) * v * 2**pos`` (in accumulator units), limb by limb."""
    i = pos // _LIMB_BITS
    shift = pos - i * _LIMB_BITS
    room = _LIMB_BITS - shift
    piece = (v & ((np.int64(1) << room) - 1)) << shift
    acc[i] += -piece if negative else piece
    v >>= room
    while v > 0:
        i += 1
        piece = v & _LIMB_MASK
        acc[i] += -piece if negative else piece
        v >>= _LIMB_BITS


@jit
def _exact_sign(acc):
    """Sign (-1, 0, 1) of the accumulated value; normalises the limbs in place (value unchanged)."""
    carry = np.int64(0)
    for i in range(acc.shape[0]):
        v = acc[i] + carry
        acc[i] = v & _LIMB_MASK
        carry = v >> _LIMB_BITS
    if carry != 0:
        return -1 if carry < 0 else 1
    for i in range(acc.shape[0] - 1, -1, -1):
        if acc[i] != 0:
            return 1
    return 0


@jit
def _nakamoto_sorted(xs, total, num, den, inclusive):
    """Fewest holders of an ascending row whose share exceeds (reaches) ``num / den``, decided exactly.

    Walks from the largest holder with a compensated running sum ``S`` and
    decides ``S / total`` against the threshold in floating point when the
    two differ by more than the rounding bound of the comparison
    (``16 u + 16 (n u)^2``). Otherwise (a tie, or within rounding of one) it
    decides the sign of ``den * S - num * T`` (``T`` the exact total) exactly,
    in an integer accumulator over the holdings' binary digits, kept up to
    date from then on. Reaching the zero holders means every positive holder
    is counted and together they hold everything, so the count stops there.
    """
    n = xs.shape[0]
    threshold = num / den
    bound = 16.0 * (0.5 * _EPS) + 16.0 * (n * 0.5 * _EPS) ** 2
    acc = np.zeros(_LIMBS, dtype=np.int64)
    live = False
    s = c = 0.0
    for k in range(n):
        v = xs[n - 1 - k]
        if v == 0.0:
            return k
        s, c = _add(s, c, v)
        if live:
            _exact_add(acc, v, den)  # moving v into the top: -num v becomes (den - num) v
        gap = (s + c) / total - threshold
        if gap > bound:
            return k + 1
        if gap < -bound:
            continue
        if not live:  # den * (top k + 1) - num * total, term by term
            live = True
            for j in range(n):
                _exact_add(acc, xs[j], den - num if j >= n - 1 - k else -num)
        sign = _exact_sign(acc)
        if sign > 0 or (inclusive and sign == 0):
            return k + 1
    return n


# --------------------------------------------------------------------------- kernels

#: Inputs with fewer elements (or a single row) run the serial variant.
PARALLEL_MIN_ELEMENTS = 1 << 16


def _row_kernel(func):
    """Compile the row loop ``func`` in parallel and serially; call the variant that pays off.

    The serial variant compiles a copy of ``func`` under its own name, so the
    two keep separate entries in numba's on-disk cache (``prange`` runs as
    ``range`` there). Both are reachable as ``.parallel`` and ``.serial``.
    """
    copy = types.FunctionType(func.__code__, func.__globals__, func.__name__ + "_serial",
                              func.__defaults__, func.__closure__)
    copy.__qualname__ = func.__qualname__ + "_serial"
    parallel, serial = jit_parallel(func), jit(copy)

    def run(x, *args):
        big = x.shape[0] > 1 and x.size >= PARALLEL_MIN_ELEMENTS
        return (parallel if big else serial)(x, *args)

    run.__name__, run.__qualname__, run.__doc__ = func.__name__, func.__qualname__, func.__doc__
    run.parallel, run.serial = parallel, serial
    return run


@_row_kernel
def row_stats(x, which, epsilon):
    """Per row of ``x`` (any order): the measure coded ``which`` (see :data:`ROW_STATS`).

    ``epsilon`` is used by ``atkinson_ratio`` only (the ratio of the
    equally-distributed-equivalent to the mean, ``1 - Atkinson``).
    """
    out = np.empty(x.shape[0])
    for r in prange(x.shape[0]):
        out[r] = _share_moments(x[r], _row_sum(x[r]), epsilon)[which]
    return out


@_row_kernel
def gini_sorted_rows(xs, ws, weighted):
    """Gini of each ascending row; ``ws`` (same shape, same order) used when ``weighted``."""
    out = np.empty(xs.shape[0])
    for r in prange(xs.shape[0]):
        out[r] = _gini_sorted(xs[r], ws[r], weighted)
    return out


@_row_kernel
def lorenz_share_sorted_rows(xs, count, from_top):
    """Share of the total held by the top (or bottom) ``count`` holders of each ascending row."""
    out = np.empty(xs.shape[0])
    for r in prange(xs.shape[0]):
        out[r] = _lorenz_share(xs[r], count, from_top, _scaled_sum(xs[r], xs[r, xs.shape[1] - 1]))
    return out


@_row_kernel
def nakamoto_sorted_rows(xs, num, den, inclusive):
    """Nakamoto coefficient of each ascending row (int64) at the threshold ``num / den``, decided exactly.

    ``num`` and ``den`` are integers with ``0 < num < den <= MAX_DENOMINATOR``.
    """
    out = np.empty(xs.shape[0], dtype=np.int64)
    for r in prange(xs.shape[0]):
        out[r] = _nakamoto_sorted(xs[r], _row_sum(xs[r]), num, den, inclusive)
    return out


@_row_kernel
def suite_sorted_rows(xs, epsilon, top_counts, bottom_counts, thresholds, inclusive):
    """Every measure of the suite from ascending rows, one sort shared by all.

    Returns ``(values, nakamoto)``: ``values`` is ``(R, 6 + T + B)`` float64
    with the columns of :data:`SUITE_FIXED`, then the share of the top
    ``top_counts[j]`` holders, then the share of the bottom
    ``bottom_counts[j]`` holders; ``nakamoto`` is ``(R, T)`` int64, one
    column per row ``(num, den)`` of the int64 array ``thresholds`` ``(T, 2)``.
    """
    rows = xs.shape[0]
    n_top = top_counts.shape[0]
    values = np.empty((rows, 6 + n_top + bottom_counts.shape[0]))
    nakamoto = np.empty((rows, thresholds.shape[0]), dtype=np.int64)
    for r in prange(rows):
        row = xs[r]
        total = _row_sum(row)
        values[r, 0] = total
        values[r, 1] = _gini_sorted(row, row, False)
        theil, _, entropy, hhi, ratio = _share_moments(row, total, epsilon)
        values[r, 2] = theil
        values[r, 3] = entropy
        values[r, 4] = hhi
        values[r, 5] = ratio
        scaled_total = _scaled_sum(row, row[row.shape[0] - 1])
        for j in range(n_top):
            values[r, 6 + j] = _lorenz_share(row, top_counts[j], True, scaled_total)
        for j in range(bottom_counts.shape[0]):
            values[r, 6 + n_top + j] = _lorenz_share(row, bottom_counts[j], False, scaled_total)
        for j in range(thresholds.shape[0]):
            nakamoto[r, j] = _nakamoto_sorted(row, total, thresholds[j, 0], thresholds[j, 1], inclusive)
    return values, nakamoto


@jit
def _group_sum_row(row, codes, out):
    for i in range(row.shape[0]):
        out[codes[i]] += row[i]


@_row_kernel
def group_sums(x, codes, n_groups):
    """``(R, n_groups)`` sums of the columns of ``x`` by group code (int64, 0..n_groups-1)."""
    out = np.zeros((x.shape[0], n_groups))
    for r in prange(x.shape[0]):
        _group_sum_row(x[r], codes, out[r])
    return out


@_row_kernel
def group_theil(x, codes, n_groups):
    """Per row and group: the group's total and its own Theil T.

    Returns ``(totals, theil)``, both ``(R, n_groups)``; a group whose
    holdings are all zero has an undefined Theil index, reported as NaN.
    """
    rows = x.shape[0]
    counts = np.zeros(n_groups)
    for i in range(codes.shape[0]):
        counts[codes[i]] += 1.0
    totals = np.zeros((rows, n_groups))
    theil = np.empty((rows, n_groups))
    for r in prange(rows):
        row = x[r]
        _group_sum_row(row, codes, totals[r])
        acc = np.zeros(n_groups)
        for i in range(row.shape[0]):
            v = row[i]
            if v > 0.0:
                g = codes[i]
                total = totals[r, g]
                if total < _TINY:  # subnormal sizes: an exact power of two up, so nothing underflows
                    acc[g] += (v * _TINY_SCALE) * math.log((v / total) * counts[g])
                else:
                    acc[g] += v * math.log(v / (total / counts[g]))
        for g in range(n_groups):
            total = totals[r, g]
            scale = _TINY_SCALE if total < _TINY else 1.0
            theil[r, g] = acc[g] / (total * scale) if total > 0.0 else np.nan
    return totals, theil
