"""Fuzz suite: mutated tables and parameters give a valid result or a typed fairshare error (issue 20, item 6).

Each example starts from a small valid history (``tests/builders.py``) and applies one or two
mutations: a cell set to NaN, an infinity, an extreme or a wrong type, a column dropped,
renamed, duplicated or retyped, rows duplicated, labels re-encoded (NFD against NFC), a bad
epoch length or origin. The pipeline ``History.from_frames`` -> ``aggregate`` -> metrics must
then either return finite, in-range numbers or raise a :class:`fairshare.errors.FairshareError`;
any other exception is a failure. Mutations that must not matter (row order, column order,
dtype widening) must leave every feature bit for bit unchanged, and reading a directory never
changes its files. Damaged files (bytes cut or overwritten, a part of a streamed log rewritten)
give a typed error naming the file. Bounded and derandomised in CI (``tests/conftest.py``);
``-m slow`` runs a longer search, and ``FAIRSHARE_FUZZ_EXAMPLES=N`` sets the examples of every
fuzz test (a long local run; :data:`OUTCOMES` then counts the outcomes by class).
"""

from __future__ import annotations

import collections
import hashlib
import json
import math
import os
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

EXAMPLES = int(os.environ.get("FAIRSHARE_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=EXAMPLES or 120, deadline=None, suppress_health_check=list(HealthCheck))
FILES = settings(max_examples=EXAMPLES or 30, deadline=None, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=max(EXAMPLES, 3000), deadline=None, suppress_health_check=list(HealthCheck))

#: Outcomes of every fuzzed call by class ("result" or the fairshare error's class name).
OUTCOMES: collections.Counter = collections.Counter()

#: Values a hostile or careless user puts in a cell.
BAD_VALUES = [np.nan, math.inf, -math.inf, -1, 0, -0.0, 0.5, 1e300, -1e300, 1e308, 1.7976931348623157e308, 5e-324,
              2**53 + 1, 2**62,
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
    alloc = fs.formulas.STATUS_QUO(f)  # a rule pays the whole emission, but what it reports unallocated
    assert np.all(np.isfinite(alloc.rewards)) and np.all(alloc.unallocated >= 0)
    np.testing.assert_allclose(alloc.rewards.sum(axis=1) + alloc.unallocated, f.emission_tokens, rtol=1e-9)
    work = f.by_operator().work_units.sum(axis=0)
    if work.sum() > 0:
        assert 0.0 <= fs.gini(work) <= 1.0
        assert 1.0 / work.size <= fs.hhi(work) <= 1.0
        assert 1 <= fs.nakamoto_coefficient(work, Fraction(1, 3), inclusive=True) <= work.size
    return f


def typed_or_valid(call):
    """Run ``call``: a result or a fairshare error pass; anything else fails the example."""
    try:
        out = call()
    except FairshareError as err:
        OUTCOMES[type(err).__name__] += 1
        assert str(err).strip() and "\n" not in str(err).strip(), f"not a one-line message: {err!r}"
        return None
    OUTCOMES["result"] += 1
    return out


@FUZZ
@given(mutations())
def test_mutated_tables_give_a_result_or_a_typed_error(edits):
    typed_or_valid(lambda: run_pipeline(apply(frames(), edits)))


@pytest.mark.slow
@LONG
@given(mutations())
def test_mutated_tables_long_run(edits):
    typed_or_valid(lambda: run_pipeline(apply(frames(), edits)))


EPOCH_SECONDS = st.sampled_from([86_400.0, 3600, 0, -1, math.nan, math.inf, None, True, 1e-300, 1e308, "86400",
                                 np.int64(86_400), np.float32(3600)])
ORIGINS = st.sampled_from([None, "2026-04-21", 12, math.nan, pd.Timestamp("2026-04-21"), "not a date", "", pd.NaT,
                           "2026-04-21T00:00:00+02:00", np.datetime64("2026-04-21")])


@FUZZ
@given(EPOCH_SECONDS, ORIGINS)
def test_mutated_parameters_give_a_result_or_a_typed_error(seconds, origin):
    kwargs = {"epoch_origin": origin} if origin is not None else {}
    if seconds is not None:
        kwargs["epoch_seconds"] = seconds
    f = typed_or_valid(lambda: run_pipeline(frames(), **kwargs))
    if f is not None and seconds is not None:  # accepted: only a positive, finite length is
        assert isinstance(seconds, (int, float, np.integer, np.floating)) and not isinstance(seconds, bool)
        assert 0 < seconds < math.inf


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


@pytest.mark.parametrize(("table", "column", "row", "value", "match"), [
    ("nodes", "idle_power_w", 1, 1e308, r"nodes.power_w/idle_power_w/pue .*: energy_kwh: overflows float64 in 3 "
                                        r"\(epoch, node\) pair\(s\): \(epoch 0, node 'n1'\).* \(node rows 1\)"),
    ("nodes", "power_w", 0, 1.7e308, r"nodes.power_w/idle_power_w/pue .*energy_kwh: .*node 'n0'.*\(node rows 0\)"),
    ("tasks", "input_tokens", None, 1e308, r"tasks.input_tokens: input_tokens: its total over the history's 9 "
                                           r"\(epoch, node\) pairs overflows float64 .*\(task rows 0, 1, 2, 3, 4\)"),
    ("tasks", "output_tokens", 3, 1.7e308, r"tasks.input_tokens/output_tokens: work_units: overflows float64 in 1 "
                                           r"\(epoch, node\) pair\(s\): \(epoch 2, node 'n2'\) \(task rows 3\)"),
    ("tasks", "fee_usd", None, 1e308, r"tasks.fee_usd: fees_usd: its total .* overflows float64"),
    ("nodes", "stake_tokens", None, 1e308, r"nodes.stake_tokens/stake.stake_tokens: stake_tokens: its total .* "
                                           r"overflows float64 .*\(node rows 0, 1, 2\)"),
    ("market", "emission_tokens", None, 1e308, r"market.emission_tokens: the emission over the history's 3 epochs "
                                               r"overflows float64 \(largest: epoch 0: 1e\+308"),
    ("market", "token_price_usd", 1, 1e305, r"market.token_price_usd: the emission's value in USD .* overflows "
                                            r"float64 \(largest: epoch 1: inf, epoch 2: 5.82e\+03"),
])
def test_overflowing_sums_are_a_range_error_naming_the_rows(table, column, row, value, match):
    tables = frames()
    if row is None:
        tables[table][column] = value
    else:
        tables[table].loc[row, column] = value
    with pytest.raises(fs.errors.RangeError, match=match) as caught:
        run_pipeline(tables)  # was: inf energy, inf work and half the emission paid under the status quo
    assert "\n" not in str(caught.value) and "check the column's units" in str(caught.value).replace("Check", "check")


def test_stake_of_1e308_on_two_nodes_is_refused_before_any_rule_pays():
    """Was: the status quo paid half the emission and reported 0 unallocated."""
    tables = frames()
    tables["nodes"].loc[[0, 1], "stake_tokens"] = 1e308
    h = fs.History.from_frames(*tables.values())
    with pytest.raises(fs.errors.RangeError, match=r"stake_tokens: its total .*\(node rows 0, 1\)"):
        fs.evaluate(h, {"status_quo": fs.formulas.STATUS_QUO})
    tables["nodes"].loc[[0, 1], "stake_tokens"] = 1e307  # large but summable: paid in full
    f = fs.aggregate(fs.History.from_frames(*tables.values()))
    alloc = fs.formulas.STATUS_QUO(f)
    np.testing.assert_allclose(alloc.rewards.sum(axis=1) + alloc.unallocated, f.emission_tokens, rtol=1e-12)
    assert np.all(alloc.unallocated == 0)


def test_largest_finite_sums_are_kept():
    tables = frames()
    tables["tasks"]["input_tokens"] = [1e307, 1e307, 1e307, 1e307, 1e307]
    f = run_pipeline(tables)
    assert np.isfinite(f.input_tokens.sum()) and f.input_tokens.max() == 1e307


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"epoch_seconds": 1e308}, r"epoch_seconds=1e\+308\): energy_kwh: overflows float64"),
    ({"epoch_seconds": "86400"}, r"epoch_seconds must be a positive number of seconds, got '86400' \(a str\)"),
    ({"epoch_seconds": True}, r"epoch_seconds must be .* got True \(a bool\)"),
    ({"epoch_origin": "not a date"}, r"epoch_origin must be a date or time .* got 'not a date'"),
    ({"epoch_origin": 12}, r"epoch_origin must be a date or time .* got 12"),
    ({"epoch_origin": math.nan}, r"epoch_origin must be a date or time .* got nan"),
])
def test_bad_epoch_settings_are_a_typed_error(kwargs, match):
    with pytest.raises(FairshareError, match=match):  # was: inf energy; accepted; a raw DateParseError
        run_pipeline(frames(), **kwargs)


