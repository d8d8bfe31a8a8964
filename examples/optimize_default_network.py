"""The default emission-weight problem on the built-in open-inference what-if network.

Usage::

    python examples/optimize_default_network.py [--scale default|small] [--seed 0]

What it prints:

1. the default problem at the history's token prices (closest to proportional-to-work,
   hard full-cost coverage of active retail operators, energy coverage of the rest at
   CVaR 90%, a contribution floor, no attack of the library paying, over a price band of
   0.5x to 2x) with no identity cost and no protocol take stated: it cannot be had, and the
   error says what would have to change (docs/attacks.md);
2. the same problem over the share of fees the protocol keeps, in the what-if where a
   key costs $1,000,000 an epoch (so no attack that needs a new key pays);
3. the proposal at the smallest take of that frontier that works: its weights, its
   scoreboard next to the status quo (stake 50% / work 50%) with every attack's net gain
   at the same costs, and who wins and loses.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

import fairshare as fs
from fairshare.attacks import AttackCosts

TAKES = (0.0, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5, 0.8, 1.0)
SCOREBOARD = ["hhi", "gini", "top_10pct_share", "coverage_share", "coverage_share_retail", "median_retail_coverage",
              "best_attack_net_gain", "best_attack", "winners_share", "largest_loss_pct"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="default")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pd.set_option("display.width", 140)
    pd.set_option("display.max_columns", 14)

    history = fs.datasets.open_inference_network(seed=args.seed, scale=args.scale)
    print(f"Built-in network (synthetic, a what-if): {history}")

    print("\n1. The default problem, nothing stated about what attacks cost")
    try:
        res = fs.optimize(history, oracle=False)
        print(f"   feasible: {res.formula.describe()}")
    except fs.errors.InfeasibleError as err:
        print("   " + str(err))

    print("\n2. Over the protocol's take of fees, keys priced out (a what-if)")
    priced_out = AttackCosts(identity_cost_usd=1e6, identity_cost_source="a what-if: keys priced out")
    front = fs.frontier(history, over="take_rate", values=TAKES, attack_costs=priced_out)
    cols = ["status", "objective", "coverage_share_retail"] + [c for c in front.table if c.startswith("w_")]
    print(front.table[[c for c in cols if c in front.table]].round(4).to_string())
    print("   binding where feasible:")
    for take, row in front.feasible.iterrows():
        print(f"   take {take:.0%}: {row['binding']}")

    feasible = front.feasible.index
    if not len(feasible):
        print("\nNo take in the frontier makes the problem feasible: no proposal to show.")
        return
    take = float(feasible.min())
    costs = AttackCosts(identity_cost_usd=1e6, take_rate=take, identity_cost_source="a what-if: keys priced out")
    print(f"\n3. The proposal with a {take:.0%} take and keys priced out")
    res = fs.optimize(history, attack_costs=costs, oracle=False,
                      evaluator=lambda h, rules: fs.evaluate(h, rules, attack_costs=costs))
    print(res.summary())
    print("\nScoreboard (fs.evaluate, the same attack costs) next to the status quo:")
    print(res.scoreboard[SCOREBOARD].T.to_string())
    ops = res.operators
    print("\nWinners and losers against the status quo, by operator class:")
    table = ops.groupby("class").agg(operators=("change_pct", "size"), winners=("change_pct", lambda c: (c > 0).sum()),
                                     losers=("change_pct", lambda c: (c < 0).sum()),
                                     median_change_pct=("change_pct", "median"),
                                     covered=("coverage_ratio", lambda r: (r >= 1).mean()))
    print(table.round(2).to_string())
    gain = float(res.scoreboard.loc["optimum", "best_attack_net_gain"])
    print(f"\nBest attack on the proposal nets {gain:.3f}x its cost ({'pays' if gain > 1 else 'does not pay'}); "
          f"on the status quo {float(res.scoreboard.loc['status_quo', 'best_attack_net_gain']):.3g}x.")
    assert np.isfinite(gain)


if __name__ == "__main__":
    main()
