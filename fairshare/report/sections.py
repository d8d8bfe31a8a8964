"""The sections of the governance appendix, one builder each, in reading order.

Public through :mod:`fairshare.report`. A builder takes the report context
(history, evaluation, optional optimisation and simulation results, the
question) and returns a :class:`~fairshare.report.Section`, or a short section
saying what was not run. Numbers come from the result objects unchanged; only
their formatting is the report's.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from importlib import metadata
from typing import Callable

import pandas as pd

from .. import plotting
from .._version import version
from ..datasets.network import WHAT_IF_GENERATORS
from ..features import PREFILL_WEIGHT, SIZE_REFERENCE_PARAMS_B, SMALL_TASK_TOKENS, aggregate, network_summary
from .format import describe_rule, format_frame, format_value, parameter_rows, price_basis

__all__ = ["Section", "Table", "Figure", "package_versions"]

PACKAGES = ("numpy", "pandas", "numba", "cvxpy", "clarabel", "highspy", "scipy", "matplotlib", "pyarrow")


@dataclass(frozen=True)
class Table:
    """A table of a report: raw numbers (saved as CSV) and their strings (shown).

    Parameters
    ----------
    name : str
        File stem of the table (``tables/NAME.tex`` and ``.csv``).
    caption : str
        The caption shown above the table.
    frame : pandas.DataFrame
        The raw numbers (saved as CSV).
    by : {"column", "row"}, default "column"
        Format cells by their column name, or by their row label (transposed tables).
    """

    name: str
    caption: str
    frame: pd.DataFrame
    by: str = "column"  # format cells by their column name, or by their row label ("row")

    @property
    def shown(self) -> pd.DataFrame:
        return format_frame(self.frame, by=self.by)


@dataclass(frozen=True)
class Figure:
    """A figure of a report: ``draw(ax)`` plots it with a :mod:`fairshare.plotting` function.

    Parameters
    ----------
    name : str
        File stem of the figure (``figures/NAME.png``, ``.pdf`` and ``.csv``).
    caption : str
        The caption shown under the figure.
    draw : callable
        ``draw(ax)`` draws the figure on a Matplotlib Axes.
    """

    name: str
    caption: str
    draw: Callable


@dataclass(frozen=True)
class Section:
    """A section of a report: paragraphs, then tables, then figures.

    Parameters
    ----------
    title : str
        The section heading (numbered in reading order).
    paragraphs : tuple of str, default ()
        Plain-text paragraphs.
    tables : tuple of Table, default ()
        The section's tables.
    figures : tuple of Figure, default ()
        The section's figures.
    """

    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[Figure, ...] = ()


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages behind the numbers."""
    out = {"python": platform.python_version(), "fairshare": version}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out

def data(ctx):
    """What the data are: the history's size, its tiers and, for the built-in network, its calibration."""
    h = ctx["history"]
    summary = network_summary(h, aggregate(h))
    paragraphs = [f"Data: {h.n_nodes:,} nodes of {h.n_operators:,} operators over {h.n_epochs} epochs of "
                  f"{h.epoch_seconds / 3600:g} hours, {h.n_tasks:,} task rows; emission "
                  f"{h.emission_tokens.sum():,.0f} tokens at a mean price of ${h.token_price_usd.mean():.3f}.",
                  price_basis(h) + " Fees and costs: USD as recorded."]
    tables = [Table("data_summary", "What the network did, per node tier", summary)]
    if h.provenance.get("generator") in WHAT_IF_GENERATORS:
        from ..datasets import calibration_figures

        paragraphs.append(f"The history is fairshare's built-in OpenGradient-style network (seed "
                          f"{h.provenance.get('seed')}, scale {h.provenance.get('scale')}); its realised figures "
                          "stand next to their cited targets below (docs/network.md).")
        cal = calibration_figures(h)
        cal.index = cal["figure"] + " / " + cal["group"].astype(str)
        tables.append(Table("calibration", "Built-in network: realised figures and cited targets",
                             cal[["value", "target", "low", "high", "source"]].rename_axis("figure")))
    return Section("Data", tuple(paragraphs), tuple(tables))


