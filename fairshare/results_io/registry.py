"""The registry of savable result kinds: each kind's type and its pair of converters.

A result type takes part in :func:`fairshare.results_io.save` and
:func:`fairshare.results_io.load` by registering ``to_parts(result) -> Parts``
and ``from_parts(parts) -> result`` under a kind name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

__all__ = ["Parts", "KINDS", "register", "savable"]


@dataclass
class Parts:
    """A result taken apart: ``tables`` (name -> DataFrame) and ``meta`` (JSON-able via :func:`encode`).

    Table names are free text (``"detail/status_quo"``); files are numbered,
    and the manifest maps names to files.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame, optional
        The result's tables, by name.
    meta : dict, optional
        Everything else, in a form :func:`~fairshare.results_io.encode` accepts.
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _Kind:
    type: object  # a class, or its dotted name (so an engine is imported only when its results are)
    to_parts: Callable
    from_parts: Callable

    def matches(self, obj) -> bool:
        if isinstance(self.type, str):
            return f"{type(obj).__module__}.{type(obj).__qualname__}" == self.type
        return type(obj) is self.type


def savable(result) -> bool:
    """Whether :func:`save` knows how to write ``result``.

    Parameters
    ----------
    result : object
        Any object.
    """
    return any(k.matches(result) for k in KINDS.values())


#: Registered result kinds: kind name -> (type, to_parts, from_parts).
KINDS: dict[str, _Kind] = {}


def register(kind: str, type_: type, to_parts: Callable, from_parts: Callable) -> None:
    """Make results of ``type_`` savable under the name ``kind``.

    Parameters
    ----------
    kind : str
        The name written to the manifest (conventionally the class name).
    type_ : type or str
        Objects of this type (exactly, not subclasses) are saved with ``to_parts``;
        a dotted ``"module.QualName"`` matches by name without importing the module.
    to_parts : callable
        ``to_parts(result) -> Parts``.
    from_parts : callable
        ``from_parts(parts) -> result``; the inverse of ``to_parts``.
    """
    KINDS[kind] = _Kind(type_, to_parts, from_parts)
