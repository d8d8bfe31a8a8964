"""Yuma as subtensor runs it: original Yuma and Yuma3, liquid alpha, bond reset, u16 bonds, float or exact I32F32.

Source: opentensor/subtensor ``pallets/subtensor/src/epoch/run_epoch.rs``
(``epoch_mechanism``, the sparse epoch the chain runs; ``compute_bonds_sparse``,
``alpha_sigmoid``, ``do_reset_bonds``) and ``epoch/math.rs`` at commit
14bc6f9f964b9cc362e9635dd110a487fa5d15a0 [sources: subtensor-epoch]. The
fixed-point type is substrate-fixed's ``I32F32`` (a signed 64-bit integer of
2^-32 units; multiplication floors, ``(a * b) >> 32``; division truncates
towards zero, ``(a << 32) / b``; conversions drop extra fraction bits),
``exp`` its Taylor series (``transcendental.rs``) [sources: substrate-fixed].

:func:`yuma_chain_epoch` runs one epoch from the chain's own inputs (raw stake
in base units, the u16 weights the chain stores, the u16 bonds it stored last
epoch) in one of two modes:

- ``mode="exact"``: every step in I32F32 integers, as the chain computes it,
  bit for bit (Python integers; the chain saturates at 2^31, which normalised
  quantities never reach).
- ``mode="float"``: the same steps in float64. Its largest difference from the
  exact mode over subtensor's epoch test cases is stated in ``docs/presets.md``
  and asserted in ``tests/test_yuma_chain.py``.

What is and is not modelled: validator permits (top ``max_validators`` by
nonzero stake), the kappa stake-weighted median, clipping, the bonds penalty,
both bond variants with their storage, liquid alpha, the emission split. Not
modelled: the activity cutoff and registration masks (all uids active and
registered before the epoch's weights), commit-reveal, the stake threshold and
the diagonal mask: give stake and weights after those masks (a validator's own
uid zeroed). Validators are rows, miners columns, so the validator and miner
sets may differ (``(V,)`` stake, ``(V, M)`` weights).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import FormulaError

__all__ = ["yuma_chain_epoch", "reset_bonds", "weights_to_u16", "YUMA_VARIANTS"]

YUMA_VARIANTS = ("original", "yuma3")
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


# ---------------------------------------------------------------------------------------------------------------
# Inputs


def _check_int_matrix(x, shape, what, high=U16_MAX):
    a = np.asarray(x)
    if a.shape != shape:
        raise FormulaError(f"yuma_chain_epoch {what} must have shape {shape}; got {a.shape}.")
    if not (np.isfinite(a.astype(float)).all() and (a >= 0).all() and (a <= high).all()
            and (np.floor(a.astype(float)) == a.astype(float)).all()):
        raise FormulaError(f"yuma_chain_epoch {what} must hold whole numbers in [0, {high}] (the chain's u16 "
                           f"storage); convert float weights with weights_to_u16.")
    return a.astype(np.int64)


def weights_to_u16(weights) -> np.ndarray:
    """The u16 weights the chain stores for float weights: each row max-upscaled to 65535, rounded.

    subtensor ``vec_u16_max_upscale_to_u16`` (``set_weights``): ``round(w * 65535 / max(row))``
    with ties away from zero; an all-zero row stays zero.

    Parameters
    ----------
    weights : array_like, shape (V, M)
        Weights >= 0 in any scale, one row per validator.

    Returns
    -------
    ndarray of int64, shape (V, M)
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or not (np.isfinite(w).all() and (w >= 0).all()):
        raise FormulaError("weights_to_u16 needs a (V, M) array of finite weights >= 0.")
    top = w.max(axis=1, keepdims=True) if w.shape[1] else np.zeros((w.shape[0], 1))
    scaled = np.divide(w * U16_MAX, top, out=np.zeros_like(w), where=top > 0)
    return np.floor(scaled + 0.5).astype(np.int64)


def reset_bonds(bonds, miner: int) -> np.ndarray:
    """Bond reset of one miner: every validator's stored bond on column ``miner`` set to 0.

    subtensor ``do_reset_bonds`` (when the subnet enables bonds reset): removes
    the entries ``(i, uid)`` of every bonds row.

    Parameters
    ----------
    bonds : array_like, shape (V, M)
        Stored bonds (u16 scale).
    miner : int
        Column of the miner whose bonds are reset.

    Returns
    -------
    ndarray, a copy with column ``miner`` zeroed
    """
    out = np.array(bonds, copy=True)
    if out.ndim != 2 or not (0 <= int(miner) < out.shape[1]):
        raise FormulaError(f"reset_bonds needs a (V, M) bonds array and a miner column in [0, M); got shape "
                           f"{out.shape} and miner {miner!r}.")
    out[:, int(miner)] = 0
    return out


