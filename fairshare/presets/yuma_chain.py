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
- ``mode="float"``: the same steps in float64, i.e. the rule in real arithmetic.
  It meets subtensor's epoch test cases at the chain's tolerances except where
  the chain asserts an integer that its own I32F32 truncations put below the real
  value: emissions in rao (float mode gives the real value, up to 2 rao above the
  chain's at 1e9 per epoch) and original Yuma's stored bonds, which drift down one
  u16 step per epoch on the chain and not in float mode. No float computation
  accurate to the real value can reproduce those truncations; there float mode is
  held to stated bounds (``fairshare/presets/_subtensor_cases.py``;
  :func:`~fairshare.presets.validation_table`; measured figures in
  ``docs/presets.md``).

What is and is not modelled: the stake threshold, validator permits (top
``max_validators`` by nonzero stake), the activity mask (``active``), the kappa
stake-weighted median, clipping, the bonds penalty, both bond variants with
their storage, liquid alpha, the emission split. Not modelled: the
registration masks (weights set before a miner re-registered, bonds of miners
registered since the last epoch), commit-reveal and the diagonal mask: give
weights and bonds after those masks (a validator's own uid zeroed).
Validators are rows, miners columns, so the validator and miner sets may
differ (``(V,)`` stake, ``(V, M)`` weights).
"""

from __future__ import annotations

import numpy as np

from ..errors import FormulaError
from .fixedpoint import (
    _F,
    U16_MAX,
    _alpha_sigmoid,
    _col_normalize,
    _consensus,
    _Exact,
    _Float,
    _normalize,
    _topk_nonzero,
)

__all__ = ["yuma_chain_epoch", "reset_bonds", "weights_to_u16", "YUMA_VARIANTS"]

YUMA_VARIANTS = ("original", "yuma3")


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
                     alpha_sigmoid_steepness: int = 1000, max_validators=None, stake_threshold: int = 0,
                     active=None, weights_set=None, bond_storage: str = "u16", emission=None) -> dict:
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
        I32F32 integer arithmetic as the chain (bit for bit on subtensor's tests), or float64 (the rule in real
        arithmetic: within 2e-9 of exact mode on shares in one epoch; where the chain's truncations put an asserted
        rao or u16 value below the real value, float mode gives the real value, see the module docstring).
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
    stake_threshold : int, default 0
        ``StakeThreshold``: stake below it (base units) counts as 0 before normalisation (no permit).
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

    if not (isinstance(stake_threshold, (int, np.integer)) and stake_threshold >= 0):
        raise FormulaError(f"yuma_chain_epoch stake_threshold must be whole base units >= 0, got {stake_threshold!r}.")
    s = np.where(s < stake_threshold, 0, s)  # the chain's filtered stake
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
           "validator_permit": permit,
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
