"""Strict, column-by-column validation of input tables.

Each check raises the matching :mod:`fairshare.errors` class with a message
that names the table, the column, how many rows offend, the first few of them
(by their position in the input, 0-based) and how to fix the input. Nothing is
dropped, clipped or repaired here.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import AlignmentError, NaNError, RangeError, SchemaError
from .schema import TABLES, Column

__all__ = ["Labels", "check_table", "check_unique", "check_contiguous", "code_labels", "column_values", "offending",
           "rows_message", "is_arrow_table", "arrow_frame", "without_index_columns"]

_SHOW = 5


def offending(mask: np.ndarray, positions: np.ndarray | None = None) -> str:
    """``"3 rows (rows 4, 17, 92)"`` for the true entries of ``mask``.

    At most the first five offending rows are listed, then ``...``.

    Parameters
    ----------
    mask : bool ndarray, shape ``(R,)``
        True for the offending rows.
    positions : int ndarray, optional
        Position of each row of ``mask`` in the whole input (0-based), when ``mask`` covers a slice of it;
        messages name these instead of the slice's own positions.
    """
    idx = np.flatnonzero(mask)
    if positions is not None:
        idx = positions[idx]
    first = ", ".join(str(int(i)) for i in idx[:_SHOW])
    more = ", ..." if idx.size > _SHOW else ""
    noun = "row" if idx.size == 1 else "rows"
    return f"{idx.size} {noun} ({noun} {first}{more})"


def rows_message(table: str, column: str, mask, what: str, fix: str, positions=None) -> str:
    """The standard message for rows of ``table.column`` where ``mask`` holds.

    ``"<table>.<column>: <n> rows (rows ...) <what>. <fix>"``.

    Parameters
    ----------
    table : str
        Table name, first part of the message.
    column : str
        Column name.
    mask : array_like of bool, shape ``(R,)``
        True for the offending rows.
    what : str
        What is wrong with them, completing "<n> rows (rows ...) " (e.g. ``"are NaN or missing"``).
    fix : str
        How to fix the input, a sentence ending the message.
    positions : int ndarray, optional
        Position of each row of ``mask`` in the whole input (0-based), when ``mask`` covers a slice of it;
        messages name these instead of the slice's own positions.
    """
    return f"{table}.{column}: {offending(np.asarray(mask), positions)} {what}. {fix}"


def check_table(df: pd.DataFrame, table: str, *, positions: np.ndarray | None = None,
                allow_empty: bool = False) -> dict[str, np.ndarray]:
    """Check ``df`` against the schema of ``table``; return its validated columns.

    Raises on the first problem; an empty table is one unless ``allow_empty``
    (a piece of a table read in place). ``positions`` are the rows' positions in the
    whole input when ``df`` is a slice of it (for messages). The result maps
    each present column to the array :func:`column_values` gives.

    Parameters
    ----------
    df : DataFrame or pyarrow.Table
        The table; its columns must all belong to the schema and include the required ones. A pyarrow
        table (a Parquet file as read) gets the same checks and messages as its pandas conversion.
    table : str
        Table name, a key of :data:`~fairshare.data.schema.TABLES` (``"tasks"``, ``"nodes"``, ...).
    positions : int ndarray, optional
        Position of each row of the table in the whole input (0-based), when the table is a slice of it;
        messages name these instead of the slice's own positions.
    allow_empty : bool, default False
        Accept a table with no rows (a piece of a table read in place).

    Returns
    -------
    dict of str to ndarray or Labels
        Validated values of each column present, by column name.
    """
    arrow = is_arrow_table(df)
    if not (arrow or isinstance(df, pd.DataFrame)):
        raise SchemaError(
            f"{table}: expected a pandas DataFrame, got {type(df).__name__}. "
            "Pass a DataFrame, or use History.read for files."
        )
    columns = pd.Index(df.column_names, dtype=object) if arrow else df.columns
    specs = TABLES[table]
    names = {c.name for c in specs}
    repeated = pd.unique(columns[columns.duplicated()])
    if len(repeated):
        raise SchemaError(f"{table}: column(s) {', '.join(map(str, repeated))} appear more than once. "
                          "Keep one column of each name before loading.")
    missing = [c.name for c in specs if c.required and c.name not in columns]
    if missing:
        raise SchemaError(
            f"{table}: missing required column(s) {', '.join(missing)}. "
            f"The {table} table needs: {', '.join(c.name for c in specs if c.required)} "
            "(see the schema in README.md)."
        )
    unknown = [str(c) for c in columns if c not in names]
    if unknown:
        raise SchemaError(
            f"{table}: unknown column(s) {', '.join(unknown)}. Allowed columns: "
            f"{', '.join(c.name for c in specs)}. Rename or drop them before loading."
        )
    if (df.num_rows if arrow else len(df)) == 0 and not allow_empty:
        raise SchemaError(f"{table}: the table is empty. A history needs at least one row in {table}.")
    return {spec.name: column_values(df[spec.name], table, spec, positions)
            for spec in specs if spec.name in columns}


def column_values(series: pd.Series, table: str, spec: Column, positions: np.ndarray | None = None):
    """Validated values of one column as a contiguous numpy array.

    Key columns (kind ``"str"``) come back as :class:`Labels` (strings or
    integers, one type per column); numeric columns as int64 or float64.
    Nullable integer columns come back as float64 with NaN for missing.

    Parameters
    ----------
    series : Series or pyarrow.ChunkedArray
        The column's values.
    table : str
        Table name, for messages.
    spec : Column
        The column's schema entry: kind, bounds, nullability and unit.
    positions : int ndarray, optional
        Position of each row of ``series`` in the whole input (0-based), when ``series`` is a slice of it;
        messages name these instead of the slice's own positions.
    """
    if _is_arrow_column(series):
        return _arrow_values(series, table, spec, positions)
    if spec.kind == "str":
        return _label_values(series, table, spec, positions)
    return _numeric_values(series, table, spec, positions)


def is_arrow_table(value) -> bool:
    """True for a ``pyarrow.Table`` (checked without importing pyarrow).

    Parameters
    ----------
    value : object
        Anything.
    """
    return type(value).__name__ == "Table" and type(value).__module__.split(".")[0] == "pyarrow"


def _is_arrow_column(value) -> bool:
    return type(value).__name__ == "ChunkedArray" and type(value).__module__.split(".")[0] == "pyarrow"


def arrow_frame(table) -> pd.DataFrame:
    """A pyarrow table as the pandas DataFrame ``pandas.read_parquet`` gives (dictionary columns decoded).

    Parameters
    ----------
    table : pyarrow.Table
        A table as read from Parquet, possibly with dictionary-encoded text columns.
    """
    import pyarrow as pa

    columns = [_decoded(c) if pa.types.is_dictionary(c.type) else c for c in table.columns]
    return pa.Table.from_arrays(columns, names=table.column_names).to_pandas()


def without_index_columns(table):
    """``table`` without the columns that store a pandas index (``DataFrame.to_parquet(index=True)``).

    ``pandas.read_parquet`` turns them back into the index, so they are not data columns.

    Parameters
    ----------
    table : pyarrow.Table
        A table as read from Parquet.
    """
    meta = table.schema.pandas_metadata or {}
    stored = [c for c in meta.get("index_columns", ()) if isinstance(c, str) and c in table.column_names]
    return table.drop_columns(stored) if stored else table


def _decoded(column):
    import pyarrow as pa

    return pa.chunked_array([c.dictionary_decode() for c in column.chunks], column.type.value_type)


def _arrow_values(column, table: str, spec: Column, positions):
    """A pyarrow column checked on its buffers when it holds no missing value and plain text or numbers;
    any other column is checked as its pandas conversion (same checks, same messages either way)."""
    import pyarrow as pa

    kind = column.type
    if column.null_count == 0:
        if spec.kind == "str" and _is_text(kind):
            labels = _arrow_labels(column)
            if labels is not None:
                return labels
        elif spec.kind != "str" and (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            return _checked_numbers(column.to_numpy(), table, spec, positions)
    if pa.types.is_dictionary(kind):
        column = _decoded(column)
    return column_values(column.to_pandas(), table, spec, positions)


def _is_text(kind) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _last_dictionary(encoded, kind):
    """The dictionary of a dictionary-encoded chunked array: every chunk shares it, the last chunk whole."""
    import pyarrow as pa

    return encoded.chunk(encoded.num_chunks - 1).dictionary if encoded.num_chunks else pa.array([], kind)


def _arrow_labels(column) -> Labels | None:
    """Codes and labels of a text column with no missing row: a dictionary column (Parquet read as dictionary
    codes) keeps its codes and its dictionary, a plain one is dictionary-encoded (labels in order of first
    appearance, as ``pandas.factorize`` gives). None when a dictionary holds a missing label (left to the
    pandas route)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(column.type):
        column = column.unify_dictionaries()
        labels = column.chunk(0).dictionary if column.num_chunks else pa.array([], column.type.value_type)
    else:
        column = pc.dictionary_encode(column)
        labels = _last_dictionary(column, column.type.value_type)
    if labels.null_count or len(pc.unique(labels)) != len(labels):  # a dictionary repeating a label: pandas route
        return None
    codes = [c.indices.to_numpy(zero_copy_only=False) for c in column.chunks]  # (int32: half the bytes to gather)
    codes = np.concatenate(codes) if len(codes) > 1 else codes[0] if codes else np.zeros(0, dtype=np.int64)
    uniques = np.empty(len(labels), dtype=object)
    uniques[:] = labels.to_pylist()
    return Labels(np.ascontiguousarray(codes), uniques)


