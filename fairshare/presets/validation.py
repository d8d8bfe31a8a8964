"""Our models of protocol rules against independent references: one table, one row per check.

- Yuma (:func:`~fairshare.presets.yuma_chain.yuma_chain_epoch`, original and Yuma3, exact and float mode) against
  subtensor's own epoch test cases [sources: subtensor-epoch], at the chain's tolerance for each assert (the case
  data and their replay: ``fairshare/presets/_subtensor_cases.py``).
- OpenGradient's SVIP schedule (:func:`fairshare.economics.svip_emission`, a closed form per epoch) against the
  per-block formula of the chain's module, ``CalculateBlockReward`` in ``x/svip/keeper/reward.go``
  [sources: og-svip-module]: each block pays ``rate(t) x blockDelta`` with
  ``rate(t) = (ln 2 / half_life) x pool x exp(-lambda t)`` at the block's time ``t`` since activation.
"""

from __future__ import annotations

from math import log

import numpy as np
import pandas as pd

from ..economics.svip import SVIP_POOL_TOKENS, SVIP_RECOMMENDED_HALF_LIFE_DAYS, svip_emission
from ..errors import ConfigError
from . import _subtensor_cases as subtensor

__all__ = ["validation_table", "svip_block_reference"]

SVIP_SOURCE = "OpenGradient/og-evm x/svip/keeper/reward.go"
SVIP_COMMIT = "455e7c9ebf74a97a2481ba65a7d9ae1c10f49066"
#: Days of the SVIP schedule checked: the first, one year on, and one half-life (15 years) on.
SVIP_DAYS = (0, 365, 5478)

_COLUMNS = ["model", "reference", "sources_key", "commit", "case", "variant", "mode", "quantity",
            "largest_difference", "tolerance", "unit", "tolerance_basis", "passed"]


def svip_block_reference(day: int, *, block_seconds: float = 1.0,
                         half_life_days: float = SVIP_RECOMMENDED_HALF_LIFE_DAYS,
                         pool_tokens: float = SVIP_POOL_TOKENS) -> float:
    """Tokens the SVIP module pays over day ``day`` after activation, summed block by block.

    Each block at time ``t`` (seconds since activation, the block's own time) pays
    ``lambda x pool x exp(-lambda t) x block_seconds`` with ``lambda = ln 2 / half_life``, as
    ``CalculateBlockReward`` does [sources: og-svip-module] (the module also rounds each block's reward to whole
    base units of an 18-decimal token, 1e-18 tokens, left out here).

    Parameters
    ----------
    day : int
        Day since activation, >= 0.
    block_seconds : float, default 1
        Time between blocks; ``86400 / block_seconds`` must be a whole number.
    half_life_days, pool_tokens : float
        As in :func:`fairshare.economics.svip_emission`.

    Returns
    -------
    float
        Tokens paid by the blocks of that day. The closed form ``pool (exp(-lambda t0) - exp(-lambda t1))``
        differs from it by about ``lambda x block_seconds / 2`` relative (the right Riemann sum of the rate).
    """
    blocks = 86_400.0 / block_seconds
    if not (isinstance(day, (int, np.integer)) and day >= 0) or blocks != int(blocks) or block_seconds <= 0:
        raise ConfigError(f"svip_block_reference needs a day >= 0 and a block time dividing 86,400 s; got day "
                          f"{day!r} and block_seconds {block_seconds!r}.")
    lam = log(2.0) / (half_life_days * 86_400.0)
    t = day * 86_400.0 + block_seconds * np.arange(1, int(blocks) + 1)
    return float(np.sum(lam * pool_tokens * np.exp(-lam * t) * block_seconds))


