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

import json
import sys
from contextlib import contextmanager
from pathlib import Path

from .. import errors
from .._version import version
from ..report.pipeline import (  # noqa: F401
    FALLBACK_NAME,
    IDENTITY_COSTS,
    ROUTING_ARM,
    fallback_rule,
    fallback_status_quo,
    optimise_weights,
    routing_variant,
    simulate_forward,
)
from .console import _step
from .converge import read_ledger_convergence, run_converge
from .options import DEFAULT_OUT, DEMO_RUNS, build_parser  # noqa: F401

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

# ------------------------------------------------------------------------------------------------ commands
def run_demo(args) -> int:
    return run_evaluate(args, demo=True, optimise=True, forward=True)


def run_optimize(args) -> int:
    return run_evaluate(args, optimise=True)


def run_simulate(args) -> int:
    return run_evaluate(args, forward=True)


def run_evaluate(args, demo: bool = False, optimise: bool = False, forward: bool = False) -> int:
    from ..evaluation.engine import evaluate
    from ..features import aggregate
    from ..report.build import build_report
    from ..report.pipeline import appendix_tables, routing_arms

    if forward and (isinstance(args.runs, bool) or args.runs < 1):
        raise errors.ConfigError(f"--runs must be a whole number >= 1, got {args.runs}.")
    settings, own_rules = scenario_file_settings(getattr(args, "scenario", None)) if forward else ({}, False)
    out = _out_directory(args, demo)
    convergence = read_ledger_convergence(args) if demo else None
    with _step(args, "loading the history"):
        history = load_history(args)
    with cluster(args) as client:
        with _step(args, "aggregating the task log"):
            features = aggregate(history, client=client)
        rules = load_rules(getattr(args, "scenario", None))
        costs = attack_costs(args, history)
        result, notes, sweeps, relaxations = None, [], None, None
        proposal = label = None
        if optimise:
            band = None if getattr(args, "no_price_band", False) else "default"
            with _step(args, "solving for emission weights"):
                result, notes, sweeps, relaxations = optimise_weights(
                    history, getattr(args, "price", None), client, costs=costs, budget=getattr(args, "budget", None),
                    price_band=band)
            proposal, label = (result.formula, "proposal") if result is not None else (fallback_rule(), FALLBACK_NAME)
            rules[label] = proposal
        with _step(args, f"replaying {len(rules)} rules"):
            ev = evaluate(history, rules, features=features, client=client, attack_costs=costs)
        sim, appendix = None, None
        if forward:
            if proposal is None:
                proposal, label = fallback_rule(), FALLBACK_NAME
            if own_rules and not optimise:  # the scenario file's rules, the first as the base
                pair = dict(rules)
            else:
                pair = {"status_quo": rules.get("status_quo", fallback_status_quo()), label: proposal}
                if demo:  # change the routing instead of the emission: the same A/B, the same draws
                    pair.update(routing_arms(pair["status_quo"]))
            with _step(args, f"simulating {args.runs} runs of {len(pair)} rules"):
                sim, _ = simulate_forward(history, pair, args.runs, client, settings)
            if demo:
                with _step(args, "the A/B grid, the scenario triplet, worked examples, surface, ramp, validation"):
                    appendix = appendix_tables(history, ev, proposal=proposal, label=label,
                                               status_quo=pair["status_quo"], scenario_settings=settings)
    extra = None
    if optimise:  # the proposal (or the labelled fallback) as integer arithmetic a chain can run: export/
        from ..formulas import export

        extra = lambda tmp: export(proposal, tmp / "export", name=label)  # noqa: E731
    tables, meta = {}, {"proposal_label": label}
    for part in (appendix, convergence):
        if part is not None:
            tables.update(part["tables"])
            meta.update(part["meta"])
    _write(args, build_report(history, ev, optimization=result, simulation=sim, sensitivity=sweeps,
                              question=" ".join(notes) or None, relaxations=relaxations,
                              command=_command_line(args), tables=tables, facts=meta), out, extra=extra)
    return _summarise(args, history, ev, out)


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

    from ..simulation.engine import scenario_settings

    try:
        spec = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise errors.ConfigError(f"{path}: cannot read the scenario file ({err}).") from err
    return scenario_settings(spec.get("scenario", {}), source=str(path)), "rules" in spec


def attack_costs(args, history):
    """The attack costs of ``--identity-cost`` and ``--take-rate`` (the dataset's identity cost when not given)."""
    from ..attacks import AttackCosts

    base = AttackCosts.for_history(history, getattr(args, "identity_cost", None))
    take = getattr(args, "take_rate", 0.0)
    return base if not take else AttackCosts(**{**vars(base), "take_rate": take})


