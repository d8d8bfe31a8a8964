"""Result objects of the optimiser: the rule, what it costs, who wins and loses, and why.

:class:`EmissionResult` carries the optimal weights as a ``formulas.Linear``
rule, its objective next to the status quo and the per-operator oracle (the
price of simplicity), each constraint's binding status and plain-language
shadow price, the budget and price sensitivities, winners and losers against
the status quo, what full coverage of every active operator would need, and
provenance. The evaluation scoreboard row of the rule is attached by the
caller (the optimiser does not import the evaluation engine, DESIGN.md
"Layers"): pass ``evaluator=fs.evaluate`` to ``fs.optimize``, or call
:meth:`EmissionResult.with_scoreboard`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..formulas import Linear

__all__ = ["EmissionResult", "clean_weights"]


def clean_weights(theta: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Solver weights made a rule: negatives and values below ``tol`` to 0, then summing to exactly 1.

    Parameters
    ----------
    theta : array_like, shape (C,)
        Weights as the solver returned them.
    tol : float, default 1e-9
        Weights at or below this are set to 0.
    """
    w = np.where(np.asarray(theta, dtype=np.float64) > tol, theta, 0.0)
    total = w.sum()
    if total <= 0:
        raise ValueError("no positive weight to normalise")
    return w / total


