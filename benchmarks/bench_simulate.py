"""Benchmark: fairshare's simulator against the same reduced model written idiomatically in radCAD.

Not a test. Needs radCAD (``pip install radcad``, in a separate environment if it would
change your numpy); fairshare never imports it. Run::

    python benchmarks/bench_simulate.py                    # 100 runs x 365 epochs x ~1,000 operators
    python benchmarks/bench_simulate.py --runs 20 --epochs 120
    python benchmarks/bench_simulate.py --quick --json out.json  # 10 runs x 365 epochs, rows for run.py

Without radCAD in the interpreter it times fairshare alone and records the comparison as not measured.

The reduced model is the simulator's fast path on the built-in network with these mechanisms:
the OPG unlock calendar and the staking pool's linear emission; the built-in router (fluid
limit, four traffic classes, reputation- and stake-biased) with Poisson demand; the status-quo
rule ``Linear({"stake": 0.5, "work": 0.5})``; energy and depreciation; exits after a run of
losses and entry of candidates with a lag; delegated capital following the staking yield;
operators selling rewards for their bills and sold unlocks moving a geometric Brownian price
through the liquidity-depth impact model; per-epoch concentration (gini, HHI, Nakamoto of
rewards and stake), retail share and survival, supply and sell pressure. Fake demand and
exogenous exits are off (the radCAD model leaves them out).

The radCAD model keeps its state as numpy arrays and updates it with policies and state-update
functions (radCAD's fastest settings: ``deepcopy=False``, ``drop_substeps=True``; the single-process,
multiprocessing and pathos backends are all timed, the fastest counts). Both sides read the same prepared inputs
and the same per-run random draws (price paths, demand), so their trajectories must agree: this
is checked to 1e-9 relative on a deterministic configuration (constant price, mean demand)
before anything is timed. Target: fairshare at least 100x faster than the fastest radCAD backend.

The machine may be shared: fairshare is timed before radCAD and again after each radCAD backend
(the same simulation, checked bit-identical), and the ratio uses the median of those timings, so a
burst of load elsewhere weighs on both sides alike.

Memory: the peak resident memory (Linux ``VmHWM``, reset before each timed part through
``/proc/self/clear_refs``) of fairshare's timed simulation and of radCAD's single-process run, and
the largest peak of radCAD's worker processes (``RUSAGE_CHILDREN``); elsewhere the peaks are
reported as not measured. Every figure comes from one run of this script on the same machine.
"""

from __future__ import annotations

import functools
import os
import resource
import sys
import time

import numpy as np
from benchkit import Options, Row

import fairshare as fs
from fairshare._kernels.sim import state as k
from fairshare.simulation import MEASURES, Churn, Demand, FakeDemand, Price, Scenario, simulate
from fairshare.simulation.inputs import kernel_inputs
from fairshare.simulation.rules import STATUS_QUO, RulePlan
from fairshare.simulation.run import _draws

COMPARED = ("reward_gini", "reward_hhi", "reward_nakamoto", "stake_gini", "stake_hhi", "stake_nakamoto",
            "retail_share", "retail_survival", "operators", "entries", "exits_loss", "price_usd", "paid_tokens",
            "circulating_tokens", "sell_pressure_tokens", "staked_tokens", "delegated_tokens", "capital_share",
            "work_units", "fees_usd")


def scenario(operators: int, deterministic: bool) -> Scenario:
    nodes = int(round(operators * 1.72))  # the built-in network has about 1.72 nodes per operator
    h = fs.datasets.open_inference_network(seed=0, scale="default", n_nodes=nodes)
    return Scenario.from_history(
        h, churn=Churn(exit_hazard_30d=(("home", 0.0), ("other", 0.0))), fake_demand=FakeDemand(enabled=False),
        price=Price(model="constant" if deterministic else "gbm", impact=True),
        demand=Demand(noise=not deterministic))


# ---------------------------------------------------------------------------- the radCAD model


def water_fill(p, cap, total):
    """``x_i = min(cap_i, mu p_i)`` with ``sum(x) = min(total, sum(cap))`` (nodes with p > 0)."""
    ratio = cap / p
    order = np.argsort(ratio, kind="stable")
    r, pp, cc = ratio[order], p[order], cap[order]
    p_rest = np.cumsum(pp[::-1])[::-1]  # p of this node and all after it in order
    filled = np.concatenate([[0.0], np.cumsum(cc)[:-1]])
    level = filled + r * p_rest >= total
    if not level.any():
        return cap.copy()
    j = int(np.argmax(level))
    mu = (total - filled[j]) / p_rest[j]
    return np.minimum(cap, mu * p)


