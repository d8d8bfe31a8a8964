"""Payout ledgers: read what chains export, sum it exactly, label it, and turn it into panels.

``fs.Ledger.read(path, time=..., address=..., amount=...)`` or ``fs.Ledger.from_frame(df, ...)`` sums every
payout into its (epoch, address) cell with exact integer arithmetic (amounts beyond int64 included);
``ledger.panel(labels=...)`` gives windows by entities with label coverage, population conventions and
metric series, which :func:`fairshare.trend` turns into a verdict.

=============  =============================================================================================
module         job
=============  =============================================================================================
``core``       ``Ledger``: reading (CSV, Parquet, pandas, dask, chunks), validation, exact cells
``amounts``    exact base units: parsing decimal text and integers, two-limb sums, float conversion
``timing``     times to epochs: unix seconds, timezone-aware datetimes, block heights, epoch indices
``labels``     ``Labels``: address -> entity (and class); helpers from on-chain relations; coverage
``panel``      ``Panel``: windows x entities, unlabelled policy, population rule, envelope, metric series
``chains``     readers of an EVM token-transfer CSV and a Cosmos ``x/distribution`` reward-event export
``balances``   balance panels and small holders' net flows around unlock dates (exit liquidity)
=============  =============================================================================================
"""

from .balances import BalancePanel, balance_panel, net_flows_around
from .chains import read_cosmos_rewards, read_evm_transfers
from .core import MISSING_POLICIES, Ledger
from .labels import Labels, coldkey_labels, labels_from_relation, vote_account_labels, withdraw_address_labels
from .panel import POPULATIONS, UNLABELLED_POLICIES, Panel

__all__ = ["Ledger", "MISSING_POLICIES", "Labels", "labels_from_relation", "withdraw_address_labels",
           "coldkey_labels", "vote_account_labels", "Panel", "POPULATIONS", "UNLABELLED_POLICIES",
           "read_evm_transfers", "read_cosmos_rewards", "BalancePanel", "balance_panel", "net_flows_around"]
