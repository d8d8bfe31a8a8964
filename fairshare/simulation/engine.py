"""``simulate`` and ``Scenario``: a network and its mechanisms, run forward under a rule.

See :mod:`fairshare.simulation` for what is simulated and how.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd

from .._distributed import check_client
from .._kernels.sim import state as _k
from .._version import version
from ..data.history import History
from ..economics.costs import DEPRECIATION_METHODS
from ..errors import ConfigError
from ..features import Features, aggregate
from .config import OPERATOR_CLASSES, Capital, Churn, Demand, FakeDemand, Price
from .network import Network, build_network
from .result import SimulationResult
from .router import Router, build_router
from .rules import STATUS_QUO, RuleChange, RulePlan
from .run import simulate_runs
from .supply import OPG_BUCKETS, Bucket, Supply

__all__ = ["Scenario", "SimulationResult", "simulate", "RuleChange", "Supply", "Bucket", "OPG_BUCKETS", "Price",
           "Churn", "Capital", "Demand", "FakeDemand", "STATUS_QUO", "MEASURES", "PATHS"]

#: Measures of every simulation, in the order of ``SimulationResult.values``' last axis.
MEASURES = _k.MEASURES
PATHS = ("auto", "fast", "general")
_MECHANISMS = ("supply", "price", "churn", "capital", "demand", "fake_demand")


@functools.lru_cache(maxsize=4)
def _builtin(seed: int, scale: str) -> History:
    from ..datasets import open_inference_network

    return open_inference_network(seed=seed, scale=scale)


@dataclass(frozen=True, eq=False)
class Scenario:
    """A network and its mechanisms, ready to simulate.

    Build it with :meth:`from_history` or :meth:`default`; change a mechanism with
    :meth:`replace` (the network setup is shared, not rebuilt).

    Parameters
    ----------
    history : History
        The network: nodes, operators, costs, stake; its demand, prices and emission when replayed.
    supply, price, churn, capital, demand, fake_demand
        The mechanisms (module docstring); defaults cite keys of docs/sources.md.
    start_epoch : int, optional
        History epoch the simulation starts from (default: its first). The nodes active then
        are the starting network; operators that join later are entry candidates.
    reputation : float or Series by node_id, optional
        Reputation scores (0-10,000) for the router; rebuilt for the built-in network.
    depreciation : {"straight_line", "declining_balance"}
        Depreciation method of ``economics.node_costs``.
    _cache : dict, optional
        Internal: the built network and router, shared by scenarios made with :meth:`replace`.
        Leave it out.
    """

    history: History
    supply: Supply = field(default_factory=Supply)
    price: Price = field(default_factory=Price)
    churn: Churn = field(default_factory=Churn)
    capital: Capital = field(default_factory=Capital)
    demand: Demand = field(default_factory=Demand)
    fake_demand: FakeDemand = field(default_factory=FakeDemand)
    start_epoch: int | None = None
    reputation: object = None
    depreciation: str = "straight_line"
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if not isinstance(self.history, History):
            raise ConfigError(f"Scenario history must be a fairshare History, got {type(self.history).__name__}.")
        kinds = {"supply": Supply, "price": Price, "churn": Churn, "capital": Capital, "demand": Demand,
                 "fake_demand": FakeDemand}
        for name, kind in kinds.items():
            value = getattr(self, name)
            if not isinstance(value, kind):
                raise ConfigError(f"Scenario {name} must be a fairshare.simulation.{kind.__name__}, got "
                                  f"{type(value).__name__}.")
            value.validate()
        if self.depreciation not in DEPRECIATION_METHODS:
            raise ConfigError(f"Scenario depreciation must be one of {', '.join(DEPRECIATION_METHODS)}, got "
                              f"{self.depreciation!r}.")
        epochs = self.history.epochs
        if self.start_epoch is not None and int(self.start_epoch) not in set(epochs.tolist()):
            raise ConfigError(f"Scenario start_epoch must be an epoch of the history ({epochs[0]}..{epochs[-1]}), "
                              f"got {self.start_epoch!r}.")
        if self.demand.mode == "replay" and self.churn.enabled:
            raise ConfigError("Demand(mode='replay') replays each node's recorded work, so it needs the history's own "
                              "network: Churn(enabled=False); got churn enabled.")
        tge = self.tge_epoch
        if tge > int(epochs[self.start]):
            raise ConfigError(f"Supply tge_epoch must not be after the start epoch {int(epochs[self.start])}, "
                              f"got {tge}.")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_history(cls, history: History, **settings) -> "Scenario":
        """A scenario of ``history`` with ``settings`` (mechanisms or other fields) replacing defaults."""
        names = {f.name for f in fields(cls)} - {"history", "_cache"}
        unknown = sorted(set(settings) - names)
        if unknown:
            raise ConfigError(f"Scenario: unknown settings {unknown}; allowed: {', '.join(sorted(names))}.")
        return cls(history=history, **settings)

    @classmethod
    def default(cls, seed: int = 0, scale: str = "default", **settings) -> "Scenario":
        """A scenario of the what-if network ``fs.datasets.open_inference_network(seed, scale)``."""
        return cls.from_history(_builtin(int(seed), scale), **settings)

    def replace(self, **changes) -> "Scenario":
        """A copy with some settings changed (the network setup already computed is reused)."""
        names = {f.name for f in fields(self)} - {"_cache"}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ConfigError(f"Scenario.replace: unknown settings {unknown}; allowed: {', '.join(sorted(names))}.")
        return replace(self, **changes)

    # ------------------------------------------------------------------ derived (cached)
    @property
    def start(self) -> int:
        """Position of the start epoch in the history."""
        if self.start_epoch is None:
            return 0
        return int(np.flatnonzero(self.history.epochs == int(self.start_epoch))[0])

    @property
    def tge_epoch(self) -> int:
        return int(self.history.epochs[0]) if self.supply.tge_epoch is None else int(self.supply.tge_epoch)

    def _cached(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def network(self) -> Network:
        clones = self.churn.clones if self.churn.enabled else 0
        return self._cached(("network", self.start, clones, self.depreciation),
                            lambda: build_network(self.history, self.start, replace(self.churn, clones=clones),
                                                  self.depreciation))

    @property
    def router(self) -> Router:
        rep = self.reputation
        rep_key = id(rep) if isinstance(rep, pd.Series) else rep
        key = ("router", self.start, self.network.n_nodes, self.demand.routing, self.demand.large_token_share, rep_key)
        return self._cached(key, lambda: build_router(self.network, self.demand, rep))

    @property
    def replay_features(self) -> Features:
        return self._cached("features", lambda: aggregate(self.history))

    @property
    def fitted_growth(self) -> float:
        """Log growth per year of the history's work per epoch (least squares on its logarithm)."""
        def fit():
            work = self.replay_features.work_units.sum(axis=1)
            t = np.flatnonzero(work > 0).astype(np.float64)
            if t.size < 2 or np.ptp(t) == 0:
                return 0.0
            slope = np.polyfit(t, np.log(work[work > 0]), 1)[0]
            return float(slope * 365.25 * 86_400.0 / self.history.epoch_seconds)
        return self._cached("growth", fit)

    @property
    def node_index(self) -> pd.Index:
        return self._cached(("nodes", self.network.n_nodes), lambda: pd.Index(self.network.node_ids, name="node_id"))

    @property
    def operator_index(self) -> pd.Index:
        return self._cached(("ops", self.network.n_operators),
                            lambda: pd.Index(self.network.operator_ids, name="operator_id"))

    def describe(self) -> pd.DataFrame:
        """Every mechanism setting as a table (mechanism, parameter, value)."""
        rows = []
        for name in _MECHANISMS:
            part = getattr(self, name)
            for f in fields(part):
                rows.append({"mechanism": name, "parameter": f.name, "value": repr(getattr(part, f.name))})
        return pd.DataFrame(rows)


