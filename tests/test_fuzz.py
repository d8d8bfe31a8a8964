"""Fuzz suite: mutated tables and parameters give a valid result or a typed fairshare error (issue 20, item 6).

Each example starts from a small valid history (``tests/builders.py``) and applies one or two
mutations: a cell set to NaN, an infinity, an extreme or a wrong type, a column dropped,
renamed, duplicated or retyped, rows duplicated, labels re-encoded (NFD against NFC), a bad
epoch length or origin. The pipeline ``History.from_frames`` -> ``aggregate`` -> metrics must
then either return finite, in-range numbers or raise a :class:`fairshare.errors.FairshareError`;
any other exception is a failure. Mutations that must not matter (row order, column order,
dtype widening) must leave every feature bit for bit unchanged, and reading a directory never
changes its files. Bounded and derandomised in CI (``tests/conftest.py``); ``-m slow`` runs a
longer search.
"""

from __future__ import annotations

import hashlib
import math
import time
import unicodedata
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fairshare as fs
from fairshare.errors import FairshareError
from tests.builders import market_frame, nodes_frame, tasks_frame

pytestmark = pytest.mark.property

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))

#: Values a hostile or careless user puts in a cell.
#: (1e308 and other overflowing magnitudes are pinned by the xfail tests below until the sums are checked.)
BAD_VALUES = [np.nan, math.inf, -math.inf, -1, 0, -0.0, 0.5, 1e300, -1e300, 5e-324, 2**53 + 1, 2**62,
              2**63 - 1, 2**63, -(2**63), 10**30, 1e8, 1e9, "abc", "", "NA", "1", None, True, b"bytes", "１",
              "n0\u0301", pd.NaT, pd.Timestamp("2026-01-01")]
TABLES = ("nodes", "tasks", "market")


def frames():
    return {"nodes": nodes_frame(), "tasks": tasks_frame(), "market": market_frame()}


@st.composite
def mutations(draw):
    """A list of (table, kind, details) edits."""
    out = []
    for _ in range(draw(st.integers(1, 2))):
        table = draw(st.sampled_from(TABLES))
        column = draw(st.sampled_from(list(frames()[table].columns)))
        kind = draw(st.sampled_from(["cell", "cell", "cell", "column", "drop", "rename", "duplicate_column",
                                     "duplicate_rows", "empty", "nfd", "to_string", "to_float"]))
        value = draw(st.sampled_from(BAD_VALUES))
        row = draw(st.integers(0, 4))
        out.append((table, kind, column, value, row))
    return out


def apply(tables, edits):
    for table, kind, column, value, row in edits:
        df = tables[table].copy()
        if list(df.columns).count(column) != 1:  # an earlier edit dropped, renamed or repeated it
            continue
        row = row % len(df) if len(df) else 0
        if kind == "cell" and len(df):
            cells = df[column].tolist()
            cells[row] = value
            df[column] = pd.Series(cells, index=df.index)  # pandas infers the dtype (int64, uint64, float64, ...)
        elif kind == "column":
            df[column] = pd.Series([value] * len(df), index=df.index, dtype=object)
        elif kind == "drop":
            df = df.drop(columns=[column])
        elif kind == "rename":
            df = df.rename(columns={column: column.upper() + "_"})
        elif kind == "duplicate_column":
            df = pd.concat([df, df[[column]]], axis=1)
        elif kind == "duplicate_rows" and len(df):
            df = pd.concat([df, df.iloc[[row]]], ignore_index=True)
        elif kind == "empty":
            df = df.iloc[:0]
        elif kind == "nfd":
            df[column] = df[column].map(lambda v: unicodedata.normalize("NFD", f"{v}\u00e9") if isinstance(v, str)
                                        else v)
        elif kind == "to_string":
            df[column] = df[column].astype(str)
        elif kind == "to_float" and df[column].dtype.kind in "iu":
            df[column] = df[column].astype(np.float64)
        tables[table] = df
    return tables


