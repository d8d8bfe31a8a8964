"""fs.Ledger: exact amounts, times to epochs, validation with typed one-line errors, streaming, readers, labels."""

import hashlib

import numpy as np
import pandas as pd
import pytest

import fairshare as fs
from fairshare.errors import AlignmentError, ConfigError, DataError, NaNError, RangeError, SchemaError
from fairshare.ledger import Labels, coldkey_labels, vote_account_labels, withdraw_address_labels
from fairshare.ledger.amounts import FLOAT_RELATIVE_ERROR, limbs_to_float, parse_amounts, to_limbs


def frame(**cols):
    base = {"epoch": [0, 0, 1, 1], "address": ["a", "b", "a", "c"], "amount": ["1", "2", "3", "4"]}
    base.update(cols)
    return pd.DataFrame(base)


def led(df, **kw):
    kw.setdefault("epoch_seconds", 86_400)
    return fs.Ledger.from_frame(df, time="epoch", address="address", amount="amount", **kw)


# ------------------------------------------------------------------------------------------------ amounts
def test_amounts_beyond_int64_are_summed_exactly():
    big = 10 ** 20  # 100 tokens of an 18-decimal token, beyond int64
    df = pd.DataFrame({"epoch": [0] * 5 + [1], "address": ["x"] * 5 + ["y"],
                       "amount": [str(big + i) for i in range(5)] + [str(3 * big)]})
    ledger = led(df, decimals=18)
    assert ledger.total_base_units() == sum(big + i for i in range(5)) + 3 * big
    cells = ledger.to_frame()
    assert cells["amount_base_units"].tolist() == [5 * big + 10, 3 * big]
    assert cells["amount_tokens"].tolist() == [500.00000000000000001, 300.0]


def test_decimal_token_strings_scale_exactly_and_refuse_rounding():
    hi, lo, miss = parse_amounts(pd.Series(["1.5", "0.000000000000000001", "12"]), unit="token", decimals=18)
    values = [(int(h) << 32) + int(v) for h, v in zip(hi, lo)]
    assert values == [1_500_000_000_000_000_000, 1, 12 * 10 ** 18] and not miss.any()
    with pytest.raises(DataError, match=r"ledger.amount: more fractional digits than decimals=2 \(up to 3\) in row"):
        parse_amounts(pd.Series(["1.234"]), unit="token", decimals=2)
    with pytest.raises(DataError, match="decimal points with unit='base'"):
        parse_amounts(pd.Series(["1.5"]), unit="base")
    with pytest.raises(RangeError, match="negative amounts in row"):
        parse_amounts(pd.Series(["-1"]), unit="base")
    with pytest.raises(DataError, match="not decimal numbers"):
        parse_amounts(pd.Series(["1e5"]), unit="base")


def test_limbs_round_trip_and_float_error_bound():
    values = np.array([0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 63 - 1], dtype=np.int64)
    hi, lo = to_limbs(values)
    assert [(int(h) << 32) + int(v) for h, v in zip(hi, lo)] == values.tolist()
    big = np.array([10 ** 27 + 12345], dtype=object)
    h, lw = to_limbs(big)
    rel = abs(float(limbs_to_float(h, lw)[0]) - 1e27) / 1e27
    assert rel <= FLOAT_RELATIVE_ERROR


def test_integer_and_float_columns():
    ints = led(frame(amount=[1, 2, 3, 4]))
    assert ints.total_base_units() == 10
    floats = led(frame(amount=[0.1, 0.2, 0.3, 0.4]), unit="token", decimals=1)
    assert floats.total_base_units() == 10
    with pytest.raises(NaNError, match="infinite amounts"):
        led(frame(amount=[0.1, np.inf, 0.3, 0.4]), unit="token", decimals=1)


# ------------------------------------------------------------------------------------------------ validation
def test_missing_amount_is_an_error_unless_no_record_is_asked():
    df = frame(amount=["1", None, "", "4"])
    with pytest.raises(NaNError, match=r"ledger.amount: missing amounts in row\(s\) 1, 2.*missing='no_record'"):
        led(df)
    ok = led(df, missing="no_record")
    assert ok.meta["dropped_no_record"] == 2 and ok.meta["rows"] == 2 and ok.total_base_units() == 5


