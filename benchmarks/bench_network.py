"""Benchmark (not a test): generating the built-in network, whole and stage by stage.

Usage::

    python benchmarks/bench_network.py [--scale default] [--seed 0] [--repeats 3] [--quick] [--json PATH]

``--quick``: the default network once (the target's configuration, one repeat).

Measures, on one machine:

1. ``fs.datasets.open_inference_network(seed, scale)`` end to end (best and median of
   ``--repeats`` runs), with the size of what it built (nodes, operators, epochs, task
   rows, routed units);
2. the stages of one run: population, demand calibration (fluid router), drawing and
   routing every epoch's units, and validation into a ``History``;
3. ``fs.aggregate`` on the result.

JIT compilation is excluded: a small network is generated once before timing starts (the
kernels are cached on disk, so that run mostly loads them). The target for the default
network is under 30 s (judged on the median run; other scales are reported, not judged).
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pandas as pd
from benchkit import Options, Row

import fairshare as fs
from fairshare.data.history import History
from fairshare.datasets.demand import models_table
from fairshare.datasets.network import _STREAMS, EPOCH_ORIGIN, _nodes_frame, _tasks_frame, network_config
from fairshare.datasets.supply import build_population
from fairshare.datasets.token import emission_schedule, price_path
from fairshare.datasets.traffic import calibrate_demand, generate_tasks


def timed(func):
    start = time.perf_counter()
    out = func()
    return out, time.perf_counter() - start


def stages(seed: int, scale: str) -> dict:
    """Seconds per stage of one generation (same calls as ``build_parts`` and ``open_inference_network``)."""
    cfg = network_config(scale)
    streams = dict(zip(_STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(_STREAMS)))))
    n_epochs = int(cfg.n_epochs)
    pop, t_pop = timed(lambda: build_population(streams["population"], int(cfg.n_nodes), n_epochs, cfg.supply))
    active = pop.active(n_epochs)
    (means, _), t_cal = timed(lambda: calibrate_demand(cfg.traffic, pop.archetype, pop.reputation, pop.stake_tokens,
                                                        active))
    (data, _), t_traffic = timed(lambda: generate_tasks(streams["demand"], streams["routing"], cfg.traffic, means,
                                                        pop.archetype, pop.reputation, pop.stake_tokens, active))
    market = pd.DataFrame({"epoch": np.arange(n_epochs), "emission_tokens": emission_schedule(cfg.emission, n_epochs),
                           "token_price_usd": price_path(streams["price"], n_epochs)})

    def validate():
        return History.from_frames(_nodes_frame(pop), _tasks_frame(data, pop), market, models=models_table(),
                                   epoch_origin=EPOCH_ORIGIN)

    _, t_hist = timed(validate)
    return {"population": t_pop, "demand calibration": t_cal, "draw + route + settle": t_traffic,
            "frames + History validation": t_hist}


def options() -> Options:
    cli = Options("network", __doc__.splitlines()[0])
    cli.add_sized("--scale", full="default", quick="default", choices=sorted(fs.datasets.SCALES))
    cli.parser.add_argument("--seed", type=int, default=0)
    cli.add_sized("--repeats", full=3, quick=1, type=int)
    return cli


def main(argv=None) -> None:
    cli = options()
    args = cli.parse(argv)

    fs.datasets.open_inference_network(seed=args.seed, scale="small")  # load or compile the kernels
    times, h = [], None
    for _ in range(args.repeats):
        h, seconds = timed(lambda: fs.datasets.open_inference_network(seed=args.seed, scale=args.scale))
        times.append(seconds)
    units = sum(h.provenance["units_drawn"].values())
    print(f"open_inference_network(seed={args.seed}, scale={args.scale!r}): best {min(times):.2f} s, "
          f"median {statistics.median(times):.2f} s over {args.repeats} runs")
    print(f"  {h.n_nodes} node keys, {h.n_operators} operators, {h.n_epochs} epochs, {h.n_tasks:,} task rows, "
          f"{units:,} routed units ({h.provenance['units_drawn']})")
    judged = args.scale == "default"
    note = f"best {min(times):.2f} s" + ("" if judged else "; the target is for scale 'default'")
    rows = [Row.check(f"open_inference_network(scale={args.scale!r}), median of {args.repeats}",
                      statistics.median(times), "s", "<", 30, note, judged),
            Row.info("task rows generated", h.n_tasks, "", f"{h.n_nodes} node keys, {h.n_epochs} epochs"),
            Row.info("routed units", units)]
    print("stages of one run:")
    for name, seconds in stages(args.seed, args.scale).items():
        print(f"  {name:<30s} {seconds:6.2f} s")
        rows.append(Row.info(f"stage: {name}", seconds, "s"))
    _, t_agg = timed(lambda: fs.aggregate(h))
    print(f"fs.aggregate on the result: {t_agg:.2f} s")
    rows.append(Row.info("fs.aggregate on the result", t_agg, "s"))
    cli.save(args, rows, seed=args.seed)


if __name__ == "__main__":
    main()