def run_report(args) -> int:
    from ..report.build import build_report
    from ..report.pipeline import load_saved

    out = _out_directory(args, False)
    convergence = read_ledger_convergence(args)
    with _step(args, "loading saved results"):
        saved = load_saved(args.results)
        ev = saved["evaluation"]
        history = load_history(args, ev.provenance)
        _same_inputs(args, ev.provenance, history.provenance)
    appendix = saved.get("appendix")
    tables, facts = (dict(appendix.tables), dict(appendix.meta)) if appendix is not None else ({}, {})
    if convergence is not None:  # the question answered on the ledger given now
        tables.update(convergence["tables"])
        facts.update(convergence["meta"])
    command = facts.pop("command", None) or _command_line(args)
    _write(args, build_report(history, ev, optimization=saved.get("optimization"),
                              simulation=saved.get("simulation"), command=command, tables=tables, facts=facts,
                              rebuilt_by=_command_line(args)), out)
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
    """The history of ``--data``, else what saved results recorded, else the built-in network.

    With saved results' ``provenance`` and no ``--data``: the built-in network with the recorded seed and scale,
    or the history directory the results were computed on (``provenance["source"]``; the caller checks its
    files against the recorded hashes). Other recorded data, or a recorded directory that is gone, need
    ``--data`` (a :class:`~fairshare.errors.ConfigError`).

    Parameters
    ----------
    args : argparse.Namespace
        The command's options (``data``, ``stream``, ``seed``, ``scale``).
    provenance : dict, optional
        The provenance of saved results (``report --results``).
    """
    from ..data import History

    if args.data:
        return History.read(args.data, stream=args.stream)
    if args.stream:
        raise errors.ConfigError("--stream reads the task log of --data in place; give --data DIRECTORY.")
    from ..datasets import open_inference_network
    from ..datasets.network import WHAT_IF_GENERATORS

    seed, scale = args.seed, args.scale
    if provenance and provenance.get("generator") in WHAT_IF_GENERATORS:
        seed, scale = provenance.get("seed", seed), provenance.get("scale", scale)
    elif provenance:
        source = provenance.get("source")
        if source and provenance.get("input_sha256") and Path(source).is_dir():
            return History.read(source)
        where = f"{source}, which is not there" if source else "data that are not the built-in network"
        raise errors.ConfigError(f"these results were computed on {where}: give that history with --data DIRECTORY.")
    return open_inference_network(seed=seed, scale=scale)


def _same_inputs(args, saved: dict, loaded: dict) -> None:
    """Refuse a history whose input files differ from the ones the saved results were computed on."""
    from ..data.io import changed_inputs

    differ = changed_inputs(saved.get("input_sha256"), loaded.get("input_sha256"))
    if differ:
        given = f"--data {args.data}" if args.data else loaded.get("source", "the history")
        raise errors.DataError(f"{given}: {', '.join(differ)} differ from the files the saved results were "
                               f"computed on ({saved.get('source', 'recorded in their provenance')}); give the same "
                               "history.")


def load_rules(path) -> dict:
    """Rules from a TOML scenario file, or fairshare's reference rules.

    The file holds ``[rules.NAME]`` tables (and may hold ``[scenario.*]`` tables, read by
    :func:`scenario_file_settings`); each rule table has a ``name`` (a rule of
    ``fairshare.formulas.REGISTRY``) and ``params``; a parameter that takes a rule (``base``)
    takes a nested table of the same form::

        [rules.capped_stake]
        name = "capped"
        params = { share_cap = 0.02, base = { name = "linear", params = { weights = { stake = 0.5, work = 0.5 } } } }

    An unknown table, key, rule name or parameter is a :class:`~fairshare.errors.ConfigError`
    with the closest valid spelling (:func:`fairshare.formulas.base.formula_from_spec`).

    Parameters
    ----------
    path : str or pathlib.Path or None
        The ``--scenario`` file; None gives :func:`fairshare.formulas.reference_rules`.
    """
    from ..formulas import reference_rules
    from ..formulas.base import formula_from_spec

    if path is None:
        return reference_rules()
    import difflib
    import tomllib

    try:
        spec = tomllib.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise errors.ConfigError(f"{path}: cannot read the scenario file ({err}).") from None
    for key in spec:
        if key not in ("rules", "scenario"):
            close = difflib.get_close_matches(key, ["rules", "scenario"], n=1)
            hint = f" (did you mean [{close[0]}.NAME]?)" if close else ""
            raise errors.ConfigError(f"{path}: unknown table or key {key!r}{hint}; a scenario file holds [rules.NAME] "
                                     "and [scenario.MECHANISM] tables.")
    tables = spec.get("rules")
    if tables is None and "scenario" in spec:  # a file of [scenario.*] tables only: the reference rules
        return reference_rules()
    if not isinstance(tables, dict) or not tables:
        raise errors.ConfigError(f"{path}: no [rules.NAME] tables; see `fairshare evaluate --help` for the format.")
    return {name: formula_from_spec(table, f"{path}: [rules.{name}]") for name, table in tables.items()}


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
    from ..report.build import write_report

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
    except (OSError, ValueError, TypeError) as err:  # unreachable, or not an address (ValueError: no port)
        raise errors.ConfigError(f"--scheduler {args.scheduler}: cannot reach a dask scheduler there ({err}); give "
                                 "its address, e.g. tcp://host:8786.") from None
    with client:
        yield client


def _summarise(args, history, ev, out: Path) -> int:
    if args.quiet and not args.json:
        return 0
    if args.json:
        data = history.metadata.statement() if history.metadata is not None else "Data: not stated (your history)."
        print(json.dumps({"history": repr(history), "data": data, "report": str(out),
                          "scoreboard": _records(ev.scoreboard)}, indent=2, default=float))
        return 0
    from ..features import network_summary

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

    from ..report.format import format_frame

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
        _check_arguments(args)
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


def _check_arguments(args) -> None:
    """Checks of option values argparse's types leave open (a ConfigError, exit 4, before any work)."""
    if getattr(args, "seed", 0) < 0:
        raise errors.ConfigError(f"--seed must be a whole number >= 0, got {args.seed}.")
    breaks = getattr(args, "breaks", "") or ""
    bad = [b for b in breaks.split(",") if b.strip() and not b.strip().lstrip("-").isdigit()]
    if bad:
        raise errors.ConfigError(f"--breaks takes comma-separated whole epochs (e.g. --breaks 120,240), "
                                 f"got {bad[0]!r}.")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
