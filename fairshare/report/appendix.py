"""The appendix's reader-facing sections and their order.

Public through :mod:`fairshare.report`. The skeleton governance appendices share: a plain summary with
a current -> proposed table, the question stated and answered, goals as KPIs with thresholds, options
with trade-offs, the evidence (rules, coverage, attacks, the A/B simulation, scenarios, sensitivity,
worked examples, a ramp, validation), assumptions, security considerations, a disclaimer with a place
for the authors' declaration of interests, and provenance. Every section states its price basis once;
every number is formatted by :mod:`fairshare.report.format`. Where no rule meets the default problem
the labelled fallback stands in for the proposal, and every section that shows it says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..trend.analysis import SECONDS_PER_YEAR
from .format import describe_rule, difference_cells, format_value, interval_text, price_basis
from .pipeline import AB_MEASURES, FALLBACK_NAME
from .sections import (
    Section,
    Table,
    assumptions,
    coverage,
    data,
    gaming,
    proposal,
    provenance,
    scoreboard,
    sensitivity,
    simulation,
    winners,
)

__all__ = ["SECTION_BUILDERS", "QUESTION"]

QUESTION = ("Are rewards moving toward small operators, and which emission rule pays inference nodes closest to "
            "their verified work, with concentration no higher than today's, covering honest operators' "
            "electricity and depreciation, with no attack of the library (split keys, fake demand, idle keys, "
            "misreports, stake timing) paying?")


def _arms(ctx):
    """``(status quo name, proposal name, proposal rule, is_fallback)``; names None when absent."""
    ev, facts = ctx["evaluation"], ctx["facts"]
    label, opt = facts.get("proposal_label"), ctx["optimization"]
    if label is None and opt is not None:  # built from Python: the evaluated rule that is the optimum
        label = next((n for n, r in ev.formulas.items() if repr(r) == repr(opt.formula)), None)
    rule = ev.formulas.get(label) if label else None
    sq = "status_quo" if "status_quo" in ev.formulas else ev.baseline
    return sq, (label if rule is not None else None), rule, label == FALLBACK_NAME


def _ab(ctx, label):
    """The main A/B's difference ``label`` minus the status quo (None when not simulated)."""
    sim = ctx["simulation"]
    if sim is None or not sim.by_rule or label not in sim.rules or sim.rules[0] == label:
        return None
    return sim.difference(label, sim.rules[0])


def _points(row) -> str:
    """A retail-share trend row (shares per 30 days) in percentage points with its interval."""
    return interval_text("points", 100 * row["slope_per_month"], 100 * row["low"], 100 * row["high"])


def _per_class(ctx, sq, label) -> pd.DataFrame:
    """Tokens and USD per year per operator class, today and proposed, with totals."""
    ev, h = ctx["evaluation"], ctx["history"]
    scale = SECONDS_PER_YEAR / (h.n_epochs * h.epoch_seconds)
    parts = {}
    for tag, name in (("today", sq), ("proposed", label)):
        d = ev.detail[name]
        g = d.groupby("class")[["reward_tokens", "reward_usd"]].sum() * scale
        parts[f"{tag}_tokens_per_year"] = g["reward_tokens"]
        parts[f"{tag}_usd_per_year"] = g["reward_usd"]
    out = pd.DataFrame(parts)
    out.loc["total"] = out.sum()
    out["change_pct"] = 100.0 * (out["proposed_tokens_per_year"] / out["today_tokens_per_year"] - 1.0)
    out["operators"] = ev.detail[sq].groupby("class").size().reindex(out.index)
    out.loc["total", "operators"] = len(ev.detail[sq])
    return out.rename_axis("operator class")


