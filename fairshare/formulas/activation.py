"""Ramped activation: move from today's ``Linear`` rule to a proposal in equal steps.

Filecoin's FIP-0081 activated its new pledge formula this way: the weight ``gamma`` of the old term
moves linearly from 1.0 on the activation date to 0.7 a year later, so that no operator faces the
whole change at once [sources: filecoin-fip-0081]. :func:`ramp` does the same for the weights of
two ``Linear`` rules: step ``s`` of ``n`` pays ``(1 - s / n) * w_current + (s / n) * w_proposed``.
Every step is itself a ``Linear`` rule (weights >= 0 summing to 1, a convex combination of two
such vectors), so it can be evaluated, optimised against and exported like any other;
:func:`ramp_rules` returns them.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from ..errors import ConfigError, FormulaError
from .rules import FloorPlusProportional, Linear

__all__ = ["ramp", "ramp_rules"]


def _weights(rule, which: str) -> dict:
    """The component weights of a rule with a Linear form; FormulaError for any other rule."""
    if isinstance(rule, FloorPlusProportional):
        rule = rule.as_linear()
    if not isinstance(rule, Linear):
        raise FormulaError(f"ramp needs two Linear rules (weights per component); the {which} rule is "
                           f"{type(rule).__name__}. Express it as fs.formulas.Linear({{component: weight}}) or ramp "
                           "between rules of the optimiser's family.")
    return dict(rule.weights)


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ConfigError(f"steps must be a whole number >= 1 (the number of equal moves from today's rule to the "
                          f"proposal), got {steps!r}.")
    return int(steps)


def ramp(current, proposed, steps: int) -> pd.DataFrame:
    """Weights of each step of a ramped activation from ``current`` to ``proposed``.

    Parameters
    ----------
    current : Linear or FloorPlusProportional
        Today's rule (step 0).
    proposed : Linear or FloorPlusProportional
        The proposal (step ``steps``).
    steps : int
        Number of equal moves; >= 1. The schedule has ``steps + 1`` rows.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``step`` (0 = today, ``steps`` = the proposal): ``fraction`` (share of the way,
        ``step / steps``), one column per component weight (the union of both rules' components,
        today's first; a component a rule does not name has weight 0 in it) and
        ``largest_change`` (the largest absolute weight change from the previous step; 0 at step 0).
        ``attrs["source"]`` cites the ramped activation.

    Raises
    ------
    FormulaError
        When either rule has no Linear form.
    ConfigError
        When ``steps`` is not a whole number >= 1.

    Notes
    -----
    ``w_s = (1 - s / n) * w_current + (s / n) * w_proposed`` for ``s = 0..n``, FIP-0081's linear ramp of
    ``gamma`` [sources: filecoin-fip-0081] applied to every weight at once. Step 0 equals today's weights
    and step ``n`` the proposal's, exactly.

    Examples
    --------
    >>> from fairshare.formulas import Linear, ramp
    >>> schedule = ramp(Linear({"stake": 0.5, "work": 0.5}), Linear({"work": 1.0}), 2)
    >>> schedule["stake"].tolist(), schedule["work"].tolist()
    ([0.5, 0.25, 0.0], [0.5, 0.75, 1.0])
    """
    a, b = _weights(current, "current"), _weights(proposed, "proposed")
    n = _check_steps(steps)
    names = list(dict.fromkeys([*a, *b]))
    wa = np.array([a.get(c, 0.0) for c in names], dtype=np.float64)
    wb = np.array([b.get(c, 0.0) for c in names], dtype=np.float64)
    fraction = np.arange(n + 1) / n
    weights = (1.0 - fraction)[:, None] * wa[None, :] + fraction[:, None] * wb[None, :]
    change = np.r_[0.0, np.abs(np.diff(weights, axis=0)).max(axis=1)]
    frame = pd.DataFrame(weights, columns=names, index=pd.RangeIndex(n + 1, name="step"))
    frame.insert(0, "fraction", fraction)
    frame["largest_change"] = change
    frame.attrs["source"] = ("ramped activation in equal steps, as Filecoin FIP-0081 moved gamma linearly from 1.0 to "
                             "0.7 over one year [sources: filecoin-fip-0081]")
    return frame


def ramp_rules(current, proposed, steps: int) -> list[Linear]:
    """The ``Linear`` rule of every step of :func:`ramp` (``steps + 1`` rules, today's first).

    Parameters
    ----------
    current : Linear or FloorPlusProportional
        Today's rule (step 0).
    proposed : Linear or FloorPlusProportional
        The proposal (the last step).
    steps : int
        Number of equal moves; >= 1.

    Returns
    -------
    list of Linear
        One rule per step; a component whose weight is 0 at a step is left out of that step's rule.

    Examples
    --------
    >>> from fairshare.formulas import Linear, ramp_rules
    >>> [r.weights for r in ramp_rules(Linear({"stake": 0.5, "work": 0.5}), Linear({"work": 1.0}), 2)]
    [{'stake': 0.5, 'work': 0.5}, {'stake': 0.25, 'work': 0.75}, {'work': 1.0}]
    """
    frame = ramp(current, proposed, steps)
    names = [c for c in frame.columns if c not in ("fraction", "largest_change")]
    return [Linear({c: float(row[c]) for c in names if row[c] > 0}) for _, row in frame.iterrows()]
