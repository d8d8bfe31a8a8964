"""``TableSet``: named tables and JSON-able facts saved together (the appendix's computed inputs).

Public through :mod:`fairshare.results_io`. Results that are plain tables (an A/B grid, a scenario
triplet's drivers, worked examples, a validation table) and the few facts a report states beside them
(the notes of an infeasible problem, the simulation settings, the command that computed them) are kept
in one :class:`TableSet`, saved and reloaded like any other result. Each table's ``attrs`` (for
example the statement of an A/B difference) are saved with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .registry import Parts, register

__all__ = ["TableSet"]


@dataclass
class TableSet:
    """Named tables and facts, saved by :func:`fairshare.results_io.save` and read back equal.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame, optional
        The tables by name; their ``attrs`` must be JSON-able (text and numbers).
    meta : dict, optional
        Facts stated beside the tables (JSON-able, as :func:`fairshare.results_io.encode` takes them).

    Examples
    --------
    >>> import pandas as pd
    >>> from fairshare.results_io import TableSet
    >>> TableSet({"grid": pd.DataFrame({"x": [1.0]})}, {"runs": 3}).get("grid").shape
    (1, 1)
    """

    tables: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def get(self, name: str):
        """The table ``name``, or None when the set has none of that name.

        Parameters
        ----------
        name : str
            The table's name.
        """
        return self.tables.get(name)


def _to_parts(ts: TableSet) -> Parts:
    attrs = {name: dict(frame.attrs) for name, frame in ts.tables.items() if frame.attrs}
    return Parts(dict(ts.tables), {"meta": dict(ts.meta), "attrs": attrs, "order": list(ts.tables)})


def _from_parts(parts: Parts) -> TableSet:
    tables = {}
    order = parts.meta.get("order", list(parts.tables))
    for name in order:
        frame = parts.tables[name]
        frame = frame.copy(deep=False)
        frame.attrs.update(parts.meta.get("attrs", {}).get(name, {}))
        tables[name] = frame
    return TableSet(tables, parts.meta.get("meta", {}))


register("TableSet", TableSet, _to_parts, _from_parts)
