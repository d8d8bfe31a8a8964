"""Benchmark of the attack library (not a test). Prints every figure from one run.

Run: ``python benchmarks/bench_attacks.py [--candidates 1000] [--scale default] [--quick] [--json PATH]``

``--quick``: 200 candidates on the small network.

1. Attack columns of many ``Linear`` candidate rules on the built-in network: the closed forms
   (:class:`fairshare.attacks.LinearAttacks`, built once, then matrix products over every working
   operator) against replaying every attack for every candidate (:func:`fairshare.attacks.replay_table`,
   one ``allocate`` per attack, size and attacker). Replaying every candidate would take hours, so the
   replay is timed on a few candidates and the per-candidate time multiplied out; the replay covers only
   the attacker sample (smallest, median and largest of each class), far fewer attackers than the closed
   forms, so the ratio understates the closed forms' advantage. Both give the same net gains where they
   share attackers (checked on the timed candidates).

Target: attack columns for 1,000 ``Linear`` candidates at least 30x faster than replaying every attack
per candidate.
"""

from __future__ import annotations

import time

import numpy as np
from benchkit import Options, Row

import fairshare as fs
from fairshare import attacks as at
from fairshare.formulas import Linear


def columns(scale: str, candidates: int, replayed: int):
    print(f"1. Attack columns of {candidates} Linear candidates on the built-in network (scale={scale!r})")
    history = fs.datasets.open_inference_network(seed=0, scale=scale)
    costs = at.AttackCosts(identity_cost_usd=1.0, take_rate=0.05, gas_usd_per_request=1e-4)
    target = at.Target.build(history, costs)
    rng = np.random.default_rng(0)
    thetas = rng.dirichlet(np.full(len(at.NAMES), 0.5), size=candidates)
    start = time.perf_counter()
    closed = at.LinearAttacks(target)
    built = time.perf_counter() - start
    start = time.perf_counter()
    best = closed.batch(thetas)
    batch = time.perf_counter() - start
    t_closed = built + batch
    start = time.perf_counter()
    worst = 0.0
    for theta in thetas[:replayed]:
        rule = Linear({c: float(w) for c, w in zip(at.NAMES, theta) if w > 0})
        table = at.replay_table(rule, target)
        # where the replay's attackers are among the closed forms' (all of them), the gains agree
        mine = {(a, v, w): g for a, v, w, g in closed.gains(theta)}
        for a, v, w, g in table.itertuples(index=False, name=None):
            ref = mine.get((a, v, w))
            if ref is not None and np.isfinite(ref) and np.isfinite(g):
                worst = max(worst, abs(g - ref) / max(abs(ref), 1e-300))
    per_candidate = (time.perf_counter() - start) / replayed
    t_replay = per_candidate * candidates
    attackers = int((target.window_work > 0).sum())
    print(f"  {history}; {attackers} working operators attack each candidate in the closed forms, "
          f"{at.attacker_sample(target).size} in the replay")
    print(f"  closed forms: build {built:.2f} s + {candidates} candidates {batch:.3f} s = {t_closed:.2f} s")
    print(f"  replay: {per_candidate:.2f} s per candidate (timed on {replayed}) -> {t_replay:.0f} s for {candidates}")
    print(f"  speed-up {t_replay / t_closed:.0f}x; largest relative difference on shared attackers {worst:.1e}; "
          f"{np.mean(best > 1):.0%} of random candidates have an attack that pays")
    return [Row.check(f"attack columns, {candidates} Linear candidates: closed forms vs replay", t_replay / t_closed,
                      "x", ">=", 30, f"closed forms {t_closed:.2f} s over {attackers} attackers; replay "
                      f"{per_candidate:.2f} s per candidate over {at.attacker_sample(target).size} attackers, "
                      f"timed on {replayed} candidates and multiplied out", judged=candidates >= 1000),
            Row.info("closed forms vs replay, largest relative difference", worst, ""),
            Row.info("closed-form build", built, "s"), Row.info("closed-form scoring per candidate",
                                                             batch / candidates * 1e6, "us")]


def options() -> Options:
    cli = Options("attacks", __doc__)
    cli.add_sized("--candidates", full=1000, quick=200, type=int)
    cli.add_sized("--replayed", full=3, quick=2, type=int, help="candidates replayed in full")
    cli.add_sized("--scale", full="default", quick="small")
    return cli


def main(argv=None):
    cli = options()
    args = cli.parse(argv)
    cli.save(args, columns(args.scale, args.candidates, args.replayed))


if __name__ == "__main__":
    main()
