"""Benchmark (not a test): a payout ledger streamed into exact (epoch, address) cells, entity panels and a verdict.

Usage::

    python benchmarks/bench_ledger.py [--payouts 100000000] [--epochs 365] [--addresses 1000000]
                                      [--chunk 5000000] [--parquet DIR] [--quick] [--json PATH]

``--quick``: 5,000,000 payouts over 365 epochs and 100,000 addresses.

The ledger is generated chunk by chunk and handed to ``fs.Ledger.from_frame`` as an iterable of DataFrames, so the
payouts never sit in memory together (streaming): memory is one chunk plus the summed cells. With ``--parquet DIR``
the chunks are first written to Parquet files in DIR (not timed) and read back with ``fs.Ledger.read(DIR)``, the
path a ledger on disk takes. Recipients are drawn
from a Zipf-like law over the addresses (a few large, many small); amounts are integer base units below 2**40, so
that a per-chunk int64 sum is exact and the ledger's exact total can be checked against Python integers. Labels map
80% of the addresses onto entities of five addresses each; the other 20% are unlabelled, so the verdict carries the
conservative envelope. Measured: time to read, to build the entity panel, to compute the verdict (small-share trend,
its envelope, and the Gini, HHI and Nakamoto trends), and the peak resident memory of the process.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
from benchkit import Options, Row

import fairshare as fs


def chunks(payouts: int, epochs: int, addresses: int, chunk: int, seed: int = 0):
    """Payout frames in epoch order; also returns the exact total through ``totals``."""
    rng = np.random.default_rng(seed)
    done = 0
    while done < payouts:
        n = min(chunk, payouts - done)
        epoch = (np.arange(done, done + n, dtype=np.int64) * epochs) // payouts
        rank = np.minimum((rng.pareto(1.2, n) * addresses / 50).astype(np.int64), addresses - 1)
        amount = rng.integers(1, 1 << 40, n, dtype=np.int64)
        totals.append(int(amount.sum()))
        yield pd.DataFrame({"epoch": epoch, "address": rank, "amount": amount})
        done += n


totals: list[int] = []


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def options() -> Options:
    cli = Options("ledger", __doc__.split("\n")[0])
    cli.add_sized("--payouts", full=100_000_000, quick=5_000_000, type=int)
    cli.add_sized("--epochs", full=365, quick=365, type=int)
    cli.add_sized("--addresses", full=1_000_000, quick=100_000, type=int)
    cli.add_sized("--chunk", full=5_000_000, quick=1_000_000, type=int, help="payouts per streamed chunk")
    cli.parser.add_argument("--parquet", metavar="DIR", help="write the ledger to Parquet files here and read them")
    return cli


def main(argv=None):
    cli = options()
    args = cli.parse(argv)
    print(f"ledger benchmark: {args.payouts:,} payouts, {args.epochs} epochs, {args.addresses:,} addresses, "
          f"chunks of {args.chunk:,}, {os.cpu_count()} CPUs")
    totals.clear()
    read_options = dict(time="epoch", address="address", amount="amount", decimals=18, epoch_seconds="1d",
                   network="benchmark", synthetic=True)
    source = "generated chunks"
    if args.parquet:
        folder = Path(args.parquet)
        folder.mkdir(parents=True, exist_ok=True)
        for i, part in enumerate(chunks(args.payouts, args.epochs, args.addresses, args.chunk)):
            part.to_parquet(folder / f"part-{i:05d}.parquet", index=False)
        source = f"Parquet files in {folder}"
        t0 = time.perf_counter()
        ledger = fs.Ledger.read(folder, chunk_rows=args.chunk, **read_options)
    else:
        t0 = time.perf_counter()
        ledger = fs.Ledger.from_frame(chunks(args.payouts, args.epochs, args.addresses, args.chunk),
                                      source=source, **read_options)
    t_read = time.perf_counter() - t0
    exact = ledger.total_base_units() == sum(totals)
    print(f"  read (streamed, exact cells): {t_read:8.2f} s, {ledger.epoch.size:,} cells, exact total: {exact}, "
          f"peak {peak_gb():.2f} GB")
    ids = np.arange(args.addresses)
    rng = np.random.default_rng(1)
    labelled = ids[rng.random(args.addresses) < 0.8]
    labels = pd.DataFrame({"address": labelled.astype(str), "entity": (labelled // 5).astype(str)})
    t0 = time.perf_counter()
    panel = ledger.panel(labels=labels)
    t_panel = time.perf_counter() - t0
    print(f"  entity panel: {t_panel:8.2f} s, {panel.entity.size:,} (epoch, entity) cells, peak {peak_gb():.2f} GB")
    t0 = time.perf_counter()
    verdict = fs.trend.verdict(panel, resamples=999)
    t_verdict = time.perf_counter() - t0
    print(f"  verdict (trends, envelope, supporting): {t_verdict:8.2f} s, peak {peak_gb():.2f} GB")
    print(f"  {verdict.statement[:300]}...")
    total = t_read + t_panel + t_verdict
    full = args.payouts >= 100_000_000 and args.addresses >= 1_000_000
    rows = [Row.info("read, streamed into exact cells", t_read, "s",
                     f"{args.payouts / t_read / 1e6:.2f} M payouts/s from {source}"),
            Row.check("exact total equals Python integer sum", float(exact), "", ">=", 1),
            Row.info("entity panel", t_panel, "s", f"{panel.entity.size:,} cells"),
            Row.info("verdict", t_verdict, "s", "small share + envelope + Gini, HHI, Nakamoto trends"),
            Row.info("ledger to verdict", total, "s"),
            Row.info("peak resident memory", peak_gb(), "GB", "" if full else "not the full size")]
    cli.save(args, rows, cpu_count=os.cpu_count(), cells=int(ledger.epoch.size))


if __name__ == "__main__":
    main()
