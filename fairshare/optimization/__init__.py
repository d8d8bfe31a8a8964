"""The emission-weight optimiser: design a ``Linear`` reward rule for a governance debate.

``fs.optimize(history)`` answers: with this budget and this token price, which
emission weights over DESIGN.md's components give the least concentrated rule
that still pays these operators' electricity and depreciation, without a Sybil
or fake-demand hole; what it costs, who wins and loses, and what cannot be had.

=====================  ===============================================================
module                 job
=====================  ===============================================================
``basis``              operator rewards as linear maps of the weights (one window)
``objectives``         HHI, largest share, top-k share, Gini (cutting planes), Theil,
                       alpha-fairness; composable by ``+`` and ``*``
``constraints``        coverage (hard / soft / CVaR), Sybil bound, fee-linked cap, the
                       default problem, and the share constraints (cap, Nakamoto,
                       floors, losses, weights, concentration)
``incentives``         no attack pays (the attack library's closed forms), subsidy cap
``problem``            one DPP problem: build once, change Parameters, re-solve
``diagnostics``        infeasibility (smallest budget / price, uncoverable operators,
                       conflicting constraints), shadow prices in words
``oracle``             ``allocate``: the best any payment vector could do (exact
                       water-filling, O(n log n))
``solve``              ``optimize`` and the default problem
``sweeps``             ``frontier``: sweeps over budget, price, coverage level, Nakamoto target, costs
``paths``              phased transitions with a per-epoch loss limit
``result``             ``EmissionResult``
=====================  ===============================================================

cvxpy is imported on first use, never by ``import fairshare``. This engine does
not import the evaluation engine: the scoreboard row of a result comes from the
caller (``fs.optimize(h, evaluator=fs.evaluate)`` or
``result.with_scoreboard(fs.evaluate, h)``).
"""

from .._deprecation import renamed
from .basis import Basis
from .constraints import (
                          VERIFIED,
                          ConcentrationCap,
                          Constraint,
                          ContributionFloor,
                          Coverage,
                          FakeDemandBound,
                          MaxLoss,
                          MaxUnallocated,
                          MinWeight,
                          NakamotoAtLeast,
                          NoAttackPays,
                          ShareCap,
                          SubsidyCap,
                          SybilBound,
                          WeightBounds,
                          default_constraints,
)
from .objectives import HHI, AlphaFair, Gini, LargestShare, Objective, Term, Theil, TopKShare
from .oracle import OracleAllocation, allocate
from .paths import TransitionPath, transition
from .problem import EmissionProblem
from .result import EmissionResult
from .solve import STATUS_QUO_WEIGHTS, optimize
from .sweeps import CITED_RANGES, Frontier, frontier

__all__ = [
    "optimize", "allocate", "frontier", "transition", "EmissionResult", "OracleAllocation", "Frontier",
    "TransitionPath", "EmissionProblem", "Basis", "STATUS_QUO_WEIGHTS", "CITED_RANGES",
    "Term", "Objective", "HHI", "LargestShare", "TopKShare", "Gini", "Theil", "AlphaFair",
    "Constraint", "Coverage", "SybilBound", "FakeDemandBound", "ShareCap", "NakamotoAtLeast", "ContributionFloor",
    "MaxLoss", "MinWeight", "WeightBounds", "MaxUnallocated", "VERIFIED", "default_constraints", "NoAttackPays",
    "SubsidyCap", "ConcentrationCap",
]

__getattr__ = renamed(__name__, {
    "Transition": ("fairshare.optimization.TransitionPath", TransitionPath),
    "FeeLinkedCap": ("fairshare.optimization.FakeDemandBound (the constraint; formulas.FeeLinkedCap is the rule)",
                     FakeDemandBound),
    "STATUS_QUO": ("fairshare.optimization.STATUS_QUO_WEIGHTS (formulas.STATUS_QUO is the rule)", STATUS_QUO_WEIGHTS),
})