def _svip_row() -> dict:
    block_seconds = 1.0
    closed = svip_emission(max(SVIP_DAYS) + 1, activation_epoch=0)
    worst = max(abs(closed[d] - svip_block_reference(d, block_seconds=block_seconds)) / closed[d] for d in SVIP_DAYS)
    lam = log(2.0) / (SVIP_RECOMMENDED_HALF_LIFE_DAYS * 86_400.0)
    tol = lam * block_seconds + 1e-10
    return dict(model="fs.economics.svip_emission", reference="per-block formula of the SVIP module",
                sources_key="og-svip-module", commit=SVIP_COMMIT, case=f"{SVIP_SOURCE}: CalculateBlockReward",
                variant="15-year half-life, 100M OPG", mode="float",
                quantity=f"tokens per day, days {', '.join(f'{d:,}' for d in SVIP_DAYS)} (relative)",
                largest_difference=float(worst), tolerance=float(tol), unit="relative",
                tolerance_basis=f"lambda x block time ({block_seconds:g} s blocks): the per-block sum's "
                                f"discretisation, plus 1e-10 rounding. Checks the closed form against the "
                                f"module's per-block rule with the same pool and half-life; the constants "
                                f"themselves are checked against their source by reading it",
                passed=bool(worst <= tol))


def validation_table(*, cases=None, modes=("exact", "float"), svip: bool = True) -> pd.DataFrame:
    """One row per check of our protocol models against an independent reference.

    Parameters
    ----------
    cases : sequence of str, optional
        subtensor epoch test cases to replay (names as in ``epoch.rs``); None: all of them, the 512-uid graph in
        exact mode included (about 0.3 s of the table's 0.4 s).
    modes : sequence of {"exact", "float"}
        Modes of :func:`~fairshare.presets.yuma_chain.yuma_chain_epoch` to replay them in.
    svip : bool, default True
        Add the row of the SVIP schedule against the module's per-block formula.

    Returns
    -------
    DataFrame
        Columns ``model``, ``reference``, ``sources_key`` (a key of ``docs/sources.md``), ``commit`` (of the
        reference), ``case``, ``variant``, ``mode``, ``quantity``, ``largest_difference`` (largest absolute
        difference over the case's checked values; relative for SVIP), ``tolerance``, ``unit``,
        ``tolerance_basis`` (the chain's own tolerance for the assert, or the stated float bound where float
        mode provably cannot meet the chain's equality) and ``passed``.

    Notes
    -----
    Exact mode reproduces subtensor's asserts at the chain's own tolerance. Float mode is the rule in real
    arithmetic: where the chain asserts an integer that its own truncations put below the real value (emissions in
    rao, original Yuma's drifting u16 bonds), float mode is held to the bound stated in ``tolerance_basis``
    (``docs/presets.md`` gives the measured differences).

    Examples
    --------
    >>> t = validation_table(cases=["test_yuma_3_bonds_reset"], svip=False)
    >>> t[["mode", "quantity", "passed"]].values.tolist()[:2]
    [['exact', 'dividends (u16 / 65535)', True], ['exact', 'stored bonds (u16 / 65535)', True]]
    """
    chosen = subtensor.CASES if cases is None else tuple(cases)
    unknown = [c for c in chosen if c not in subtensor.CASES]
    if unknown:
        raise ConfigError(f"validation_table cases {unknown} are not among subtensor's ported epoch tests "
                          f"{list(subtensor.CASES)}.")
    if not modes or any(m not in ("exact", "float") for m in modes):
        raise ConfigError(f"validation_table modes must be 'exact' and/or 'float', got {modes!r}.")
    rows = []
    for case in chosen:
        for mode in modes:
            for row in subtensor.run_case(case, mode):
                rows.append(dict(model="fs.presets.yuma_chain_epoch", reference="subtensor epoch test",
                                 sources_key="subtensor-epoch", commit=subtensor.COMMIT,
                                 **{**row, "case": f"{subtensor.PATH}: {case}"}))
    if svip:
        rows.append(_svip_row())
    return pd.DataFrame(rows, columns=_COLUMNS)