def run_pipeline(tables, **kwargs):
    """History, features and metrics; returns a few numbers, checked to be finite and in range."""
    h = fs.History.from_frames(tables["nodes"], tables["tasks"], tables["market"], **kwargs)
    f = fs.aggregate(h)
    for name in ("work_units", "busy_seconds", "energy_kwh", "fees_usd", "requests"):
        values = np.asarray(getattr(f, name), dtype=float)
        assert np.all(np.isfinite(values)) and np.all(values >= 0), name
    work = f.by_operator().work_units.sum(axis=0)
    if work.sum() > 0:
        assert 0.0 <= fs.gini(work) <= 1.0
        assert 1.0 / work.size <= fs.hhi(work) <= 1.0
        assert 1 <= fs.nakamoto_coefficient(work, Fraction(1, 3), inclusive=True) <= work.size
    return f


def typed_or_valid(call):
    """Run ``call``: a result or a fairshare error pass; anything else fails the example."""
    try:
        return call()
    except FairshareError as err:
        assert str(err).strip() and "\n" not in str(err).strip(), f"not a one-line message: {err!r}"
        return None


@FUZZ
@given(mutations())
def test_mutated_tables_give_a_result_or_a_typed_error(edits):
    typed_or_valid(lambda: run_pipeline(apply(frames(), edits)))


@pytest.mark.slow
@LONG
@given(mutations())
def test_mutated_tables_long_run(edits):
    typed_or_valid(lambda: run_pipeline(apply(frames(), edits)))


# (1e308 or "86400" seconds and the origin "not a date" are pinned by the xfail tests below until checked.)
EPOCH_SECONDS = st.sampled_from([86_400.0, 3600, 0, -1, math.nan, math.inf, None, True, 1e-300])
ORIGINS = st.sampled_from([None, "2026-04-21", 12, math.nan, pd.Timestamp("2026-04-21")])


@FUZZ
@given(EPOCH_SECONDS, ORIGINS)
def test_mutated_parameters_give_a_result_or_a_typed_error(seconds, origin):
    kwargs = {"epoch_origin": origin} if origin is not None else {}
    if seconds is not None:
        kwargs["epoch_seconds"] = seconds
    f = typed_or_valid(lambda: run_pipeline(frames(), **kwargs))
    if f is not None and seconds is not None:  # accepted: only a positive, finite length is
        assert isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and 0 < seconds < math.inf


METRIC_INPUTS = st.one_of(
    st.lists(st.sampled_from([0.0, 1.0, 2.5, 1e308, 5e-324, math.nan, math.inf, -1.0, 2**63]), min_size=0,
             max_size=6),
    st.sampled_from([[], [[]], "abc", None, [1, "2"], [[1, 2], [3]], {"a": 1}, np.array([1, 2], dtype=object)]))
METRIC_CALLS = [lambda x: fs.gini(x), lambda x: fs.theil(x), lambda x: fs.mld(x), lambda x: fs.hhi(x),
                lambda x: fs.entropy(x), lambda x: fs.effective_number(x), lambda x: fs.atkinson(x, 2.0),
                lambda x: fs.nakamoto_coefficient(x), lambda x: fs.nakamoto_coefficient(x, Fraction(2, 3), True),
                lambda x: fs.top_k_share(x, 1), lambda x: fs.palma(x), lambda x: fs.metrics.summary(x)]


@FUZZ
@given(METRIC_INPUTS, st.sampled_from(range(len(METRIC_CALLS))))
def test_metrics_of_any_input_give_a_value_or_a_typed_error(x, which):
    out = typed_or_valid(lambda: METRIC_CALLS[which](x))
    if out is not None and not isinstance(out, pd.Series):
        assert np.all(np.isfinite(np.asarray(out, dtype=float)) | (np.asarray(out, dtype=float) == math.inf))


# --------------------------------------------------------------------------- the cases, pinned


@pytest.mark.parametrize(("table", "column", "values", "match"), [
    ("nodes", "joined_epoch", [2**63 - 1, 0, 0], "above 2\\*\\*53"),
    ("nodes", "gpu_count", np.array([2**63, 1, 1], dtype=np.uint64), "above the int64 maximum"),
    ("tasks", "requests", [2**63 - 1, 1, 1, 1, 1], "above 2\\*\\*53"),
    ("tasks", "requests", [2.0**63, 1, 1, 1, 1], "above 2\\*\\*53"),
    ("market", "epoch", [0, 2**53, 2**53 + 1], "above 2\\*\\*53"),
    ("market", "epoch", [0, 1, 2**62], "above 2\\*\\*53"),
])
def test_whole_numbers_beyond_exactness_are_refused(table, column, values, match):
    tables = frames()
    tables[table][column] = values
    with pytest.raises(fs.errors.RangeError, match=f"{table}.{column}: .*{match}"):
        run_pipeline(tables)


