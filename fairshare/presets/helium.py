"""Helium-style density scaling (HIP-17): rewards scaled down where many nodes crowd one region.

Source: helium/HIP ``0017-hex-density-based-transmit-reward-scaling.md``.
Per region ("hex") at each level of a hierarchy, finest first: the
*unclipped* density is the number of counted nodes (finest level) or the sum
of the children's clipped densities (coarser levels); the *limit* is
``min(density_max, density_tgt * max(1, n - N + 1))`` where ``n`` counts the
region's siblings (regions under the same parent, itself included) whose
density is at least ``density_tgt``; the *clipped* density is
``min(limit, unclipped)``. A node's scale is the product over levels of
clipped / unclipped for the regions containing it. HIP-17's example values:
``N = 2``, ``density_tgt = 1``, ``density_max = 4``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from ..errors import FormulaError
from ..formulas import PER_IDENTITY, Formula, component, proportional
from ._inputs import as_series, check_component, node_codes

__all__ = ["HeliumDensity", "density_limit", "density_scale"]


def density_limit(n_occupied, density_tgt: float = 1.0, density_max: float = 4.0, n_siblings: int = 2):
    """HIP-17 hex density limit ``min(density_max, density_tgt * max(1, n - N + 1))``.

    Parameters
    ----------
    n_occupied : array_like
        ``n``: sibling regions (itself included) whose density is at least ``density_tgt``.
    density_tgt : float, default 1.0
        Target density.
    density_max : float, default 4.0
        Largest limit.
    n_siblings : int, default 2
        ``N``: occupied siblings a region is allowed before its limit grows.
    """
    n = np.asarray(n_occupied, dtype=np.float64)
    return np.minimum(density_max, density_tgt * np.maximum(1.0, n - n_siblings + 1.0))


def density_scale(codes: list, parents: list, counted: np.ndarray, tgt, mx, siblings) -> np.ndarray:
    """Per node, the product over levels of clipped / unclipped region density (HIP-17).

    Parameters
    ----------
    codes : per level (finest first), ``(K,)`` region code of each node (-1: none).
    parents : per level, ``(R_l,)`` code of each region's parent at the next
        level (the coarsest level's regions share one virtual root).
    counted : ``(K,)`` bool, the nodes that count toward density.
    tgt, mx, siblings : per level, ``density_tgt``, ``density_max`` and ``N``.
    """
    counted = counted & (codes[0] >= 0)
    unclipped = np.bincount(codes[0][counted], minlength=parents[0].size).astype(np.float64)
    scale = np.ones(counted.size)
    for level, parent in enumerate(parents):
        occupied = (unclipped >= tgt[level]).astype(np.float64)
        n = np.bincount(parent, weights=occupied, minlength=int(parent.max(initial=-1)) + 1)[parent]
        clipped = np.minimum(density_limit(n, tgt[level], mx[level], siblings[level]), unclipped)
        ratio = np.divide(clipped, unclipped, out=np.ones_like(unclipped), where=unclipped > 0)
        here = codes[level] >= 0
        scale[here] *= ratio[codes[level][here]]
        if level + 1 < len(parents):
            unclipped = np.bincount(parent, weights=clipped, minlength=parents[level + 1].size)
    return np.where(counted, scale, 0.0)


def _per_level(value, levels: int, what: str, integer: bool = False) -> tuple:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * levels
    if len(values) != levels:
        raise FormulaError(f"HeliumDensity {what}: give one value or one per level ({levels}), got {len(values)}.")
    for v in values:
        ok = isinstance(v, (int, float, np.integer, np.floating)) and np.isfinite(v) and v >= 0
        if not ok or (integer and int(v) != v):
            kind = "whole numbers" if integer else "finite numbers"
            raise FormulaError(f"HeliumDensity {what} must be {kind} >= 0, got {value!r}.")
    return tuple(float(v) for v in values)


@dataclass(frozen=True, eq=False)
class HeliumDensity(Formula):
    """Emission in proportion to ``on`` times each node's HIP-17 density scale.

    Parameters
    ----------
    regions : Series node_id -> region, or DataFrame indexed by node_id with
        one column per level, finest first (e.g. ``city, country``; each finer
        region must sit in one coarser region). Features carry no region, so
        it is an input: ``history.nodes.set_index("node_id")["region"]``.
        Nodes missing from it are ineligible (no reward).
    on : component scaled (default ``work``).
    density_tgt, density_max, n_siblings : HIP-17's ``Density_tgt``,
        ``Density_max`` and ``N``; one value, or one per level.

    Notes
    -----
    Nodes count toward density in an epoch when they are active with a
    positive ``on`` score (HIP-17 counts "interactive" hotspots only).
    Siblings are the regions under the same parent; the coarsest level's
    regions are siblings of each other (HIP-17 on H3 uses the 7 hexes of a
    parent, our regions have no geometry). Sybil: penalised when every
    ``density_tgt <= 1`` (an occupied region is always at target, so a split
    only raises its own density); unknown otherwise (a split can lift a
    region to target and raise its siblings' limits) or when ``on`` is paid
    per identity. This holds whether a new identity inherits its parent's
    region or, as in ``fs.evaluate``'s replays (new node ids absent from
    ``regions``), earns nothing. Merging is unknown: a merged identity
    registered in the region lowers its density and gains, an unregistered
    one earns nothing. Monotone: more work never changes who counts, so it
    never lowers a node's reward.

    Examples
    --------
    >>> import fairshare as fs
    >>> h = fs.datasets.open_inference_network(seed=0, scale="small")
    >>> regions = h.nodes.set_index("node_id")["region"]
    >>> rule = fs.presets.HeliumDensity(regions, density_tgt=1, density_max=4, n_siblings=2)
    >>> f = fs.aggregate(h)
    >>> rule(f).rewards.shape, bool((rule.scale(f) <= 1).all())
    ((30, 80), True)
    """

    regions: object = field(repr=False)
    on: str = "work"
    density_tgt: object = 1.0
    density_max: object = 4.0
    n_siblings: object = 2
    name: ClassVar[str] = "helium_density"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        check_component(self.on, "HeliumDensity(on=...)")
        frame = self.regions
        if isinstance(frame, pd.DataFrame):
            if frame.shape[1] == 0 or not frame.index.is_unique or frame.isna().any().any():
                raise FormulaError("HeliumDensity regions: a DataFrame needs unique node ids, at least one level "
                                   "column and no missing labels.")
            columns = [frame[c] for c in frame.columns]
        else:
            columns = [as_series(frame, "HeliumDensity regions", numeric=False)]
        levels = len(columns)
        tgt = _per_level(self.density_tgt, levels, "density_tgt")
        mx = _per_level(self.density_max, levels, "density_max")
        sib = _per_level(self.n_siblings, levels, "n_siblings", integer=True)
        if any(t <= 0 or m < t for t, m in zip(tgt, mx)):
            raise FormulaError(f"HeliumDensity needs 0 < density_tgt <= density_max at every level; got "
                               f"density_tgt={self.density_tgt!r}, density_max={self.density_max!r}.")
        codes = [pd.Index(pd.unique(col.to_numpy())).get_indexer(col.to_numpy()) for col in columns]
        parents = []
        for level in range(levels):
            if level + 1 == levels:
                parents.append(np.zeros(codes[level].max(initial=-1) + 1, dtype=np.int64))
                continue
            pairs = pd.DataFrame({"child": codes[level], "parent": codes[level + 1]}).drop_duplicates()
            if pairs.child.duplicated().any():
                child = columns[level].to_numpy()[pairs.child.duplicated(keep=False).to_numpy().nonzero()[0][0]]
                raise FormulaError(f"HeliumDensity regions: region {child!r} at level {level} lies in more than "
                                   "one region of the next level; each region needs one parent.")
            parent = np.zeros(codes[level].max(initial=-1) + 1, dtype=np.int64)
            parent[pairs.child.to_numpy()] = pairs.parent.to_numpy()
            parents.append(parent)
        object.__setattr__(self, "_index", columns[0].index)
        object.__setattr__(self, "_codes", codes)
        object.__setattr__(self, "_parents", parents)
        object.__setattr__(self, "_params", (tgt, mx, sib))

    def sybil(self):
        if self.on in PER_IDENTITY:
            return "unknown"
        return "penalised" if all(t <= 1 for t in self._params[0]) else "unknown"

    def merging(self):
        return "unknown"

    def describe(self):
        return f"{self.on} scaled by HIP-17 region density (target {self.density_tgt}, max {self.density_max})"

    def scale(self, features) -> np.ndarray:
        """``(E, K)`` density scale of each node in each epoch (0 where it does not count)."""
        return self._scale(features, self._score(features))

    def _score(self, features) -> np.ndarray:
        return component(features, self.on) * (features.active > 0)

    def _scale(self, features, score) -> np.ndarray:
        at = node_codes(self._index, features.entity_ids, "HeliumDensity regions")
        codes = [np.where(at >= 0, c[np.maximum(at, 0)], -1) for c in self._codes]
        tgt, mx, sib = self._params
        return np.stack([density_scale(codes, self._parents, score[e] > 0, tgt, mx, sib)
                         for e in range(score.shape[0])]) if score.shape[0] else np.zeros(score.shape)

    def allocate(self, features):
        score = self._score(features)
        return proportional(score * self._scale(features, score), features.emission_tokens)
