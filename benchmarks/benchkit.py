"""Shared pieces of the benchmark scripts: options, result rows and the JSON file ``run.py`` reads.

Every ``bench_*.py`` builds its command line with :class:`Options`, which adds

- ``--quick``: a small configuration (each sized option has a full and a quick default;
  an option given on the command line wins over both);
- ``--json PATH``: besides the printed lines, write
  ``{"benchmark": NAME, "config": {...}, "rows": [{"measure", "value", "unit", "target",
  "met", "note"}, ...]}``.

A row's ``met`` is computed from the measured value and the target here, never written by
hand; a value that could not be measured is ``None`` (JSON null) with a note saying why.
This module imports only the standard library, so ``run.py`` and the tests load it cheaply.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

OPERATORS = {">=": lambda v, b: v >= b, "<=": lambda v, b: v <= b, "<": lambda v, b: v < b,
             ">": lambda v, b: v > b}


@dataclass
class Row:
    """One measured figure. ``target`` is None for a figure that only informs."""

    measure: str
    value: float | None
    unit: str = ""
    target: str | None = None
    met: bool | None = None
    note: str = ""

    @classmethod
    def info(cls, measure: str, value, unit: str = "", note: str = "") -> Row:
        value, note = _finite(value, note)
        return cls(measure, value, unit, None, None, note)

    @classmethod
    def check(cls, measure: str, value, unit: str, op: str, bound: float, note: str = "",
              judged: bool = True) -> Row:
        """A figure with a target ``value op bound``; ``met`` is None when ``value`` is None or not ``judged``
        (the configuration differs from the one the target is set for; ``note`` says how)."""
        value, note = _finite(value, note)
        met = None if value is None or not judged else bool(OPERATORS[op](value, bound))
        return cls(measure, value, unit, target_text(op, bound, unit), met, note)

    @classmethod
    def missing(cls, measure: str, unit: str, why: str, op: str | None = None, bound: float | None = None) -> Row:
        """A figure that could not be measured (a tool is not installed, ...): no value, no verdict."""
        target = target_text(op, bound, unit) if op is not None else None
        return cls(measure, None, unit, target, None, why)


def target_text(op: str, bound: float, unit: str) -> str:
    if op not in OPERATORS:
        raise ValueError(f"unknown comparison {op!r}; one of {sorted(OPERATORS)}")
    return f"{op} {bound:g}{unit}" if unit == "x" else f"{op} {bound:g} {unit}".rstrip()


def _finite(value, note: str):
    if value is None:
        return None, note
    value = float(value)
    if math.isfinite(value):
        return value, note
    return None, f"{note}; measured {value}" if note else f"measured {value}"


def _plain(value):
    """JSON-safe configuration values (numpy scalars, tuples, paths)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, str)) or value is None:
        return value
    if hasattr(value, "item"):
        return _plain(value.item())
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else None
    return str(value)


def write_json(path: str | os.PathLike, benchmark: str, config: dict, rows: list[Row]) -> None:
    """Write the result file atomically (a temporary file beside it, then a rename)."""
    path = Path(path)
    document = {"benchmark": benchmark, "config": _plain(config), "rows": [_plain(asdict(r)) for r in rows]}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(document, fh, indent=1, allow_nan=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _show(value) -> str:
    if isinstance(value, list):
        return " ".join(_show(v) for v in value)
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


class Options:
    """A benchmark's command line: its own options, sized options with a full and a quick default,
    and ``--quick`` / ``--json``.

    ``add_sized("--rows", full=10_000_000, quick=1_000_000, type=int)`` leaves the option's parser
    default at None so :meth:`parse` can tell "not given" apart and fill in the full or the quick
    value. ``parser`` is a plain ``argparse.ArgumentParser`` for any other option.
    """

    def __init__(self, benchmark: str, description: str):
        self.benchmark = benchmark
        self.parser = argparse.ArgumentParser(description=description)
        self.parser.add_argument("--quick", action="store_true",
                                 help="small configuration (a minute or two; ratios indicative)")
        self.parser.add_argument("--json", metavar="PATH", help="also write the measured rows to this JSON file")
        self.sized: dict[str, tuple] = {}

    def add_sized(self, flag: str, *, full, quick, help: str = "", **kwargs) -> None:
        dest = flag.lstrip("-").replace("-", "_")
        self.sized[dest] = (full, quick)
        text = f"{help}; " if help else ""
        self.parser.add_argument(flag, default=None,
                                 help=f"{text}default {_show(full)}, with --quick {_show(quick)}", **kwargs)

    def parse(self, argv=None) -> argparse.Namespace:
        args = self.parser.parse_args(argv)
        for dest, (full, quick) in self.sized.items():
            if getattr(args, dest) is None:
                setattr(args, dest, quick if args.quick else full)
        if args.quick:
            print(f"{self.benchmark} --quick: " + ", ".join(f"{d}={_show(getattr(args, d))}" for d in self.sized))
        return args

    def config(self, args: argparse.Namespace, **extra) -> dict:
        """The sized options as used, ``quick``, and any ``extra`` facts of the run."""
        return {"quick": bool(args.quick), **{d: getattr(args, d) for d in self.sized}, **extra}

    def save(self, args: argparse.Namespace, rows: list[Row], **extra) -> None:
        """Write the JSON file if ``--json`` was given."""
        if args.json:
            write_json(args.json, self.benchmark, self.config(args, **extra), rows)


def optional_peer(module: str, what: str):
    """The peer library ``module`` when installed, else None with a line saying how to install it.

    Parameters
    ----------
    module : str
        Importable name (``duckdb``, ``polars``).
    what : str
        The comparison it is for, printed when it is missing.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        print(f"{module} not installed: pip install '.[bench]' for the {what}")
        return None
