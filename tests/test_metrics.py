"""fairshare.metrics: published values, input and output shapes, errors, grouping, bootstrap, example."""

import doctest
import importlib.util
from pathlib import Path

import numba
import numpy as np
import pandas as pd
import pytest

import fairshare as fs
from fairshare._kernels import inequality as kernels
from fairshare.errors import AlignmentError, ConfigError, DataError, NaNError, RangeError
from fairshare.metrics import resampling as _metrics_bootstrap

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "real"  # provenance and licences: data/real/README.md
PUBLISHED = dict(rel=0, abs=5e-8)  # values printed with 7 decimals


@pytest.fixture(scope="module")
def mexico():
    frame = pd.read_csv(DATA / "mexico_gdp_per_capita.csv")
    years = [f"pcgdp{year}" for year in range(1940, 2010, 10)]
    return frame[years].to_numpy().T, frame["hanson98"].to_numpy()


@pytest.fixture(scope="module")
def ilocos():
    frame = pd.read_csv(DATA / "ilocos_income.csv")
    return {p: frame.income[frame.province == p] / 10000 for p in ("Pangasinan", "La Union")}


# --------------------------------------------------------------------------- published values


def test_mexico_gini_and_theil_match_pysal(mexico):
    """pysal/inequality tests: test_gini.py (1940) and test_theil.py (Theil T, TheilD between, hanson98)."""
    y, regions = mexico
    assert fs.gini(y[0]) == pytest.approx(0.35372371173452849, rel=1e-14)
    theil_t = [0.20894344, 0.15222451, 0.10472941, 0.10194725, 0.09560113, 0.10511256, 0.10660832]
    np.testing.assert_allclose(fs.theil(y), theil_t, atol=5e-9)
    between = [0.0345889, 0.02816853, 0.05260921, 0.05931219, 0.03205257, 0.02963731, 0.03635872]
    np.testing.assert_allclose(fs.theil_decomposition(y, regions).between, between, atol=5e-9)


def test_ilocos_atkinson_and_theil_match_r_ineq(ilocos):
    """R package ineq 0.2-13, tests/Examples/ineq-Ex.Rout.save (example of Lc): Atkinson (0.5), Theil(0)."""
    assert fs.atkinson(ilocos["Pangasinan"], 0.5) == pytest.approx(0.1291856, **PUBLISHED)
    assert fs.atkinson(ilocos["La Union"], 0.5) == pytest.approx(0.1672924, **PUBLISHED)
    assert fs.theil(ilocos["Pangasinan"]) == pytest.approx(0.2837236, **PUBLISHED)
    assert fs.theil(ilocos["La Union"]) == pytest.approx(0.3622122, **PUBLISHED)


def test_r_ineq_worked_examples():
    """ineq 0.2-13 examples: ineq(x), Atkinson 0.5, conc(x) (Herfindahl), Gini(x, corr = TRUE) of Lasym."""
    x = [541, 1463, 2445, 3438, 4437, 5401, 6392, 8304, 11904, 22261]
    assert fs.gini(x) == pytest.approx(0.4620911, **PUBLISHED)
    assert fs.atkinson(x, 0.5) == pytest.approx(0.1796591, **PUBLISHED)
    assert fs.hhi(x) == pytest.approx(0.1840812, **PUBLISHED)
    damgaard_weiner = np.repeat([50 / 9, 50], [9, 1])
    assert fs.gini(damgaard_weiner, corrected=True) == pytest.approx(0.4444444, **PUBLISHED)


def test_pysal_atkinson_examples():
    """pysal/inequality tests/test_atkinson.py (values given to 1e-5)."""
    incomes = [10, 20, 30, 40, 50]
    assert fs.atkinson(incomes, 0.5) == pytest.approx(0.06315, abs=1e-5)
    assert fs.ede(incomes, 0.5) == pytest.approx(28.105398233, abs=1e-5)
    assert fs.atkinson(incomes, 1) == pytest.approx(0.1316096, abs=1e-5)
    assert fs.ede(incomes, 1) == pytest.approx(26.0517108, abs=1e-5)
    assert fs.atkinson(incomes, 0) == 0.0 and fs.ede(incomes, 0) == pytest.approx(30.0)


