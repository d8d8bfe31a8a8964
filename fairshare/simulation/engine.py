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
from .config import OPERATOR_CLASSES, Capital, Churn, Demand, FakeDemand, Price, Routing
from .network import Network, build_network
from .result import SimulationResult
from .router import Router, build_router
from .rules import STATUS_QUO, RuleChange, RulePlan
from .run import simulate_runs
from .supply import OPG_BUCKETS, Bucket, Supply

__all__ = ["Scenario", "SimulationResult", "simulate", "RuleChange", "Supply", "Bucket", "OPG_BUCKETS", "Price",
           "Churn", "Capital", "Demand", "FakeDemand", "Routing", "STATUS_QUO", "MEASURES", "PATHS"]

#: Measures of every simulation, in the order of ``SimulationResult.values``' last axis.
MEASURES = _k.MEASURES
PATHS = ("auto", "fast", "general")
_MECHANISMS = ("supply", "price", "churn", "capital", "demand", "fake_demand", "routing")
_KINDS = {"supply": Supply, "price": Price, "churn": Churn, "capital": Capital, "demand": Demand,
          "fake_demand": FakeDemand, "routing": Routing}


@functools.lru_cache(maxsize=4)
def _builtin(seed: int, scale: str) -> History:
    from ..datasets import open_inference_network

    return open_inference_network(seed=seed, scale=scale)


#: Reputation score of every node when a history carries none (uniform; no tier floor excludes a node).
UNKNOWN_REPUTATION = 10_000.0


def _is_builtin(history: History) -> bool:
    """Whether ``history`` is the built-in what-if network (its population rebuilds from its provenance)."""
    from ..datasets.network import recorded_config

    return recorded_config(history.provenance) is not None


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
    routing : Routing
        Routing policy levers (node cap, cold start, minimum pay per dispatch); all off by default.
    start_epoch : int, optional
        History epoch the simulation starts from (default: its first). The nodes active then
        are the starting network; operators that join later are entry candidates.
    reputation : float or Series by node_id, optional
        Reputation scores (0-10,000) for the router; rebuilt for the built-in network; for any
        other history without scores, every node is scored ``UNKNOWN_REPUTATION`` (uniform: no
        node is favoured or excluded by reputation), and the result's provenance says so.
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
    routing: Routing = field(default_factory=Routing)
    start_epoch: int | None = None
    reputation: object = None
    depreciation: str = "straight_line"
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if not isinstance(self.history, History):
            raise ConfigError(f"Scenario history must be a fairshare History, got {type(self.history).__name__}.")
        for name, kind in _KINDS.items():
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
        """A scenario of ``history`` with ``settings`` (mechanisms or other fields) replacing defaults.

        Works on any valid history without further arguments. Without a ``supply``, the
        emission is the history's market table (``emission_tokens``) for the epochs it covers:
        on the built-in network with the OPG buckets and the ``"linear"`` schedule past the
        table (the schedule that produced it); on any other history with one funding bucket
        and no unlock selling, and simulating past the table is a ``ConfigError`` that asks
        for a ``Supply`` with a named schedule.

        Parameters
        ----------
        history : History
            The network to simulate.
        **settings
            Any field of :class:`Scenario` besides ``history`` (mechanisms, ``start_epoch``,
            ``reputation``, ``depreciation``).

        Returns
        -------
        Scenario
        """
        if not isinstance(history, History):
            raise ConfigError(f"Scenario history must be a fairshare History, got {type(history).__name__}.")
        names = {f.name for f in fields(cls)} - {"history", "_cache"}
        unknown = sorted(set(settings) - names)
        if unknown:
            raise ConfigError(f"Scenario: unknown settings {unknown}; allowed: {', '.join(sorted(names))}.")
        if "supply" not in settings:
            settings["supply"] = Supply(schedule="history", after="linear") if _is_builtin(history) \
                else Supply.for_history(history)
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
        if rep is None and not _is_builtin(self.history):
            rep = UNKNOWN_REPUTATION
        rep_key = id(rep) if isinstance(rep, pd.Series) else rep
        key = ("router", self.start, self.network.n_nodes, self.demand.routing, self.demand.large_token_share, rep_key,
               self.demand.random_share, self.demand.min_tier)
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


