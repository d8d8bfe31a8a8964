"""The evaluation engine: replay reward rules over a history and score them (``fs.evaluate``).

===============  ==================================================================
module           job
===============  ==================================================================
``engine``       ``evaluate`` and its result, ``Evaluation``
``scoreboard``   one scoreboard row: concentration, coverage, earnings, winners
``gaming``       Sybil splits, merges, fake demand and what drives a payout
``linear``       batched scoring of ``Linear`` rules (one precomputation)
``worked``       ``worked_examples``: what one more operator of a stated kind earns and spends a year
``surface``      ``coverage_surface``: retail cost coverage over token price x utilisation
===============  ==================================================================
"""

from .engine import LEVELS, Evaluation, evaluate
from .surface import coverage_surface
from .worked import OPERATORS, WorkedOperator, worked_examples

__all__ = ["evaluate", "Evaluation", "LEVELS", "worked_examples", "WorkedOperator", "OPERATORS", "coverage_surface"]