def test_edinburgh_decentralisation_index_examples():
    """Blockchain-Technology-Lab/consensus-decentralization tests/test_metrics.py.

    That project counts entities whose share reaches 50% (>=), our ``inclusive=True``.
    """
    assert fs.gini([1, 2, 3, 4, 5]) == pytest.approx(0.26667, abs=5e-6)
    assert fs.gini([368, 156, 20, 7, 10, 49, 22, 1]) == pytest.approx(0.67792, abs=5e-6)
    assert fs.gini([1, 1, 3, 0, 0]) == pytest.approx(0.56, abs=5e-6)
    assert fs.entropy([1, 2, 3], base=2) == pytest.approx(1.459, abs=5e-4)
    assert fs.nakamoto_coefficient([1, 2, 3], inclusive=True) == 1
    assert fs.nakamoto_coefficient([1, 2, 3, 1, 1, 1], inclusive=True) == 2
    assert fs.nakamoto_coefficient([1], inclusive=True) == 1
    assert fs.nakamoto_coefficient([1, 2, 3]) == 2  # strict: 3 of 6 is not more than half
    for blocks, expected in (([1] * 10, 1000), ([8, 6, 3, 3], 2950), ([2, 2], 5000), ([1], 10000)):
        assert fs.hhi(blocks) * 10_000 == pytest.approx(expected, rel=1e-12)


def test_palma_interpolates_on_the_lorenz_curve():
    """concstats docs: concstats_palma(c(.4, .2, .25, .1, .05)) = 2.666667 = 0.4 / 0.15, the whole
    largest holder as the top 10%; on the Lorenz curve the top 10% of 5 holders is half of it."""
    shares = [0.4, 0.2, 0.25, 0.1, 0.05]
    assert fs.palma(shares) == pytest.approx(0.2 / 0.15, rel=1e-12)
    assert fs.palma(np.repeat(shares, 2)) == pytest.approx(0.2 / 0.15, rel=1e-12)
    assert fs.palma(range(1, 11)) == pytest.approx(1.0, rel=1e-12)


def test_small_hand_computed_values():
    assert fs.gini([0, 0, 0, 8]) == 0.75 and fs.gini([0, 0, 0, 8], corrected=True) == 1.0
    assert fs.mld([1, 4]) == pytest.approx(np.log(1.25), rel=1e-14)  # mean 2.5: ln(2.5 / 2)
    assert fs.effective_number([1, 1, 2]) == pytest.approx(np.exp(1.5 * np.log(2)), rel=1e-14)
    assert fs.top_k_share([1, 1, 2, 4], 2) == 0.75
    assert fs.top_share([1, 1, 2, 4], 0.125) == 0.25
    assert fs.nakamoto_coefficient([5, 3, 1, 1], threshold=1 / 3) == 1
    assert fs.nakamoto_coefficient([4, 4, 1, 1], threshold=0.8, inclusive=True) == 2
    assert fs.atkinson([0, 1, 2], 1.0) == 1.0 and fs.atkinson([0, 1, 2], 2.0) == 1.0


# --------------------------------------------------------------------------- shapes and labels


def test_shapes_follow_the_input():
    rng = np.random.default_rng(0)
    cube = rng.random((2, 3, 5))
    assert isinstance(fs.gini([1, 2]), float) and isinstance(fs.nakamoto_coefficient([1, 2]), int)
    assert fs.gini(cube).shape == (2, 3)
    np.testing.assert_array_equal(fs.gini(cube, axis=1), fs.gini(np.moveaxis(cube, 1, -1)))
    np.testing.assert_array_equal(fs.gini(cube)[1, 2], fs.gini(cube[1, 2]))
    assert fs.nakamoto_coefficient(cube).dtype == np.int64