class Variant:
    """One arm of an A/B that changes the scenario as well as (or instead of) the rule.

    ``simulate(sc, rules={"status_quo": rule, "open_routing": Variant(rule, demand=Demand(random_share=1.0))})``
    compares changing the routing with keeping it, on common random numbers, beside arms that
    change the emission rule.

    Parameters
    ----------
    rule : Formula or RuleChange, optional
        The reward rule of the arm (default: the status quo).
    **changes
        Scenario settings replaced for this arm (as :meth:`Scenario.replace` takes them).
    """

    def __init__(self, rule=None, **changes):
        self.rule = STATUS_QUO if rule is None else rule
        self.changes = dict(changes)

    def __repr__(self) -> str:
        return f"Variant({self.rule!r}, {', '.join(f'{k}={v!r}' for k, v in self.changes.items())})"


def scenario_settings(tables: dict, source: str = "scenario") -> dict:
    """Scenario settings from ``[scenario.*]`` tables (a parsed TOML file): one table per mechanism.

    ``[scenario.supply]`` takes :class:`Supply`'s fields (``buckets`` as an array of tables with
    :class:`Bucket`'s fields; ``reward_vesting`` as a table of ``cliff_epochs``,
    ``linear_epochs``, ``immediate``); ``[scenario.price]``, ``.churn``, ``.capital``, ``.demand``,
    ``.fake_demand`` and ``.routing`` take their classes' fields; ``[scenario.options]`` takes
    ``start_epoch``, ``reputation`` (one score) and ``depreciation``.

    Parameters
    ----------
    tables : dict
        The parsed ``scenario`` table.
    source : str
        What to name in errors (the file).

    Returns
    -------
    dict
        Keyword arguments of :meth:`Scenario.from_history`.
    """
    from ..economics.costs import Vesting

    if not isinstance(tables, dict):
        raise ConfigError(f"{source}: [scenario] must hold tables such as [scenario.price], got {tables!r}.")
    kinds = _KINDS
    options = ("start_epoch", "reputation", "depreciation")
    unknown = sorted(set(tables) - set(kinds) - {"options"})
    if unknown:
        raise ConfigError(f"{source}: unknown table(s) {', '.join(f'[scenario.{u}]' for u in unknown)}; allowed: "
                          f"{', '.join(f'[scenario.{k}]' for k in (*kinds, 'options'))}.")
    out = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: [scenario.{name}] must be a table, got {table!r}.")
        allowed = options if name == "options" else tuple(f.name for f in fields(kinds[name]))
        bad = sorted(set(table) - set(allowed))
        if bad:
            raise ConfigError(f"{source}: [scenario.{name}] has unknown key(s) {', '.join(bad)}; allowed: "
                              f"{', '.join(allowed)}.")
        if name == "options":
            out.update(table)
            continue
        values = dict(table)
        try:
            if name == "supply" and "buckets" in values:
                values["buckets"] = tuple(Bucket(**b) for b in values["buckets"])
            if name == "supply" and "reward_vesting" in values:
                values["reward_vesting"] = Vesting(**values["reward_vesting"])
            values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
            out[name] = kinds[name](**values)
        except TypeError as err:
            raise ConfigError(f"{source}: [scenario.{name}]: {err}.") from err
    return out


#: Stress offsets around the base (assumptions, stated in every triplet's drivers): the price's log drift
#: moves by one year's volatility, demand's log growth by 0.5 a year (x1.65), the entrant pool by 5 clones.
STRESS_DEMAND_LOG = 0.5
STRESS_CLONES = 5


def _log_slope_per_year(values: np.ndarray, epoch_seconds: float) -> float:
    """Least-squares slope of log(values) per year over the positive values (0 with fewer than 2)."""
    t = np.flatnonzero(values > 0).astype(np.float64)
    if t.size < 2 or np.ptp(t) == 0:
        return 0.0
    return float(np.polyfit(t, np.log(values[values > 0]), 1)[0] * 365.25 * 86_400.0 / epoch_seconds)