@dataclass(frozen=True)
class Labels:
    """A validated label column, factorised: ``uniques[codes]`` are the labels in row order.

    Parameters
    ----------
    codes : int64 ndarray, shape ``(R,)``
        Position of each row's label in ``uniques`` (int32 for a Parquet column read as dictionary codes).
    uniques : object ndarray, shape ``(U,)``
        Distinct labels, all str or all Python int: in order of first appearance for a pandas column; for a
        Parquet column read as dictionary codes, its dictionary, which may hold labels no row uses
        (:meth:`used` gives the labels of some rows in order of first appearance either way).
    """

    codes: np.ndarray
    uniques: np.ndarray

    def used(self, rows: np.ndarray) -> np.ndarray:
        """The distinct labels of the rows where ``rows`` (bool, shape ``(R,)``) holds, in order of first appearance.

        Parameters
        ----------
        rows : bool ndarray, shape ``(R,)``
            The rows whose labels are wanted.
        """
        return self.uniques[pd.unique(self.codes[rows])]

    @property
    def values(self) -> np.ndarray:
        """The labels as an object array (materialised: for small tables)."""
        return self.uniques[self.codes]


def _label_values(series: pd.Series, table: str, spec: Column, positions) -> Labels:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    missing = codes < 0
    if missing.any():
        raise NaNError(rows_message(table, spec.name, missing, "are missing",
                                    f"Every row needs a {spec.name}.", positions))
    uniques = np.asarray(uniques, dtype=object)
    kinds = {type(v) for v in uniques}
    ok = all(issubclass(k, (str, np.str_)) for k in kinds) or all(
        issubclass(k, (int, np.integer)) and not issubclass(k, (bool, np.bool_)) for k in kinds
    )
    if not ok:
        raise SchemaError(
            f"{table}.{spec.name}: labels must be all strings or all integers; found "
            f"{', '.join(sorted(k.__name__ for k in kinds))}. Convert the column to one type "
            f"(for example df[{spec.name!r}].astype(str))."
        )
    if kinds and all(issubclass(k, np.integer) for k in kinds):
        uniques = np.array([int(v) for v in uniques], dtype=object)
    return Labels(np.ascontiguousarray(codes, dtype=np.int64), uniques)