def test_epoch_settings_in_history_json_are_checked(tmp_path):
    fs.History.from_frames(*frames().values()).write(tmp_path / "h", format="csv")
    meta_path = tmp_path / "h" / "history.json"
    meta = json.loads(meta_path.read_text())
    for key, value, match in (("epoch_seconds", "86400", "epoch_seconds"), ("epoch_seconds", 0, "epoch_seconds"),
                              ("epoch_origin", "not a date", "epoch_origin")):
        meta_path.write_text(json.dumps({**meta, key: value}))
        with pytest.raises(fs.errors.ConfigError, match=match):
            fs.History.read(tmp_path / "h")


def test_a_string_where_a_number_goes_is_a_typed_error():
    h = fs.History.from_frames(*frames().values())
    for name in ("prefill_weight", "size_reference_params_b", "small_task_tokens"):
        with pytest.raises(fs.errors.ConfigError, match=f"{name} must be a finite number .* got '0.1' \\(a str\\)"):
            fs.aggregate(h, **{name: "0.1"})
    with pytest.raises(fs.errors.FormulaError, match="Linear weights must be a mapping .* got 'abc' \\(a str\\)"):
        fs.formulas.Linear("abc")
    with pytest.raises(fs.errors.FormulaError, match="Capped share_cap must be a finite number"):
        fs.formulas.Capped("0.02")


