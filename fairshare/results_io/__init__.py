"""Saving and reloading result objects: Parquet for tables, JSON for the rest.

``save(result, directory)`` writes a result directory atomically (to a
temporary directory renamed into place, so a reader never sees half a result)
and ``load(directory)`` rebuilds the object, equal to the one saved: tables
compare equal with ``pandas.testing.assert_frame_equal(..., check_exact=True)``
(dtypes, index and column labels included) and dictionaries compare equal.

Layout of a result directory::

    manifest.json        format, fairshare version, kind, every file with its SHA-256
    meta.json            the non-table parts (formulas by registry name and parameters, provenance, ...)
    tables/NNN.parquet   one file per table, named in the manifest

A result type takes part by registering a pair of functions with
:func:`register`: ``to_parts(result) -> Parts`` and
``from_parts(parts) -> result``. :class:`~fairshare.evaluation.Evaluation` is
registered here; the optimiser's and simulator's results register the same
way.

Examples
--------
>>> import tempfile
>>> import fairshare as fs
>>> from fairshare import results_io
>>> h = fs.datasets.open_inference_network(seed=0, scale="small")
>>> ev = fs.evaluate(h, fs.formulas.reference_rules())
>>> with tempfile.TemporaryDirectory() as tmp:
...     ev2 = results_io.load(results_io.save(ev, f"{tmp}/evaluation"))
>>> ev2.scoreboard.equals(ev.scoreboard)
True

============  ==================================================================
module        job
============  ==================================================================
``store``     ``save``, ``load``, JSON encoding, formulas by registry name
``registry``  ``register``: the savable kinds and their converters
``engines``   the engines' result kinds (evaluation, optimiser, simulator)
``tables``    ``TableSet``: named tables and facts saved together (a report's computed inputs)
============  ==================================================================
"""

from . import engines as _engines  # noqa: F401  (registers the engines' result kinds)
from .registry import KINDS, Parts, register, savable
from .store import FORMAT, FORMAT_VERSION, MANIFEST, decode, encode, formula_from_dict, formula_to_dict, load, save
from .tables import TableSet

__all__ = ["save", "load", "register", "savable", "Parts", "KINDS", "TableSet", "formula_to_dict", "formula_from_dict",
           "encode", "decode", "MANIFEST", "FORMAT", "FORMAT_VERSION"]
