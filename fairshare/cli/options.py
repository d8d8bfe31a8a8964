"""The command line's parser: every command, its options and its examples."""

from __future__ import annotations

import argparse

from .._version import version

DEFAULT_OUT = "fairshare-report"
#: Simulation runs of `fairshare demo` (fixed so the demo's report is the same on every machine).
DEMO_RUNS = 20

EPILOG = """examples:
  fairshare demo                                 the whole pipeline on the built-in network;
                                                 report in ./fairshare-report
  fairshare demo --scale small --out /tmp/r      a quick run on the small network
  fairshare evaluate --data my_history/ --scenario rules.toml --out my_report
  fairshare report --results my_report/results --data my_history/ --out rebuilt
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
        if name in ("demo", "report"):
            _ledger_options(p)
        if name == "report":
            p.add_argument("--results", required=True,
                           help="a report's saved results (its results/ directory, or results/evaluation)")
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


def _ledger_options(p):
    """``--ledger FILE [--labels FILE]``: the appendix's convergence verdict on a payout ledger."""
    g = p.add_argument_group("payout ledger (the question's answer on real payouts; fairshare converge --help)")
    g.add_argument("--ledger", metavar="FILE",
                   help="payout ledger (CSV, Parquet or a directory of Parquet files), or a directory written by "
                        "fairshare converge; default: the synthetic history's own replay, labelled synthetic")
    g.add_argument("--labels", metavar="FILE", help="CSV with address,entity[,class] (default: key level)")
    g.add_argument("--ledger-time", default="epoch", help="the ledger's time column (default epoch)")
    g.add_argument("--ledger-address", default="address", help="the ledger's address column (default address)")
    g.add_argument("--ledger-amount", default="amount", help="the ledger's amount column (default amount)")
    g.add_argument("--ledger-unit", choices=("base", "token"), default="base",
                   help="amounts in integer base units (default) or decimal tokens")
    g.add_argument("--ledger-decimals", type=int, default=0, help="decimals of the ledger's token (default 0)")
    g.add_argument("--ledger-epoch", default=None, help="epoch length of the ledger, e.g. 1d, 2d")
    g.add_argument("--ledger-missing", choices=("raise", "no_record"), default="raise",
                   help="a missing amount is an error (default) or 'no record' (dropped and counted)")
    g.add_argument("--ledger-network", default="unspecified", help="network name printed with the verdict")
    g.add_argument("--ledger-synthetic", action="store_true", help="the ledger is generated, not real")


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