def _numeric_values(series: pd.Series, table: str, spec: Column, positions) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        raise SchemaError(
            f"{table}.{spec.name}: expected numbers ({spec.unit or spec.kind}), got dtype "
            f"{series.dtype}. Convert the column with pd.to_numeric before loading."
        )
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iuf":
        return _checked_numbers(series.to_numpy(), table, spec, positions, copy=True)
    return _float_values(series.to_numpy(dtype=np.float64, na_value=np.nan), table, spec, positions)


def _checked_numbers(raw: np.ndarray, table: str, spec: Column, positions, copy: bool = False) -> np.ndarray:
    """A numeric column as a numpy array of its stored type (a pandas column's values, or a pyarrow column's
    with no missing value): every numeric check of both routes starts here.

    Whole numbers of an integer column are checked as integers, with no float64 round trip; they are copied
    when ``copy`` (a caller's DataFrame may change later; pyarrow's buffers cannot).
    """
    if spec.kind == "int" and raw.dtype.kind in "iu":
        return _integer_values(raw, table, spec, positions, copy=copy)
    return _float_values(raw.astype(np.float64, copy=False), table, spec, positions)


def _within(low, high, spec: Column) -> bool:
    """Whether the smallest and largest value of a column lie within the schema's bounds."""
    if spec.low is not None and ((low <= spec.low) if spec.low_open else (low < spec.low)):
        return False
    return spec.high is None or high <= spec.high