def test_pandas_in_pandas_out():
    frame = pd.DataFrame({"a": [1.0, 2.0, 0.0], "b": [3.0, 2.0, 5.0]}, index=["e1", "e2", "e3"])
    by_row = fs.theil(frame)
    assert isinstance(by_row, pd.Series) and list(by_row.index) == ["e1", "e2", "e3"]
    assert by_row.name == "theil" and by_row["e3"] == pytest.approx(np.log(2))
    by_column = fs.hhi(frame, axis=0)
    assert list(by_column.index) == ["a", "b"] and by_column["a"] == pytest.approx(5 / 9)
    assert fs.gini(frame.loc["e1"]) == fs.gini([1.0, 3.0])
    curve = fs.lorenz_curve(frame)
    assert list(curve.holding_share.index) == ["e1", "e2", "e3"]
    np.testing.assert_allclose(curve.holding_share.loc["e3"], [0, 0, 1])


def test_lorenz_curve_points():
    curve = fs.lorenz_curve([[3.0, 1.0, 0.0, 4.0]])
    np.testing.assert_array_equal(curve.population_share, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(curve.holding_share, [[0, 0, 0.125, 0.5, 1]])


def test_weights_are_frequency_weights():
    x, w = np.array([3.0, 1.0, 7.0, 2.0]), np.array([2, 0, 1, 3])
    replicated = np.repeat(x, w)
    assert fs.gini(x, weights=w) == pytest.approx(fs.gini(replicated), rel=1e-14)
    assert fs.gini(x, weights=w, corrected=True) == pytest.approx(fs.gini(replicated, corrected=True))
    batch = np.stack([x, x[::-1]])
    np.testing.assert_allclose(fs.gini(batch, weights=w), [fs.gini(x, weights=w),
                                                           fs.gini(x[::-1], weights=w)])


def test_pandas_weights_align_by_label():
    x = pd.Series([3.0, 1.0, 7.0], index=["a", "b", "c"])
    w = pd.Series({"c": 1.0, "a": 2.0, "b": 0.0})
    assert fs.gini(x, weights=w) == fs.gini([3.0, 1.0, 7.0], weights=[2.0, 0.0, 1.0])
    with pytest.raises(AlignmentError, match=r"weights have no entry for 1 label\(s\) of x \(first: \['c'\]\)"):
        fs.gini(x, weights=w.drop("c"))


def test_nan_policy_omit_drops_nan_per_row():
    x = np.array([[1.0, np.nan, 3.0, 0.0], [2.0, 2.0, np.nan, np.nan]])
    np.testing.assert_allclose(fs.gini(x, nan_policy="omit"), [fs.gini([1, 3, 0]), 0.0])
    assert fs.nakamoto_coefficient(x, nan_policy="omit").tolist() == [1, 2]  # 2 of 4 is not > half
    assert fs.gini(pd.Series([1.0, None, 3.0]), nan_policy="omit") == fs.gini([1, 3])


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("x,error,match", [
    ([], DataError, r"gini: x is empty \(shape \(0,\)"),
    (np.zeros((2, 0)), DataError, "x is empty"),
    ([1.0, np.nan], NaNError, r"1 NaN value\(s\) \(first at position 1: nan\).*nan_policy='omit'"),
    ([1.0, np.inf, -np.inf], NaNError, r"2 infinite value\(s\).*must be finite"),
    ([1.0, -2.0], RangeError, r"1 negative value\(s\) \(first at position 1: -2.0\); x must be >= 0"),
    ([0, 0, 0], DataError, "x has all holdings zero"),
    ([[1, 2], [0, 0]], DataError, r"row \(1,\) of x has all holdings zero"),
    ([1e308, 1e308], DataError, "overflows float64; rescale x"),
    (["a", "b"], DataError, "x must hold numbers"),
    (3.0, DataError, "got the scalar 3.0"),
])
def test_bad_holdings_raise_typed_errors(x, error, match):
    with pytest.raises(error, match=match):
        fs.gini(x)


def test_errors_name_labels_and_rows():
    frame = pd.DataFrame({"a": [1.0, -1.0], "b": [1.0, 1.0]}, index=["w1", "w2"])
    with pytest.raises(RangeError, match=r"first at row 'w2', column 'a': -1.0"):
        fs.hhi(frame)
    with pytest.raises(DataError, match="row 'w2' of x has all holdings zero"):
        fs.hhi(pd.DataFrame({"a": [1.0, 0.0]}, index=["w1", "w2"]))
    with pytest.raises(RangeError, match=r"1 zero value\(s\).*x must be > 0 for the mean log deviation"):
        fs.mld([1.0, 0.0])
    with pytest.raises(DataError, match=r"row \(0,\) of x holds only NaN; nothing is left after nan_policy='omit'"):
        fs.gini([[np.nan, np.nan]], nan_policy="omit")


@pytest.mark.parametrize("call,match", [
    (lambda: fs.atkinson([1, 2], -0.5), r"atkinson: epsilon must be a finite number in \[0, inf\], got -0.5"),
    (lambda: fs.atkinson([1, 2], np.nan), "epsilon must be a finite number"),
    (lambda: fs.nakamoto_coefficient([1, 2], 1.0), r"threshold must be strictly between 0 and 1, got 1.0\.$"),
    (lambda: fs.nakamoto_coefficient([1, 2], 0.5, inclusive="yes"), "inclusive must be True or False"),
    (lambda: fs.top_k_share([1, 2], 3), r"k must be an integer from 1 to 2 \(the number of holders\), got 3"),
    (lambda: fs.top_k_share([1, 2], 1.5), "k must be an integer"),
    (lambda: fs.top_share([1, 2], 1.5), r"fraction must be a finite number in \[0, 1\], got 1.5"),
    (lambda: fs.entropy([1, 2], base=1), "base must be a finite number in .* other than 1"),
    (lambda: fs.gini([1, 2], nan_policy="drop"), "nan_policy must be 'raise' or 'omit', got 'drop'"),
    (lambda: fs.gini([1, 2], corrected="yes"), "corrected must be True or False"),
    (lambda: fs.gini([[1, 2]], axis=2), "axis 2 is out of range for x with 2 dimension"),
    (lambda: fs.gini(pd.Series([1, 2]), axis=1), "axis must be 0 or -1 for a Series"),
])
def test_bad_parameters_raise_config_errors(call, match):
    with pytest.raises(ConfigError, match=match):
        call()


def test_bad_weights_and_corrected_single_holder():
    with pytest.raises(DataError, match=r"weights must have the shape of x or hold one weight per holder \(2,\)"):
        fs.gini([1, 2], weights=[1, 2, 3])
    with pytest.raises(RangeError, match="weights holds 1 negative value"):
        fs.gini([1, 2], weights=[1, -1])
    with pytest.raises(DataError, match=r"all weighted holdings \(weights times x\) zero"):
        fs.gini([1, 0], weights=[0, 1])
    with pytest.raises(DataError, match="corrected=True needs more than one holder"):
        fs.gini([5.0], corrected=True)


# --------------------------------------------------------------------------- entities and the suite


def test_group_holdings_by_key_map_and_by_position():
    stake = pd.Series([5.0, 3.0, 2.0, 1.0], index=["k1", "k2", "k3", "k4"], name="stake")
    owner = pd.Series({"k4": "b", "k3": "a", "k2": "b", "k1": "a"}, name="operator")
    grouped = fs.metrics.group_holdings(stake, owner)
    assert grouped.to_dict() == {"a": 7.0, "b": 4.0} and grouped.index.name == "operator"
    epochs = pd.DataFrame([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 1.0, 1.0]], columns=stake.index)
    np.testing.assert_array_equal(fs.metrics.group_holdings(epochs, owner), [[4.0, 6.0], [1.0, 1.0]])
    np.testing.assert_array_equal(fs.metrics.group_holdings(epochs.to_numpy(), ["x", "y", "x", "y"]),
                                  [[4.0, 6.0], [1.0, 1.0]])


