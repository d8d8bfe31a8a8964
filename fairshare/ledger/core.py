"""``Ledger``: payouts (address, time, amount) summed exactly per (epoch, address).

A ledger keeps no payout rows: reading sums every payout into its (epoch, address) cell with exact integer
arithmetic (:mod:`fairshare.ledger.amounts`), chunk by chunk, so a ledger larger than memory is read in one
streaming pass and only the cells stay. Everything downstream (panels, metrics, trends) starts from the cells.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import version
from ..errors import ConfigError, DataError, NaNError, SchemaError
from .amounts import FLOAT_RELATIVE_ERROR, limbs_to_float, limbs_to_int, parse_amounts, sum_limbs_by_group
from .timing import parse_epoch_seconds, to_epochs

__all__ = ["Ledger", "MISSING_POLICIES"]

#: ``missing=`` options: a missing amount is an error, or (explicitly) a row with no record, dropped and counted.
MISSING_POLICIES = ("raise", "no_record")
_CHUNK_ROWS = 5_000_000
_MAX_EPOCH = (1 << 31) - 1


@dataclass(frozen=True, eq=False)
class Ledger:
    """Payouts summed exactly per (epoch, address).

    Build one with :meth:`read` or :meth:`from_frame`; the constructor takes the summed cells.

    Parameters
    ----------
    epoch : numpy.ndarray
        int64 epoch of each cell, cells sorted by (epoch, address code).
    address : numpy.ndarray
        int64 code of each cell's address (a position in ``addresses``).
    hi, lo : numpy.ndarray
        Exact totals of the cells in base units as two int64 limbs (``hi * 2**32 + lo``).
    addresses : pandas.Index
        Address of each code.
    meta : dict
        What the data are: ``network``, ``synthetic``, ``source``, ``decimals``, ``unit``, ``time_kind``,
        ``epoch_seconds``, ``rows``, ``dropped_no_record``, input hashes.
    """

    epoch: np.ndarray
    address: np.ndarray
    hi: np.ndarray
    lo: np.ndarray
    addresses: pd.Index
    meta: dict = field(default_factory=dict)

    # ------------------------------------------------------------------------------------------ building
    @classmethod
    def from_frame(cls, df, *, time: str, address: str, amount: str, decimals: int = 0, unit: str = "base",
                   epoch_seconds=None, time_kind: str = "auto", origin=0, block_times=None, missing: str = "raise",
                   network: str = "unspecified", synthetic: bool = False, source: str = "DataFrame") -> Ledger:
        """A ledger from a pandas DataFrame, a dask DataFrame (read partition by partition) or an iterable of
        DataFrames (read chunk by chunk, so the payouts never need to fit in memory together).

        Parameters
        ----------
        df : pandas.DataFrame, dask.dataframe.DataFrame or iterable of pandas.DataFrame
            One row per payout.
        time, address, amount : str
            Column names of the payout's time, recipient address and amount.
        decimals : int, default 0
            Decimals of the token: amounts are reported in tokens = base units / 10**decimals.
        unit : {"base", "token"}, default "base"
            Whether ``amount`` holds integer base units or decimal token amounts (see
            :func:`fairshare.ledger.amounts.parse_amounts`).
        epoch_seconds : int or str, optional
            Epoch length (``86400`` or ``"1d"``); not needed when ``time`` holds epoch indices.
        time_kind : {"auto", "epoch", "unix", "datetime", "block"}, default "auto"
            How to read ``time`` (:func:`fairshare.ledger.timing.to_epochs`).
        origin : int, float or timestamp-like, default 0
            Start of epoch 0 (unix seconds or a timezone-aware timestamp).
        block_times : pandas.DataFrame, optional
            ``height`` -> ``time`` (unix seconds), for ``time_kind="block"``.
        missing : {"raise", "no_record"}, default "raise"
            A missing amount is an error; ``"no_record"`` drops such rows and counts them in
            ``meta["dropped_no_record"]`` (for sources where empty means "no record", never zero).
        network : str, default "unspecified"
            Which network the payouts are from; printed with every output.
        synthetic : bool, default False
            True for generated data; printed with every output.
        source : str, default "DataFrame"
            Where the rows came from.

        Returns
        -------
        Ledger

        Examples
        --------
        >>> import pandas as pd
        >>> import fairshare as fs
        >>> df = pd.DataFrame({"day": [0, 0, 1], "to": ["a", "a", "b"],
        ...                    "wei": ["100000000000000000000", "1", "5"]})
        >>> led = fs.Ledger.from_frame(df, time="day", address="to", amount="wei", decimals=18, epoch_seconds="1d")
        >>> led.total_base_units()           # beyond int64, exact
        100000000000000000006
        >>> led.to_frame()["amount_tokens"].tolist()
        [100.0, 5e-18]
        """
        if missing not in MISSING_POLICIES:
            raise ConfigError(f"missing={missing!r}; one of {MISSING_POLICIES}.")
        seconds = parse_epoch_seconds(epoch_seconds)
        chunks = _chunks_of(df)
        builder = _Builder(dict(time=time, address=address, amount=amount, decimals=int(decimals), unit=unit,
                                epoch_seconds=seconds, time_kind=time_kind, origin=origin,
                                block_times=block_times, missing=missing))
        for chunk in chunks:
            builder.add(chunk)
        return builder.finish(network=network, synthetic=bool(synthetic), source=source)

    @classmethod
    def read(cls, path, *, time: str, address: str, amount: str, chunk_rows: int = _CHUNK_ROWS,
             **options) -> Ledger:
        """Read a ledger from a CSV file, a Parquet file or a directory of Parquet files, in chunks.

        The amount and address columns of a CSV file are read as text, so amounts never pass through
        floats. The file is never modified; its SHA-256 goes into ``meta["inputs"]``.

        Parameters
        ----------
        path : str or pathlib.Path
            ``.csv`` (optionally ``.csv.gz``), ``.parquet`` or a directory of ``*.parquet`` files.
        time, address, amount : str
            Column names.
        chunk_rows : int, default 5,000,000
            Rows read at a time (memory is about one chunk plus the summed cells).
        **options
            Passed to :meth:`from_frame` (``decimals``, ``unit``, ``epoch_seconds``, ``time_kind``,
            ``missing``, ``network``, ...).

        Returns
        -------
        Ledger
        """
        path = Path(path)
        if not path.exists():
            raise DataError(f"ledger {path}: no such file or directory.")
        files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
        if not files:
            raise DataError(f"ledger {path}: the directory holds no .parquet files.")
        wanted = list(dict.fromkeys([time, address, amount]))
        chunks = (chunk for f in files for chunk in _read_file(f, wanted, chunk_rows))
        led = cls.from_frame(chunks, time=time, address=address, amount=amount, source=str(path), **options)
        led.meta["inputs"] = {str(f): _sha256(f) for f in files}
        return led

    # ------------------------------------------------------------------------------------------ views
    @property
    def decimals(self) -> int:
        """Decimals of the token."""
        return int(self.meta.get("decimals", 0))

    @property
    def epochs(self) -> np.ndarray:
        """Every epoch from the first to the last payout (epochs without payouts included)."""
        if self.epoch.size == 0:
            return np.zeros(0, np.int64)
        return np.arange(int(self.epoch[0]), int(self.epoch[-1]) + 1, dtype=np.int64)

    def amount_tokens(self) -> np.ndarray:
        """Cell totals in tokens (float64, relative error below 2**-52 plus the division by 10**decimals).

        Returns
        -------
        numpy.ndarray
        """
        return limbs_to_float(self.hi, self.lo) / float(10 ** self.decimals)

    def total_base_units(self) -> int:
        """Exact total of all payouts in base units.

        Returns
        -------
        int
        """
        return limbs_to_int(self.hi, self.lo)

    def describe(self) -> str:
        """One line saying what the data are.

        Returns
        -------
        str
        """
        kind = "synthetic" if self.meta.get("synthetic") else "real"
        return (f"{kind} payout ledger, network {self.meta.get('network', 'unspecified')}, "
                f"{self.meta.get('rows', 0):,} payouts over {self.epochs.size} epochs and "
                f"{self.addresses.size:,} addresses (source {self.meta.get('source')})")

    def __repr__(self) -> str:
        return f"Ledger({self.describe()})"

    def to_frame(self) -> pd.DataFrame:
        """The cells: epoch, address, exact base units (Python int) and tokens (float).

        Returns
        -------
        pandas.DataFrame
        """
        exact = [(int(h) << 32) + int(v) for h, v in zip(self.hi.tolist(), self.lo.tolist())]
        return pd.DataFrame({"epoch": self.epoch, "address": self.addresses[self.address],
                             "amount_base_units": pd.Series(exact, dtype=object),
                             "amount_tokens": self.amount_tokens()})

    def panel(self, labels=None, **options):
        """Epochs (or windows of epochs) by entities; see :class:`fairshare.ledger.Panel`.

        Parameters
        ----------
        labels : pandas.DataFrame, fairshare.ledger.Labels or None
            Columns ``address``, ``entity`` and optionally ``class``; None: the panel is key-level.
        **options
            Passed to :meth:`fairshare.ledger.Panel.build` (``unlabelled``, ``window``, ``step``,
            ``population``).

        Returns
        -------
        fairshare.ledger.Panel
        """
        from .panel import Panel

        return Panel.build(self, labels=labels, **options)

    @property
    def float_relative_error(self) -> float:
        """Bound on the relative error of the float amounts the metrics use."""
        return FLOAT_RELATIVE_ERROR


# ---------------------------------------------------------------------------------------------- reading
def _chunks_of(df) -> Iterable[pd.DataFrame]:
    if isinstance(df, pd.DataFrame):
        return [df]
    if hasattr(df, "partitions") and hasattr(df, "npartitions"):  # dask
        return (df.partitions[i].compute() for i in range(df.npartitions))
    if isinstance(df, Iterable) and not isinstance(df, (str, bytes)):
        return df
    raise ConfigError(f"Ledger.from_frame: got {type(df).__name__}; give a pandas or dask DataFrame or an "
                      "iterable of DataFrames.")


def _read_file(path: Path, columns: list[str], chunk_rows: int):
    name = path.name.lower()
    if name.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
        except (OSError, pa.ArrowException) as err:
            raise DataError(f"ledger {path}: not a readable Parquet file ({err}).") from None
        absent = [c for c in columns if c not in pf.schema_arrow.names]
        if absent:
            raise SchemaError(f"ledger {path}: missing column(s) {absent}; it has {pf.schema_arrow.names}.")
        for batch in pf.iter_batches(batch_size=chunk_rows, columns=columns):
            yield batch.to_pandas()
        return
    if not (name.endswith(".csv") or name.endswith(".csv.gz") or name.endswith(".tsv")):
        raise DataError(f"ledger {path}: unknown format; give .csv, .csv.gz, .parquet or a directory of .parquet.")
    try:
        header = pd.read_csv(path, nrows=0, sep="\t" if name.endswith(".tsv") else ",")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(f"ledger {path}: cannot read it as CSV ({err}).") from None
    absent = [c for c in columns if c not in header.columns]
    if absent:
        raise SchemaError(f"ledger {path}: missing column(s) {absent}; it has {list(header.columns)}.")
    text = {c: "string" for c in columns[1:]}
    try:
        reader = pd.read_csv(path, usecols=columns, dtype=text, chunksize=chunk_rows, keep_default_na=False,
                             na_values=[""], sep="\t" if name.endswith(".tsv") else ",")
        yield from reader
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as err:
        raise DataError(f"ledger {path}: cannot read it as CSV ({err}).") from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Builder:
    """Sums payout chunks into (epoch, address) cells, merging as it goes."""

    def __init__(self, opts: dict):
        self.o = opts
        self.known = pd.Index([], dtype=object)
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.pending = 0
        self.rows = self.dropped = self.offset = 0
        self.kinds: set[str] = set()

    def add(self, chunk: pd.DataFrame) -> None:
        o = self.o
        if not isinstance(chunk, pd.DataFrame):
            raise ConfigError(f"ledger chunk: got {type(chunk).__name__}, expected a pandas DataFrame.")
        absent = [c for c in (o["time"], o["address"], o["amount"]) if c not in chunk.columns]
        if absent:
            raise SchemaError(f"ledger: missing column(s) {absent}; it has {list(chunk.columns)}. Map the columns "
                              "with time=, address=, amount=.")
        chunk = chunk.reset_index(drop=True)
        first = self.offset
        self.offset += len(chunk)
        try:
            hi, lo, miss = parse_amounts(chunk[o["amount"]], unit=o["unit"], decimals=o["decimals"],
                                         column=o["amount"])
            addr = chunk[o["address"]]
            no_addr = addr.isna().to_numpy() | (addr.astype("string").str.strip() == "").fillna(True).to_numpy()
            if no_addr.any():
                raise NaNError(f"ledger.{o['address']}: missing addresses in {_rel_rows(no_addr)}; every payout "
                               "needs a recipient.")
            if miss.any() and o["missing"] == "raise":
                raise NaNError(f"ledger.{o['amount']}: missing amounts in {_rel_rows(miss)}. If the source means "
                               "'no record' (not zero), pass missing='no_record' to drop and count them.")
            epochs, kind = to_epochs(chunk[o["time"]], time_kind=o["time_kind"], epoch_seconds=o["epoch_seconds"],
                                     origin=o["origin"], block_times=o["block_times"], column=o["time"])
        except DataError as err:
            if first:
                raise type(err)(f"{err} (rows counted from {first:,}, the start of this chunk)") from None
            raise
        self.kinds.add(kind)
        if (epochs > _MAX_EPOCH).any():
            raise DataError(f"ledger.{o['time']}: epochs beyond 2**31 in {_rel_rows(epochs > _MAX_EPOCH)}; "
                            "use a later origin or longer epochs.")
        keep = ~miss
        self.rows += int(keep.sum())
        self.dropped += int(miss.sum())
        values = addr.to_numpy()[keep] if addr.dtype.kind in "iu" else addr.astype(str).to_numpy()[keep]
        codes, uniques = pd.factorize(values)  # integer addresses stay integers (fast); others are text
        where = self.known.get_indexer(uniques)
        new = where < 0
        if new.any():
            where[new] = np.arange(self.known.size, self.known.size + int(new.sum()))
            self.known = self.known.append(pd.Index(uniques[new]))
        key = (epochs[keep] << 32) | where[codes].astype(np.int64)
        self.parts.append(_sum_cells(key, hi[keep], lo[keep]))
        self.pending += key.size
        if len(self.parts) > 1 and self.pending > 4 * max(self.parts[0][0].size, _CHUNK_ROWS):
            self._merge()

    def _merge(self) -> None:
        key = np.concatenate([p[0] for p in self.parts])
        hi = np.concatenate([p[1] for p in self.parts])
        lo = np.concatenate([p[2] for p in self.parts])
        self.parts = [_sum_cells(key, hi, lo)]
        self.pending = self.parts[0][0].size

    def finish(self, **meta) -> Ledger:
        if self.parts:
            self._merge()
            key, hi, lo = self.parts[0]
        else:
            key = hi = lo = np.zeros(0, np.int64)
        if self.rows == 0:
            raise DataError("ledger: no payouts to read (the table is empty"
                            + (f" after dropping {self.dropped} rows with no record" if self.dropped else "") + ").")
        o = self.o
        info = dict(meta, decimals=o["decimals"], unit=o["unit"], time_kind=",".join(sorted(self.kinds)),
                    epoch_seconds=o["epoch_seconds"], rows=self.rows, dropped_no_record=self.dropped,
                    missing=o["missing"], fairshare_version=version)
        return Ledger(key >> 32, key & 0xFFFFFFFF, hi, lo, self.known, info)


def _rel_rows(mask: np.ndarray) -> str:
    from .amounts import _rows

    return _rows(mask)


def _sum_cells(key, hi, lo):
    order = np.argsort(key, kind="stable")
    key, hi, lo = key[order], hi[order], lo[order]
    if key.size == 0:
        return key, hi, lo
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    h, lsum = sum_limbs_by_group(starts, hi, lo, "ledger amount")
    return key[starts], h, lsum
