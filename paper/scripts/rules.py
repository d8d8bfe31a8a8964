"""Nine reward rules replayed over the same year: concentration, coverage, gaming, and the cap compared fairly."""

from fractions import Fraction

import pandas as pd
from _common import (
    CONFIDENCE,
    Estimate,
    Exact,
    boot,
    boot_difference,
    direction,
    evaluation,
    figure,
    mean_share,
    median_of,
    network,
    over_seeds,
    settings,
    table,
)

import fairshare as fs
from fairshare import plotting

#: Rules whose attack net gains are redrawn over the network seeds.
GAMED = ("status_quo", "floor_20pct", "sqrt_work")
#: The per-key cap of the cap comparison (the reference rule ``capped_2pct``'s).
CAP = 0.02
ONE_THIRD = Fraction(1, 3)


def _retail(detail):
    return detail[detail["active"] & (detail["class"] == "retail")]


def run(build, scale):
    ev = evaluation(scale)
    sb = ev.scoreboard
    table(build, "scoreboard", ev.headline().T, by="row")
    attacks = sb[["best_attack_net_gain", "best_attack"] + [c for c in sb if c.startswith("net_gain_")]]
    table(build, "attacks", attacks.T, by="row")
    figure(build, "lorenz", lambda ax: plotting.lorenz(ev, ["status_quo", "work_only", "floor_20pct", "sqrt_work"],
                                                       ax=ax))
    figure(build, "coverage", lambda ax: plotting.coverage(ev, "status_quo", ax=ax))

    sq, floor = ev.detail["status_quo"], ev.detail["floor_20pct"]
    out = {
        "sq_gini": boot(fs.gini, sq["reward_tokens"], scale),
        "sq_nakamoto": boot(fs.nakamoto_coefficient, sq["reward_tokens"], scale, fmt="{:.0f}", threshold=ONE_THIRD),
        "sq_retail_coverage": boot(median_of, _retail(sq)["coverage_ratio"], scale, fmt="{:.2f}"),
        "sq_retail_covered": boot(mean_share, _retail(sq)["covers"], scale, fmt="{:.0%}"),
        "floor_retail_covered": boot(mean_share, _retail(floor)["covers"], scale, fmt="{:.0%}"),
        "n_retail_active": f"{len(_retail(sq)):,}",
        "n_rules": f"{len(sb)}",
        "n_operators_eval": f"{len(sq):,}",
        "resamples": f"{settings(scale)['resamples']:,}",
        "confidence": f"{CONFIDENCE:.0%}",
        "floor_share": f"{fs.formulas.reference_rules()['floor_20pct'].floor_share:.0%}",
        "cap_share": f"{CAP:.0%}",
        "sybil_k": f"{max(ev.provenance['sybil_k'])}",
    }

    # The trend of the retail share under the status quo: fs.trend's studentised block bootstrap (per 30 days).
    tr = ev.trend.loc["status_quo"]
    out["sq_trend"] = Estimate(100 * tr["slope_per_month"], 100 * tr["low"], 100 * tr["high"], "{:+.2f}",
                               "95% block-bootstrap interval")
    out["sq_trend_dir"] = direction(out["sq_trend"], "a rise: toward retail operators",
                                    "a fall: away from retail operators",
                                    "no clear trend (the interval includes zero)")

    # Attack net gains at the stated identity cost (0), redrawn over the network seeds.
    seeds = settings(scale)["seeds"]
    boards = [sb] + [fs.evaluate(network(scale, s), {r: fs.formulas.reference_rules()[r] for r in GAMED}, seed=0,
                                 trend_resamples=49, keep_detail=0).scoreboard for s in seeds[1:]]
    for rule in GAMED:
        out[f"{rule}_best_attack"] = over_seeds([b.loc[rule, "best_attack_net_gain"] for b in boards], "{:.2f}")
        out[f"{rule}_best_attack_name"] = str(sb.loc[rule, "best_attack"])
    out["floor_sybil_k"] = over_seeds([b.loc["floor_20pct", f"sybil_gain_k{out['sybil_k']}"] for b in boards],
                                      "{:.1f}")
    out["n_seeds"] = f"{len(seeds)}"
    paying = int((sb["best_attack_net_gain"] > 1).sum())
    out["gamed_rules"] = Exact(f"{paying} of {len(sb)}", "closed forms of every attack at the stated costs")
    out["gamed_rules_words"] = "every rule has" if paying == len(sb) else "most rules have" \
        if 2 * paying > len(sb) else "some rules have" if paying else "no rule has"
    out["attack_costs"] = str(ev.provenance["attack_costs"])

    # The cap, one thing changed at a time: each base against the same base capped, over the same operators.
    rules = fs.formulas.reference_rules()
    pairs = {"status_quo": rules["status_quo"], "work_only": rules["work_only"]}
    capped = fs.evaluate(network(scale), {**{f"{b}_capped": fs.formulas.Capped(CAP, base=r) for b, r in pairs.items()},
                                          **pairs}, seed=0, trend_resamples=49)
    rows = []
    for base in pairs:
        a, b = capped.detail[f"{base}_capped"], capped.detail[base]
        b = b.loc[a.index]
        d_gini = boot_difference(fs.gini, a["reward_tokens"], b["reward_tokens"], scale)
        d_hhi = boot_difference(fs.hhi, a["reward_tokens"], b["reward_tokens"], scale)
        out[f"cap_{base}_gini"] = d_gini
        out[f"cap_{base}_hhi"] = d_hhi
        out[f"cap_{base}_dir"] = direction(d_gini, "raises", "lowers", "does not clearly change")
        rows.append({"base rule": base, "gini_base": capped.scoreboard.loc[base, "gini"],
                     "gini_capped": capped.scoreboard.loc[f"{base}_capped", "gini"],
                     "gini_difference": d_gini.value, "gini_difference_low": d_gini.low,
                     "gini_difference_high": d_gini.high,
                     "hhi_base": capped.scoreboard.loc[base, "hhi"],
                     "hhi_capped": capped.scoreboard.loc[f"{base}_capped", "hhi"]})
    table(build, "cap_pairs", pd.DataFrame(rows).set_index("base rule"))
    return out
