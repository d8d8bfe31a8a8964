"""fairshare: measure and design fair token rewards for decentralized AI-inference networks.

Load a history (or the built-in network), aggregate it into features, replay
reward formulas, measure concentration and operator economics, optimise
emission weights and simulate the network forward. See README.md.

==================  =======================================================================
package / module    job
==================  =======================================================================
``data``            schema, validation, ``History``, readers and writers
``ledger``          ``Ledger``: payout ledgers (address, time, amount) summed exactly, labels, panels
``features``        ``aggregate``: a history to (epoch, node) features
``metrics``         inequality and concentration measures, bootstrap intervals
``trend``           ``trend``: slopes per year with data-chosen block bootstrap intervals; the small-operator verdict
``formulas``        reward rules (``Formula``, ``Linear``, ...), components, integer payouts
``presets``         other networks' protocol rules (Yuma, Livepeer, Render, ...)
``economics``       the cost model, P&L, vesting, fake demand
``attacks``         the attack library: splits, merges, fake demand, misreports, idle keys, stake timing; net gains
``datasets``        the built-in networks: OpenGradient as deployed, the open-inference what-if
``evaluation``      ``evaluate``: replay and score rules
``optimization``    ``optimize``, ``frontier``, ``allocate``: design emission weights
``simulation``      ``simulate``: run a network forward under a rule
``plotting``        figures (imports Matplotlib; not loaded by ``import fairshare``)
``report``          the governance appendix
``results_io``      save and reload results
``cli``             the ``fairshare`` command
==================  =======================================================================
"""

from . import (
               attacks,
               data,
               datasets,
               economics,
               errors,
               evaluation,
               features,
               formulas,
               ledger,
               metrics,
               optimization,
               presets,
               results_io,
               simulation,
               trend,
)
from ._version import version as __version__
from .data import History
from .evaluation import Evaluation, evaluate
from .features import Features, aggregate
from .ledger import Ledger
from .metrics import (
               atkinson,
               ede,
               effective_number,
               entropy,
               gini,
               hhi,
               lorenz_curve,
               mld,
               nakamoto_coefficient,
               palma,
               theil,
               theil_decomposition,
               top_k_share,
               top_share,
)
from .optimization import EmissionResult, allocate, frontier, optimize
from .simulation import Scenario, SimulationResult, simulate

__all__ = ["__version__", "Scenario", "SimulationResult", "simulate", "optimize", "allocate", "frontier",
           "EmissionResult", "errors", "History", "Features", "aggregate", "economics", "formulas", "presets",
           "evaluate", "Evaluation", "datasets", "results_io", "data", "features", "evaluation", "optimization",
           "simulation", "Ledger", "ledger", "trend", "attacks",
           "metrics", "gini", "theil", "mld", "theil_decomposition", "atkinson", "ede", "hhi", "entropy",
           "effective_number", "nakamoto_coefficient", "top_k_share", "top_share", "palma", "lorenz_curve"]
