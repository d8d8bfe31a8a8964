"""Command line: a thin shell over the library (files in, files out, exit codes).

User errors (bad data, bad options, infeasible problems) print one line and
exit with their own code; anything else is a bug and shows its traceback.

==========  =========================================
exit code   meaning
==========  =========================================
0           success
2           bad command-line usage (argparse)
3           bad input data (``DataError``)
4           bad parameter or scenario (``ConfigError``)
5           reward formula cannot be applied (``FormulaError``)
6           infeasible optimisation (``InfeasibleError``)
7           other optimisation failure (``OptimizationError``)
==========  =========================================
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from pathlib import Path

from . import errors
from ._version import version

__all__ = ["main", "EXIT_CODES"]

#: Most specific class first.
EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    (errors.DataError, 3),
    (errors.ConfigError, 4),
    (errors.FormulaError, 5),
    (errors.InfeasibleError, 6),
    (errors.OptimizationError, 7),
)

#: Exit code after an interrupt (SIGINT): 128 + the signal's number, as shells report it.
INTERRUPTED = 130

_WIDE = 200  # columns when printing to a file or pipe (rich would use 80)
DEFAULT_OUT = "fairshare-report"
#: Where no rule meets the default problem, the report's stand-in for the proposal: proportional to work, the one
#: rule that is split- and merge-proof with anonymous keys (Leshno and Strack 2020); labelled, never presented as
#: the optimiser's answer.
FALLBACK_NAME = "fallback_proportional_to_work"

#: Identity costs (USD per key per epoch) the demo sweeps when the default problem can be had.
IDENTITY_COSTS = (0.0, 0.01, 0.1, 1.0, 10.0)


def fallback_rule():
    """The labelled fallback: ``Linear({"work": 1.0})`` (see :data:`FALLBACK_NAME`)."""
    from .formulas import Linear

    return Linear({"work": 1.0})

#: Simulation runs of `fairshare demo` (fixed so the demo's report is the same on every machine).
DEMO_RUNS = 20

EPILOG = """examples:
  fairshare demo                                 the whole pipeline on the built-in network;
                                                 report in ./fairshare-report
  fairshare demo --scale small --out /tmp/r      a quick run on the small network
  fairshare evaluate --data my_history/ --scenario rules.toml --out my_report
  fairshare report --results my_report/results/evaluation --data my_history/ --out rebuilt
  fairshare demo --json --quiet                  machine-readable summary, no progress output
  fairshare evaluate --data year/ --stream --scheduler tcp://host:8786
                                                 a Parquet log larger than memory, work spread over a dask cluster