def scoreboard(ctx):
    ev = ctx["evaluation"]
    head = ev.headline()
    return Section(
        "Candidate rules", (f"Every rule replayed over the same history; fairness, coverage and concentration "
                            f"per {ev.level}. Baseline for winners and losers: {ev.baseline}.",
                            *[f"{name}: {describe_rule(rule)}." for name, rule in ev.formulas.items()],
                            price_basis(ctx["history"])),
        (Table("scoreboard", "Scoreboard (columns: rules)", head.T, by="row"),),
        (Figure("lorenz", "Lorenz curves of rewards per operator", lambda ax: plotting.lorenz(ev, ax=ax)),))


def proposal(ctx):
    """The proposed weights, or the labelled fallback's where no rule meets the default problem."""
    opt, ev = ctx["optimization"], ctx["evaluation"]
    label = ctx["facts"].get("proposal_label")
    if opt is None and label not in ev.formulas:
        return Section("Proposed emission weights", ("No optimisation was run for this report "
                                                      "(fairshare optimize adds it).",))
    rule = opt.formula if opt is not None else ev.formulas[label]
    if opt is None:
        lead = (f"No rule of the family meets the default problem (see the question and the sensitivity "
                f"sections). The fallback {label}, labelled as such everywhere in this appendix: "
                f"{describe_rule(rule)}. It is not the optimiser's answer.")
    else:
        lead = f"Proposed rule: {describe_rule(rule)}."
    weights = pd.Series(dict(getattr(rule, "weights", {})), name="weight_share", dtype=float)
    flat = (getattr(opt, "provenance", None) or {}).get("flat_price_usd")
    return Section("Proposed emission weights" if opt is not None else f"Fallback emission weights ({label})",
                   (lead, price_basis(ctx["history"], flat_price=flat)),
                   (Table("weights", "Emission weights" + ("" if opt is not None else f" of the fallback {label}"),
                          weights.rename_axis("component").to_frame()),),
                   (Figure("weights", "Emission weights of the " + ("proposed rule" if opt is not None
                                                                     else f"fallback {label}"),
                           lambda ax: plotting.emission_weights(rule, ax=ax)),))


def coverage(ctx):
    ev = ctx["evaluation"]
    cols = ["coverage_share"] + [c for c in ev.scoreboard.columns if c.startswith("coverage_share_")]
    cols += ["energy_coverage_share", "median_retail_coverage"]
    table = ev.scoreboard[[c for c in cols if c in ev.scoreboard.columns]]
    return Section("Cost coverage per operator class",
                    ("Share of active operators whose rewards (at the price of the epoch earned) plus fees, less "
                     "upstream cost, pay their electricity and depreciation over the window.",
                     price_basis(ctx["history"])),
                    (Table("coverage", "Coverage per class", table),),
                    (Figure("coverage", f"Coverage ratios under {ev.baseline}",
                             lambda ax: plotting.coverage(ev, ev.baseline, ax=ax)),))


def winners(ctx):
    ev = ctx["evaluation"]
    table = ev.scoreboard[["winners_share", "largest_loss_pct"]]
    paragraphs = [f"Against {ev.baseline}: the share of {ev.level}s whose window rewards rise, and the largest loss."]
    tables = [Table("winners", "Winners and losers", table)]
    label = ctx["facts"].get("proposal_label")
    others = [label] if label in ev.detail and label != ev.baseline else [n for n in ev.detail if n != ev.baseline]
    if others:
        d = ev.detail[others[0]]
        losers = d.dropna(subset=["change_vs_baseline_pct"]).nsmallest(5, "change_vs_baseline_pct")
        tables.append(Table("largest_losers", f"Largest losers under {others[0]}",
                             losers[["class", "nodes", "reward_tokens", "change_vs_baseline_pct"]]))
    return Section("Winners and losers", tuple(paragraphs), tuple(tables))


