"""Run every benchmark script and write one Markdown report of measured figures against their targets.

Usage::

    python benchmarks/run.py [--quick] [--only NAME ...] [--budget-scale X]
                             [--radcad-python PATH] [--out BENCHMARKS.md]

Each ``benchmarks/bench_NAME.py`` runs in its own process as
``python benchmarks/bench_NAME.py [--quick] --json FILE`` with a time budget; one that runs
past it is killed (with every process it started) and reported as not finished. For each
script the report gives its rows (measured value, target, met / NOT MET / not measured),
its wall time and the peak resident memory of its largest process (``wait4``), and its
configuration; the header names the command, date, commit and machine.

Exit status: 0 when every script finished or ran out of budget (missed targets are in the
report), 1 when a script crashed (the report is written all the same).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
ORDER = ("ingest", "aggregate", "metrics", "network", "evaluate", "optimize", "simulate", "demo", "scale")
# Seconds per benchmark, (full, quick), before --budget-scale. Generous: a budget catches a
# hung or runaway script, it is not a target.
BUDGET_S = {
    "ingest": (1800, 300),
    "aggregate": (1800, 300),
    "metrics": (900, 240),
    "network": (900, 240),
    "evaluate": (2400, 300),
    "optimize": (2400, 360),
    "simulate": (3600, 360),
    "demo": (900, 360),
    "scale": (3600, 900),
}
OTHER_BUDGET_S = (1800, 300)
RADCAD_VENV = Path("/tmp/bench_venv/bin/python")
LIBRARIES = ("numpy", "pandas", "numba", "cvxpy", "dask", "pyarrow", "duckdb", "polars")
POLL_S = 0.05


@dataclass
class Outcome:
    """What one benchmark script did: ``status`` is "ok", "over budget" or "crashed"."""

    name: str
    status: str
    command: list[str]
    budget_s: float
    wall_s: float
    peak_rss_mib: float | None = None
    returncode: int | None = None
    result: dict | None = None
    error: str = ""

    @property
    def rows(self) -> list[dict]:
        return (self.result or {}).get("rows", [])


@dataclass
class RunInfo:
    """The facts in the report's header."""

    command: str
    date: str
    commit: str
    quick: bool
    machine: dict[str, str] = field(default_factory=dict)
    wall_s: float | None = None


# ---------------------------------------------------------------- finding and running scripts
def discover(directory: Path = None) -> dict[str, Path]:
    """``{name: path}`` of ``bench_NAME.py`` in ``directory``: the known names in ORDER first, then the rest
    alphabetically."""
    directory = BENCH_DIR if directory is None else directory
    found = {p.stem[len("bench_"):]: p for p in directory.glob("bench_*.py") if p.is_file()}
    known = [n for n in ORDER if n in found]
    return {n: found[n] for n in known + sorted(set(found) - set(known))}


def budget_for(name: str, quick: bool, scale: float = 1.0) -> float:
    full, short = BUDGET_S.get(name, OTHER_BUDGET_S)
    return (short if quick else full) * scale