@pytest.mark.parametrize("df,kw,err,text", [
    (frame().drop(columns="amount"), {}, SchemaError, r"missing column\(s\) \['amount'\]"),
    (frame(address=["a", None, "b", "c"]), {}, NaNError, r"missing addresses in row\(s\) 1"),
    (frame(epoch=[0, -1, 1, 1]), {}, RangeError, r"negative epoch indices in row\(s\) 1"),
    (frame(), {"missing": "zero"}, ConfigError, "missing='zero'"),
    (frame(), {"unit": "wei"}, DataError, "unit='wei'"),
    (frame(epoch=[0.5, 1.0, 1.5, 2.0]), {}, SchemaError, "dtype float64 is not a time"),
])
def test_bad_ledgers_raise_typed_one_line_errors(df, kw, err, text):
    with pytest.raises(err, match=text) as info:
        led(df, **kw)
    assert "\n" not in str(info.value)


def test_times_unix_datetime_block_and_epoch():
    unix = pd.DataFrame({"t": [0, 86_399, 86_400, 3 * 86_400], "address": list("abab"), "amount": [1, 1, 1, 1]})
    a = fs.Ledger.from_frame(unix, time="t", address="address", amount="amount", time_kind="unix",
                             epoch_seconds="1d")
    assert a.epoch.tolist() == [0, 0, 1, 3] and a.address.tolist() == [0, 1, 0, 1]
    assert a.epochs.tolist() == [0, 1, 2, 3]
    dt = unix.assign(t=pd.to_datetime(unix["t"], unit="s").dt.tz_localize("UTC"))
    b = fs.Ledger.from_frame(dt, time="t", address="address", amount="amount", epoch_seconds=86_400)
    assert np.array_equal(a.epoch, b.epoch)
    iso = unix.assign(t=["1970-01-01T00:00:00Z", "1970-01-01T23:59:59Z", "1970-01-02T00:00:00+00:00",
                         "1970-01-04T02:00:00+02:00"])
    c = fs.Ledger.from_frame(iso, time="t", address="address", amount="amount", epoch_seconds="1d")
    assert np.array_equal(a.epoch, c.epoch)
    naive = unix.assign(t=pd.to_datetime(unix["t"], unit="s"))
    with pytest.raises(DataError, match="without a timezone"):
        fs.Ledger.from_frame(naive, time="t", address="address", amount="amount", epoch_seconds="1d")
    blocks = pd.DataFrame({"height": [10, 11, 12, 13], "time": [0, 86_399, 86_400, 3 * 86_400]})
    d = fs.Ledger.from_frame(unix.assign(t=[10, 11, 12, 13]), time="t", address="address", amount="amount",
                             time_kind="block", block_times=blocks, epoch_seconds="1d")
    assert np.array_equal(a.epoch, d.epoch)
    with pytest.raises(AlignmentError, match=r"block heights not in block_times in row\(s\) 3 \(e.g. 99\)"):
        fs.Ledger.from_frame(unix.assign(t=[10, 11, 12, 99]), time="t", address="address", amount="amount",
                             time_kind="block", block_times=blocks, epoch_seconds="1d")
    with pytest.raises(ConfigError, match="needs epoch_seconds"):
        fs.Ledger.from_frame(unix, time="t", address="address", amount="amount", time_kind="unix")


def test_chunks_and_dask_give_the_same_cells_as_one_frame():
    rng = np.random.default_rng(3)
    n = 5000
    df = pd.DataFrame({"epoch": rng.integers(0, 40, n), "address": [f"k{i}" for i in rng.integers(0, 300, n)],
                       "amount": [str(int(v) * 10 ** 12) for v in rng.integers(1, 10 ** 9, n)]})
    whole = led(df, decimals=18)
    chunked = led((df.iloc[i:i + 700] for i in range(0, n, 700)), decimals=18)
    for name in ("epoch", "hi", "lo"):
        assert np.array_equal(getattr(whole, name), getattr(chunked, name))
    assert list(whole.addresses[whole.address]) == list(chunked.addresses[chunked.address])
    import dask.dataframe as dd

    dask_led = led(dd.from_pandas(df, npartitions=3), decimals=18)
    assert dask_led.total_base_units() == whole.total_base_units()
    assert np.array_equal(dask_led.amount_tokens(), whole.amount_tokens())


