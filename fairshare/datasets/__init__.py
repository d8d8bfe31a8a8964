"""The built-in, calibrated, seeded OpenGradient-style network.

>>> import fairshare as fs
>>> h = fs.datasets.default_network(seed=0, scale="small")   # a validated History

:func:`default_network` builds it; :func:`calibration_report` sets its realised figures
beside their cited targets; :func:`network_economics` and :func:`emission_coverage` show
costs, fees and emission before any reward rule is chosen; :func:`route` is the router,
reusable on any arrays. The parameters and their sources are in ``docs/network.md``.

===============  ====================================================================
module           job
===============  ====================================================================
``network``      ``default_network``: scales, configuration, the tables
``archetypes``   hardware archetypes: power, speed, cost, depreciation life
``supply``       the node population: operators, tiers, stake, churn, reputation
``demand``       models, request sizes, large jobs, fees
``traffic``      demand calibrated to the network's capacity, generated tasks
``routing``      the router: selection weights, draws, the fluid limit
``token``        emission schedule and token price path
``calibration``  realised figures beside their cited targets
===============  ====================================================================
"""

from . import archetypes, demand, routing, supply, token, traffic
from .calibration import (
                          calibration_figures,
                          calibration_report,
                          emission_coverage,
                          network_economics,
                          router_tier_shares,
)
from .network import SCALES, NetworkConfig, build_parts, default_network, network_config
from .routing import expected_allocation, route

__all__ = [
    "default_network", "network_config", "NetworkConfig", "SCALES", "build_parts",
    "calibration_report", "calibration_figures", "network_economics", "emission_coverage",
    "router_tier_shares", "route", "expected_allocation",
    "archetypes", "demand", "routing", "supply", "token", "traffic",
]