def test_an_empty_optional_stake_table_is_no_update(tmp_path):
    tables = frames()
    empty = pd.DataFrame({"epoch": pd.Series([], dtype=np.int64), "node_id": pd.Series([], dtype=object),
                          "stake_tokens": pd.Series([], dtype=np.float64)})
    h = fs.History.from_frames(*tables.values(), stake=empty)
    features_equal(fs.aggregate(h), fs.aggregate(fs.History.from_frames(*tables.values())))
    for fmt in ("csv", "parquet"):  # written and read back: a header-only CSV keeps its column types
        h.write(tmp_path / fmt, format=fmt)
        assert fs.History.read(tmp_path / fmt).equals(h)
    with pytest.raises(fs.errors.SchemaError, match="stake"):  # its columns are still checked
        fs.History.from_frames(*tables.values(), stake=empty.drop(columns=["stake_tokens"]))


def test_a_label_that_differs_only_in_unicode_normalisation_is_shown():
    tables = frames()
    nfc, nfd = unicodedata.normalize("NFC", "n\u00e9"), unicodedata.normalize("NFD", "n\u00e9")
    tables["nodes"].loc[0, "node_id"] = nfc
    tables["tasks"].loc[tables["tasks"].node_id == "n0", "node_id"] = nfd
    with pytest.raises(fs.errors.AlignmentError, match=r"tasks.node_id: 2 rows \(rows 0, 4\) .* differ only in "
                                                        r"Unicode normalisation \('ne\\u0301' here, 'n\\xe9' in the "
                                                        r"table\)"):
        run_pipeline(tables)


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