def stress_scenarios(scenario: Scenario, lookback_epochs: int | None = None) -> tuple[dict, pd.DataFrame]:
    """A pessimistic, base and optimistic triplet of a scenario, each with its drivers stated.

    Base: the history's log-linear trends over the last ``lookback_epochs`` epochs (default: all
    of them): the token price's drift and the work's growth; the scenario's entrant pool. The
    pessimistic case (for operators already there) lowers the price drift by one year's
    volatility (``Price.volatility_per_year``), lowers demand's log growth by
    ``STRESS_DEMAND_LOG`` and adds ``STRESS_CLONES`` clones to the entrant pool; the optimistic
    case raises the first two by as much and has no clones. The offsets are assumptions.

    Parameters
    ----------
    scenario : Scenario
        The base scenario (its price model becomes ``"gbm"`` with the drifts above).
    lookback_epochs : int, optional
        Epochs at the end of the history the trends are fitted on (>= 2).

    Returns
    -------
    tuple of (dict of str to Scenario, pandas.DataFrame)
        The scenarios by case and their drivers (one row per case: price log drift per year,
        demand growth per year, clones, lookback epochs, and the first and last history epoch of
        the lookback window the trends came from); ``drivers.attrs["statement"]`` says the same
        in words, window included.
    """
    h = scenario.history
    n = h.n_epochs if lookback_epochs is None else lookback_epochs
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or not 2 <= n <= h.n_epochs:
        raise ConfigError(f"lookback_epochs must be a whole number in [2, {h.n_epochs}] (the history's epochs), "
                          f"got {lookback_epochs!r}.")
    work = scenario.replay_features.work_units.sum(axis=1)[-n:]
    first, last = int(h.epochs[-n]), int(h.epochs[-1])
    drift = _log_slope_per_year(np.asarray(h.token_price_usd, dtype=np.float64)[-n:], h.epoch_seconds)
    growth = _log_slope_per_year(work, h.epoch_seconds)
    sd = scenario.price.volatility_per_year
    clones = scenario.churn.clones
    cases = {"pessimistic": (drift - sd, growth - STRESS_DEMAND_LOG, clones + STRESS_CLONES),
             "base": (drift, growth, clones), "optimistic": (drift + sd, growth + STRESS_DEMAND_LOG, 0)}
    out, rows = {}, []
    for name, (d, g, c) in cases.items():
        out[name] = scenario.replace(price=replace(scenario.price, model="gbm", log_drift_per_year=float(d)),
                                     demand=replace(scenario.demand, growth_per_year=float(np.expm1(g))),
                                     churn=replace(scenario.churn, clones=int(c)))
        rows.append({"case": name, "price_log_drift_per_year": d, "demand_growth_per_year": float(np.expm1(g)),
                     "clones": int(c), "lookback_epochs": int(n), "lookback_first_epoch": first,
                     "lookback_last_epoch": last})
    drivers = pd.DataFrame(rows).set_index("case")
    drivers.attrs["statement"] = (f"trends fitted on the history's last {n} epochs (epochs {first}-{last}); "
                                  f"offsets (assumptions): price drift +/- {sd:.3g} a year (one year's volatility), "
                                  f"demand log growth +/- {STRESS_DEMAND_LOG}, entrant pool +{STRESS_CLONES} clones "
                                  "(pessimistic) or none (optimistic)")
    return out, drivers


