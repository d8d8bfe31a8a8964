"""Inequality and concentration measures of holdings (rewards, stake, blocks, income).

Every function takes a list, an ndarray, a pandas Series or a DataFrame of
non-negative holdings and measures along ``axis`` (default the last), batched
over the other axes: a ``(epochs, operators)`` matrix gives one value per
epoch. 1-D input gives a float; N-D input an array of the leading shape; a
DataFrame a Series indexed by its rows (by its columns with ``axis=0``).
Results are bit-identical whatever the number of threads.

Bad input raises, never gets cleaned: empty input and all-zero rows raise
:class:`~fairshare.errors.DataError`, NaN or infinite holdings
:class:`~fairshare.errors.NaNError`, negative ones
:class:`~fairshare.errors.RangeError`, bad parameters
:class:`~fairshare.errors.ConfigError`. ``nan_policy="omit"`` drops NaN on request.

Per key and per entity (operator) reporting, the whole suite from one sort per
row, the Theil decomposition and bootstrap intervals are in
:func:`group_holdings`, :func:`summary`, :func:`theil_decomposition` and
:func:`bootstrap`.

=================  ==================================================================
module             job
=================  ==================================================================
``inequality``     Gini, Theil T, mean log deviation, Atkinson, EDE
``concentration``  HHI, entropy, effective number, Nakamoto coefficient, top shares,
                   Palma, Lorenz curve
``groups``         per-entity holdings, Theil decomposition, the whole suite per row
``bootstrap``      bootstrap percentile intervals of any measure
=================  ==================================================================
"""

from .concentration import (
                            LorenzCurve,
                            effective_number,
                            entropy,
                            hhi,
                            lorenz_curve,
                            nakamoto_coefficient,
                            palma,
                            top_k_share,
                            top_share,
)
from .groups import SUITE_COLUMNS, TheilDecomposition, group_holdings, summary, theil_decomposition
from .inequality import atkinson, ede, gini, mld, theil
from .resampling import BootstrapResult, bootstrap

__all__ = [
    "gini", "theil", "mld", "theil_decomposition", "atkinson", "ede", "hhi", "entropy",
    "effective_number", "nakamoto_coefficient", "top_k_share", "top_share", "palma",
    "lorenz_curve", "LorenzCurve", "group_holdings", "summary", "SUITE_COLUMNS", "bootstrap",
    "BootstrapResult", "TheilDecomposition",
]
