"""Protocol presets: reward rules of existing networks, each a registered :class:`~fairshare.formulas.Formula`.

Every preset cites its public source, exposes the protocol's parameters and
takes any extra input (validator weights, regions, pledges, quality scores)
as pandas objects labelled by ``node_id``, aligned to the history's nodes at
allocation time. Rules pay nodes; what a protocol pays to others (validators'
dividends, a subnet owner, a reserve) is counted in ``Allocation.unallocated``
and reported by the preset's own methods (for example
:meth:`YumaConsensus.split`).

============================  ======================================================================
preset                        rule
============================  ======================================================================
:class:`YumaConsensus`        Bittensor Yuma consensus (stake-weighted median, clipping, EMA bonds)
:class:`LivepeerStake`        Livepeer stake-weighted selection, optional random share
:class:`RenderAvailability`   Render work value plus availability with a per-wallet decay (RNP-015)
:class:`HeliumDensity`        Helium HIP-17 region density scaling
:class:`CardanoSaturation`    Cardano saturation at 1/k with pledge influence a0
:class:`AtomOneNakamotoBonus` AtomOne ADR-004 Nakamoto bonus (equal share per node, dynamic eta)
:class:`OpenGradientStaking`  OpenGradient SVIP emission pro rata to voting power (no cap)
:class:`RenderComputeRewards` Render Compute Network (RNP-019): uptime plus hours x spec multiplier
:class:`GonkaComputeWeighted` Gonka-style fixed epoch reward by Proof-of-Compute weight x uptime
============================  ======================================================================

Functions beside the rules: :func:`yuma_chain_epoch` (subtensor's epoch, original Yuma or Yuma3,
exact I32F32 or float; :func:`reset_bonds`, :func:`weights_to_u16`), :func:`spec_multiplier` and
:func:`rnp019_rewards` (RNP-019), :func:`gonka_epoch_reward`, :func:`svip_validator_rewards`;
:func:`validation_table` (the Yuma models against subtensor's own epoch tests and the SVIP schedule against the
module's per-block formula, one row per check).
"""

from .atomone import AtomOneNakamotoBonus, adjust_eta
from .cardano import CardanoSaturation, pool_reward
from .gonka import GonkaComputeWeighted, gonka_epoch_reward
from .helium import HeliumDensity, density_limit, density_scale
from .livepeer import LivepeerStake, selection_probability
from .opengradient import OpenGradientStaking, vault_cap
from .render import RenderAvailability, RenderComputeRewards, rnp019_rewards, spec_multiplier, wallet_decay
from .svip import svip_validator_rewards
from .validation import validation_table
from .yuma import YumaConsensus, stake_weighted_median, yuma_epoch
from .yuma_chain import reset_bonds, weights_to_u16, yuma_chain_epoch

__all__ = [
    "YumaConsensus", "yuma_epoch", "stake_weighted_median", "yuma_chain_epoch", "reset_bonds", "weights_to_u16",
    "LivepeerStake", "selection_probability",
    "RenderAvailability", "wallet_decay",
    "HeliumDensity", "density_limit", "density_scale",
    "CardanoSaturation", "pool_reward",
    "AtomOneNakamotoBonus", "adjust_eta",
    "OpenGradientStaking", "vault_cap",
    "RenderComputeRewards", "spec_multiplier", "rnp019_rewards",
    "GonkaComputeWeighted", "gonka_epoch_reward", "svip_validator_rewards", "validation_table",
]