def child_env() -> dict[str, str]:
    """The working tree's fairshare first on the path, unbuffered output so progress shows as it happens."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _max_rss_mib(usage) -> float:
    # ru_maxrss is in KiB on Linux and in bytes on macOS
    return usage.ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else usage.ru_maxrss / 1024


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def run_benchmark(name: str, script: Path, *, quick: bool, budget_s: float, python: str,
                  workdir: Path) -> Outcome:
    """Run one script in its own process group; kill the group when it runs past ``budget_s``.

    Wall time is measured around the process; peak memory is ``ru_maxrss`` from ``wait4``, the
    largest resident set among the script and the processes it started and waited for.
    """
    json_path = workdir / f"{name}.json"
    err_path = workdir / f"{name}.stderr"
    command = [python, str(script), *(["--quick"] if quick else []), "--json", str(json_path)]
    started = time.perf_counter()
    over = False
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(command, cwd=ROOT, env=child_env(), stdin=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() - started >= budget_s:
                    over = True
                    _kill_group(proc.pid)
                    pid, status, usage = os.wait4(proc.pid, 0)
                    break
                time.sleep(POLL_S)
        except BaseException:  # interrupted: leave nothing running behind
            _kill_group(proc.pid)
            proc.wait()
            raise
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped here, so Popen must not wait for it again
    stderr = err_path.read_text(errors="replace")
    if stderr.strip():
        sys.stderr.write(stderr if stderr.endswith("\n") else stderr + "\n")
    outcome = Outcome(name, "ok", command, budget_s, wall, _max_rss_mib(usage), code)
    if over:
        outcome.status = "over budget"
        return outcome
    if json_path.exists():
        try:
            outcome.result = json.loads(json_path.read_text())
        except ValueError as exc:
            outcome.status, outcome.error = "crashed", f"unreadable JSON result ({exc})"
    if code != 0:
        why = f"killed by signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        outcome.status, outcome.error = "crashed", f"{why}: {_last_line(stderr)}" if _last_line(stderr) else why
    elif outcome.result is None and outcome.status == "ok":
        outcome.status, outcome.error = "crashed", "exited without writing its JSON result"
    return outcome


def radcad_python(requested: str | None) -> tuple[str, str]:
    """The interpreter for bench_simulate and why it was chosen."""
    if requested:
        return requested, "--radcad-python"
    if RADCAD_VENV.exists():
        probe = subprocess.run([str(RADCAD_VENV), "-c", "import radcad, fairshare"], cwd=ROOT, env=child_env(),
                               capture_output=True, timeout=300)
        if probe.returncode == 0:
            return str(RADCAD_VENV), "has radcad and fairshare"
        return sys.executable, f"{RADCAD_VENV} cannot import radcad and fairshare"
    return sys.executable, f"{RADCAD_VENV} does not exist"


# ---------------------------------------------------------------- facts about the run
def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True,
                          timeout=60).stdout.strip()


def commit(out: Path | None = None) -> str:
    """Short commit id, "+dirty" when the tree has changes (the report file itself aside)."""
    try:
        head = _git("rev-parse", "--short", "HEAD")
        spec = ["--", "."]
        if out is not None:
            try:
                spec.append(f":(exclude){Path(out).resolve().relative_to(ROOT)}")
            except ValueError:
                pass
        dirty = _git("status", "--porcelain", *spec)
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return head + ("+dirty" if dirty else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Hardware", "cpu model") and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 ** 2
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024 ** 3
    except (ValueError, OSError, AttributeError):
        return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    try:
        system = platform.freedesktop_os_release().get("PRETTY_NAME", platform.system())
    except OSError:
        system = platform.system()
    memory = _memory_gib()
    facts = {
        "CPU": _cpu_model(),
        "logical cores": f"{cores}" + (f" ({usable} usable by this process)" if usable != cores else ""),
        "memory": f"{memory:.1f} GiB" if memory else "unknown",
        "OS": f"{system}, kernel {platform.release()} ({platform.machine()})",
        "Python": f"{platform.python_version()} ({sys.executable})",
        "libraries": ", ".join(f"{p} {_version(p)}" for p in LIBRARIES),
    }
    if hasattr(os, "getloadavg"):
        facts["load average at start"] = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return facts


# ---------------------------------------------------------------- the report
def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _number(v: float) -> str:
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 0.01:
        return f"{v:.2f}"
    if a >= 1e-4:
        return f"{v:.2g}"
    return f"{v:.1e}"


def measured(row: dict) -> str:
    value, unit = row.get("value"), row.get("unit") or ""
    if value is None:
        return "—"
    if unit == "x":
        return f"{_number(value)}x"
    return f"{_number(value)} {unit}".rstrip()


def verdict(row: dict) -> str:
    if row.get("value") is None:
        return "not measured"
    if not row.get("target"):
        return ""
    if row.get("met") is None:
        return "not judged"
    return "met" if row["met"] else "NOT MET"


def _seconds(s: float | None) -> str:
    if s is None:
        return "—"
    return f"{s:.1f} s" if s < 120 else f"{s / 60:.1f} min"


def tally(outcomes: list[Outcome]) -> dict[str, int]:
    counts = {"met": 0, "NOT MET": 0, "not measured": 0, "not judged": 0}
    for o in outcomes:
        for row in o.rows:
            if row.get("target"):
                counts[verdict(row)] += 1
    return counts


def _shown_command(command: list[str], python: str) -> str:
    parts = ["python" if command[0] == python else command[0]]
    for i, part in enumerate(command[1:], 1):
        if command[i - 1] == "--json":
            part = "FILE"
        elif Path(part).is_absolute() and Path(part).is_relative_to(ROOT):
            part = str(Path(part).relative_to(ROOT))
        parts.append(part)
    return shlex.join(parts)


def render(outcomes: list[Outcome], info: RunInfo) -> str:
    out = ["# fairshare benchmarks", "",
           f"Produced by `{info.command}` on {info.date}, commit `{info.commit}`"
           + (f"; {_seconds(info.wall_s)} in all." if info.wall_s is not None else "."), ""]
    if info.quick:
        out += ["**Quick run** (`--quick`): every benchmark on a small configuration (below); the ratios are "
                "indicative, not the full-size figures. Targets set for another size are reported as *not judged*.",
                ""]
    else:
        out += ["**Full run**: every benchmark at its script's default sizes.", ""]
    out += ["Every number below was measured in this run; nothing is carried over from earlier runs.", "",
            "## Machine", "", "| | |", "|---|---|"]
    out += [f"| {_cell(k)} | {_cell(v)} |" for k, v in info.machine.items()]
    out += ["", "## Results", "", "| benchmark | measure | measured | target | met |", "|---|---|---|---|---|"]
    for o in outcomes:
        for row in o.rows:
            name = row["measure"] + (f" — {row['note']}" if row.get("note") else "")
            out.append(f"| {o.name} | {_cell(name)} | {measured(row)} | {_cell(row.get('target') or '')} | "
                       f"{verdict(row)} |")
        if o.status == "over budget":
            out.append(f"| {o.name} | — | — | — | not finished within budget {o.budget_s:.0f} s |")
        elif o.status == "crashed":
            out.append(f"| {o.name} | — | — | — | crashed: {_cell(o.error)} |")
    counts = tally(outcomes)
    out += ["", f"Targets: {counts['met']} met, {counts['NOT MET']} NOT MET, {counts['not measured']} not measured, "
                f"{counts['not judged']} not judged (measured on another configuration than the target's). "
                "Rows without a target inform."]
    out += ["", "## Run time and memory", "",
            "Wall time of each script's process; peak memory is the largest resident set of any one process of the "
            "benchmark (the script, or a process it started and waited for, such as the demo run by bench_demo), "
            "from `wait4`.", "",
            "| benchmark | status | wall time | peak memory | budget |", "|---|---|---|---|---|"]
    for o in outcomes:
        status = {"ok": "finished", "over budget": "not finished within budget (killed)"}.get(o.status, "crashed")
        peak = f"{o.peak_rss_mib:,.0f} MiB" if o.peak_rss_mib is not None else "—"
        out.append(f"| {o.name} | {status} | {_seconds(o.wall_s)} | {peak} | {o.budget_s:.0f} s |")
    out += ["", "## Configuration", ""]
    for o in outcomes:
        out += [f"### {o.name}", "", f"`{_shown_command(o.command, sys.executable)}`"
                + ("" if o.command[0] == sys.executable else f" (interpreter `{o.command[0]}`)"), ""]
        config = (o.result or {}).get("config")
        if config:
            out += ["| option | value |", "|---|---|"]
            out += [f"| {_cell(k)} | {_cell(_config_value(v))} |" for k, v in config.items()]
        else:
            out.append("No configuration recorded: the script did not finish.")
        out.append("")
    return "\n".join(out)


def _config_value(v) -> str:
    if isinstance(v, bool) or v is None:
        return str(v).lower() if v is not None else "—"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, list):
        return ", ".join(_config_value(x) for x in v)
    return str(v)


def write_atomic(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# ---------------------------------------------------------------- command line
def parse(argv=None, available=None) -> argparse.Namespace:
    available = list(discover()) if available is None else available
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small configurations (a minute or two each)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help=f"run these only; of {', '.join(available)}")
    parser.add_argument("--budget-scale", type=float, default=1.0, metavar="X",
                        help="multiply every time budget by X (default 1)")
    parser.add_argument("--radcad-python", metavar="PATH",
                        help=f"interpreter for bench_simulate (default {RADCAD_VENV} when it can import radcad "
                             "and fairshare, else this one)")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md", help="report file (default BENCHMARKS.md "
                                                                                  "at the repository root)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only or ()) - set(available))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; available: {', '.join(available)}")
    if args.budget_scale <= 0:
        parser.error("--budget-scale must be positive")
    return args


def main(argv=None) -> int:
    scripts = discover()
    args = parse(argv, list(scripts))
    names = [n for n in scripts if not args.only or n in args.only]
    info = RunInfo(command=shlex.join(["python", *(sys.argv if argv is None else [sys.argv[0], *argv])]),
                   date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), commit=commit(args.out),
                   quick=args.quick, machine=machine())
    interpreters = {n: sys.executable for n in names}
    if "simulate" in names:
        interpreters["simulate"], why = radcad_python(args.radcad_python)
        print(f"bench_simulate runs with {interpreters['simulate']} ({why})")
    began = time.perf_counter()
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="fairshare-bench-") as tmp:
        for i, name in enumerate(names, 1):
            budget = budget_for(name, args.quick, args.budget_scale)
            print(f"\n=== [{i}/{len(names)}] {name} ({'quick, ' if args.quick else ''}budget {budget:.0f} s)",
                  flush=True)
            o = run_benchmark(name, scripts[name], quick=args.quick, budget_s=budget, python=interpreters[name],
                              workdir=Path(tmp))
            outcomes.append(o)
            line = f"=== {name}: {o.status} in {_seconds(o.wall_s)}"
            if o.peak_rss_mib is not None:
                line += f", peak {o.peak_rss_mib:,.0f} MiB"
            counts = tally([o])
            line += f"; targets {counts['met']} met, {counts['NOT MET']} NOT MET, {counts['not measured']} not measured"
            print(line + (f" ({o.error})" if o.error else ""), flush=True)
    info.wall_s = time.perf_counter() - began
    write_atomic(args.out, render(outcomes, info))
    print("\nsummary:")
    for o in outcomes:
        print(f"  {o.name:<10} {o.status:<12} {_seconds(o.wall_s):>9}")
        for row in o.rows:
            if row.get("target"):
                print(f"    {verdict(row):<12} {row['measure']}: {measured(row)} (target {row['target']})")
    counts = tally(outcomes)
    print(f"targets: {counts['met']} met, {counts['NOT MET']} NOT MET, {counts['not measured']} not measured, "
          f"{counts['not judged']} not judged; report written to {args.out}")
    return 1 if any(o.status == "crashed" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
