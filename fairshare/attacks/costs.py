"""What attacks cost: the protocol's prices for a key, a fee and capital, and the attack sizes.

Public through :mod:`fairshare.attacks`. Every attack's net gain is measured against these
costs (docs/attacks.md). They are protocol parameters or stated assumptions, never derived
from what honest operators spend running their machines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError

__all__ = ["AttackCosts", "CAPACITY_PROOFS", "DEFAULT_SPLIT_K"]

#: How a network checks the capacity behind ``availability`` (see :class:`AttackCosts`).
CAPACITY_PROOFS = ("sequential", "simultaneous")

#: Keys per node the split attack tries.
DEFAULT_SPLIT_K = (2, 3, 5, 10)


def _number(value, name: str, low: float = 0.0, high: float = np.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"AttackCosts {name} must be a number, got {value!r}.")
    v = float(value)
    if not (np.isfinite(v) and low <= v <= high):
        raise ConfigError(f"AttackCosts {name} must be a finite number in [{low:g}, {high:g}], got {value!r}.")
    return v


@dataclass(frozen=True)
class AttackCosts:
    """The prices an attacker pays, and how large the measured attacks are.

    Parameters
    ----------
    identity_cost_usd : float, default 0.0
        What the protocol makes one more key cost, USD per key per epoch: registration burn amortised,
        bonded stake times the cost of capital, required attestation or hardware rent. A protocol
        parameter (cite its source in ``identity_cost_source``); 0 when unstated, and every output
        says so: at 0 no per-key pay can be safe.
    identity_cost_source : str, default "not stated (0)"
        Where ``identity_cost_usd`` comes from, printed beside every net gain.
    take_rate : float, default 0.0
        Share of every fee the protocol keeps (burn or treasury), in [0, 1]: the only part of a fee a
        node paying itself does not get back.
    gas_usd_per_request : float, default 0.0
        Transaction cost of submitting one request, USD.
    cost_of_capital : float, default 0.10
        Yearly return the capital an attacker bonds as stake could earn elsewhere (an assumption:
        docs/attacks.md).
    capacity_proofs : {"sequential", "simultaneous"}, default "sequential"
        How the network checks the devices behind ``availability``: ``"sequential"`` challenges let one
        device answer for several keys (each key claims the device's full online time);
        ``"simultaneous"`` challenges make keys on one device share its time.
    fake_share : float, default 0.01
        Size of each fake-demand and stake attack: this share of the epoch's network total of the
        quantity it targets, bought in every epoch the attacker works (fake demand also fits in the
        attacker's idle time), in (0, 1].
    tiny_request_tokens : tuple of (int, int), default (1, 1)
        Prompt and generated tokens of the cheapest request that counts as a task.
    split_k : tuple of int, default DEFAULT_SPLIT_K
        Keys per node the split attack tries (each >= 2).
    """

    identity_cost_usd: float = 0.0
    identity_cost_source: str = "not stated (0)"
    take_rate: float = 0.0
    gas_usd_per_request: float = 0.0
    cost_of_capital: float = 0.10
    capacity_proofs: str = "sequential"
    fake_share: float = 0.01
    tiny_request_tokens: tuple = (1, 1)
    split_k: tuple = field(default=DEFAULT_SPLIT_K)

    def __post_init__(self):
        _number(self.identity_cost_usd, "identity_cost_usd")
        _number(self.take_rate, "take_rate", 0.0, 1.0)
        _number(self.gas_usd_per_request, "gas_usd_per_request")
        _number(self.cost_of_capital, "cost_of_capital", 0.0, 10.0)
        _number(self.fake_share, "fake_share", 1e-12, 1.0)
        if self.capacity_proofs not in CAPACITY_PROOFS:
            raise ConfigError(f"AttackCosts capacity_proofs must be one of {', '.join(CAPACITY_PROOFS)}, "
                              f"got {self.capacity_proofs!r}.")
        tokens = tuple(self.tiny_request_tokens)
        if len(tokens) != 2 or any(isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0
                                   for t in tokens) or sum(tokens) == 0:
            raise ConfigError(f"AttackCosts tiny_request_tokens must be (prompt, generated) whole numbers >= 0, "
                              f"not both 0; got {self.tiny_request_tokens!r}.")
        ks = tuple(self.split_k)
        if not ks or any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2 for k in ks):
            raise ConfigError(f"AttackCosts split_k must be whole numbers >= 2, got {self.split_k!r}.")
        object.__setattr__(self, "tiny_request_tokens", tuple(int(t) for t in tokens))
        object.__setattr__(self, "split_k", tuple(sorted({int(k) for k in ks})))
        if not isinstance(self.identity_cost_source, str):
            raise ConfigError(f"AttackCosts identity_cost_source must be a string, got {self.identity_cost_source!r}.")

    @classmethod
    def for_history(cls, history, identity_cost_usd: float | None = None) -> "AttackCosts":
        """The costs of a history's network: the identity cost given, else the one its dataset states, else 0.

        Parameters
        ----------
        history : History or None
            The history (its ``metadata.identity_cost_usd`` is used when given).
        identity_cost_usd : float, optional
            The caller's identity cost, USD per key per epoch; it wins over the dataset's.
        """
        if identity_cost_usd is not None:
            return cls(identity_cost_usd=identity_cost_usd, identity_cost_source="stated by the caller")
        meta = getattr(history, "metadata", None)
        stated = getattr(meta, "identity_cost_usd", None)
        if stated is not None:
            return cls(identity_cost_usd=float(stated),
                       identity_cost_source=f"stated by the {meta.network} dataset (docs/attacks.md)")
        return cls()

    def describe(self) -> str:
        """One line naming the costs every net gain is measured against."""
        return (f"identity cost ${self.identity_cost_usd:,.2f} per key per epoch ({self.identity_cost_source}); "
                f"protocol take {self.take_rate:.1%} of fees; gas ${self.gas_usd_per_request:g} per request; "
                f"cost of capital {self.cost_of_capital:.0%} a year; {self.capacity_proofs} capacity proofs; "
                f"fake demand and stake attacks of {self.fake_share:.0%} of the network's epoch total")
