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

_WIDE = 200  # columns when printing to a file or pipe (rich would use 80)
DEFAULT_OUT = "fairshare-report"
#: domain-facts.md §1.4: OPG traded at about $0.16 in mid-June 2026; the demo's fallback flat price.
REFERENCE_PRICE_USD = 0.16
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
                           help=f"solve at this flat token price (USD); default: the history's prices, and "
                                f"${REFERENCE_PRICE_USD} if the problem cannot be had at them")
        if name in ("simulate", "demo"):
            p.add_argument("--runs", type=int, default=DEMO_RUNS if name == "demo" else 100,
                           help=f"simulation runs (demo default {DEMO_RUNS}, simulate default 100)")
        if name in ("evaluate", "demo", "optimize", "simulate"):
            p.add_argument("--scenario", help="TOML file with [rules.NAME] tables (default: fairshare's reference "
                                              "status quo and alternatives)")
        if name == "report":
            p.add_argument("--results", required=True, help="a saved evaluation directory (results/evaluation)")
    return parser


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

    out = _out_directory(args, demo)
    with _step(args, "loading the history"):
        history = load_history(args)
    with cluster(args) as client:
        with _step(args, "aggregating the task log"):
            features = aggregate(history, client=client)
        rules = load_rules(getattr(args, "scenario", None))
        result, notes, sweeps = None, [], None
        if optimise:
            with _step(args, "solving for emission weights"):
                result, notes, sweeps = optimise_weights(history, getattr(args, "price", None), client)
            rules["optimised"] = result.formula
        with _step(args, f"replaying {len(rules)} rules"):
            ev = evaluate(history, rules, features=features, client=client)
        sim = None
        if forward:
            rule = result.formula if result is not None else next(iter(rules.values()))
            with _step(args, f"simulating {args.runs} runs"):
                sim, note = simulate_forward(history, rule, args.runs, client)
            notes += [note] if note else []
    question = None if not notes else " ".join(notes)
    _write(args, build_report(history, ev, optimization=result, simulation=sim, sensitivity=sweeps,
                              question=question), out)
    return _summarise(args, history, ev, out)


def simulate_forward(history, rule, runs: int, client=None):
    """``runs`` runs of the history's network under ``rule`` (seed 0), or a note saying why not."""
    from .simulation.engine import Scenario, simulate

    try:
        return simulate(Scenario.from_history(history), rule, runs=runs, seed=0, client=client), None
    except errors.ConfigError as err:
        return None, f"No simulation: {err}"


def optimise_weights(history, price: float | None = None, client=None):
    """The default problem at the history's prices (or a flat ``price``), with its sweeps.

    When it cannot be had at the history's prices, the diagnosis goes into the
    notes and the problem is solved at :data:`REFERENCE_PRICE_USD` instead.
    Returns the result (with its price frontier), the notes, and frontiers over
    the budget (0.5x to 3x the emission) and over the cited ranges of
    electricity tariff and depreciation life.
    """
    from dataclasses import replace

    import numpy as np

    from .optimization import frontier, optimize

    notes = []
    flat = lambda usd: replace(history, token_price_usd=np.full(history.n_epochs, float(usd)))  # noqa: E731
    if price is not None:
        history = flat(price)
    try:
        result = optimize(history)
    except errors.InfeasibleError as err:
        if price is not None:
            raise
        notes.append(f"At the history's token prices the default problem cannot be had: {err} The proposal below "
                     f"is solved at a flat ${REFERENCE_PRICE_USD} per token (domain-facts.md §1.4).")
        history = flat(REFERENCE_PRICE_USD)
        result = optimize(history)
    sweep = frontier(history, over="price", values=np.round(np.linspace(0.05, 0.50, 10), 2), client=client)
    budgets = np.linspace(0.5, 3.0, 6) * float(history.emission_tokens.mean())
    sweeps = {"budget": frontier(history, over="budget", values=budgets, client=client),
              **{knob: frontier(history, over=knob, client=client)
                 for knob in ("electricity_usd_per_kwh", "depreciation_life_years")}}
    return result.with_frontier(sweep), notes, sweeps


def run_report(args) -> int:
    from . import results_io
    from .report.build import build_report

    out = _out_directory(args, False)
    with _step(args, "loading saved results"):
        ev = results_io.load(args.results)
        history = load_history(args, ev.provenance)
    _write(args, build_report(history, ev), out)
    return _summarise(args, history, ev, out)


# ------------------------------------------------------------------------------------------------ helpers
def load_history(args, provenance: dict | None = None):
    """The history of ``--data``, else the built-in network (seed and scale from saved provenance if given)."""
    from .data import History

    if args.data:
        return History.read(args.data, stream=args.stream)
    if args.stream:
        raise errors.ConfigError("--stream reads the task log of --data in place; give --data DIRECTORY.")
    from .datasets import default_network

    seed, scale = args.seed, args.scale
    if provenance and provenance.get("generator") == "fairshare.datasets.default_network":
        seed, scale = provenance.get("seed", seed), provenance.get("scale", scale)
    return default_network(seed=seed, scale=scale)


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
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        previous = out / "manifest.json"
        is_report = previous.exists() and "sections" in json.loads(previous.read_text() or "{}")
        if not (demo and is_report and args.out == DEFAULT_OUT):
            raise errors.ConfigError(f"{out} exists and is not empty. Choose another --out or pass --overwrite.")
        args.overwrite = True  # the demo refreshes its own default report
    return out


def _write(args, report, out: Path) -> None:
    from .report.build import write_report

    with _step(args, f"writing the report to {out}"):
        write_report(report, out, overwrite=args.overwrite)


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
        print(json.dumps({"history": repr(history), "report": str(out), "scoreboard": _records(ev.scoreboard)},
                         indent=2, default=float))
        return 0
    from .features import network_summary

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
    its traceback. Bad usage exits through argparse (``SystemExit`` with code 2).

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments without the program name (e.g. ``["evaluate", "--data", "dir"]``);
        ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        Exit code: 0 on success, else the code of the error's class in :data:`EXIT_CODES`.
    """
    args = build_parser().parse_args(argv)
    run = {"demo": run_demo, "evaluate": run_evaluate, "optimize": run_optimize, "simulate": run_simulate,
           "report": run_report}[args.command]
    try:
        return run(args)
    except errors.FairshareError as err:
        for cls, code in EXIT_CODES:
            if isinstance(err, cls):
                print(f"fairshare: error: {err}", file=sys.stderr)
                return code
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
