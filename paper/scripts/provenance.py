"""What the paper was built from: the command, seeds, package versions, the code's commit and input hashes."""

import hashlib
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pandas as pd
from _common import SEED, network, settings, table
from real import INPUTS

import fairshare as fs

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("fairshare", "numpy", "pandas", "numba", "scipy", "cvxpy", "arch", "statsmodels", "matplotlib")


def _version(name: str) -> str:
    if name == "fairshare":
        return fs.__version__
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain"], capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return head + (" with uncommitted changes" if dirty else "")


def history_sha256(history) -> str:
    """SHA-256 of a history's tables (nodes, tasks, market), row by row: a generated network's fingerprint."""
    digest = hashlib.sha256()
    for name in ("nodes", "tasks", "market"):
        frame = getattr(history, name)
        digest.update(name.encode())
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def run(build, scale):
    rows = [{"input": p.relative_to(REPO).as_posix(), "kind": "real data file",
             "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in INPUTS]
    rows.append({"input": f"open_inference_network(seed={SEED}, scale={settings(scale)['network_scale']!r})",
                 "kind": "generated (synthetic)", "sha256": history_sha256(network(scale))})
    table(build, "inputs", pd.DataFrame(rows).set_index("input"))
    versions = pd.DataFrame({"version": [_version(p) for p in PACKAGES]}, index=pd.Index(PACKAGES, name="package"))
    versions.loc["python"] = platform.python_version()
    table(build, "versions", versions)
    cfg = settings(scale)
    return {"scale": scale, "command": f"python paper/build.py --scale {scale}", "seed": f"{SEED}",
            "commit": _commit(), "python": sys.version.split()[0], "platform": platform.platform(),
            "seeds_list": ", ".join(str(s) for s in cfg["seeds"]),
            "trend_resamples": f"{cfg['trend_resamples']:,}", "network_scale": cfg["network_scale"]}