def gini_hhi_nakamoto(values):
    if values.size == 0 or values.sum() <= 0:
        return np.nan, np.nan, np.nan
    xs = np.sort(values)
    total = xs.sum()
    n = xs.size
    gini = float(((2 * np.arange(1, n + 1) - n - 1) * xs).sum() / (n * total))
    hhi = float(((xs / total) ** 2).sum())
    cum = np.cumsum(xs[::-1]) / total
    positive = int((xs > 0).sum())
    nak = int(np.argmax(cum > 1.0 / 3.0)) + 1 if (cum > 1.0 / 3.0).any() else positive
    return gini, hhi, float(min(nak, positive))


def p_membership(params, substep, history, state):
    """Joins due, retirements and delegated capital at the start of the epoch."""
    g, t = params["inputs"], state["timestep"]  # the first block sees the previous step's number
    status, joined, retired = state["status"].copy(), state["joined"].copy(), state["retired"].copy()
    entries = state["entries"]
    pending = (status == k.PENDING) & (state["pend"] <= t)
    entries += int(pending.sum())
    status[pending] = k.ACTIVE
    joined[np.repeat(pending, g["sizes"])] = t
    on_op = np.repeat(status == k.ACTIVE, g["sizes"])
    aged = on_op & (retired == 0) & (joined <= t) & (t - joined >= g["life"])
    retired[aged] = 1
    active = on_op & (retired == 0) & (joined <= t)
    later = on_op & (retired == 0) & (joined > t) & (joined < k.NEVER)
    alive = np.add.reduceat((active | later).astype(np.int64), g["op_start"][:-1]) > 0
    gone = (status == k.ACTIVE) & ~alive
    status[gone] = k.LEFT
    deleg = np.where(active, state["deleg"], 0.0)
    own = float((g["own"] * active).sum())
    if t > 0 and g["k"] > 0:
        target = state["spart"] * g["epy"] / g["ryield"]
        total = state["deleg_total"] + g["k"] * (target - state["stake"])
        total = min(max(total, 0.0), max(state["circ"] - own, 0.0))
        kept = deleg.sum()
        weight = np.where(active, g["own"] + deleg, 0.0)
        if weight.sum() <= 0:
            deleg = np.zeros_like(deleg)
        elif total >= kept:
            deleg = deleg + (total - kept) * weight / weight.sum()
        else:
            deleg = deleg * (total / kept)
    return {"status": status, "joined": joined, "retired": retired, "active": active, "deleg": deleg,
            "own": own, "entries": entries, "exits_retired": state["exits_retired"] + int(gone.sum())}


