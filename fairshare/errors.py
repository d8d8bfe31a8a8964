"""The exception tree of fairshare.

Every error a user can cause is one of these classes, so scripts can catch a
family (``except fs.errors.DataError``) and the CLI can map each to its own
exit code. Data and configuration errors also subclass :class:`ValueError`, so
code written against plain Python conventions keeps working.

Messages name the table, the column, the rows, the operators or the
constraint involved, and say how to fix the problem; tests match their text.
"""

from __future__ import annotations

__all__ = [
    "FairshareError",
    "DataError",
    "SchemaError",
    "NaNError",
    "AlignmentError",
    "RangeError",
    "ConfigError",
    "FormulaError",
    "OptimizationError",
    "InfeasibleError",
    "UnboundedError",
    "SolverFailedError",
]


class FairshareError(Exception):
    """Base class of every error fairshare raises on purpose."""


class DataError(FairshareError, ValueError):
    """Input data that fairshare cannot use as given."""


class SchemaError(DataError):
    """A missing or unknown column, a wrong dtype, a duplicate key or an empty table."""


class NaNError(DataError):
    """NaN or infinite values where finite numbers are required."""


class AlignmentError(DataError):
    """Tables that do not refer to each other consistently.

    Examples: tasks naming unknown nodes, epochs missing from the market table.
    """


class RangeError(DataError):
    """Values outside their allowed range.

    Negative quantities, tasks outside a node's active window, busy time over
    the epoch length.
    """


class ConfigError(FairshareError, ValueError):
    """A bad parameter, option or scenario file."""


class FormulaError(FairshareError, ValueError):
    """A reward formula that cannot be applied as configured (a bad value given to a rule)."""


class OptimizationError(FairshareError):
    """The optimiser could not produce a trustworthy answer."""


class InfeasibleError(OptimizationError):
    """No emission weights satisfy the constraints; the message says by how much."""


class UnboundedError(OptimizationError):
    """The problem has no finite optimum."""


class SolverFailedError(OptimizationError):
    """The solver stopped without a usable answer; the message names it and a fallback."""
