"""Synthetic optimiser instances and hypothesis strategies (valid by construction, no assume storms).

Feasible instances start from a *witness*: random weights ``theta_w`` first,
then costs set below what ``theta_w`` pays each operator (a margin of 10-50%),
share caps and floors set with room around the witness, so the witness is
strictly feasible and solver statuses are clean.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from fairshare.optimization import Basis

EMISSION = 1000.0

#: Component names of synthetic instances (real names, so results are formulas.Linear rules).
NAMES = ("work", "stake", "tasks", "fees", "small_task_work", "availability", "identity_floor", "verified_work_tee",
         "verified_work_zkml")


def basis_from(tokens, costs, energy_fraction=0.5, margin=None, price=1.0, classes=None, components=None):
    tokens = np.asarray(tokens, dtype=float)
    costs = np.asarray(costs, dtype=float)
    k, c = tokens.shape
    return Basis.from_arrays(tokens, components=components or NAMES[:c],
                             price_usd=price, energy_usd=costs * energy_fraction,
                             depreciation_usd=costs * (1 - energy_fraction),
                             margin_usd=np.zeros(k) if margin is None else margin,
                             classes=classes if classes is not None else ["retail"] * k, emission_tokens=EMISSION)


def diagonal_basis(needs, price=1.0):
    """Component ``c`` pays operator ``c`` alone: coverage ``s E p theta_c >= need_c`` has answers in closed form."""
    needs = np.asarray(needs, dtype=float)
    return basis_from(np.eye(needs.size) * EMISSION, needs, price=price)


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def witness_instances(draw, max_k=7, max_c=4):
    """(basis, witness weights, status-quo weights, shares at the witness)."""
    k = draw(st.integers(3, max_k))
    c = draw(st.integers(2, max_c))
    raw = np.array(draw(st.lists(floats(0.01, 1.0), min_size=k * c, max_size=k * c))).reshape(k, c)
    tokens = raw / raw.sum(axis=0) * EMISSION
    w = np.array(draw(st.lists(floats(0.05, 1.0), min_size=c, max_size=c)))
    witness = w / w.sum()
    sq = np.array(draw(st.lists(floats(0.05, 1.0), min_size=c, max_size=c)))
    pays = tokens @ witness  # price 1: USD equals tokens
    cover = np.array(draw(st.lists(floats(0.5, 0.9), min_size=k, max_size=k)))
    energy = draw(floats(0.3, 0.7))
    classes = ["retail" if i % 2 == 0 else "colocation" for i in range(k)]
    basis = basis_from(tokens, pays * cover, energy_fraction=energy, classes=classes)
    return basis, witness, sq / sq.sum(), basis.shares @ witness
