"""Balance panels from token transfers, and small holders' net flows around unlock dates.

"Small holders are the exit liquidity" is a claim about flows: around an unlock, do small holders buy
(net inflow) while the unlocked tokens leave large holders? :func:`balance_panel` sums each address's net
transfer flow per epoch exactly and accumulates balances; :func:`net_flows_around` splits holders by their
balance just before each date into small and large and sums their net flows before and after it.

Balances start at zero at the first epoch of the export unless opening balances are given; a balance that
goes negative means the export does not start at the token's genesis, and is an error naming the address.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .amounts import limbs_to_float, parse_amounts, sum_limbs_by_group, to_limbs
from .timing import to_epochs

__all__ = ["BalancePanel", "balance_panel", "net_flows_around"]


@dataclass(frozen=True, eq=False)
class BalancePanel:
    """Net flows and balances per (epoch, address), in tokens.

    Parameters
    ----------
    flows : pandas.DataFrame
        Columns ``epoch``, ``address``, ``net_tokens``, ``balance_tokens`` (after the epoch), sorted by
        address then epoch; only epochs where the address moved tokens.
    meta : dict
        ``decimals``, ``network``, ``synthetic``, ``opening``.
    """

    flows: pd.DataFrame
    meta: dict

    def balances_at(self, epoch: int) -> pd.Series:
        """Every address's balance at the start of ``epoch`` (after all earlier epochs).

        Parameters
        ----------
        epoch : int

        Returns
        -------
        pandas.Series
        """
        before = self.flows[self.flows["epoch"] < epoch]
        return before.groupby("address")["balance_tokens"].last()


def _negate(hi, lo):
    neg_hi = np.where(lo > 0, -hi - 1, -hi)
    neg_lo = np.where(lo > 0, (1 << 32) - lo, 0)
    return neg_hi, neg_lo


def balance_panel(transfers: pd.DataFrame, *, time: str = "time", sender: str = "sender",
                  recipient: str = "recipient", amount: str = "amount", decimals: int = 18, unit: str = "token",
                  epoch_seconds="1d", time_kind: str = "unix", opening: pd.Series | None = None,
                  network: str = "unspecified", synthetic: bool = False) -> BalancePanel:
    """Exact net flows and balances per (epoch, address) from a transfer table.

    Parameters
    ----------
    transfers : pandas.DataFrame
        One row per transfer (for example :func:`fairshare.ledger.read_evm_transfers` with ``frame=True``).
    time, sender, recipient, amount : str
        Column names.
    decimals : int, default 18
    unit : {"token", "base"}, default "token"
    epoch_seconds : int or str, default "1d"
    time_kind : str, default "unix"
        As in :func:`fairshare.ledger.timing.to_epochs`.
    opening : pandas.Series, optional
        Balances in base units (int) before the first transfer, by address; default zero.
    network : str, default "unspecified"
    synthetic : bool, default False

    Returns
    -------
    BalancePanel
    """
    hi, lo, missing = parse_amounts(transfers[amount], unit=unit, decimals=decimals, column=amount,
                                    table="transfers")
    if missing.any():
        raise DataError(f"transfers.{amount}: missing amounts; every transfer needs one.")
    epochs, _ = to_epochs(transfers[time], time_kind=time_kind, epoch_seconds=epoch_seconds, column=time,
                          table="transfers")
    nh, nl = _negate(hi, lo)
    addr = np.concatenate([transfers[recipient].astype(str).to_numpy(), transfers[sender].astype(str).to_numpy()])
    ep = np.concatenate([epochs, epochs])
    h = np.concatenate([hi, nh])
    low = np.concatenate([lo, nl])
    if opening is not None:
        oh, ol = to_limbs(np.array([int(v) for v in opening.to_numpy()], dtype=object))
        addr = np.concatenate([addr, opening.index.astype(str).to_numpy()])
        ep = np.concatenate([ep, np.full(len(opening), int(epochs.min()) - 1)])
        h, low = np.concatenate([h, oh]), np.concatenate([low, ol])
    codes, names = pd.factorize(addr)
    order = np.lexsort((ep, codes))
    key = (codes[order].astype(np.int64) << 32) | (ep[order] - ep.min())
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sh, sl = sum_limbs_by_group(starts, h[order], low[order], "transfers net flow")
    net = limbs_to_float(sh, sl) / float(10 ** decimals)
    code = codes[order][starts]
    # running balances per address, exact: cumulative limb sums restart at each address
    first = np.r_[True, code[1:] != code[:-1]]
    bal = []
    for g0, g1 in zip(np.flatnonzero(first), np.r_[np.flatnonzero(first)[1:], code.size]):
        total = 0
        for j in range(g0, g1):
            total += (int(sh[j]) << 32) + int(sl[j])
            if total < 0:
                raise DataError(f"transfers: address {names[code[j]]} has a negative balance at epoch "
                                f"{int(ep[order][starts][j])}; the export does not start at the token's genesis. "
                                "Pass opening= balances.")
            bal.append(total)
    balance = np.array([float(b) for b in bal]) / float(10 ** decimals)
    flows = pd.DataFrame({"epoch": ep[order][starts], "address": names[code], "net_tokens": net,
                          "balance_tokens": balance})
    return BalancePanel(flows, {"decimals": decimals, "network": network, "synthetic": synthetic,
                                "opening": "given" if opening is not None else "zero at the first transfer"})


def net_flows_around(panel: BalancePanel, dates, *, before: int = 7, after: int = 7,
                     small_balance: float | None = None, small_share: float = 0.001) -> pd.DataFrame:
    """Net flows of small and large holders in the epochs before and after each date.

    Parameters
    ----------
    panel : BalancePanel
    dates : list of int
        Epochs of unlocks (or any event).
    before, after : int, default 7
        Epochs counted before the date and from the date on.
    small_balance : float, optional
        Balance (tokens) below which a holder is small, judged just before ``date - before``.
    small_share : float, default 0.001
        Used when ``small_balance`` is None: a holder is small below this share of all positive balances.

    Returns
    -------
    pandas.DataFrame
        One row per date: ``small_net_before``, ``small_net_after``, ``large_net_before``, ``large_net_after``
        (tokens; positive = inflow), ``small_holders``.
    """
    if before < 1 or after < 1:
        raise ConfigError("net_flows_around: before and after are positive numbers of epochs.")
    rows = {}
    f = panel.flows
    for d in dates:
        bal = panel.balances_at(int(d) - before)
        bal = bal[bal > 0]
        limit = small_balance if small_balance is not None else small_share * float(bal.sum())
        small = set(bal.index[bal < limit])
        win_b = f[(f["epoch"] >= d - before) & (f["epoch"] < d)]
        win_a = f[(f["epoch"] >= d) & (f["epoch"] < d + after)]

        def split(w):
            is_small = w["address"].isin(small) | ~w["address"].isin(bal.index)  # new holders start small
            return float(w.loc[is_small, "net_tokens"].sum()), float(w.loc[~is_small, "net_tokens"].sum())
        sb, lb = split(win_b)
        sa, la = split(win_a)
        rows[int(d)] = {"small_net_before": sb, "small_net_after": sa, "large_net_before": lb,
                        "large_net_after": la, "small_holders": len(small)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("date_epoch")
