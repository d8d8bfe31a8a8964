"""Every example runs on a small configuration (the real-data ones are run by test_metrics, test_presets and
test_trend_examples)."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

SMALL = {
    "evaluate_default_network.py": ["--scale", "small"],
    "optimize_default_network.py": ["--scale", "small"],
    "simulate_default_network.py": ["--scale", "small", "--runs", "4"],
    "your_own_formula.py": ["--scale", "small"],
}
#: Real-data examples run by other tests (test_metrics, test_presets, test_trend_examples).
REAL_DATA = {"real_data_concentration.py", "yuma_bittensor_snapshot.py", "converge_bitcoin.py", "converge_solana.py",
             "converge_bittensor.py"}


def test_every_example_is_covered():
    assert {p.name for p in EXAMPLES.glob("*.py")} == set(SMALL) | REAL_DATA


@pytest.mark.parametrize("script", sorted(SMALL))
def test_example_runs(script):
    out = subprocess.run([sys.executable, str(EXAMPLES / script), *SMALL[script]], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip()
