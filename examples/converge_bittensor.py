"""One-epoch concentration of a Bittensor subnet: the Edinburgh Decentralisation Index's metric set on stake.

Usage::

    python examples/converge_bittensor.py [DATA_DIR]

``DATA_DIR`` defaults to the repository's ``tests/data/real`` (source and licence in its README.md): the stake
of the 256 uids of subnet 15 at block 4769998, one snapshot. It has no coldkey column, so hotkeys cannot be
grouped by owner (``fairshare.ledger.coldkey_labels`` would do it with a coldkey per hotkey): the numbers are
key-level. One snapshot gives a level, not a trend.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

import fairshare as fs

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / "tests" / "data" / "real"


def main(data: Path = DEFAULT_DATA) -> None:
    stake = pd.read_csv(data / "bittensor_sn15_stake.csv")
    held = stake.loc[stake["stake"] > 0, "stake"].to_numpy()
    print(f"Bittensor subnet 15, block 4769998, stake per hotkey (key level; {held.size} of {len(stake)} uids hold "
          "stake):")
    print(fs.trend.edi_metrics(held).round(4).to_string())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA)
