"""Benchmark: replay 1,000 candidate rules over 365 epochs x 10,000 operators with the full scoreboard.

Run: ``python benchmarks/bench_evaluate.py [--candidates 1000] [--operators 10000] [--loop 20] [--quick] [--json PATH]``

``--quick``: 100 candidates over 2,000 operators, 2 replays timed (both paths cost about
in proportion to the operators, so the ratio stays comparable; fewer candidates leave the
batched path's fixed cost less amortised, so the quick speed-up errs low).

The candidates are a parameter grid of ``Linear`` rules (the optimiser's
family) over seven components. Measured in one run:

- fairshare: ``fs.evaluate`` on all candidates (batched Linear path: per-component
  bases once, then a few small products and one sort per candidate);
- a straightforward per-candidate numpy loop: the same scoreboard by replaying
  each rule in full (``batch_linear=False``: allocate (E, N), sum per operator,
  price costs, replay the Sybil / merge / fake-demand / knock-out variants),
  timed on ``--loop`` candidates and scaled to all of them;
- peak memory (tracemalloc) of fairshare's run for a tenth of the candidates and for all of them.

Target (issue 5): >= 30x the loop's throughput; peak memory flat in the number of candidates
(recorded as: peak for all candidates at most 1.5x the peak for a tenth of them).
"""

from __future__ import annotations

import itertools
import time
import tracemalloc

import numpy as np
import pandas as pd
from benchkit import Options, Row

import fairshare as fs
from fairshare import formulas as F

FLAT_MEMORY_RATIO = 1.5  # "flat": ten times the candidates, at most this much more peak memory
COMPONENTS = ("work", "stake", "identity_floor", "small_task_work", "verified_work_tee", "availability", "fees")