def p_market(params, substep, history, state):
    """Routing, the rule, economics, sales, price impact, churn decisions and the epoch's measures."""
    g, t, run = params["inputs"], state["timestep"] - 1, state["run"] - 1
    active, deleg = state["active"], state["deleg"]
    price = g["price"][run][t] * np.exp(state["m"])
    stake = np.where(active, g["own"] + deleg, 0.0)
    room = g["epoch_s"] * active
    busy, work, fees, up = (np.zeros(active.size) for _ in range(4))
    for c in range(g["mean_busy"].shape[0]):
        demand = g["units"][run][t, c]
        if demand <= 0:
            continue
        ws, wc = g["w_stake"][c] * stake, np.where(active, g["w_cap"][c], 0.0)
        s_tot, c_tot = ws.sum(), wc.sum()
        share = g["rshare"][c] if s_tot > 0 else 1.0
        p = (1 - share) * ws / s_tot if share < 1 else np.zeros(active.size)
        if c_tot > 0:
            p = p + share * wc / c_tot
        drawn = p > 0
        cap = np.where(drawn, room / g["mean_busy"][c], 0.0)
        x = np.zeros(active.size)
        if drawn.any():
            if (cap[drawn] / p[drawn]).min() * p[drawn].sum() >= demand:
                x[drawn] = np.minimum(cap[drawn], demand / p[drawn].sum() * p[drawn])
            else:
                x[drawn] = water_fill(p[drawn], cap[drawn], demand)
        b = np.zeros(active.size)
        b[x > 0] = x[x > 0] * g["mean_busy"][c][x > 0]
        room = np.maximum(room - b, 0.0)
        busy += b
        work += x * g["unit"][k.F_WORK, c]
        fees += x * g["unit"][k.F_FEES, c]
        up += x * g["unit"][k.F_UP, c]
    emission = g["exo"][t, 0]
    theta_w, theta_s = g["theta"]
    paid_w = work / work.sum() if work.sum() > 0 else np.zeros(active.size)
    paid_s = stake / stake.sum() if stake.sum() > 0 else np.zeros(active.size)
    rewards = (theta_s * paid_s + theta_w * paid_w) * emission
    unallocated = emission * (theta_w * (work.sum() <= 0) + theta_s * (stake.sum() <= 0))
    spart = theta_s * paid_s * emission
    online = g["epoch_s"] * active
    cut = np.where(stake > 0, spart * deleg / np.where(stake > 0, stake, 1.0), 0.0) * active
    energy = g["cidle"] * online + g["cbusy"] * busy
    age = t - state["joined"]
    ok = active & (age >= 0) & (age < g["dep"].shape[0])
    dep = np.where(ok, g["dep"][np.clip(age, 0, g["dep"].shape[0] - 1), np.arange(active.size)], 0.0)
    node_earned = ((rewards - cut) * price + fees - up) * active
    starts = g["op_start"][:-1]
    op = lambda v: np.add.reduceat(v, starts)  # noqa: E731
    op_tok, op_stake = op(rewards), op(stake)
    op_grant = op((rewards - cut) * active)
    op_margin = op(node_earned) - op((energy + dep) * active)
    op_bills = op((energy + up - fees) * active)
    live = op(active.astype(np.float64)) > 0
    capital = float(cut.sum())
    liquid = state["liquid"] + op_grant
    sell = np.where(live & (op_bills > 0), np.minimum(op_bills / price, liquid), 0.0)
    liquid = liquid - sell
    sold = float(sell.sum())
    released = float(op_grant.sum() + capital)
    unlock, unlock_sell = g["exo"][t, 1], g["exo"][t, 2]
    depth = g["depth"] / (2 * price)
    net = sold + unlock_sell - g["buy"] / price
    move = 2 * np.log1p(abs(net) / depth)
    m = g["decay"] * state["m"] - (move if net > 0 else -move)
    # measures
    staked = float(stake.sum())
    paid = emission - unallocated
    ever = state["ever"] | live  # survivorship-free: every operator live so far, at 0 when not live now
    rg = gini_hhi_nakamoto(np.where(live, op_tok, 0.0)[ever])
    sg = gini_hhi_nakamoto(np.where(live, op_stake, 0.0)[ever])
    retail = g["op_class"] == 0
    survivors = (live & retail & g["initial"]).sum()
    measures = {"reward_gini": rg[0], "reward_hhi": rg[1], "reward_nakamoto": rg[2], "stake_gini": sg[0],
                "stake_hhi": sg[1], "stake_nakamoto": sg[2],
                "retail_share": op_tok[retail].sum() / op_tok.sum() if op_tok.sum() > 0 else np.nan,
                "retail_survival": survivors / g["retail0"], "operators": float(live.sum()),
                "entries": float(state["entries"]), "exits_loss": float(state["exits_loss"]), "price_usd": price,
                "paid_tokens": paid, "circulating_tokens": state["circ"] + unlock + released,
                "sell_pressure_tokens": sold + unlock_sell, "staked_tokens": staked,
                "delegated_tokens": staked - state["own"], "capital_share": capital / paid if paid > 0 else np.nan,
                "work_units": float((work * active).sum()), "fees_usd": float((fees * active).sum())}
    # churn decisions for the next epoch
    status, streak, pend = state["status"].copy(), state["streak"].copy(), state["pend"].copy()
    on = (status == k.ACTIVE) & live
    streak = np.where(on, np.where(op_margin < 0, streak + 1, 0), streak)
    leave = on & (streak >= g["patience"])
    status[leave] = k.LEFT
    hw = g["hw"]
    n_hw = int(hw.max()) + 1
    peers = (np.bincount(hw, weights=node_earned, minlength=n_hw),
             np.bincount(hw, weights=busy * active, minlength=n_hw))
    count = np.bincount(hw, weights=active.astype(np.float64), minlength=n_hw)
    waiting = (status == k.WAITING) & (g["avail"] <= t)
    if waiting.any():
        known = count[hw] > 0
        mean_earned = np.where(known, peers[0][hw] / np.where(known, count[hw], 1.0), 0.0)
        mean_busy = np.where(known, peers[1][hw] / np.where(known, count[hw], 1.0), 0.0)
        cost = g["cidle"] * g["epoch_s"] + g["cbusy"] * mean_busy + g["dep"][0]
        all_known = op(known.astype(np.float64)) == np.diff(g["op_start"])
        join = waiting & all_known & (op(mean_earned) >= (1 + g["hurdle"]) * op(cost)) & (op(mean_earned) > 0)
        status[join] = k.PENDING
        pend[join] = t + g["lag"]
    return {"status": status, "streak": streak, "pend": pend, "liquid": liquid, "m": m,
            "circ": state["circ"] + unlock + released, "spart": float(spart.sum()), "stake": staked,
            "deleg_total": float(deleg.sum()), "exits_loss": state["exits_loss"] + int(leave.sum()),
            "ever": ever, "measures": measures}