def difference_grid(scenario: Scenario, rules: dict, a: str, b: str, *, depth_usd=(None,), clones=(0,),
                    measures=None, epochs: int | None = None, runs: int = 20, seed: int = 0,
                    window: str = "last_quarter") -> pd.DataFrame:
    """The A/B ``a`` minus ``b`` over a grid of market depth x entrant-pool size, every cell on the same seed.

    The answer of an A/B can hinge on two inputs no history pins down: how deep the token's
    market is (price impact of sales) and how many operators stand ready to enter. This runs
    ``simulate(..., rules=rules)`` for each pair and stacks :meth:`SimulationResult.difference`.

    Parameters
    ----------
    scenario : Scenario
        The base scenario; each cell replaces its ``price`` depth and ``churn`` clones.
    rules : dict
        As in :func:`simulate` (rules or :class:`Variant` arms); must hold ``a`` and ``b``.
    a, b : str
        The arms to difference.
    depth_usd : sequence of float or None
        Total market depths, USD (``Price(impact=True, depth_usd=..., book_depth_usd=0)``: pools and
        order books together); None: no price impact (the price an input).
    clones : sequence of int
        Entrant pools: clones of every entry candidate (``Churn(clones=...)``).
    measures : list of str, optional
        Default: every measure.
    epochs, runs, seed
        As in :func:`simulate`.
    window : str
        As in :meth:`SimulationResult.difference`.

    Returns
    -------
    pandas.DataFrame
        ``difference``'s columns with the cell's ``depth_usd`` (NaN: no impact) and ``clones``
        as the first index levels.
    """
    frames = []
    for depth in depth_usd:
        price = replace(scenario.price, impact=False) if depth is None else replace(
            scenario.price, impact=True, depth_usd=float(depth), book_depth_usd=0.0)
        for n in clones:
            cell = scenario.replace(price=price.validate(), churn=replace(scenario.churn, clones=int(n)).validate())
            sim = simulate(cell, rules=rules, epochs=epochs, runs=runs, seed=seed)
            diff = sim.difference(a, b, measures, window=window)
            frames.append(diff.assign(depth_usd=np.nan if depth is None else float(depth), clones=int(n)))
    out = pd.concat(frames).reset_index().set_index(["depth_usd", "clones", "measure"])
    out.attrs.update(frames[-1].attrs)
    out.attrs["price_is_input"] = all(np.isnan(out.index.get_level_values("depth_usd")))
    out.attrs["statement"] = (f"{a} minus {b} over a grid of market depth x entrant pool, every cell on seed {seed} "
                              f"with common random numbers; {window.replace('_', ' ')} means; depth_usd NaN: no price "
                              "impact (the price an input); other depths move the price with net sales (a "
                              "sensitivity, not a calibration)")
    return out


def describe_data(scn: Scenario) -> str:
    """One line saying what a scenario's data are: network, synthetic or not, emission, reputation, price.

    Parameters
    ----------
    scn : Scenario
        The scenario.
    """
    meta = getattr(scn.history, "metadata", None)
    network = getattr(meta, "network", None) or "a user's history"
    kind = "synthetic" if getattr(meta, "synthetic", False) else "as given (not generated by fairshare)"
    sup = scn.supply
    if isinstance(sup.schedule, str) and sup.schedule == "history":
        emission = "emission from the history's market table" + (f", then the {sup.after!r} schedule" if sup.after
                                                                   else "")
    else:
        emission = f"emission schedule {sup.schedule!r}"
    if scn.reputation is not None:
        rep = "reputation as given"
    elif _is_builtin(scn.history):
        rep = "reputation of the built-in population"
    else:
        rep = f"reputation unknown: uniform {UNKNOWN_REPUTATION:,.0f} for every node"
    pr = scn.price
    price = (f"price moved by sales (impact on, depth ${pr.total_depth_usd:,.0f}: pools ${pr.depth_usd:,.0f} + order "
             f"books ${pr.book_depth_usd:,.0f}; outside buying ${pr.buy_usd_per_epoch:,.0f} per epoch)" if pr.impact
             else f"price an input ({pr.model}, no impact)")
    return f"{network} ({kind}); {emission}; {rep}; {price}"


