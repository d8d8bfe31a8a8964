"""Benchmark: streamed aggregation of a large partitioned Parquet log, and the Dask backend.

Usage::

    python benchmarks/bench_scale.py [--rows 100_000_000] [--baseline-rows 10_000_000] [--quick] [--json PATH]

Measured in one run (each measurement in a fresh process, so its peak resident memory is its own):

1. A synthetic task log of ``--rows`` rows (365 epochs x 10,000 nodes, the generator of
   ``bench_aggregate.py``) is written to disk as one Parquet file per ``--parts``-th of the
   year, in date order, 2**18-row row groups. It is generated partition by partition from
   one seed (bounded memory) and kept in ``--data-dir`` for the next run.
2. streamed: ``History.read(dir, stream=True)`` then ``fs.aggregate``: one pass, row group by
   row group; wall time, rows per second and peak resident memory (target: under 4 GB at
   100M rows, issue 9).
3. in memory: the same generator's ``--baseline-rows`` log read whole (``History.read``),
   then ``fs.aggregate``: rows per second of the aggregation alone and of read + aggregate.
4. dask: ``fs.aggregate(history, client=...)`` on a ``LocalCluster`` of 2 worker processes
   (one thread each) over the same files; rows per second, the driver's and the largest
   worker's peak memory; the features must equal the single-process ones bit for bit (the
   parts are days, so no (epoch, node) cell is split between them).
5. engines: ``fs.simulate`` (``--runs`` runs of a year of the built-in network, status quo) and
   ``fs.frontier`` (``--points`` price points, per-epoch energy coverage of retail operators),
   without a client and on the same 2-worker cluster; simulations must be bit-identical.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_aggregate import MODES, N_EPOCHS, network_tables, synthetic_tasks
from benchkit import Options, Row

ROW_GROUP = 1 << 18
VERSION = 2  # bump when the generator changes, so a kept dataset is regenerated


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


def write_log(directory: Path, rows: int, parts: int, seed: int = 0) -> None:
    """Write a history directory whose task log is ``parts`` Parquet files in date order."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    (tmp / "h" / "tasks").mkdir(parents=True)
    for name, table in network_tables().items():
        table.to_parquet(tmp / "h" / f"{name}.parquet", index=False)
    day_edges = np.linspace(0, N_EPOCHS, parts + 1).round().astype(int)
    row_edges = np.linspace(0, rows, parts + 1).round().astype(np.int64)
    for i, stream in enumerate(np.random.SeedSequence(seed).spawn(parts)):
        rng = np.random.default_rng(stream)
        n = int(row_edges[i + 1] - row_edges[i])
        cols = synthetic_tasks(rng, np.sort(rng.integers(day_edges[i], day_edges[i + 1], n)))
        cols["verification"] = pd.Categorical.from_codes(cols["verification"], MODES)
        table = pa.Table.from_pandas(pd.DataFrame(cols), preserve_index=False)
        pq.write_table(table, tmp / "h" / "tasks" / f"part-{i:04d}.parquet", row_group_size=ROW_GROUP)
    (tmp / "h" / "bench.json").write_text(json.dumps({"rows": rows, "parts": parts, "seed": seed,
                                                      "version": VERSION}))
    if directory.exists():
        shutil.rmtree(directory)
    os.replace(tmp / "h", directory)
    shutil.rmtree(tmp)


def ensure_log(directory: Path, rows: int, parts: int) -> float:
    """Generate the log unless ``directory`` already holds this one; the seconds it took."""
    stamp = directory / "bench.json"
    wanted = {"rows": rows, "parts": parts, "seed": 0, "version": VERSION}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return 0.0
    directory.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    write_log(directory, rows, parts)
    return time.perf_counter() - t0


# ---------------------------------------------------------------- measurements (each in its own process)
def measure_streamed(directory: Path) -> dict:
    import fairshare as fs

    t0 = time.perf_counter()
    h = fs.History.read(directory, stream=True)
    t_open = time.perf_counter() - t0
    f = fs.aggregate(h)
    total = time.perf_counter() - t0
    np.save(directory.parent / f"{directory.name}.work.npy", f.work_units)
    return {"rows": h.n_tasks, "open_s": t_open, "seconds": total, "peak_gb": peak_rss_gb(),
            "work_total": float(f.work_units.sum())}


def measure_in_memory(directory: Path) -> dict:
    import fairshare as fs

    t0 = time.perf_counter()
    h = fs.History.read(directory)
    t_read = time.perf_counter() - t0
    fs.aggregate(h)  # kernels loaded; time the second call
    t1 = time.perf_counter()
    fs.aggregate(h)
    t_agg = time.perf_counter() - t1
    return {"rows": h.n_tasks, "read_s": t_read, "aggregate_s": t_agg, "peak_gb": peak_rss_gb()}