def _float_values(values: np.ndarray, table: str, spec: Column, positions) -> np.ndarray:
    """A float64 column checked: missing, infinite, whole numbers, bounds (the first problem raises)."""
    if values.size and spec.kind == "float":
        # one pass for the common case: min and max are finite (so no NaN and no inf: NaN propagates)
        # and within the bounds; any problem is found and named by the row checks below
        low, high = values.min(), values.max()
        if np.isfinite(low) and np.isfinite(high) and _within(low, high, spec):
            return np.ascontiguousarray(values)
    nan = np.isnan(values)
    if nan.any() and not spec.nullable:
        raise NaNError(rows_message(table, spec.name, nan, "are NaN or missing",
                                    "Fill them with real values or remove the rows before loading.", positions))
    inf = np.isinf(values)
    if inf.any():
        raise NaNError(rows_message(table, spec.name, inf, "are infinite",
                                    "Replace them with finite values before loading.", positions))
    finite = ~nan
    if spec.kind == "int":
        frac = finite & (values != np.floor(np.where(finite, values, 0.0)))
        if frac.any():
            raise SchemaError(rows_message(table, spec.name, frac, "are not whole numbers",
                                           f"{spec.name} counts {spec.unit or 'units'}; round or fix them.", positions))
        inexact = finite & (np.abs(np.where(finite, values, 0.0)) > _FLOAT_EXACT)
        if inexact.any():
            raise RangeError(rows_message(
                table, spec.name, inexact, "are above 2**53 in magnitude in a float column, where not every "
                "whole number exists (2**53 + 1 reads as 2**53)", "Fix the values at the source.", positions))
    if spec.low is not None:
        below = finite & ((values <= spec.low) if spec.low_open else (values < spec.low))
        if below.any():
            bound = f"> {spec.low:g}" if spec.low_open else f">= {spec.low:g}"
            raise RangeError(rows_message(table, spec.name, below, f"are out of range (must be {bound})",
                                          "Fix the values at the source.", positions))
    if spec.high is not None:
        above = finite & (values > spec.high)
        if above.any():
            raise RangeError(rows_message(table, spec.name, above,
                                          f"are out of range (must be <= {spec.high:g})",
                                          "Fix the values at the source.", positions))
    if spec.kind == "int" and not spec.nullable:
        return np.ascontiguousarray(values.astype(np.int64))  # |values| <= 2**53: exact
    return np.ascontiguousarray(values)


#: Largest magnitude below which a float64 holds every whole number exactly.
_FLOAT_EXACT = 2.0**53
_FLOAT_EXACT_INT = 2**53
_INT64_MAX = np.iinfo(np.int64).max


def _integer_values(raw: np.ndarray, table: str, spec: Column, positions, copy: bool = True) -> np.ndarray:
    """An integer column checked as integers: int64 range, the schema's bounds, exactness where kept as float.

    The values are copied (a caller's DataFrame may change later) unless ``copy=False``."""
    if raw.dtype.kind == "u" and raw.size and raw.max() > np.uint64(_INT64_MAX):
        huge = raw > np.uint64(_INT64_MAX)
        if huge.any():
            raise RangeError(rows_message(table, spec.name, huge, f"are above the int64 maximum {_INT64_MAX:,}",
                                          "Fix the values at the source.", positions))
    values = raw.astype(np.int64, copy=copy)
    if values.size:  # one pass for the common case; any problem is found and named by the row checks below
        low, high = values.min(), values.max()
        if _within(low, high, spec) and -_FLOAT_EXACT_INT <= low and high <= _FLOAT_EXACT_INT:
            return np.ascontiguousarray(values.astype(np.float64) if spec.nullable else values)
    if spec.low is not None:  # bounds are small numbers: comparing in float64 decides them exactly
        below = (values <= spec.low) if spec.low_open else (values < spec.low)
        if below.any():
            bound = f"> {spec.low:g}" if spec.low_open else f">= {spec.low:g}"
            raise RangeError(rows_message(table, spec.name, below, f"are out of range (must be {bound})",
                                          "Fix the values at the source.", positions))
    if spec.high is not None:
        above = values > spec.high
        if above.any():
            raise RangeError(rows_message(table, spec.name, above, f"are out of range (must be <= {spec.high:g})",
                                          "Fix the values at the source.", positions))
    # counts are summed and epochs compared in float64 downstream: beyond 2**53 neither stays exact
    inexact = (values > _FLOAT_EXACT_INT) | (values < -_FLOAT_EXACT_INT)  # (np.abs wraps at the int64 minimum)
    if inexact.any():
        raise RangeError(rows_message(table, spec.name, inexact, "are above 2**53 in magnitude, beyond which "
                                      "fairshare cannot keep whole numbers exact", "Fix the values at the source.",
                                      positions))
    return np.ascontiguousarray(values.astype(np.float64) if spec.nullable else values)


