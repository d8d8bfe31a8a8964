"""Real ledgers: Bitcoin block production by mining entity, Solana validator rewards (key level)."""

from pathlib import Path

import numpy as np
import pandas as pd
from _common import CONFIDENCE, SEED, Estimate, boot, direction, figure, settings, table

import fairshare as fs

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "real"
BITCOIN = DATA / "bitcoin_mining_entities_30d.csv"
SOLANA_REWARDS = DATA / "solana_block_rewards_830_858.csv"
SOLANA_FEES = DATA / "solana_doublezero_fees_859_938.csv"
#: Real inputs the paper reads (their hashes go into the reproducibility section).
INPUTS = (BITCOIN, SOLANA_REWARDS, SOLANA_FEES)


def _per_year(tr, fmt="{:+.2f}", scale=100.0) -> Estimate:
    return Estimate(scale * tr.slope_per_year, scale * tr.low, scale * tr.high, fmt,
                    f"{CONFIDENCE:.0%} block-bootstrap interval")


def _draw_share(ax, share, tr):
    """The unattributed producers' share per window with its least-squares trend line (plotted numbers attached)."""
    from fairshare.plotting.theme import attach

    x = np.arange(len(share), dtype=float)
    per_window = tr.slope_per_year * 30 / 365.25
    line = share.mean() + per_window * (x - x.mean())
    ax.plot(x, share.to_numpy(), label="share of blocks")
    ax.plot(x, line, linestyle="--", label="least-squares trend")
    ax.set_xlabel("30-day window")
    ax.set_ylabel("share of blocks, unattributed producers")
    ax.legend()
    attach(ax, pd.DataFrame({"window": x, "share": share.to_numpy(), "trend": line}))


def _bitcoin(build, scale, out):
    raw = pd.read_csv(BITCOIN)
    raw["window"] = pd.factorize(raw["window_start"])[0]
    ledger = fs.Ledger.from_frame(raw[raw["blocks"] > 0], time="window", address="entity_index", amount="blocks",
                                  epoch_seconds=30 * 86_400, network="Bitcoin (blocks per mining entity)")
    entities = pd.DataFrame({"address": raw["entity_index"].astype(str), "entity": raw["entity"]}).drop_duplicates()
    entities["entity"] = entities["address"] + " " + entities["entity"]
    labels = fs.ledger.Labels.from_frame(entities, heuristic="entities as the source clusters them")
    panel = ledger.panel(labels=labels, population="adjacent")
    resamples = settings(scale)["trend_resamples"]
    largest = fs.trend(panel, "max_share", resamples=resamples, seed=SEED)
    unattributed = raw["entity"].str.match(r"^(1|3|bc1)[A-Za-z0-9]{20,}")
    share = (raw["blocks"].where(unattributed, 0).groupby(raw["window"]).sum()
             / raw.groupby("window")["blocks"].sum())
    tail = fs.trend(share, "the unattributed producers' share of blocks", epoch_seconds=30 * 86_400,
                    resamples=resamples, seed=SEED,
                    about="real data, Bitcoin, 30-day windows, entities as the source clusters them")
    last = raw[(raw["window"] == raw["window"].max()) & (raw["blocks"] > 0)]["blocks"].to_numpy(np.int64)
    nc = fs.trend.nakamoto_range(last, inclusive=True, seed=SEED, confidence=CONFIDENCE)
    edi = fs.trend.edi_series(panel)
    shown = edi.iloc[[0, len(edi) // 2, len(edi) - 1]].rename(columns={"entropy_pct": "normalised_entropy"})
    shown.index = [f"window {i} ({raw['window_start'].unique()[i]})" for i in (0, len(edi) // 2, len(edi) - 1)]
    table(build, "bitcoin_edi", shown)
    figure(build, "bitcoin_unattributed", lambda ax: _draw_share(ax, share, tail))
    out["btc_unattributed_dir"] = direction(_per_year(tail))
    out["btc_largest_dir"] = direction(_per_year(largest))
    out.update({
        "btc_windows": f"{raw['window'].nunique()}",
        "btc_entities": f"{raw['entity_index'].nunique():,}",
        "btc_first": str(raw["window_start"].min()), "btc_last": str(raw["window_start"].max()),
        "btc_largest_trend": _per_year(largest),
        "btc_unattributed_trend": _per_year(tail),
        "btc_unattributed_iid": f"{100 * tail.details['iid']['low']:+.2f} to {100 * tail.details['iid']['high']:+.2f}",
        "btc_autocorr": f"{share.autocorr(1):.2f}",
        "btc_last_gini": boot(fs.gini, last, scale),
        "btc_last_nakamoto": Estimate(nc["point"], nc["low"], nc["high"], "{:.0f}",
                                      f"{CONFIDENCE:.0%} of multinomial lottery resamples:"),
    })


def _solana(build, scale, out):
    resamples = settings(scale)["trend_resamples"]
    rewards = fs.Ledger.read(SOLANA_REWARDS, time="epoch", address="pubkey", amount="block_rewards_sol",
                             unit="token", decimals=14, missing="no_record", epoch_seconds="2d",
                             network="Solana (block rewards)")
    panel = rewards.panel()
    v = fs.trend.verdict(panel, resamples=resamples, seed=SEED)
    fees = fs.Ledger.read(SOLANA_FEES, time="epoch", address="pubkey", amount="dz_fee_lamports", decimals=9,
                          epoch_seconds="2d", network="Solana (DoubleZero fees)")
    fpanel = fees.panel()
    fgini = fs.trend(fpanel, "gini", resamples=resamples, seed=SEED)
    parts = fs.trend.decompose(fpanel, "gini")
    trends = v.to_frame()
    table(build, "solana_trends", trends[[c for c in ("metric", "slope_per_year", "low", "high", "block_length",
                                                      "iid_low", "iid_high", "n") if c in trends]])
    out["sol_small_dir"] = direction(_per_year(v.headline), "toward small validators", "away from small validators",
                                     "no clear trend (the interval includes zero)")
    out["sol_fee_gini_dir"] = direction(_per_year(fgini, "{:+.3f}", 1.0))
    out.update({
        "sol_small_trend": _per_year(v.headline),
        "sol_gini_trend": _per_year(v.supporting["gini"], "{:+.3f}", 1.0),
        "sol_fee_gini_trend": _per_year(fgini, "{:+.3f}", 1.0),
        "sol_fee_change": f"{parts['change']:+.4f}", "sol_fee_within": f"{parts['within']:+.4f}",
        "sol_fee_entry_exit": f"{parts['entry_exit']:+.4f}", "sol_fee_stayers": f"{parts['stayers']:,}",
        "sol_epochs": f"{len(panel.windows)}", "sol_keys": f"{len(panel.entities):,}",
        "sol_fee_epochs": f"{len(fpanel.windows)}", "sol_fee_keys": f"{len(fpanel.entities):,}",
        "sol_dropped": f"{rewards.meta.get('dropped_no_record', 0):,}",
    })


def run(build, scale):
    out = {}
    _bitcoin(build, scale, out)
    _solana(build, scale, out)
    return out
