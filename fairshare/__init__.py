"""fairshare: measure and design fair token rewards for decentralized AI-inference networks.

Load a history (or the built-in network), aggregate it into features, replay
reward formulas, measure concentration and operator economics, optimise
emission weights and simulate the network forward. See README.md.
"""

from . import errors
from ._version import version as __version__
from .data import History
from .features import Features, aggregate

__all__ = ["__version__", "errors", "History", "Features", "aggregate"]
