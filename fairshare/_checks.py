"""Shared validators of parameters: one check and one message for a number in a range."""

from __future__ import annotations

import math
import numbers

from .errors import ConfigError

__all__ = ["check_number"]


def check_number(name: str, value, low: float | None = None, high: float | None = None, low_open: bool = False,
                 high_open: bool = False) -> None:
    """:class:`~fairshare.errors.ConfigError` naming ``name`` unless ``value`` is a finite real number in range.

    Parameters
    ----------
    name : str
        What the message calls the value (a parameter, or ``"Class 'x': field"``).
    value : object
        A Python or numpy int or float passes when finite and in range (``True`` and ``False`` do not).
    low, high : float, optional
        Bounds; None: unbounded on that side.
    low_open, high_open : bool
        Whether the bound itself is excluded.
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
        allowed = " and ".join(x for x in (lo, hi) if x) or "finite"
        raise ConfigError(f"{name} must be a finite number {allowed}, got {value!r}.")
