"""Nine reward rules replayed over the same year: concentration, coverage, gaming."""

from _common import evaluation, figure, table

from fairshare import plotting


def run(build, scale):
    ev = evaluation(scale)
    sb = ev.scoreboard
    table(build, "scoreboard", ev.headline().T, by="row")
    figure(build, "lorenz", lambda ax: plotting.lorenz(ev, ["status_quo", "work_only", "floor_20pct", "sqrt_work"],
                                                       ax=ax))
    figure(build, "coverage", lambda ax: plotting.coverage(ev, "status_quo", ax=ax))
    sq, floor = sb.loc["status_quo"], sb.loc["floor_20pct"]
    return {"sq_gini": f"{sq['gini']:.2f}", "sq_nakamoto": f"{sq['nakamoto_1/3']:.0f}",
            "sq_retail_coverage": f"{sq['median_retail_coverage']:.0%}",
            "sq_retail_covered": f"{sq['coverage_share_retail']:.0%}",
            "floor_retail_covered": f"{floor['coverage_share_retail']:.0%}",
            "floor_sybil_k10": f"{floor['sybil_gain_k10']:.1f}",
            "sqrt_sybil_k10": f"{sb.loc['sqrt_work', 'sybil_gain_k10']:.1f}",
            "capped_gini": f"{sb.loc['capped_2pct', 'gini']:.2f}",
            "max_fake_demand_gain": f"{sb['fake_demand_gain'].max():.2f}",
            "trend": ev.trend.loc["status_quo", "statement"]}
