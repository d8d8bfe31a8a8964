"""Replay Yuma consensus on the real Bittensor subnet 15 snapshot (block 4769998).

Usage::

    python examples/yuma_bittensor_snapshot.py [DATA_DIR]

``DATA_DIR`` defaults to the repository's ``tests/data/real``; its README.md
describes ``bittensor_sn15_stake.csv`` and
``bittensor_sn15_weights.csv`` (source: bactensor/yuma-simulation, MIT).

Validators are the 20 uids that set weights; their stake is the snapshot's
``S``. Uids with stake that set no weights are left out of the validator set,
as subtensor's activity mask leaves out validators without recent weights.
A validator's weight on its own uid is masked (subtensor's diagonal mask).
Miners are all 256 uids. One epoch from no bonds, kappa = 0.5, and the
subnet split: 18% owner, the rest half to miners by incentive, half to
validators by dividends.

The replay runs twice: the pure function ``fs.presets.yuma_epoch`` and the
``YumaConsensus`` rule on bare node-level features for the 256 uids (the
snapshot has no task log; the rule reads only node ids, activity and the
emission). Both must agree. Then the chain's own epoch
(``fs.presets.yuma_chain_epoch``) replays the same weights for ``CHAIN_EPOCHS``
epochs through both variants, original Yuma and Yuma3 (liquid alpha at the
chain's default bounds), in exact I32F32 arithmetic, with stake converted to
rao (``round(stake * 1e9)``: the snapshot's stake is in TAO) and weights
stored as ``set_weights`` stores them (each row max-upscaled to u16); it
reports how far the float mode is from the exact one and where the two
variants' dividends differ. Concentration uses ``fs.gini``, ``fs.hhi`` and
``fs.nakamoto_coefficient`` per uid: the snapshot has no coldkey, so uids
cannot be grouped by owner.
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd

import fairshare as fs
from fairshare.features import QUANTITIES, Features

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / "tests" / "data" / "real"  # provenance and licences: its README.md
CHAIN_EPOCHS = 3


def load(data_dir: Path) -> tuple[pd.Series, pd.DataFrame, pd.Index]:
    """(stake of each weight setter, long weights table, all uids)."""
    stake = pd.read_csv(data_dir / "bittensor_sn15_stake.csv").set_index("uid")["stake"]
    weights = pd.read_csv(data_dir / "bittensor_sn15_weights.csv").rename(
        columns={"validator_uid": "validator", "miner_uid": "node_id"})
    validators = pd.Index(sorted(weights.validator.unique()), name="validator")
    return stake.reindex(validators), weights, stake.index.rename("node_id")


def bare_features(uids: pd.Index, emission: float) -> Features:
    """One epoch of node-level features for ``uids``: every node active, no work, one operator each."""
    n = len(uids)
    arrays = {q: np.zeros((1, n)) for q in QUANTITIES}
    arrays["active"] = np.ones((1, n))
    values = dict(level="node", epochs=np.array([0]), entity_ids=uids, operator_ids=uids.rename("operator_id"),
                  entity_operator=np.arange(n), node_count=np.ones(n, dtype=np.int64),
                  emission_tokens=np.array([emission]), token_price_usd=np.array([1.0]), **arrays)
    return Features(**{f.name: values[f.name] for f in fields(Features) if f.name in values})


def replay(data_dir: Path) -> dict:
    stake, weights, uids = load(data_dir)
    W = np.zeros((len(stake), len(uids)))
    W[stake.index.get_indexer(weights.validator), uids.get_indexer(weights.node_id)] = weights.weight
    W[np.arange(len(stake)), uids.get_indexer(stake.index)] = 0.0  # self-weights masked
    out = fs.presets.yuma_epoch(stake.to_numpy(), W, kappa=0.5)
    rule = fs.presets.YumaConsensus(weights=weights, validator_stake=stake)
    f = bare_features(uids, 1.0)
    allocation = rule(f)
    miners = pd.Series(allocation.rewards[0], index=uids, name="incentive_tokens")
    dividends = rule.validator_rewards(f).iloc[0]
    expected = (1 - rule.owner_share) * out["E_miner"]
    assert np.allclose(miners.to_numpy(), expected, rtol=1e-12, atol=1e-15), "rule and pure function disagree"
    return {"out": out, "stake": stake, "miners": miners, "dividends": dividends, "split": rule.split(f).iloc[0]}


def replay_chain(data_dir: Path, epochs: int = CHAIN_EPOCHS) -> dict:
    """Both chain variants, exact and float, over ``epochs`` epochs of the snapshot's weights."""
    stake, weights, uids = load(data_dir)
    W = np.zeros((len(stake), len(uids)))
    W[stake.index.get_indexer(weights.validator), uids.get_indexer(weights.node_id)] = weights.weight
    W[np.arange(len(stake)), uids.get_indexer(stake.index)] = 0.0  # the diagonal mask
    rao = np.round(stake.to_numpy() * 1e9).astype(np.int64)
    u16 = fs.presets.weights_to_u16(W)
    out = {}
    for variant in ("original", "yuma3"):
        for mode in ("exact", "float"):
            bonds = None
            for _ in range(epochs):
                r = fs.presets.yuma_chain_epoch(rao, u16, bonds, variant=variant, mode=mode,
                                                liquid_alpha=variant == "yuma3", emission=1_000_000_000)
                bonds = r["bonds"]
            out[variant, mode] = r
    return out


