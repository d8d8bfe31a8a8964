"""Write your own reward rule and score it next to the status quo.

Usage: ``python examples/your_own_formula.py [--scale default|small] [--seed 0]``

A rule is a small frozen class: subclass ``fs.formulas.ScoreFormula`` and say
how to score each node in each epoch from its features; fairshare pays each
epoch's emission in proportion to the scores, measures it per operator, and
checks how it can be gamed. Registering a ``name`` also puts the rule under the
property tests of ``tests/test_formulas.py`` once a strategy is added there.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

import fairshare as fs


@dataclass(frozen=True)
class CostAwareWork(fs.formulas.ScoreFormula):
    """Work units, with each node's small-task work weighted up by ``bonus`` and its score capped at
    ``cap`` times the epoch's median positive score (a per-key cap relative to the network)."""

    bonus: float = 1.0
    cap: float = 20.0
    name: ClassVar[str] = "example_cost_aware_work"
    monotone: ClassVar[bool] = True

    def scores(self, features):
        score = features.work_units + self.bonus * features.small_task_work
        positive = np.where(score > 0, score, np.nan)
        with np.errstate(all="ignore"):
            median = np.nan_to_num(np.nanmedian(positive, axis=1), nan=0.0)
        return np.minimum(score, self.cap * median[:, None])


def main(argv=None) -> fs.Evaluation:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="default")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    history = fs.datasets.open_inference_network(seed=args.seed, scale=args.scale)
    rules = {"status_quo": fs.formulas.STATUS_QUO, "work_only": fs.formulas.Proportional(),
             "cost_aware": CostAwareWork(bonus=2.0, cap=20.0)}
    ev = fs.evaluate(history, rules)
    with pd.option_context("display.width", 160, "display.float_format", lambda v: f"{v:,.4g}"):
        print(ev.headline().T.to_string())
    print(f"\ncost_aware: {ev.scoreboard.loc['cost_aware', 'coverage_share_retail']:.0%} of retail operators cover "
          f"their costs; Sybil gain for a 10-way split {ev.scoreboard.loc['cost_aware', 'sybil_gain_k10']:.2f} "
          "(a per-key cap rewards splitting keys).")
    return ev


if __name__ == "__main__":
    main()
