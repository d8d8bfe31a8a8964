"""Readers of what chains export: an EVM explorer's token-transfer CSV and Cosmos ``x/distribution`` reward events.

**EVM token transfers.** The CSV an explorer writes for a token's transfers (Etherscan-style columns
``Txhash, Blockno, UnixTimestamp, DateTime, From, To, Quantity, Method``; ``Quantity`` in tokens, possibly
with thousands separators). Payouts are transfers received; ``senders`` keeps only transfers from the reward
distributor(s). Column names can be mapped.

**Cosmos reward events.** A flat export of ``x/distribution`` events, one row per event as block indexers
write them: ``height``, ``time`` (optional: else pass ``block_times``), ``type`` (``withdraw_rewards`` pays
the ``delegator``; ``withdraw_commission`` pays the ``validator``'s operator address), and ``amount`` as a coin
list (``"1234uatom"`` or ``"1234uatom,5ibc/27394..."``). Only ``denom`` is read; events paying only other denoms
are dropped and counted in ``meta["dropped_other_denom"]``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, SchemaError
from .amounts import _rows
from .core import Ledger, _sha256

__all__ = ["EVM_COLUMNS", "read_evm_transfers", "read_cosmos_rewards"]

#: Default column names of an explorer's token-transfer CSV.
EVM_COLUMNS = {"block": "Blockno", "time": "UnixTimestamp", "sender": "From", "recipient": "To",
               "amount": "Quantity"}
_COIN = re.compile(r"^\s*(\d+)([a-zA-Z][a-zA-Z0-9/:._-]*)\s*$")


def _read_text_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path}: no such file.")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot read it as CSV ({err}).") from None


def read_evm_transfers(path, *, decimals: int, epoch_seconds="1d", senders=None, columns: dict | None = None,
                       network: str = "EVM", frame: bool = False, origin=0):
    """Read a token-transfer CSV as a payout ledger (transfers received), or as a transfer table.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file (never modified).
    decimals : int
        Decimals of the token (18 for most ERC-20 tokens).
    epoch_seconds : int or str, default "1d"
        Epoch length.
    senders : list of str, optional
        Keep only transfers from these addresses (the reward distributor); default every transfer.
    columns : dict, optional
        Column names for ``block``, ``time``, ``sender``, ``recipient``, ``amount`` (:data:`EVM_COLUMNS`).
    network : str, default "EVM"
        Network name for outputs.
    frame : bool, default False
        Return the validated transfer table (``time``, ``block``, ``sender``, ``recipient``, ``amount`` as
        token text) instead of a ledger, for :func:`fairshare.ledger.balance_panel`.
    origin : int or timestamp-like, default 0
        Start of epoch 0.

    Returns
    -------
    Ledger or pandas.DataFrame
    """
    path = Path(path)
    cols = {**EVM_COLUMNS, **(columns or {})}
    raw = _read_text_csv(path)
    absent = [c for c in cols.values() if c not in raw.columns]
    if absent:
        raise SchemaError(f"{path}: missing column(s) {absent} of a token-transfer export; it has "
                          f"{list(raw.columns)}. Map them with columns={{...}}.")
    table = pd.DataFrame({k: raw[v] for k, v in cols.items()})
    table["amount"] = table["amount"].str.replace(",", "", regex=False)
    time = pd.to_numeric(table["time"], errors="coerce")
    if time.isna().any() or (time != time.round()).any():
        raise DataError(f"{path}.{cols['time']}: not whole unix seconds in {_rows(time.isna().to_numpy())}.")
    table["time"] = time.astype(np.int64)
    if senders is not None:
        wanted = {s.lower() for s in senders}
        table = table[table["sender"].str.lower().isin(wanted)].reset_index(drop=True)
        if table.empty:
            raise DataError(f"{path}: no transfer from {sorted(wanted)}; check senders=.")
    if frame:
        return table
    led = Ledger.from_frame(table, time="time", address="recipient", amount="amount", decimals=decimals,
                            unit="token", epoch_seconds=epoch_seconds, time_kind="unix", network=network,
                            source=str(path), origin=origin)
    led.meta["inputs"] = {str(path): _sha256(path)}
    led.meta["reader"] = "EVM token-transfer CSV" + (f", senders {sorted(senders)}" if senders else "")
    return led


def read_cosmos_rewards(path, *, denom: str, decimals: int, epoch_seconds="1d", block_times=None,
                        types=("withdraw_rewards", "withdraw_commission"), network: str = "Cosmos", origin=0):
    """Read a flat export of Cosmos ``x/distribution`` reward events as a payout ledger.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV with ``height``, ``type``, ``delegator``, ``validator``, ``amount`` and ``time`` (ISO 8601 with
        offset) unless ``block_times`` maps heights to unix seconds.
    denom : str
        Coin denomination to read (``"uatom"``).
    decimals : int
        Decimals from ``denom`` to the display token (6 for uatom -> ATOM).
    epoch_seconds : int or str, default "1d"
        Epoch length.
    block_times : pandas.DataFrame, optional
        ``height`` -> ``time`` (unix seconds), when the export has no time column.
    types : tuple of str
        Event types to read; others are an error so nothing is lost unnoticed.
    network : str, default "Cosmos"
        Network name for outputs.
    origin : int or timestamp-like, default 0
        Start of epoch 0.

    Returns
    -------
    Ledger
    """
    path = Path(path)
    raw = _read_text_csv(path)
    need = ["height", "type", "delegator", "validator", "amount"] + ([] if block_times is not None else ["time"])
    absent = [c for c in need if c not in raw.columns]
    if absent:
        raise SchemaError(f"{path}: missing column(s) {absent} of an x/distribution event export; it has "
                          f"{list(raw.columns)}.")
    other = ~raw["type"].isin(types)
    if other.any():
        kinds = sorted(raw.loc[other, "type"].unique())
        raise DataError(f"{path}.type: event types {kinds} in {_rows(other.to_numpy())}; "
                        f"read only {list(types)} (pass types=) or filter the export first.")
    amount = []
    for i, coins in enumerate(raw["amount"].fillna("").tolist()):
        found = None
        for coin in filter(None, coins.split(",")):
            m = _COIN.match(coin)
            if m is None:
                raise DataError(f"{path}.amount: row {i}: {coin!r} is not a coin ('1234uatom').")
            if m.group(2) == denom:
                found = str(int(found or 0) + int(m.group(1)))
        amount.append(found)
    table = raw.assign(amount=amount)
    dropped = int(table["amount"].isna().sum())
    table = table[table["amount"].notna()].reset_index(drop=True)
    table["address"] = np.where(table["type"] == "withdraw_commission", table["validator"], table["delegator"])
    if block_times is not None:
        table["height"] = pd.to_numeric(table["height"]).astype(np.int64)
        time_col, kind = "height", "block"
    else:
        time_col, kind = "time", "datetime"
    led = Ledger.from_frame(table, time=time_col, address="address", amount="amount", decimals=decimals,
                            unit="base", epoch_seconds=epoch_seconds, time_kind=kind, block_times=block_times,
                            network=network, source=str(path), origin=origin)
    led.meta.update(inputs={str(path): _sha256(path)}, dropped_other_denom=dropped, denom=denom,
                    reader="Cosmos x/distribution reward events")
    return led