# ---------------------------------------------------------------------------------------------------------------
# The epoch


def yuma_chain_epoch(stake, weights, bonds=None, *, variant: str = "yuma3", mode: str = "exact",
                     kappa: int = 32767, bonds_moving_average: int = 900_000, bonds_penalty: int = 65535,
                     liquid_alpha: bool = False, alpha_low: int = 45875, alpha_high: int = 58982,
                     alpha_sigmoid_steepness: int = 1000, max_validators=None, active=None, weights_set=None,
                     bond_storage: str = "u16", emission=None) -> dict:
    """One subtensor epoch (``epoch_mechanism``), original Yuma or Yuma3, in exact I32F32 or float64.

    Parameters
    ----------
    stake : array_like, shape (V,)
        Stake of each validator row in base units (whole numbers in exact mode); normalised inside
        (I64F64, then I32F32, as ``get_stake_weights_for_network`` and the epoch do).
    weights : array_like, shape (V, M)
        The u16 weights the chain stores (row max-upscaled; :func:`weights_to_u16` converts float weights).
    bonds : array_like, shape (V, M), optional
        Bonds stored by the previous epoch (the ``bonds`` this function returns), u16 scale: for
        ``"original"`` column max-upscaled, for ``"yuma3"`` ``floor(65535 B)``. None: no bonds yet.
    variant : {"yuma3", "original"}
        ``Yuma3On``: Yuma3 keeps absolute EMA bonds ``B = alpha Wb + (1 - alpha) B_prev`` (no column
        normalisation before storage) and pays dividends ``D_i ~ S_i sum_j colnorm(B)_ij I_j``;
        original Yuma takes the EMA of column-normalised bond deltas ``S_i Wb_ij`` and pays
        ``D_i ~ sum_j B_ij I_j``.
    mode : {"exact", "float"}
        I32F32 integer arithmetic as the chain, or float64.
    kappa : int
        Consensus majority as u16 (``Kappa``; 32767 is 0.5).
    bonds_moving_average : int
        ``BondsMovingAverage`` in millionths; the EMA rate is ``1 - bonds_moving_average / 1e6``.
    bonds_penalty : int
        ``BondsPenalty`` as u16: how far bonds follow clipped rather than raw weights (65535 = clipped).
    liquid_alpha : bool
        ``LiquidAlphaOn`` (Yuma3 only, as on the chain): a per-bond EMA rate from ``alpha_sigmoid``
        between ``alpha_low`` and ``alpha_high`` when any consensus is nonzero.
    alpha_low, alpha_high : int
        ``AlphaValues`` as u16 (defaults 45875 and 58982: 0.7 and 0.9).
    alpha_sigmoid_steepness : int
        ``AlphaSigmoidSteepness`` (default 1000).
    max_validators : int or None
        ``MaxAllowedValidators``: rows outside the top ``max_validators`` by nonzero stake have no permit
        (their weights and stake are masked). None: every row with stake has a permit.
    active : array_like of bool, shape (V,), optional
        Rows that set weights within the activity cutoff; an inactive row's stake is masked from the
        active stake (its weights stay stored but carry no stake). None: every row active.
    weights_set : array_like of bool, shape (V, M), optional
        Which entries the validator set (the sparse storage keeps set zeros). Only Yuma3 with liquid
        alpha tells the difference: a bond survives only where the weight entry (after clipping) is
        set. None: every entry set (the dense epoch).
    bond_storage : {"u16", "float"}
        Float mode only: store bonds floored to u16 as the chain, or keep them unrounded (u16 scale).
    emission : int, optional
        Emission of the epoch in base units: adds ``server_emission`` and ``validator_emission``
        (``floor(share * emission)`` as the chain's I96F32 product).

    Returns
    -------
    dict
        Float arrays (exact-mode values are the fixed-point numbers, exactly): ``stake``, ``active_stake``,
        ``W`` (normalised), ``consensus``, ``W_clipped``, ``validator_trust``, ``I`` incentive, ``D``
        dividends, ``ema_bonds``, ``E_server`` and ``E_validator`` (shares of the emission; together
        1 up to rounding); int arrays ``bonds`` (storage for the next epoch; float in float mode with
        ``bond_storage="float"``), ``incentive_u16``, ``dividends_u16`` (as the chain stores them).

    Notes
    -----
    With no incentive and no dividends the emission goes to validators by
    active stake (by stake when no stake is active), as the chain does.

    Examples
    --------
    >>> out = yuma_chain_epoch([8, 1, 1], [[65535, 0]] * 3, variant="yuma3", mode="exact",
    ...                        liquid_alpha=True, alpha_low=6553, alpha_high=19660)
    >>> round(float(out["ema_bonds"][0, 0]), 4), out["dividends_u16"].tolist()
    (0.1013, [52428, 6553, 6553])
    """
    if variant not in YUMA_VARIANTS:
        raise FormulaError(f"yuma_chain_epoch variant must be one of {YUMA_VARIANTS}, got {variant!r}.")
    if mode not in ("exact", "float"):
        raise FormulaError(f"yuma_chain_epoch mode must be 'exact' or 'float', got {mode!r}.")
    if bond_storage not in ("u16", "float") or (mode == "exact" and bond_storage != "u16"):
        raise FormulaError(f"yuma_chain_epoch bond_storage must be 'u16' (or 'float' in float mode), got "
                           f"{bond_storage!r} with mode {mode!r}.")
    for value, what, high in ((kappa, "kappa", U16_MAX), (bonds_penalty, "bonds_penalty", U16_MAX),
                              (alpha_low, "alpha_low", U16_MAX), (alpha_high, "alpha_high", U16_MAX),
                              (bonds_moving_average, "bonds_moving_average", 1_000_000)):
        if not (isinstance(value, (int, np.integer)) and 0 <= value <= high):
            raise FormulaError(f"yuma_chain_epoch {what} must be a whole number in [0, {high}] (the chain's "
                               f"storage unit), got {value!r}.")
    if alpha_low > alpha_high:
        raise FormulaError(f"yuma_chain_epoch alpha_low ({alpha_low}) must not exceed alpha_high ({alpha_high}).")
    ar = _Exact() if mode == "exact" else _Float()
    s = np.asarray(stake)
    W_in = np.asarray(weights)
    if s.ndim != 1 or W_in.ndim != 2 or W_in.shape[0] != s.shape[0]:
        raise FormulaError(f"yuma_chain_epoch needs stake of shape (V,) and weights of shape (V, M); got "
                           f"{s.shape} and {W_in.shape}.")
    V, M = W_in.shape
    if not (np.isfinite(s.astype(float)).all() and (s >= 0).all()):
        raise FormulaError("yuma_chain_epoch stake must be finite and >= 0.")
    if mode == "exact":
        if not (np.floor(s.astype(float)) == s.astype(float)).all():
            raise FormulaError("yuma_chain_epoch stake must be whole base units in exact mode (the chain's u64).")
        W_u16 = _check_int_matrix(W_in, (V, M), "weights")
    else:
        W_u16 = np.asarray(W_in, dtype=np.float64)
        if not (np.isfinite(W_u16).all() and (W_u16 >= 0).all()):
            raise FormulaError("yuma_chain_epoch weights must be finite and >= 0.")
    if bonds is None:
        bonds = np.zeros((V, M), dtype=np.int64)
    elif mode == "exact" or bond_storage == "u16":
        bonds = _check_int_matrix(bonds, (V, M), "bonds")
    else:
        bonds = np.asarray(bonds, dtype=np.float64)
        if bonds.shape != (V, M) or not (np.isfinite(bonds).all() and (bonds >= 0).all()):
            raise FormulaError(f"yuma_chain_epoch bonds must be finite, >= 0 and of shape {(V, M)}.")
    present = np.ones((V, M), dtype=bool) if weights_set is None else np.asarray(weights_set, dtype=bool)
    if present.shape != (V, M):
        raise FormulaError(f"yuma_chain_epoch weights_set must have shape {(V, M)}; got {present.shape}.")
    is_active = np.ones(V, dtype=bool) if active is None else np.asarray(active, dtype=bool)
    if is_active.shape != (V,):
        raise FormulaError(f"yuma_chain_epoch active must have shape {(V,)}; got {is_active.shape}.")
    if max_validators is not None and not (isinstance(max_validators, (int, np.integer)) and max_validators >= 0):
        raise FormulaError(f"yuma_chain_epoch max_validators must be a whole number >= 0 or None, "
                           f"got {max_validators!r}.")

    one, zero = ar.one, 0 * ar.one
    # Stake: I64F64 normalisation, then I32F32 (floor(s * 2^32 / total)).
    if ar.exact:
        ints = [int(v) for v in s]
        total = sum(ints)
        S = ar.array([(v << _F) // total if total else 0 for v in ints])
    else:
        total = s.astype(np.float64).sum()
        S = s.astype(np.float64) / total if total > 0 else np.zeros(V)
    permit = _topk_nonzero(list(S), None if max_validators is None else int(max_validators))
    A = _normalize(ar, np.where(permit & is_active, S, zero).astype(S.dtype))
    # Weights: permit mask, row normalisation.
    P = present & permit[:, None]
    W = np.where(P, ar.from_int(W_u16), zero).astype(S.dtype)
    W = ar.div(W, W.sum(axis=1)[:, None]) if V and M else W
    # Consensus, clipping, trust, incentive.
    C = _consensus(ar, list(A), W, ar.ratio(kappa, U16_MAX)) if V else ar.zeros(M)
    over = C[None, :] < W
    Pc = P & ~(over & (C[None, :] <= 0))
    Wc = np.where(Pc, np.where(over, np.broadcast_to(C[None, :], W.shape), W), zero).astype(S.dtype)
    trust = Wc.sum(axis=1)
    I = _normalize(ar, ar.mul(A[:, None], Wc).sum(axis=0) if V else ar.zeros(M))  # noqa: E741 - the chain's symbol
    # Weights for bonds: the bonds penalty.
    beta = ar.ratio(bonds_penalty, U16_MAX)
    if beta == 0:
        Wb, Pb = W, P
    elif beta == one:
        Wb, Pb = Wc, Pc
    else:
        Wb = W + ar.mul(beta, Wc - W)
        Pb = np.array(Wb > 0, dtype=bool)
        Wb = np.where(Pb, Wb, zero).astype(S.dtype)
    if ar.exact:
        bma = ((int(bonds_moving_average) << 64) // 1_000_000) >> _F
    else:
        bma = bonds_moving_average / 1e6
    alpha = one - bma
    if variant == "yuma3":
        B_old = ar.u16_prop(bonds) if (ar.exact or bond_storage == "u16") else np.asarray(bonds) / U16_MAX
        if liquid_alpha and any(c != 0 for c in C):
            low, high = ar.ratio(alpha_low, U16_MAX), ar.ratio(alpha_high, U16_MAX)
            a = ar.zeros((V, M))
            for i in range(V):
                for j in range(M):
                    a[i, j] = _alpha_sigmoid(ar, C[j], Wb[i, j], B_old[i, j], low, high,
                                             int(alpha_sigmoid_steepness))
            decayed = ar.mul(one - a, B_old)
            inc = np.maximum(ar.mul(a, Wb), zero)
            val = np.minimum(decayed + inc, one)
            B = np.where(Pb & np.array(val > 0, dtype=bool), val, zero).astype(S.dtype)
        else:
            val = ar.mul(alpha, Wb) + ar.mul(one - alpha, B_old)
            B = np.where(np.array(val > 0, dtype=bool), val, zero).astype(S.dtype)
        Bn = _col_normalize(ar, B)
        D = _normalize(ar, ar.mul(ar.mul(Bn, I[None, :]).sum(axis=1), A))
        ema = B
        stored = ar.to_u16(B) if (ar.exact or bond_storage == "u16") else ar.to_float(B) * U16_MAX
    else:
        B_old = _col_normalize(ar, ar.from_int(bonds).astype(S.dtype) if ar.exact else
                               np.asarray(bonds, dtype=np.float64))
        dB = _col_normalize(ar, ar.mul(Wb, A[:, None]))
        val = ar.mul(alpha, dB) + ar.mul(one - alpha, B_old)
        ema = _col_normalize(ar, np.where(np.array(val > 0, dtype=bool), val, zero).astype(S.dtype))
        D = _normalize(ar, ar.mul(I[None, :], ema).sum(axis=1))
        top = ema.max(axis=0) if V else ar.zeros(M)
        upscaled = ar.div(ema, top[None, :])
        stored = ar.to_u16(upscaled) if (ar.exact or bond_storage == "u16") else ar.to_float(upscaled) * U16_MAX
    # Emission shares.
    total_e = I.sum() + D.sum()
    if total_e != 0:
        E_server, E_validator = ar.div(I, total_e), ar.div(D, total_e)
    else:
        E_server = ar.zeros(M)
        E_validator = A.copy() if any(v != 0 for v in A) else S.copy()
    out = {"stake": ar.to_float(S), "active_stake": ar.to_float(A), "W": ar.to_float(W),
           "consensus": ar.to_float(C), "W_clipped": ar.to_float(Wc), "validator_trust": ar.to_float(trust),
           "I": ar.to_float(I), "D": ar.to_float(D), "ema_bonds": ar.to_float(ema),
           "E_server": ar.to_float(E_server), "E_validator": ar.to_float(E_validator), "bonds": stored,
           "incentive_u16": ar.to_u16(I[None, :])[0] if M else np.zeros(0, dtype=np.int64),
           "dividends_u16": ar.to_u16(D[None, :])[0] if V else np.zeros(0, dtype=np.int64)}
    if emission is not None:
        if not (isinstance(emission, (int, np.integer)) and emission >= 0):
            raise FormulaError(f"yuma_chain_epoch emission must be whole base units >= 0, got {emission!r}.")
        if ar.exact:
            out["server_emission"] = np.array([(v * int(emission)) >> _F for v in E_server], dtype=object)
            out["validator_emission"] = np.array([(v * int(emission)) >> _F for v in E_validator], dtype=object)
        else:
            out["server_emission"] = np.floor(E_server * emission)
            out["validator_emission"] = np.floor(E_validator * emission)
    return out
