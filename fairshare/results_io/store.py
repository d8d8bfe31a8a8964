"""``save`` and ``load``: a result directory written whole or not at all, and read back equal."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import atomic_directory
from .._version import version
from ..errors import ConfigError, DataError
from ..formulas import REGISTRY, Formula
from .registry import KINDS, Parts

__all__ = ["save", "load", "formula_to_dict", "formula_from_dict", "encode", "decode", "MANIFEST", "FORMAT",
           "FORMAT_VERSION"]

MANIFEST = "manifest.json"
META = "meta.json"
FORMAT = "fairshare-result"
FORMAT_VERSION = 1


# ---------------------------------------------------------------------------------------------- save / load
def save(result, directory, *, overwrite: bool = False) -> Path:
    """Write ``result`` to ``directory``, whole or not at all; return the directory.

    Parameters
    ----------
    result : Evaluation or any registered result type
    directory : path
        Must not exist or be empty, unless ``overwrite=True`` (then it is
        replaced in one rename).
    overwrite : bool

    Raises
    ------
    ConfigError
        The type is not registered, the directory is not empty, or a value
        cannot be written without loss (the message names it).
    """
    kind = next((name for name, k in KINDS.items() if k.matches(result)), None)
    if kind is None:
        raise ConfigError(f"results_io.save cannot save a {type(result).__name__}; savable kinds: "
                          f"{', '.join(KINDS)}. Register it with fairshare.results_io.register(...).")
    parts = KINDS[kind].to_parts(result)
    directory = Path(directory)
    with atomic_directory(directory, overwrite=overwrite) as tmp:
        (tmp / "tables").mkdir()
        tables = {}
        for i, (name, frame) in enumerate(parts.tables.items()):
            rel = f"tables/{i:03d}.parquet"
            tables[name] = {"file": rel, **_write_table(frame, tmp / rel, name)}
        meta_text = json.dumps(encode(parts.meta, "meta"), indent=1, allow_nan=True) + "\n"
        (tmp / META).write_text(meta_text)
        files = {rel["file"]: _sha256(tmp / rel["file"]) for rel in tables.values()}
        files[META] = _sha256(tmp / META)
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "fairshare_version": version,
                    "kind": kind, "files": files, "tables": tables}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return directory


def load(directory):
    """Read a result directory written by :func:`save` and rebuild the object.

    Parameters
    ----------
    directory : str or pathlib.Path
        A directory written by :func:`save`.

    Raises
    ------
    DataError
        The directory or its manifest is missing or unreadable, a file is
        missing or its SHA-256 differs from the manifest (it was changed after
        saving), or a table does not match its recorded layout.
    ConfigError
        The manifest names a kind or a formula that is not registered in this
        session (import the module that defines it first).
    """
    directory = Path(directory)
    manifest = _read_manifest(directory)
    kind = manifest["kind"]
    if kind not in KINDS:
        raise ConfigError(f"{directory / MANIFEST}: result kind {kind!r} is not registered; known kinds: "
                          f"{', '.join(KINDS)}. Import the module that registers it before results_io.load.")
    for rel, digest in manifest["files"].items():
        path = directory / rel
        if not path.is_file():
            raise DataError(f"{path}: missing; the manifest lists it. The result directory is incomplete: "
                            "save the result again.")
        if _sha256(path) != digest:
            raise DataError(f"{path}: SHA-256 differs from {MANIFEST}; the file was changed after saving. "
                            "Restore it or save the result again.")
    try:
        meta = decode(json.loads((directory / META).read_text()))
    except json.JSONDecodeError as err:
        raise DataError(f"{directory / META}: not valid JSON ({err}). Save the result again.") from err
    tables = {name: _read_table(directory / info["file"], info) for name, info in manifest["tables"].items()}
    return KINDS[kind].from_parts(Parts(tables, meta))


def _read_manifest(directory: Path) -> dict:
    path = directory / MANIFEST
    if not directory.is_dir():
        raise DataError(f"{directory}: not a directory. results_io.load takes a directory written by "
                        "results_io.save.")
    if not path.is_file():
        raise DataError(f"{path}: missing. {directory} is not a saved fairshare result; write one with "
                        "fairshare.results_io.save.")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: not valid JSON ({err}). Save the result again.") from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise DataError(f"{path}: not a {FORMAT} manifest (format {found!r}). Point load at a directory "
                        "written by fairshare.results_io.save.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise DataError(f"{path}: format_version {manifest.get('format_version')!r}; this fairshare "
                        f"({version}) reads version {FORMAT_VERSION}. Load it with the fairshare version that "
                        f"wrote it ({manifest.get('fairshare_version')}) and save it again.")
    for key in ("kind", "files", "tables"):
        if key not in manifest:
            raise DataError(f"{path}: no {key!r} entry. The manifest is damaged: save the result again.")
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------- tables
def _write_table(frame: pd.DataFrame, path: Path, name: str) -> dict:
    """Write one table; return the layout needed to restore it exactly (labels and dtypes)."""
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(f"table {name!r}: expected a DataFrame, got {type(frame).__name__}.")
    where = f"table {name!r}"
    layout = {
        "columns": encode(list(frame.columns), f"{where} column labels"),
        "column_names": encode(list(frame.columns.names), f"{where} column level names"),
        "column_dtype": str(frame.columns.dtype) if frame.columns.nlevels == 1 else None,
        "dtypes": [str(t) for t in frame.dtypes],
        "index_names": encode(list(frame.index.names), f"{where} index names"),
        "index_dtypes": [str(frame.index.get_level_values(i).dtype) for i in range(frame.index.nlevels)],
    }
    flat = frame.copy(deep=False)
    flat.columns = [f"c{i}" for i in range(frame.shape[1])]
    flat.index = flat.index.set_names([f"i{i}" for i in range(frame.index.nlevels)])
    try:
        flat.to_parquet(path)
    except (TypeError, ValueError, ImportError) as err:  # pyarrow's errors subclass these
        raise ConfigError(f"{where}: cannot be written to Parquet without loss ({err}). Give each column one "
                          "type (numbers, strings or booleans).") from err
    return layout


def _read_table(path: Path, layout: dict) -> pd.DataFrame:
    try:
        flat = pd.read_parquet(path)
    except (OSError, ValueError) as err:
        raise DataError(f"{path}: unreadable as Parquet ({err}). Save the result again.") from err
    columns = decode(layout["columns"])
    if flat.shape[1] != len(columns):
        raise DataError(f"{path}: {flat.shape[1]} columns, the manifest records {len(columns)}. "
                        "Save the result again.")
    for i, dtype in enumerate(layout["dtypes"]):
        if str(flat.dtypes.iloc[i]) != dtype:
            flat[f"c{i}"] = flat[f"c{i}"].astype(dtype)
    index = flat.index
    levels = []
    for i, dtype in enumerate(layout["index_dtypes"]):
        level = index.get_level_values(i)
        levels.append(level.astype(dtype) if str(level.dtype) != dtype else level)
    names = decode(layout["index_names"])
    if len(levels) == 1:
        flat.index = levels[0].rename(names[0])
    else:
        flat.index = pd.MultiIndex.from_arrays(levels, names=names)
    col_names = decode(layout["column_names"])
    if len(col_names) > 1:
        flat.columns = pd.MultiIndex.from_tuples(columns, names=col_names)
    else:
        flat.columns = pd.Index(columns, dtype=layout["column_dtype"], name=col_names[0])
    return flat


# ---------------------------------------------------------------------------------------------- JSON values
def encode(value, where: str = "value"):
    """A JSON-able form of ``value`` that :func:`decode` turns back into an equal value.

    Plain JSON types pass through; tuples, dicts with non-string keys,
    non-finite floats, NumPy scalars and arrays, and fairshare formulas are
    tagged (``{"__tuple__": [...]}``, ...). Anything else raises
    :class:`ConfigError` naming ``where``.

    Parameters
    ----------
    value : object
        None, bool, str, int, float, a NumPy scalar or numeric array, a registered formula, or tuples,
        lists and dicts of these.
    where : str, default "value"
        Where ``value`` sits in the result, named in the error when it cannot be saved.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else {"__float__": repr(v)}
    if isinstance(value, Formula):
        return {"__formula__": formula_to_dict(value, where)}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise ConfigError(f"{where}: arrays of dtype {value.dtype} cannot be saved; use numbers or a "
                              "DataFrame table.")
        return {"__ndarray__": encode(value.tolist(), where), "dtype": str(value.dtype), "shape": list(value.shape)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not any(k.startswith("__") for k in value):
            return {k: encode(v, f"{where}[{k!r}]") for k, v in value.items()}
        return {"__items__": [[encode(k, f"{where} key"), encode(v, f"{where}[{k!r}]")] for k, v in value.items()]}
    raise ConfigError(f"{where}: a {type(value).__name__} cannot be saved as JSON. Convert it to numbers, "
                      "strings, lists or dicts (or a table) before saving.")


def decode(value):
    """The inverse of :func:`encode`.

    Parameters
    ----------
    value : object
        A value :func:`encode` returned (after a JSON round trip).
    """
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__float__" in value:
        return float(value["__float__"])
    if "__tuple__" in value:
        return tuple(decode(v) for v in value["__tuple__"])
    if "__items__" in value:
        return {decode(k): decode(v) for k, v in value["__items__"]}
    if "__ndarray__" in value:
        return np.array(decode(value["__ndarray__"]), dtype=value["dtype"]).reshape(value["shape"])
    if "__formula__" in value:
        return formula_from_dict(value["__formula__"])
    return {k: decode(v) for k, v in value.items()}


def formula_to_dict(formula: Formula, where: str = "formula") -> dict:
    """``{"name": registry name, "params": {field: value}}``; nested formulas (``base``) nest.

    Raises :class:`ConfigError` when the rule's class is not in
    :data:`fairshare.formulas.REGISTRY` under its name (a class without a
    ``name`` does not register itself) or is not a dataclass.

    Parameters
    ----------
    formula : Formula
        A registered formula dataclass; its init fields are saved.
    where : str, default "formula"
        Where the formula sits in the result, named in errors.
    """
    cls = type(formula)
    if not cls.name or REGISTRY.get(cls.name) is not cls or not dataclasses.is_dataclass(formula):
        raise ConfigError(f"{where}: {cls.__name__} is not a registered formula dataclass, so it cannot be "
                          "saved by name. Give the class a unique `name` class attribute (it then registers "
                          "in fairshare.formulas.REGISTRY) and make it a dataclass.")
    params = {f.name: encode(getattr(formula, f.name), f"{where}.{f.name}")
              for f in dataclasses.fields(formula) if f.init}
    return {"name": cls.name, "params": params}


def formula_from_dict(spec: dict) -> Formula:
    """The inverse of :func:`formula_to_dict`.

    Parameters
    ----------
    spec : dict
        ``{"name": registry name, "params": {field: encoded value}}``, as :func:`formula_to_dict` wrote it.
    """
    name = spec.get("name")
    if name not in REGISTRY:
        raise ConfigError(f"formula {name!r} is not in fairshare.formulas.REGISTRY (known: "
                          f"{', '.join(sorted(REGISTRY))}). Import the module that defines it before loading.")
    return REGISTRY[name](**{k: decode(v) for k, v in spec["params"].items()})