def synthetic_history(n_operators: int, n_epochs: int = 365, seed: int = 0) -> fs.History:
    """About 1.2 nodes per operator, one task row per active node and epoch, heavy-tailed work and stake."""
    rng = np.random.default_rng(seed)
    nodes_per_op = 1 + rng.binomial(1, 0.15, n_operators) * rng.integers(1, 4, n_operators)
    operator = np.repeat(np.arange(n_operators), nodes_per_op)
    n = operator.size
    hardware = np.where(nodes_per_op[operator] > 1, "a100_80gb", "rtx4090")
    joined = rng.integers(0, n_epochs // 2, n) * (rng.random(n) < 0.3)
    nodes = pd.DataFrame({
        "node_id": np.arange(n), "operator_id": operator, "hardware": hardware, "gpu_count": 1,
        "power_w": 400.0, "idle_power_w": 80.0, "pue": 1.0, "electricity_usd_per_kwh": 0.165,
        "capex_usd": 1800.0, "lifetime_days": 1095.0, "residual_fraction": 0.3,
        "stake_tokens": rng.pareto(1.2, n) * 1000.0, "joined_epoch": joined, "region": "us",
    })
    scale = rng.pareto(1.5, n) + 0.1
    epoch = np.repeat(np.arange(n_epochs), n)
    node = np.tile(np.arange(n), n_epochs)
    keep = epoch >= joined[node]
    epoch, node = epoch[keep], node[keep]
    requests = np.maximum(1, (scale[node] * rng.uniform(0.5, 1.5, node.size) * 20).astype(np.int64))
    tasks = pd.DataFrame({
        "epoch": epoch, "node_id": node, "model": "llama-3.1-8b", "requests": requests,
        "input_tokens": requests * 1020.0, "output_tokens": requests * 129.0, "busy_seconds": requests * 1.2,
        "verification": np.where(node % 3 == 0, "tee", "vanilla"), "fee_usd": requests * 4e-5,
    })
    market = pd.DataFrame({"epoch": np.arange(n_epochs), "emission_tokens": 34_246.0, "token_price_usd": 0.16})
    return fs.History.from_frames(nodes, tasks, market)


def candidate_grid(n: int) -> dict[str, F.Linear]:
    """``n`` weight vectors on the simplex over COMPONENTS: a regular grid, thinned evenly to ``n``."""
    steps = 4
    grid = [w for w in itertools.product(range(steps + 1), repeat=len(COMPONENTS)) if sum(w) == steps]
    while len(grid) < n:
        steps += 1
        grid = [w for w in itertools.product(range(steps + 1), repeat=len(COMPONENTS)) if sum(w) == steps]
    pick = np.round(np.linspace(0, len(grid) - 1, n)).astype(int)
    rules = {}
    for i in pick:
        w = np.array(grid[i], dtype=float) / steps
        rules[f"c{i}"] = F.Linear({c: v for c, v in zip(COMPONENTS, w) if v > 0})
    return rules


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def peak_memory(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def options() -> Options:
    cli = Options("evaluate", __doc__.split("\n")[0])
    cli.add_sized("--candidates", full=1000, quick=100, type=int)
    cli.add_sized("--operators", full=10_000, quick=2_000, type=int)
    cli.add_sized("--loop", full=20, quick=2, type=int, help="candidates replayed one by one")
    return cli


def main(argv=None):
    cli = options()
    args = cli.parse(argv)
    t_build, h = timed(lambda: synthetic_history(args.operators))
    f = fs.aggregate(h)
    rules = candidate_grid(args.candidates)
    print(f"fs.evaluate benchmark: {len(rules)} Linear candidates, {h.n_epochs} epochs x {h.n_operators:,} operators "
          f"({h.n_nodes:,} nodes); network built in {t_build:.1f} s")
    opts = dict(features=f, keep_detail=0, trend_resamples=200)
    fs.evaluate(h, dict(list(rules.items())[:3]), **opts)  # warm up numba kernels
    t_fast, ev = timed(lambda: fs.evaluate(h, rules, **opts))
    loop_rules = dict(list(rules.items())[: args.loop])
    t_loop, ev_loop = timed(lambda: fs.evaluate(h, loop_rules, batch_linear=False, **opts))
    gap = (ev.scoreboard.loc[list(loop_rules)] - ev_loop.scoreboard).abs().max().max()
    per_fast = t_fast / len(rules)
    per_loop = t_loop / len(loop_rules)
    print(f"  fairshare batched     : {t_fast:8.2f} s  ({per_fast * 1e3:7.2f} ms per candidate, "
          f"{len(rules) / t_fast:7.1f} candidates/s)")
    print(f"  per-candidate replay  : {t_loop:8.2f} s for {len(loop_rules)} -> {per_loop * len(rules):8.1f} s "
          f"scaled to {len(rules)} ({per_loop * 1e3:7.1f} ms per candidate)")
    print(f"  speed-up              : {per_loop / per_fast:8.1f}x (target >= 30x); largest scoreboard difference "
          f"between the two paths {gap:.2e}")
    small = dict(list(rules.items())[: max(len(rules) // 10, 3)])
    m_small = peak_memory(lambda: fs.evaluate(h, small, **opts))
    m_all = peak_memory(lambda: fs.evaluate(h, rules, **opts))
    print(f"  peak memory           : {m_small:8.0f} MB for {len(small)} candidates, {m_all:8.0f} MB for "
          f"{len(rules)} (ratio {m_all / m_small:.2f}; target: flat)")
    rows = [Row.check("speed-up, batched vs per-candidate replay", per_loop / per_fast, "x", ">=", 30,
                      f"replay timed on {len(loop_rules)} candidates"),
            Row.info("batched, per candidate", per_fast * 1e3, "ms", f"{len(rules)} candidates in {t_fast:.2f} s"),
            Row.info("per-candidate replay, per candidate", per_loop * 1e3, "ms"),
            Row.info("largest scoreboard difference between the two paths", gap),
            Row.info("synthetic history built", t_build, "s"),
            Row.info(f"peak traced memory, {len(rules)} candidates", m_all, "MB"),
            Row.check(f"peak memory ratio, {len(rules)} vs {len(small)} candidates", m_all / m_small, "x", "<=",
                      FLAT_MEMORY_RATIO, f"{m_small:.0f} MB for {len(small)}; target: flat")]
    cli.save(args, rows, epochs=h.n_epochs, nodes=h.n_nodes)


if __name__ == "__main__":
    main()
