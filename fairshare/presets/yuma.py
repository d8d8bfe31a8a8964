"""Bittensor Yuma consensus: one epoch as a pure function, and a reward rule that runs it per epoch.

Source: opentensor/subtensor ``docs/consensus.md`` (the mathematical
definitions) and the epoch code it excerpts (``pallets/subtensor/src/epoch``,
``math.rs``: ``weighted_median_col``, ``inplace_col_clip``, ``mat_ema``,
column-normalised bonds). :func:`yuma_epoch` is that formulation of
*original* Yuma in float64 with float bonds (no u16 storage, no Yuma3, no
liquid alpha): chain figures agree to about 1e-5 over a few epochs. The
chain's own epoch, original Yuma or Yuma3, liquid alpha, u16 bonds, exact
I32F32 or float, is :func:`~fairshare.presets.yuma_chain.yuma_chain_epoch`;
:class:`YumaConsensus` runs either (``mode``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from ..errors import FormulaError
from ..formulas import Allocation, Formula
from ._inputs import as_series, check_unit, node_codes
from ._yuma_weights import ValidatorWeights
from .yuma_chain import U16_MAX, YUMA_VARIANTS, reset_bonds, weights_to_u16, yuma_chain_epoch

__all__ = ["stake_weighted_median", "yuma_epoch", "YumaConsensus"]


def stake_weighted_median(stake, weights, kappa: float = 0.5) -> np.ndarray:
    """Consensus weight of each column: the largest weight supported by at least ``kappa`` of the stake.

    ``C_j = max{ w : sum_i S_i [W_ij >= w] >= kappa * sum_i S_i }`` over the
    validators with stake > 0 (subtensor's ``weighted_median_col``); 0 where no
    validator has stake.

    Parameters
    ----------
    stake : (V,) array of stake >= 0
    weights : (V, M) array of weights >= 0
    kappa : float in [0, 1]

    Returns
    -------
    (M,) float64
    """
    check_unit(kappa, "kappa")
    s = np.asarray(stake, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    keep = s > 0
    out = np.zeros(w.shape[1])
    if not keep.any() or w.shape[1] == 0:
        return out
    s, w = s[keep] / s[keep].sum(), w[keep]
    order = np.argsort(-w, axis=0, kind="stable")
    supported = np.cumsum(s[order], axis=0)  # stake at or above each sorted weight
    first = np.argmax(supported >= kappa * supported[-1], axis=0)
    return np.take_along_axis(w, order, axis=0)[first, np.arange(w.shape[1])]


def _col_normalise(a: np.ndarray) -> np.ndarray:
    sums = a.sum(axis=0)
    return np.divide(a, sums[None, :], out=np.zeros_like(a), where=sums[None, :] > 0)


def yuma_epoch(S, W, bonds_prev=None, *, kappa: float = 0.5, alpha: float = 0.1, bonds_penalty: float = 1.0,
               validator_share: float = 0.5) -> dict:
    """One Yuma consensus epoch (subtensor ``docs/consensus.md``): original Yuma in float64 with float bonds.

    Not modelled here: Yuma3, liquid alpha, u16 bond storage and the chain's fixed-point arithmetic; for
    those use :func:`~fairshare.presets.yuma_chain.yuma_chain_epoch` (validated against subtensor's
    epoch tests). A bond reset (subtensor ``do_reset_bonds``) is
    :func:`~fairshare.presets.yuma_chain.reset_bonds` applied to ``bonds_prev``; over a sequence of epochs,
    :class:`YumaConsensus` takes a schedule of them (``bond_resets``).

    Parameters
    ----------
    S : (V,) validator stake >= 0 (normalised to sum to one inside).
    W : (V, M) weights validators set on miners, >= 0; each row is normalised
        to sum to one (an all-zero row stays zero).
    bonds_prev : (V, M) previous EMA bonds, or None (no bonds yet).
    kappa : majority of stake that must support a consensus weight (0.5).
    alpha : EMA rate of bonds (0.1).
    bonds_penalty : beta, how far bonds follow clipped rather than raw weights (1 = clipped).
    validator_share : xi, the part of the emission paid to validators as dividends (0.5).

    Returns
    -------
    dict with ``S`` and ``W`` (normalised), ``P`` prerank ``S @ W``,
    ``consensus`` ``C`` (:func:`stake_weighted_median`), ``W_clipped``
    ``min(W, C)``, ``R`` rank ``S @ W_clipped``, ``I`` incentive ``R / sum R``,
    ``T`` trust ``R / P``, ``validator_trust`` ``sum_j W_clipped``,
    ``bonds_delta`` ``dB_ij = S_i Wb_ij / sum_k S_k Wb_kj`` with
    ``Wb = (1 - beta) W + beta W_clipped``, ``B`` the EMA bonds
    ``alpha dB + (1 - alpha) B_prev`` normalised per column, ``D`` dividends
    ``sum_j B_ij I_j`` (normalised), and the emission shares ``E_miner``
    ``(1 - xi) I`` and ``E_validator`` ``xi D``; together they sum to one.
    When no miner has incentive the whole emission goes to validators by
    stake (``E_validator = S``), as the subtensor epoch does.

    Notes
    -----
    Bonds are column-normalised after the EMA, as in the subtensor epoch code
    that ``docs/consensus.md`` excerpts (``inplace_col_normalize(ema_bonds)``),
    so with no previous bonds ``B = dB``. Sums run in a fixed order (no BLAS):
    the same inputs give bit-identical outputs.
    """
    for value, what in ((kappa, "kappa"), (alpha, "alpha"), (bonds_penalty, "bonds_penalty"),
                        (validator_share, "validator_share")):
        check_unit(value, what)
    S = np.asarray(S, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    if S.ndim != 1 or W.ndim != 2 or W.shape[0] != S.shape[0]:
        raise FormulaError(f"yuma_epoch needs S of shape (V,) and W of shape (V, M); got {S.shape} and {W.shape}.")
    if not (np.isfinite(S).all() and (S >= 0).all() and np.isfinite(W).all() and (W >= 0).all()):
        raise FormulaError("yuma_epoch needs finite stake and weights >= 0.")
    B_prev = np.zeros_like(W) if bonds_prev is None else np.asarray(bonds_prev, dtype=np.float64)
    if B_prev.shape != W.shape or not (np.isfinite(B_prev).all() and (B_prev >= 0).all()):
        raise FormulaError(f"bonds_prev must be finite, >= 0 and of shape {W.shape}; got shape {B_prev.shape}.")
    total = S.sum()
    Sn = S / total if total > 0 else np.zeros_like(S)
    rows = W.sum(axis=1)
    Wn = np.divide(W, rows[:, None], out=np.zeros_like(W), where=rows[:, None] > 0)
    P = (Sn[:, None] * Wn).sum(axis=0)
    C = stake_weighted_median(Sn, Wn, kappa)
    Wc = np.minimum(Wn, C[None, :])
    R = (Sn[:, None] * Wc).sum(axis=0)
    r_total = R.sum()
    I = R / r_total if r_total > 0 else np.zeros_like(R)  # noqa: E741 - the docs' symbol
    T = np.divide(R, P, out=np.zeros_like(R), where=P > 0)
    Wb = (1.0 - bonds_penalty) * Wn + bonds_penalty * Wc
    dB = _col_normalise(Sn[:, None] * Wb)
    B = _col_normalise(alpha * dB + (1.0 - alpha) * B_prev)
    D = (B * I[None, :]).sum(axis=1)
    d_total = D.sum()
    D = D / d_total if d_total > 0 else np.zeros_like(D)
    if r_total > 0:
        E_miner, E_validator = (1.0 - validator_share) * I, validator_share * D
    else:
        E_miner, E_validator = np.zeros_like(I), Sn.copy()
    return {"S": Sn, "W": Wn, "P": P, "consensus": C, "W_clipped": Wc, "R": R, "I": I, "T": T,
            "validator_trust": Wc.sum(axis=1), "bonds_delta": dB, "B": B, "D": D,
            "E_miner": E_miner, "E_validator": E_validator}


@dataclass(frozen=True, eq=False)
class YumaConsensus(Formula):
    """Bittensor Yuma consensus: nodes are miners, paid their incentive share of the miner emission.

    Each epoch runs :func:`yuma_epoch` on the validators' stake and weights,
    with bonds carried from one epoch to the next (in ``features.epochs``
    order, starting from no bonds). Of each epoch's emission ``E``, the subnet
    owner takes ``owner_share``; of the rest, miners (nodes) receive
    ``(1 - validator_share) I_j`` and validators ``validator_share D_i`` (all to
    validators by stake when no node has incentive). Everything not paid to
    nodes is reported in ``Allocation.unallocated``; :meth:`split` and
    :meth:`validator_rewards` give the owner's and each validator's amounts.

    Parameters
    ----------
    weights : DataFrame or None
        Validators' weights on nodes. Long form: columns ``validator``,
        ``node_id``, ``weight`` and optionally ``epoch`` (a validator's weights
        set at an epoch stay in force until it sets new ones; before its first
        set it has none). Wide form: a static matrix, validators as index, node
        ids as columns. Nodes missing from the weights, and nodes inactive in an
        epoch, get no weight (weights are masked before row normalisation); a
        weight a validator sets on its own id as a node is masked too
        (subtensor's diagonal mask). ``None``: every validator sets weights in
        proportion to the nodes' work units in the epoch (honest, unanimous
        validators, so incentive equals the work share).
    validator_stake : Series or DataFrame or None
        Stake per validator: a Series (validator -> stake) or an epoch x
        validator DataFrame covering every epoch. Validators without stake
        have none. ``None``: equal stake for every validator in ``weights``
        (one validator when ``weights`` is None too).
    kappa, alpha, bonds_penalty, validator_share
        As in :func:`yuma_epoch` (defaults 0.5, 0.1, 1.0, 0.5: the docs'
        typical values).
    owner_share : float
        Subnet owner's cut of each epoch's emission, taken first (0.18: subtensor
        ``run_coinbase.rs``, "Distribute the 18% owner cut"; [sources: subtensor]).
    mode : {"docs", "float", "exact"}
        ``"docs"`` (default): :func:`yuma_epoch`, original Yuma as ``docs/consensus.md`` writes it, float
        bonds. ``"float"`` / ``"exact"``: the chain's epoch
        (:func:`~fairshare.presets.yuma_chain.yuma_chain_epoch`) in float64 or I32F32 integers, with u16
        bond storage; weights are stored as the chain's ``set_weights`` stores them (each validator's row
        max-upscaled to u16, :func:`~fairshare.presets.yuma_chain.weights_to_u16`), ``kappa`` and
        ``bonds_penalty`` as ``floor(x * 65535)`` (0.5 -> 32767, the chain's default), ``alpha`` as the
        moving average ``round((1 - alpha) * 1e6)``; ``"exact"`` needs stake in whole base units.
    variant : {"original", "yuma3"}
        Chain modes only: original Yuma or Yuma3 (``Yuma3On``; see ``yuma_chain_epoch``).
    liquid_alpha : bool
        Chain mode with ``variant="yuma3"`` only: the per-bond EMA rate of ``LiquidAlphaOn``.
    alpha_low, alpha_high : int
        Liquid alpha's bounds as u16 (the chain's defaults 45875 and 58982: 0.7 and 0.9).
    bond_resets : DataFrame or None
        Bond resets, columns ``epoch`` and ``node_id``: at the start of that epoch (after the epoch's weights are
        set) every validator's bond on that node is set to 0, as subtensor's ``do_reset_bonds`` does when a subnet
        has ``BondsResetOn`` and the miner commits new metadata, and as the chain's epoch masks the bonds of a uid
        whose miner was replaced (registered since the last epoch) [sources: subtensor-epoch]. Every mode and
        variant. ``None`` (default): no resets (``BondsResetOn`` off, no miner replaced).

    Notes
    -----
    Sybil behaviour: with ``weights=None`` the node payout is the work share
    (split- and merge-neutral); with given weights it is whatever validators
    set, so it is declared unknown (a split or merged identity is a new node
    id that no validator has weighted yet, so it earns nothing until they
    do). Monotone: more work never lowers a node's reward (with given weights
    work does not enter at all).

    Examples
    --------
    >>> w = pd.DataFrame({"validator": ["v0", "v0", "v1"], "node_id": ["n0", "n1", "n0"],  # doctest: +SKIP
    ...                   "weight": [0.7, 0.3, 1.0]})
    >>> rule = fs.presets.YumaConsensus(weights=w, validator_stake=pd.Series({"v0": 3.0, "v1": 1.0}))  # doctest: +SKIP
    >>> f = fs.aggregate(history)  # doctest: +SKIP
    >>> rule(f).rewards, rule.split(f)  # nodes' tokens; per epoch nodes, validators, owner, unplaced  # doctest: +SKIP
    """

    weights: object = field(default=None, repr=False)
    validator_stake: object = field(default=None, repr=False)
    kappa: float = 0.5
    alpha: float = 0.1
    bonds_penalty: float = 1.0
    validator_share: float = 0.5
    owner_share: float = 0.18
    mode: str = "docs"
    variant: str = "original"
    liquid_alpha: bool = False
    alpha_low: int = 45875
    alpha_high: int = 58982
    bond_resets: object = field(default=None, repr=False)
    name: ClassVar[str] = "yuma_consensus"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        for what in ("kappa", "alpha", "bonds_penalty", "validator_share", "owner_share"):
            check_unit(getattr(self, what), f"YumaConsensus {what}")
        if self.mode not in ("docs", "float", "exact"):
            raise FormulaError(f"YumaConsensus mode must be 'docs', 'float' or 'exact', got {self.mode!r}.")
        if self.variant not in YUMA_VARIANTS:
            raise FormulaError(f"YumaConsensus variant must be one of {YUMA_VARIANTS}, got {self.variant!r}.")
        if self.mode == "docs" and (self.variant != "original" or self.liquid_alpha):
            raise FormulaError("YumaConsensus mode 'docs' is original Yuma without liquid alpha; use mode='float' "
                               "or 'exact' for variant='yuma3' or liquid_alpha=True.")
        if self.liquid_alpha and self.variant != "yuma3":
            raise FormulaError("YumaConsensus liquid_alpha applies to variant='yuma3' only (as on the chain).")
        if self.mode != "docs" and self.validator_share != 0.5:
            raise FormulaError(f"YumaConsensus validator_share is 0.5 on the chain (incentive and dividends each "
                               f"normalised to one); got {self.validator_share!r} with mode {self.mode!r}.")
        table = None if self.weights is None else ValidatorWeights(self.weights)
        stake = self.validator_stake
        if isinstance(stake, pd.DataFrame):
            if not (stake.index.is_unique and stake.columns.is_unique):
                raise FormulaError("YumaConsensus validator_stake: epochs (index) and validators (columns) must be "
                                   "unique.")
            values = stake.to_numpy(dtype=np.float64)
            if not (np.isfinite(values).all() and (values >= 0).all()):
                raise FormulaError("YumaConsensus validator_stake must hold finite numbers >= 0.")
            known = pd.Index(stake.columns)
        elif stake is not None:
            stake = as_series(stake, "YumaConsensus validator_stake")
            known = stake.index
        else:
            known = pd.Index(["validator"]) if table is None else pd.Index([])
        validators = known if table is None else table.validators.append(known.difference(table.validators, sort=False))
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_resets", _check_resets(self.bond_resets))
        object.__setattr__(self, "_stake", stake)
        object.__setattr__(self, "_validators", validators)

    def sybil(self):
        return "neutral" if self.weights is None else "unknown"

    def describe(self):
        source = "validators' weights" if self.weights is not None else "work-proportional validator weights"
        how = "" if self.mode == "docs" else f", {self.variant} as the chain runs it ({self.mode})"
        return (f"Yuma consensus on {source} (kappa {self.kappa:g}, alpha {self.alpha:g}{how}); miners get "
                f"{(1 - self.owner_share) * (1 - self.validator_share):.0%} of emission by incentive")

    def _stake_at(self, epoch) -> np.ndarray:
        v = self._validators
        if self._stake is None:
            return np.ones(len(v))
        if isinstance(self._stake, pd.DataFrame):
            if epoch not in self._stake.index:
                raise FormulaError(f"YumaConsensus validator_stake has no row for epoch {epoch}; "
                                   f"it covers {list(self._stake.index[:5])}...; give every epoch of the history.")
            return self._stake.loc[epoch].reindex(v).fillna(0.0).to_numpy(dtype=np.float64)
        return self._stake.reindex(v).fillna(0.0).to_numpy(dtype=np.float64)

    def _run(self, features):
        """(node rewards (E, K), validator rewards (E, V), owner (E,), unplaced (E,))."""
        n_epochs, k = features.shape
        v = self._validators
        emission = features.emission_tokens
        nodes = np.zeros((n_epochs, k))
        validators = np.zeros((n_epochs, len(v)))
        unplaced = np.zeros(n_epochs)
        eligible = features.active > 0
        codes = None if self._table is None else node_codes(self._table.nodes, features.entity_ids,
                                                               "YumaConsensus weights")
        self_col = v.get_indexer(features.entity_ids)  # a validator's weight on its own id is masked
        mine = np.flatnonzero(self_col >= 0)
        resets = self._reset_columns(features)
        bonds = None
        for e, epoch in enumerate(features.epochs):
            if self._table is None:
                W = np.broadcast_to(features.work_units[e] * eligible[e], (len(v), k)).copy()
            elif len(self._table.nodes) == 0:
                W = np.zeros((len(v), k))
            else:
                table = self._table.at(int(epoch), v)
                W = np.where(codes[None, :] >= 0, table[:, np.maximum(codes, 0)], 0.0) * eligible[e][None, :]
            W[self_col[mine], mine] = 0.0
            for column in resets.get(int(epoch), ()):
                bonds = None if bonds is None else reset_bonds(bonds, column)
            if self.mode == "docs":
                out = yuma_epoch(self._stake_at(epoch), W, bonds, kappa=self.kappa, alpha=self.alpha,
                                 bonds_penalty=self.bonds_penalty, validator_share=self.validator_share)
                bonds = out["B"]
            else:
                out = self._chain_epoch(self._stake_at(epoch), W, bonds)
                bonds = out["bonds"]
            pool = emission[e] * (1.0 - self.owner_share)
            nodes[e] = pool * out["E_miner"]
            validators[e] = pool * out["E_validator"]
            unplaced[e] = pool * (1.0 - out["E_miner"].sum() - out["E_validator"].sum())
        return nodes, validators, emission * self.owner_share, np.maximum(unplaced, 0.0)

    def _reset_columns(self, features) -> dict:
        """Epoch -> columns whose bonds reset at its start; each row must name a node and epoch of ``features``."""
        if self._resets is None:
            return {}
        table = self._resets
        columns = pd.Index(features.entity_ids).get_indexer(table["node_id"])
        unknown = sorted({str(n) for n, c in zip(table["node_id"], columns) if c < 0})
        outside = sorted(set(table["epoch"].tolist()) - {int(x) for x in features.epochs})
        if unknown or outside:
            raise FormulaError(f"YumaConsensus bond_resets names nodes {unknown[:5]} or epochs {outside[:5]} that are "
                               f"not in this history; give resets of its own nodes within its epochs.")
        out: dict = {}
        for epoch, column in zip(table["epoch"].tolist(), columns):
            out.setdefault(int(epoch), []).append(int(column))
        return out

    def _chain_epoch(self, stake, W, bonds):
        if self.mode == "exact" and not (np.floor(stake) == stake).all():
            raise FormulaError("YumaConsensus mode 'exact' needs validator_stake in whole base units (the chain's "
                               "u64 stake); scale it by the token's decimals first.")
        stake = stake.astype(np.int64) if self.mode == "exact" else stake
        out = yuma_chain_epoch(stake, weights_to_u16(W), bonds, variant=self.variant, mode=self.mode,
                               kappa=int(np.floor(self.kappa * U16_MAX)),
                               bonds_penalty=int(np.floor(self.bonds_penalty * U16_MAX)),
                               bonds_moving_average=int(round((1.0 - self.alpha) * 1e6)),
                               liquid_alpha=self.liquid_alpha, alpha_low=self.alpha_low, alpha_high=self.alpha_high)
        return {**out, "E_miner": out["E_server"]}

    def allocate(self, features):
        nodes, validators, owner, unplaced = self._run(features)
        emission = features.emission_tokens
        paid = nodes.sum(axis=1)
        unallocated = np.where(paid > 0, owner + validators.sum(axis=1) + unplaced, emission)
        return Allocation(nodes, unallocated, emission)

    def validator_rewards(self, features) -> pd.DataFrame:
        """Tokens each validator receives (dividends), epoch x validator."""
        _, validators, _, _ = self._run(features)
        return pd.DataFrame(validators, index=pd.Index(features.epochs, name="epoch"),
                            columns=self._validators.rename("validator"))

    def split(self, features) -> pd.DataFrame:
        """Per epoch: tokens to nodes (miners), validators, the subnet owner, and unplaced; rows sum to the emission."""
        nodes, validators, owner, unplaced = self._run(features)
        return pd.DataFrame({"nodes": nodes.sum(axis=1), "validators": validators.sum(axis=1), "owner": owner,
                             "unplaced": unplaced}, index=pd.Index(features.epochs, name="epoch"))


def _check_resets(table):
    """The bond-reset schedule as an (epoch, node_id) frame, or None."""
    if table is None:
        return None
    if not (isinstance(table, pd.DataFrame) and {"epoch", "node_id"} <= set(table.columns)):
        raise FormulaError("YumaConsensus bond_resets must be a DataFrame with columns epoch and node_id (one row per "
                           f"reset), got {type(table).__name__}.")
    epochs = pd.to_numeric(table["epoch"], errors="coerce")
    bad = table.index[~(np.isfinite(epochs) & (epochs == np.floor(epochs)))].tolist()
    if bad:
        raise FormulaError(f"YumaConsensus bond_resets epoch must hold whole epoch numbers; rows {bad[:5]} do not.")
    return pd.DataFrame({"epoch": epochs.astype(np.int64).to_numpy(), "node_id": table["node_id"].to_numpy()})