def measure_dask(directory: Path) -> dict:
    from dask.distributed import Client, LocalCluster

    import fairshare as fs

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("fairshare").aggregate)  # workers import fairshare before timing
        t0 = time.perf_counter()
        h = fs.History.read(directory, stream=True)
        f = fs.aggregate(h, client=client)
        seconds = time.perf_counter() - t0
        workers = client.run(peak_rss_gb)
    reference = np.load(directory.parent / f"{directory.name}.work.npy")
    return {"rows": h.n_tasks, "seconds": seconds, "peak_gb": peak_rss_gb(), "worker_peak_gb": max(workers.values()),
            "identical": bool(f.work_units.tobytes() == reference.tobytes()),
            "max_rel_diff": float(np.max(np.abs(f.work_units - reference) / np.maximum(np.abs(reference), 1e-300)))}


def measure_engines(directory: Path) -> dict:
    """``fs.simulate`` runs and ``fs.frontier`` points, in this process and on 2 dask workers.

    ``directory`` names the sizes: ``runs-points`` (for example ``40-40``).
    """
    from dask.distributed import Client, LocalCluster

    import fairshare as fs
    from fairshare.optimization import Basis, Coverage, default_constraints

    runs, points = (int(v) for v in directory.name.split("-"))
    scenario = fs.Scenario.default(seed=0)
    basis = Basis.from_history(scenario.history)
    constraints = [Coverage(who="retail", cost="energy", per_epoch=True)] + default_constraints()[1:]
    prices = np.linspace(0.05, 0.50, points)

    def sweep(client):
        t0 = time.perf_counter()
        sim = fs.simulate(scenario, runs=runs, seed=1, client=client)
        t1 = time.perf_counter()
        fr = fs.frontier(basis, over="price", values=prices, constraints=constraints, client=client)
        return sim, t1 - t0, fr, time.perf_counter() - t1

    fs.simulate(scenario, epochs=30, runs=2)  # kernels loaded before timing
    fs.frontier(basis, over="price", values=prices[:2], constraints=constraints)
    sim1, t_sim1, fr1, t_fr1 = sweep(None)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        fs.simulate(scenario, epochs=30, runs=2, client=client)  # workers load the kernels
        fs.frontier(basis, over="price", values=prices[:2], constraints=constraints, client=client)
        sim2, t_sim2, fr2, t_fr2 = sweep(client)
    a, b = fr1.table["objective"].to_numpy(), fr2.table["objective"].to_numpy()
    return {"runs": runs, "epochs": int(sim1.values.shape[1]), "points": points,
            "simulate_s": t_sim1, "simulate_dask_s": t_sim2,
            "simulate_identical": bool(sim1.values.tobytes() == sim2.values.tobytes()),
            "frontier_s": t_fr1, "frontier_dask_s": t_fr2,
            "frontier_max_rel_diff": float(np.nanmax(np.abs(a - b) / np.maximum(np.abs(a), 1e-300)))}


MEASURES = {"streamed": measure_streamed, "in_memory": measure_in_memory, "dask": measure_dask,
            "engines": measure_engines}


def in_child(what: str, directory: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", what, "--data", str(directory)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def options() -> Options:
    cli = Options("scale", __doc__.splitlines()[0])
    cli.add_sized("--rows", full=100_000_000, quick=5_000_000, type=int, help="rows of the streamed log")
    cli.add_sized("--baseline-rows", full=10_000_000, quick=1_000_000, type=int, help="rows of the in-memory log")
    cli.add_sized("--parts", full=100, quick=20, type=int, help="Parquet files of the streamed log")
    cli.add_sized("--runs", full=400, quick=40, type=int, help="simulation runs timed with and without dask")
    cli.add_sized("--points", full=40, quick=8, type=int, help="frontier points timed with and without dask")
    cli.parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "fairshare-bench-scale"),
                            help="where the generated logs are kept between runs")
    cli.parser.add_argument("--measure", choices=sorted(MEASURES), help=argparse.SUPPRESS)  # child processes
    cli.parser.add_argument("--data", help=argparse.SUPPRESS)
    return cli


