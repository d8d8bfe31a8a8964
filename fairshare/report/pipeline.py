"""The appendix's computations: the proposal (or its labelled fallback), the A/B runs and the tables beside them.

Public through :mod:`fairshare.report`. ``fairshare demo`` calls these functions and saves what they
return under ``results/`` (an :class:`~fairshare.results_io.TableSet` named ``appendix`` beside the
evaluation, optimisation and simulation), so that ``fairshare report --results DIR`` rebuilds the same
appendix without computing anything again.

Computational budget (stated in the appendix): the main A/B runs the demo's runs (20) over the
history's horizon; the depth x entrant-pool grid and the scenario triplet run :data:`GRID_RUNS` runs
of at most :data:`GRID_EPOCHS` epochs per cell, on the same seed (common random numbers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import errors

__all__ = ["FALLBACK_NAME", "IDENTITY_COSTS", "ROUTING_ARM", "ROUTING_ARMS", "GRID_DEPTHS_USD", "GRID_CLONES",
           "GRID_RUNS", "GRID_EPOCHS", "RAMP_STEPS", "fallback_rule", "fallback_status_quo", "routing_variant",
           "routing_arms", "simulate_forward", "optimise_weights", "appendix_tables", "ledger_convergence",
           "load_saved", "saved_convergence", "SAVED"]

#: Where no rule meets the default problem, the report's stand-in for the proposal: proportional to work, the one
#: rule that is split- and merge-proof with anonymous keys (Leshno and Strack 2020); labelled, never presented as
#: the optimiser's answer.
FALLBACK_NAME = "fallback_proportional_to_work"

#: Identity costs (USD per key per epoch) the demo sweeps when the default problem can be had.
IDENTITY_COSTS = (0.0, 0.01, 0.1, 1.0, 10.0)

#: The demo's routing-policy arm: the status quo's emission with every unit placed by the capacity
#: lottery and no reputation floor (``simulation.Demand(random_share=1.0, min_tier="poor")``).
ROUTING_ARM = "status_quo_open_routing"

#: Every routing-policy arm of the appendix's A/B, by name: the Demand settings that change (the
#: emission stays the status quo's).
ROUTING_ARMS = {ROUTING_ARM: {"random_share": 1.0, "min_tier": "poor"},
                "status_quo_uniform_routing": {"routing": "uniform"}}

#: Market depths of the A/B grid, USD: no price impact (the price an input), and the OPG pool's depth
#: ([sources: opg-market], ``simulation.Price.depth_usd``).
GRID_DEPTHS_USD = (None, 0.8e6)
#: Entrant pools of the A/B grid: no entrants, and five clones of every entry candidate (``Churn(clones=5)``,
#: the pessimistic stress case's pool).
GRID_CLONES = (0, 5)
#: Runs and horizon (epochs, at most) of each grid cell and of each stress case.
GRID_RUNS = 8
GRID_EPOCHS = 180
#: Steps of the ramp from today's rule to the proposal (or fallback).
RAMP_STEPS = 4
#: The token prices (USD) and busy shares of online time of the retail coverage surface.
SURFACE_PRICES = (0.05, 0.1, 0.16, 0.25, 0.4, 0.6)
SURFACE_UTILISATIONS = (0.05, 0.1, 0.2, 0.35, 0.5, 0.75)
#: Measures the grid, the routing comparison and the stress triplet report.
AB_MEASURES = ("retail_survival", "retail_share", "retail_coverage", "reward_hhi", "reward_gini", "operators",
               "entries", "price_usd", "capital_share")


def fallback_rule():
    """The labelled fallback: ``Linear({"work": 1.0})`` (see :data:`FALLBACK_NAME`)."""
    from ..formulas import Linear

    return Linear({"work": 1.0})


def fallback_status_quo():
    """The simulation's status quo, ``Linear({"stake": 0.5, "work": 0.5})``, when the rules name none."""
    from ..simulation import STATUS_QUO

    return STATUS_QUO