# --------------------------------------------------------------------------- damaged files


def write_parts(directory, parts: int = 2):
    """A history directory whose task log is ``parts`` Parquet files under tasks/."""
    tables = frames()
    fs.History.from_frames(*tables.values()).write(directory)
    (directory / "tasks.parquet").unlink()
    (directory / "tasks").mkdir()
    bounds = np.linspace(0, len(tables["tasks"]), parts + 1).astype(int)
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        tables["tasks"].iloc[a:b].to_parquet(directory / "tasks" / f"part-{i}.parquet", index=False)
    return sorted((directory / "tasks").iterdir())


@FILES
@given(st.sampled_from(["nodes.parquet", "market.parquet", "tasks/part-0.parquet", "tasks/part-1.parquet",
                        "history.json"]),
       st.sampled_from(["cut", "overwrite", "empty", "text"]), st.floats(0.0, 1.0), st.booleans())
def test_damaged_files_give_a_result_or_an_error_naming_the_file(tmp_path_factory, name, damage, where, stream):
    directory = tmp_path_factory.mktemp("damaged")
    write_parts(directory)
    target = directory / name
    data = target.read_bytes()
    at = int(where * len(data))
    if damage == "cut":
        target.write_bytes(data[:at])
    elif damage == "overwrite":
        target.write_bytes(data[:at] + bytes(b ^ 0x5A for b in data[at:at + 64]) + data[at + 64:])
    elif damage == "empty":
        target.write_bytes(b"")
    else:
        target.write_text("epoch,node_id\n0,n0\n")
    before = hashlib.sha256(target.read_bytes()).hexdigest()
    try:
        fs.aggregate(fs.History.read(directory, stream=stream))
        OUTCOMES["result"] += 1
    except FairshareError as err:
        OUTCOMES[type(err).__name__] += 1
        text = str(err)
        assert text.strip() and "\n" not in text.strip(), f"not a one-line message: {err!r}"
        table = name.split("/")[0].split(".")[0]  # overwritten bytes may still parse: then a column is named
        assert name.split("/")[-1] in text or (damage == "overwrite" and f"{table}." in text), text
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before  # reading never changes a file


@pytest.mark.parametrize("damage", ["cut", "not_parquet", "page"])
def test_a_corrupt_second_part_of_a_streamed_log_names_the_file(tmp_path, damage):
    parts = write_parts(tmp_path / "h")
    second = parts[1]
    data = second.read_bytes()
    if damage == "cut":
        second.write_bytes(data[: len(data) // 2])
    elif damage == "not_parquet":
        second.write_text("epoch,node_id\n0,n0\n")
    else:  # the footer intact, the first column's data pages overwritten
        second.write_bytes(data[:4] + b"\xff" * 40 + data[44:])
    with pytest.raises(fs.errors.DataError, match=r"tasks: .*part-1\.parquet.*(could not be read|could not read) as "
                                                  r"Parquet") as caught:
        fs.aggregate(fs.History.read(tmp_path / "h", stream=True))
    assert "\n" not in str(caught.value)
    with pytest.raises(fs.errors.DataError, match=r"part-1\.parquet"):  # the same file named when read whole
        fs.History.read(tmp_path / "h")


def test_a_streamed_log_rewritten_after_opening_is_refused(tmp_path):
    parts = write_parts(tmp_path / "h")
    h = fs.History.read(tmp_path / "h", stream=True)
    tasks = pd.read_parquet(parts[1])
    tasks["output_tokens"] *= 2
    tasks.to_parquet(parts[1], index=False)
    os.utime(parts[1], ns=(parts[1].stat().st_atime_ns, parts[1].stat().st_mtime_ns + 10**9))  # a later write
    with pytest.raises(fs.errors.DataError, match=r"tasks: .*part-1\.parquet changed after the history was opened"):
        fs.aggregate(h)
