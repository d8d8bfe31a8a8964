"""Are Solana validator rewards moving toward small validators? Two real ledgers, key level.

Usage::

    python examples/converge_solana.py [DATA_DIR]

``DATA_DIR`` defaults to the repository's ``tests/data/real`` (sources and licences in its README.md):
block rewards per validator identity over epochs 830-858 (empty = no record, dropped and counted), and
DoubleZero fees (5% of block rewards) over epochs 859-938 with validators joining and leaving. Solana epochs
last about two days (stated as ``epoch_seconds="2d"``). No entity labels exist, so every verdict is key-level:
an operator running several validators counts several times.
"""

from __future__ import annotations

import sys
from pathlib import Path

import fairshare as fs

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / "tests" / "data" / "real"


def main(data: Path = DEFAULT_DATA) -> None:
    rewards = fs.Ledger.read(data / "solana_block_rewards_830_858.csv", time="epoch", address="pubkey",
                             amount="block_rewards_sol", unit="token", decimals=14, missing="no_record",
                             epoch_seconds="2d", network="Solana (block rewards)")
    print(rewards)
    print(fs.trend.verdict(rewards.panel()).statement, "\n")

    fees = fs.Ledger.read(data / "solana_doublezero_fees_859_938.csv", time="epoch", address="pubkey",
                          amount="dz_fee_lamports", decimals=9, epoch_seconds="2d",
                          network="Solana (DoubleZero fees)")
    panel = fees.panel()
    print(fs.trend(panel, "gini").statement)
    parts = fs.trend.decompose(panel, "gini")
    print(f"Gini from epoch {parts['first_epoch']} to {parts['last_epoch']}: {parts['change']:+.4f} = "
          f"{parts['within']:+.4f} among the {parts['stayers']} validators paid in both + "
          f"{parts['entry_exit']:+.4f} from {parts['entrants']} entrants and {parts['leavers']} leavers.")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA)