def summary(ctx):
    """What is proposed, for whom, the headline numbers with intervals, and the current -> proposed table."""
    ev, h = ctx["evaluation"], ctx["history"]
    sq, label, rule, fallback = _arms(ctx)
    if label is None:
        return Section("Summary", (f"No proposal in this report: {len(ev.formulas)} rules replayed over the "
                                   "history (fairshare demo or optimize adds a proposal).", price_basis(h)))
    what = (f"the labelled fallback {label} ({describe_rule(rule)}): no rule of the family meets the default "
            "problem, so this stands in for a proposal; it is not the optimiser's answer"
            if fallback else f"{label}: {describe_rule(rule)}")
    meta = h.metadata
    network = f"{meta.network} ({'synthetic' if meta.synthetic else 'real'})" if meta is not None else "this history"
    board = ev.scoreboard
    lines = [f"What is proposed: {what}. For whom: the inference-node operators of {network}, against today's "
             f"rule {sq} ({describe_rule(ev.formulas[sq])})."]
    cov = "coverage_share_retail"
    if cov in board.columns:
        lines.append(f"Retail operators covering electricity and depreciation over the history: "
                     f"{format_value(cov, board.loc[sq, cov])} today, {format_value(cov, board.loc[label, cov])} "
                     f"under {label} (replay, no interval: the history is fixed).")
    if {"slope_per_month", "low", "high"} <= set(ev.trend.columns):
        t = ev.trend
        lines.append("Retail share of rewards, trend per 30 days (95% interval, block bootstrap): "
                     + "; ".join(f"{n} {_points(t.loc[n])} points" for n in (sq, label) if n in t.index) + ".")
    diff = _ab(ctx, label)
    if diff is not None:
        cells = difference_cells(diff)
        said = []
        for m in ("retail_survival", "retail_coverage", "reward_hhi"):
            if m not in cells.index:
                continue
            a, b = diff.loc[m, "a"], diff.loc[m, "b"]
            if not (a == a and b == b):  # NaN: a measure of survivors when none is left
                said.append(f"{m.replace('_', ' ')} undefined (no retail operator active in some runs)")
            elif diff.loc[m, "kind"] == "unchanged":
                said.append(f"{m.replace('_', ' ')} {format_value(m, b)} under both, in every run")
            else:
                said.append(f"{m.replace('_', ' ')} {format_value(m, b)} under {sq}, {format_value(m, a)} under "
                            f"{label}, difference {cells[m]}")
        lines.append(f"Simulated: {diff.attrs.get('statement', f'{label} minus {sq}, paired runs')}: "
                     + "; ".join(said) + ".")
    if "best_attack_net_gain" in board.columns:
        g = board.loc[label, "best_attack_net_gain"]
        lines.append(f"Best attack under {label}: net gain {format_value('best_attack_net_gain', g)} "
                     f"({board.loc[label, 'best_attack']}); above 1 the attack pays.")
    lines.append(price_basis(h) + " Per year: the history's totals scaled to 365.25 days.")
    tables = []
    if sq in ev.detail and label in ev.detail:  # per-operator detail is kept for the first rules only
        tables.append(Table("current_to_proposed", f"Current ({sq}) to {'fallback' if fallback else 'proposed'} "
                            f"({label}): reward tokens and USD per year by operator class, with totals",
                            _per_class(ctx, sq, label)))
    today, new = dict(getattr(ev.formulas[sq], "weights", {})), dict(getattr(rule, "weights", {}))
    if today or new:
        names = list(dict.fromkeys([*today, *new]))
        tables.append(Table("weights_current_to_proposed", "Emission weights per component, current to "
                            + ("fallback" if fallback else "proposed"),
                            pd.DataFrame({"today_weight_share": [today.get(n, 0.0) for n in names],
                                          "proposed_weight_share": [new.get(n, 0.0) for n in names]},
                                         index=pd.Index(names, name="component"))))
    return Section("Summary", tuple(lines), tuple(tables))