@dataclass(frozen=True, eq=False)
class EmissionResult:
    """What :func:`fairshare.optimization.optimize` found (see the module docstring).

    Parameters
    ----------
    weights : pandas.Series
        Weight per component (all components of the problem; zeros included).
    formula : formulas.Linear
        The same weights as a rule a protocol can adopt.
    objective_name : str
        The objective, described (for example ``"hhi"``).
    objective : float
        The objective at the weights (the largest over scenarios when there are several).
    objective_terms : dict
        Each term's value at the weights, by name.
    status_quo : formulas.Linear
        The baseline rule.
    status_quo_objective : float
        The objective at the status-quo weights.
    status_quo_feasible : bool
        Whether the status quo meets every hard constraint.
    constraints : pandas.DataFrame
        One row per constraint: binding, slack, rows, and a plain-language reading of its shadow price.
    sensitivities : dict
        ``per_token_per_epoch``: change of the objective per extra token of emission per epoch;
        ``per_price_cent``: per $0.01 of (flat-equivalent) token price.
    operators : pandas.DataFrame
        Per operator: class, window tokens under the status quo and the rule, change in percent,
        earned value, cost and coverage ratios.
    full_coverage : dict
        Budget and price that covering every active operator's full cost would need (rule family and oracle).
    oracle : dict
        The oracle's objective under the hard floors and caps and the price of simplicity (empty when
        not computed; a ``note`` where the comparison does not apply).
    solver : dict
        Solver name, status, compile, solve and wall seconds, Gini cut rounds and gap; ``optimum_spread``
        (the largest weight change the second stage made: above 1e-4 several weight vectors reach
        the optimum and the one closest to the status quo is returned; NaN for Gini objectives) and
        ``several_optima``.
    provenance : dict
        Version, input hash, objective, constraints, components, window, budget, flat price, status quo
        and scenarios.
    scenarios : dict, optional
        Objective per scenario at the weights (empty without scenarios).
    scoreboard : pandas.DataFrame or None, optional
        Evaluation scoreboard rows of the status quo and the rule (from an evaluator).
    frontier : Frontier or None, optional
        A sweep attached with :meth:`with_frontier` (reports plot it).
    basis : Basis or None, optional
        The basis the problem was built on (used by :meth:`transition`).
    """

    weights: pd.Series
    formula: Linear
    objective_name: str
    objective: float
    objective_terms: dict
    status_quo: Linear
    status_quo_objective: float
    status_quo_feasible: bool
    constraints: pd.DataFrame
    sensitivities: dict
    operators: pd.DataFrame
    full_coverage: dict
    oracle: dict
    solver: dict
    provenance: dict
    scenarios: dict = field(default_factory=dict)
    scoreboard: pd.DataFrame | None = None
    frontier: object = None
    basis: object = None

    # ------------------------------------------------------------------ views
    def rules(self) -> dict:
        """``{"status_quo": ..., "optimum": ...}``, ready for ``fs.evaluate``."""
        return {"status_quo": self.status_quo, "optimum": self.formula}

    def with_scoreboard(self, evaluation_or_evaluator, history=None) -> "EmissionResult":
        """Attach scoreboard rows: pass an ``Evaluation`` of :meth:`rules`, or an evaluator and the history."""
        ev = evaluation_or_evaluator
        if callable(ev) and not hasattr(ev, "scoreboard"):
            if history is None:
                raise ValueError("an evaluator needs the history: with_scoreboard(fs.evaluate, history)")
            ev = ev(history, self.rules())
        return replace(self, scoreboard=ev.scoreboard)

    def with_frontier(self, frontier) -> "EmissionResult":
        """The same result with a :class:`~fairshare.optimization.sweeps.Frontier` attached."""
        return replace(self, frontier=frontier)

    def to_frame(self) -> pd.DataFrame:
        """Per-operator winners and losers (same as :attr:`operators`)."""
        return self.operators

    @property
    def winners(self) -> pd.DataFrame:
        return self.operators[self.operators["change_pct"] > 0].sort_values("change_pct", ascending=False)

    @property
    def losers(self) -> pd.DataFrame:
        return self.operators[self.operators["change_pct"] < 0].sort_values("change_pct")

    @property
    def binding(self) -> pd.DataFrame:
        return self.constraints[self.constraints["binding"]]

    def transition(self, epochs: int, max_loss_pct: float):
        """A phased path from the status quo to this rule (:func:`fairshare.optimization.paths.transition`)."""
        from .paths import transition

        return transition(self.basis, self.status_quo, self.formula, epochs=epochs, max_loss_pct=max_loss_pct)

    def summary(self) -> str:
        """A few plain-language lines for a governance note."""
        name = self.objective_name
        lines = [f"Rule: {self.formula.describe()}.",
                 f"{name}: {self.objective:.4g} (status quo {self.status_quo_objective:.4g}"
                 f"{'' if self.status_quo_feasible else ', which breaks the constraints'}; "
                 f"oracle {self.oracle.get('objective', float('nan')):.4g}, any payment vector)."]
        per_token = self.sensitivities.get("per_token_per_epoch", float("nan"))
        if np.isfinite(per_token) and per_token != 0:
            lines.append(f"One more token of emission per epoch {'lowers' if per_token < 0 else 'raises'} {name} by "
                         f"{abs(per_token):.3g}; $0.01 more token price "
                         f"{'lowers' if self.sensitivities['per_price_cent'] < 0 else 'raises'} it by "
                         f"{abs(self.sensitivities['per_price_cent']):.3g}.")
        several = self.solver.get("several_optima")
        if several:
            lines.append(f"Several weight vectors reach this optimum (they differ by up to "
                         f"{self.solver['optimum_spread']:.3g} in a weight); this is the one closest to the "
                         "status quo.")
        elif several is None:
            lines.append("Whether other weights reach the same optimum was not checked (Gini objectives).")
        for _, row in self.binding.iterrows():
            lines.append(f"Binding: {row['constraint']}: {row['reading']}")
        ops = self.operators
        lines.append(f"{int((ops['change_pct'] > 0).sum())} operators gain and {int((ops['change_pct'] < 0).sum())} "
                     f"lose against the status quo; largest loss {-ops['change_pct'].min():.1f}%.")
        fc = self.full_coverage
        lines.append(f"Covering every active operator's full cost would need {fc['rule_budget_tokens_per_epoch']:,.0f} "
                     f"tokens per epoch with a rule of this family (a flat price of "
                     f"${fc['rule_flat_price_usd']:.4g}); any payment vector: "
                     f"{fc['oracle_budget_tokens_per_epoch']:,.0f} (${fc['oracle_flat_price_usd']:.4g}).")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"EmissionResult({self.formula.describe()}; {self.objective_name}={self.objective:.4g})"