def test_a_mistyped_market_epoch_fails_fast():
    tables = frames()
    tables["market"]["epoch"] = [0, 1, 10**8]
    started = time.perf_counter()
    with pytest.raises(fs.errors.AlignmentError, match=r"market.epoch: 99999998 epoch\(s\) .* missing \(2, 3, 4"):
        run_pipeline(tables)
    assert time.perf_counter() - started < 5.0  # was 184 s and 7 GB


def test_two_columns_with_one_name_are_a_schema_error():
    tables = frames()
    tables["nodes"] = pd.concat([tables["nodes"], tables["nodes"][["gpu_count"]]], axis=1)
    with pytest.raises(fs.errors.SchemaError, match="nodes: column\\(s\\) gpu_count appear more than once"):
        run_pipeline(tables)


@pytest.mark.xfail(strict=True, reason="issue 20: feature sums are not checked for overflow yet (features/aggregate)")
def test_overflowing_energy_is_a_typed_error():
    tables = frames()
    tables["nodes"].loc[1, "idle_power_w"] = 1e308
    typed_or_valid(lambda: run_pipeline(tables))  # today: energy_kwh comes out inf


@pytest.mark.xfail(strict=True, reason="issue 20: epoch length and origin are not range-checked yet (data/build)")
@pytest.mark.parametrize("kwargs", [{"epoch_seconds": 1e308}, {"epoch_seconds": "86400"},
                                    {"epoch_origin": "not a date"}])
def test_bad_epoch_settings_are_a_typed_error(kwargs):
    with pytest.raises(FairshareError):  # today: inf energy; accepted; a raw DateParseError
        run_pipeline(frames(), **kwargs)


# --------------------------------------------------------------------------- mutations that must not matter


def features_equal(a, b):
    """Equal features, node columns matched by node id (the nodes table's order is the columns' order)."""
    order_a, order_b = np.argsort(np.asarray(a.entity_ids)), np.argsort(np.asarray(b.entity_ids))
    assert list(np.asarray(a.entity_ids)[order_a]) == list(np.asarray(b.entity_ids)[order_b])
    for name in ("work_units", "busy_seconds", "energy_kwh", "fees_usd", "requests", "stake_tokens"):
        np.testing.assert_array_equal(np.asarray(getattr(a, name))[:, order_a],
                                      np.asarray(getattr(b, name))[:, order_b], err_msg=name)


@FUZZ
@given(st.randoms(use_true_random=False), st.booleans(), st.booleans())
def test_row_order_column_order_and_widening_change_nothing(random, shuffle_rows, shuffle_columns):
    base = frames()
    expected = run_pipeline(base)
    tables = {}
    for name, df in base.items():
        if shuffle_rows and name != "market":
            order = list(range(len(df)))
            random.shuffle(order)
            df = df.iloc[order]
        if shuffle_columns:
            columns = list(df.columns)
            random.shuffle(columns)
            df = df[columns]
        tables[name] = df
    if shuffle_rows:  # the task log is summed in log order; sort it back by (epoch, node) for the same sums
        tables["tasks"] = tables["tasks"].sort_index()
    narrow = {name: df.astype({c: np.int32 for c in df.columns if df[c].dtype.kind == "i"})
              for name, df in tables.items()}
    features_equal(run_pipeline(tables), expected)
    features_equal(run_pipeline(narrow), expected)


def test_reading_a_directory_never_changes_its_files(tmp_path):
    fs.History.from_frames(*frames().values()).write(tmp_path / "h", format="csv")
    files = sorted((tmp_path / "h").iterdir())

    def digest():
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    before = digest()
    typed_or_valid(lambda: run_pipeline({name: pd.read_csv(tmp_path / "h" / f"{name}.csv") for name in TABLES}))
    fs.aggregate(fs.History.read(tmp_path / "h"))
    tasks = tmp_path / "h" / "tasks.csv"
    tasks.write_text(tasks.read_text().replace("vanilla", "Vanilla", 1))  # now an invalid log
    with pytest.raises(FairshareError):
        fs.History.read(tmp_path / "h")
    assert digest() == {**before, "tasks.csv": hashlib.sha256(tasks.read_bytes()).hexdigest()}
