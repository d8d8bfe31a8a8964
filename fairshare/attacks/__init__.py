"""Attacks on reward rules: what operators would do to a rule, what it costs them, what it nets.

DESIGN.md "Attacks"; docs/attacks.md explains every attack, its cost model and the incidents
behind it. Layer 2: reads features, formulas and the cost model; the engines score with it.

=====================  ==========================================================================
module                 contents
=====================  ==========================================================================
``costs``              :class:`AttackCosts`: identity cost, protocol take, gas, cost of capital,
                       capacity proofs, attack sizes
``target``             :class:`Target`: the network attacked (node quantities, unit costs), and
                       the attacker sample for replayed rules
``library``            the attack machinery (:class:`Effect`, :class:`Replay`, :class:`Attack`) and
                       :class:`CustomAttack`
``keys``               attacks with keys and capital: :class:`Split`, :class:`Merge`,
                       :class:`IdleKey`, :class:`StakeTiming`; :func:`split_keys`, :func:`merge_keys`
``purchases``          fake demand and misreports: :class:`TinyRequests`, :class:`FakeWork`,
                       :class:`SelfPaidFees`, :class:`ModelMisreport`; :func:`standard_attacks`
``score``              net gains: :class:`LinearAttacks` (closed forms for ``Linear`` rules),
                       :func:`replay_table` and :func:`attack_columns` (any rule)
``bounds``             the optimiser's "no attack pays" rows: per epoch, what a unit weight pays
                       per unit of each attack against what the unit costs
``validators``         attacks on validator-scored rules (Yuma): :class:`WeightCopying`,
                       :class:`CollusiveWeighting`, replayed through the chain's epoch;
                       :func:`score_validator_attacks` (both, per Yuma variant, as a table)
=====================  ==========================================================================
"""

from .bounds import AttackRows, attack_rows
from .costs import CAPACITY_PROOFS, DEFAULT_SPLIT_K, AttackCosts
from .keys import IdleKey, Merge, Split, StakeTiming, merge_keys, split_keys
from .library import NAMES, Attack, CustomAttack, Effect, Replay
from .purchases import FakeWork, ModelMisreport, SelfPaidFees, TinyRequests, standard_attacks
from .score import FAMILIES, LinearAttacks, attack_columns, replay_gain, replay_table, theta_of
from .target import Target, attacker_sample
from .validators import (
    VALIDATOR_ATTACKS,
    CollusiveWeighting,
    ValidatorAttackResult,
    WeightCopying,
    score_validator_attacks,
)

__all__ = ["AttackCosts", "CAPACITY_PROOFS", "DEFAULT_SPLIT_K", "Attack", "CustomAttack", "Effect", "FakeWork",
           "IdleKey", "Merge", "ModelMisreport", "Replay", "SelfPaidFees", "Split", "StakeTiming", "TinyRequests",
           "standard_attacks", "split_keys", "merge_keys", "NAMES", "FAMILIES", "LinearAttacks", "attack_columns",
           "replay_gain", "replay_table",
           "theta_of", "Target", "attacker_sample", "AttackRows", "attack_rows", "WeightCopying",
           "CollusiveWeighting", "ValidatorAttackResult", "VALIDATOR_ATTACKS", "score_validator_attacks"]
