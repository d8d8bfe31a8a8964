"""Concentration on real data: Bitcoin mining entities per 30-day window, Bittensor subnet 15 stake.

Usage::

    python examples/real_data_concentration.py [DATA_DIR]

``DATA_DIR`` defaults to the repository's ``tests/data/real``; its README.md
describes both datasets, their sources and licences.

Bitcoin: blocks per mining entity in 72 consecutive 30-day windows. Following
the population convention of the Edinburgh Decentralisation Index
(``population_windows = 1``, see the data README), a window's population is
every entity listed in it: the entities that produced blocks, plus zero rows
(``adjacent_window_zero = 1``) for entities that produced in the previous or
next window. Entities not listed are absent (NaN, omitted with
``nan_policy="omit"``). Measures that count holders (Gini, Theil, top shares,
Palma) are also shown over active producers only.

Bittensor: stake of the 256 uids (keys) of subnet 15. The snapshot has no
coldkey (owner) column, so uids cannot be grouped by owner here. The entity
level below groups uids by hotkey, the only identity available; every uid has
its own hotkey in this snapshot, so the two levels coincide. A real owner map
(coldkey per hotkey, from the chain) would be passed as ``entity`` the same way.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

import fairshare as fs

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / "tests" / "data" / "real"  # provenance and licences: its README.md


def bitcoin_windows(data_dir: Path) -> dict[str, pd.DataFrame]:
    """The whole suite per 30-day window, over the window's population and over active producers."""
    rows = pd.read_csv(data_dir / "bitcoin_mining_entities_30d.csv")
    blocks = rows.pivot(index="window_start", columns="entity_index", values="blocks")
    active = rows[rows.adjacent_window_zero == 0].pivot(
        index="window_start", columns="entity_index", values="blocks").reindex(blocks.index)
    return {"population": fs.metrics.summary(blocks, nan_policy="omit"),
            "active_producers": fs.metrics.summary(active, nan_policy="omit")}


def bitcoin_last_window_intervals(data_dir: Path, seed: int = 2023) -> pd.DataFrame:
    """Bootstrap 95% percentile intervals for the last window (active producers)."""
    rows = pd.read_csv(data_dir / "bitcoin_mining_entities_30d.csv")
    last = rows[(rows.window_start == rows.window_start.max()) & (rows.adjacent_window_zero == 0)]
    blocks = last.blocks.to_numpy(dtype=np.float64)
    results = [fs.metrics.bootstrap(fs.gini, blocks, n_resamples=2000, seed=seed),
               fs.metrics.bootstrap(fs.nakamoto_coefficient, blocks, n_resamples=2000, seed=seed),
               fs.metrics.bootstrap(fs.hhi, blocks, n_resamples=2000, seed=seed)]
    table = pd.concat([r.summary() for r in results], ignore_index=True).set_index("metric")
    table.index = [f"{name} ({last.window_start.iloc[0]})" for name in table.index]
    return table


def bittensor_levels(data_dir: Path) -> pd.DataFrame:
    """The suite per key (uid) and per entity (hotkey: the only identity the snapshot holds)."""
    stake = pd.read_csv(data_dir / "bittensor_sn15_stake.csv").set_index("uid")
    return fs.metrics.summary(stake["stake"], entity=stake["hotkey"])


def main(argv: list[str] | None = None) -> dict[str, pd.DataFrame]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA,
                        help="folder with the real datasets (default: the repository's tests/data/real)")
    data_dir = parser.parse_args(argv).data_dir.resolve()
    windows = bitcoin_windows(data_dir)
    tables = {"bitcoin_population": windows["population"],
              "bitcoin_active_producers": windows["active_producers"],
              "bitcoin_last_window_intervals": bitcoin_last_window_intervals(data_dir),
              "bittensor_levels": bittensor_levels(data_dir)}
    titles = {
        "bitcoin_population": "Bitcoin mining entities per 30-day window; population: every listed entity, "
                              "including zero rows of entities active in an adjacent window",
        "bitcoin_active_producers": "Bitcoin mining entities per 30-day window; active producers only",
        "bitcoin_last_window_intervals": "Bootstrap 95% percentile intervals, last window, active producers",
    }
    levels = tables["bittensor_levels"]
    titles["bittensor_levels"] = (
        f"Bittensor subnet 15 stake per key ({levels.loc['holders', 'key']:.0f} uids) and per entity "
        f"({levels.loc['holders', 'entity']:.0f} distinct hotkeys). The snapshot has no coldkey column, so "
        f"no owner grouping is possible: the entity level is the hotkey, the only identity available")
    with pd.option_context("display.width", 250, "display.max_rows", 100,
                           "display.float_format", "{:.4g}".format):
        for name, table in tables.items():
            print(f"\n{titles[name]}\n{table.to_string()}")
    return tables


if __name__ == "__main__":
    main()
