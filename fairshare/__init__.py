"""fairshare: measure and design fair token rewards for decentralized AI-inference networks.

Load a history (or the built-in network), aggregate it into features, replay
reward formulas, measure concentration and operator economics, optimise
emission weights and simulate the network forward. See README.md.
"""

from . import datasets, errors
from ._version import version as __version__
from .data import History
from .features import Features, aggregate
from . import economics, formulas, presets, results_io
from .evaluate import Evaluation, evaluate
from .metrics import atkinson, ede, effective_number, entropy, gini, hhi, lorenz_curve, mld, nakamoto_coefficient, palma, theil, theil_decomposition, top_k_share, top_share  # noqa: E501

from .optimize import EmissionResult, allocate, frontier, optimize

from .simulate import Scenario, SimulationResult, simulate  # noqa: E402

__all__ = ["__version__", "Scenario", "SimulationResult", "simulate", "optimize", "allocate", "frontier", "EmissionResult", "errors", "History", "Features", "aggregate", "economics", "formulas", "presets", "evaluate",
           "Evaluation",
           "metrics", "gini", "theil", "mld", "theil_decomposition", "atkinson", "ede", "hhi", "entropy",
           "effective_number", "nakamoto_coefficient", "top_k_share", "top_share", "palma", "lorenz_curve"]