def routing_variant(rule, **changes):
    """``rule`` under a changed routing policy (a ``simulation.Variant``); by default that of :data:`ROUTING_ARM`.

    Parameters
    ----------
    rule : Formula
        The emission rule kept under the changed routing.
    **changes
        ``simulation.Demand`` fields to change (default: ``random_share=1.0, min_tier="poor"``).
    """
    from dataclasses import replace

    from ..simulation import Demand, Variant

    return Variant(rule, demand=replace(Demand(), **(changes or ROUTING_ARMS[ROUTING_ARM])))


def routing_arms(rule) -> dict:
    """Every arm of :data:`ROUTING_ARMS` with ``rule``'s emission, by name.

    Parameters
    ----------
    rule : Formula
        The emission rule kept under each routing policy.
    """
    return {name: routing_variant(rule, **changes) for name, changes in ROUTING_ARMS.items()}


def simulate_forward(history, rules, runs: int, client=None, settings=None, epochs: int | None = None):
    """``(result, None)``: ``runs`` runs (seed 0) of the history's network under ``rules``.

    Parameters
    ----------
    history : History
        The history whose network is simulated (``Scenario.from_history``).
    rules : dict or Formula
        Rules (or ``Variant`` arms) by name, an A/B on common random numbers, the first the base; or one rule.
    runs : int
        Simulation runs.
    client : dask.distributed.Client, optional
        Spreads the runs over a cluster.
    settings : dict, optional
        Scenario settings (``Scenario.from_history``'s keyword arguments).
    epochs : int, optional
        Horizon (default: the scenario's).

    Returns
    -------
    tuple
        The ``SimulationResult`` and None (kept for callers that read a note). A configuration error
        propagates.
    """
    from ..simulation.engine import Scenario, simulate

    scenario = Scenario.from_history(history, **(settings or {}))
    if not isinstance(rules, dict):
        return simulate(scenario, rules, runs=runs, seed=0, client=client, epochs=epochs), None
    return simulate(scenario, rules=rules, runs=runs, seed=0, client=client, epochs=epochs), None


def optimise_weights(history, price: float | None = None, client=None, costs=None, budget: float | None = None,
                     price_band="default"):
    """The default problem at the history's prices (or a flat ``price``), with its sweeps.

    Parameters
    ----------
    history : History
        The history the problem is built on.
    price : float, optional
        A flat token price, USD, in every epoch instead of the history's.
    client : dask.distributed.Client, optional
        Spreads the frontiers' points over a cluster.
    costs : AttackCosts, optional
        What attacks cost (identity cost, take rate, ...).
    budget : float, optional
        Emission to design for, tokens per epoch.
    price_band : "default" or None
        Hold the constraints at 0.5x and 2x the prices too, or at the prices only.

    Returns
    -------
    tuple
        The result (with its price frontier), the notes, frontiers over the budget (0.5x to 3x the
        emission), over the cited ranges of electricity tariff and depreciation life and over the
        identity cost, and None. When no rule of the family meets the default problem: None, the
        notes with the diagnosis, None, and the table of constraints dropped in turn
        (``InfeasibleError.relaxations``); nothing is re-solved at another price.
    """
    from dataclasses import replace

    from ..optimization import frontier, optimize

    if price is not None:
        if not (np.isfinite(price) and price > 0):
            raise errors.ConfigError(f"--price must be a finite token price in USD > 0, got {price!r}.")
        history = replace(history, token_price_usd=np.full(history.n_epochs, float(price)))
    options = dict(attack_costs=costs, budget=budget, price_band=price_band if price is None else None)
    try:
        result = optimize(history, **options)
    except errors.InfeasibleError as err:
        basis = "a flat price of $%g" % price if price is not None else "the history's token prices"
        notes = [f"At {basis} no rule of the family meets the default problem: {err} The table of constraints "
                 "dropped in turn (Sensitivity) gives the budgets at which the others hold. The report shows the "
                 f"labelled fallback {FALLBACK_NAME!r} ({fallback_rule().describe()}) wherever a proposal is needed; "
                 "it is not attack-proof (see its attack columns)."]
        return None, notes, None, getattr(err, "relaxations", None)
    flat = {**options, "price_band": None}  # a flat-price sweep holds at its own prices
    sweep = frontier(history, over="price", values=np.round(np.linspace(0.05, 0.50, 10), 2), client=client, **flat)
    center = float(budget) if budget is not None else float(history.emission_tokens.mean())
    budgets = np.linspace(0.5, 3.0, 6) * center
    sweeps = {"budget": frontier(history, over="budget", values=budgets, client=client, **options),
              **{knob: frontier(history, over=knob, client=client, **options)
                 for knob in ("electricity_usd_per_kwh", "depreciation_life_years")},
              "identity_cost_usd": frontier(history, over="identity_cost_usd", values=IDENTITY_COSTS, client=client,
                                            **options)}
    return result.with_frontier(sweep), [], sweeps, None


