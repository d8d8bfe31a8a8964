"""The default emission-weight problem on the built-in network.

Usage::

    python examples/optimize_default_network.py [--scale default|small] [--seed 0]

What it prints:

1. the default problem at the history's token prices (least concentrated rule with
   hard full-cost coverage of active retail operators, energy coverage of the rest
   at CVaR 90%, a contribution floor, the Sybil bound and the fee-linked cap) -- or,
   when it cannot be had, by how much and from which budget or price it can;
2. the same problem at a flat $0.16 per token (OPG's price in mid-June 2026,
   shared/reference/domain-facts.md §1.4): the rule, its scoreboard next to the
   status quo (stake 50% / work 50%), who wins and loses, the binding constraints
   with their shadow prices, and what full coverage of every operator would need;
3. the price frontier from $0.05 to $0.50 (the cited range) on one compiled problem.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
import pandas as pd

import fairshare as fs
from fairshare.optimization import Basis

MARKET_PRICE_USD = 0.16  # domain-facts.md §1.4: about $0.16 in mid-June 2026
SCOREBOARD = ["hhi", "gini", "nakamoto_1/3", "top_10pct_share", "coverage_share", "coverage_share_retail",
              "energy_coverage_share", "median_retail_coverage", "sybil_gain_k2", "fake_demand_gain",
              "winners_share", "largest_loss_pct"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="default")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pd.set_option("display.width", 120)
    pd.set_option("display.max_columns", 12)

    history = fs.datasets.default_network(seed=args.seed, scale=args.scale)
    print(f"Built-in network: {history}")

    print("\n1. The default problem at the history's token prices")
    try:
        res = fs.optimize(history, oracle=False)
        print(f"   feasible: {res.formula.describe()}")
    except fs.errors.InfeasibleError as err:
        print("   " + str(err))

    flat = replace(history, token_price_usd=np.full(history.n_epochs, MARKET_PRICE_USD))
    basis = Basis.from_history(flat)
    print(f"\n2. The default problem at a flat ${MARKET_PRICE_USD} per token")
    res = fs.optimize(basis, evaluator=fs.evaluate)
    print(res.summary())
    print("\nScoreboard (fs.evaluate) next to the status quo:")
    print(res.scoreboard[SCOREBOARD].T.round(4).to_string())
    ops = res.operators
    print("\nWinners and losers against the status quo, by operator class:")
    table = ops.groupby("class").agg(operators=("change_pct", "size"), winners=("change_pct", lambda c: (c > 0).sum()),
                                     losers=("change_pct", lambda c: (c < 0).sum()),
                                     median_change_pct=("change_pct", "median"),
                                     covered=("coverage_ratio", lambda r: (r >= 1).mean()))
    print(table.round(2).to_string())
    print("\nLargest losses:")
    print(res.losers[["class", "tokens_status_quo", "tokens", "change_pct", "coverage_ratio"]].head(5).round(2)
          .to_string())
    fc = res.full_coverage
    print(f"\nFull coverage of every active operator's energy + depreciation would need "
          f"{fc['rule_budget_tokens_per_epoch']:,.0f} tokens per epoch with a Linear rule (a flat price of "
          f"${fc['rule_flat_price_usd']:.4f} at the schedule's {basis.emission_per_epoch.mean():,.0f}), and "
          f"{fc['oracle_budget_tokens_per_epoch']:,.0f} tokens per epoch (${fc['oracle_flat_price_usd']:.4f}) "
          "if every operator could be paid exactly its shortfall.")
    print(f"Price of simplicity: HHI {res.objective:.4f} for the rule against {res.oracle['objective']:.4f} for the "
          f"oracle under the same hard floors ({res.oracle['price_of_simplicity']:.2f}x).")

    print("\n3. Price frontier, $0.05 to $0.50 (one compiled problem)")
    front = fs.frontier(basis, over="price", values=np.round(np.linspace(0.05, 0.50, 10), 2))
    cols = ["status", "objective", "coverage_share", "coverage_share_retail", "w_stake", "w_availability", "w_fees",
            "w_identity_floor"]
    print(front.table[cols].round(4).to_string())
    print(front.summary())


if __name__ == "__main__":
    main()
