"""House habits: ruff (pycodestyle, pyflakes, import sorting; settings in pyproject.toml) passes on the tree."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ruff_passes():
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, f"ruff found problems (ruff check --fix . mends most):\n{run.stdout}{run.stderr}"
