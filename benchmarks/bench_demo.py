"""Benchmark: `fairshare demo` cold (empty numba cache) and warm, on the built-in network.

Run: ``python benchmarks/bench_demo.py [--scale default] [--quick] [--json PATH]``
(``--quick``: ``--scale small``; its times are recorded but not judged against the targets).

Cold: a fresh, empty ``NUMBA_CACHE_DIR`` so every kernel compiles, as on a fresh
install. Warm: the same cache again, so nothing compiles. Each run writes its
report to a new temporary directory. Targets (issue 8): warm under 20 s, cold
under 90 s on the 2-core machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchkit import Options, Row


def demo(scale: str, cache: Path, out: Path) -> float:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "fairshare", "demo", "--scale", scale, "--out", str(out), "--quiet"],
                   check=True, env=env)
    return time.perf_counter() - t0


def options() -> Options:
    cli = Options("demo", __doc__.split("\n")[0])
    cli.add_sized("--scale", full="default", quick="small")
    return cli


def main(argv=None):
    cli = options()
    args = cli.parse(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cold = demo(args.scale, tmp / "cache", tmp / "cold")
        warm = demo(args.scale, tmp / "cache", tmp / "warm")
    print(f"fairshare demo --scale {args.scale}: cold {cold:.1f} s (target < 90 s), warm {warm:.1f} s "
          f"(target < 20 s), {os.cpu_count()} CPUs")
    judged = args.scale == "default"
    note = "" if judged else f"--scale {args.scale}; the targets are for --scale default"
    cli.save(args, [Row.check("fairshare demo, cold (empty numba cache)", cold, "s", "<", 90, note, judged),
                    Row.check("fairshare demo, warm", warm, "s", "<", 20, note, judged)],
             cpu_count=os.cpu_count())


if __name__ == "__main__":
    main()