def gaming(ctx):
    ev = ctx["evaluation"]
    net = [c for c in ev.scoreboard.columns if c.startswith("net_gain_")] + ["best_attack_net_gain", "best_attack"]
    gross = [c for c in ev.scoreboard.columns if c.startswith("sybil_gain_")]
    gross += ["merge_gain", "fake_demand_gain", "stake_driven_share", "compute_driven_share"]
    costs = ev.provenance.get("attack_costs", "not recorded")
    return Section("Attacks: what gaming each rule nets",
                    ("Each attack of the library (docs/attacks.md) replayed against each rule, one attacker at a "
                     "time. Net gain for an operator already paid: (reward value after the attack - its cost) / "
                     "reward value before; for an outsider: reward value / cost in its best epoch. 1 is neutral; "
                     "above 1 the attack pays. Linear rules are attacked by every working operator (closed "
                     "forms), other rules by the smallest, median and largest operator of each class.",
                     f"Costs assumed (identity cost with its provenance): {costs}.", price_basis(ctx["history"]),
                     "The gross ratios below (reward after over reward before, costs left out) are kept for "
                     "comparison with earlier reports; they are not the verdict."),
                    (Table("attacks", "Net gain of each attack (largest over attackers and sizes)",
                           ev.scoreboard[[c for c in net if c in ev.scoreboard.columns]]),
                     Table("gaming", "Gross split, merge and fake-demand ratios",
                           ev.scoreboard[[c for c in gross if c in ev.scoreboard.columns]])))


def sensitivity(ctx):
    """What binds: the constraints dropped in turn (infeasible problem) or the optimum's frontiers, and the
    retail coverage surface over token price x utilisation."""
    opt, tables = ctx["optimization"], ctx["tables"]
    sweeps = {name[len("frontier_"):]: t for name, t in tables.items() if name.startswith("frontier_")}
    if opt is not None and getattr(opt, "frontier", None) is not None:
        sweeps = {opt.frontier.over: opt.frontier.to_frame(), **sweeps}
    name = "" if opt is None else opt.objective_name
    name = name.upper() if len(name) <= 5 else name.replace("_", " ")  # HHI, Gini; long names spelled out
    objective_label = f"{name} of operators' rewards (optimum)" if opt is not None else None
    shown, figures, paragraphs = [], [], []
    relaxed = tables.get("relaxations")
    if relaxed is not None and len(relaxed):
        paragraphs.append("No rule of the family meets the default problem. The inputs that bind: each constraint "
                          "dropped in turn, whether the others then hold, and from which to which budget (tokens "
                          "per epoch); identity cost and take rate enter through the no-attack constraint "
                          "(its row).")
        shown.append(Table("what_would_have_to_change", "No rule meets the default problem: each constraint "
                           "dropped in turn, and the budgets (tokens per epoch) at which the others hold",
                           relaxed.set_index("dropped") if "dropped" in relaxed.columns else relaxed))
    if sweeps:
        paragraphs.append("The default problem re-solved over each swept input (one compiled problem per sweep); "
                          "infeasible points are where no rule in the family meets the constraints.")
    for over, front in sweeps.items():
        table = front[[c for c in front.columns if not c.endswith("_s") and c != "cut_rounds"]]  # no run times
        shown.append(Table(f"frontier_{over}", f"The optimum over {over.replace('_', ' ')}", table))
        figures.append(Figure(f"frontier_{over}", f"The optimum's objective against {over.replace('_', ' ')}",
                              lambda ax, front=front: plotting.frontier(front, ax=ax, ylabel=objective_label)))
    surface = tables.get("coverage_surface")
    label = ctx["facts"].get("proposal_label")
    if surface is not None:
        paragraphs.append(f"Two inputs at once: the median retail operator's coverage (earned value over "
                          f"electricity, depreciation and rent) under {label} at each flat token price and busy "
                          f"share of online time, set for every node, datacenters too "
                          f"({surface.attrs.get('utilisation_meaning', 'utilisation')}). Coverage 1 is break-even.")
        grid = surface.pivot(index="utilisation", columns="price_usd", values="retail_median_coverage")
        grid.columns = [f"at {format_value('price_usd', p)}" for p in grid.columns]
        grid.index = pd.Index([format_value("utilisation", u) for u in grid.index], name="utilisation")
        shown.append(Table("coverage_surface", f"Median retail coverage under {label}: utilisation (rows) x "
                           "token price (columns)", grid))
        figures.append(Figure("coverage_surface", f"Median retail coverage under {label} over token price and "
                              "utilisation (contour: break-even)",
                              lambda ax: plotting.surface(ax, surface)))
    if not shown:
        return Section("Sensitivity", ("No frontier was computed for this report.",))
    basis = price_basis(ctx["history"], flat_price=(getattr(opt, "provenance", None) or {}).get("flat_price_usd"))
    if "price" in sweeps or surface is not None:
        basis = basis[:-1] + "; the sweeps over price and the surface hold each point's token price flat in " \
                             "every epoch."
    return Section("Sensitivity", (*paragraphs, basis), tuple(shown), tuple(figures))


