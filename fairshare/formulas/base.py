"""The interface of reward rules: ``Formula``, ``ScoreFormula``, ``Allocation`` and the registry.

See :mod:`fairshare.formulas` for the contract every rule keeps. ``check_component`` and
``check_nonneg`` are the parameter checks rules and presets share.
"""

from __future__ import annotations

import abc
import dataclasses
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import ConfigError, FormulaError
from ..features import Features
from .components import COMPONENTS
from .payouts import to_base_units

__all__ = ["Allocation", "Formula", "ScoreFormula", "REGISTRY", "proportional", "check_component", "check_nonneg",
           "formula_from_spec"]

#: Every formula class by its ``name`` (filled as classes are defined).
REGISTRY: dict[str, type] = {}


@dataclass(frozen=True, eq=False)
class Allocation:
    """Tokens paid to each node in each epoch by one formula.

    ``rewards`` is ``(E, N)``; ``unallocated`` is ``(E,)``: emission the rule
    did not place (for example a component that is all zero in an epoch).

    Parameters
    ----------
    rewards : ndarray, shape (E, N)
        Tokens paid to each node in each epoch; finite and >= 0.
    unallocated : ndarray, shape (E,)
        Tokens of each epoch's emission the rule did not place.
    emission : ndarray, shape (E,)
        Each epoch's emission in tokens: ``rewards.sum(1) + unallocated == emission`` to rounding.
    """

    rewards: np.ndarray
    unallocated: np.ndarray
    emission: np.ndarray

    @property
    def allocated(self) -> np.ndarray:
        """``(E,)`` emission paid to nodes; a float residue below 1e-9 of the emission reads as zero."""
        paid = self.emission - self.unallocated
        return np.where((paid < 0) & (paid >= -1e-9 * self.emission), 0.0, paid)

    def base_units(self, decimals: int = 6) -> np.ndarray:
        """Integer payouts in base units (largest remainder) summing exactly to each epoch's allocated part."""
        return to_base_units(self.rewards, self.allocated, decimals)


class Formula(abc.ABC):
    """Base class of reward rules. Subclasses implement :meth:`allocate`.

    Subclasses are frozen dataclasses; set ``name`` (the registry key),
    ``monotone`` and :meth:`sybil`.
    """

    name: ClassVar[str] = ""
    monotone: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):
            REGISTRY[cls.name] = cls

    def __call__(self, features: Features) -> Allocation:
        if features.level != "node":
            raise FormulaError(f"{self!r} pays nodes: pass node-level features (fs.aggregate(history)), "
                               "and measure per operator afterwards.")
        alloc = self.allocate(features)
        if not (np.isfinite(alloc.rewards).all() and (alloc.rewards >= 0).all()):
            raise FormulaError(f"{self!r} produced negative or non-finite rewards.")
        return alloc

    @abc.abstractmethod
    def allocate(self, features: Features) -> Allocation:
        """Tokens for each node in each epoch, and what the rule could not place."""

    def sybil(self) -> str:
        """What splitting an identity into k equal ones does to its reward (see the module docstring)."""
        return "unknown"

    def merging(self) -> str:
        """What merging two identities into one does to their reward (see the module docstring)."""
        return {"neutral": "neutral", "rewarded": "penalised", "penalised": "rewarded"}.get(self.sybil(), "unknown")

    def describe(self) -> str:
        """One plain-language line for reports."""
        return repr(self)


class ScoreFormula(Formula):
    """A rule that pays each epoch's emission in proportion to a non-negative score.

    Subclasses implement :meth:`scores`. Only active nodes are eligible (a
    score of an inactive node counts as zero). Epochs where every eligible
    score is zero pay nothing and report the emission as unallocated.
    """

    @abc.abstractmethod
    def scores(self, features: Features) -> np.ndarray:
        """``(E, N)`` non-negative scores; each epoch's emission is paid in proportion to them."""

    def allocate(self, features: Features) -> Allocation:
        return proportional(self.scores(features) * (features.active > 0), features.emission_tokens)


def proportional(scores: np.ndarray, emission: np.ndarray) -> Allocation:
    """Pay ``emission[e]`` in proportion to ``scores[e]``; all-zero epochs are unallocated.

    Parameters
    ----------
    scores : ndarray, shape (E, N)
        Non-negative scores; ``scores[e]`` sets how epoch ``e``'s emission is split.
    emission : ndarray, shape (E,)
        Tokens to pay out in each epoch.
    """
    totals = scores.sum(axis=1)
    empty = totals <= 0
    rewards = np.zeros_like(scores)
    np.divide(scores * emission[:, None], totals[:, None], out=rewards, where=~empty[:, None])
    return Allocation(rewards, np.where(empty, emission, 0.0), emission)