def test_read_csv_and_parquet_leave_the_input_untouched(tmp_path):
    df = frame(amount=["100000000000000000000", "2", "3", "4"])
    csv = tmp_path / "l.csv"
    df.to_csv(csv, index=False)
    before = hashlib.sha256(csv.read_bytes()).hexdigest()
    a = fs.Ledger.read(csv, time="epoch", address="address", amount="amount", epoch_seconds="1d", chunk_rows=3)
    assert hashlib.sha256(csv.read_bytes()).hexdigest() == before
    assert a.meta["inputs"][str(csv)] == before
    assert a.total_base_units() == 10 ** 20 + 9
    pq = tmp_path / "l.parquet"
    frame(amount=[1, 2, 3, 4]).to_parquet(pq)
    b = fs.Ledger.read(pq, time="epoch", address="address", amount="amount", epoch_seconds="1d")
    assert b.total_base_units() == 10
    with pytest.raises(SchemaError, match=r"missing column\(s\) \['wei'\]"):
        fs.Ledger.read(csv, time="epoch", address="address", amount="wei")
    with pytest.raises(DataError, match="no such file"):
        fs.Ledger.read(tmp_path / "nope.csv", time="epoch", address="address", amount="amount")


# ------------------------------------------------------------------------------------------------ labels, panels
def test_labels_policies_and_coverage():
    ledger = led(frame(amount=["10", "20", "30", "40"]))
    labels = pd.DataFrame({"address": ["a", "b"], "entity": ["E", "E"], "class": ["retail", "retail"]})
    cov = Labels.from_frame(labels).coverage(ledger)
    assert cov["labelled_reward_share"].tolist() == [1.0, 30 / 70]
    own = ledger.panel(labels=labels)
    assert own.level == "entity" and own.labelled_share.tolist() == [1.0, 30 / 70]
    assert own.cells(1).to_dict() == {"E": 30.0, "c": 40.0}
    pooled = ledger.panel(labels=labels, unlabelled="pooled")
    assert pooled.cells(1).to_dict() == {"E": 30.0, "(unlabelled)": 40.0}
    excluded = ledger.panel(labels=labels, unlabelled="excluded")
    assert excluded.cells(1).to_dict() == {"E": 30.0}
    with pytest.raises(DataError, match="address a has 2 entities"):
        Labels.from_frame(pd.DataFrame({"address": ["a", "a"], "entity": ["E", "F"]}))
    with pytest.raises(NaNError, match="labels.entity: missing values"):
        Labels.from_frame(pd.DataFrame({"address": ["a"], "entity": [None]}))


def test_relation_helpers_state_their_heuristic():
    w = withdraw_address_labels(pd.DataFrame({"address": ["v1", "v2"], "withdraw_address": ["w", "w"]}))
    assert w.frame["entity"].tolist() == ["w", "w"] and "withdraw" in w.heuristic
    c = coldkey_labels(pd.DataFrame({"hotkey": ["h1", "h2", "h3"], "coldkey": ["c1", "c1", "c2"]}))
    assert "coldkey" in c.heuristic and c.frame["entity"].nunique() == 2
    v = vote_account_labels(pd.DataFrame({"votekey": ["v"], "pubkey": ["id"]}))
    assert v.frame.iloc[0].tolist()[:2] == ["v", "id"] and "identity" in v.heuristic


def test_rolling_windows_and_population_rules():
    df = pd.DataFrame({"epoch": [0, 1, 2, 3, 3], "address": ["a", "b", "a", "c", "a"], "amount": [1, 1, 1, 1, 1]})
    ledger = led(df)
    rolling = ledger.panel(window=2, step=1)
    assert rolling.windows["start_epoch"].tolist() == [0, 1, 2]
    assert rolling.totals().tolist() == [2.0, 2.0, 3.0]
    adjacent = ledger.panel(population="adjacent")
    sizes = [codes.size for codes, _ in adjacent.vectors()]
    assert sizes == [2, 2, 3, 2]  # epoch 1 counts a (paid in 0 and 2) as a zero
    everyone = ledger.panel(population="all")
    assert [c.size for c, _ in everyone.vectors()] == [3, 3, 3, 3]
    with pytest.raises(ConfigError, match="step=3 > window=2"):
        ledger.panel(window=2, step=3)


def test_small_share_membership_is_fixed_at_the_window_start():
    # epoch 0: a holds 90%, b 10%; epoch 1: b grows to 90%: b counts small in epoch 1 (its size at the start)
    df = pd.DataFrame({"epoch": [0, 0, 1, 1], "address": ["a", "b", "a", "b"], "amount": [90, 10, 10, 90]})
    s = led(df).panel().series("small_share", small_threshold=0.5)
    assert s.tolist() == [0.1, 0.9]


# ------------------------------------------------------------------------------------------------ chain readers
EVM = '''"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","Quantity","Method"
"0x01","100","1700000000","2023-11-14 22:13:20","0xdist","0xaaa","1,000.5","Transfer"
"0x02","101","1700000100","2023-11-14 22:15:00","0xdist","0xbbb","0.000000000000000001","Transfer"
"0x03","102","1700086400","2023-11-15 22:13:20","0xaaa","0xccc","250","Transfer"
'''


