"""Benchmark of the emission-weight optimiser (not a test). Prints every figure from one run.

Run: ``python benchmarks/bench_optimize.py [--points 50] [--scale default] [--quick] [--json PATH]``

``--quick``: 10 frontier points on the same network, the oracle for 10^4 and 10^5 operators,
the 12-weight rule for 10^4.

1. Frontiers on the built-in network: the default problem's coverage, contribution floor and no-attack-pays
   constraints (under attack costs where some rules are attack-proof: keys priced out, a 20% take on fees;
   the full default problem has no feasible point there) at a flat token price,
   ``--points`` prices from $0.05 to $0.50, solved on one compiled DPP problem
   whose Parameters change, against building and compiling a fresh problem per
   point. Build, first compile and solve times are reported apart; the objectives
   of both runs are compared. Four variants: the default objective (distance from
   proportional), HHI, Gini (cutting planes, cuts kept between points), and HHI with
   per-epoch energy coverage of retail operators.
2. The per-operator oracle ``fs.allocate`` (exact water-filling, weighted
   alpha-fair) for 10^4, 10^5 and 10^6 operators: time and peak traced memory.
3. A 12-weight rule with ``hhi`` and ``gini`` objectives for 10^4 and 10^5
   operators (synthetic heavy-tailed component shares, a 1% share cap, hard
   energy coverage of 10% of operators): build and solve time, cutting-plane
   rounds, and peak resident memory of a fresh process per case (Gini must not
   grow quadratically: its memory and time per round grow with n, never n^2).

Target: a 50-point frontier on one compiled problem at least 5x faster than rebuilding per point. Two
readings of "rebuilding": (a) ``frontier(rebuild=True)``, which builds and compiles a fresh problem per point
from the same basis (the attack rows it derives are cached on the basis), and (b) a fresh ``fs.optimize``
from the history per point (basis, attack rows and problem all rebuilt), what a user without frontiers does.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from benchkit import Options, Row

import fairshare as fs
from fairshare.attacks import AttackCosts
from fairshare.optimization import Basis, Coverage, EmissionProblem, ShareCap, default_constraints

HERE = Path(__file__).resolve()


# ---------------------------------------------------------------- 1. frontiers
def frontier_case(basis, objective, constraints, prices, label):
    fs.frontier(basis, over="price", values=prices[:2], objective=objective, constraints=constraints)  # warm-up
    runs = {}
    for rebuild in (False, True):
        start = time.perf_counter()
        fr = fs.frontier(basis, over="price", values=prices, objective=objective, constraints=constraints,
                         rebuild=rebuild)
        runs[rebuild] = (time.perf_counter() - start, fr)
    (t1, one), (tn, many) = runs[False], runs[True]
    gaps = np.abs(one.table["objective"] - many.table["objective"]).to_numpy()
    diff = float(np.nanmax(gaps)) if np.isfinite(gaps).any() else float("nan")
    feasible = int((one.table["status"] != "infeasible").sum())
    print(f"  {label}: {len(prices)} points ({feasible} feasible)")
    for name, (t, fr) in (("one compiled problem", runs[False]), ("rebuilt per point  ", runs[True])):
        print(f"    {name}: total {t:7.3f} s = build {fr.build_s:6.3f} s + solves {fr.solve_s:7.3f} s "
              f"(first compile {fr.compile_s * 1e3:5.1f} ms; {fr.solve_s / len(prices) * 1e3:6.1f} ms per point)")
    print(f"    speed-up {tn / t1:.1f}x; largest objective difference {diff:.1e}")
    return [Row.check(f"frontier speed-up, {label}", tn / t1, "x", ">=", 5,
                      f"{len(prices)} points: {t1:.2f} s on one compiled problem, {tn:.2f} s rebuilt per point; "
                      f"largest objective difference {diff:.1e}"),
            Row.info(f"frontier solve per point, {label}", runs[False][1].solve_s / len(prices) * 1e3, "ms")]


def fresh_case(history, basis, constraints, prices, timed: int = 2):
    """The frontier against what a user without it does: ``fs.optimize`` from the history at every point (the
    basis, the attack rows and the problem built afresh each time); timed on ``timed`` points, multiplied out."""
    start = time.perf_counter()
    fs.frontier(basis, over="price", values=prices, constraints=constraints)
    t1 = time.perf_counter() - start
    start = time.perf_counter()
    for p in prices[:timed]:
        try:
            fs.optimize(history, constraints=constraints, price=float(p), oracle=False)
        except fs.errors.InfeasibleError:
            pass
    per_point = (time.perf_counter() - start) / timed
    tn = per_point * len(prices)
    print(f"  default problem against fs.optimize from the history per point: frontier {t1:.2f} s; fresh "
          f"{per_point:.2f} s per point (timed on {timed}) -> {tn:.0f} s for {len(prices)}; speed-up {tn / t1:.0f}x")
    return [Row.check("frontier speed-up against fs.optimize from the history per point, default problem", tn / t1,
                      "x", ">=", 5, f"{len(prices)} points: frontier {t1:.2f} s; a fresh optimize {per_point:.2f} s "
                      f"per point (basis, attack rows and problem rebuilt), timed on {timed} points and multiplied "
                      f"out", judged=len(prices) >= 50)]


def frontiers(scale: str, points: int):
    print(f"1. Frontiers over the token price on the built-in network (scale={scale!r})")
    t = time.perf_counter()
    history = fs.datasets.open_inference_network(seed=0, scale=scale)
    basis = Basis.from_history(history)
    print(f"  {history}; basis built in {time.perf_counter() - t:.1f} s ({basis.n_operators} operators, "
          f"{len(basis.components)} components)")
    prices = np.linspace(0.05, 0.50, points)
    # coverage, the contribution floor and "no attack pays" of the default problem, under attack costs where some
    # rules are attack-proof (keys priced out, a 20% take on fees): the full default problem has no feasible point
    # on this network (its InfeasibleError says why), and a frontier of infeasible points measures nothing
    costs = AttackCosts(identity_cost_usd=1e6, take_rate=0.2)
    default = [c for c in default_constraints(attack_costs=costs)
               if type(c).__name__ not in ("ConcentrationCap", "SubsidyCap")]
    per_epoch = [Coverage(who="retail", cost="energy", per_epoch=True)] + default[1:]
    rows = fresh_case(history, basis, default, prices)
    return rows + (frontier_case(basis, "distance_from_proportional", default, prices, "default problem")
            + frontier_case(basis, "hhi", default, prices, "default constraints, hhi")
            + frontier_case(basis, "gini", default, prices, "default constraints, gini")
            + frontier_case(basis, "hhi", per_epoch, prices, "hhi, per-epoch energy coverage of retail operators"))


# ---------------------------------------------------------------- 2. oracle
def oracle(sizes):
    print("\n2. Oracle fs.allocate (exact paths, no solver)")
    rng = np.random.default_rng(0)
    rows = []
    for n in sizes:
        floors = rng.pareto(1.5, n)
        caps = floors + rng.pareto(1.2, n) * 5.0
        budget = floors.sum() + 0.5 * (caps.sum() - floors.sum())
        weights = rng.uniform(0.5, 2.0, n)
        if n == sizes[0]:  # compile the kernel before timing
            fs.allocate(float(floors[:10].sum() + 1.0), floors[:10], caps=caps[:10] + 1.0)
        for objective, kw in (("hhi", {}), ("alpha_fair", {"weights": weights, "alpha": 2.0})):
            tracemalloc.start()
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                fs.allocate(budget, floors, objective=objective, caps=caps, **kw)
                best = min(best, time.perf_counter() - start)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"  n = {n:>9,}  {objective:<10}: {best * 1e3:8.1f} ms (best of 3), peak traced {peak / 1e6:7.1f} MB")
            rows.append(Row.info(f"oracle fs.allocate {objective}, n = {n:,}", best * 1e3, "ms",
                                 f"peak traced {peak / 1e6:.1f} MB"))
    return rows


# ---------------------------------------------------------------- 3. 12-weight rule
def synthetic(k: int, c: int = 12, seed: int = 0) -> Basis:
    rng = np.random.default_rng(seed)
    q = rng.pareto(1.2, (k, c)) * rng.random((k, 1)) ** 2 + 1e-3 * rng.random((k, c))
    tokens = q / q.sum(axis=0) * 1e6
    cost = tokens.mean(axis=1) * 0.3 * rng.uniform(0.2, 1.5, k)
    classes = np.where(rng.random(k) < 0.1, "retail", "colocation")
    return Basis.from_arrays(tokens, price_usd=1.0, energy_usd=0.4 * cost, depreciation_usd=0.6 * cost,
                             emission_tokens=1e6, classes=classes)


def one_case(k: int, objective: str) -> dict:
    basis = synthetic(k)
    warm = synthetic(50)  # imports and JIT outside the measurement
    EmissionProblem(warm, objective, [ShareCap(0.05), Coverage(who="retail", cost="energy")]).solve()
    tracemalloc.start()
    start = time.perf_counter()
    problem = EmissionProblem(basis, objective, [ShareCap(0.01), Coverage(who="retail", cost="energy")])
    built = time.perf_counter()
    sol = problem.solve()
    done = time.perf_counter()
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"k": k, "objective": objective, "status": sol.status, "value": sol.objective, "build_s": built - start,
            "solve_s": done - built, "rounds": sol.cuts, "gap": sol.gap, "traced_mb": traced / 1e6,
            "rss_peak_mb": peak / 1e3, "data_mb": basis.tokens.nbytes / 1e6}


def rules(sizes):
    print("\n3. A 12-weight rule (1% share cap, hard energy coverage of 10% of operators), fresh process per case")
    cases, rows = {}, []
    for k in sizes:
        for objective in ("hhi", "gini"):
            out = subprocess.run([sys.executable, str(HERE), "--case", str(k), objective], capture_output=True,
                                 text=True, check=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            cases[(k, objective)] = r
            print(f"  n = {k:>7,} {objective:<4}: {r['status']}, objective {r['value']:.6f}; "
                  f"build {r['build_s']:.2f} s, solve {r['solve_s']:6.2f} s "
                  f"({r['rounds']} cutting-plane rounds, gap {r['gap']:.1e}); "
                  f"peak traced {r['traced_mb']:.0f} MB (the share matrix is {r['data_mb']:.0f} MB), "
                  f"peak RSS {r['rss_peak_mb']:.0f} MB")
            rows.append(Row.info(f"12-weight rule {objective}, n = {k:,}: build + solve", r["build_s"] + r["solve_s"],
                                 "s", f"{r['status']}, {r['rounds']} cutting-plane rounds, peak RSS "
                                      f"{r['rss_peak_mb']:.0f} MB"))
    if len(sizes) > 1:
        a, b = sizes[0], sizes[-1]
        ga, gb = cases[(a, "gini")], cases[(b, "gini")]
        per_round = (gb["solve_s"] / max(gb["rounds"], 1)) / (ga["solve_s"] / max(ga["rounds"], 1))
        print(f"  gini from n = {a:,} to {b:,} ({b // a}x): traced memory x{gb['traced_mb'] / ga['traced_mb']:.1f}, "
              f"time per round x{per_round:.1f} (quadratic growth would be x{(b // a) ** 2})")
        rows.append(Row.info(f"gini time per round, n = {a:,} -> {b:,}", per_round, "x",
                             f"traced memory x{gb['traced_mb'] / ga['traced_mb']:.1f}; "
                             f"quadratic growth would be x{(b // a) ** 2}"))
    return rows


def options() -> Options:
    cli = Options("optimize", "benchmark of fairshare.optimization")
    cli.add_sized("--points", full=50, quick=10, type=int)
    cli.add_sized("--scale", full="default", quick="default")
    cli.add_sized("--oracle-sizes", full=[10_000, 100_000, 1_000_000], quick=[10_000, 100_000], type=int,
                  nargs="+", help="operators for the oracle")
    cli.add_sized("--rule-sizes", full=[10_000, 100_000], quick=[10_000], type=int, nargs="+",
                  help="operators for the 12-weight rule")
    cli.parser.add_argument("--case", nargs=2, metavar=("N", "OBJECTIVE"), help=argparse.SUPPRESS)
    return cli


def main(argv=None):
    cli = options()
    args = cli.parse(argv)
    if args.case:
        print(json.dumps(one_case(int(args.case[0]), args.case[1])))
        return
    rows = frontiers(args.scale, args.points)
    rows += oracle(args.oracle_sizes)
    rows += rules(args.rule_sizes)
    cli.save(args, rows)


if __name__ == "__main__":
    main()