def test_group_holdings_alignment_errors():
    stake = pd.Series([5.0, 3.0], index=["k1", "k2"])
    with pytest.raises(AlignmentError, match=r"entity gives no label to 1 keys of x \(first: \['k2'\]\)"):
        fs.metrics.group_holdings(stake, pd.Series({"k1": "a"}))
    with pytest.raises(AlignmentError, match=r"one label per holder \(2\), got 3"):
        fs.metrics.group_holdings(stake.to_numpy(), ["a", "b", "c"])


def test_summary_side_by_side_per_key_and_entity():
    stake = pd.Series([4.0, 4.0, 1.0, 1.0], index=["k1", "k2", "k3", "k4"])
    owner = pd.Series({"k1": "a", "k2": "a", "k3": "b", "k4": "c"})
    table = fs.metrics.summary(stake, entity=owner)
    assert list(table.columns) == ["key", "entity"] and list(table.index) == list(fs.metrics.SUITE_COLUMNS)
    assert table.loc["holders"].tolist() == [4, 3]
    assert table.loc["nakamoto_1/2", "key"] == 2 and table.loc["nakamoto_1/2", "entity"] == 1
    assert table.loc["gini", "entity"] == pytest.approx(fs.gini([8.0, 1.0, 1.0]))
    epochs = pd.DataFrame([[4.0, 4.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]], columns=stake.index, index=[7, 8])
    wide = fs.metrics.summary(epochs, entity=owner)
    assert wide.columns.names == ["level", "metric"] and list(wide.index) == [7, 8]
    assert wide[("entity", "nakamoto_1/2")].tolist() == [1, 2]
    assert wide[("key", "holders")].dtype == np.int64


