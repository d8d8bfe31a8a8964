"""Renamed public names, kept for one release: the old name still works and warns.

A package lists its renamed names with :func:`renamed` as its module-level
``__getattr__`` (PEP 562), so ``from fairshare.simulation import Transition``
returns the new class with a ``FutureWarning`` naming the new spelling.
"""

from __future__ import annotations

import warnings

__all__ = ["renamed", "REMOVED_IN"]

#: The release that drops the old names.
REMOVED_IN = "0.3"


def renamed(module: str, aliases: dict[str, tuple[str, object]]):
    """A module ``__getattr__`` that resolves old names to new objects with a warning.

    Parameters
    ----------
    module : str
        Dotted name of the module the old names are looked up in.
    aliases : dict
        Old name -> (new dotted spelling shown to the user, the new object).

    Returns
    -------
    callable
        ``__getattr__(name)`` for the module.
    """

    def __getattr__(name: str):
        if name in aliases:
            spelling, obj = aliases[name]
            warnings.warn(f"{module}.{name} was renamed {spelling}; the old name goes in fairshare {REMOVED_IN}.",
                          FutureWarning, stacklevel=2)
            return obj
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