def ledger_convergence(ledger, labels=None, *, seed: int = 0, resamples: int = 999) -> dict:
    """The convergence verdict of a payout ledger, as the appendix's question section shows it.

    Parameters
    ----------
    ledger : fairshare.Ledger
        The payout ledger (real or synthetic: its ``meta`` says which).
    labels : pandas.DataFrame, optional
        ``address, entity[, class]`` labels (default: key level).
    seed, resamples : int
        The trend's bootstrap.

    Returns
    -------
    dict
        ``tables`` (``convergence_series``, ``convergence_trends``) and ``meta`` (``convergence``: the
        verdict's numbers, the ledger's description and whether it is synthetic).
    """
    from ..trend.section import convergence_section

    panel = ledger.panel(labels=labels)
    section = convergence_section(panel, seed=seed, resamples=resamples)
    series = section.tables["series"]
    trends = section.tables["trends"]
    numbers = dict(section.numbers)
    numbers["described"] = panel.describe()
    numbers["synthetic"] = bool(ledger.meta.get("synthetic", False))
    numbers["network"] = str(ledger.meta.get("network", "unspecified"))
    return {"tables": {"convergence_series": series, "convergence_trends": _plain(trends)},
            "meta": {"convergence": numbers}}


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A table with every object column as text (so that it saves to Parquet with one type per column)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: v if isinstance(v, str) or v is None or v != v else str(v))
    return out


def appendix_tables(history, evaluation, *, proposal, label: str, status_quo, scenario_settings=None) -> dict:
    """The tables the appendix shows beside the evaluation and the main A/B: computed once, saved, reloaded.

    Parameters
    ----------
    history : History
        The history.
    evaluation : Evaluation
        The scoreboard (its rules include ``status_quo`` and ``label``).
    proposal : Formula
        The proposal, or the labelled fallback.
    label : str
        Its name (``"proposal"`` or :data:`FALLBACK_NAME`).
    status_quo : Formula
        Today's rule.
    scenario_settings : dict, optional
        Scenario settings of the simulations.

    Returns
    -------
    dict
        ``tables`` by name (``ab_grid``, ``stress_drivers``, ``stress``, ``worked_examples``,
        ``coverage_surface``, ``ramp``, ``validation``) and ``meta`` (the settings of each computation).
    """
    from ..evaluation import coverage_surface, worked_examples
    from ..formulas import ramp
    from ..presets import validation_table
    from ..simulation import Scenario, difference_grid, simulate, stress_scenarios

    scenario = Scenario.from_history(history, **(scenario_settings or {}))
    epochs = min(GRID_EPOCHS, history.n_epochs)
    pair = {"status_quo": status_quo, label: proposal}
    grid = difference_grid(scenario, pair, label, "status_quo", depth_usd=GRID_DEPTHS_USD, clones=GRID_CLONES,
                           measures=list(AB_MEASURES), epochs=epochs, runs=GRID_RUNS, seed=0)
    cases, drivers = stress_scenarios(scenario)
    stress = []
    for case, cell in cases.items():
        sim = simulate(cell, rules=pair, epochs=epochs, runs=GRID_RUNS, seed=0)
        stress.append(sim.difference(label, "status_quo", list(AB_MEASURES)).assign(case=case))
    stress = pd.concat(stress).reset_index().set_index(["case", "measure"])
    tables = {"ab_grid": grid.reset_index(), "stress_drivers": drivers, "stress": stress.reset_index(),
              "worked_examples": worked_examples(history, {"status_quo": status_quo, label: proposal}),
              "coverage_surface": coverage_surface(history, proposal, prices=SURFACE_PRICES,
                                                   utilisations=SURFACE_UTILISATIONS),
              "validation": validation_table()}
    try:
        tables["ramp"] = ramp(status_quo, proposal, RAMP_STEPS)
    except errors.FormulaError as err:  # a rule without a Linear form: the section says why
        ramp_note = str(err)
    else:
        ramp_note = None
    meta = {"grid": {"runs": GRID_RUNS, "epochs": epochs, "seed": 0,
                     "depths_usd": list(GRID_DEPTHS_USD), "clones": list(GRID_CLONES),  # None: no price impact
                     "statement": grid.attrs.get("statement", "")},
            "stress": {"runs": GRID_RUNS, "epochs": epochs, "statement": drivers.attrs.get("statement", "")},
            "surface": {"prices": list(SURFACE_PRICES), "utilisations": list(SURFACE_UTILISATIONS)},
            "ramp_steps": RAMP_STEPS, "ramp_note": ramp_note}
    return {"tables": {k: _plain(v) if isinstance(v, pd.DataFrame) else v for k, v in tables.items()},
            "meta": meta}