#: Measures the report shows from a simulation (those the result has), at the last epoch.
SIMULATION_MEASURES = ("retail_survival", "retail_share", "retail_coverage", "reward_gini", "reward_nakamoto",
                       "stake_gini", "capital_share", "price_usd", "circulating_tokens", "sell_pressure_tokens",
                       "fake_work_share")


def simulation(ctx):
    sim = ctx["simulation"]
    if sim is None:
        return Section("Simulation", ("No simulation was run for this report (fairshare simulate adds it).",))
    final = sim.final()
    shown = [m for m in SIMULATION_MEASURES if m in final.columns]
    table = final[shown].quantile([0.05, 0.5, 0.95]).T.rename(columns=lambda q: f"q{q:.2f}").rename_axis("measure")
    def survival(ax):
        plotting.fan_chart(sim.measure("retail_survival"), ax=ax)
        ax.set_ylabel("Share of retail operators still active")
        return ax

    def unlocks(ax):
        plotting.unlock_calendar(sim.monthly_unlocks(), period="month", ax=ax)
        ax.legend(title="bucket", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return ax

    figures = [Figure("fan_retail_survival", "Retail operators still active, across runs (median and bands)",
                      survival),
               Figure("unlocks", "Unlock calendar: tokens unlocked, by bucket", unlocks)]
    rule = describe_rule(sim.provenance.get("rule", "the rule simulated"), ctx["evaluation"].formulas)
    paragraphs = [f"{sim.runs} runs of {len(sim.epochs)} epochs under {rule}; the last epoch across runs (5%, "
                  "median, 95%).", price_basis(simulated=str(sim.provenance.get("scenario", {}).get("price", "")))]
    if sim.provenance.get("data"):
        paragraphs.append(f"Data: {sim.provenance['data']}.")
    tables = [Table("simulation", "The last epoch across runs", table, by="row")]
    if sim.by_rule and len(sim.by_rule) > 1:  # the A/B: every other rule against the first, run by run
        base = sim.rules[0]
        paragraphs.append("A/B tables: low/high is the Student t interval of the mean difference, band the "
                          "per-run differences. An unchanged measure is the same under both arms in every run (an "
                          "input such as an exogenous price), a deterministic one does not vary across runs; "
                          "neither has an interval.")
        for other in sim.rules[1:]:
            diff = sim.difference(other, base, shown)
            paragraphs.append(f"A/B: {diff.attrs['statement']}.")
            tables.append(Table(f"simulation_ab_{other}", f"{other} minus {base}, last quarter of the epochs",
                                diff.drop(columns=["runs"]), by="row"))
    return Section("Simulation", tuple(paragraphs), tuple(tables), tuple(figures))


def assumptions(ctx):
    h = ctx["history"]
    rows = [("prefill weight", f"{PREFILL_WEIGHT:.5f}", "[sources: gpu-benchmarks-llm] (130.6 / 7,139 tok/s)"),
            ("work-unit reference model", f"{SIZE_REFERENCE_PARAMS_B:g} B active parameters",
             "[sources: gpu-benchmarks-llm]"),
            ("small task threshold", f"{SMALL_TASK_TOKENS:,.0f} tokens per request",
             "[sources: azure-llm-trace-2023, syfi-tracelab]"),
            ("retail operator", "at most 3 nodes, all at home", "DESIGN.md (identity levels, tiers)"),
            ("depreciation", "straight-line to residual value over the life", "[sources: depreciation-lives]")]
    tables = [Table("assumptions", "Parameters and their sources",
                     pd.DataFrame(rows, columns=["parameter", "value", "source"]).set_index("parameter"))]
    if h.provenance.get("generator") in WHAT_IF_GENERATORS:
        from ..datasets.archetypes import archetype_table

        tables.append(Table("archetypes", "Built-in network: hardware archetypes and sources",
                             archetype_table().set_index("hardware")))
    return Section("Assumptions", ("Every default cites a key of fairshare's bibliography, docs/sources.md, "
                                   "as [sources: key].",),
                    tuple(tables))


def provenance(ctx):
    ev, h = ctx["evaluation"], ctx["history"]
    versions = pd.Series(package_versions(), name="version").rename_axis("package").to_frame()
    params = parameter_rows({k: v for k, v in ev.provenance.items() if k not in ("rules", "history", "input_sha256")})
    params_frame = pd.DataFrame({"value": [v for _, v in params]},
                                index=pd.Index([k for k, _ in params], name="parameter"))
    command = ctx.get("command")
    reproduce = (f"Reproduce with: {command} (also the command field of manifest.json: the fairshare command that "
                 "computed these results)." if command else
                 "Built with fairshare.report.build_report from Python: no command line was recorded (manifest.json "
                 "lists the inputs, parameters and the hash of every file).")
    return Section("Provenance", (reproduce, "Inputs, seeds and versions below. " + price_basis(h)),
                    (Table("inputs", "Inputs the appendix was built from (SHA-256 of each input file)",
                           input_table(h, ctx.get("optimization"))),
                     Table("versions", "Software", versions), Table("parameters", "Evaluation parameters",
                                                                      params_frame)))


def input_table(history, optimization=None) -> pd.DataFrame:
    """The inputs a report was built from: the history, its source and the SHA-256 of each input file.

    Parameters
    ----------
    history : History
        The history (its ``provenance`` holds ``source`` and ``input_sha256`` when read from files,
        ``generator`` and ``seed`` when generated).
    optimization : EmissionResult, optional
        The optimisation, whose ``provenance["input_hash"]`` fingerprints the problem's arrays.
    """
    prov = history.provenance
    epochs = history.epochs
    rows = [("history", f"{history.n_nodes:,} nodes of {history.n_operators:,} operators, {history.n_tasks:,} task "
                        f"rows, epochs {epochs[0]} to {epochs[-1]} of {history.epoch_seconds:,.0f} s")]
    hashes = prov.get("input_sha256") or {}
    if prov.get("source"):
        rows.append(("source", str(prov["source"])))
    rows += [(f"file {name}", digest) for name, digest in sorted(hashes.items())]
    if not hashes:
        made = prov.get("generator")
        rows.append(("input files", f"none: generated in memory by {made} (seed, scale and configuration under "
                                    "Evaluation parameters reproduce it)" if made else
                                    "none recorded: tables given in memory"))
    digest = (getattr(optimization, "provenance", None) or {}).get("input_hash")
    if digest:
        rows.append(("optimisation inputs (SHA-256 of the problem's arrays)", str(digest)))
    return pd.DataFrame(rows, columns=["input", "value"]).set_index("input")
