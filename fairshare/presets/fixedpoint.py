"""The two number systems of :func:`~fairshare.presets.yuma_chain.yuma_chain_epoch`, and subtensor's epoch helpers.

``_Exact`` is substrate-fixed's ``I32F32`` on Python integers (the values are the fixed-point bits:
multiplication ``(a * b) >> 32``, floor; division ``(a << 32) / b``, truncation towards zero; ``exp``
the Taylor series of ``transcendental.rs``) [sources: substrate-fixed]; ``_Float`` runs the same steps in
float64. The helpers port subtensor's ``math.rs`` (``weighted_median``, ``is_topk_nonzero``) and
``alpha_sigmoid`` [sources: subtensor-epoch].
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["U16_MAX"]

U16_MAX = 65535
_F = 32
_ONE = 1 << _F

# ---------------------------------------------------------------------------------------------------------------
# Arithmetic: one epoch, two number systems


class _Exact:
    """I32F32 on Python integers (object arrays): values are the fixed-point bits."""

    one = _ONE
    exact = True

    @staticmethod
    def array(x):
        return np.array(x, dtype=object)

    def zeros(self, shape):
        return np.full(shape, 0, dtype=object)

    @staticmethod
    def mul(a, b):
        return (a * b) >> _F

    @staticmethod
    def _div1(a, b):
        if b == 0:
            return 0
        q = abs(a << _F) // abs(b)
        return q if (a >= 0) == (b > 0) else -q

    def div(self, a, b):
        return np.frompyfunc(self._div1, 2, 1)(a, b)

    @staticmethod
    def ratio(p: int, q: int) -> int:
        return (int(p) << _F) // int(q)

    @staticmethod
    def from_int(x):
        return np.frompyfunc(lambda v: int(v) << _F, 1, 1)(x)

    @staticmethod
    def to_u16(x):
        return np.array([[min((v * U16_MAX) >> _F, U16_MAX) for v in row] for row in np.atleast_2d(x)],
                        dtype=np.int64).reshape(np.shape(x))

    @staticmethod
    def u16_prop(b):
        return np.frompyfunc(lambda v: (int(v) << _F) // U16_MAX, 1, 1)(b)

    @staticmethod
    def to_float(x):
        return np.array(np.asarray(x, dtype=object).astype(float) / _ONE, dtype=np.float64) if np.size(x) else \
            np.zeros(np.shape(x))

    def exp(self, x: int) -> int:
        """substrate-fixed ``exp`` on I32F32 bits: ``1 + x + sum_{i=2}^{31} term_i``, ``term_i = term_{i-1} x / i``."""
        if x == 0:
            return _ONE
        if x == _ONE:
            return int(math.e * 2 ** 23) << 9  # the I9F23 constant e, widened
        neg = x < 0
        x = -x if neg else x
        result, term = x + _ONE, x
        for i in range(2, _F):
            term = (term * x) >> _F
            term = self._div1(term, i << _F)
            result += term
        return self._div1(_ONE, result) if neg else result


class _Float:
    """The same steps in float64."""

    one = 1.0
    exact = False

    @staticmethod
    def array(x):
        return np.array(x, dtype=np.float64)

    @staticmethod
    def zeros(shape):
        return np.zeros(shape)

    @staticmethod
    def mul(a, b):
        return a * b

    @staticmethod
    def div(a, b):
        a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
        return np.divide(a, b, out=np.zeros(a.shape), where=b != 0)

    @staticmethod
    def ratio(p, q):
        return float(p) / float(q)

    @staticmethod
    def from_int(x):
        return np.asarray(x, dtype=np.float64)

    @staticmethod
    def to_u16(x):
        return np.minimum(np.floor(np.asarray(x) * U16_MAX), U16_MAX).astype(np.int64)

    @staticmethod
    def u16_prop(b):
        return np.asarray(b, dtype=np.float64) / U16_MAX

    @staticmethod
    def to_float(x):
        return np.asarray(x, dtype=np.float64)

    @staticmethod
    def exp(x):
        return math.exp(x)


def _normalize(ar, x):
    total = x.sum()
    return x if total == 0 else ar.div(x, total)


def _col_normalize(ar, x):
    return ar.div(x, x.sum(axis=0)[None, :])


def _topk_nonzero(stake, k):
    out = np.array([s != 0 for s in stake], dtype=bool)
    n = len(stake)
    if k is None or n < k:
        return out
    order = sorted(range(n), key=lambda i: stake[i])  # ascending, stable (subtensor is_topk_nonzero)
    out[order[: n - k]] = False
    return out


def _weighted_median(stake, score, minority, lo, hi):
    """subtensor ``weighted_median``: the pivot with stake below <= minority < stake at or below."""
    idx = list(range(len(stake)))
    for _ in range(len(idx) + 1):
        n = len(idx)
        if n == 0:
            return 0
        if n == 1:
            return score[idx[0]]
        pivot = score[idx[n // 2]]
        lower = [i for i in idx if score[i] < pivot]
        upper = [i for i in idx if score[i] > pivot]
        lo_stake = sum((stake[i] for i in lower), 0)
        hi_stake = sum((stake[i] for i in upper), 0)
        if minority < lo + lo_stake and lower:
            idx, hi = lower, lo + lo_stake
        elif hi - hi_stake <= minority and upper:
            idx, lo = upper, hi - hi_stake
        else:
            return pivot
    return 0


def _consensus(ar, active_stake, W, kappa):
    staked = [i for i, s in enumerate(active_stake) if s > 0]
    use = _normalize(ar, ar.array([active_stake[i] for i in staked])) if staked else ar.array([])
    total = use.sum() if len(use) else 0
    minority = total - kappa
    use = list(use)
    out = ar.zeros(W.shape[1])
    for j in range(W.shape[1]):
        col = [W[i, j] for i in staked]
        out[j] = _weighted_median(use, col, minority, 0 * ar.one, total)
    return out


def _clamp(x, low, high):
    return max(min(x, high), low)


def _alpha_sigmoid(ar, consensus, weight, bond, low, high, steepness):
    """subtensor ``alpha_sigmoid``: the liquid-alpha EMA rate of one (validator, miner) bond."""
    one, zero = ar.one, 0 * ar.one
    diff = _clamp(weight - consensus, zero, one) if weight >= bond else _clamp(bond - weight, zero, one)
    if ar.exact:
        slope = ar._div1(steepness << _F, -100 << _F)
        arg = ar.mul(slope, diff - (_ONE >> 1))
        arg = _clamp(arg, -20 << _F, 20 << _F)
    else:
        arg = _clamp(steepness / -100.0 * (diff - 0.5), -20.0, 20.0)
    sigmoid = ar._div1(one, one + ar.exp(arg)) if ar.exact else 1.0 / (1.0 + ar.exp(arg))
    return _clamp(low + ar.mul(sigmoid, high - low), low, high)