def question(ctx):
    """The question stated, and answered: the convergence verdict (a real ledger, or labelled synthetic)."""
    ev, facts = ctx["evaluation"], ctx["facts"]
    paragraphs = [f"The question: {QUESTION}"]
    tables = []
    conv = facts.get("convergence")
    if conv:
        kind = "synthetic" if conv.get("synthetic") else "real"
        paragraphs.append(f"Answered on a payout ledger ({kind} data: {conv.get('described', conv.get('network'))}; "
                          f"from {conv.get('source', 'a ledger')}). Verdict: {conv.get('statement')}")
        trends = ctx["tables"].get("convergence_trends")
        if trends is not None:
            tables.append(Table("convergence_trends", f"Trends of the ledger's payouts ({kind} data)", trends))
    else:
        meta = ctx["history"].metadata
        kind = "synthetic" if meta is None or meta.synthetic else "real"
        paragraphs.append("No payout ledger was given (fairshare demo --ledger FILE [--labels FILE] answers on "
                          f"payouts). Answered here on the {kind} history: the retail share of rewards replayed "
                          f"under each rule, labelled {kind}.")
    if len(ev.trend):
        t = ev.trend.copy()
        table = pd.DataFrame({"points_per_30_days": 100 * t["slope_per_month"], "low_points": 100 * t["low"],
                              "high_points": 100 * t["high"]}, index=t.index)
        data_kind = "synthetic" if getattr(ctx["history"].metadata, "synthetic", False) else "as given"
        tables.append(Table("retail_share_trend", f"Retail share of rewards under each rule ({data_kind} history): "
                            "trend in points per 30 days, 95% interval", table))
        sq, label, _, _ = _arms(ctx)
        if sq in t.index:
            paragraphs.append(f"Under today's rule: {t.loc[sq, 'statement']}")
        if label in t.index:
            paragraphs.append(f"Under {label}: {t.loc[label, 'statement']}")
    if facts.get("answer"):
        paragraphs.append(f"The design question: {facts['answer']}")
    else:
        paragraphs.append("The design question: the proposal below meets the default problem (see Goals).")
    paragraphs.append("Price basis: none; this section counts shares of reward tokens (no USD).")
    return Section("The question, stated and answered", tuple(paragraphs), tuple(tables))


def goals(ctx):
    """Goals as KPIs with success thresholds, and whether today's rule and the proposal meet each."""
    ev = ctx["evaluation"]
    sq, label, _, fallback = _arms(ctx)
    board = ev.scoreboard
    arms = [sq] + ([label] if label else [])
    rows = []

    def add(kpi, threshold, column, ok):
        if column not in board.columns:
            return
        row = {"threshold": threshold}
        for n in arms:
            v = board.loc[n, column]
            row[n] = format_value(column, v)
            row[f"{n} meets"] = format_value("meets", bool(ok(v)) if v == v else None)
        rows.append((kpi, row))

    add("retail operators covering full cost", "100% (the default problem's hard coverage)",
        "coverage_share_retail", lambda v: v >= 1.0 - 1e-9)
    hhi0 = board.loc[sq, "hhi"] if "hhi" in board.columns else np.nan
    add("concentration of rewards (HHI)", f"at most today's, {format_value('hhi', hhi0)}", "hhi",
        lambda v: v <= hhi0 + 1e-12)
    add("best attack's net gain", "at most 1 (no attack of the library pays)", "best_attack_net_gain",
        lambda v: v <= 1.0)
    if {"slope_per_month", "high"} <= set(ev.trend.columns):
        # success is evidence of movement toward small operators, not the absence of evidence against it
        row = {"threshold": "retail share rising: the 95% interval's lower end > 0"}
        for n in arms:
            t = ev.trend.loc[n]
            row[n] = _points(t)
            row[f"{n} meets"] = format_value("meets", bool(t["low"] > 0) if t["low"] == t["low"] else None)
        rows.append(("retail share trend, points per 30 days", row))
    diff = _ab(ctx, label) if label else None
    if diff is not None and "retail_survival" in diff.index:
        d = diff.loc["retail_survival"]
        # an interval reaching below 0 does not meet it; a measure equal under both arms in every run has none
        meets = d["difference"] >= 0 if d.get("kind") == "unchanged" or d["low"] != d["low"] else d["low"] >= 0
        row = {"threshold": "proposal minus today >= 0 (simulated, last quarter; the 90% interval's lower end)",
               sq: "baseline", f"{sq} meets": "n/a",
               label: interval_text("retail_survival", d["difference"], d["low"], d["high"]),
               f"{label} meets": format_value("meets", bool(meets))}
        rows.append(("retail survival, difference", row))
    frame = pd.DataFrame([r for _, r in rows], index=pd.Index([k for k, _ in rows], name="KPI"))
    return Section("Goals, KPIs and success thresholds",
                   ("Each goal of the question as a key performance indicator with the threshold that counts as "
                    "success, for today's rule and the " + ("labelled fallback" if fallback else "proposal")
                    + ". The thresholds are those of the default problem (docs/optimization.md).",
                    price_basis(ctx["history"])),
                   (Table("kpis", "KPIs, thresholds and whether each rule meets them", frame),))


