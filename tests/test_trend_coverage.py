"""The Done-when coverage study of fs.trend on synthetic ledgers with a known entity-level trend (slow), and a quick
series-level version in the default run.

Synthetic ledger: 5 large entities and 200 small ones (one address each); the small entities' share of each epoch's
rewards is ``0.30 + slope * t + u_t`` with AR(1) noise ``u`` (autocorrelation 0.8). Large entities split their
payouts over more and more addresses as time passes (the splitting that fakes convergence at key level). Amounts are
base units of an 18-decimal token, beyond int64.
"""

import numpy as np
import pandas as pd
import pytest

import fairshare as fs
from fairshare.trend.blocks import slope_interval

RHO = 0.8
SLOPE = 0.002  # small share per epoch (about +73 points per year at daily epochs; +0.2 points per epoch)
SIGMA = 0.02


def ar1(n, rng, rho=RHO, sd=SIGMA):
    e = rng.normal(0.0, sd, n)
    x = np.empty(n)
    x[0] = e[0] / np.sqrt(1 - rho * rho)
    for t in range(1, n):
        x[t] = rho * x[t - 1] + e[t]
    return x


def synthetic_ledger(n_epochs, seed, n_big=5, n_small=200):
    """(payouts frame, labels frame, true small share per epoch)."""
    rng = np.random.default_rng(seed)
    share = np.clip(0.30 + SLOPE * (np.arange(n_epochs) - n_epochs / 2) + ar1(n_epochs, rng), 0.02, 0.98)
    small_w = rng.uniform(0.5, 1.5, n_small)
    small_w /= small_w.sum()
    big_w = np.array([0.3, 0.25, 0.2, 0.15, 0.1])[:n_big]
    big_w /= big_w.sum()
    total = 10 ** 24  # one million tokens per epoch in base units (18 decimals)
    rows, labels = [], {}
    for t in range(n_epochs):
        for i in range(n_small):
            rows.append((t, f"s{i}", int(share[t] * small_w[i] * total)))
            labels[f"s{i}"] = ("small", f"S{i}")
        for j in range(n_big):
            keys = 2 + (8 * t) // n_epochs  # 2 keys at the start, up to 9 at the end
            part = (1 - share[t]) * big_w[j] * total / keys
            for k in range(keys):
                rows.append((t, f"b{j}k{k}", int(part)))
                labels[f"b{j}k{k}"] = ("big", f"B{j}")
    frame = pd.DataFrame(rows, columns=["epoch", "address", "amount"])
    frame["amount"] = frame["amount"].astype(str)
    lab = pd.DataFrame([(a, e) for a, (_, e) in labels.items()], columns=["address", "entity"])
    return frame, lab, share


def ledger_of(frame):
    return fs.Ledger.from_frame(frame, time="epoch", address="address", amount="amount", decimals=18,
                                epoch_seconds="1d", network="synthetic test network", synthetic=True)


def partial_labels(lab, rng, labelled=0.75):
    big = lab[lab["address"].str.startswith("b")]
    keep = rng.random(len(big)) < labelled
    return pd.concat([lab[lab["address"].str.startswith("s")], big[keep]])


def study(n_epochs, replicates, resamples=999):
    hits = {"block": 0, "iid": 0, "partial_union": 0, "partial_headline": 0}
    truth = SLOPE * 365.25
    for r in range(replicates):
        frame, lab, _ = synthetic_ledger(n_epochs, seed=1000 * n_epochs + r)
        led = ledger_of(frame)
        full = fs.trend(led.panel(labels=lab), "small_share", seed=r, resamples=resamples, changes=False)
        hits["block"] += full.low <= truth <= full.high
        hits["iid"] += full.details["iid"]["low"] <= truth <= full.details["iid"]["high"]
        part = fs.trend(led.panel(labels=partial_labels(lab, np.random.default_rng(r))), "small_share", seed=r,
                        resamples=resamples, changes=False)
        env = part.details["envelope"]
        hits["partial_union"] += min(part.low, env["low"]) <= truth <= max(part.high, env["high"])
        hits["partial_headline"] += part.low <= truth <= part.high
    return {k: v / replicates for k, v in hits.items()}


@pytest.mark.slow
@pytest.mark.parametrize("n_epochs", [52, 156])
def test_coverage_study_on_synthetic_ledgers(n_epochs):
    result = study(n_epochs, 200)
    print(f"coverage at {n_epochs} epochs, 200 replicates: {result}")
    assert result["block"] >= 0.85
    assert result["iid"] <= result["block"] - 0.2
    assert result["partial_union"] >= 0.90


def test_block_bootstrap_covers_where_iid_does_not_quick():
    """Series level, 100 replicates at 52 epochs (the slow study does 200 on ledgers at 52 and 156)."""
    t = np.arange(52, dtype=float)
    block = iid = 0
    for r in range(100):
        rng = np.random.default_rng(r)
        y = 0.3 + SLOPE * t + ar1(52, rng)
        b = slope_interval(t, y, confidence=0.95, resamples=299, seed=r)
        i = slope_interval(t, y, confidence=0.95, resamples=299, seed=r, method="iid")
        block += b["low"] <= SLOPE <= b["high"]
        iid += i["low"] <= SLOPE <= i["high"]
    assert block >= 82, block
    assert iid <= 65, iid


def test_no_labels_says_key_level():
    frame, _, _ = synthetic_ledger(20, seed=1, n_small=30)
    tr = fs.trend(ledger_of(frame).panel(), "small_share", resamples=99)
    assert "Key-level verdict" in tr.statement
    assert tr.details["level"] == "key"
    assert "synthetic data" in tr.statement