def check_component(name: str, what: str) -> None:
    """:class:`FormulaError` unless ``name`` is one of :data:`COMPONENTS` (shared with the presets).

    Parameters
    ----------
    name : str
        Component name to check (e.g. ``"work"``, ``"stake"``, ``"identity_floor"``).
    what : str
        What is being checked, the start of the error message (e.g. ``"Proportional(on=...)"``).
    """
    if name not in COMPONENTS:
        raise FormulaError(f"{what}: unknown component {name!r}; the components are: {', '.join(COMPONENTS)}.")


def check_nonneg(value, what: str, upper: float | None = None) -> None:
    """:class:`FormulaError` unless ``value`` is a finite real number >= 0 (and <= ``upper``).

    Parameters
    ----------
    value : object
        Value to check; a Python or numpy int or float passes when finite and in range (``True`` and
        ``False`` count as 1 and 0), anything else raises.
    what : str
        What is being checked, the start of the error message (e.g. ``"Power exponent"``).
    upper : float, optional
        Inclusive upper bound; None for no upper bound.
    """
    ok = isinstance(value, (int, float, np.integer, np.floating)) and np.isfinite(value) and value >= 0
    if not (ok and (upper is None or value <= upper)):
        bound = f"in [0, {upper:g}]" if upper is not None else ">= 0"
        raise FormulaError(f"{what} must be a finite number {bound}, got {value!r}.")


#: The keys of a rule's table in a rules file.
SPEC_KEYS = ("name", "params")


def formula_from_spec(spec, where: str = "rule") -> Formula:
    """A registered formula from a plain mapping ``{"name": ..., "params": {...}}`` (a TOML rules table).

    Every key is checked before the rule is built: an unknown key of the table, an
    unknown rule name or an unknown parameter is a :class:`~fairshare.errors.ConfigError`
    naming ``where`` with the closest valid spelling (``param`` -> ``params``); a
    ``params`` that is not a table is one too. A parameter that takes a rule (``base`` of
    ``Capped`` and ``FloorPlusProportional``) takes a nested table of the same form::

        [rules.capped]
        name = "capped"
        params = { share_cap = 0.02, base = { name = "linear", params = { weights = { work = 0.5, stake = 0.5 } } } }

    The rule then checks its own values (a :class:`~fairshare.errors.FormulaError` for a
    string where a number goes, a negative weight, ...).

    Parameters
    ----------
    spec : mapping
        ``name`` (a key of :data:`REGISTRY`) and optional ``params`` (the rule's parameters by field name).
    where : str, default "rule"
        Where the table is, the start of every message (e.g. ``"rules.toml: [rules.capped]"``).

    Returns
    -------
    Formula
        The rule, built with the given parameters (its defaults for the others).
    """
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: a rule is a table with name and params (name = \"capped\", params = "
                          f"{{ share_cap = 0.02 }}), got {spec!r}.")
    _check_keys(spec, SPEC_KEYS, where, "key")
    name = spec.get("name")
    if name is None:
        raise ConfigError(f"{where}: needs a name (a rule of fairshare.formulas.REGISTRY, e.g. 'linear').")
    if not isinstance(name, str) or name not in REGISTRY:
        raise ConfigError(f"{where}: name {name!r} is not a rule of fairshare.formulas.REGISTRY"
                          f"{_suggest(name, REGISTRY)} (known: {', '.join(sorted(REGISTRY))}).")
    params = spec.get("params", {})
    if not isinstance(params, Mapping):
        raise ConfigError(f"{where}: params must be a table of the rule's parameters (params = {{ ... }}), got "
                          f"{params!r} (a {type(params).__name__}).")
    cls = REGISTRY[name]
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    _check_keys(params, tuple(fields), f"{where} params", f"parameter of {name!r}")
    values = {}
    for key, value in params.items():
        takes_rule = fields[key].type in ("Formula", Formula)
        if takes_rule and isinstance(value, Mapping):
            value = value.get("__formula__", value)  # also the tagged form saved results use
            value = formula_from_spec(value, f"{where} params.{key}")
        values[key] = value
    try:
        return cls(**values)
    except FormulaError as err:  # the rule's own check of a value: say where the value was given
        raise FormulaError(f"{where}: {err}") from None


def _check_keys(table: Mapping, allowed: tuple, where: str, what: str) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown {what} {key!r}{_suggest(key, allowed)}; allowed: "
                              f"{', '.join(allowed) or 'none'}.")


def _suggest(word, choices) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
