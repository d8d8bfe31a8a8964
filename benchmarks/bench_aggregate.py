"""Benchmark: fs.aggregate against pandas, DuckDB and the memory-bandwidth floor.

Run: ``python benchmarks/bench_aggregate.py [--rows 10_000_000] [--repeats 3] [--quick] [--json PATH]``
(needs the ``bench`` extra for DuckDB: ``pip install ".[bench]"``). ``--quick``: 1,000,000 rows
over 1,000 nodes (the same rows per (epoch, node) cell as the full run), best of 1.

Measured in one run on a synthetic log of ``--rows`` tasks over 365 epochs and
10,000 nodes, once in chronological order (as real logs are) and once
shuffled. Each contender produces the same (epoch, node) table of 13 sums
(requests, rows, tokens, work units, busy time, fees, upstream cost, work by
verification mode, small- and large-task work) from the same in-memory
columns; the script checks the tables agree before it prints a ratio.

- fairshare: ``fs.aggregate(history)`` on a validated History (numba, serial).
- pandas: derived columns, then ``groupby(["epoch", "node"]).agg(...)``.
- DuckDB: the same GROUP BY in SQL over the same columns (all its threads).
- floor: a numpy pass that reads every input byte once (sum of each column).

Timings are the best of ``--repeats`` runs after a warm-up (numba compile
excluded). The kernel's figures are informative: the ingest targets users meet (files on disk to
features, against polars, DuckDB and the Parquet read floor) live in bench_ingest.py.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
from benchkit import Options, Row, optional_peer

import fairshare as fs
from fairshare.features import PREFILL_WEIGHT, SMALL_TASK_TOKENS

N_EPOCHS, N_NODES = 365, 10_000
MODELS = pd.DataFrame({"model": [0, 1, 2, 3], "active_params_b": [8.0, 70.0, 7.0, 8.0]})


MODES = np.array(["vanilla", "tee", "zkml"], dtype=object)


def synthetic_tasks(rng: np.random.Generator, epoch: np.ndarray, n_nodes: int = N_NODES) -> dict[str, np.ndarray]:
    """Task columns for the given epochs; ``verification`` as codes into :data:`MODES`."""
    n_rows = epoch.size
    requests = rng.integers(1, 20, n_rows)
    return {
        "epoch": epoch,
        "node_id": rng.integers(0, n_nodes, n_rows),
        "model": rng.integers(0, 4, n_rows),
        "requests": requests,
        "input_tokens": np.round(rng.lognormal(6.6, 1.0, n_rows) * requests),
        "output_tokens": np.round(rng.lognormal(5.0, 0.86, n_rows) * requests),
        "busy_seconds": rng.uniform(0.0, 2.0, n_rows),
        "verification": rng.integers(0, MODES.size, n_rows).astype(np.int8),
        "fee_usd": rng.uniform(0.0, 1e-3, n_rows),
        "upstream_cost_usd": np.zeros(n_rows),
    }


def network_tables(n_nodes: int = N_NODES) -> dict[str, pd.DataFrame]:
    """Nodes (ten per operator, one RTX 4090 each), market and models of the synthetic network."""
    nodes = pd.DataFrame({
        "node_id": np.arange(n_nodes), "operator_id": np.arange(n_nodes) // 10, "hardware": "rtx4090",
        "gpu_count": 1, "power_w": 400.0, "idle_power_w": 80.0, "pue": 1.0, "electricity_usd_per_kwh": 0.165,
        "capex_usd": 1800.0, "lifetime_days": 1095.0, "residual_fraction": 0.3, "stake_tokens": 1.0,
        "joined_epoch": 0, "region": "us",
    })
    market = pd.DataFrame({"epoch": np.arange(N_EPOCHS), "emission_tokens": 34_246.0, "token_price_usd": 0.16})
    return {"nodes": nodes, "market": market, "models": MODELS}


def synthetic_frames(n_rows: int, seed: int = 0, shuffled: bool = False,
                     n_nodes: int = N_NODES) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    epoch = np.sort(rng.integers(0, N_EPOCHS, n_rows))
    if shuffled:
        epoch = rng.permutation(epoch)
    cols = synthetic_tasks(rng, epoch, n_nodes)
    tasks = pd.DataFrame({**cols, "verification": MODES[cols["verification"]]})
    return {**network_tables(n_nodes), "tasks": tasks}


def columns(h: fs.History) -> dict[str, np.ndarray]:
    return {k: getattr(h.tasks_source.data, k) for k in ("epoch", "node", "model", "requests", "input_tokens",
                                                          "output_tokens", "busy_seconds", "verification",
                                                          "fee_usd", "upstream_cost_usd")}


def frame_with_work(cols: dict[str, np.ndarray], factor: np.ndarray) -> pd.DataFrame:
    df = pd.DataFrame(cols)
    work = (PREFILL_WEIGHT * df.input_tokens + df.output_tokens) * factor[df.model.to_numpy()]
    small = (df.input_tokens + df.output_tokens) <= SMALL_TASK_TOKENS * df.requests
    return df.assign(work=work, rows=1.0, small=work.where(small, 0.0), large=work.where(~small, 0.0),
                     w0=work.where(df.verification == 0, 0.0), w1=work.where(df.verification == 1, 0.0),
                     w2=work.where(df.verification == 2, 0.0))


AGG = ["requests", "rows", "input_tokens", "output_tokens", "work", "busy_seconds", "fee_usd",
       "upstream_cost_usd", "w0", "w1", "w2", "small", "large"]


def run_pandas(cols, factor):
    df = frame_with_work(cols, factor)
    return df.groupby(["epoch", "node"], sort=True).agg({c: "sum" for c in AGG})


def run_duckdb(con, factor):
    f = ", ".join(repr(float(v)) for v in factor)
    work = f"(({PREFILL_WEIGHT!r} * input_tokens + output_tokens) * list_extract([{f}], model + 1))"
    small = f"(input_tokens + output_tokens <= {SMALL_TASK_TOKENS!r} * requests)"
    sql = f"""
        SELECT epoch, node, sum(requests), count(*), sum(input_tokens), sum(output_tokens), sum({work}),
               sum(busy_seconds), sum(fee_usd), sum(upstream_cost_usd),
               sum(CASE WHEN verification = 0 THEN {work} ELSE 0 END),
               sum(CASE WHEN verification = 1 THEN {work} ELSE 0 END),
               sum(CASE WHEN verification = 2 THEN {work} ELSE 0 END),
               sum(CASE WHEN {small} THEN {work} ELSE 0 END), sum(CASE WHEN {small} THEN 0 ELSE {work} END)
        FROM t GROUP BY epoch, node ORDER BY epoch, node"""
    return con.execute(sql).fetchnumpy()


def run_floor(cols):
    return [np.add.reduce(v) for v in cols.values()]


def best(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def check_same(f: fs.Features, table: pd.DataFrame, label: str):
    e = table.index.get_level_values(0).to_numpy()
    n = table.index.get_level_values(1).to_numpy()
    np.testing.assert_allclose(f.work_units[e, n], table["work"].to_numpy(), rtol=1e-9, err_msg=label)
    np.testing.assert_allclose(f.fees_usd[e, n], table["fee_usd"].to_numpy(), rtol=1e-9, err_msg=label)
    np.testing.assert_allclose(f.small_task_work[e, n], table["small"].to_numpy(), rtol=1e-9, err_msg=label)
    assert f.task_rows.sum() == table["rows"].sum()


def options() -> Options:
    cli = Options("aggregate", __doc__.split("\n")[0])
    cli.add_sized("--rows", full=10_000_000, quick=1_000_000, type=int)
    cli.add_sized("--repeats", full=3, quick=1, type=int)
    cli.add_sized("--nodes", full=N_NODES, quick=1_000, type=int, help="node keys")
    return cli


def main(argv=None):
    cli = options()
    args = cli.parse(argv)
    duckdb = optional_peer("duckdb", "DuckDB comparison")
    print(f"fs.aggregate benchmark: {args.rows:,} rows, {N_EPOCHS} epochs x {args.nodes:,} nodes, "
          f"{os.cpu_count()} CPUs, best of {args.repeats}")
    rows, threads = [], None
    for order in ("chronological", "shuffled"):
        frames = synthetic_frames(args.rows, shuffled=order == "shuffled", n_nodes=args.nodes)
        t0 = time.perf_counter()
        h = fs.History.from_frames(**frames)
        ingest = time.perf_counter() - t0
        del frames
        cols = columns(h)
        nbytes = sum(v.nbytes for v in cols.values())
        factor = h.model_params_b / 8.0
        t_fs, feats = best(lambda: fs.aggregate(h), args.repeats)
        t_pd, table = best(lambda: run_pandas(cols, factor), args.repeats)
        check_same(feats, table, "pandas")
        t_floor, _ = best(lambda: run_floor(cols), args.repeats)
        print(f"\n[{order}] input {nbytes / 1e9:.2f} GB in {len(cols)} columns; History.from_frames "
              f"(validation + coding) {ingest:.2f} s")
        print(f"  fairshare aggregate : {t_fs:8.3f} s  {nbytes / t_fs / 1e9:6.2f} GB/s")
        print(f"  pandas groupby.agg  : {t_pd:8.3f} s  -> fairshare {t_pd / t_fs:6.1f}x faster")
        rows += [Row.info(f"History.from_frames, {order}", ingest, "s", "validation + coding"),
                 Row.info(f"fs.aggregate, {order}", t_fs, "s", f"{nbytes / t_fs / 1e9:.2f} GB/s"),
                 Row.info(f"speed-up vs pandas groupby, {order}", t_pd / t_fs, "x", f"pandas {t_pd:.3g} s")]
        if duckdb is not None:
            con = duckdb.connect()
            con.register("t", pd.DataFrame(cols))
            t_db, res = best(lambda: run_duckdb(con, factor), args.repeats)
            np.testing.assert_allclose(np.sort(res[list(res)[6]]), np.sort(table["work"].to_numpy()), rtol=1e-9)
            threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
            print(f"  DuckDB GROUP BY     : {t_db:8.3f} s  -> fairshare {t_db / t_fs:6.1f}x faster "
                  f"(DuckDB threads={threads})")
            con.close()
            rows.append(Row.info(f"speed-up vs DuckDB GROUP BY, {order}", t_db / t_fs, "x",
                                 f"DuckDB {t_db:.3g} s on {threads} threads"))
        else:
            rows.append(Row.info(f"speed-up vs DuckDB GROUP BY, {order}", None, "x",
                                 "duckdb is not installed in this interpreter"))
        print(f"  numpy read floor    : {t_floor:8.3f} s  {nbytes / t_floor / 1e9:6.2f} GB/s -> fairshare at "
              f"{t_fs / t_floor:4.1f}x the floor")
        rows.append(Row.info(f"time / numpy read floor, {order}", t_fs / t_floor, "x",
                             f"floor {t_floor:.3g} s, {nbytes / t_floor / 1e9:.2f} GB/s"))
    cli.save(args, rows, epochs=N_EPOCHS, cpu_count=os.cpu_count(), duckdb=duckdb.__version__ if duckdb else None,
              duckdb_threads=threads)


if __name__ == "__main__":
    main()
