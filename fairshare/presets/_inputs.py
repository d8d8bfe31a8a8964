"""Extra inputs of the presets: pandas objects labelled by node id, aligned to a history's nodes.

A preset keeps its extra inputs (regions, pledges, validator weights, ...) as
pandas objects labelled by ``node_id`` so the same rule object works on any
history. At allocation time the labels are matched against
``features.entity_ids``: a node missing from an input is treated as the preset
documents (zero, or ineligible); labels that are not nodes of the history are
ignored. An input that names none of the history's nodes is an error, since
that is almost always a labelling mistake (integer ids against string ids,
say).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import FormulaError
from ..formulas.base import check_component, check_nonneg

__all__ = ["as_series", "node_codes", "node_values", "check_unit", "check_nonneg", "check_component", "check_whole"]


def as_series(value, what: str, *, numeric: bool = True) -> pd.Series:
    """A labelled input as a Series with unique labels (a mapping is accepted too)."""
    if isinstance(value, Mapping):
        value = pd.Series(dict(value))
    if not isinstance(value, pd.Series):
        raise FormulaError(f"{what} must be a pandas Series labelled by node_id (or a dict), "
                           f"got {type(value).__name__}.")
    if not value.index.is_unique:
        dup = value.index[value.index.duplicated()].unique()[:3].tolist()
        raise FormulaError(f"{what}: node ids must be unique, {dup} repeat.")
    if numeric:
        values = pd.to_numeric(value, errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            raise FormulaError(f"{what} must hold finite numbers >= 0; {value.index[bad][:3].tolist()} hold "
                               f"{value[bad][:3].tolist()}.")
        value = pd.Series(values, index=value.index)
    else:
        missing = value.isna().to_numpy()
        if missing.any():
            raise FormulaError(f"{what}: labels are missing for {value.index[missing][:3].tolist()}; "
                               "drop those nodes (they are then ineligible) or give them a label.")
    return value


def node_codes(labels: pd.Index, entity_ids: pd.Index, what: str) -> np.ndarray:
    """Position in ``labels`` of each entity (-1 where absent); ``entity_ids`` may repeat."""
    codes = pd.Index(labels).get_indexer(entity_ids)
    if len(labels) and len(entity_ids) and (codes < 0).all():
        raise FormulaError(f"{what} names none of this history's nodes (input labels such as "
                           f"{list(labels[:3])}, nodes such as {list(entity_ids[:3])}); label it by node_id.")
    return codes


def node_values(series: pd.Series, entity_ids: pd.Index, what: str, fill: float = 0.0) -> np.ndarray:
    """``series`` read at each entity, ``fill`` where the entity is missing; shape ``(K,)``."""
    codes = node_codes(series.index, entity_ids, what)
    values = series.to_numpy()
    out = np.full(len(entity_ids), fill, dtype=values.dtype if values.dtype != object else object)
    out[codes >= 0] = values[codes[codes >= 0]]
    return out


def check_unit(value, what: str) -> None:
    check_nonneg(value, what, upper=1.0)


def check_whole(value, what: str, low: int = 1, optional: bool = False) -> None:
    """:class:`FormulaError` unless ``value`` is an integer >= ``low`` (or None when ``optional``)."""
    if optional and value is None:
        return
    if not (isinstance(value, (int, np.integer)) and value >= low):
        raise FormulaError(f"{what} must be a whole number >= {low}{' or None' if optional else ''}, "
                           f"got {value!r}.")
