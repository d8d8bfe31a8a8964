"""``fairshare converge``: the Solana files, a user's CSV with labels, and bad ledgers (one line, exit 3)."""

import json
from pathlib import Path

import pandas as pd
import pytest

from fairshare.cli import main

REAL = Path(__file__).resolve().parent / "data" / "real"


def test_converge_on_solana_block_rewards(tmp_path, capsys):
    out = tmp_path / "solana"
    code = main(["converge", str(REAL / "solana_block_rewards_830_858.csv"), "--time", "epoch", "--address", "pubkey",
                 "--amount", "block_rewards_sol", "--unit", "token", "--decimals", "14", "--missing", "no_record",
                 "--epoch", "2d", "--network", "Solana", "--resamples", "199", "--json", "--out", str(out)])
    assert code == 0
    numbers = json.loads(capsys.readouterr().out)
    assert numbers["level"] == "key" and "Key-level verdict" in numbers["statement"]
    assert numbers["windows"] == 29 and numbers["low"] <= numbers["slope_per_year"] <= numbers["high"]
    text = (out / "convergence.md").read_text()
    assert "real data, network Solana" in text and "5,059 rows with no record dropped" in text
    assert {p.name for p in (out / "figures").iterdir()} >= {"small_share.png", "small_share.csv", "gini.png"}
    series = pd.read_csv(out / "tables" / "series.csv")
    assert len(series) == 29 and series["small_share"].notna().all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["ledger"]["rows"] == 27_392 and manifest["ledger"]["dropped_no_record"] == 5_059


def test_converge_on_doublezero_fees_with_vote_account_labels(tmp_path, capsys):
    fees = pd.read_csv(REAL / "solana_doublezero_fees_859_938.csv")
    labels = fees[["pubkey", "votekey"]].drop_duplicates("pubkey").rename(columns={"pubkey": "address",
                                                                                   "votekey": "entity"})
    lab = tmp_path / "labels.csv"
    labels.to_csv(lab, index=False)
    out = tmp_path / "dz"
    code = main(["converge", str(REAL / "solana_doublezero_fees_859_938.csv"), "--time", "epoch", "--address",
                 "pubkey", "--amount", "dz_fee_lamports", "--decimals", "9", "--epoch", "2d", "--labels", str(lab),
                 "--network", "Solana (DoubleZero)", "--resamples", "199", "--breaks", "900", "--quiet",
                 "--out", str(out)])
    assert code == 0
    numbers = json.loads((out / "numbers.json").read_text())
    assert numbers["level"] == "entity" and numbers["labelled_share"] == 1.0 and numbers["windows"] == 80
    assert "Event study" in (out / "convergence.md").read_text()


def test_converge_on_a_users_csv_with_datetimes(tmp_path, capsys):
    rows = [(f"2024-01-{d:02d}T12:00:00Z", f"0x{k}", str(10 ** 20 + d * k)) for d in range(1, 29) for k in range(8)]
    path = tmp_path / "payouts.csv"
    pd.DataFrame(rows, columns=["when", "to", "value"]).to_csv(path, index=False)
    code = main(["converge", str(path), "--time", "when", "--address", "to", "--amount", "value", "--decimals", "18",
                 "--epoch", "1d", "--synthetic", "--resamples", "99", "--out", str(tmp_path / "r")])
    assert code == 0
    assert "synthetic data" in capsys.readouterr().out


@pytest.mark.parametrize("content,args,text", [
    ("epoch,addr,amt\n1,a,5\n2,,6\n", ["--amount", "amt"], "missing addresses in row(s) 1"),
    ("epoch,addr,amt\n1,a,5\n2,b,\n", ["--amount", "amt"], "missing amounts in row(s) 1"),
    ("epoch,addr,amt\n1,a,5\n2,b,-6\n", ["--amount", "amt"], "negative amounts in row(s) 1"),
    ("epoch,addr,amt\n1,a,5\n", ["--amount", "value"], "missing column(s) ['value']"),
])
def test_bad_ledgers_exit_3_with_one_line(tmp_path, capsys, content, args, text):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code = main(["converge", str(path), "--time", "epoch", "--address", "addr", "--epoch", "1d",
                 "--out", str(tmp_path / "o"), *args])
    err = capsys.readouterr().err
    assert code == 3 and text in err and err.count("\n") == 1 and err.startswith("fairshare: error: ")
    assert not (tmp_path / "o").exists()


def test_epoch_indices_need_a_stated_length(tmp_path, capsys):
    path = tmp_path / "l.csv"
    path.write_text("epoch,addr,amt\n1,a,5\n2,b,6\n3,a,1\n4,b,2\n")
    assert main(["converge", str(path), "--time", "epoch", "--address", "addr", "--amount", "amt",
                 "--out", str(tmp_path / "o")]) == 4
    assert "--epoch" in capsys.readouterr().err
