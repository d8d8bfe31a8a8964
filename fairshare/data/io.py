"""Reading and writing history directories (CSV or Parquet), atomically.

Layout of a history directory::

    history.json          epoch_seconds, epoch_origin, label dtypes, format, dataset (what the data are;
                          optional on read)
    nodes.csv|parquet     required
    market.csv|parquet    required
    tasks.csv|parquet     required; or tasks/ holding *.parquet parts (a partitioned dataset)
    models.csv|parquet    optional
    pools.csv|parquet     optional (emission pools of the market's emission_<pool>_tokens columns)
    stake.csv|parquet     optional
    uptime.csv|parquet    optional

Writes go through :class:`fairshare._atomic.atomic_directory` (re-exported
here): a temporary directory beside the target put in place in one step at
the end, so a reader never sees half a history. Input files are only ever
opened for reading. CSV tables read back exactly as written: text columns
stay text (``"NA"``, ``"null"``, ``"None"``, ``"01"`` are labels like any
other) and only an empty field is missing.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import atomic_directory
from .._kernels.aggregate import FIELDS, new_accumulator
from .._version import version
from ..errors import ConfigError, DataError, SchemaError
from . import build
from .history import DEFAULT_EPOCH_SECONDS, History
from .metadata import DatasetInfo
from .onepass import FastCoder
from .partitioned import ParquetTasks, parquet_error
from .schema import PREFILL_WEIGHT, SIZE_REFERENCE_PARAMS_B, SMALL_TASK_TOKENS, TABLES, TASK_LABELS
from .source import InMemoryTasks, TaskChunk, sums_key
from .validate import without_index_columns

# atomic_directory: imported from fairshare._atomic
__all__ = ["read_history", "write_history", "read_table", "input_hashes", "changed_inputs"]

_TABLE_NAMES = ("nodes", "tasks", "market", "models", "pools", "stake", "uptime")
_LABELS = ("node_id", "operator_id", "model")
_FORMATS = ("csv", "parquet")
# pandas >= 3 parses floats round-trip exactly by default (and deprecates the option).
_EXACT_FLOATS = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
# pandas' default missing-value spellings, kept for numeric CSV columns only
_NUMERIC_NA = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
               "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")


def write_history(history: History, directory: Path, format: str = "parquet", overwrite: bool = False) -> Path:
    """Write ``history`` to ``directory`` as CSV or Parquet; return the directory.

    The directory is written whole or not at all. An existing directory is
    replaced only with ``overwrite=True``.

    Parameters
    ----------
    history : History
        The history; its nodes, tasks and market tables are written, with its models table when it
        was given, its pools, stake and uptime tables when present, and ``history.json`` (epoch length
        and origin, label types, provenance, and ``dataset``: the history's ``metadata`` when it has one).
    directory : str or pathlib.Path
        The directory to write (created with its parents).
    format : {"parquet", "csv"}, default "parquet"
        File format of the tables.
    overwrite : bool, default False
        Replace an existing non-empty ``directory``; :class:`~fairshare.errors.ConfigError` otherwise.
    """
    if format not in _FORMATS:
        raise ConfigError(f"format must be one of {', '.join(_FORMATS)}, got {format!r}.")
    label_types = {name: _label_type(getattr(history, attr))
                   for name, attr in (("node_id", "node_ids"), ("operator_id", "operator_ids"),
                                      ("model", "model_names"))}
    meta = {
        "fairshare_version": version,
        "format": format,
        "epoch_seconds": history.epoch_seconds,
        "epoch_origin": None if history.epoch_origin is None else history.epoch_origin.isoformat(),
        "label_types": label_types,
        "tables": [],
        "provenance": history.provenance,
    }
    if history.metadata is not None:
        meta["dataset"] = history.metadata.to_dict()
    with atomic_directory(directory, overwrite=overwrite) as tmp:
        for name in _TABLE_NAMES:
            df = history.table(name)
            if name == "models" and not history.models_given:
                df = None
            if df is None:
                continue
            meta["tables"].append(name)
            if format == "csv":
                df.to_csv(tmp / f"{name}.csv", index=False)
            else:
                df.to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / "history.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return directory


def read_history(path: Path, *, stream: bool = False, epoch_seconds: float | None = None,
                 epoch_origin=None) -> History:
    """Read a history directory (layout in the module docstring).

    Parameters
    ----------
    path : str or pathlib.Path
        The history directory.
    stream : bool, default False
        Keep a Parquet task log on disk and read it row group by row group
        whenever the tasks are needed. Opening reads only the footers and checks
        the columns; rows are checked by every pass that reads them (the first
        :func:`fairshare.aggregate`, or :meth:`History.validate` up front). Needs
        Parquet tasks. Default: read the task log into memory and check it now;
        a Parquet log is then read file by file, each file checked and coded in one
        pass while the next is read, and summed per (epoch, node) on the way when
        those sums take no more memory than the log (the first :func:`fairshare.aggregate`
        with the default work-unit parameters takes them instead of summing again).
    epoch_seconds, epoch_origin : float and timestamp-like, optional
        Epoch length in seconds and start of epoch 0; given, they override ``history.json``'s,
        and they supply the epoch definition when the directory has none (default epoch length:
        one day).
    """
    path = Path(path)
    if not path.is_dir():
        raise SchemaError(f"{path}: not a directory. History.read takes a directory holding "
                          "nodes, tasks and market tables (CSV or Parquet).")
    meta_path = path / "history.json"
    try:
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise SchemaError(f"{meta_path}: not valid JSON ({err}); fix the file or remove it (the epoch definition then "
                          "comes from History.read's arguments).") from None
    if not isinstance(meta, dict):
        raise SchemaError(f"{meta_path}: must hold a JSON object (epoch_seconds, epoch_origin, ...), got "
                          f"{type(meta).__name__}.")
    # an explicit value, even 0, is passed on to the checks (0 is an error there, never replaced by a default)
    seconds = epoch_seconds if epoch_seconds is not None else meta.get("epoch_seconds", DEFAULT_EPOCH_SECONDS)
    origin = epoch_origin if epoch_origin is not None else meta.get("epoch_origin")
    types = meta.get("label_types", {})
    tables = {name: read_table(path, name, types) for name in _TABLE_NAMES if name != "tasks"}
    for name in ("nodes", "market"):
        if tables[name] is None:
            raise SchemaError(f"{path}: no {name}.csv or {name}.parquet. A history directory needs "
                              "nodes, tasks and market tables.")
    task_parts = _parquet_task_parts(path)
    provenance = {**meta.get("provenance", {}), "source": str(path)}
    info = DatasetInfo.from_dict(meta["dataset"]) if meta.get("dataset") is not None else None
    if not stream:
        # hashing holds no GIL: the files are hashed on a second thread while the tables are read and checked
        with ThreadPoolExecutor(max_workers=2) as pool:
            hashes = pool.submit(input_hashes, path)
            history = _read_coded(tables, task_parts, seconds, origin, provenance, info, pool) if task_parts else None
            if history is not None:
                return replace(history, provenance={**provenance, "input_sha256": hashes.result()})
            tasks = read_table(path, "tasks", types) if not task_parts else _read_task_parts(task_parts)
            if tasks is None:
                raise SchemaError(f"{path}: no tasks table (tasks.csv, tasks.parquet or tasks/*.parquet).")
            history = History.from_frames(tables["nodes"], tasks, tables["market"], models=tables["models"],
                                          stake=tables["stake"], uptime=tables["uptime"], epoch_seconds=seconds,
                                          epoch_origin=origin, provenance=provenance, pools=tables["pools"],
                                          metadata=info)
            return replace(history, provenance={**provenance, "input_sha256": hashes.result()})
    provenance["input_sha256"] = input_hashes(path, threads=2)
    if not task_parts:
        raise ConfigError(f"{path}: stream=True needs Parquet tasks (tasks.parquet or tasks/*.parquet).")
    seconds, origin, parts, coder = _checked_tables(tables, seconds, origin)
    source = ParquetTasks(tuple(task_parts), coder)
    return History._assemble(parts, source, tables["stake"], tables["uptime"], seconds, origin, provenance, info)


def _checked_tables(tables: dict, seconds, origin) -> tuple:
    """``(epoch_seconds, epoch_origin, parts, coder)``: the epoch definition checked, the tables other than the
    tasks checked and coded (:func:`.build.build_parts`), and what coding the tasks needs."""
    seconds, origin = build.normalise_epochs(seconds, origin)
    parts = build.build_parts(tables["nodes"], tables["market"], tables["models"], tables["pools"])
    return seconds, origin, parts, build.coder_for(parts, seconds, origin)


def _read_coded(tables: dict, task_parts: list[Path], seconds, origin, provenance: dict, info, pool) -> History | None:
    """The history with its Parquet task log read file by file and coded in one pass per file
    (:class:`~.onepass.FastCoder`), the next file read on ``pool`` while one is coded; None when any table
    or file is not in the usual layout or fails a check: the caller then reads everything again the
    column-by-column way, which raises the error that names the problem (so errors and their order are
    the same either way).

    The same pass sums the rows per (epoch, node) with the default work-unit parameters, when those sums
    take no more memory than the coded log: the first :func:`fairshare.aggregate` with those parameters
    takes them (:meth:`~.source.InMemoryTasks.take_sums`), and they give the busy-time check its sums.
    """
    import pyarrow.parquet as pq

    try:
        seconds, origin, parts, coder = _checked_tables(tables, seconds, origin)
        fast = FastCoder(coder)
        rows = [pq.read_metadata(p).num_rows for p in task_parts]
        total, shape = sum(rows), (coder.n_epochs, coder.joined_epoch.size)
        if total == 0:
            return None
        out = fast.new_arrays(total)
        sums, kept = None, []
        if len(FIELDS) * shape[0] * shape[1] <= len(out) * total:  # the sums are no larger than the log
            factor = parts["model_params_b"] / SIZE_REFERENCE_PARAMS_B
            sums = (new_accumulator(*shape), factor, PREFILL_WEIGHT, SMALL_TASK_TOKENS)
            kept = [(sums_key(factor, PREFILL_WEIGHT, SMALL_TASK_TOKENS, *shape), sums[0])]
        at, columns, pending = 0, None, pool.submit(_read_parquet, task_parts[0], True)
        for k, n in enumerate(rows):
            table = pending.result()
            if k + 1 < len(task_parts):
                pending = pool.submit(_read_parquet, task_parts[k + 1], True)
            # (files with other columns than the first: the column-by-column read decides what that means)
            columns = columns or set(table.column_names)
            if table.num_rows != n or set(table.column_names) != columns or not fast.run(table, out, at, sums):
                return None
            at += n
    except (DataError, OSError, ValueError, MemoryError):  # a damaged footer (pyarrow's ArrowInvalid is a
        return None  # ValueError) or one claiming more rows than memory holds: as the column-by-column read says
    finally:
        if "pending" in locals():
            pending.cancel()
    source = InMemoryTasks(TaskChunk(*out), kept=kept)
    busy = sums[0][FIELDS.index("busy_seconds")] if sums is not None else None
    return History._assemble(parts, source, tables["stake"], tables["uptime"], seconds, origin, provenance, info,
                             busy)


def read_table(directory: Path, name: str, label_types: dict | None = None) -> pd.DataFrame | None:
    """One table of a history directory, or None when it has no file for it.

    A table in both formats raises :class:`~fairshare.errors.SchemaError`.

    Parameters
    ----------
    directory : pathlib.Path
        The history directory.
    name : str
        Table name (``"nodes"``, ``"tasks"``, ``"market"``, ``"models"``, ``"stake"`` or ``"uptime"``);
        read from ``<name>.parquet`` or ``<name>.csv``.
    label_types : dict of str to str, optional
        ``"str"`` or ``"int"`` by label column (``node_id``, ``operator_id``, ``model``), as recorded in
        ``history.json``; a CSV's label columns are read as that type (str when not given), its other
        text columns as str. In a CSV only an empty field is missing (``NA``, ``null``, ``None`` are
        text). Parquet keeps its own types.
    """
    csv, parquet = directory / f"{name}.csv", directory / f"{name}.parquet"
    if csv.exists() and parquet.exists():
        raise SchemaError(f"{directory}: both {csv.name} and {parquet.name} exist. Keep one of them.")
    if parquet.exists():
        return _read_parquet(parquet)
    if not csv.exists():
        return None
    types = label_types or {}
    # every text column of the schema is read as text, where only an empty field is missing; numeric
    # columns keep pandas' usual missing-value spellings (NA, NaN, null, ...)
    dtype = {c.name: (np.int64 if c.name in _LABELS and types.get(c.name, "str") == "int" else str)
             for c in TABLES[name] if c.kind == "str"}
    try:
        header = pd.read_csv(csv, nrows=0).columns
        missing = {c: [""] if dtype.get(c) is str else list(_NUMERIC_NA) for c in header}
        df = pd.read_csv(csv, dtype=dtype, keep_default_na=False, na_values=missing, **_EXACT_FLOATS)
        if len(df) == 0:  # a header only (an empty optional table): its numeric columns keep their type
            kinds = {"int": np.int64, "float": np.float64}
            df = df.astype({c.name: kinds[c.kind] for c in TABLES[name] if c.kind in kinds and c.name in df})
        return df
    except ValueError as err:
        raise SchemaError(f"{csv}: could not read as CSV with the fairshare schema ({err}).") from err


def _read_parquet(path: Path, arrow: bool = False) -> pd.DataFrame:
    """``pd.read_parquet``, with a truncated, corrupt or mislabelled file named in a :class:`SchemaError`.

    ``arrow=True`` (a task log): the pyarrow table instead, text columns dictionary-encoded (no string per row
    is built) and the columns of a stored pandas index dropped (``pd.read_parquet`` makes them the index).
    """
    try:
        if arrow:
            import pyarrow.parquet as pq

            return without_index_columns(pq.read_table(path, read_dictionary=list(TASK_LABELS)))
        return pd.read_parquet(path)
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError, ArrowIOError an OSError
        raise SchemaError(f"{path}: could not read as Parquet ({parquet_error(err)}). Write the file "
                          "again or remove it.") from None


def _read_task_parts(parts: list[Path]):
    """The task log's Parquet files as one pyarrow table (checked on its buffers), or, when the files' column
    types differ, as the pandas concatenation (whose dtype widening decides)."""
    import pyarrow as pa

    tables = [_read_parquet(p, arrow=True) for p in parts]
    try:
        return pa.concat_tables(tables, promote_options="default")  # a column missing from a file: missing values
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pd.concat([_read_parquet(p) for p in parts], ignore_index=True)


def input_hashes(directory: Path, threads: int = 1) -> dict[str, str]:
    """SHA-256 of every table file of a history directory, by path relative to it.

    Parameters
    ----------
    directory : pathlib.Path
        The history directory (its ``.csv``, ``.parquet`` and ``.json`` files, subdirectories included).
    threads : int, default 1
        Files hashed at once (hashing holds no GIL).
    """
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in (".csv", ".parquet", ".json"))
    with ThreadPoolExecutor(max_workers=max(int(threads), 1)) as pool:
        digests = list(pool.map(_sha256, files))
    return {str(p.relative_to(directory)): digest for p, digest in zip(files, digests)}


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def changed_inputs(recorded: dict | None, current: dict | None) -> list[str]:
    """Input files whose SHA-256 differ between two records of :func:`input_hashes` (sorted; [] when either is
    missing: data built in memory have no files to compare).

    Parameters
    ----------
    recorded, current : dict of str to str or None
        File path (relative to the history directory) -> SHA-256, as :func:`input_hashes` returns.
    """
    if not recorded or not current:
        return []
    return sorted(name for name in set(recorded) | set(current) if recorded.get(name) != current.get(name))


def _parquet_task_parts(directory: Path) -> list[Path]:
    single = directory / "tasks.parquet"
    if single.exists():
        return [single]
    folder = directory / "tasks"
    if folder.is_dir():
        parts = sorted(folder.rglob("*.parquet"))
        if not parts:
            raise SchemaError(f"{folder}: a tasks/ directory must hold .parquet parts.")
        return parts
    return []


def _label_type(index: pd.Index) -> str:
    return "int" if len(index) and isinstance(index[0], (int, np.integer)) else "str"
