"""Reward formulas: rules that pay nodes from per-epoch features.

A formula is a frozen object; calling it on node-level
:class:`~fairshare.features.Features` returns an :class:`Allocation`: the
tokens each node receives in each epoch, ``(E, N)``, and the part of each
epoch's emission the rule could not place, ``(E,)``. Every rule spends each
epoch's emission exactly: ``rewards.sum(1) + unallocated == emission`` (to
rounding), rewards are finite and >= 0.

Write your own rule by subclassing :class:`ScoreFormula` (pay in proportion to
a score) or :class:`Formula` (any allocation); subclasses register themselves
by ``name`` in :data:`REGISTRY`, and the property tests run over every
registered rule.

Declared properties, checked by the property tests and measured by
``fs.evaluate``: ``monotone`` (more verified work never lowers a node's
reward) and :meth:`Formula.sybil` (what splitting one identity into k equal
identities does to its reward: ``"neutral"`` exactly nothing, as for
proportional rules; ``"rewarded"`` never less, as for concave rules and
per-identity floors; ``"penalised"`` never more; ``"unknown"``) and
:meth:`Formula.merging` (the same for merging two identities into one;
split-neutral rules are merge-neutral unless they cap identities, since a cap
of the merged identity can take what two caps held back).

==============  ==================================================================
module          job
==============  ==================================================================
``base``        ``Formula``, ``ScoreFormula``, ``Allocation``, the registry
``rules``       the library of rules and the reference set
``components``  the components of ``Linear`` and the optimiser, per epoch and node
``payouts``     integer payouts in base units (largest remainder)
``onchain``     ``export``: a ``Linear`` rule as integer arithmetic (Python reference, Vyper, bounds)
``activation``  ``ramp``: a ramped activation from today's ``Linear`` rule to a proposal, in equal steps
==============  ==================================================================
"""

from .activation import ramp, ramp_rules
from .base import REGISTRY, Allocation, Formula, ScoreFormula, proportional
from .components import COMPONENTS, PER_IDENTITY, component, component_shares
from .onchain import IntegerRule, export, quantise_weights
from .payouts import to_base_units
from .rules import (
                    STATUS_QUO,
                    Capped,
                    CobbDouglas,
                    FeeLinkedCap,
                    FloorPlusProportional,
                    Linear,
                    PerTask,
                    Power,
                    Proportional,
                    SmallTaskBonus,
                    StakeWeighted,
                    VerificationWeighted,
                    reference_rules,
)

__all__ = ["Allocation", "Formula", "ScoreFormula", "REGISTRY", "COMPONENTS", "PER_IDENTITY", "component",
           "component_shares", "Proportional", "PerTask", "StakeWeighted", "CobbDouglas", "Power",
           "VerificationWeighted", "SmallTaskBonus", "Linear", "FloorPlusProportional", "Capped", "FeeLinkedCap",
           "to_base_units", "STATUS_QUO", "reference_rules", "proportional", "export", "IntegerRule",
           "quantise_weights", "ramp", "ramp_rules"]