def simulate(scenario: Scenario | None = None, rule=None, *, rules: dict | None = None, epochs: int | None = None,
             runs: int = 100, seed: int = 0, path: str = "auto", keep_state: bool = False, progress=None,
             chunk_runs: int | None = None, client=None) -> SimulationResult:
    """Simulate a network forward under a reward rule, or several on common random numbers, ``runs`` times.

    Parameters
    ----------
    scenario : Scenario, optional
        Default: the built-in network (``Scenario.default()``) with every default mechanism.
    rule : Formula or RuleChange, optional
        Default: the status quo, ``Linear({"stake": 0.5, "work": 0.5})`` (fairshare's reference
        stake-and-work rule). The optimiser's ``formulas.Linear`` result is a rule.
    rules : dict of str to rule, optional
        Several rules (instead of ``rule``), each simulated with the same ``seed``: run ``r`` of
        every rule draws the same demand, price shocks, exit and fake-demand willingness
        (common random numbers), so :meth:`SimulationResult.difference` pairs them run by run.
        A value may be a :class:`Variant` (a rule with scenario changes, e.g. a routing policy).
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
    Data: open_inference_network (synthetic); ...
    4 runs x 30 epochs (fast path, ...
    >>> ab = fs.simulate(sc, rules={"status_quo": fs.simulation.STATUS_QUO,
    ...                             "work": fs.formulas.Linear({"work": 1.0})}, epochs=30, runs=4, seed=1)
    >>> ab.difference("work", "status_quo").loc["price_usd", "kind"]  # the price is an input here
    'unchanged'
    """
    check_client(client)
    scn = Scenario.default() if scenario is None else scenario
    if not isinstance(scn, Scenario):
        raise ConfigError(f"scenario must be a fairshare Scenario, got {type(scn).__name__}.")
    if rules is not None:
        if rule is not None:
            raise ConfigError("simulate: pass rule= (one rule) or rules= (a dict of named rules), not both.")
        if not isinstance(rules, dict) or not rules or not all(isinstance(n, str) and n for n in rules):
            raise ConfigError(f"rules must be a non-empty dict of name -> rule, got {rules!r}.")
        parts = {}
        for name, r in rules.items():
            arm, r = (scn.replace(**r.changes), r.rule) if isinstance(r, Variant) else (scn, r)
            parts[name] = simulate(arm, r, epochs=epochs, runs=runs, seed=seed, path=path, keep_state=keep_state,
                                   progress=progress, chunk_runs=chunk_runs, client=client)
        first = next(iter(parts.values()))
        provenance = {**first.provenance, "rules": {n: repr(r) for n, r in rules.items()},
                      "common_random_numbers": True}
        return replace(first, by_rule=parts, provenance=provenance,
                       seconds=float(sum(p.seconds for p in parts.values())),
                       path="/".join(sorted({p.path for p in parts.values()})))
    rule = STATUS_QUO if rule is None else rule
    available = scn.history.n_epochs - scn.start
    epochs = available if epochs is None else epochs
    for name, value, low in (("epochs", epochs, 1), ("runs", runs, 1), ("seed", seed, 0)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
            raise ConfigError(f"{name} must be a whole number >= {low}, got {value!r}.")
    horizon = int(100 * 365.25 * 86_400 // scn.history.epoch_seconds)
    if epochs > horizon:  # checked before anything is allocated by it
        raise ConfigError(f"epochs must be at most {horizon:,} (100 years of this history's "
                          f"{scn.history.epoch_seconds:g}-second epochs), got {epochs:,}.")
    gib = runs * epochs * len(MEASURES) * 8 / 2**30  # the per-run, per-epoch measures every result keeps
    if gib > 16:
        raise ConfigError(f"runs x epochs = {runs:,} x {epochs:,} keeps {gib:,.0f} GiB of measures (at most 16); "
                          "simulate fewer runs or epochs.")
    if path not in PATHS:
        raise ConfigError(f"path must be one of {', '.join(PATHS)}, got {path!r}.")
    if chunk_runs is not None and (not isinstance(chunk_runs, (int, np.integer)) or chunk_runs < 1):
        raise ConfigError(f"chunk_runs must be a whole number >= 1, got {chunk_runs!r}.")
    replayed = [what for what, on in (("Demand(mode='replay')", scn.demand.mode == "replay"),
                                      ("Price(model='history')", scn.price.model == "history"),
                                      ("Supply(schedule='history') without after=", isinstance(scn.supply.schedule, str)
                                       and scn.supply.schedule == "history" and scn.supply.after is None))
                if on]
    if replayed and epochs > available:
        raise ConfigError(f"epochs must be <= {available} (the history's epochs from the start) with "
                          f"{', '.join(replayed)}, got {epochs}; simulate fewer epochs or name what follows the "
                          f"table (e.g. Supply(schedule='history', after='linear')).")
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
                  "demand_growth_per_year": float(np.expm1(scn.demand.growth_rate(scn.fitted_growth))),
                  "price_is_input": not scn.price.impact, "data": describe_data(scn)}
    return SimulationResult(values=out.summary, measures=MEASURES, epochs=np.arange(label0, label0 + epochs),
                            unlocks=inp.calendar.unlocks.set_axis(np.arange(label0, label0 + epochs)),
                            node_ids=scn.node_index, operator_ids=scn.operator_index, node_operator=net.node_op,
                            operator_class=np.asarray(OPERATOR_CLASSES, dtype=object)[net.op_class],
                            operator_initial=np.asarray(net.initial_ops, dtype=bool), path=out.path,
                            seconds=out.seconds, state=out.state, provenance=provenance)