def main(argv=None) -> None:
    cli = options()
    args = cli.parse(argv)
    if args.measure:  # a child process: one measurement, one JSON line
        print(json.dumps(MEASURES[args.measure](Path(args.data))))
        return
    root = Path(args.data_dir)
    big, small = root / f"log-{args.rows}", root / f"log-{args.baseline_rows}"
    t_gen = ensure_log(big, args.rows, args.parts) + ensure_log(small, args.baseline_rows, max(args.parts // 10, 1))
    on_disk = sum(p.stat().st_size for p in (big / "tasks").iterdir()) / 1e9
    print(f"scale benchmark: {args.rows:,}-row log in {args.parts} Parquet files ({on_disk:.2f} GB on disk; "
          f"generated in {t_gen:.0f} s, 0 = kept from an earlier run), {os.cpu_count()} CPUs")
    in_child("streamed", small)  # loads the kernels into the on-disk cache before anything is timed
    streamed = in_child("streamed", big)
    memory = in_child("in_memory", small)
    dask = in_child("dask", big)
    engines = in_child("engines", Path(f"{args.runs}-{args.points}"))
    rate_stream = streamed["rows"] / streamed["seconds"]
    rate_agg = memory["rows"] / memory["aggregate_s"]
    rate_mem = memory["rows"] / (memory["read_s"] + memory["aggregate_s"])
    rate_dask = dask["rows"] / dask["seconds"]
    print(f"  streamed, one process : {streamed['seconds']:7.1f} s ({streamed['open_s']:.1f} s opening: footers, "
          f"column check, input hashes)  {rate_stream / 1e6:6.2f} M rows/s  peak {streamed['peak_gb']:.2f} GB "
          f"(target < 4 GB)")
    print(f"  in memory, {memory['rows']:,} rows: aggregate {memory['aggregate_s']:.2f} s "
          f"({rate_agg / 1e6:.1f} M rows/s); read + validate + aggregate "
          f"{memory['read_s'] + memory['aggregate_s']:.1f} s "
          f"({rate_mem / 1e6:.2f} M rows/s); peak {memory['peak_gb']:.2f} GB")
    print(f"  streamed / in memory  : {rate_stream / rate_agg:.3f}x the aggregation alone, "
          f"{rate_stream / rate_mem:.2f}x read + aggregate")
    print(f"  dask, 2 workers       : {dask['seconds']:7.1f} s  {rate_dask / 1e6:6.2f} M rows/s "
          f"({rate_dask / rate_stream:.2f}x one process); driver peak {dask['peak_gb']:.2f} GB, worker peak "
          f"{dask['worker_peak_gb']:.2f} GB; bit-identical to one process: {dask['identical']} "
          f"(max rel. diff {dask['max_rel_diff']:.1e})")
    print(f"  fs.simulate, {engines['runs']} runs x {engines['epochs']} epochs (built-in network): one process "
          f"{engines['simulate_s']:.1f} s, dask 2 workers {engines['simulate_dask_s']:.1f} s "
          f"({engines['simulate_s'] / engines['simulate_dask_s']:.2f}x); "
          f"bit-identical: {engines['simulate_identical']}")
    print(f"  fs.frontier, {engines['points']} price points (per-epoch retail coverage): one process "
          f"{engines['frontier_s']:.1f} s, dask 2 workers {engines['frontier_dask_s']:.1f} s "
          f"({engines['frontier_s'] / engines['frontier_dask_s']:.2f}x); max rel. diff "
          f"{engines['frontier_max_rel_diff']:.1e}")
    judged = args.rows >= 100_000_000
    note = "" if judged else f"the target is for 100M rows; measured on {args.rows:,}"
    rows = [
        Row.check(f"streamed aggregation of {args.rows:,} rows: peak resident memory", streamed["peak_gb"], "GB",
                  "<", 4, note, judged),
        Row.info("streamed: wall time (open + one pass)", streamed["seconds"], "s"),
        Row.info("streamed: throughput", rate_stream / 1e6, "M rows/s"),
        Row.info(f"in memory ({memory['rows']:,} rows): aggregate throughput", rate_agg / 1e6, "M rows/s"),
        Row.info(f"in memory ({memory['rows']:,} rows): read + validate + aggregate throughput", rate_mem / 1e6,
                 "M rows/s"),
        Row.info("streamed vs in memory (read + aggregate)", rate_stream / rate_mem, "x"),
        Row.info("dask, 2 workers: throughput", rate_dask / 1e6, "M rows/s",
                 f"{rate_dask / rate_stream:.2f}x one process; worker peak {dask['worker_peak_gb']:.2f} GB"),
        Row.check("dask vs one process: max relative difference of work units", dask["max_rel_diff"], "", "<=",
                  1e-12, "bit-identical" if dask["identical"] else "not bit-identical"),
        Row.info(f"fs.simulate {engines['runs']} runs x {engines['epochs']} epochs: dask 2 workers vs one process",
                 engines["simulate_s"] / engines["simulate_dask_s"], "x",
                 f"{engines['simulate_s']:.1f} s vs {engines['simulate_dask_s']:.1f} s; bit-identical: "
                 f"{engines['simulate_identical']}"),
        Row.info(f"fs.frontier {engines['points']} points: dask 2 workers vs one process",
                 engines["frontier_s"] / engines["frontier_dask_s"], "x",
                 f"{engines['frontier_s']:.1f} s vs {engines['frontier_dask_s']:.1f} s; max rel. diff "
                 f"{engines['frontier_max_rel_diff']:.1e}"),
    ]
    cli.save(args, rows, on_disk_gb=on_disk, generated_s=t_gen)


if __name__ == "__main__":
    main()
