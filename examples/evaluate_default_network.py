"""Replay the status-quo rule and eight alternatives on the built-in network.

Usage: ``python examples/evaluate_default_network.py [--seed 0] [--scale default|small] [--data DIR]``

Prints the scoreboard (concentration per operator, cost coverage overall and
per operator class, monthly earnings per node by tier, Sybil / merge /
fake-demand gains, winners and losers against the status quo), the trend of
the retail share of rewards, and the motivating observation: how much of
their electricity and depreciation retail operators' rewards cover.
"""

from __future__ import annotations

import argparse

import pandas as pd

import fairshare as fs


def main(argv=None) -> fs.Evaluation:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", default="default")
    parser.add_argument("--data", help="a history directory instead of the built-in network")
    args = parser.parse_args(argv)
    history = fs.History.read(args.data) if args.data else fs.datasets.open_inference_network(seed=args.seed,
                                                                                        scale=args.scale)
    ev = fs.evaluate(history, fs.formulas.reference_rules())
    with pd.option_context("display.width", 200, "display.max_columns", 40, "display.float_format",
                           lambda v: f"{v:,.4g}"):
        print(history)
        print("\nScoreboard (rows: rules; operators are the unit of fairness):")
        print(ev.headline().T.to_string())
        print("\nTrend of the retail share of rewards:")
        for name, text in ev.trend["statement"].items():
            print(f"  {name}: {text}")
    sq = ev.scoreboard.loc["status_quo"]
    print(f"\nUnder the status quo, the median retail operator's rewards and fees cover "
          f"{sq['median_retail_coverage']:.0%} of its electricity and depreciation "
          f"(the complaint that motivates fairshare: under a third); "
          f"{sq['coverage_share_retail']:.0%} of retail operators cover their costs.")
    return ev


if __name__ == "__main__":
    main()