def test_theil_decomposition_detail():
    x = pd.Series([1.0, 3.0, 2.0, 2.0, 0.0], index=list("abcde"))
    groups = pd.Series({"a": "g1", "b": "g1", "c": "g2", "d": "g2", "e": "g3"})
    d = fs.theil_decomposition(x, groups)
    detail = d.to_frame()
    assert list(detail.index) == ["g1", "g2", "g3"] and np.isnan(detail.loc["g3", "theil"])
    np.testing.assert_allclose(detail.population_share, [0.4, 0.4, 0.2])
    assert detail.within_contribution.sum() == pytest.approx(d.within, rel=1e-14)
    assert d.total == fs.theil(x) and d.within + d.between == pytest.approx(d.total, rel=1e-13)
    with pytest.raises(ConfigError, match=r"to_frame: needs the decomposition of one distribution"):
        fs.theil_decomposition(np.stack([x, x]), groups.to_numpy()).to_frame()
    single = fs.theil_decomposition(x, ["all"] * 5)
    assert single.between == 0.0 and single.within == pytest.approx(single.total, rel=1e-14)


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_is_reproducible_and_blockwise_identical(monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.pareto(1.5, 300)
    first = fs.metrics.bootstrap(fs.gini, x, n_resamples=400, confidence=0.9, seed=42)
    monkeypatch.setattr(_metrics_bootstrap, "_BLOCK_ELEMENTS", 7 * 300)
    blocked = fs.metrics.bootstrap(fs.gini, x, n_resamples=400, confidence=0.9, seed=42)
    np.testing.assert_array_equal(first.resamples, blocked.resamples)
    assert first.resamples.shape == (400,) and first.estimate == fs.gini(x)
    assert first.low == np.quantile(first.resamples, 0.05) and first.high == np.quantile(first.resamples, 0.95)
    assert first.low < first.estimate < first.high and first.method == "percentile"
    other = fs.metrics.bootstrap(fs.gini, x, n_resamples=400, confidence=0.9, seed=43)
    assert not np.array_equal(other.resamples, first.resamples)


def test_bootstrap_resamples_match_direct_evaluation():
    x, w = np.array([5.0, 1.0, 2.0, 9.0, 0.0]), np.array([1.0, 2.0, 1.0, 1.0, 3.0])
    result = fs.metrics.bootstrap(fs.gini, x, n_resamples=20, seed=3, weights=w)
    idx = np.random.default_rng(3).integers(0, 5, size=(20, 5))
    expected = [fs.gini(x[i], weights=w[i]) for i in idx]
    np.testing.assert_allclose(result.resamples, expected, rtol=1e-14)
    batch = fs.metrics.bootstrap(fs.nakamoto_coefficient, np.stack([x, x + 1]), n_resamples=20, seed=3,
                                 threshold=1 / 3)
    assert batch.resamples.shape == (2, 20)
    assert batch.estimate.tolist() == [fs.nakamoto_coefficient(v, 1 / 3) for v in (x, x + 1)]


def test_bootstrap_errors():
    with pytest.raises(ConfigError, match="seed is required"):
        fs.metrics.bootstrap(fs.gini, [1, 2], seed=None)
    with pytest.raises(ConfigError, match="metric must be a callable"):
        fs.metrics.bootstrap("gini", [1, 2], seed=0)
    with pytest.raises(ConfigError, match=r"confidence must be a finite number in \(0, 1\)"):
        fs.metrics.bootstrap(fs.gini, [1, 2], confidence=95, seed=0)
    with pytest.raises(DataError, match="bootstrap: gini is undefined on at least one resample"):
        fs.metrics.bootstrap(fs.gini, [0.0] * 9 + [1.0], n_resamples=50, seed=0)


# --------------------------------------------------------------------------- determinism, purity, docs


def test_results_do_not_depend_on_the_thread_count():
    x = np.random.default_rng(7).lognormal(0, 2, (64, 2000))  # above PARALLEL_MIN_ELEMENTS
    x[:, :50] = 0.0
    assert x.size >= kernels.PARALLEL_MIN_ELEMENTS
    runs = []
    for threads in (1, numba.config.NUMBA_NUM_THREADS):
        numba.set_num_threads(threads)
        try:
            runs.append((fs.metrics.summary(x), fs.gini(x, weights=x[0] + 1), fs.mld(x + 1)))
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    pd.testing.assert_frame_equal(runs[0][0], runs[1][0], check_exact=True)
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    np.testing.assert_array_equal(runs[0][2], runs[1][2])


def test_serial_and_parallel_variants_agree_bit_for_bit():
    rng = np.random.default_rng(9)
    x = rng.lognormal(0, 2, (16, 300))
    x[:, :30] = 0.0
    xs = np.sort(x, axis=1)
    codes = np.arange(300, dtype=np.int64) % 7
    cases = [(kernels.row_stats, (x, which, 0.7)) for which in kernels.ROW_STATS.values()]
    cases += [(kernels.gini_sorted_rows, (xs, xs + 1.0, True)),
              (kernels.lorenz_share_sorted_rows, (xs, 31.5, True)),
              (kernels.nakamoto_sorted_rows, (xs, 1, 3, False)),
              (kernels.suite_sorted_rows, (xs, 0.5, np.array([1.0, 3.0]), np.array([120.0]),
                                           np.array([[1, 2]]), True)),
              (kernels.group_sums, (x, codes, 7)), (kernels.group_theil, (x, codes, 7))]
    for kernel, args in cases:
        serial, parallel = kernel.serial(*args), kernel.parallel(*args)
        for a, b in zip(*(v if isinstance(v, tuple) else (v,) for v in (serial, parallel))):
            np.testing.assert_array_equal(a, b, err_msg=kernel.__name__)


def test_inputs_are_never_modified():
    x = np.random.default_rng(8).random((3, 20))
    w = np.arange(20.0)
    before, w_before = x.copy(), w.copy()
    fs.metrics.summary(x)
    fs.gini(x, weights=w)
    fs.palma(x)
    fs.theil_decomposition(x, np.arange(20) % 3)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(w, w_before)


@pytest.mark.parametrize("module", ["metrics.inequality", "metrics.concentration", "metrics.groups",
                                    "metrics.resampling"])
def test_docstring_examples(module):
    mod = importlib.import_module(f"fairshare.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_example_on_real_data(capsys):
    spec = importlib.util.spec_from_file_location("real_data_example",
                                                  REPO / "examples" / "real_data_concentration.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    tables = example.main([str(DATA)])
    population, active = tables["bitcoin_population"], tables["bitcoin_active_producers"]
    rows = pd.read_csv(DATA / "bitcoin_mining_entities_30d.csv")
    assert len(population) == 72 and population["holders"].sum() == len(rows)
    assert active["holders"].sum() == (rows.adjacent_window_zero == 0).sum()
    pd.testing.assert_series_equal(population["total"], active["total"])  # zero rows hold nothing
    pd.testing.assert_series_equal(population["nakamoto_1/2"], active["nakamoto_1/2"])
    assert (population["gini"] >= active["gini"]).all()  # zero holders only add inequality
    levels = tables["bittensor_levels"]
    pd.testing.assert_series_equal(levels["key"], levels["entity"], check_names=False)
    assert levels.loc["holders", "key"] == 256
    assert "no coldkey column" in capsys.readouterr().out