def simulate(scenario: Scenario | None = None, rule=None, *, epochs: int | None = None, runs: int = 100,
             seed: int = 0, path: str = "auto", keep_state: bool = False, progress=None,
             chunk_runs: int | None = None, client=None) -> SimulationResult:
    """Simulate a network forward under a reward rule, ``runs`` times.

    Parameters
    ----------
    scenario : Scenario, optional
        Default: the built-in network (``Scenario.default()``) with every default mechanism.
    rule : Formula or RuleChange, optional
        Default: the status quo, ``Linear({"stake": 0.5, "work": 0.5})`` (fairshare's reference
        stake-and-work rule). The optimiser's ``formulas.Linear`` result is a rule.
    epochs : int, optional
        Epochs to simulate (default: the history's length from the start epoch).
    runs : int
        Monte Carlo runs (each with its own random stream).
    seed : int
        Root of the runs' streams; the same seed gives bit-identical results, and two
        scenarios or rules simulated with the same seed share their random draws.
    path : {"auto", "fast", "general"}
        ``auto`` runs ``Linear``-type rules in the kernel and other rules on the general path;
        ``general`` forces the general path (same numbers to rounding); ``fast`` refuses
        rules it cannot run in the kernel.
    keep_state : bool
        Keep per-node rewards, stake, work, activity and busy time ``(runs, epochs, nodes)`` (memory!).
    progress : callable, optional
        ``progress(done, total)`` in run-epochs, after each chunk (fast path) or epoch (general);
        with a ``client``, once per block of runs after all blocks have come back.
    chunk_runs : int, optional
        Runs per chunk (memory bound; default: a few per thread on the fast path, all runs of a
        block on the general path). Results do not depend on it.
    client : dask.distributed.Client, optional
        Simulate on a cluster: the runs are split into contiguous blocks (about two per worker,
        never more blocks than runs), each simulated on a worker, and gathered in run order.
        The scenario is sent once to every worker. Results are bit-identical to ``client=None``
        (every run has its own stream); only ``seconds`` differs.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> import fairshare as fs
    >>> sc = fs.Scenario.default(seed=0, scale="small")
    >>> sim = fs.simulate(sc, epochs=30, runs=4, seed=1)
    >>> sim.measure("reward_gini").shape  # epochs x runs
    (30, 4)
    >>> print(sim.summary())  # doctest: +ELLIPSIS
    4 runs x 30 epochs (fast path, ...
    """
    check_client(client)
    scn = Scenario.default() if scenario is None else scenario
    if not isinstance(scn, Scenario):
        raise ConfigError(f"scenario must be a fairshare Scenario, got {type(scn).__name__}.")
    rule = STATUS_QUO if rule is None else rule
    available = scn.history.n_epochs - scn.start
    epochs = available if epochs is None else epochs
    for name, value, low in (("epochs", epochs, 1), ("runs", runs, 1), ("seed", seed, 0)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
            raise ConfigError(f"{name} must be a whole number >= {low}, got {value!r}.")
    if path not in PATHS:
        raise ConfigError(f"path must be one of {', '.join(PATHS)}, got {path!r}.")
    if chunk_runs is not None and (not isinstance(chunk_runs, (int, np.integer)) or chunk_runs < 1):
        raise ConfigError(f"chunk_runs must be a whole number >= 1, got {chunk_runs!r}.")
    replayed = [what for what, on in (("Demand(mode='replay')", scn.demand.mode == "replay"),
                                      ("Price(model='history')", scn.price.model == "history"),
                                      ("Supply(schedule='history')", isinstance(scn.supply.schedule, str)
                                       and scn.supply.schedule == "history")) if on]
    if replayed and epochs > available:
        raise ConfigError(f"epochs must be <= {available} (the history's epochs from the start) with "
                          f"{', '.join(replayed)}, got {epochs}.")
    if path == "fast" and RulePlan(rule, int(epochs)).theta() is None:
        raise ConfigError(f"path='fast' runs Linear-type rules only (Linear, FloorPlusProportional, Proportional, "
                          f"PerTask, StakeWeighted); got {rule!r}. Use path='auto'.")
    out, inp = simulate_runs(scn, rule, int(epochs), int(runs), int(seed), path, bool(keep_state), progress,
                             chunk_runs, client)
    net = scn.network
    label0 = int(scn.history.epochs[scn.start])
    provenance = {"fairshare_version": version, "history": repr(scn.history), **scn.history.provenance,
                  "seed": int(seed), "runs": int(runs), "epochs": int(epochs), "rule": repr(rule),
                  "scenario": {name: repr(getattr(scn, name)) for name in _MECHANISMS},
                  "start_epoch": label0, "epoch_days": scn.history.epoch_seconds / 86_400.0,
                  "demand_growth_per_year": float(np.expm1(scn.demand.growth_rate(scn.fitted_growth)))}
    return SimulationResult(values=out.summary, measures=MEASURES, epochs=np.arange(label0, label0 + epochs),
                            unlocks=inp.calendar.unlocks.set_axis(np.arange(label0, label0 + epochs)),
                            node_ids=scn.node_index, operator_ids=scn.operator_index, node_operator=net.node_op,
                            operator_class=np.asarray(OPERATOR_CLASSES, dtype=object)[net.op_class], path=out.path,
                            seconds=out.seconds, state=out.state, provenance=provenance)