def check_contiguous(epochs: np.ndarray, table: str, column: str) -> None:
    """Raise :class:`AlignmentError` unless the sorted, unique ``epochs`` run without a gap.

    Counts and shows the missing values from the gaps between neighbours, so the
    time and memory taken do not grow with the span (a mistyped 1e8 among
    epochs 0-2 fails at once).

    Parameters
    ----------
    epochs : int64 ndarray
        Sorted, unique epochs.
    table : str
        Table name, for the message.
    column : str
        Column name, for the message.
    """
    if epochs.size < 2:
        return
    steps = np.diff(epochs)
    holes = np.flatnonzero(steps > 1)
    if not holes.size:
        return
    missing = int((steps[holes] - 1).sum())  # at most the span: |epochs| <= 2**53, no overflow
    shown = []
    for i in holes:
        start, stop = int(epochs[i]) + 1, int(epochs[i + 1])
        shown.extend(range(start, min(stop, start + _SHOW - len(shown))))
        if len(shown) >= _SHOW:
            break
    text = ", ".join(str(v) for v in shown) + (", ..." if missing > len(shown) else "")
    raise AlignmentError(
        f"{table}.{column}: {missing} epoch(s) between {int(epochs[0])} and {int(epochs[-1])} are missing "
        f"({text}). The {table} table must have one row for every epoch of the history.")


def check_unique(values, table: str, column: str) -> None:
    """Raise :class:`SchemaError` if ``values`` (an array or :class:`Labels`) repeats a key.

    Parameters
    ----------
    values : ndarray or Labels, shape ``(R,)``
        Key column of the table; every occurrence of a repeated key is reported.
    table : str
        Table name, for the message.
    column : str
        Column name, for the message.
    """
    if isinstance(values, Labels):
        repeated = np.bincount(values.codes, minlength=values.uniques.size) > 1
        dup, shown = repeated[values.codes], values.uniques[repeated]
    else:
        dup = pd.Index(values).duplicated(keep=False)
        shown = pd.unique(values[dup])
    if dup.any():
        examples = ", ".join(repr(v) for v in shown[:_SHOW])
        raise SchemaError(rows_message(table, column, dup, f"repeat a key ({examples})",
                                       f"Each {column} must appear once in {table}."))


def _unicode_hint(missing: np.ndarray, index: pd.Index) -> str:
    """A sentence showing missing labels that equal a known one but for Unicode normalisation (NFC vs NFD)."""
    known = {unicodedata.normalize("NFC", v): v for v in index[:1_000_000] if isinstance(v, str)}
    pairs = [(v, known[unicodedata.normalize("NFC", v)]) for v in missing[:_SHOW] if isinstance(v, str)
             and unicodedata.normalize("NFC", v) in known]
    if not pairs:
        return ""
    shown = "; ".join(f"{ascii(v)} here, {ascii(k)} in the table" for v, k in pairs)
    return (f" Some differ only in Unicode normalisation ({shown}): write both tables in one form "
            "(unicodedata.normalize('NFC', ...)).")


def code_labels(labels: Labels, index: pd.Index, table: str, column: str, target: str,
                positions: np.ndarray | None = None) -> np.ndarray:
    """Integer codes of ``labels`` in ``index``; unknown labels raise AlignmentError.

    ``positions`` are the rows' positions in the whole input (for messages).

    Parameters
    ----------
    labels : Labels or array_like, shape ``(R,)``
        Labels to code (e.g. a tasks table's ``node_id`` column); other than :class:`Labels`, factorised first.
    index : Index
        The labels of the target table (e.g. node ids); a label's code is its position here.
    table : str
        Table holding ``labels``, for the message.
    column : str
        Column holding ``labels``, for the message.
    target : str
        Table ``index`` comes from, for the message.
    positions : int ndarray, optional
        Position of each row of ``labels`` in the whole input (0-based), when ``labels`` are a slice of it;
        messages name these instead of the slice's own positions.

    Returns
    -------
    int64 ndarray, shape ``(R,)``
        Position in ``index`` of each row's label.
    """
    if not isinstance(labels, Labels):
        codes, uniques = pd.factorize(np.asarray(labels, dtype=object))
        labels = Labels(codes.astype(np.int64), np.asarray(uniques, dtype=object))
    lookup = index.get_indexer(pd.Index(labels.uniques, dtype=object))
    unknown = (lookup < 0)[labels.codes] if (lookup < 0).any() else None
    if unknown is not None and unknown.any():  # (a Parquet dictionary may hold labels no row uses)
        missing = labels.used(unknown)
        examples = ", ".join(repr(v) for v in missing[:_SHOW])
        raise AlignmentError(rows_message(
            table, column, unknown, f"name {column} values missing from the {target} table ({examples})",
            f"Add them to the {target} table or remove those rows.{_unicode_hint(missing, index)}",
            positions))
    return np.ascontiguousarray(lookup.astype(np.int64)[labels.codes])