#: The result directories a report saves under ``results/``, in the order they are loaded.
SAVED = ("evaluation", "optimization", "simulation", "appendix")


def load_saved(directory) -> dict:
    """The results a report saved: ``results/`` (or its ``evaluation`` directory, as older reports were named).

    Parameters
    ----------
    directory : str or pathlib.Path
        A report's ``results/`` directory, or one saved evaluation (its siblings are loaded too).

    Returns
    -------
    dict
        ``evaluation`` and whichever of ``optimization``, ``simulation``, ``appendix`` were saved.

    Raises
    ------
    DataError
        Neither an evaluation nor a directory holding one.
    """
    from pathlib import Path

    from .. import results_io

    directory = Path(directory)
    root = directory if (directory / "evaluation" / results_io.MANIFEST).is_file() else None
    if root is None:
        evaluation = results_io.load(directory)  # names what is wrong with the directory
        if type(evaluation).__name__ != "Evaluation":
            raise errors.DataError(f"{directory}: a saved {type(evaluation).__name__}, not an evaluation; give a "
                                   "report's results/ directory (or its results/evaluation).")
        found = {"evaluation": evaluation}
        root = directory.parent if directory.name == "evaluation" else None
    else:
        found = {}
    for name in SAVED:
        if name not in found and root is not None and (root / name / results_io.MANIFEST).is_file():
            found[name] = results_io.load(root / name)
    return found


def saved_convergence(directory) -> dict:
    """The convergence verdict saved by ``fairshare converge`` in ``directory``, as :func:`ledger_convergence`
    gives it.

    Parameters
    ----------
    directory : str or pathlib.Path
        A directory written by ``fairshare converge`` (``numbers.json``, ``tables/series.csv``,
        ``tables/trends.csv``, ``manifest.json``).
    """
    import json
    from pathlib import Path

    directory = Path(directory)
    try:
        numbers = json.loads((directory / "numbers.json").read_text())
        manifest = json.loads((directory / "manifest.json").read_text())
        series = pd.read_csv(directory / "tables" / "series.csv", index_col=0)
        trends = pd.read_csv(directory / "tables" / "trends.csv", index_col=0)
    except (OSError, ValueError) as err:
        raise errors.DataError(f"--ledger {directory}: not a complete fairshare converge result ({err}); run "
                               "fairshare converge again or give the ledger file.") from None
    ledger = manifest.get("ledger", {})
    numbers.update({"described": f"{ledger.get('network', 'unspecified')} payouts saved by fairshare converge",
                    "synthetic": bool(ledger.get("synthetic", False)),
                    "network": str(ledger.get("network", "unspecified")), "source": str(directory)})
    return {"tables": {"convergence_series": series, "convergence_trends": _plain(trends)},
            "meta": {"convergence": numbers}}