def options(ctx):
    """Options with trade-offs: doing nothing, the proposal (or fallback), the other rules, changing the routing."""
    ev = ctx["evaluation"]
    sq, label, _, fallback = _arms(ctx)
    board = ev.scoreboard
    sim = ctx["simulation"]
    rows = []

    def tradeoffs(n):
        pros, cons = [], []
        if n == sq:
            return "no change to explain or ship", "keeps today's outcomes (see the Goals)"
        for col, better, good, bad in (("coverage_share_retail", 1, "more retail operators covered",
                                        "fewer retail operators covered"),
                                       ("hhi", -1, "less concentrated", "more concentrated"),
                                       ("best_attack_net_gain", -1, "attacks net less", "attacks net more")):
            if col in board.columns and board.loc[n, col] == board.loc[n, col]:
                delta = board.loc[n, col] - board.loc[sq, col]
                if abs(delta) > 1e-12:
                    (pros if delta * better > 0 else cons).append(good if delta * better > 0 else bad)
        if "best_attack_net_gain" in board.columns and board.loc[n, "best_attack_net_gain"] > 1:
            cons.append(f"{board.loc[n, 'best_attack']} pays")
        return "; ".join(pros) or "none measured", "; ".join(cons) or "none measured"

    for n in ev.formulas:
        what = ("do nothing" if n == sq else ("the fallback" if fallback else "the proposal") if n == label
                else "another candidate rule")
        pro, con = tradeoffs(n)
        diff = _ab(ctx, n)
        survival = ("baseline" if n == sq else
                    difference_cells(diff.loc[["retail_survival"]])["retail_survival"]
                    if diff is not None and "retail_survival" in diff.index else "not simulated")
        rows.append((n, {"option": what, "change": "emission", "coverage_share_retail":
                         board.loc[n, "coverage_share_retail"] if "coverage_share_retail" in board else np.nan,
                         "hhi": board.loc[n, "hhi"], "best_attack_net_gain": board.loc[n, "best_attack_net_gain"],
                         "simulated retail survival vs today": survival, "pros": pro, "cons": con}))
    if sim is not None and sim.by_rule:
        for arm in sim.rules:
            if arm in ev.formulas:
                continue
            diff = _ab(ctx, arm)
            if diff is None:
                continue
            d = diff.loc["retail_survival"]
            pro = "no change to the emission rule; same demand" if d["difference"] >= 0 else "no change to the rule"
            rows.append((arm, {"option": "change the routing instead", "change": "routing",
                               "coverage_share_retail": np.nan, "hhi": np.nan, "best_attack_net_gain": np.nan,
                               "simulated retail survival vs today":
                                   interval_text("retail_survival", d["difference"], d["low"], d["high"]),
                               "pros": pro, "cons": "needs the router's operators to adopt it; not replayed on "
                                                    "the history (simulated only)"}))
    frame = pd.DataFrame([r for _, r in rows], index=pd.Index([k for k, _ in rows], name="option name"))
    return Section("Options and trade-offs",
                   ("Doing nothing, the " + ("labelled fallback" if fallback else "proposal")
                    + ", the other candidate rules and changing the routing instead of the emission, side by side: "
                    "replay measures over the history (coverage, HHI, best attack) and the simulated A/B difference "
                    "in retail survival (90% interval, common random numbers). Routing options are simulated only.",
                    price_basis(ctx["history"])),
                   (Table("options", "Options with their trade-offs", frame),))


