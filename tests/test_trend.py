"""fs.trend: the headline interval, cross-checks, change points, event studies, decomposition, Nakamoto ranges,
the Edinburgh Decentralisation Index's metric set on the Bitcoin windows, determinism across thread counts, and the
evaluation engine's use of it."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fairshare as fs
from fairshare.errors import ConfigError, DataError
from fairshare.trend import decompose, edi_metrics, edi_series, mann_kendall, nakamoto_range, sen_slope

REAL = Path(__file__).resolve().parent / "data" / "real"
REPO = Path(__file__).resolve().parents[1]


def ar1(n, seed, rho=0.8, sd=0.02):
    rng = np.random.default_rng(seed)
    e = rng.normal(0, sd, n)
    x = np.empty(n)
    x[0] = e[0] / math.sqrt(1 - rho * rho)
    for t in range(1, n):
        x[t] = rho * x[t - 1] + e[t]
    return x


def test_fs_trend_is_the_callable_module_and_returns_the_contract():
    assert fs.trend.__name__ == "fairshare.trend" and callable(fs.trend)
    y = pd.Series(0.5 + 0.001 * np.arange(60) + ar1(60, 0), index=np.arange(100, 160))
    tr = fs.trend(y, "gini", epoch_seconds=86_400, seed=0)
    assert tr.low < tr.slope_per_year < tr.high and tr.low < 0.001 * 365.25 < tr.high
    assert tr.statement.startswith("Gini") and "block bootstrap" in tr.statement
    assert set(tr.to_frame().columns) >= {"slope_per_year", "low", "high", "iid_low", "newey_west_low"}


def test_series_time_axis_must_be_stated():
    with pytest.raises(ConfigError, match="give epoch_seconds"):
        fs.trend(pd.Series(np.arange(10.0)), "x")
    dated = pd.Series(np.arange(10.0), index=pd.date_range("2024-01-01", periods=10, freq="7D"))
    assert fs.trend(dated, "x").slope_per_year == pytest.approx(365.25 / 7)
    with pytest.raises(DataError, match="3 usable values"):
        fs.trend(pd.Series([1.0, np.nan, 2.0, 3.0]), "x", epoch_seconds=1)
    with pytest.raises(ConfigError, match="confidence"):
        fs.trend(dated, "x", confidence=95)


def test_same_seed_same_numbers_and_interval_reports_disagreement():
    y = pd.Series(ar1(40, 5), index=np.arange(40))
    a = fs.trend(y, "share of x", epoch_seconds=86_400, seed=7)
    b = fs.trend(y, "share of x", epoch_seconds=86_400, seed=7)
    assert (a.slope_per_year, a.low, a.high) == (b.slope_per_year, b.low, b.high)
    assert a.low <= 0 <= a.high or a.details["disagreement"] is not None
    if a.low <= 0 <= a.high:
        assert "smallest slope this series could detect" in a.statement and a.details["mds_per_year"] > 0


def test_mann_kendall_and_sen_on_known_series():
    t = np.arange(10.0)
    assert sen_slope(t, 2 * t + 1) == 2.0
    mk = mann_kendall(t)
    assert mk["s"] == 45 and mk["p"] < 0.001
    assert mann_kendall(np.ones(6))["p"] == 1.0


def test_change_points_find_a_level_shift():
    y = np.r_[np.zeros(30), np.ones(30)] + np.random.default_rng(0).normal(0, 0.05, 60)
    tr = fs.trend(pd.Series(y, index=np.arange(60)), "x", epoch_seconds=86_400)
    assert tr.details["change_points"] == [30.0]


def test_event_study_separates_slopes_at_a_known_break():
    t = np.arange(80)
    y = np.where(t < 40, 0.0, 0.01 * (t - 40)) + np.random.default_rng(1).normal(0, 0.002, 80)
    tr = fs.trend(pd.Series(y, index=t), "x", epoch_seconds=86_400, breaks=[40])
    ev = tr.details["events"].loc[40.0]
    assert abs(ev["slope_before_per_year"]) < 0.5 and ev["slope_after_per_year"] == pytest.approx(3.65, rel=0.05)
    assert ev["placebo_p"] <= 0.05
    with pytest.raises(ConfigError, match="fewer than 3 windows"):
        fs.trend(pd.Series(y, index=t), "x", epoch_seconds=86_400, breaks=[79])


def test_decomposition_adds_up_and_sees_entry():
    df = pd.DataFrame({"epoch": [0, 0, 1, 1, 1], "address": ["a", "b", "a", "b", "new"],
                       "amount": [80, 20, 80, 20, 100]})
    panel = fs.Ledger.from_frame(df, time="epoch", address="address", amount="amount", epoch_seconds=86_400).panel(
        labels=pd.DataFrame({"address": ["a", "b", "new"], "entity": ["A", "B", "N"]}))
    d = decompose(panel, "gini")
    assert d["change"] == pytest.approx(d["within"] + d["entry_exit"])
    assert d["within"] == 0 and d["entrants"] == 1 and d["leavers"] == 0


def test_nakamoto_range_for_lottery_counts_only():
    r = nakamoto_range(np.array([400, 300, 200, 100]), seed=0)
    assert r["point"] == 2 and r["low"] <= 2 <= r["high"] and 0 < r["stable"] <= 1
    with pytest.raises(ConfigError, match="deterministic payouts"):
        nakamoto_range(np.array([0.4, 0.6]))


# ------------------------------------------------------------------------------------------------ EDI on Bitcoin
def edi_oracle(blocks):
    """The index's definitions, written out (descending blocks; zeros are the population's inactive members)."""
    b = sorted((float(v) for v in blocks), reverse=True)
    total, n = sum(b), len(b)
    p = [v / total for v in b]

    def tau(th):
        k, covered = 0, 0.0
        for v in p:
            if covered >= th:
                break
            k, covered = k + 1, covered + v
        return k
    entropy = -sum(v * math.log2(v) for v in p if v > 0)
    positive = sum(1 for v in b if v > 0)
    mu = total / n
    srt = sorted(b)
    gini = sum((2 * (i + 1) - n - 1) * v for i, v in enumerate(srt)) / (n * total)
    return {"gini": gini, "theil": sum((v / mu) * math.log(v / mu) for v in b if v > 0) / n,
            "hhi": sum((100 * v) ** 2 for v in p), "nakamoto": tau(0.5), "entropy": entropy,
            "entropy_pct": entropy / math.log2(positive) if positive > 1 else 0.0, "cr1": p[0], "cr3": sum(p[:3]),
            "tau_0.33": tau(0.33), "tau_0.66": tau(0.66), "entities": positive}


@pytest.fixture(scope="module")
def bitcoin():
    raw = pd.read_csv(REAL / "bitcoin_mining_entities_30d.csv")
    raw["window"] = pd.factorize(raw["window_start"])[0]
    paid = raw[raw["blocks"] > 0]
    ledger = fs.Ledger.from_frame(paid, time="window", address="entity_index", amount="blocks",
                                  epoch_seconds=30 * 86_400, network="Bitcoin (blocks per mining entity)")
    return raw, ledger


def test_bitcoin_population_rule_and_edi_metrics(bitcoin):
    raw, ledger = bitcoin
    panel = ledger.panel(population="adjacent")
    assert len(panel.windows) == 72
    frame = edi_series(panel)
    for w, (codes, amounts) in enumerate(panel.vectors()):
        rows = raw[raw["window"] == w]
        mine = set(panel.entities[codes].astype(int))
        if w < 71:
            assert mine == set(rows["entity_index"])  # the file's population, zeros included
        else:  # the last window's next one (December 2023) is not in the file: its 4 entrants are missing here
            extra = set(rows["entity_index"]) - mine
            assert len(extra) == 4 and rows.set_index("entity_index").loc[list(extra), "adjacent_window_zero"].all()
        if w % 12 == 0:
            expected = edi_oracle(rows["blocks"])
            got = frame.iloc[w]
            for key, value in expected.items():
                assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-12), (w, key)
    assert edi_metrics([3, 1, 0])["entities"] == 2


def test_bitcoin_unattributed_share_trend_is_wider_than_iid(bitcoin):
    raw, ledger = bitcoin
    tr = fs.trend(ledger.panel(), "max_share", seed=0)
    width = tr.high - tr.low
    iid = tr.details["iid"]["high"] - tr.details["iid"]["low"]
    assert tr.details["block_length"] > 1 and width > iid
    assert "network Bitcoin" in tr.statement and "Key-level" in tr.statement


# ------------------------------------------------------------------------------------------------ verdict
def test_verdict_with_partial_labels_states_coverage_and_envelope():
    rng = np.random.default_rng(0)
    rows = []
    for t in range(30):
        for i in range(40):
            rows.append((t, f"s{i}", int(rng.integers(90, 110))))
        for k in range(6):
            rows.append((t, f"big{k}", 2000))
    df = pd.DataFrame(rows, columns=["epoch", "address", "amount"])
    labels = pd.DataFrame({"address": [f"s{i}" for i in range(40)] + ["big0", "big1", "big2"],
                           "entity": [f"S{i}" for i in range(40)] + ["BIG"] * 3})
    ledger = fs.Ledger.from_frame(df, time="epoch", address="address", amount="amount", epoch_seconds="1d",
                                  synthetic=True, network="test")
    v = fs.trend.verdict(ledger.panel(labels=labels), resamples=199)
    assert "of rewards were labelled" in v.statement and "conservative envelope" in v.statement
    assert "synthetic data" in v.statement and "entity-level" in v.statement
    assert set(v.to_frame().index) == {"small_share", "gini", "hhi", "nakamoto"}
    summary = fs.trend.panel_summary(ledger.panel(labels=labels))
    assert summary[("key", "holders")].iloc[0] == 46 and summary[("entity", "holders")].iloc[0] == 44


# ------------------------------------------------------------------------------------------------ determinism
SCRIPT = """
import json, numpy as np, pandas as pd, fairshare as fs
rng = np.random.default_rng(0)
df = pd.DataFrame({"epoch": np.repeat(np.arange(60), 50), "address": [f"k{i}" for i in rng.integers(0, 400, 3000)],
                   "amount": rng.integers(1, 10**6, 3000)})
