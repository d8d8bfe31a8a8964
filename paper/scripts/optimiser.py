"""The optimiser's answer on the built-in what-if network: the default problem, what would make it feasible, and
the labelled fallback that stands in for a proposal."""

import pandas as pd
from _common import Exact, network, table

import fairshare as fs
from fairshare.attacks import AttackCosts
from fairshare.optimization import ContributionFloor, Coverage, SubsidyCap, default_constraints
from fairshare.optimization.solve import DEFAULT_PRICE_BAND
from fairshare.report.pipeline import FALLBACK_NAME, fallback_rule

#: The what-if of docs/attacks.md: keys priced out, a protocol take of fees, the history's prices only.
WHAT_IF_TAKE = 0.2
WHAT_IF_IDENTITY_COST = 1e6


def _relaxations(err) -> pd.DataFrame:
    r = err.relaxations.set_index("dropped")
    r.index.name = "constraint dropped"
    return r.rename(columns={"others_feasible": "others_hold_at_some_budget",
                             "from_budget_tokens_per_epoch": "from_tokens_per_epoch",
                             "to_budget_tokens_per_epoch": "to_tokens_per_epoch"})


def _which_hold(r: pd.DataFrame) -> str:
    held = r[r["others_hold_at_some_budget"]]
    if held.empty:
        return "dropping no single constraint makes the others feasible"
    parts = []
    for name, row in held.iterrows():
        to = "without upper limit" if row["to_tokens_per_epoch"] == float("inf") else \
            f"up to {row['to_tokens_per_epoch']:,.0f}"
        parts.append(f"dropping *{name}* lets the others hold from {row['from_tokens_per_epoch']:,.0f} tokens "
                     f"per epoch {to}")
    return "; ".join(parts)


def run(build, scale):
    h = network(scale)
    budget = float(h.market["emission_tokens"].mean())
    out = {"budget": f"{budget:,.0f}", "fallback_name": FALLBACK_NAME,
           "fallback_rule": fs.report.format.describe_rule(fallback_rule()),
           "what_if_take": f"{WHAT_IF_TAKE:.0%}", "n_default_constraints": f"{len(default_constraints())}"}
    for c in default_constraints():
        if isinstance(c, Coverage) and c.mode == "cvar":
            out["cvar_level"] = f"{c.level:g}"
        elif isinstance(c, ContributionFloor):
            out["contribution_floor"] = f"{c.fraction:g}"
        elif isinstance(c, SubsidyCap):
            out["subsidy_margin"] = f"{c.margin:g}"
    out["price_band"] = f"{DEFAULT_PRICE_BAND[0]:g}x to {DEFAULT_PRICE_BAND[1]:g}x the history's prices"
    try:
        res = fs.optimize(h, oracle=False)
        out["default_verdict"] = f"feasible: {fs.report.format.describe_rule(res.formula)}"
        out["default_feasible"] = Exact("feasible", "the solver's optimal status")
    except fs.errors.InfeasibleError as err:
        r = _relaxations(err)
        table(build, "relaxations_default", r)
        out["default_verdict"] = "infeasible: " + _which_hold(r)
        out["default_conflicts"] = "; ".join(err.conflicts) or "none named"
        out["default_feasible"] = Exact("infeasible", "the solver's certificate of infeasibility")
        cover = err.full_coverage or {}
        out["full_coverage_budget"] = f"{cover.get('rule_budget_tokens_per_epoch', float('nan')):,.0f}"
        out["full_coverage_oracle"] = f"{cover.get('oracle_budget_tokens_per_epoch', float('nan')):,.0f}"

    costs = AttackCosts(identity_cost_usd=WHAT_IF_IDENTITY_COST, identity_cost_source="a what-if: keys priced out",
                        take_rate=WHAT_IF_TAKE)
    try:
        fs.optimize(h, oracle=False, attack_costs=costs, price_band=None)
        out["what_if_verdict"] = "feasible as stated"
    except fs.errors.InfeasibleError as err:
        r = _relaxations(err)
        table(build, "relaxations_what_if", r)
        out["what_if_verdict"] = "still infeasible: " + _which_hold(r)

    # The what-if without the subsidy cap: the one relaxation of docs/attacks.md, solved.
    without_cap = [c for c in default_constraints(attack_costs=costs) if not isinstance(c, SubsidyCap)]
    try:
        res = fs.optimize(h, constraints=without_cap, oracle=False, attack_costs=costs, price_band=None)
        weights = pd.Series(res.formula.weights, name="weight").rename_axis("component").to_frame()
        table(build, "relaxed_weights", weights)
        ev = fs.evaluate(h, {"status_quo": fs.formulas.reference_rules()["status_quo"], "relaxed": res.formula},
                         attack_costs=costs, trend_resamples=49, keep_detail=0)
        sb = ev.scoreboard
        out["relaxed_verdict"] = f"feasible: {fs.report.format.describe_rule(res.formula)}"
        out["relaxed_best_attack"] = Exact(f"{sb.loc['relaxed', 'best_attack_net_gain']:.2f}",
                                           "closed form of every attack at the what-if's costs")
        out["relaxed_retail_covered"] = Exact(f"{sb.loc['relaxed', 'coverage_share_retail']:.0%}",
                                              "a hard constraint of the solved problem")
        out["relaxed_status_quo_best_attack"] = f"{sb.loc['status_quo', 'best_attack_net_gain']:.2f}"
    except fs.errors.InfeasibleError:
        out["relaxed_verdict"] = "infeasible as well at the history's budget and prices"
        out["relaxed_best_attack"] = Exact("n/a", "no rule solves the relaxed problem")
        out["relaxed_retail_covered"] = Exact("n/a", "no rule solves the relaxed problem")
        out["relaxed_status_quo_best_attack"] = "n/a"
    return out