def take(name, params, substep, history, state, signal):
    """State update: the variable ``name`` takes the policy's value."""
    return name, signal[name]


def updater(name):
    return functools.partial(take, name)


def radcad_model(sc: Scenario, epochs: int, runs: int, seed: int):
    from radcad import Model

    g = inputs(sc, epochs, runs, seed)
    net = sc.network
    initial = {"status": net.op_status0.copy(), "joined": net.init_joined.copy(), "retired": net.init_retired.copy(),
               "active": np.zeros(net.n_nodes, bool), "deleg": np.zeros(net.n_nodes), "own": 0.0, "entries": 0,
               "exits_retired": 0, "exits_loss": 0, "streak": np.zeros(net.n_operators, np.int64),
               "pend": np.zeros(net.n_operators, np.int64), "liquid": np.zeros(net.n_operators), "m": 0.0,
               "circ": g["circ0"], "spart": 0.0, "stake": 0.0, "deleg_total": 0.0,
               "ever": np.zeros(net.n_operators, bool), "measures": {}}
    first = ("status", "joined", "retired", "active", "deleg", "own", "entries", "exits_retired")
    second = ("status", "streak", "pend", "liquid", "m", "circ", "spart", "stake", "deleg_total", "exits_loss",
              "ever", "measures")
    blocks = [{"policies": {"membership": p_membership}, "variables": {v: updater(v) for v in first}},
              {"policies": {"market": p_market}, "variables": {v: updater(v) for v in second}}]
    return Model(initial_state=initial, state_update_blocks=blocks, params={"inputs": [g]})


def inputs(sc: Scenario, epochs: int, runs: int, seed: int) -> dict:
    """The prepared inputs and per-run draws fairshare's kernel reads, as plain numpy for the radCAD model."""
    inp = kernel_inputs(sc, epochs)
    net = sc.network
    price, units, _, _ = _draws(sc, inp, np.random.SeedSequence(seed).spawn(runs))
    theta = RulePlan(STATUS_QUO, epochs).theta()[0]
    from fairshare.formulas import COMPONENTS

    return {"price": list(price), "units": list(units), "exo": inp.exo, "mean_busy": inp.mean_busy,
            "w_stake": inp.w_stake, "w_cap": inp.w_cap, "rshare": inp.rshare, "unit": inp.unit,
            "theta": (theta[list(COMPONENTS).index("work")], theta[list(COMPONENTS).index("stake")]),
            "own": net.own_stake, "cbusy": inp.nf[k.NF_CBUSY], "cidle": inp.nf[k.NF_CIDLE], "dep": inp.dep,
            "life": net.life_epochs, "op_start": net.op_start, "sizes": np.diff(net.op_start),
            "op_class": net.op_class, "initial": inp.oi[k.OI_INITIAL] > 0, "patience": inp.oi[k.OI_PATIENCE],
            "avail": net.op_avail, "hw": net.hw_code, "hurdle": inp.p[k.P_HURDLE], "lag": int(inp.ip[k.I_LAG]),
            "epoch_s": inp.p[k.P_EPOCH_S], "epy": inp.p[k.P_EPY], "k": inp.p[k.P_K], "ryield": inp.p[k.P_RYIELD],
            "depth": inp.p[k.P_DEPTH], "decay": inp.p[k.P_DECAY], "buy": inp.p[k.P_BUY],
            "circ0": inp.calendar.circulating0,
            "retail0": float(((inp.oi[k.OI_INITIAL] > 0) & (inp.oi[k.OI_CLASS] == 0)).sum())}