led = fs.Ledger.from_frame(df, time="epoch", address="address", amount="amount", epoch_seconds="1d")
tr = fs.trend(led.panel(), "gini", seed=3)
print(json.dumps([tr.slope_per_year.hex(), tr.low.hex(), tr.high.hex(), tr.details["newey_west"]["low"].hex(),
                  [float(v).hex() for v in tr.series]]))
"""


def test_same_numbers_at_one_and_two_threads():
    outs = []
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads, OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads,
                   MKL_NUM_THREADS=threads, PYTHONPATH=str(REPO))
        run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=REPO)
        assert run.returncode == 0, run.stderr
        outs.append(json.loads(run.stdout))
    assert outs[0] == outs[1]


def test_evaluate_uses_fs_trend():
    from fairshare.evaluation.engine import _trend

    share = 0.2 + 0.001 * np.arange(60) + ar1(60, 2)
    out = _trend(share, 86_400.0, 199, 0)
    direct = fs.trend(pd.Series(share, index=np.arange(60)), "retail share", epoch_seconds=86_400, resamples=199,
                      seed=0, changes=False)
    assert out["slope_per_month"] == pytest.approx(direct.slope_per_year * 30 / 365.25)
    assert out["low"] == pytest.approx(direct.low * 30 / 365.25)
    assert out["statement"].startswith("The retail share of rewards")


def test_a_short_last_window_is_left_out_and_said():
    df = pd.DataFrame({"epoch": np.repeat(np.arange(23), 3), "address": list("abc") * 23,
                       "amount": np.tile([5, 3, 2], 23) + np.repeat(np.arange(23), 3) % 4})
    panel = fs.Ledger.from_frame(df, time="epoch", address="address", amount="amount",
                                 epoch_seconds="1d").panel(window=5)
    assert panel.windows["complete"].tolist() == [True, True, True, True, False]
    tr = fs.trend(panel, "gini", resamples=99)
    assert tr.details["n"] == 4 and tr.details["partial_windows"] == 1
    assert "1 shorter than the others" in tr.statement
