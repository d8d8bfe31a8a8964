"""Property suite of fairshare.metrics: kernels equal their oracles; the measures' axioms hold.

Strategies build float64, C-contiguous ``(rows, n)`` arrays that are valid by
construction (a row that came out all zero gets one positive holding), with
ties, zeros, single holders and values spread over 21 orders of magnitude.
"""

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fairshare as fs
from fairshare._kernels import inequality as kernels
from tests import naive
from tests.builders import HOLDINGS, matrices

pytestmark = pytest.mark.property

RTOL, ATOL = 1e-12, 1e-13  # kernels vs oracles: relative, or absolute near 0

POSITIVE = st.one_of(st.integers(1, 6).map(float), st.floats(1e-9, 1e12))
WHOLE = st.integers(0, 1000).map(float)




def vectors(elements=HOLDINGS, min_n=1, max_n=40):
    return matrices(elements=elements, min_n=min_n, max_n=max_n, max_rows=1).map(lambda m: m[0])


def close(actual, expected, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


EPSILONS = st.one_of(st.sampled_from([0.0, 0.5, 1.0, 2.0]), st.floats(0.0, 4.0))
# floats are read as the nearest fraction with a denominator at most 1000, so they stay inside [1/1000, 999/1000]
THRESHOLDS = st.one_of(st.sampled_from([1 / 3, 0.5, 2 / 3, 0.33, 0.66]), st.floats(1e-3, 1 - 1e-3))

# --------------------------------------------------------------------------- kernels = oracles


@given(matrices(), st.sampled_from(["theil", "entropy", "hhi"]))
def test_row_stats_equal_oracle(x, name):
    which = kernels.ROW_STATS[name]
    close(kernels.row_stats(x, which, 0.0), naive.row_stats(x, which, 0.0))


@given(matrices(elements=POSITIVE))
def test_mld_kernel_equals_oracle(x):
    which = kernels.ROW_STATS["mld"]
    close(kernels.row_stats(x, which, 0.0), naive.row_stats(x, which, 0.0))


@given(matrices(), EPSILONS)
def test_atkinson_kernel_equals_oracle(x, epsilon):
    which = kernels.ROW_STATS["atkinson_ratio"]
    close(kernels.row_stats(x, which, epsilon), naive.row_stats(x, which, epsilon))


@given(matrices(), st.data())
def test_gini_kernel_equals_oracle(x, data):
    xs = np.sort(x, axis=1)
    close(kernels.gini_sorted_rows(xs, xs, False), naive.gini_sorted_rows(xs, xs, False))
    w = data.draw(hnp.arrays(np.float64, x.shape, elements=st.integers(0, 5).map(float)))
    w[(w * xs).sum(axis=1) == 0, -1] = 1.0  # the largest holder of each row counts at least once
    close(kernels.gini_sorted_rows(xs, w, True), naive.gini_sorted_rows(xs, w, True))


@given(matrices(), st.floats(0.0, 1.0), st.booleans())
def test_lorenz_share_kernel_equals_oracle(x, fraction, from_top):
    xs = np.sort(x, axis=1)
    count = fraction * x.shape[1]
    close(kernels.lorenz_share_sorted_rows(xs, count, from_top),
          naive.lorenz_share_sorted_rows(xs, count, from_top))


@given(matrices(), THRESHOLDS, st.booleans())
def test_nakamoto_equals_the_exact_oracle(x, threshold, inclusive):
    """A float threshold is read as the nearest fraction with a denominator at most 1000."""
    xs = np.sort(x, axis=1)
    t = Fraction(threshold).limit_denominator(1000)
    np.testing.assert_array_equal(fs.nakamoto_coefficient(x, threshold, inclusive),
                                  naive.nakamoto_sorted_rows(xs, t.numerator, t.denominator, inclusive))


@given(matrices(elements=st.integers(0, 6).map(float), min_n=2), st.data(), st.booleans())
def test_nakamoto_at_exact_ties(x, data, inclusive):
    """Thresholds equal to the share of the top k holders, given as a Fraction."""
    x[:, :2] += 1.0  # at least two positive holders, so the top k < all of them hold < 1
    row = np.sort(x[0])
    k = data.draw(st.integers(1, int(np.count_nonzero(row)) - 1))
    threshold = Fraction(int(row[::-1][:k].sum()), int(row.sum()))
    reaching = fs.nakamoto_coefficient(x[0], threshold, inclusive=True)
    assert reaching <= k < fs.nakamoto_coefficient(x[0], threshold, inclusive=False)
    xs = np.sort(x, axis=1)
    np.testing.assert_array_equal(fs.nakamoto_coefficient(x, threshold, inclusive),
                                  naive.nakamoto_sorted_rows(xs, threshold.numerator, threshold.denominator,
                                                             inclusive))


@given(matrices(), EPSILONS, st.lists(st.floats(0.0, 1.0), min_size=1, max_size=3),
       st.lists(THRESHOLDS, min_size=1, max_size=3), st.booleans())
def test_suite_kernel_equals_oracle(x, epsilon, fractions, thresholds, inclusive):
    xs = np.sort(x, axis=1)
    counts = np.array(fractions) * x.shape[1]
    rationals = [Fraction(t).limit_denominator(1000) for t in thresholds]
    pairs = np.array([(t.numerator, t.denominator) for t in rationals], dtype=np.int64)
    args = (xs, epsilon, counts, counts[::-1].copy(), pairs, inclusive)
    values, nakamoto = kernels.suite_sorted_rows(*args)
    expected_values, expected_nakamoto = naive.suite_sorted_rows(*args)
    close(values, expected_values)
    np.testing.assert_array_equal(nakamoto, expected_nakamoto)


@st.composite
def grouped(draw):
    x = draw(matrices(min_n=2))
    n_groups = draw(st.integers(1, x.shape[1]))
    codes = np.array(draw(st.permutations(np.arange(x.shape[1]) % n_groups)), dtype=np.int64)
    return x, codes, n_groups


@given(grouped())
def test_group_kernels_equal_oracles(case):
    x, codes, n_groups = case
    close(kernels.group_sums(x, codes, n_groups), naive.group_sums(x, codes, n_groups))
    totals, theil = kernels.group_theil(x, codes, n_groups)
    expected_totals, expected_theil = naive.group_theil(x, codes, n_groups)
    close(totals, expected_totals)
    close(theil, expected_theil)  # NaN where a group holds nothing, in both


# --------------------------------------------------------------------------- invariances

SCALE_FREE = {
    "gini": fs.gini, "theil": fs.theil, "atkinson": lambda x: fs.atkinson(x, 0.7), "hhi": fs.hhi,
    "entropy": fs.entropy, "top_k_share": lambda x: fs.top_k_share(x, 1),
    "top_share": lambda x: fs.top_share(x, 0.3), "palma": fs.palma,
    "corrected_gini": lambda x: fs.gini(x, corrected=True),
}
REPLICATION_FREE = {k: SCALE_FREE[k] for k in ("gini", "theil", "atkinson", "top_share", "palma")}


@given(matrices(min_n=2), st.floats(1e-3, 1e3), st.sampled_from(sorted(SCALE_FREE)))
def test_scale_invariance(x, factor, name):
    close(SCALE_FREE[name](x * factor), SCALE_FREE[name](x), rtol=1e-10, atol=1e-12)


@given(matrices(elements=POSITIVE), st.floats(1e-3, 1e3))
def test_scale_invariance_of_mld(x, factor):
    close(fs.mld(x * factor), fs.mld(x), rtol=1e-10, atol=1e-12)


@given(matrices(), st.integers(-20, 20), THRESHOLDS)
def test_nakamoto_is_exactly_scale_invariant_under_powers_of_two(x, power, threshold):
    np.testing.assert_array_equal(fs.nakamoto_coefficient(x * 2.0**power, threshold),
                                  fs.nakamoto_coefficient(x, threshold))


@given(matrices(), st.randoms(use_true_random=False))
def test_permutation_invariance(x, random):
    order = list(range(x.shape[1]))
    random.shuffle(order)
    y = np.ascontiguousarray(x[:, order])
    for sort_based in (fs.gini, fs.palma, lambda v: fs.top_share(v, 0.25), fs.nakamoto_coefficient):
        np.testing.assert_array_equal(sort_based(y), sort_based(x))  # one sort: bit-identical
    for summed in (fs.theil, fs.hhi, fs.entropy, lambda v: fs.atkinson(v, 1.5)):
        close(summed(y), summed(x))


@given(matrices(), st.integers(2, 4), st.sampled_from(sorted(REPLICATION_FREE)))
def test_replication_invariance(x, copies, name):
    close(REPLICATION_FREE[name](np.tile(x, copies)), REPLICATION_FREE[name](x), rtol=1e-10, atol=1e-12)


@given(matrices(elements=POSITIVE), st.integers(2, 4))
def test_replication_invariance_of_mld(x, copies):
    close(fs.mld(np.tile(x, copies)), fs.mld(x), rtol=1e-10, atol=1e-12)


@given(matrices(), st.integers(2, 4), st.data())
def test_counting_measures_follow_the_population_size(x, copies, data):
    """hhi, entropy, effective number, top_k_share and the corrected Gini are not replication
    invariant; they move exactly so."""
    y = np.tile(x, copies)
    n = x.shape[1]
    close(fs.gini(y, corrected=True), fs.gini(x) * (copies * n) / (copies * n - 1), rtol=1e-10, atol=1e-12)
    close(fs.hhi(y), fs.hhi(x) / copies, rtol=1e-10)
    close(fs.entropy(y), fs.entropy(x) + math.log(copies), rtol=1e-10, atol=1e-12)
    close(fs.effective_number(y), fs.effective_number(x) * copies, rtol=1e-10)
    k = data.draw(st.integers(1, x.shape[1]))
    close(fs.top_k_share(y, k * copies), fs.top_k_share(x, k), rtol=1e-10)


# --------------------------------------------------------------------------- bounds and equality


@given(matrices())
def test_bounds(x):
    n = x.shape[1]
    tol = 1e-12
    g = fs.gini(x)
    assert np.all(g >= 0) and np.all(g <= 1 - 1 / n + tol)
    assert np.all(fs.hhi(x) >= 1 / n - tol) and np.all(fs.hhi(x) <= 1 + tol)
    assert np.all(fs.theil(x) >= -tol) and np.all(fs.theil(x) <= math.log(n) + tol)
    assert np.all(fs.entropy(x) >= 0) and np.all(fs.entropy(x) <= math.log(n) + tol)
    assert np.all(fs.effective_number(x) >= 1 - tol) and np.all(fs.effective_number(x) <= n * (1 + tol))
    a = fs.atkinson(x, 1.5)
    assert np.all(a >= -tol) and np.all(a <= 1 + tol)
    naka = fs.nakamoto_coefficient(x)
    assert np.all(naka >= 1) and np.all(naka <= n)
    assert np.all(fs.palma(x) >= 0.25 - tol)
    if n > 1:
        assert np.all(fs.gini(x, corrected=True) <= 1 + tol)
    for k in {1, (n + 1) // 2, n}:
        share = fs.top_k_share(x, k)
        assert np.all(share >= k / n - tol) and np.all(share <= 1 + tol)


@given(st.integers(1, 50), st.floats(1e-6, 1e9), st.sampled_from([0.01, 0.1, 0.5, 1.0]))
def test_equality_gives_the_minimum(n, level, fraction):
    x = np.full((2, n), level)
    assert np.all(fs.gini(x) == 0.0)
    for zero_at_equality in (fs.theil(x), fs.mld(x), fs.atkinson(x, 0.5), fs.atkinson(x, 2.0)):
        close(zero_at_equality, 0.0, atol=1e-14)
    close(fs.hhi(x), 1 / n)
    close(fs.effective_number(x), n)
    close(fs.top_share(x, fraction), fraction)
    close(fs.palma(x), 0.25)


# --------------------------------------------------------------------------- transfers and merges


@st.composite
def transfers(draw):
    """(x, y): y moves part of the gap from the largest to the smallest holder (ranks kept)."""
    x = draw(vectors(elements=st.integers(1, 1000).map(float), min_n=2))
    rich, poor = int(np.argmax(x)), int(np.argmin(x))
    if x[rich] == x[poor]:
        rich, poor = 0, 1
        x[rich] += 1.0
    delta = draw(st.floats(0.05, 1.0)) * (x[rich] - x[poor]) / 2
    y = x.copy()
    y[rich] -= delta
    y[poor] += delta
    return x, y


@given(transfers())
def test_pigou_dalton_transfers_lower_inequality(case):
    x, y = case
    for measure in (fs.gini, fs.theil, fs.mld, fs.hhi, lambda v: fs.atkinson(v, 0.5),
                    lambda v: fs.atkinson(v, 1.0), lambda v: fs.atkinson(v, 3.0)):
        assert measure(y) < measure(x)
    assert fs.entropy(y) > fs.entropy(x)


@given(vectors(elements=WHOLE, min_n=2), st.data(), THRESHOLDS, st.booleans())
def test_merging_two_holders_never_raises_nakamoto(x, data, threshold, inclusive):
    i, j = data.draw(st.lists(st.integers(0, x.size - 1), min_size=2, max_size=2, unique=True))
    merged = x.copy()
    merged[i] += merged[j]
    merged = np.delete(merged, j)
    before = fs.nakamoto_coefficient(x, threshold, inclusive)
    assert fs.nakamoto_coefficient(merged, threshold, inclusive) <= before


# --------------------------------------------------------------------------- decomposition, suite


@given(grouped())
def test_theil_decomposition_adds_up(case):
    x, codes, _ = case
    d = fs.theil_decomposition(x, codes)
    close(d.within + d.between, d.total, rtol=1e-10, atol=1e-12)
    assert np.all(d.between >= -1e-12) and np.all(d.within >= -1e-12)


@given(matrices(min_n=2))
def test_summary_agrees_with_the_individual_functions(x):
    table = fs.metrics.summary(x)
    expected = {"gini": fs.gini(x), "theil": fs.theil(x), "hhi": fs.hhi(x), "entropy": fs.entropy(x),
                "effective_number": fs.effective_number(x), "atkinson_0.5": fs.atkinson(x, 0.5),
                "max_share": fs.top_k_share(x, 1), "top_1pct_share": fs.top_share(x, 0.01),
                "top_10pct_share": fs.top_share(x, 0.1), "palma": fs.palma(x)}
    for column, values in expected.items():
        close(table[column].to_numpy(), values, rtol=1e-11, atol=1e-12)
    for column, threshold in (("nakamoto_1/3", 1 / 3), ("nakamoto_1/2", 0.5)):
        np.testing.assert_array_equal(table[column], fs.nakamoto_coefficient(x, threshold))
    assert isinstance(table, pd.DataFrame) and list(table.index) == list(range(len(x)))
