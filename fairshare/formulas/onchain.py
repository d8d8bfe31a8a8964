"""A ``Linear`` rule exported as integer arithmetic over base units, with bounds a chain can rely on.

Public through :mod:`fairshare.formulas` (``export``, ``IntegerRule``). The
exported rule pays recipient ``i`` of an epoch with emission ``E`` base units

    ``payout_i = floor(E * sum_c (q_c / 2^P) * x_ci / X_c)``

where ``x_ci`` are the recipients' integer component quantities (the chain's
own units: work units, requests, seconds), ``X_c = sum_i x_ci`` the epoch's
totals (a component whose total is 0 pays nothing that epoch and its share
stays undistributed, as :class:`~fairshare.formulas.Linear` reports it
unallocated), and ``q_c`` the rule's weights quantised to ``P = weight_bits``
fractional bits by the largest-remainder method so that ``sum_c q_c = 2^P``
exactly and ``|q_c / 2^P - w_c / sum(w)| < 2^-P``. One floor per payout, over a common
denominator: ``payout_i = (E * sum_c q_c x_ci prod_{d != c} X_d) // (2^P prod_d X_d)``.

Overflow analysis (every intermediate below 2^256, the EVM's word): with
``E < 2^e`` (``emission_bits``) and every ``X_c < 2^b`` (``quantity_bits``),
``sum_c q_c x_ci prod_{d != c} X_d <= 2^P prod_d X_d < 2^(P + C b)``, so the
largest intermediate ``E * numerator < 2^(e + P + C b)``; :func:`export`
refuses bit budgets with ``e + P + C b > 256``. The Python reference checks
every input against the budget and every intermediate against 2^256.

Bounds (property tests in ``tests/test_export.py``):

- never over-spends: ``sum_i payout_i <= E * sum_{c: X_c > 0} q_c / 2^P <= E``;
- with one floor of each recipient's combined share the undistributed
  remainder ``E - sum_i payout_i`` is below the number of recipients ``K``
  when every component has a positive total (a scheme that floors each
  component's part separately loses up to ``C K`` units; largest remainder
  loses none);
- each payout equals the exact rational value of the rule with the quantised
  weights, rounded down;
- the float rule's exact value ``E sum_c w_c x_ci / X_c`` differs from the
  payout by less than ``E sum_c |w_c - q_c / 2^P| + 1`` base units (``<= E C 2^-P + 1``
  when the float weights sum to one exactly).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ..errors import FormulaError
from .rules import Linear

__all__ = ["export", "IntegerRule", "quantise_weights"]

WORD_BITS = 256


def quantise_weights(weights: dict, weight_bits: int) -> dict:
    """Weights as integers summing to ``2^weight_bits`` (largest remainder; ties to the first name).

    Parameters
    ----------
    weights : dict
        Component name -> weight >= 0, summing to 1 (a :class:`Linear` rule's weights).
    weight_bits : int
        Fractional bits ``P`` of the fixed-point weights.

    Returns
    -------
    dict
        Component name -> integer ``q_c`` with ``sum q_c == 2^P`` and ``|q_c / 2^P - w_c / sum(w)| < 2^-P``
        (the weights renormalised to sum to one exactly; ``Linear`` accepts float sums within 1e-9 of one).
    """
    scale = 1 << int(weight_bits)
    exact = {c: Fraction(float(w)) for c, w in weights.items()}
    total = sum(exact.values(), Fraction(0))
    quotas = {c: w * scale / total for c, w in exact.items()}
    out = {c: int(q) for c, q in quotas.items()}  # floors: quotas are >= 0
    order = sorted(quotas, key=lambda c: -(quotas[c] - out[c]))
    for c in order[: scale - sum(out.values())]:
        out[c] += 1
    return out


@dataclass(frozen=True)
class IntegerRule:
    """A ``Linear`` rule as integer arithmetic: the Python reference, its bounds and its generated source.

    Parameters
    ----------
    weights : dict
        Component name -> quantised weight ``q_c`` (integers summing to ``2^weight_bits``).
    float_weights : dict
        The rule's float weights the quantised ones stand for.
    weight_bits, emission_bits, quantity_bits : int
        ``P``, ``e`` and ``b`` of the overflow analysis (module docstring).
    max_recipients : int
        Largest number of recipients per epoch the generated contract accepts.
    name : str
        Label of the rule (the contract's comment, the files' stem).
    """

    weights: dict
    float_weights: dict
    weight_bits: int
    emission_bits: int
    quantity_bits: int
    max_recipients: int = 256
    name: str = "rule"
    components: tuple = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "components", tuple(self.weights))

    # -- the reference ------------------------------------------------------------------------------------------

    def payouts(self, emission: int, quantities) -> list:
        """Pay one epoch in base units, in pure integer arithmetic (the reference of the generated source).

        Parameters
        ----------
        emission : int
            The epoch's emission in base units, ``0 <= emission < 2^emission_bits``.
        quantities : dict or sequence
            Per component (dict by name, or a sequence in :attr:`components` order): a sequence of the
            recipients' integer quantities ``x_ci >= 0``, all of the same length ``K``, each component's
            total below ``2^quantity_bits``.

        Returns
        -------
        list of int
            ``payout_i``, one per recipient.
        """
        rows = self._rows(quantities)
        if not (isinstance(emission, int) and 0 <= emission < (1 << self.emission_bits)):
            raise FormulaError(f"IntegerRule emission must be a whole number of base units in [0, 2^"
                               f"{self.emission_bits}), got {emission!r}; export with a larger emission_bits.")
        totals = [sum(row) for row in rows]
        for c, t in zip(self.components, totals):
            if t >= (1 << self.quantity_bits):
                raise FormulaError(f"IntegerRule component {c!r} totals {t}, not below 2^{self.quantity_bits}; "
                                   f"measure it in coarser units or export with a larger quantity_bits.")
        factors = [t if t > 0 else 1 for t in totals]
        q = [self.weights[c] for c in self.components]
        denominator = (1 << self.weight_bits) * _product(factors)
        out = []
        for i in range(len(rows[0]) if rows else 0):
            numerator = 0
            for c in range(len(rows)):
                numerator += q[c] * rows[c][i] * _product(factors[:c] + factors[c + 1:])
            wide = emission * numerator
            if wide >= 1 << WORD_BITS:  # cannot happen within the budget; the check is the analysis' witness
                raise FormulaError(f"IntegerRule intermediate {wide.bit_length()} bits exceeds {WORD_BITS}.")
            out.append(wide // denominator)
        return out

    def exact_value(self, emission: int, quantities, weights: dict | None = None) -> list:
        """The rule's exact rational payouts (no floor), with the quantised weights or the given ones.

        Parameters
        ----------
        emission : int
            The epoch's emission in base units.
        quantities : dict or sequence
            As in :meth:`payouts`.
        weights : dict, optional
            Weights as fractions of one (default: the quantised ``q_c / 2^P``); the float rule's
            ``float_weights`` give the float rule's exact value.
        """
        rows = self._rows(quantities)
        if weights is None:
            w = [Fraction(self.weights[c], 1 << self.weight_bits) for c in self.components]
        else:
            w = [Fraction(float(weights.get(c, 0.0))) for c in self.components]
        totals = [sum(row) for row in rows]
        return [sum((emission * w[c] * Fraction(rows[c][i], totals[c]) for c in range(len(rows)) if totals[c]),
                    Fraction(0)) for i in range(len(rows[0]) if rows else 0)]

    def _rows(self, quantities):
        if isinstance(quantities, dict):
            missing = [c for c in self.components if c not in quantities]
            if missing:
                raise FormulaError(f"IntegerRule quantities miss components {missing}; give one sequence per "
                                   f"component of {list(self.components)}.")
            rows = [list(quantities[c]) for c in self.components]
        else:
            rows = [list(r) for r in quantities]
            if len(rows) != len(self.components):
                raise FormulaError(f"IntegerRule quantities need {len(self.components)} rows (components "
                                   f"{list(self.components)}), got {len(rows)}.")
        if len({len(r) for r in rows}) > 1:
            raise FormulaError("IntegerRule quantities: every component needs one value per recipient (same length).")
        if rows and len(rows[0]) > self.max_recipients:
            raise FormulaError(f"IntegerRule pays at most {self.max_recipients} recipients per call, got "
                               f"{len(rows[0])}; export with a larger max_recipients.")
        for c, r in zip(self.components, rows):
            if not all(isinstance(v, int) and v >= 0 for v in r):
                raise FormulaError(f"IntegerRule quantities of {c!r} must be whole numbers >= 0 (the chain's units).")
        return rows

    # -- bounds ---------------------------------------------------------------------------------------------------

    @property
    def bounds(self) -> dict:
        """The stated bounds, as numbers: bit budget, weight error, float-rule distance per unit of emission."""
        scale = 1 << self.weight_bits
        weight_error = sum(abs(Fraction(float(self.float_weights.get(c, 0.0))) - Fraction(self.weights[c], scale))
                           for c in self.components)
        c = len(self.components)
        return {"weight_bits": self.weight_bits, "emission_bits": self.emission_bits,
                "quantity_bits": self.quantity_bits, "components": c,
                "largest_intermediate_bits": self.emission_bits + self.weight_bits + c * self.quantity_bits,
                "word_bits": WORD_BITS, "max_weight_error": float(max(
                    abs(Fraction(float(self.float_weights.get(k, 0.0))) - Fraction(self.weights[k], scale))
                    for k in self.components)),
                "float_distance_per_emission_unit": float(weight_error),
                "remainder_below": "number of recipients (every component with a positive total)"}

    def describe_bounds(self) -> str:
        """The bounds in words, for a report."""
        b = self.bounds
        return (f"Integer rule {self.name}: weights {dict(self.weights)} over 2^{self.weight_bits} "
                f"(largest weight error {b['max_weight_error']:.3g}); emission < 2^{self.emission_bits} base units, "
                f"each component's epoch total < 2^{self.quantity_bits}; largest intermediate < "
                f"2^{b['largest_intermediate_bits']} <= 2^{WORD_BITS}. Payouts never exceed the emission; the "
                f"undistributed remainder is below the number of recipients (one floor per payout); each payout "
                f"is the exact rational value with the quantised weights, rounded down; it differs from the float "
                f"rule's exact value by less than {b['float_distance_per_emission_unit']:.3g} x emission + 1 "
                f"base units.")

    # -- generated source -----------------------------------------------------------------------------------------

    def vyper_source(self) -> str:
        """Vyper 0.4 source of the rule: ``payouts(emission, x_<component>...) -> DynArray[uint256, N]``."""
        n = len(self.components)
        args = ", ".join(f"x{c}: DynArray[uint256, N]" for c in range(n))
        lines = [
            "# pragma version ~=0.4.3",
            f"# {self.name}: generated by fairshare.formulas.export. payout_i = floor(E * sum_c q_c x_ci / X_c / 2^P)",
            f"# over one common denominator. Budget: E < 2^{self.emission_bits}, every X_c < 2^{self.quantity_bits},"
            f" P = {self.weight_bits}:",
            f"# intermediates < 2^{self.emission_bits + self.weight_bits + n * self.quantity_bits}.",
            f"# Components (argument order): {', '.join(self.components)}.",
            "",
            f"N: constant(uint256) = {self.max_recipients}",
            f"ONE: constant(uint256) = {1 << self.weight_bits}",
            f"EMISSION_LIMIT: constant(uint256) = {1 << self.emission_bits}",
            f"TOTAL_LIMIT: constant(uint256) = {1 << self.quantity_bits}",
        ]
        lines += [f"Q{c}: constant(uint256) = {self.weights[name]}  # {name}" for c, name in enumerate(self.components)]
        lines += ["", "", "@external", "@pure", f"def payouts(emission: uint256, {args}) -> DynArray[uint256, N]:",
                  "    assert emission < EMISSION_LIMIT, \"emission above budget\"",
                  "    k: uint256 = len(x0)"]
        for c in range(n):
            if c:
                lines.append(f"    assert len(x{c}) == k, \"lengths differ\"")
            lines += [f"    t{c}: uint256 = 0",
                      f"    for v: uint256 in x{c}:",
                      f"        t{c} += v",
                      f"    assert t{c} < TOTAL_LIMIT, \"total above budget\"",
                      f"    d{c}: uint256 = max(t{c}, 1)"]
        lines.append("    den: uint256 = ONE" + "".join(f" * d{c}" for c in range(n)))
        lines += ["    out: DynArray[uint256, N] = []", "    for i: uint256 in range(k, bound=N):"]
        terms = []
        for c in range(n):
            others = "".join(f" * d{d}" for d in range(n) if d != c)
            terms.append(f"Q{c} * x{c}[i]{others}")
        lines.append("        num: uint256 = " + " + ".join(terms))
        lines += ["        out.append(emission * num // den)", "    return out", ""]
        return "\n".join(lines)

    def reference_source(self) -> str:
        """A standalone pure-integer Python reference of the rule (no imports), for auditors."""
        q = {c: self.weights[c] for c in self.components}
        return (
            f'"""{self.name}: integer payouts, generated by fairshare.formulas.export (see BOUNDS.md)."""\n\n'
            f"COMPONENTS = {list(self.components)!r}\n"
            f"Q = {q!r}  # weights over 2**{self.weight_bits}\n"
            f"P, EMISSION_BITS, QUANTITY_BITS = {self.weight_bits}, {self.emission_bits}, {self.quantity_bits}\n\n\n"
            "def payouts(emission, quantities):\n"
            "    rows = [list(quantities[c]) for c in COMPONENTS]\n"
            "    assert 0 <= emission < 2 ** EMISSION_BITS\n"
            "    totals = [sum(r) for r in rows]\n"
            "    assert all(t < 2 ** QUANTITY_BITS for t in totals)\n"
            "    d = [t if t > 0 else 1 for t in totals]\n"
            "    den = 2 ** P\n"
            "    for v in d:\n"
            "        den *= v\n"
            "    out = []\n"
            "    for i in range(len(rows[0])):\n"
            "        num = 0\n"
            "        for c, name in enumerate(COMPONENTS):\n"
            "            term = Q[name] * rows[c][i]\n"
            "            for k, v in enumerate(d):\n"
            "                if k != c:\n"
            "                    term *= v\n"
            "            num += term\n"
            "        assert emission * num < 2 ** 256\n"
            "        out.append(emission * num // den)\n"
            "    return out\n")

    def vectors(self, seed: int = 0, count: int = 24, recipients: int = 8) -> list:
        """Deterministic test vectors ``{"emission", "quantities", "payouts"}`` spanning the bit budget.

        Parameters
        ----------
        seed : int
            Seed of the generator (``random.Random``).
        count : int
            Number of random epochs (edge cases are added: zero emission, an all-zero component, the
            largest emission and totals the budget allows).
        recipients : int
            Recipients per random epoch (at most ``max_recipients``).
        """
        import random

        rng = random.Random(seed)
        n = len(self.components)
        k = min(recipients, self.max_recipients)
        cases = []
        for j in range(count):
            bits = rng.randint(1, self.quantity_bits) - max(0, (k - 1).bit_length())
            rows = [[rng.randrange(1 << max(bits, 1)) if rng.random() > 0.2 else 0 for _ in range(k)]
                    for _ in range(n)]
            emission = rng.randrange(1 << rng.randint(1, self.emission_bits))
            cases.append((emission, rows))
        top = (1 << self.quantity_bits) - 1
        cases.append((0, [[1] * k for _ in range(n)]))
        cases.append(((1 << self.emission_bits) - 1, [[top // k] * (k - 1) + [top // k + top % k] for _ in range(n)]))
        ramp = [[j + 1 for j in range(k)] for _ in range(n - 1)]
        cases.append((min(10**22, (1 << self.emission_bits) - 1), [[0] * k] + ramp))
        return [{"emission": e, "quantities": rows, "payouts": self.payouts(e, rows)} for e, rows in cases]

    def write(self, directory, *, seed: int = 0) -> dict:
        """Write ``<name>.vy``, ``<name>_reference.py``, ``<name>_vectors.json`` and ``<name>_BOUNDS.md``.

        Parameters
        ----------
        directory : str or Path
            Folder to write into (created if missing).
        seed : int
            Seed of the test vectors.

        Returns
        -------
        dict
            File kind -> path written.
        """
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {"vyper": folder / f"{self.name}.vy", "reference": folder / f"{self.name}_reference.py",
                 "vectors": folder / f"{self.name}_vectors.json", "bounds": folder / f"{self.name}_BOUNDS.md"}
        paths["vyper"].write_text(self.vyper_source())
        paths["reference"].write_text(self.reference_source())
        vectors = [{**v, "emission": str(v["emission"]), "payouts": [str(p) for p in v["payouts"]],
                    "quantities": [[str(x) for x in row] for row in v["quantities"]]} for v in self.vectors(seed)]
        paths["vectors"].write_text(json.dumps({"components": list(self.components), "vectors": vectors}, indent=1))
        paths["bounds"].write_text(f"# {self.name}: integer export\n\n{self.describe_bounds()}\n\n"
                                   + "\n".join(f"- {k}: {v}" for k, v in self.bounds.items()) + "\n")
        return paths


def _product(values) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def export(rule, directory=None, *, name: str | None = None, weight_bits: int = 64, emission_bits: int = 96,
           quantity_bits: int | None = None, max_recipients: int = 256) -> IntegerRule:
    """Export a ``Linear`` rule (or a preset with ``as_linear()``) as integer arithmetic over base units.

    Parameters
    ----------
    rule : Linear or object with ``as_linear()``
        The rule; only components with a positive weight are exported.
    directory : str or Path, optional
        When given, :meth:`IntegerRule.write` writes the generated Vyper source, the Python reference,
        test vectors and the bounds there.
    name : str, optional
        Stem of the files and label of the contract (default: ``rule.name``).
    weight_bits : int, default 64
        Fractional bits ``P`` of the quantised weights (weight error below ``2^-P``).
    emission_bits : int, default 96
        ``e``: emissions below ``2^e`` base units (2^96 is 7.9e28: a day's emission of an 18-decimal
        token, about 1e22, fits with room).
    quantity_bits : int, optional
        ``b``: each component's epoch total below ``2^b``. Default: the largest the 256-bit word allows,
        ``floor((256 - e - P) / C)``.
    max_recipients : int, default 256
        Recipients per call the generated contract accepts.

    Returns
    -------
    IntegerRule

    Examples
    --------
    >>> import fairshare as fs
    >>> r = fs.formulas.export(fs.formulas.Linear({"work": 0.7, "tasks": 0.3}))
    >>> r.payouts(10**22, {"work": [3, 1], "tasks": [1, 1]})
    [6749999999999999986149, 3250000000000000013850]
    """
    if hasattr(rule, "as_linear") and not isinstance(rule, Linear):
        rule = rule.as_linear()
    if not isinstance(rule, Linear):
        raise FormulaError(f"export needs a Linear rule (or a preset with as_linear()), got {type(rule).__name__}; "
                           "rules that are not linear in fixed components have no integer export here.")
    weights = {c: float(w) for c, w in rule.weights.items() if w > 0}
    for value, what in ((weight_bits, "weight_bits"), (emission_bits, "emission_bits"),
                        (max_recipients, "max_recipients")):
        if not (isinstance(value, int) and value >= 1):
            raise FormulaError(f"export {what} must be a whole number >= 1, got {value!r}.")
    c = len(weights)
    room = WORD_BITS - emission_bits - weight_bits
    if quantity_bits is None:
        quantity_bits = room // c
    if not (isinstance(quantity_bits, int) and quantity_bits >= 1):
        raise FormulaError(f"export has no room for component totals: 256 - emission_bits ({emission_bits}) - "
                           f"weight_bits ({weight_bits}) leaves {room} bits for {c} components; lower the bit budget.")
    if emission_bits + weight_bits + c * quantity_bits > WORD_BITS:
        raise FormulaError(f"export bit budget {emission_bits} + {weight_bits} + {c} x {quantity_bits} = "
                           f"{emission_bits + weight_bits + c * quantity_bits} exceeds {WORD_BITS}; lower "
                           f"quantity_bits to {room // c} or fewer, or weight_bits or emission_bits.")
    out = IntegerRule(weights=quantise_weights(weights, weight_bits), float_weights=weights,
                      weight_bits=weight_bits, emission_bits=emission_bits, quantity_bits=quantity_bits,
                      max_recipients=max_recipients, name=name or rule.name)
    if directory is not None:
        out.write(directory)
    return out