def ab_simulation(ctx):
    """The A/B simulation section, with the depth x entrant-pool grid and the routing-policy comparison."""
    base = simulation(ctx)
    tables, facts = ctx["tables"], ctx["facts"]
    sim = ctx["simulation"]
    paragraphs, shown = list(base.paragraphs), list(base.tables)
    if sim is not None and sim.by_rule and len(sim.rules) > 1:
        measures = [m for m in AB_MEASURES if m in sim.measures]
        diffs = {arm: difference_cells(sim.difference(arm, sim.rules[0], measures)) for arm in sim.rules[1:]}
        frame = pd.DataFrame(diffs).rename_axis("measure")
        shown.insert(1, Table("ab_routing_vs_emission", f"Changing the emission against changing the routing: each "
                              f"arm minus {sim.rules[0]}, last quarter, 90% interval", frame))
    grid = tables.get("ab_grid")
    if grid is not None and len(grid):
        g = facts.get("grid", {})
        cells = {}
        for (depth, clones), part in grid.groupby(["depth_usd", "clones"], dropna=False, sort=False):
            name = (("no price impact" if depth != depth else f"depth {format_value('depth_usd', depth)}")
                    + f", {int(clones)} entrant clones")
            cells[name] = difference_cells(part.set_index("measure"))
        label = facts.get("proposal_label")
        paragraphs.append(f"Entry and price feedback: the A/B {label} minus status_quo over market depth (no price "
                          "impact, or sales moving the price through the cited pool depth) x entrant pool (clones "
                          f"of every entry candidate); {g.get('runs')} runs of {g.get('epochs')} epochs per cell, "
                          f"seed {g.get('seed')}, the same draws in every cell.")
        shown.append(Table("ab_grid", f"{label} minus status_quo over depth x entrant pool, last quarter, 90% "
                           "interval", pd.DataFrame(cells).rename_axis("measure")))
    title = "A/B simulation" if sim is not None and sim.by_rule and len(sim.rules) > 1 else "Simulation"
    return Section(title, tuple(paragraphs), tuple(shown), base.figures)


def scenarios(ctx):
    """The pessimistic, base and optimistic triplet with its drivers and lookback."""
    tables, facts = ctx["tables"], ctx["facts"]
    drivers, stress = tables.get("stress_drivers"), tables.get("stress")
    if drivers is None or stress is None:
        return Section("Scenarios", ("No scenario triplet was run for this report (fairshare demo runs one).",))
    s = facts.get("stress", {})
    label = facts.get("proposal_label")
    d = drivers.rename(columns={"demand_growth_per_year": "demand_growth_share_per_year"})
    cells = {case: difference_cells(part.set_index("measure")) for case, part in stress.groupby("case", sort=False)}
    sim_basis = "each run's own simulated token price path (geometric Brownian motion with the case's drift)"
    return Section("Scenarios: pessimistic, base, optimistic",
                   (f"Three cases around the history's own trends ({s.get('statement', '')}); in each, the A/B "
                    f"{label} minus status_quo, {s.get('runs')} runs of {s.get('epochs')} epochs on common random "
                    "numbers.", f"Price basis: {sim_basis}."),
                   (Table("stress_drivers", "Drivers of each case", d),
                    Table("stress", f"{label} minus status_quo in each case, last quarter, 90% interval",
                          pd.DataFrame(cells).rename_axis("measure"))))


def worked(ctx):
    """Worked examples per hardware class: what one more operator of each kind would earn and spend in a year."""
    frame = ctx["tables"].get("worked_examples")
    if frame is None:
        return Section("Worked examples", ("No worked examples were computed for this report.",))
    cols = [c for c in ("reward_tokens_per_year", "reward_usd_per_year", "fee_margin_usd_per_year",
                        "cost_usd_per_year", "net_usd_per_year", "coverage") if c in frame.columns]
    shown = frame.set_index(["operator", "rule"])[cols]
    shown.index = pd.Index([f"{o} / {r}" for o, r in shown.index], name="operator / rule")
    notes = [f"{o}: {n}" for o, n in zip(frame["operator"], frame.get("note", pd.Series(dtype=object)))
             if isinstance(n, str) and n]
    basis = frame.attrs.get("price_basis", "the history's per-epoch token prices")
    return Section("Worked examples per hardware class",
                   (f"One more operator of each kind, added to the history and paid by each rule "
                    f"({frame.attrs.get('convention', 'the marginal operator')}). [sources: render-rnp-019]",
                    *dict.fromkeys(notes), f"Price basis: {basis}."),
                   (Table("worked_examples", "Per year, by operator kind and rule", shown),))


def ramp_schedule(ctx):
    """The ramp from today's rule to the proposal (or fallback), step by step."""
    facts = ctx["facts"]
    frame = ctx["tables"].get("ramp")
    sq, label, _, fallback = _arms(ctx)
    if frame is None:
        note = facts.get("ramp_note") or "No ramp was computed for this report."
        return Section("Ramp schedule", (note,))
    return Section("Ramp schedule",
                   (f"From {sq} to the {'fallback ' if fallback else ''}{label} in {facts.get('ramp_steps')} equal "
                    "steps, each a rule in its own right (weights at each step), as Filecoin's FIP-0081 ramped its "
                    "activation [sources: filecoin-fip-0081].",
                    "Price basis: none; weights are shares of the emission (no USD)."),
                   (Table("ramp", "Emission weights at each step of the ramp",
                          frame.rename(columns=lambda c: c if c in ("fraction", "largest_change") else f"w_{c}")),))


