"""The evaluation engine: replay reward rules over a history and score them (``fs.evaluate``).

===============  ==================================================================
module           job
===============  ==================================================================
``engine``       ``evaluate`` and its result, ``Evaluation``
``scoreboard``   one scoreboard row: concentration, coverage, earnings, winners
``gaming``       Sybil splits, merges, fake demand and what drives a payout
``linear``       batched scoring of ``Linear`` rules (one precomputation)
===============  ==================================================================
"""

from .engine import LEVELS, Evaluation, evaluate

__all__ = ["evaluate", "Evaluation", "LEVELS"]
