"""Address labels: which entity (and class) receives each address's payouts, and how much of a ledger they cover.

Labels come from the user (an ``address, entity[, class]`` table) or from on-chain relations: addresses that
pay out to the same withdraw address, Bittensor hotkeys owned by one coldkey, Solana vote accounts of one
identity. Each helper records its heuristic; :meth:`Labels.coverage` reports how much of a ledger the labels
reach. Nothing is guessed: an address with two entities is an error naming both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, NaNError, SchemaError
from .amounts import _rows

__all__ = ["Labels", "labels_from_relation", "withdraw_address_labels", "coldkey_labels", "vote_account_labels"]


@dataclass(frozen=True, eq=False)
class Labels:
    """Entity (and optional class) of each labelled address.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``address`` (unique), ``entity`` and ``class`` (text or missing), validated by :meth:`from_frame`.
    heuristic : str
        How the labels were made, printed with every output that uses them.
    """

    frame: pd.DataFrame
    heuristic: str = "labels given by the user"

    @classmethod
    def from_frame(cls, df, *, address: str = "address", entity: str = "entity", klass: str = "class",
                   heuristic: str = "labels given by the user") -> Labels:
        """Validate a labels table.

        Parameters
        ----------
        df : pandas.DataFrame or Labels
            One row per address.
        address, entity, klass : str
            Column names; the class column is optional (``retail``, ``professional``, ``exchange``, ...).
        heuristic : str
            How the labels were made.

        Returns
        -------
        Labels
        """
        if isinstance(df, Labels):
            return df
        if not isinstance(df, pd.DataFrame):
            raise SchemaError(f"labels: got {type(df).__name__}; give a DataFrame with columns address, entity[, "
                              "class].")
        absent = [c for c in (address, entity) if c not in df.columns]
        if absent:
            raise SchemaError(f"labels: missing column(s) {absent}; it has {list(df.columns)}.")
        out = pd.DataFrame({"address": df[address].astype("string"), "entity": df[entity].astype("string")})
        out["class"] = df[klass].astype("string") if klass in df.columns else pd.Series(pd.NA, index=df.index,
                                                                                      dtype="string")
        for col in ("address", "entity"):
            bad = out[col].isna().to_numpy() | (out[col].str.strip() == "").fillna(True).to_numpy()
            if bad.any():
                raise NaNError(f"labels.{col}: missing values in {_rows(bad)}; label every row or drop it first.")
        dup = out.duplicated("address", keep=False).to_numpy()
        if dup.any():
            clash = out[dup].groupby("address")["entity"].nunique()
            if (clash > 1).any():
                a = clash[clash > 1].index[0]
                names = sorted(out.loc[out["address"] == a, "entity"].unique())
                raise DataError(f"labels: address {a} has {len(names)} entities ({', '.join(names)}) in "
                                f"{_rows(dup)}; keep one label per address.")
            out = out.drop_duplicates("address")
        return cls(out.reset_index(drop=True), heuristic)

    def entity_of(self, addresses: pd.Index) -> np.ndarray:
        """Entity of each address, missing (None) where unlabelled.

        Parameters
        ----------
        addresses : pandas.Index
            Addresses to look up.

        Returns
        -------
        numpy.ndarray of object
        """
        mapping = pd.Series(self.frame["entity"].to_numpy(object), index=self.frame["address"].to_numpy(object))
        return mapping.reindex(addresses.astype(str)).to_numpy(object)

    def coverage(self, ledger) -> pd.DataFrame:
        """Share of each epoch's rewards, and of its paid addresses, that the labels reach.

        Parameters
        ----------
        ledger : fairshare.Ledger

        Returns
        -------
        pandas.DataFrame
            Index epoch; columns ``labelled_reward_share``, ``labelled_address_share``.
        """
        known = pd.Series(self.entity_of(ledger.addresses)).notna().to_numpy()[ledger.address]
        amount = ledger.amount_tokens()
        frame = pd.DataFrame({"epoch": ledger.epoch, "paid": amount, "labelled": np.where(known, amount, 0.0),
                              "n": 1, "n_labelled": known.astype(np.int64)})
        g = frame.groupby("epoch").sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            out = pd.DataFrame({"labelled_reward_share": g["labelled"] / g["paid"],
                                "labelled_address_share": g["n_labelled"] / g["n"]})
        return out.reindex(pd.Index(ledger.epochs, name="epoch"))


def labels_from_relation(pairs: pd.DataFrame, *, address: str, entity: str, heuristic: str,
                         klass: str | None = None) -> Labels:
    """Labels from an on-chain relation: every ``address`` belongs to the entity named by ``entity``.

    Parameters
    ----------
    pairs : pandas.DataFrame
        One row per (address, related key).
    address, entity : str
        Columns: the paid address and the key that identifies its entity.
    heuristic : str
        The rule, in words.
    klass : str, optional
        A class column to carry over.

    Returns
    -------
    Labels
    """
    cols = {address: "address", entity: "entity"}
    if klass:
        cols[klass] = "class"
    absent = [c for c in cols if c not in pairs.columns]
    if absent:
        raise SchemaError(f"relation: missing column(s) {absent}; it has {list(pairs.columns)}.")
    return Labels.from_frame(pairs[list(cols)].rename(columns=cols), heuristic=heuristic)


def withdraw_address_labels(pairs: pd.DataFrame, *, address: str = "address",
                            withdraw: str = "withdraw_address") -> Labels:
    """Addresses that send their rewards to the same withdraw (payee) address are one entity.

    Parameters
    ----------
    pairs : pandas.DataFrame
        Columns ``address`` and ``withdraw_address`` (Cosmos ``x/distribution`` withdraw addresses, Ethereum
        validators' fee recipients, ...).
    address, withdraw : str
        Column names.

    Returns
    -------
    Labels
    """
    return labels_from_relation(pairs, address=address, entity=withdraw,
                                heuristic="addresses sharing a withdraw (payee) address are one entity")


def coldkey_labels(pairs: pd.DataFrame, *, hotkey: str = "hotkey", coldkey: str = "coldkey") -> Labels:
    """Bittensor hotkeys owned by the same coldkey are one entity.

    Parameters
    ----------
    pairs : pandas.DataFrame
        Columns ``hotkey`` and ``coldkey`` (from a metagraph).
    hotkey, coldkey : str
        Column names.

    Returns
    -------
    Labels
    """
    return labels_from_relation(pairs, address=hotkey, entity=coldkey,
                                heuristic="hotkeys registered by the same coldkey are one entity")


def vote_account_labels(pairs: pd.DataFrame, *, vote: str = "votekey", identity: str = "pubkey") -> Labels:
    """Solana vote accounts are labelled with the validator identity that runs them.

    Parameters
    ----------
    pairs : pandas.DataFrame
        Columns ``votekey`` and ``pubkey`` (identity).
    vote, identity : str
        Column names.

    Returns
    -------
    Labels
    """
    return labels_from_relation(pairs, address=vote, entity=identity,
                                heuristic="vote accounts of the same validator identity are one entity")
