"""Small hand-made tables and hypothesis strategies for data-model tests.

Strategies build valid task logs by construction (no ``assume`` storms):
busy time per row is drawn below ``epoch_seconds / max_rows_per_cell`` so a
node's epoch never overflows, and epochs are drawn inside each node's window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

EPOCH_SECONDS = 86_400.0


def nodes_frame(n: int = 3, joined=None, left=None) -> pd.DataFrame:
    hardware = ["rtx4090", "mac_m2_ultra", "h100_sxm_x8", "tee_proxy", "a100_80gb"]
    df = pd.DataFrame({
        "node_id": [f"n{i}" for i in range(n)],
        "operator_id": [f"op{i // 2}" for i in range(n)],
        "hardware": [hardware[i % len(hardware)] for i in range(n)],
        "gpu_count": [1 + (i % 3) for i in range(n)],
        "power_w": [400.0 + 10 * i for i in range(n)],
        "idle_power_w": [80.0 + i for i in range(n)],
        "pue": [1.0 + 0.1 * (i % 4) for i in range(n)],
        "electricity_usd_per_kwh": [0.165 - 0.01 * (i % 5) for i in range(n)],
        "capex_usd": [1800.0 * (i + 1) for i in range(n)],
        "lifetime_days": [1095.0 + 365 * (i % 2) for i in range(n)],
        "residual_fraction": [0.3 - 0.05 * (i % 3) for i in range(n)],
        "stake_tokens": [10.0 * (i + 1) for i in range(n)],
        "joined_epoch": joined if joined is not None else [0] * n,
        "region": ["us" if i % 2 else "de" for i in range(n)],
    })
    if left is not None:
        df["left_epoch"] = pd.array(left, dtype="Int64")
    return df


def market_frame(n_epochs: int = 3, first: int = 0) -> pd.DataFrame:
    return pd.DataFrame({
        "epoch": np.arange(first, first + n_epochs),
        "emission_tokens": np.full(n_epochs, 34_246.0),
        "token_price_usd": np.linspace(0.15, 0.17, n_epochs),
    })


def tasks_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "epoch": [0, 0, 1, 2, 2],
        "node_id": ["n0", "n1", "n2", "n2", "n0"],
        "model": ["llama-3.1-8b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-70b", "mistral-7b"],
        "requests": [1, 3, 10, 2, 1],
        "input_tokens": [1020.0, 2000.0, 90_000.0, 200_000.0, 700.0],
        "output_tokens": [129.0, 400.0, 9_000.0, 5_000.0, 150.0],
        "busy_seconds": [1.2, 2.5, 60.0, 100.0, 1.0],
        "verification": ["vanilla", "tee", "tee", "zkml", "vanilla"],
        "fee_usd": [0.0001, 0.0003, 0.05, 0.5, 0.0001],
    })


MODELS = ("llama-3.1-8b", "llama-3.1-70b", "mistral-7b", "proxy-hosted")
MODES = ("vanilla", "tee", "zkml")


@st.composite
def task_logs(draw, max_nodes: int = 6, max_epochs: int = 5, max_rows: int = 40):
    """(nodes, tasks, market) frames of a valid history: at least one task, maybe empty epochs and idle nodes."""
    n_nodes = draw(st.integers(1, max_nodes))
    n_epochs = draw(st.integers(1, max_epochs))
    first = draw(st.integers(-3, 3))
    joined = draw(st.lists(st.integers(first, first + n_epochs - 1), min_size=n_nodes, max_size=n_nodes))
    spans = draw(st.lists(st.integers(0, n_epochs), min_size=n_nodes, max_size=n_nodes))
    left = [j + s if j + s < first + n_epochs else None for j, s in zip(joined, spans)]
    nodes = nodes_frame(n_nodes, joined=joined, left=left)
    n_rows = draw(st.integers(1, max_rows))
    rows = []
    for _ in range(n_rows):
        i = draw(st.integers(0, n_nodes - 1))
        last = left[i] if left[i] is not None else first + n_epochs - 1
        requests = draw(st.integers(1, 50))
        rows.append({
            "epoch": draw(st.integers(joined[i], last)),
            "node_id": f"n{i}",
            "model": draw(st.sampled_from(MODELS)),
            "requests": requests,
            "input_tokens": float(draw(st.integers(0, 12_000)) * requests),
            "output_tokens": float(draw(st.integers(0, 3_000)) * requests),
            # no subnormal amounts: halved by a split key they underflow to zero, as no real amount does
            "busy_seconds": draw(st.floats(0, EPOCH_SECONDS / max_rows, allow_nan=False, allow_subnormal=False)),
            "verification": draw(st.sampled_from(MODES)),
            "fee_usd": draw(st.floats(0, 10, allow_nan=False, allow_subnormal=False)),
            "upstream_cost_usd": draw(st.floats(0, 1, allow_nan=False, allow_subnormal=False)),
        })
    columns = ["epoch", "node_id", "model", "requests", "input_tokens", "output_tokens", "busy_seconds",
               "verification", "fee_usd", "upstream_cost_usd"]
    tasks = pd.DataFrame(rows, columns=columns)
    return nodes, tasks, market_frame(n_epochs, first)


#: Holdings: zeros, small whole numbers (ties) and values over 21 decades.
HOLDINGS = st.one_of(st.just(0.0), st.integers(0, 6).map(float), st.floats(1e-9, 1e12))


@st.composite
def matrices(draw, elements=HOLDINGS, min_n=1, max_n=40, max_rows=3):
    """``(rows, n)`` non-negative float64 holdings, every row with a positive total."""
    from hypothesis.extra import numpy as hnp

    shape = (draw(st.integers(1, max_rows)), draw(st.integers(min_n, max_n)))
    x = draw(hnp.arrays(np.float64, shape, elements=elements))
    x[x.sum(axis=1) == 0, 0] = 1.0
    return x
