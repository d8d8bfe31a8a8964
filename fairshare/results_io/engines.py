"""The engines' result kinds: ``Evaluation``, ``EmissionResult`` and ``SimulationResult``.

Public through :mod:`fairshare.results_io`. The optimiser's and the simulator's
results are registered by dotted type name, so neither engine (nor cvxpy) is
imported until one of their results is saved or loaded.
"""

from __future__ import annotations

import pandas as pd

from ..evaluation import Evaluation
from .registry import Parts, register


# ---------------------------------------------------------------------------------------------- Evaluation
def _evaluation_to_parts(ev: Evaluation) -> Parts:
    tables = {"scoreboard": ev.scoreboard, "trend": ev.trend}
    tables.update({f"detail/{name}": frame for name, frame in ev.detail.items()})
    tables.update({f"trajectories/{name}": frame for name, frame in ev.trajectories.items()})
    meta = {"detail": list(ev.detail), "trajectories": list(ev.trajectories), "formulas": dict(ev.formulas),
            "level": ev.level, "baseline": ev.baseline, "provenance": ev.provenance}
    return Parts(tables, meta)


def _evaluation_from_parts(parts: Parts) -> Evaluation:
    t, m = parts.tables, parts.meta
    return Evaluation(scoreboard=t["scoreboard"], detail={n: t[f"detail/{n}"] for n in m["detail"]},
                      trajectories={n: t[f"trajectories/{n}"] for n in m["trajectories"]}, trend=t["trend"],
                      formulas=m["formulas"], level=m["level"], baseline=m["baseline"], provenance=m["provenance"])


register("Evaluation", Evaluation, _evaluation_to_parts, _evaluation_from_parts)


# ---------------------------------------------------------------------------------------------- run times
# Run times (seconds a solve or a simulation took) describe the machine, not the study: saved results
# leave them out, so the same study saves the same bytes; they read back as NaN.

def _is_run_time(name: str) -> bool:
    return str(name).endswith("_s") or name == "seconds"


def _without_run_times(mapping: dict) -> dict:
    return {k: v for k, v in mapping.items() if not _is_run_time(k)}


def _with_nan_run_times(mapping: dict, names) -> dict:
    return {**mapping, **{k: float("nan") for k in names}}


# ---------------------------------------------------------------------------------------------- EmissionResult
_EMISSION_META = ("formula", "objective_name", "objective", "objective_terms", "status_quo", "status_quo_objective",
                  "status_quo_feasible", "sensitivities", "full_coverage", "oracle", "solver", "provenance",
                  "scenarios")


def _emission_to_parts(res) -> Parts:
    tables = {"weights": res.weights.to_frame("weight"), "constraints": res.constraints, "operators": res.operators}
    if res.scoreboard is not None:
        tables["scoreboard"] = res.scoreboard
    meta = {name: getattr(res, name) for name in _EMISSION_META}
    meta["solver"] = _without_run_times(res.solver)
    if res.frontier is not None:
        f = res.frontier
        tables["frontier"] = f.table[[c for c in f.table.columns if not _is_run_time(c)]]
        meta["frontier"] = {"over": f.over, "rebuilt": f.rebuilt, "provenance": f.provenance}
    return Parts(tables, meta)


def _emission_from_parts(parts: Parts):
    from ..optimization.result import EmissionResult
    from ..optimization.sweeps import Frontier

    t, m = parts.tables, dict(parts.meta)
    spec = m.pop("frontier", None)
    m["solver"] = _with_nan_run_times(m["solver"], ("compile_s", "solve_s", "wall_s"))
    frontier = None if spec is None else Frontier(table=t["frontier"], build_s=float("nan"), compile_s=float("nan"),
                                                  solve_s=float("nan"), **spec)
    return EmissionResult(weights=t["weights"]["weight"], constraints=t["constraints"], operators=t["operators"],
                          scoreboard=t.get("scoreboard"), frontier=frontier, **m)


register("EmissionResult", "fairshare.optimization.result.EmissionResult", _emission_to_parts, _emission_from_parts)


# ---------------------------------------------------------------------------------------------- SimulationResult
def _simulation_to_parts(sim) -> Parts:
    meta = {"measures": list(sim.measures), "epochs": sim.epochs, "node_ids": list(sim.node_ids),
            "operator_ids": list(sim.operator_ids), "node_operator": sim.node_operator,
            "operator_class": [str(c) for c in sim.operator_class], "path": sim.path,
            "provenance": _without_run_times(sim.provenance)}
    if getattr(sim, "operator_initial", None) is not None:
        meta["operator_initial"] = sim.operator_initial
    tables = {"values": sim.to_frame(), "unlocks": sim.unlocks}
    if getattr(sim, "by_rule", None):  # an A/B: each arm's result, on common random numbers
        meta["by_rule"] = {}
        for name, arm in sim.by_rule.items():
            part = _simulation_to_parts(arm)
            tables.update({f"by_rule/{name}/{t}": frame for t, frame in part.tables.items()})
            meta["by_rule"][name] = part.meta
    return Parts(tables, meta)


def _simulation_from_parts(parts: Parts):
    import numpy as np

    from ..simulation.result import SimulationResult

    t, m = parts.tables, dict(parts.meta)
    frame = t["values"]
    runs, epochs = int(frame["run"].max()) + 1, len(m["epochs"])
    values = frame[m["measures"]].to_numpy(dtype=np.float64).reshape(runs, epochs, len(m["measures"]))
    by_rule = None
    if m.get("by_rule"):  # saved before A/B arms were saved: a single result
        by_rule = {}
        for name, sub in m["by_rule"].items():
            prefix = f"by_rule/{name}/"
            by_rule[name] = _simulation_from_parts(Parts({k[len(prefix):]: v for k, v in t.items()
                                                           if k.startswith(prefix)}, sub))
    initial = m.get("operator_initial")
    return SimulationResult(values=values, measures=tuple(m["measures"]), epochs=np.asarray(m["epochs"]),
                            unlocks=t["unlocks"], node_ids=pd.Index(m["node_ids"], dtype=object),
                            operator_ids=pd.Index(m["operator_ids"], dtype=object),
                            node_operator=np.asarray(m["node_operator"]),
                            operator_class=np.asarray(m["operator_class"], dtype=object),
                            path=m["path"], seconds=float("nan"), provenance=m["provenance"],
                            operator_initial=None if initial is None else np.asarray(initial), by_rule=by_rule)


register("SimulationResult", "fairshare.simulation.result.SimulationResult", _simulation_to_parts,
         _simulation_from_parts)