def run_radcad(sc, epochs, runs, seed, backend_name):
    from radcad import Backend, Experiment, Simulation

    model = radcad_model(sc, epochs, runs, seed)
    experiment = Experiment(Simulation(model=model, timesteps=epochs, runs=runs))
    experiment.engine.backend = getattr(Backend, backend_name)
    experiment.engine.deepcopy = False
    experiment.engine.drop_substeps = True
    if backend_name != "SINGLE_PROCESS":
        experiment.engine.processes = os.cpu_count()
    began, cpu = time.perf_counter(), time.process_time()
    records = experiment.run()
    seconds = time.perf_counter() - began
    run_radcad.cpu_seconds = time.process_time() - cpu  # this process's CPU (all of it for single_process)
    out = np.full((runs, epochs, len(COMPARED)), np.nan)
    for row in records:
        if row["timestep"] >= 1 and row["substep"] == 2:
            out[row["run"] - 1, row["timestep"] - 1] = [row["measures"][m] for m in COMPARED]
    return out, seconds


def reset_peak() -> bool:
    """Reset this process's peak resident memory (Linux); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_mib() -> float | None:
    """This process's peak resident memory since the last :func:`reset_peak`, MiB (None off Linux)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def children_peak_mib() -> float:
    """The largest peak resident memory of any finished child process, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def memory_row(measure: str, value, note: str) -> Row:
    return Row.info(measure, value, "MiB", note) if value is not None else Row.missing(measure, "MiB", note)


def fairshare_values(sim):
    return sim.values[:, :, [MEASURES.index(m) for m in COMPARED]]


def check_equal(operators, epochs, runs):
    sc = scenario(operators, deterministic=True)
    ours = fairshare_values(simulate(sc, STATUS_QUO, epochs=epochs, runs=runs, seed=1))
    theirs, _ = run_radcad(sc, epochs, runs, 1, "SINGLE_PROCESS")
    scale = np.maximum(np.nanmax(np.abs(ours), axis=(0, 1)), 1e-300)
    gap = np.nanmax(np.abs(ours - theirs) / scale, axis=(0, 1))
    same_nan = np.array_equal(np.isnan(ours), np.isnan(theirs))
    return gap, same_nan


def options() -> Options:
    cli = Options("simulate", __doc__.splitlines()[0])
    cli.add_sized("--runs", full=100, quick=10, type=int)
    cli.add_sized("--epochs", full=365, quick=365, type=int,
                  help="fairshare's cost per run-epoch is higher on short runs, so --quick keeps the year")
    cli.add_sized("--operators", full=1000, quick=1000, type=int)
    cli.add_sized("--check-epochs", full=365, quick=60, type=int)
    return cli


def main(argv=None):
    cli = options()
    args = cli.parse(argv)
    import numba

    try:
        import radcad
    except ImportError:
        radcad = None

    versions = {"python": sys.executable, "numpy": np.__version__, "numba": numba.__version__,
                "radcad": radcad.__version__ if radcad else None}
    if radcad is None:
        print(f"radCAD is not installed in {sys.executable}: timing fairshare alone "
              f"(pip install radcad in a separate environment and run this script with it)")
    else:
        print(f"fairshare {fs.__version__}, radCAD {radcad.__version__}, numpy {np.__version__}, "
              f"numba {numba.__version__}, {os.cpu_count()} CPUs, numba threads {numba.get_num_threads()}")
        gap, same_nan = check_equal(args.operators, args.check_epochs, 2)
        worst = int(np.argmax(gap))
        print(f"equality (deterministic configuration, 2 runs x {args.check_epochs} epochs): largest relative gap "
              f"{gap.max():.2e} ({COMPARED[worst]}), same undefined epochs: {same_nan}")
        if gap.max() > 1e-9 or not same_nan:
            raise SystemExit("trajectories differ by more than 1e-9 relative")
    sc = scenario(args.operators, deterministic=False)
    net = sc.network
    print(f"network: {net.n_nodes} node slots, {net.n_operators} operators; {args.runs} runs x {args.epochs} epochs")
    began = time.perf_counter()
    simulate(sc, STATUS_QUO, epochs=args.epochs, runs=1)  # compile (cached on disk) and set up, outside the timing
    print(f"fairshare set-up (network, costs, router, calendar; cached per scenario) and compile check: "
          f"{time.perf_counter() - began:.2f} s")
    resettable = reset_peak()
    began, cpu = time.perf_counter(), time.process_time()
    sim = simulate(sc, STATUS_QUO, epochs=args.epochs, runs=args.runs, seed=0)
    ours = time.perf_counter() - began
    ours_cpu = time.process_time() - cpu  # CPU seconds of every thread
    ours_peak = peak_mib() if resettable else None
    print(f"fairshare ({sim.path} path): {ours:.2f} s ({ours / args.runs / args.epochs * 1e6:.1f} us per run-epoch); "
          f"peak resident memory {ours_peak if ours_peak is None else round(ours_peak)} MiB; result "
          f"{sim.values.nbytes / 2**20:.0f} MiB")
    rows = [Row.info(f"fairshare simulate ({sim.path} path)", ours, "s",
                     f"{ours / args.runs / args.epochs * 1e6:.1f} us per run-epoch"),
            memory_row("fairshare peak resident memory (process, during the timed simulation)", ours_peak,
                       f"result arrays {sim.values.nbytes / 2**20:.0f} MiB" if resettable
                       else "cannot reset the peak on this system: not measured")]
    measure = "speed ratio, fastest radCAD backend / fairshare"
    if radcad is None:
        why = f"radCAD is not installed in {sys.executable}"
        rows.append(Row.missing(measure, "x", why, ">=", 100))
        cli.save(args, rows, network_operators=net.n_operators, **versions)
        return
    rows.append(Row.info("largest relative gap, deterministic check", float(gap.max()), "",
                         f"{COMPARED[worst]}; 2 runs x {args.check_epochs} epochs"))
    best = None
    timings = [ours]
    for backend in ("SINGLE_PROCESS", "MULTIPROCESSING", "PATHOS"):
        resettable = reset_peak()
        values, seconds = run_radcad(sc, args.epochs, args.runs, 0, backend)
        if backend == "SINGLE_PROCESS":
            cpu_ratio = run_radcad.cpu_seconds / ours_cpu
            rows.append(Row.info("CPU-time ratio, radCAD single_process / fairshare", cpu_ratio, "x",
                                 f"process CPU seconds {run_radcad.cpu_seconds:.1f} / {ours_cpu:.2f} (all threads): "
                                 "less sensitive to other load than wall time"))
            print(f"CPU-time ratio (radCAD single_process / fairshare, all threads): {cpu_ratio:.0f}x "
                  f"({run_radcad.cpu_seconds:.1f} / {ours_cpu:.2f} CPU s)")
            theirs_peak = peak_mib() if resettable else None
            rows.append(memory_row("radCAD single_process peak resident memory (process)", theirs_peak,
                                   "" if resettable else "cannot reset the peak on this system: not measured"))
            print(f"radCAD single_process peak resident memory {theirs_peak} MiB")
        gap = np.nanmax(np.abs(values - fairshare_values(sim)) / np.maximum(
            np.nanmax(np.abs(fairshare_values(sim)), axis=(0, 1)), 1e-300))
        print(f"radCAD {backend.lower()}: {seconds:.2f} s ({seconds / args.runs / args.epochs * 1e6:.1f} us per "
              f"run-epoch); largest relative gap to fairshare {gap:.1e}")
        rows.append(Row.info(f"radCAD {backend.lower()}", seconds, "s", f"largest relative gap to fairshare {gap:.1e}"))
        best = seconds if best is None else min(best, seconds)
        began = time.perf_counter()
        again = simulate(sc, STATUS_QUO, epochs=args.epochs, runs=args.runs, seed=0)
        timings.append(time.perf_counter() - began)
        if not np.array_equal(again.values, sim.values, equal_nan=True):
            raise SystemExit("fairshare's repeated simulation differs from its first")
        print(f"fairshare again: {timings[-1]:.2f} s")
    ours = float(np.median(timings))
    rows[0] = Row.info(f"fairshare simulate ({sim.path} path), median of {len(timings)}", ours, "s",
                       f"{ours / args.runs / args.epochs * 1e6:.1f} us per run-epoch; timings "
                       f"{', '.join(f'{x:.2f}' for x in timings)} s (before radCAD and after each backend)")
    workers = children_peak_mib()
    rows.append(Row.info("radCAD worker processes, largest peak resident memory", workers, "MiB",
                         "multiprocessing and pathos workers"))
    print(f"radCAD worker processes: largest peak resident memory {workers:.0f} MiB")
    print(f"speed ratio (fastest radCAD / median fairshare): {best / ours:.0f}x (fairshare timings "
          f"{', '.join(f'{x:.2f}' for x in timings)} s)")
    rows.insert(1, Row.check(measure, best / ours, "x", ">=", 100, f"fastest radCAD {best:.2f} s, median fairshare "
                             f"{ours:.2f} s, one run of this script"))
    cli.save(args, rows, network_operators=net.n_operators, **versions)


if __name__ == "__main__":
    main()
