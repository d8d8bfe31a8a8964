"""The baseline rules of the built-in networks, named for what they are.

A history built by :mod:`fairshare.datasets` names its baseline in ``history.metadata.baseline``;
``history.baseline`` is the rule.

==========================  =====================================================================
name                        rule
==========================  =====================================================================
``STAKE_WORK_50_50``        the what-if network's stand-in: 50% of each epoch's emission by stake,
                            50% by work (``Linear({"stake": 0.5, "work": 0.5})``); invented by
                            fairshare, because no public per-task formula for inference nodes
                            exists [sources: og-docs]
``SVIP_BY_VOTING_POWER``    OpenGradient as coded: the SVIP pool is paid to validators by voting
                            power and inference nodes earn fees only [sources: og-svip-doc];
                            ``Linear({"stake": 1.0})`` over a history in which only validators
                            hold stake (their voting power), so gateways receive no emission
==========================  =====================================================================
"""

from __future__ import annotations

from ..data.metadata import register_baseline
from ..formulas import STATUS_QUO, Linear

__all__ = ["STAKE_WORK_50_50", "SVIP_BY_VOTING_POWER", "BASELINE_RULES"]

#: The what-if network's baseline: 50% stake, 50% work (the same object as ``formulas.STATUS_QUO``).
STAKE_WORK_50_50 = STATUS_QUO
#: OpenGradient's baseline as coded: the emission (SVIP) pro rata to validators' voting power.
SVIP_BY_VOTING_POWER = Linear({"stake": 1.0})

#: Baselines by the name histories store.
BASELINE_RULES = {"STAKE_WORK_50_50": STAKE_WORK_50_50, "SVIP_BY_VOTING_POWER": SVIP_BY_VOTING_POWER}
for _name, _rule in BASELINE_RULES.items():
    register_baseline(_name, _rule)
