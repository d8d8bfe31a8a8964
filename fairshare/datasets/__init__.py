"""The built-in networks: OpenGradient as deployed, and the open-inference what-if.

>>> import fairshare as fs
>>> h = fs.datasets.open_inference_network(seed=0, scale="small")   # a validated History
>>> h.metadata.network
'open_inference_network'

Which network serves what: :func:`opengradient_2026` is OpenGradient as its public code
describes it (proof-of-authority validators paid by the SVIP pool, permissioned TEE gateways
relaying closed models at list prices); it answers "who is paid today, and how concentrated is
it". :func:`open_inference_network` is a **hypothetical** network of permissionless
local-inference nodes; attacks, the optimiser and simulations of permissionless designs run
there. Both are synthetic, seeded and calibrated against cited targets, and each carries its
baseline rule (``history.baseline``) and a statement of what its data are (``history.metadata``).
:func:`calibration_report` sets the what-if network's realised figures beside their cited targets;
:func:`network_economics` and :func:`emission_coverage` show costs, fees and emission before any
reward rule is chosen; :func:`route` is the router, reusable on any arrays. The parameters and
their sources are in ``docs/network.md``.

===============  ====================================================================
module           job
===============  ====================================================================
``network``      ``open_inference_network``: scales, configuration, the tables
``archetypes``   hardware archetypes: power, speed, cost, depreciation life
``supply``       the node population: operators, tiers, stake, churn, reputation
``demand``       models, request sizes, large jobs, fees
``traffic``      demand calibrated to the network's capacity, generated tasks
``routing``      the router: selection weights, draws, the fluid limit
``token``        emission schedule and token price path
``calibration``  realised figures beside their cited targets
``opengradient``  ``opengradient_2026``: OpenGradient as its public code describes it
``baselines``    the networks' baseline rules, named for what they are
``funding``      the funding pool's effect on stakers; who is paid today; as-deployed calibration
===============  ====================================================================
"""

from .. import _deprecation
from . import archetypes, baselines, demand, routing, supply, token, traffic
from .baselines import STAKE_WORK_50_50, SVIP_BY_VOTING_POWER
from .calibration import (
                          calibration_figures,
                          calibration_report,
                          emission_coverage,
                          network_economics,
                          router_tier_shares,
)
from .funding import funding_pool_effect, opengradient_calibration, who_is_paid_today
from .network import SCALES, NetworkConfig, build_parts, network_config, open_inference_network
from .opengradient import OpenGradientConfig, opengradient_2026, opengradient_config
from .routing import expected_allocation, route

__all__ = [
    "open_inference_network", "network_config", "NetworkConfig", "SCALES", "build_parts",
    "opengradient_2026", "opengradient_config", "OpenGradientConfig", "opengradient_calibration",
    "who_is_paid_today", "funding_pool_effect",
    "STAKE_WORK_50_50", "SVIP_BY_VOTING_POWER",
    "calibration_report", "calibration_figures", "network_economics", "emission_coverage",
    "router_tier_shares", "route", "expected_allocation",
    "archetypes", "baselines", "demand", "routing", "supply", "token", "traffic",
]

__getattr__ = _deprecation.renamed("fairshare.datasets", {
    "default_network": ("fairshare.datasets.open_inference_network", open_inference_network),
})
