"""The convergence examples run on the repository's real data (in-process, on this checkout's fairshare)."""

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
REAL = Path(__file__).resolve().parent / "data" / "real"


@pytest.mark.parametrize("script,expect", [
    ("converge_bitcoin.py", ["tau_0.66", "entity-level", "Nakamoto coefficient of the last window"]),
    ("converge_solana.py", ["Key-level verdict", "network Solana (DoubleZero fees)", "entrants"]),
    ("converge_bittensor.py", ["key level", "tau_0.66", "167 of 256 uids"]),
])
def test_convergence_example(script, expect, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", [script])
    module = runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    assert module["DEFAULT_DATA"].resolve() == REAL
    out = capsys.readouterr().out
    assert all(text in out for text in expect), out[-2000:]
