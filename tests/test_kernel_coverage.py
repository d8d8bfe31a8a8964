"""Kernel code is covered by the kernel-oracle tests: line coverage with the JIT off is at least 95%.

With ``NUMBA_DISABLE_JIT=1`` every kernel runs as plain Python, so coverage can see its lines. The
kernel tests run in a subprocess (the JIT switch is read at import) under the derandomised
hypothesis profile; about 15 s on two cores.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KERNEL_TESTS = ["tests/test_kernels.py", "tests/test_kernels_sim.py"]
FLOOR_PCT = 95.0


def test_kernels_are_covered_with_the_jit_off(tmp_path):
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "HYPOTHESIS_PROFILE": "ci",
           "COVERAGE_FILE": str(tmp_path / ".coverage")}
    run = subprocess.run([sys.executable, "-m", "coverage", "run", "--source=fairshare/_kernels", "-m", "pytest",
                          "-q", "-p", "no:cacheprovider", *KERNEL_TESTS], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, f"kernel tests failed with the JIT off:\n{run.stdout[-3000:]}{run.stderr[-2000:]}"
    report = subprocess.run([sys.executable, "-m", "coverage", "report", "--show-missing"], cwd=REPO, env=env,
                            capture_output=True, text=True, check=True).stdout
    total = re.search(r"^TOTAL\s+\d+\s+\d+\s+(\d+(?:\.\d+)?)%", report, re.M)
    assert total, report
    assert "fairshare/_kernels/sim/settle.py" in report and "fairshare/_kernels/waterfill.py" in report, report
    assert float(total.group(1)) >= FLOOR_PCT, f"kernel coverage below {FLOOR_PCT}% with the JIT off:\n{report}"
