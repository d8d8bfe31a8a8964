"""Payout times to integer epochs: unix seconds, timezone-aware datetimes, block heights, epoch indices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import AlignmentError, ConfigError, DataError, NaNError, RangeError, SchemaError
from .amounts import _rows

__all__ = ["TIME_KINDS", "parse_epoch_seconds", "to_epochs"]

#: Accepted ``time_kind`` values.
TIME_KINDS = ("auto", "epoch", "unix", "datetime", "block")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_epoch_seconds(value) -> int | None:
    """Epoch length in seconds from a number or a text such as ``"1d"``, ``"6h"``, ``"30d"``.

    Parameters
    ----------
    value : int, float, str or None
        Seconds, or a count followed by one of ``s``, ``m``, ``h``, ``d``, ``w``; None stays None.

    Returns
    -------
    int or None
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        unit = text[-1:] if text[-1:] in _UNITS else "s"
        number = text[:-1] if text[-1:] in _UNITS else text
        try:
            seconds = float(number) * _UNITS[unit]
        except ValueError:
            raise ConfigError(f"epoch length {value!r}: write seconds or a count with s/m/h/d/w, e.g. '1d'.") from None
    else:
        seconds = float(value)
    if not np.isfinite(seconds) or seconds <= 0 or seconds != int(seconds):
        raise ConfigError(f"epoch length {value!r}: a positive whole number of seconds is required.")
    return int(seconds)


def to_epochs(values, *, time_kind: str = "auto", epoch_seconds=None, origin=0, block_times=None,
              column: str = "time", table: str = "ledger") -> tuple[np.ndarray, str]:
    """Integer epoch of every payout.

    Parameters
    ----------
    values : pandas.Series
        The time column.
    time_kind : {"auto", "epoch", "unix", "datetime", "block"}
        ``"epoch"``: integer epoch indices (kept as they are); ``"unix"``: seconds since 1970-01-01 UTC;
        ``"datetime"``: timezone-aware datetimes or ISO strings with an offset; ``"block"``: block heights,
        mapped to times by ``block_times``. ``"auto"``: datetimes (or text) as ``"datetime"``, integers as
        ``"epoch"`` when ``epoch_seconds`` is None and as ``"unix"`` otherwise (the choice is recorded).
    epoch_seconds : int, str or None
        Epoch length (``"1d"``); required for every kind but ``"epoch"``, where it states the indexed epochs'
        length (optional).
    origin : int, float or timestamp-like
        Start of epoch 0 (unix seconds or a timestamp); default 1970-01-01 UTC.
    block_times : pandas.DataFrame, optional
        Columns ``height`` and ``time`` (unix seconds), one row per known block, for ``time_kind="block"``;
        every payout's height must be listed.
    column, table : str
        Names used in error messages.

    Returns
    -------
    tuple
        ``(epochs, kind)``: int64 epochs and the kind used.
    """
    if time_kind not in TIME_KINDS:
        raise ConfigError(f"time_kind={time_kind!r}; one of {', '.join(TIME_KINDS)}.")
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if s.isna().any():
        raise NaNError(f"{table}.{column}: missing times in {_rows(s.isna().to_numpy())}; every payout needs a time.")
    seconds = parse_epoch_seconds(epoch_seconds)
    kind = time_kind
    if kind == "auto":
        if s.dtype.kind in "iu":
            kind = "epoch"
        elif s.dtype.kind == "M" or isinstance(s.dtype, pd.DatetimeTZDtype) or s.dtype == object or \
                isinstance(s.dtype, pd.StringDtype):
            kind = "datetime"
        else:
            raise SchemaError(f"{table}.{column}: dtype {s.dtype} is not a time; give integers (epochs, unix "
                              "seconds, block heights) or timezone-aware datetimes.")
    if kind == "epoch":
        if s.dtype.kind not in "iu":
            raise SchemaError(f"{table}.{column}: epoch indices must be integers, found dtype {s.dtype}.")
        out = s.to_numpy().astype(np.int64)
        if (out < 0).any():
            raise RangeError(f"{table}.{column}: negative epoch indices in {_rows(out < 0)}.")
        return out, kind
    if seconds is None:
        raise ConfigError(f"{table}.{column}: time_kind={kind!r} needs epoch_seconds (e.g. '1d').")
    origin_s = _unix(origin, "origin", table)
    if kind == "unix":
        if s.dtype.kind not in "iuf":
            raise SchemaError(f"{table}.{column}: unix seconds must be numbers, found dtype {s.dtype}.")
        t = s.to_numpy().astype(np.float64)
    elif kind == "datetime":
        t = _datetimes(s, column, table)
    else:
        t = _block_times(s, block_times, column, table)
    if not np.isfinite(t).all():
        raise NaNError(f"{table}.{column}: non-finite times in {_rows(~np.isfinite(t))}.")
    early = t < origin_s
    if early.any():
        raise RangeError(f"{table}.{column}: times before the origin in {_rows(early)}; pass an earlier origin.")
    return np.floor((t - origin_s) / seconds).astype(np.int64), kind


def _unix(value, name, table) -> float:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        raise ConfigError(f"{table}: {name}={value!r} has no timezone; write it with one, e.g. '2024-01-01T00:00Z'.")
    return ts.as_unit("ns").value / 1e9


def _datetimes(s: pd.Series, column, table) -> np.ndarray:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        dt = s
    elif s.dtype.kind == "M":
        raise DataError(f"{table}.{column}: datetimes without a timezone; localise them (tz_localize('UTC')) or "
                        "write them with an offset ('2024-01-01T00:00:00Z').")
    else:
        text = s.astype("string").str.strip()
        naive = ~text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).fillna(False).to_numpy()
        if naive.any():
            raise DataError(f"{table}.{column}: datetimes without a timezone in {_rows(naive)}; write them with an "
                            "offset ('2024-01-01T00:00:00Z') or give unix seconds with time_kind='unix'.")
        try:
            dt = pd.to_datetime(text, utc=True, format="ISO8601")
        except (ValueError, TypeError) as err:
            raise DataError(f"{table}.{column}: cannot read the times as ISO 8601 datetimes ({err}); give unix "
                            "seconds with time_kind='unix' or timezone-aware datetimes.") from None
    return dt.dt.tz_convert("UTC").dt.as_unit("ns").astype("int64").to_numpy() / 1e9


def _block_times(s: pd.Series, block_times, column, table) -> np.ndarray:
    if block_times is None:
        raise ConfigError(f"{table}.{column}: time_kind='block' needs block_times (columns height, time).")
    bt = pd.DataFrame(block_times)
    missing = {"height", "time"} - set(bt.columns)
    if missing:
        raise SchemaError(f"block_times: missing column(s) {sorted(missing)}; give height and time (unix seconds).")
    if bt["height"].duplicated().any():
        raise SchemaError(f"block_times.height: duplicate heights in {_rows(bt['height'].duplicated().to_numpy())}.")
    table_h = bt["height"].to_numpy().astype(np.int64)
    order = np.argsort(table_h, kind="stable")
    table_h, table_t = table_h[order], bt["time"].to_numpy().astype(np.float64)[order]
    h = s.to_numpy().astype(np.int64)
    pos = np.searchsorted(table_h, h)
    found = (pos < table_h.size) & (table_h[np.minimum(pos, table_h.size - 1)] == h)
    if not found.all():
        raise AlignmentError(f"{table}.{column}: block heights not in block_times in {_rows(~found)} "
                             f"(e.g. {int(h[~found][0])}); add them to block_times.")
    return table_t[pos]

