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

EPILOG = """examples:
  fairshare demo                      summary of the built-in network (seed 0)
  fairshare demo --scale small --json machine-readable summary of a small network
  fairshare demo --data my_history/   the same for your own history directory
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fairshare", description="Measure and design fair token rewards for decentralized inference networks.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"fairshare {version}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the main job on the built-in network (or --data)",
                          epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    demo.add_argument("--data", help="history directory (CSV or Parquet) instead of the built-in network")
    demo.add_argument("--seed", type=int, default=0, help="seed of the built-in network (default 0)")
    demo.add_argument("--scale", default="default", help="scale of the built-in network: small or default")
    demo.add_argument("--json", action="store_true", help="print the summary as JSON")
    demo.add_argument("--quiet", action="store_true", help="print nothing on success")
    demo.set_defaults(run=lambda args: run_demo(args))
    return parser


def load_history(args):
    from .data import History

    if args.data:
        return History.read(args.data)
    from .datasets import default_network

    return default_network(seed=args.seed, scale=args.scale)


def run_demo(args) -> int:
    from .evaluate import evaluate
    from .features import aggregate, network_summary
    from .formulas import reference_rules

    history = load_history(args)
    features = aggregate(history)
    summary = network_summary(history, features)
    ev = evaluate(history, reference_rules(), features=features)
    if args.quiet:
        return 0
    if args.json:
        print(json.dumps({"history": repr(history), "summary": _records(summary),
                          "scoreboard": _records(ev.scoreboard)}, indent=2, default=float))
        return 0
    _print_table(f"fairshare {version}: {history!r}", summary)
    _print_table("Reward rules replayed over the history (per operator)", ev.headline().T)
    sq = ev.scoreboard.loc["status_quo"]
    print(f"Under the status quo the median retail operator covers {sq['median_retail_coverage']:.0%} of its "
          f"electricity and depreciation; {sq['coverage_share_retail']:.0%} of retail operators cover them.")
    return 0


def _records(frame) -> list[dict]:
    return frame.reset_index().to_dict(orient="records")


def _print_table(title: str, frame) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column(frame.index.name or "", no_wrap=True)
    for col in frame.columns:
        table.add_column(str(col), justify="right")
    for label, row in frame.iterrows():
        table.add_row(str(label), *(_fmt(v) for v in row))
    console = Console()
    if not console.is_terminal:
        console = Console(width=_WIDE)
    console.print(table)


def _fmt(value) -> str:
    if isinstance(value, float):
        if value != value:
            return "n/a"
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except errors.FairshareError as err:
        for cls, code in EXIT_CODES:
            if isinstance(err, cls):
                print(f"fairshare: error: {err}", file=sys.stderr)
                return code
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