def test_evm_token_transfer_csv(tmp_path):
    path = tmp_path / "export-tokenholders.csv"
    path.write_text(EVM)
    all_transfers = fs.ledger.read_evm_transfers(path, decimals=18)
    assert all_transfers.total_base_units() == 1000_500_000_000_000_000_000 + 1 + 250 * 10 ** 18
    rewards = fs.ledger.read_evm_transfers(path, decimals=18, senders=["0xDIST"])
    assert rewards.meta["rows"] == 2 and set(rewards.addresses) == {"0xaaa", "0xbbb"}
    table = fs.ledger.read_evm_transfers(path, decimals=18, frame=True)
    bp = fs.ledger.balance_panel(table, decimals=18, opening=pd.Series({"0xdist": 2000 * 10 ** 18}))
    assert bp.balances_at(19_676).to_dict() == {"0xaaa": 1000.5, "0xbbb": 1e-18, "0xdist": 2000 - 1000.5 - 1e-18}
    flows = fs.ledger.net_flows_around(bp, [19_676], before=1, after=1, small_balance=500.0)
    # judged at the start of epoch 19,675: only 0xdist holds tokens (large); new holders count as small
    assert flows.loc[19_676, "small_net_before"] == 1000.5 and flows.loc[19_676, "large_net_before"] == -1000.5
    assert flows.loc[19_676, "small_net_after"] == 0.0  # 0xaaa sells 250 to 0xccc, both small
    with pytest.raises(DataError, match="negative balance"):
        fs.ledger.balance_panel(table, decimals=18)
    with pytest.raises(SchemaError, match="Map them with columns"):
        fs.ledger.read_evm_transfers(path, decimals=18, columns={"amount": "Value"})


COSMOS = """height,time,type,delegator,validator,amount
5,2024-03-01T10:00:00Z,withdraw_rewards,cosmos1del,cosmosvaloper1v,"1500uatom,7ibc/ABC"
6,2024-03-01T11:00:00Z,withdraw_commission,,cosmosvaloper1v,2500uatom
7,2024-03-02T09:00:00Z,withdraw_rewards,cosmos1del2,cosmosvaloper1v,9ibc/ABC
"""


def test_cosmos_distribution_reward_events(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(COSMOS)
    ledger = fs.ledger.read_cosmos_rewards(path, denom="uatom", decimals=6)
    assert ledger.meta["dropped_other_denom"] == 1
    assert dict(zip(ledger.addresses[ledger.address], ledger.amount_tokens())) == {
        "cosmos1del": 0.0015, "cosmosvaloper1v": 0.0025}
    path.write_text(COSMOS.replace("withdraw_commission", "set_withdraw_address"))
    with pytest.raises(DataError, match=r"event types \['set_withdraw_address'\] in row\(s\) 1"):
        fs.ledger.read_cosmos_rewards(path, denom="uatom", decimals=6)


def test_random_huge_amounts_sum_exactly_per_cell():
    rng = np.random.default_rng(11)
    n = 3000
    values = [int(rng.integers(0, 10 ** 9)) * 10 ** 19 + int(rng.integers(0, 10 ** 18)) for _ in range(n)]
    df = pd.DataFrame({"epoch": rng.integers(0, 5, n), "address": rng.integers(0, 20, n),
                       "amount": [str(v) for v in values]})
    ledger = led(df, decimals=18)
    expected = df.assign(v=values).groupby(["epoch", "address"])["v"].apply(lambda s: sum(s.tolist()))
    cells = ledger.to_frame().set_index(["epoch", "address"])["amount_base_units"]
    assert cells.to_dict() == expected.to_dict()
    assert ledger.total_base_units() == sum(values)


def test_totals_beyond_two_to_the_95_stay_exact():
    huge = 10 ** 33  # 1e15 tokens at 18 decimals: the high limb no longer fits int64
    df = pd.DataFrame({"epoch": [0, 0, 1], "address": ["w", "w", "w"], "amount": [str(huge), str(huge + 7), "1"]})
    ledger = led(df, decimals=18)
    assert ledger.to_frame()["amount_base_units"].tolist() == [2 * huge + 7, 1]
    assert ledger.amount_tokens()[0] == pytest.approx(2e15, rel=1e-15)
    panel = ledger.panel(window=2)
    assert panel.totals().iloc[0] == pytest.approx(2e15, rel=1e-15)
