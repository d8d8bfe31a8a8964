"""Bitcoin block production, 72 windows of 30 days: the Edinburgh Decentralisation Index's metrics and trends.

Usage::

    python examples/converge_bitcoin.py [DATA_DIR]

``DATA_DIR`` defaults to the repository's ``tests/data/real`` (source, licence and the population rule in its
README.md). Entities are the source's clusters of payout addresses (pools and unattributed producers). The
population follows the index (``population_windows = 1``): entities paid in the previous or next window count
as zeros. Block production is a lottery, so the Nakamoto coefficient of a window is shown with its range.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

import fairshare as fs

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / "tests" / "data" / "real"


def main(data: Path = DEFAULT_DATA) -> None:
    raw = pd.read_csv(data / "bitcoin_mining_entities_30d.csv")
    raw["window"] = pd.factorize(raw["window_start"])[0]
    ledger = fs.Ledger.from_frame(raw[raw["blocks"] > 0], time="window", address="entity_index", amount="blocks",
                                  epoch_seconds=30 * 86_400, network="Bitcoin (blocks per mining entity)")
    entities = pd.DataFrame({"address": raw["entity_index"].astype(str), "entity": raw["entity"]}).drop_duplicates()
    entities["entity"] = entities["address"] + " " + entities["entity"]  # labels can coincide (README): keep the index
    labels = fs.ledger.Labels.from_frame(entities, heuristic="entities as the source clusters them (pools and "
                                                             "payout-address clusters)")
    panel = ledger.panel(labels=labels, population="adjacent")
    edi = fs.trend.edi_series(panel)
    print(edi.iloc[[0, 35, 71]].round(3).to_string(), "\n")
    print(fs.trend(panel, "max_share").statement, "\n")
    print(fs.trend.verdict(panel).statement, "\n")
    # Unattributed producers: entities whose label is a payout address, not a pool name.
    unattributed = raw["entity"].str.match(r"^(1|3|bc1)[A-Za-z0-9]{20,}")
    share = (raw["blocks"].where(unattributed, 0).groupby(raw["window"]).sum()
             / raw.groupby("window")["blocks"].sum())
    tr = fs.trend(share, "the unattributed producers' share of blocks", epoch_seconds=30 * 86_400,
                  about="real data, Bitcoin, 72 windows of 30 days, entities as the source clusters them")
    iid = tr.details["iid"]
    print(tr.statement)
    print(f"(An iid bootstrap would say {100 * iid['low']:+.2f} to {100 * iid['high']:+.2f} points per year: "
          f"lag-1 autocorrelation {share.autocorr(1):.2f}.)\n")
    last = raw[(raw["window"] == 71) & (raw["blocks"] > 0)]["blocks"].to_numpy(np.int64)
    r = fs.trend.nakamoto_range(last, inclusive=True)
    print(f"Nakamoto coefficient of the last window: {r['point']} (95% of lottery resamples: {r['low']} to "
          f"{r['high']}; {r['stable']:.0%} of them equal it).")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA)