scenario file (TOML), rules by registry name and parameters:
  [rules.status_quo]
  name = "linear"
  params = { weights = { stake = 0.5, work = 0.5 } }
  [rules.capped]
  name = "capped"
  params = { share_cap = 0.02 }
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fairshare", description="Measure and design fair token rewards for decentralized inference networks.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"fairshare {version}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("demo", "the whole pipeline on the built-in network (or --data)"),
                       ("evaluate", "replay reward rules over a history and write a report"),
                       ("optimize", "solve for emission weights (the default problem) and write a report"),
                       ("simulate", "simulate the network forward under a rule and write a report"),
                       ("report", "rebuild a report from saved results")):
        p = sub.add_parser(name, help=text, description=text, epilog=EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        _data_options(p)
        _output_options(p)
        if name in ("optimize", "demo"):
            p.add_argument("--price", type=float, default=None,
                           help="solve at this flat token price (USD); default: the history's prices")
            p.add_argument("--budget", type=float, default=None,
                           help="emission to design for, tokens per epoch (default: the history's schedule)")
            p.add_argument("--no-price-band", action="store_true",
                           help="hold the constraints at the history's prices only (default: also at 0.5x and 2x)")
        if name in ("evaluate", "optimize", "demo"):
            p.add_argument("--identity-cost", type=float, default=None, metavar="USD",
                           help="what the protocol makes one more key cost, USD per key per epoch (default: the "
                                "dataset's stated value, else 0; docs/attacks.md)")
            p.add_argument("--take-rate", type=float, default=0.0,
                           help="share of every fee the protocol keeps, 0 to 1 (default 0)")
        if name in ("simulate", "demo"):
            p.add_argument("--runs", type=int, default=DEMO_RUNS if name == "demo" else 100,
                           help=f"simulation runs (demo default {DEMO_RUNS}, simulate default 100)")
        if name in ("evaluate", "demo", "optimize", "simulate"):
            p.add_argument("--scenario", help="TOML file with [rules.NAME] tables (default: fairshare's reference "
                                              "status quo and alternatives)")
        if name == "report":
            p.add_argument("--results", required=True, help="a saved evaluation directory (results/evaluation)")
    _converge_parser(sub)
    return parser


CONVERGE_EPILOG = """examples:
  fairshare converge rewards.csv --time epoch --address pubkey --amount block_rewards_sol \\
      --unit token --decimals 14 --missing no_record --epoch 2d --network Solana --out solana
  fairshare converge payouts.parquet --time block_time --address to --amount value --decimals 18 \\
      --epoch 1d --labels labels.csv --out converge

The time column may hold epoch indices (integers; --epoch states their length), unix seconds
(--time-kind unix), timezone-aware datetimes, or block heights (--time-kind block --block-times FILE).
"""


def _converge_parser(sub) -> None:
    text = "are rewards moving toward small operators? trend, interval and verdict from a payout ledger"
    p = sub.add_parser("converge", help=text, description=text, epilog=CONVERGE_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ledger", help="payout ledger: CSV, Parquet or a directory of Parquet files")
    p.add_argument("--time", required=True, help="column of the payout time (epoch index, unix s, datetime, block)")
    p.add_argument("--address", required=True, help="column of the recipient address")
    p.add_argument("--amount", required=True, help="column of the amount")
    p.add_argument("--unit", choices=("base", "token"), default="base",
                   help="amounts in integer base units (default) or decimal tokens")
    p.add_argument("--decimals", type=int, default=0, help="decimals of the token (default 0)")
    p.add_argument("--epoch", default=None, help="epoch length, e.g. 1d, 6h, 2d (needed unless TIME holds epochs; "
                                                  "with epoch indices it states their length)")
    p.add_argument("--time-kind", default="auto", choices=("auto", "epoch", "unix", "datetime", "block"))
    p.add_argument("--block-times", default=None, help="CSV of height,time (unix s) for --time-kind block")
    p.add_argument("--missing", choices=("raise", "no_record"), default="raise",
                   help="a missing amount is an error (default) or 'no record' (dropped and counted)")
    p.add_argument("--labels", default=None, help="CSV with address,entity[,class] (default: key level)")
    p.add_argument("--unlabelled", choices=("own", "pooled", "excluded"), default="own")
    p.add_argument("--window", type=int, default=1, help="epochs per window (default 1)")
    p.add_argument("--small", type=float, default=0.01, help="size below which an entity is small (default 0.01)")
    p.add_argument("--breaks", default="", help="comma-separated epochs of known rule changes (event study)")
    p.add_argument("--network", default="unspecified", help="network name printed with the results")
    p.add_argument("--synthetic", action="store_true", help="the ledger is generated, not real")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resamples", type=int, default=999)
    _output_options(p)
    p.set_defaults(out="fairshare-converge")


def _data_options(p):
    p.add_argument("--data", help="history directory (CSV or Parquet) instead of the built-in network")
    p.add_argument("--seed", type=int, default=0, help="seed of the built-in network (default 0)")
    p.add_argument("--scale", default="default", help="scale of the built-in network: small, medium, default, large")
    p.add_argument("--stream", action="store_true",
                   help="read the Parquet task log of --data in place, row group by row group "
                        "(logs larger than memory)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run aggregation, rule replays, frontiers and simulation runs on a dask cluster "
                        "(its scheduler's address, e.g. tcp://host:8786; needs fairshare[dask])")


def _output_options(p):
    p.add_argument("--out", default=DEFAULT_OUT, help=f"report directory (default ./{DEFAULT_OUT})")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--json", action="store_true", help="print a JSON summary instead of tables")
    p.add_argument("--quiet", action="store_true", help="no progress or tables (errors still print)")


# ------------------------------------------------------------------------------------------------ commands
def run_demo(args) -> int:
    return run_evaluate(args, demo=True, optimise=True, forward=True)


def run_optimize(args) -> int:
    return run_evaluate(args, optimise=True)


def run_simulate(args) -> int:
    return run_evaluate(args, forward=True)


def run_evaluate(args, demo: bool = False, optimise: bool = False, forward: bool = False) -> int:
    from .evaluation.engine import evaluate
    from .features import aggregate
    from .report.build import build_report

    if forward and (isinstance(args.runs, bool) or args.runs < 1):
        raise errors.ConfigError(f"--runs must be a whole number >= 1, got {args.runs}.")
    settings, own_rules = scenario_file_settings(getattr(args, "scenario", None)) if forward else ({}, False)
    out = _out_directory(args, demo)
    with _step(args, "loading the history"):
        history = load_history(args)
    with cluster(args) as client:
        with _step(args, "aggregating the task log"):
            features = aggregate(history, client=client)
        rules = load_rules(getattr(args, "scenario", None))
        costs = attack_costs(args, history)
        result, notes, sweeps, relaxations = None, [], None, None
        if optimise:
            band = None if getattr(args, "no_price_band", False) else "default"
            with _step(args, "solving for emission weights"):
                result, notes, sweeps, relaxations = optimise_weights(
                    history, getattr(args, "price", None), client, costs=costs, budget=getattr(args, "budget", None),
                    price_band=band)
            if result is not None:
                rules["optimised"] = result.formula
            else:
                rules[FALLBACK_NAME] = fallback_rule()
        with _step(args, f"replaying {len(rules)} rules"):
            ev = evaluate(history, rules, features=features, client=client, attack_costs=costs)
        sim = None
        if forward:
            proposal, label = (result.formula, "proposal") if result is not None else (fallback_rule(), FALLBACK_NAME)
            if own_rules and not optimise:  # the scenario file's rules, the first as the base
                pair = dict(rules)
            else:
                pair = {"status_quo": rules.get("status_quo", fallback_status_quo()), label: proposal}
                if demo:  # change the routing instead of the emission: the same A/B, the same draws
                    pair[ROUTING_ARM] = routing_variant(pair["status_quo"])
            with _step(args, f"simulating {args.runs} runs of {len(pair)} rules"):
                sim, _ = simulate_forward(history, pair, args.runs, client, settings)
    question = None if not notes else " ".join(notes)
    extra = None
    if optimise:  # the proposal (or the labelled fallback) as integer arithmetic a chain can run: export/
        from .formulas import export

        proposal, label = (result.formula, "proposal") if result is not None else (fallback_rule(), FALLBACK_NAME)
        extra = lambda tmp: export(proposal, tmp / "export", name=label)  # noqa: E731
    _write(args, build_report(history, ev, optimization=result, simulation=sim, sensitivity=sweeps,
                              question=question, relaxations=relaxations, command=_command_line(args)), out,
           extra=extra)
    return _summarise(args, history, ev, out)


#: The demo's routing-policy arm: the status quo's emission with every unit placed by the capacity
#: lottery and no reputation floor (``simulation.Demand(random_share=1.0, min_tier="poor")``).
ROUTING_ARM = "status_quo_open_routing"


def routing_variant(rule):
    """``rule`` under the open routing policy of :data:`ROUTING_ARM` (a ``simulation.Variant``).

    Parameters
    ----------
    rule : Formula
        The emission rule kept under the changed routing.
    """
    from .simulation import Demand, Variant

    return Variant(rule, demand=Demand(random_share=1.0, min_tier="poor"))


def fallback_status_quo():
    """The simulation's status quo, ``Linear({"stake": 0.5, "work": 0.5})``, when the rules name none."""
    from .simulation import STATUS_QUO

    return STATUS_QUO


def scenario_file_settings(path) -> tuple[dict, bool]:
    """The ``[scenario.*]`` tables of a TOML scenario file as :class:`~fairshare.simulation.Scenario` settings,
    and whether the file names its own ``[rules.*]``.

    Parameters
    ----------
    path : str or None
        The ``--scenario`` file (None: no settings).
    """
    if path is None:
        return {}, False
    import tomllib

    from .simulation.engine import scenario_settings

    try:
        spec = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise errors.ConfigError(f"{path}: cannot read the scenario file ({err}).") from err
    return scenario_settings(spec.get("scenario", {}), source=str(path)), "rules" in spec


def simulate_forward(history, rules, runs: int, client=None, settings=None):
    """``(result, None)``: ``runs`` runs (seed 0) of the history's network under ``rules`` (a dict: an A/B on
    common random numbers, the first the base; or one rule), with the scenario ``settings``. A configuration
    error propagates (the command exits 4); the second item is kept for callers that read a note."""
    from .simulation.engine import Scenario, simulate

    scenario = Scenario.from_history(history, **(settings or {}))
    if not isinstance(rules, dict):
        return simulate(scenario, rules, runs=runs, seed=0, client=client), None
    return simulate(scenario, rules=rules, runs=runs, seed=0, client=client), None


def attack_costs(args, history):
    """The attack costs of ``--identity-cost`` and ``--take-rate`` (the dataset's identity cost when not given)."""
    from .attacks import AttackCosts

    base = AttackCosts.for_history(history, getattr(args, "identity_cost", None))
    take = getattr(args, "take_rate", 0.0)
    return base if not take else AttackCosts(**{**vars(base), "take_rate": take})


def optimise_weights(history, price: float | None = None, client=None, costs=None, budget: float | None = None,
                     price_band="default"):
    """The default problem at the history's prices (or a flat ``price``), with its sweeps.

    Returns the result (with its price frontier), the notes, frontiers over the
    budget (0.5x to 3x the emission), over the cited ranges of electricity tariff
    and depreciation life and over the identity cost, and None. When no rule of
    the family meets the default problem: None, the notes with the diagnosis
    (what would have to change: identity cost, take of fees, budget), None, and
    the table of constraints dropped in turn (``InfeasibleError.relaxations``);
    nothing is re-solved at another price.
    """
    from dataclasses import replace

    import numpy as np

    from .optimization import frontier, optimize

    if price is not None:
        if not (np.isfinite(price) and price > 0):
            raise errors.ConfigError(f"--price must be a finite token price in USD > 0, got {price!r}.")
        history = replace(history, token_price_usd=np.full(history.n_epochs, float(price)))
    options = dict(attack_costs=costs, budget=budget, price_band=price_band if price is None else None)
    try:
        result = optimize(history, **options)
    except errors.InfeasibleError as err:
        basis = "a flat price of $%g" % price if price is not None else "the history's token prices"
        notes = [f"At {basis} no rule of the family meets the default problem: {err} The first table below drops "
                 "each constraint in turn and gives the budgets at which the others hold. The report shows the "
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


def run_converge(args) -> int:
    from . import plotting
    from .data.io import atomic_directory
    from .ledger import Ledger
    from .ledger.timing import parse_epoch_seconds
    from .trend.section import convergence_section

    seconds = parse_epoch_seconds(args.epoch)
    block_times = _read_small_csv(args.block_times, "--block-times") if args.block_times else None
    with _step(args, f"reading {args.ledger}"):
        ledger = Ledger.read(args.ledger, time=args.time, address=args.address, amount=args.amount,
                             decimals=args.decimals, unit=args.unit, time_kind=args.time_kind, epoch_seconds=seconds,
                             block_times=block_times, missing=args.missing, network=args.network,
                             synthetic=args.synthetic)
    if seconds is None:
        raise errors.ConfigError("the time column holds epoch indices: give their length with --epoch (e.g. "
                                 "--epoch 2d) so that trends can be stated per year.")
    labels = _read_small_csv(args.labels, "--labels") if args.labels else None
    breaks = [int(b) for b in args.breaks.split(",") if b.strip()] if args.breaks else None
    with _step(args, "measuring the trend"):
        panel = ledger.panel(labels=labels, unlabelled=args.unlabelled, window=args.window)
        section = convergence_section(panel, small_threshold=args.small, seed=args.seed,
                                      resamples=args.resamples, breaks=breaks)
    out = Path(args.out)
    with _step(args, f"writing {out}"), atomic_directory(out, overwrite=args.overwrite) as tmp:
        (tmp / "tables").mkdir()
        (tmp / "figures").mkdir()
        for name, frame in section.tables.items():
            frame.to_csv(tmp / "tables" / f"{name}.csv")
        for name, frame in section.figure_data.items():
            plotting.render(lambda ax, f=frame: _draw_converge(ax, f), tmp / "figures" / name)
        (tmp / "convergence.md").write_text(section.markdown)
        (tmp / "numbers.json").write_text(json.dumps(section.numbers, indent=2, sort_keys=True) + "\n")
        manifest = {"fairshare_version": version, "command": "converge", "ledger": ledger.meta,
                    "options": {k: v for k, v in vars(args).items() if k not in ("json", "quiet")},
                    "files": sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
    if args.json:
        print(json.dumps(section.numbers, indent=2))
    elif not args.quiet:
        print(section.verdict.statement)
        print(f"Report section: {out.resolve() / 'convergence.md'} (also tables/, figures/, numbers.json).")
    return 0


def _read_small_csv(path, option: str):
    import pandas as pd

    try:
        return pd.read_csv(path, dtype=str if option == "--labels" else None, keep_default_na=False,
                           na_values=[""])
    except FileNotFoundError:
        raise errors.DataError(f"{option} {path}: no such file.") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise errors.DataError(f"{option} {path}: cannot read it as CSV ({err}).") from None


def _draw_converge(ax, frame) -> None:
    """A window series with its band (the conservative envelope) and trend line; the plotted numbers attached."""
    from .plotting.theme import attach

    x = frame["epoch"].to_numpy()
    if "envelope_low" in frame:
        ax.fill_between(x, frame["envelope_low"], frame["envelope_high"], alpha=0.25, linewidth=0,
                        label="conservative envelope")
    value = [c for c in frame.columns
             if c not in ("epoch", "trend_line", "envelope_low", "envelope_high", "change_point")][0]
    ax.plot(x, frame[value], marker=".", label=value.replace("_", " "))
    if "trend_line" in frame:
        ax.plot(x, frame["trend_line"], linestyle="--", label="trend (least squares)")
    if "change_point" in frame:
        for i, at in enumerate(x[frame["change_point"].to_numpy(bool)]):
            ax.axvline(at, color="grey", linestyle=":", label="change point (candidate)" if i == 0 else None)
    ax.set_xlabel("epoch")
    ax.set_ylabel(value.replace("_", " "))
    ax.legend(loc="best")
    attach(ax, frame)


def run_report(args) -> int:
    from . import results_io
    from .report.build import build_report

    out = _out_directory(args, False)
    with _step(args, "loading saved results"):
        ev = results_io.load(args.results)
        history = load_history(args, ev.provenance)
        _same_inputs(args, ev.provenance, history.provenance)
    _write(args, build_report(history, ev, command=_command_line(args)), out)
    return _summarise(args, history, ev, out)


# ------------------------------------------------------------------------------------------------ helpers
def _command_line(args) -> str | None:
    """The command line that ran (``fairshare demo --scale small``), for the report's manifest."""
    argv = getattr(args, "argv", None)
    if argv is None:
        return None
    import shlex

    return "fairshare " + shlex.join(argv)


def load_history(args, provenance: dict | None = None):
    """The history of ``--data``, else the built-in network (seed and scale from saved provenance if given).

    Saved results computed on other data (``provenance`` without the built-in generator) need ``--data``.
    """
    from .data import History

    if args.data:
        return History.read(args.data, stream=args.stream)
    if args.stream:
        raise errors.ConfigError("--stream reads the task log of --data in place; give --data DIRECTORY.")
    from .datasets import open_inference_network
    from .datasets.network import WHAT_IF_GENERATORS

    seed, scale = args.seed, args.scale
    if provenance and provenance.get("generator") in WHAT_IF_GENERATORS:
        seed, scale = provenance.get("seed", seed), provenance.get("scale", scale)
    elif provenance:
        where = provenance.get("source", "data that are not the built-in network")
        raise errors.ConfigError(f"these results were computed on {where}: give that history with --data DIRECTORY.")
    return open_inference_network(seed=seed, scale=scale)


def _same_inputs(args, saved: dict, loaded: dict) -> None:
    """Refuse a history whose input files differ from the ones the saved results were computed on."""
    mine, theirs = saved.get("input_sha256"), loaded.get("input_sha256")
    if not mine or not theirs:
        return
    differ = sorted(name for name in set(mine) | set(theirs) if mine.get(name) != theirs.get(name))
    if differ:
        raise errors.DataError(f"--data {args.data}: {', '.join(differ)} differ from the files the saved results were "
                               f"computed on ({saved.get('source', 'recorded in their provenance')}); give the same "
                               "history.")


def load_rules(path) -> dict:
    """Rules from a TOML scenario file, or fairshare's reference rules."""
    from .formulas import reference_rules

    if path is None:
        return reference_rules()
    import tomllib

    from .results_io.store import formula_from_dict

    try:
        spec = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise errors.ConfigError(f"{path}: cannot read the scenario file ({err}).") from err
    tables = spec.get("rules")
    if tables is None and "scenario" in spec:  # a file of [scenario.*] tables only: the reference rules
        return reference_rules()
    if not isinstance(tables, dict) or not tables:
        raise errors.ConfigError(f"{path}: no [rules.NAME] tables; see `fairshare evaluate --help` for the format.")
    rules = {}
    for name, table in tables.items():
        if not isinstance(table, dict) or "name" not in table:
            raise errors.ConfigError(f"{path}: [rules.{name}] needs a name (a formula registry name, e.g. 'linear').")
        try:
            rules[name] = formula_from_dict({"name": table["name"], "params": table.get("params", {})})
        except TypeError as err:
            raise errors.ConfigError(f"{path}: [rules.{name}] has parameters its rule does not take ({err}).") from err
    return rules


def _out_directory(args, demo: bool) -> Path:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise errors.ConfigError(f"--out {out} is a file, not a directory; give a directory path for the report.")
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        previous = out / "manifest.json"
        is_report = previous.exists() and "sections" in json.loads(previous.read_text() or "{}")
        if not (demo and is_report and args.out == DEFAULT_OUT):
            raise errors.ConfigError(f"{out} exists and is not empty. Choose another --out or pass --overwrite.")
        args.overwrite = True  # the demo refreshes its own default report
    return out


def _write(args, report, out: Path, extra=None) -> None:
    from .report.build import write_report

    with _step(args, f"writing the report to {out}"):
        write_report(report, out, overwrite=args.overwrite, extra=extra)


@contextmanager
def cluster(args):
    """A ``dask.distributed`` client for ``--scheduler`` (closed afterwards), else None."""
    if not args.scheduler:
        yield None
        return
    try:
        from dask.distributed import Client
    except ImportError as err:
        raise errors.ConfigError("--scheduler needs dask and distributed: pip install \"fairshare[dask]\".") from err
    try:
        client = Client(args.scheduler, timeout=10)
    except OSError as err:
        raise errors.ConfigError(f"--scheduler {args.scheduler}: cannot reach a dask scheduler there ({err}).") from err
    with client:
        yield client


@contextmanager
def _step(args, text: str):
    if args.quiet or args.json:
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(text):
        yield


def _summarise(args, history, ev, out: Path) -> int:
    if args.quiet and not args.json:
        return 0
    if args.json:
        data = history.metadata.statement() if history.metadata is not None else "Data: not stated (your history)."
        print(json.dumps({"history": repr(history), "data": data, "report": str(out),
                          "scoreboard": _records(ev.scoreboard)}, indent=2, default=float))
        return 0
    from .features import network_summary

    if history.metadata is not None:
        print(history.metadata.statement())
    _print_table(f"fairshare {version}: {history!r}", network_summary(history))
    _print_table("Reward rules replayed over the history (per operator)", ev.headline().T)
    if "status_quo" in ev.scoreboard.index:
        sq = ev.scoreboard.loc["status_quo"]
        print(f"Under the status quo the median retail operator covers {sq['median_retail_coverage']:.0%} of its "
              f"electricity and depreciation; {sq['coverage_share_retail']:.0%} of retail operators cover them.")
    print(f"Report: {out.resolve() / 'report.md'} (also report.html, tables/, figures/, results/).")
    return 0


def _records(frame) -> list[dict]:
    return frame.reset_index().to_dict(orient="records")


def _print_table(title: str, frame) -> None:
    from rich.console import Console
    from rich.table import Table

    from .report.format import format_frame

    shown = format_frame(frame, by="row" if frame.index.name != "tier" else "column")
    table = Table(title=title)
    table.add_column(str(frame.index.name or ""), no_wrap=True)
    for col in shown.columns:
        table.add_column(str(col), justify="right")
    for label, row in shown.iterrows():
        table.add_row(str(label), *row.tolist())
    console = Console()
    if not console.is_terminal:
        console = Console(width=_WIDE)
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    """Run one ``fairshare`` command (``demo``, ``evaluate``, ``optimize``, ``simulate`` or ``report``).

    An error of a class in :data:`EXIT_CODES` (every subclass of :class:`~fairshare.errors.FairshareError`)
    is printed as one line on stderr and turned into its exit code; any other exception propagates with
    its traceback. Bad usage exits through argparse (``SystemExit`` with code 2). An interrupt (SIGINT,
    Ctrl-C) prints one line and returns :data:`INTERRUPTED` (130, the shell's code for it); an output
    directory being written is removed and an existing ``--out`` is left as it was.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments without the program name (e.g. ``["evaluate", "--data", "dir"]``);
        ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        Exit code: 0 on success, the code of the error's class in :data:`EXIT_CODES`, or 130 when
        interrupted.
    """
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    args = build_parser().parse_args(argv)
    args.argv = argv  # the reproduce command in a report's manifest
    run = {"demo": run_demo, "evaluate": run_evaluate, "optimize": run_optimize, "simulate": run_simulate,
           "report": run_report, "converge": run_converge}[args.command]
    try:
        return run(args)
    except errors.FairshareError as err:
        for cls, code in EXIT_CODES:
            if isinstance(err, cls):
                print(f"fairshare: error: {err}", file=sys.stderr)
                return code
        raise
    except KeyboardInterrupt:  # Ctrl-C: partial output is already removed on the way out
        print("fairshare: interrupted; nothing new was written to --out.", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
