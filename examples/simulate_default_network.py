"""What the built-in network does over its first year under the status quo and under an alternative rule.

Simulates the hypothetical open-inference network (``fs.datasets.open_inference_network``) from TGE for
365 days, ``--runs`` Monte Carlo runs per rule (default 200), with every mechanism at its cited
default: the OPG unlock calendar and the staking pool's emission, a geometric Brownian price,
operators joining and leaving on their margins, delegated capital following the staking yield,
demand growing as in the network's year and routed by its router, and fake demand by operators
whose rule pays for it. Three rules are simulated together (``fs.simulate(..., rules={...})``) on
common random numbers, so each comparison is paired run by run (``result.difference``, with intervals
across runs):

* status quo: ``Linear({"stake": 0.5, "work": 0.5})``, fairshare's reference stake-and-work rule;
* alternative: ``Linear({"work": 0.6, "small_task_work": 0.2, "identity_floor": 0.2})``: paid for
  work, with extra weight on small (retail-sized) tasks and an equal floor per working identity;
* governance change: the status quo, phased into the alternative over 30 days from day 90;
* routing levers, with the status quo's emission (``Variant`` arms): no node takes more than 5% of a
  class's demand in an epoch (``Routing(node_cap=0.05)``), and nodes that join later start at the
  fair tier and earn their own score over 90 days (``Routing(newcomer_reputation="fair")``).

Run: ``python examples/simulate_default_network.py [--runs 200] [--scale default] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

import fairshare as fs
from fairshare.simulation import Routing, RuleChange, Variant

STATUS_QUO = fs.formulas.Linear({"stake": 0.5, "work": 0.5})
ALTERNATIVE = fs.formulas.Linear({"work": 0.6, "small_task_work": 0.2, "identity_floor": 0.2})
HEADLINES = {"retail_survival": "{:.1%}", "retail_share": "{:.1%}", "reward_gini": "{:.3f}",
             "operators": "{:.0f}", "capital_share": "{:.1%}", "fake_work_share": "{:.2%}",
             "price_usd": "${:.3f}", "circulating_tokens": "{:,.0f}"}


def progress_bar(label):
    """A progress callback (what the CLI passes): a live percentage on a terminal, nothing otherwise."""
    def report(done, total):
        if sys.stdout.isatty():
            sys.stdout.write(f"\r  {label}: {done / total:6.1%}" + ("\r" if done == total else ""))
            sys.stdout.flush()
    return report


def band(sim, measure, epoch, fmt):
    values = sim.measure(measure).loc[epoch].to_numpy()
    lo, mid, hi = np.nanquantile(values, [0.05, 0.5, 0.95])
    return f"{fmt.format(mid)} [{fmt.format(lo)}, {fmt.format(hi)}]"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--scale", default="default", choices=["small", "medium", "default"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pd.set_option("display.width", 140)

    began = time.perf_counter()
    scenario = fs.Scenario.default(seed=0, scale=args.scale)
    net = scenario.network
    print(f"Built-in network ({args.scale}): {net.n_nodes} node keys, {net.n_operators} operators, "
          f"{int(net.initial_ops.sum())} active at TGE; demand growth "
          f"{np.expm1(scenario.fitted_growth):+.0%} a year (the network's own trend). "
          f"Set-up {time.perf_counter() - began:.1f} s.")
    rules = {"status quo": STATUS_QUO, "alternative": ALTERNATIVE,
             "switch at day 90": RuleChange(STATUS_QUO, ALTERNATIVE, at=90, over=30),
             "node cap 5%": Variant(STATUS_QUO, routing=Routing(node_cap=0.05)),
             "cold start": Variant(STATUS_QUO, routing=Routing(newcomer_reputation="fair"))}
    ab = fs.simulate(scenario, rules=rules, runs=args.runs, seed=args.seed, progress=progress_bar("rules"))
    sims = {name: ab.rule(name) for name in ab.rules}  # one result per rule, on common random numbers
    for name, sim in sims.items():
        print(f"  {name}: {sim.path} path, {sim.seconds:.1f} s")
    print(f"Data: {ab.provenance['data']}.")
    first = next(iter(sims.values()))
    last = first.epochs[-1]

    print("\nUnlock calendar (tokens, the same in every run): the buckets' first unlocks")
    events = first.unlock_events()
    print(events.to_string(index=False, formatters={"tokens": "{:,.0f}".format,
                                                    "tokens_30_epochs": "{:,.0f}".format}))
    monthly = first.monthly_unlocks().sum(axis=1)
    sell = first.bands("sell_pressure_tokens", (0.5,)).iloc[:, 0]
    per = 30
    sold = sell.groupby(np.arange(len(sell)) // per).sum().to_numpy()
    print("Unlocked per 30 days (M tokens): " + ", ".join(f"{v / 1e6:.1f}" for v in monthly.to_numpy()[:13]))
    print("Median sell pressure per 30 days (M tokens): " + ", ".join(f"{v / 1e6:.1f}" for v in sold[:13]))

    print(f"\nAt day {last}, median [5%-95% band] across {args.runs} runs:")
    table = {name: {m: band(sim, m, last, fmt) for m, fmt in HEADLINES.items()} for name, sim in sims.items()}
    print(pd.DataFrame(table).to_string())

    print("\nRetail survival (share of TGE retail operators still active), median [band]:")
    days = [d for d in (30, 60, 90, 180, 270, last) if d <= last]
    print(pd.DataFrame({name: {f"day {d}": band(sim, "retail_survival", d, "{:.1%}") for d in days}
                        for name, sim in sims.items()}).to_string())

    print("\nFake demand (work bought by operators from their own nodes):")
    for name, sim in sims.items():
        work = sim.measure("fake_work_units").sum()
        share = np.nanmean(sim.values[:, :, sim.measures.index("fake_work_share")], axis=1)
        print(f"  {name:17s} {np.median(work):.3g} work units over the year (median run), "
              f"{np.median(share):.2%} of all work on average; at most "
              f"{np.nanmax(sim.measure('fakers_buying').to_numpy()):.0f} operators buying in one epoch")

    a, b = (sims[k].final() for k in ("status quo", "alternative"))
    better = (b["retail_survival"] > a["retail_survival"]).mean()
    print(f"\nPaired by run: the alternative keeps more TGE retail operators than the status quo in "
          f"{better:.0%} of runs; median gini of rewards {np.nanmedian(a['reward_gini']):.3f} -> "
          f"{np.nanmedian(b['reward_gini']):.3f}.")
    measures = ["retail_survival", "retail_share", "reward_gini", "reward_hhi", "operators", "capital_share",
                "price_usd", "circulating_tokens"]
    measures.append("unserved_work_share")
    for other in ("alternative", "switch at day 90", "node cap 5%", "cold start"):
        diff = ab.difference(other, "status quo", measures)
        print(f"\n{diff.attrs['statement']}:")
        print(diff[["a", "b", "difference", "low", "high", "kind"]].to_string(float_format=lambda x: f"{x:.4g}"))
    print(f"Total time {time.perf_counter() - began:.1f} s.")


if __name__ == "__main__":
    main()
