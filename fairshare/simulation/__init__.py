"""The simulation engine: what a reward rule does to a network over the next months.

``fs.simulate(scenario, rule, epochs=..., runs=..., seed=...)`` runs a network forward
under a rule, many times, and returns a :class:`SimulationResult` of measures per run and
epoch: concentration of rewards and stake, the retail share of rewards and retail
survival, operators by class, price, circulating supply, sell pressure, emission captured
by capital and by compute, fake-demand volume; with quantile bands across runs and the
unlock calendar.

``fs.simulate(scenario, rules={"status_quo": ..., "proposal": ...})`` simulates several rules (or
:class:`Variant` arms that also change the scenario, e.g. the routing policy) on common random
numbers, and ``result.difference(a, b)`` gives each measure's paired difference with intervals
across runs (``docs/simulation.md``). Concentration counts exited operators (at 0).

A :class:`Scenario` is built from a :class:`~fairshare.data.History` (by default the
built-in network) and seven mechanisms, each with cited defaults and each switchable
(see :mod:`fairshare.simulation.config` for every default and its source):

* :class:`Supply`: allocation buckets with cliffs and linear vesting (the OPG table,
  [sources: og-svip-module]), the pool that funds inference nodes and its schedule (linear, exponential decay
  with a half-life, halvings, the history's own), vesting of rewards;
* :class:`Price`: constant, geometric Brownian motion or the history's, optionally moved by
  operators' and unlock sales through a liquidity-depth impact model;
* :class:`Churn`: operators join when the expected margin beats a hurdle (with a lag) and
  leave after a run of loss-making epochs (retail sooner), exogenous exits, hardware end
  of life; ``enabled=False`` keeps the history's own network;
* :class:`Capital`: delegated stake follows the staking yield with an elasticity and dilutes
  the stake-driven part of operators' rewards;
* :class:`Demand`: growth, task-size mix and the built-in router (reputation- or
  stake-biased, uniform, latency-first), or the history's work replayed;
* :class:`FakeDemand`: some operators buy inference from themselves when the rule pays;
* :class:`Routing`: routing policy levers (a per-node cap, a cold start for new nodes, a minimum
  pay per dispatch), beside ``Demand``'s lottery share and tier floor.

Rules: any formula or preset, the optimiser's result (a ``formulas.Linear``), or a
:class:`RuleChange` (a switch of rule at an epoch, or a phased change).

Speed. ``Linear``-type rules run entirely in a numba kernel, parallel over runs (the fast
path); any other rule runs on the general path, where each epoch's features of all runs
form one block the rule is called on (about 5 rule calls per epoch: the rule, the fake-
demand trial, and two knock-outs for the stake / compute attribution). Measured on two shared
CPU cores: the built-in network (1,200 node keys), 100 runs, costs about 35 us per run-epoch on the
fast path, and on the general path 125 us with a ``Linear`` rule forced there, 187 us with
``Capped(0.05)`` and 211 us with ``FeeLinkedCap``; 100 runs x 365 epochs of a 1,000-operator
network take about 1.4 s on the fast path (``benchmarks/bench_simulate.py``).

Determinism: every run has its own random stream from ``SeedSequence(seed)``; a run is
computed by one thread in a fixed order, so results are bit-identical for a seed whatever
the number of threads, the chunking, the number of runs or the cluster (``client=``, a
``dask.distributed.Client``, simulates blocks of runs on its workers).

>>> import fairshare as fs
>>> sc = fs.Scenario.default(seed=0, scale="small")
>>> sim = fs.simulate(sc, fs.formulas.Linear({"work": 1.0}), epochs=30, runs=4, seed=0)
>>> sim.bands("retail_survival").shape  # epochs x (5%, 50%, 95%)
(30, 3)

===========  ======================================================================
module       job
===========  ======================================================================
``engine``   ``simulate`` and ``Scenario``
``config``   the mechanisms' settings and their cited defaults
``network``  the static network: node slots, operators, costs, entry candidates
``router``   demand and routing inputs from the built-in network's modules
``rules``    a rule or a governance change between rules, as the kernels see it
``supply``   supply settings (buckets, funding pool, schedule) and the token calendar
``inputs``   the kernels' inputs: the network, calendar and parameters as arrays
``run``      per-run streams, chunks of runs, the fast and the general path
``result``   ``SimulationResult``: measures per run and epoch, bands, calendar
===========  ======================================================================

The epoch step itself (market, payout, settlement) is numba code under
``fairshare._kernels.sim``.
"""

from .._deprecation import renamed
from ..economics.costs import Vesting
from .config import Capital, Churn, Demand, FakeDemand, Price, Routing
from .engine import MEASURES, PATHS, Scenario, Variant, difference_grid, simulate, stress_scenarios
from .result import SimulationResult
from .rules import STATUS_QUO, RuleChange
from .supply import OPG_BUCKETS, Bucket, Supply

__all__ = ["Scenario", "SimulationResult", "simulate", "Variant", "difference_grid", "stress_scenarios",
           "RuleChange", "Supply", "Bucket", "OPG_BUCKETS", "Price", "Churn", "Capital", "Demand", "FakeDemand",
           "Routing", "Vesting", "STATUS_QUO", "MEASURES", "PATHS"]

__getattr__ = renamed(__name__, {"Transition": ("fairshare.simulation.RuleChange", RuleChange)})