def concentration(x: pd.Series) -> str:
    v = x.to_numpy(dtype=np.float64)
    return (f"gini {fs.gini(v):.3f}  hhi {fs.hhi(v):.3f}  nakamoto(50%) {fs.nakamoto_coefficient(v)}  "
            f"top-1 share {v.max() / v.sum():.1%}")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=str(DEFAULT_DATA))
    args = parser.parse_args(argv)
    r = replay(Path(args.data_dir))
    out, miners, dividends, stake = r["out"], r["miners"], r["dividends"], r["stake"]
    paid = miners[miners > 0]
    print(f"Bittensor subnet 15, block 4769998: {len(stake)} validators, {len(miners)} uids, "
          f"{len(paid)} miners with incentive")
    print("split of one epoch's emission: " + ", ".join(f"{k} {v:.4f}" for k, v in r["split"].items()))
    print(f"consensus clipped {1 - out['R'].sum() / out['P'].sum():.2%} of validators' weighted stake "
          f"(mean trust of weighted miners {out['T'][out['P'] > 0].mean():.3f})")
    print("top miners (uid: share of epoch emission): "
          + ", ".join(f"{uid}: {v:.4f}" for uid, v in paid.nlargest(5).items()))
    print("top validators (uid: dividends, stake share): "
          + ", ".join(f"{uid}: {dividends[uid]:.4f}, {stake[uid] / stake.sum():.3f}"
                      for uid in dividends.nlargest(5).index))
    print(f"miner incentive (paid miners):  {concentration(paid)}")
    print(f"validator dividends:            {concentration(dividends)}")
    print(f"validator stake:                {concentration(stake)}")
    chain = replay_chain(Path(args.data_dir))
    for variant in ("original", "yuma3"):
        exact, flt = chain[variant, "exact"], chain[variant, "float"]
        gap = max(float(np.abs(exact[k] - flt[k]).max()) for k in ("I", "D"))
        d = pd.Series(exact["D"], index=stake.index)
        print(f"chain {variant}, {CHAIN_EPOCHS} epochs, exact I32F32: dividends {concentration(d)}; "
              f"largest |float - exact| on incentive and dividends {gap:.2g}")
    diff = np.abs(chain["original", "exact"]["D"] - chain["yuma3", "exact"]["D"])
    print(f"original vs Yuma3 dividends: largest difference {diff.max():.4f} (uid {stake.index[diff.argmax()]})")
    r["chain"] = chain
    return r


if __name__ == "__main__":
    main()
