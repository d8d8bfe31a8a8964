"""The A/B simulation on common random numbers: the status quo against the labelled fallback and a routing arm."""

import pandas as pd
from _common import CONFIDENCE, Estimate, Exact, direction, network, settings, table

import fairshare as fs
from fairshare.report.pipeline import FALLBACK_NAME, ROUTING_ARM, fallback_rule, routing_variant
from fairshare.simulation import Churn

MEASURES = ("reward_gini", "reward_hhi", "retail_share", "retail_survival", "operators", "unserved_work_share")
#: Entrant pool of the second scenario: five copies of every entry candidate (docs/simulation.md).
CLONES = 5
FORMATS = {"reward_gini": "{:+.4f}", "reward_hhi": "{:+.4f}", "retail_share": "{:+.2f}",
           "retail_survival": "{:+.1f}", "operators": "{:+.1f}", "unserved_work_share": "{:+.2f}"}
#: Differences smaller than this in every run (and in their interval) are floating-point rounding.
NOISE = 1e-9
#: Shares are quoted in percentage points.
POINTS = ("retail_share", "retail_survival", "unserved_work_share")


def _quote(row, measure) -> object:
    fmt, k = FORMATS[measure], 100.0 if measure in POINTS else 1.0
    if row["kind"] == "outcome" and max(abs(row["difference"]), abs(row["low"]), abs(row["high"])) < NOISE:
        return Exact(fmt.format(0.0), f"every paired difference is below {NOISE:g}: rounding, not an effect")
    if row["kind"] == "outcome":
        return Estimate(k * row["difference"], k * row["low"], k * row["high"], fmt,
                        f"{CONFIDENCE:.0%} t-interval over {int(row['runs'])} paired runs:")
    return Exact(fmt.format(k * row["difference"]),
                 "identical under both arms in every run" if row["kind"] == "unchanged"
                 else "no run-to-run variation under either arm")


def run(build, scale):
    h = network(scale)
    runs = settings(scale)["runs"]
    sq = fs.formulas.reference_rules()["status_quo"]
    rules = {"status_quo": sq, FALLBACK_NAME: fallback_rule(), ROUTING_ARM: routing_variant(sq)}
    out = {"sim_runs": f"{runs}", "clones": f"{CLONES}", "routing_arm": ROUTING_ARM}
    rows = []
    for scenario, sc in (("defaults", fs.Scenario.from_history(h)),
                         ("clones", fs.Scenario.from_history(h, churn=Churn(clones=CLONES)))):
        sim = fs.simulate(sc, rules=rules, runs=runs, seed=0)
        if scenario == "defaults":
            out["price_statement"] = sim.provenance["data"]
        for arm in (FALLBACK_NAME, ROUTING_ARM):
            d = sim.difference(arm, "status_quo", measures=list(MEASURES), confidence=CONFIDENCE)
            key = "fallback" if arm == FALLBACK_NAME else "routing"
            for m, row in d.iterrows():
                quote = out[f"sim_{scenario}_{key}_{m}"] = _quote(row, m)
                out[f"sim_{scenario}_{key}_{m}_dir"] = direction(quote, "higher", "lower", "no clear difference") \
                    if isinstance(quote, Estimate) else "no difference"
                rows.append({"measure": m, "scenario": scenario, "arm": arm, "status quo": row["b"],
                             "arm value": row["a"], "difference": row["difference"], "low": row["low"],
                             "high": row["high"], "kind": row["kind"]})
    frame = pd.DataFrame(rows).set_index("measure")
    table(build, "simulation", frame)
    return out
