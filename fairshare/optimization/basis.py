"""What the optimiser knows about a network: operator rewards as linear maps of the weights.

A ``Linear`` rule with weights ``theta`` pays node ``n`` in epoch ``e``
``E_e * sum_c theta_c * share_c[e, n]`` (:mod:`fairshare.formulas.components`).
Summed over an operator's nodes and the window, operator ``k`` receives

``tokens[k] @ theta`` tokens, worth ``value_usd[k] @ theta`` USD,

with ``tokens[k, c] = sum_e E_e * share_c[e, k]`` and
``value_usd[k, c] = sum_e p_e * E_e * share_c[e, k]`` (price of the epoch earned).
A :class:`Basis` holds these ``(K, C)`` matrices for the operators present in
the window (active in at least one of its epochs), their costs (energy,
depreciation: :func:`fairshare.economics.node_costs`) and fee margins, and the
linear pieces the gaming constraints need. It is built once; every objective,
constraint, frontier point and diagnosis reads it.

Build it with :meth:`Basis.from_history` (or :meth:`Basis.from_features` with
costs) or, for synthetic instances, :meth:`Basis.from_arrays`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .._kernels.inequality import group_sums
from .._version import version
from ..data.history import History
from ..economics.costs import Costs, node_costs, operator_classes
from ..errors import ConfigError
from ..features import Features, aggregate
from ..formulas import COMPONENTS, component_shares
from ._basis_build import fake_demand, identity_tokens, window_features, window_mask

__all__ = ["Basis"]

@dataclass(frozen=True, eq=False)
class Basis:
    """Per-operator linear maps from weights to rewards over one window (see the module docstring).

    Shapes: ``K`` operators present in the window, ``C`` components, ``E``
    epochs of the window. Money in USD, rewards in tokens.

    Parameters
    ----------
    components : tuple of str, (C,)
        The components, in the order of the ``C`` axis.
    operator_ids : Index, (K,)
        The operators present in the window (any node active in it).
    classes : (K,) str
        ``"retail"`` or the operator's main tier (:func:`fairshare.economics.operator_classes`).
    active : (K,) bool
        Operators with work in the window (DESIGN.md's *active* operators).
    tokens, value_usd : (K, C)
        Window tokens and their USD value (history prices) per unit weight.
    emission_per_epoch, price_usd : (E,)
        Emission (tokens) and token price (USD) of each epoch of the window.
    unallocated : (C,)
        Tokens a unit weight leaves unpaid (epochs where the component is all zero).
    energy_usd, depreciation_usd, margin_usd, energy_kwh : (K,)
        Window costs; ``margin_usd`` is fees minus upstream cost.
    identity_tokens : (E, C)
        Tokens per unit weight that one more identity (node key) with work earns in each epoch:
        an equal share of ``identity_floor`` and, online all epoch, of ``availability``.
    fake_tokens : (E, C) or None, optional
        Extra tokens per unit weight, per epoch, that the fake demand ``fs.evaluate`` measures earns
        (the median working node buys ``fake_fraction`` more of its own work).
    fake_spend_usd : float, default nan
        What that fake demand costs, USD.
    epoch_tokens : (E, K, C) or None, optional
        Tokens per unit weight per epoch, for per-epoch coverage.
    epoch_energy_usd, epoch_depreciation_usd, epoch_margin_usd : (E, K) or None, optional
        The window costs and margin per epoch, for per-epoch coverage.
    history : History or None, optional
        The history the basis was built from (None when built from features or arrays).
    features : Features or None, optional
        The node-level features the basis was built from (None when built from arrays).
    epoch_mask : ndarray of bool or None, optional
        The window's epochs among the features' epochs.
    present_mask : ndarray of bool or None, optional
        The operators present in the window among all the features' operators.
    window : tuple, default ()
        ``(first, last)`` epoch labels of the window (``(0, 0)`` when built from arrays).
    provenance : dict, optional
        Version and source of the basis.
    """

    components: tuple
    operator_ids: pd.Index
    classes: np.ndarray
    active: np.ndarray
    tokens: np.ndarray
    value_usd: np.ndarray
    emission_per_epoch: np.ndarray
    price_usd: np.ndarray
    unallocated: np.ndarray
    energy_usd: np.ndarray
    depreciation_usd: np.ndarray
    margin_usd: np.ndarray
    energy_kwh: np.ndarray
    identity_tokens: np.ndarray
    fake_tokens: np.ndarray | None = None
    fake_spend_usd: float = float("nan")
    epoch_tokens: np.ndarray | None = None
    epoch_energy_usd: np.ndarray | None = None
    epoch_depreciation_usd: np.ndarray | None = None
    epoch_margin_usd: np.ndarray | None = None
    history: History | None = None
    features: Features | None = None
    epoch_mask: np.ndarray | None = None
    present_mask: np.ndarray | None = None
    window: tuple = ()
    provenance: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ sizes and views
    @property
    def n_operators(self) -> int:
        return self.tokens.shape[0]

    @property
    def emission_tokens(self) -> float:
        """Window emission (tokens)."""
        return float(self.emission_per_epoch.sum())

    @property
    def emission_value_usd(self) -> float:
        return float((self.emission_per_epoch * self.price_usd).sum())

    @property
    def mean_price_usd(self) -> float:
        """Emission-weighted mean token price: the flat price worth the same as the window's emission."""
        e = self.emission_tokens
        return self.emission_value_usd / e if e > 0 else float("nan")

    @property
    def shares(self) -> np.ndarray:
        """``(K, C)`` share of the window's emission per unit weight."""
        e = self.emission_tokens
        return self.tokens / e if e > 0 else np.zeros_like(self.tokens)

    def index(self, name: str) -> int:
        try:
            return self.components.index(name)
        except ValueError:
            raise ConfigError(f"component {name!r} is not in this problem's components: "
                              f"{', '.join(self.components)}.") from None

    def theta(self, weights) -> np.ndarray:
        """``(C,)`` weight vector of a dict, Series or ``Linear`` rule (components outside the basis must be 0)."""
        weights = getattr(weights, "weights", weights)
        if isinstance(weights, pd.Series):
            weights = weights.to_dict()
        if isinstance(weights, dict):
            extra = {c: w for c, w in weights.items() if c not in self.components and w != 0}
            if extra:
                raise ConfigError(f"weights on components outside the problem: {extra}; "
                                  f"its components are {', '.join(self.components)}.")
            return np.array([float(weights.get(c, 0.0)) for c in self.components])
        theta = np.asarray(weights, dtype=np.float64)
        if theta.shape != (len(self.components),):
            raise ConfigError(f"weights need {len(self.components)} entries ({', '.join(self.components)}).")
        return theta

    def value(self, price_usd: float | None = None) -> np.ndarray:
        """``(K, C)`` USD per unit weight: at history prices, or at a flat ``price_usd``."""
        return self.value_usd if price_usd is None else self.tokens * float(price_usd)

    def epoch_value(self, price_usd: float | None = None) -> np.ndarray:
        self._need_epochs()
        price = self.price_usd if price_usd is None else np.full(self.price_usd.shape, float(price_usd))
        return self.epoch_tokens * price[:, None, None]

    def cost(self, kind: str = "full", per_epoch: bool = False) -> np.ndarray:
        """Energy plus depreciation (``"full"``) or energy only (``"energy"``); ``(K,)`` or ``(E, K)``."""
        if kind not in ("full", "energy"):
            raise ConfigError(f"cost must be 'full' or 'energy', got {kind!r}.")
        if per_epoch:
            self._need_epochs()
            return self.epoch_energy_usd + (self.epoch_depreciation_usd if kind == "full" else 0.0)
        return self.energy_usd + (self.depreciation_usd if kind == "full" else 0.0)

    def margin(self, per_epoch: bool = False) -> np.ndarray:
        if per_epoch:
            self._need_epochs()
            return self.epoch_margin_usd
        return self.margin_usd

    def _need_epochs(self) -> None:
        if self.epoch_tokens is None:
            raise ConfigError("per-epoch quantities are not available in this basis (built from window arrays); "
                              "build it from a history or features for per-epoch coverage.")

    def select(self, who) -> np.ndarray:
        """``(K,)`` bool: operators named by ``who``.

        ``"active"`` (work in the window), ``"all"`` (present), ``"retail"``,
        ``"non_retail"`` (active, not retail), a class label (active operators of
        that class), a list of operator ids, or a boolean mask.
        """
        if isinstance(who, str):
            if who == "all":
                return np.ones(self.n_operators, dtype=bool)
            if who == "active":
                return self.active.copy()
            if who == "non_retail":
                return self.active & (self.classes != "retail")
            labels = set(self.classes.tolist())
            if who not in labels:
                raise ConfigError(f"who={who!r} names no operators; use 'active', 'all', 'non_retail', "
                                  f"a class ({', '.join(sorted(labels))}), operator ids or a mask.")
            return self.active & (self.classes == who)
        arr = np.asarray(who)
        if arr.dtype == bool:
            if arr.shape != (self.n_operators,):
                raise ConfigError(f"a mask for who= needs {self.n_operators} entries, got {arr.shape}.")
            return arr.copy()
        missing = [x for x in arr.tolist() if x not in self.operator_ids]
        if missing:
            raise ConfigError(f"who= names operators not present in the window: {missing[:5]}"
                              f"{' ...' if len(missing) > 5 else ''}.")
        return self.operator_ids.isin(arr.tolist())

    def with_costs(self, energy_usd=None, depreciation_usd=None, epoch_energy_usd=None,
                   epoch_depreciation_usd=None) -> "Basis":
        """The same basis with other costs (frontiers over electricity or depreciation life)."""
        change = {k: np.asarray(v, dtype=np.float64) for k, v in dict(
            energy_usd=energy_usd, depreciation_usd=depreciation_usd, epoch_energy_usd=epoch_energy_usd,
            epoch_depreciation_usd=epoch_depreciation_usd).items() if v is not None}
        return replace(self, **change)

    def recost(self, electricity_usd_per_kwh: float | None = None,
               depreciation_life_years: float | None = None) -> "Basis":
        """Costs re-priced with one tariff (USD/kWh) or one depreciation life (years) for every node.

        The cost model stays :func:`fairshare.economics.node_costs`: the history's
        node table is changed and the window's operator costs recomputed.
        """
        if self.history is None or self.features is None:
            raise ConfigError("re-pricing costs needs a basis built from a History (Basis.from_history).")
        values = dict(self.history.node_values)
        n = self.history.n_nodes
        changes = (("electricity_usd_per_kwh", electricity_usd_per_kwh, "electricity_usd_per_kwh", 1.0),
                   ("depreciation_life_years", depreciation_life_years, "lifetime_days", 365.0))
        for name, v, column, unit in changes:
            if v is None:
                continue
            if not (np.isfinite(v) and v > 0):
                raise ConfigError(f"{name} must be a finite number > 0, got {v!r}.")
            values[column] = np.full(n, float(v) * unit)
        repriced = replace(self.history, node_values=values)
        costs = node_costs(repriced, self.features, self.provenance.get("depreciation", "straight_line"))
        energy, dep = self._operator_costs(costs)
        # the re-priced history goes along: what attacks cost (their electricity) is derived from it too
        return replace(self, energy_usd=energy.sum(axis=0), depreciation_usd=dep.sum(axis=0),
                       epoch_energy_usd=energy, epoch_depreciation_usd=dep, history=repriced)

    def _operator_costs(self, costs: Costs) -> tuple[np.ndarray, np.ndarray]:
        f, sel, present = self.features, self.epoch_mask, self.present_mask
        n_ops = len(f.operator_ids)

        def ops(m):
            return group_sums(np.ascontiguousarray(m[sel]), f.entity_operator, n_ops)[:, present]

        return ops(costs.energy_usd), ops(costs.depreciation_usd)

    def scaled(self, price_multiplier: float = 1.0, emission_multiplier: float = 1.0) -> "Basis":
        """The same network at other prices or emission (a scenario)."""
        b, p = float(emission_multiplier), float(price_multiplier)
        if not (np.isfinite(b) and np.isfinite(p) and b > 0 and p > 0):
            raise ConfigError(f"multipliers must be finite and > 0, got price {p!r}, emission {b!r}.")
        return replace(self, tokens=self.tokens * b, value_usd=self.value_usd * b * p,
                       emission_per_epoch=self.emission_per_epoch * b, price_usd=self.price_usd * p,
                       unallocated=self.unallocated * b, identity_tokens=self.identity_tokens * b,
                       fake_tokens=None if self.fake_tokens is None else self.fake_tokens * b,
                       epoch_tokens=None if self.epoch_tokens is None else self.epoch_tokens * b)

    def epoch_prices(self, flat_price=False) -> np.ndarray:
        """``(E,)`` prices: the history's, or ones when a flat price (truthy ``flat_price``) is carried by the scale."""
        return np.ones_like(self.price_usd) if flat_price else self.price_usd

    def fingerprint(self) -> str:
        """SHA-256 of the arrays the optimiser reads (provenance)."""
        h = hashlib.sha256()
        for a in (self.tokens, self.value_usd, self.energy_usd, self.depreciation_usd, self.margin_usd,
                  self.emission_per_epoch, self.price_usd, self.identity_tokens):
            h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
        h.update("|".join(self.components).encode())
        return h.hexdigest()[:16]

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_history(cls, history: History, components=None, window="all", *, features: Features | None = None,
                     depreciation: str = "straight_line", max_retail_nodes: int = 3,
                     fake_fraction: float = 0.1) -> "Basis":
        """Build from a history (costs from :func:`fairshare.economics.node_costs`)."""
        f = aggregate(history) if features is None else features
        costs = node_costs(history, f, depreciation)
        classes = operator_classes(history, max_retail_nodes)
        return cls.from_features(f, costs, classes, components, window, history=history, fake_fraction=fake_fraction)

    @classmethod
    def from_features(cls, features: Features, costs: Costs, classes: pd.Series | None = None, components=None,
                      window="all", *, history: History | None = None, fake_fraction: float = 0.1,
                      epoch_seconds: float | None = None) -> "Basis":
        """Build from node-level features and their node-level costs."""
        f = features
        if f.level != "node" or costs.features.level != "node" or costs.energy_usd.shape != f.shape:
            raise ConfigError("the optimiser needs node-level features and their node-level costs: "
                              "fs.aggregate(history) and fs.economics.node_costs(history, features).")
        comps = tuple(COMPONENTS if components is None else components)
        unknown = [c for c in comps if c not in COMPONENTS]
        if unknown or not comps or len(set(comps)) != len(comps):
            raise ConfigError(f"components must be distinct names among {', '.join(COMPONENTS)}; got {list(comps)}.")
        sel = window_mask(f.epochs, window)
        fw = window_features(f, sel)
        emission, price = fw.emission_tokens, fw.token_price_usd
        n_ops = len(f.operator_ids)
        codes = f.entity_operator

        def ops(m):  # (R, N) -> (R, n_ops)
            return group_sums(np.ascontiguousarray(m, dtype=np.float64), codes, n_ops)

        present = ops(fw.active).sum(axis=0) > 0
        if not present.any():
            raise ConfigError(f"no operator is active in the window {window!r}.")
        shares, empty = component_shares(fw, comps)
        c, e, n = shares.shape
        node_tokens = shares * emission[None, :, None]
        epoch_tokens = ops(node_tokens.reshape(c * e, n))[:, present].reshape(c, e, -1).transpose(1, 2, 0)
        epoch_tokens = np.ascontiguousarray(epoch_tokens)  # (E, K, C)
        w_energy, w_dep = costs.energy_usd[sel], costs.depreciation_usd[sel]
        epoch_energy, epoch_dep = ops(w_energy)[:, present], ops(w_dep)[:, present]
        epoch_margin = ops(fw.fees_usd - fw.upstream_cost_usd)[:, present]
        ids = f.operator_ids[np.flatnonzero(present)]
        labels = (np.full(ids.size, "unclassified", dtype=object) if classes is None
                  else classes.reindex(ids).fillna("unclassified").to_numpy(dtype=object))
        if epoch_seconds is None:
            epoch_seconds = history.epoch_seconds if history is not None else 86_400.0
        fake = fake_demand(fw, comps, history, fake_fraction) if history is not None else (None, float("nan"))
        window_label = (int(fw.epochs[0]), int(fw.epochs[-1]))
        return cls(
            components=comps, operator_ids=ids, classes=labels,
            active=ops(fw.work_units).sum(axis=0)[present] > 0,
            tokens=epoch_tokens.sum(axis=0), value_usd=np.einsum("ekc,e->kc", epoch_tokens, price),
            emission_per_epoch=np.array(emission, dtype=np.float64), price_usd=np.array(price, dtype=np.float64),
            unallocated=(empty * emission[None, :]).sum(axis=1),
            energy_usd=epoch_energy.sum(axis=0), depreciation_usd=epoch_dep.sum(axis=0),
            margin_usd=epoch_margin.sum(axis=0), energy_kwh=ops(fw.energy_kwh).sum(axis=0)[present],
            identity_tokens=identity_tokens(fw, comps, float(epoch_seconds)),
            fake_tokens=fake[0], fake_spend_usd=fake[1],
            epoch_tokens=epoch_tokens, epoch_energy_usd=epoch_energy, epoch_depreciation_usd=epoch_dep,
            epoch_margin_usd=epoch_margin, history=history, features=f, epoch_mask=sel, present_mask=present,
            window=window_label,
            provenance={"fairshare_version": version, "source": repr(history) if history is not None else repr(f),
                        "window": window_label, "depreciation": costs.depreciation,
                        "fake_fraction": fake_fraction, **(history.provenance if history is not None else {})},
        )

    @classmethod
    def from_arrays(cls, tokens, *, components=None, value_usd=None, price_usd: float = 1.0, energy_usd=None,
                    depreciation_usd=None, margin_usd=None, classes=None, active=None, operator_ids=None,
                    emission_tokens: float | None = None, identity_tokens=None, fake_tokens=None,
                    fake_spend_usd: float = float("nan")) -> "Basis":
        """A one-epoch basis from window matrices (synthetic instances, tests, benchmarks).

        ``tokens`` is ``(K, C)``; each column should sum to ``emission_tokens``
        (default: the largest column sum), the rest being unallocated.
        """
        a = np.ascontiguousarray(np.asarray(tokens, dtype=np.float64))
        if a.ndim != 2 or a.size == 0 or not np.isfinite(a).all() or (a < 0).any():
            raise ConfigError("tokens must be a finite, non-negative (K, C) matrix.")
        k, c = a.shape
        comps = tuple(components) if components is not None else tuple(f"c{i}" for i in range(c))
        if len(comps) != c:
            raise ConfigError(f"{c} columns but {len(comps)} component names.")
        total = float(a.sum(axis=0).max()) if emission_tokens is None else float(emission_tokens)
        zeros = np.zeros(k)

        def vec(x, default):
            return default if x is None else np.broadcast_to(np.asarray(x, dtype=np.float64), (k,)).copy()

        value = a * float(price_usd) if value_usd is None else np.asarray(value_usd, dtype=np.float64)
        return cls(
            components=comps, operator_ids=pd.Index(operator_ids if operator_ids is not None else np.arange(k)),
            classes=np.asarray(classes if classes is not None else ["retail"] * k, dtype=object),
            active=vec(active, np.ones(k)).astype(bool), tokens=a, value_usd=value,
            emission_per_epoch=np.array([total]), price_usd=np.array([float(price_usd)]),
            unallocated=np.where(total - a.sum(axis=0) > 1e-9 * total, total - a.sum(axis=0), 0.0),
            energy_usd=vec(energy_usd, zeros), depreciation_usd=vec(depreciation_usd, zeros),
            margin_usd=vec(margin_usd, zeros), energy_kwh=zeros,
            identity_tokens=(np.zeros((1, c)) if identity_tokens is None
                             else np.atleast_2d(np.asarray(identity_tokens, dtype=np.float64))),
            fake_tokens=None if fake_tokens is None else np.atleast_2d(np.asarray(fake_tokens, dtype=np.float64)),
            fake_spend_usd=float(fake_spend_usd), window=(0, 0),
            provenance={"fairshare_version": version, "source": "arrays"},
        )