def validation(ctx):
    """Validation against independent models: the presets against their projects' own test cases."""
    frame = ctx["tables"].get("validation")
    if frame is None:
        return Section("Validation against an independent model", ("No validation table in this report.",))
    shown = frame.copy()
    if "case" in shown.columns:
        shown.index = pd.Index([str(c).rsplit(": ", 1)[-1] for c in shown["case"]], name="case")
    cols = [c for c in ("model", "variant", "mode", "quantity", "largest_difference", "tolerance", "unit", "passed")
            if c in shown.columns]
    shown = shown[cols]
    if "model" in shown.columns:
        shown["model"] = shown["model"].map(lambda m: str(m).rsplit(".", 1)[-1])
    lines = ["fairshare's presets against their projects' own reference: the Yuma preset against subtensor's epoch "
             "tests, the SVIP schedule against the per-block formula of its module. Each row: the largest difference "
             "over a case's quantity and the tolerance it is held to (its basis and the reference's commit are in "
             "tables/validation.csv)."]
    if "passed" in frame.columns:
        keys = ", ".join(dict.fromkeys(frame.get("sources_key", [])))
        lines.append(f"{int(frame['passed'].sum())} of {len(frame)} checks pass"
                     + (f"; references by their keys in docs/sources.md: {keys}" if keys else "") + ".")
    lines.append("Price basis: none; the cases compare token amounts, shares and weights (no USD).")
    return Section("Validation against an independent model", tuple(lines),
                   (Table("validation", "Preset against reference, case by case", shown),))


def security(ctx):
    """Security and incentive considerations."""
    ev = ctx["evaluation"]
    sq, label, _, fallback = _arms(ctx)
    costs = ev.provenance.get("attack_costs", "not recorded")
    lines = [f"Identity: protocols see keys, not operators. Costs assumed: {costs}. A per-key or concave part of a "
             "rule must be paid for by a priced identity or a verified resource [sources: leshno-strack-2020]; the "
             "attack table gives each rule's net gains at this identity cost."]
    if label:
        board = ev.scoreboard
        lines.append(f"Under {label}{' (the labelled fallback)' if fallback else ''} the best attack of the library "
                     f"is {board.loc[label, 'best_attack']} with net gain "
                     f"{format_value('best_attack_net_gain', board.loc[label, 'best_attack_net_gain'])}; under "
                     f"{sq} {board.loc[sq, 'best_attack']} with "
                     f"{format_value('best_attack_net_gain', board.loc[sq, 'best_attack_net_gain'])}.")
    lines += ["Incentives beyond the library: collusion between operators and validators, routing channels that "
              "favour insiders and off-chain side payments are not replayed; the simulation's routing arms show how "
              "much the router alone moves the outcome.",
              "Measurement: retail is a class the protocol cannot observe; fairness and coverage are measured per "
              "operator from labels the protocol does not have.",
              price_basis(ctx["history"])]
    return Section("Security and incentive considerations", tuple(lines))


def disclaimer(ctx):
    """A disclaimer and a place for the authors' declaration of interests."""
    h = ctx["history"]
    synthetic = getattr(h.metadata, "synthetic", False)
    return Section("Disclaimer and declaration of interests",
                   ("This appendix is generated by fairshare from the inputs listed under Provenance. "
                    + ("Its network is synthetic: the numbers illustrate the method and are not measurements of a "
                       "deployed network. " if synthetic else "")
                    + "It is not financial advice; simulated outcomes depend on the stated assumptions.",
                    "Declaration of interests: [the authors state here any holdings, employment, grants or other "
                    "interests in the network, its token or its operators].",
                    "Price basis: none; this section has no figures."))


SECTION_BUILDERS = (summary, question, goals, options, data, scoreboard, proposal, coverage, winners, gaming,
                    ab_simulation, scenarios, sensitivity, worked, ramp_schedule, validation, assumptions, security,
                    disclaimer, provenance)
