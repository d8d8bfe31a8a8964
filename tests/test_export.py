"""fs.formulas.export: a Linear rule as integer arithmetic; its bounds as properties; its Vyper source run on an EVM.

The generated Vyper source is compiled with vyper and executed on py-evm through titanoboa (the ``test`` extra
installs it; no skip): every test vector the Python reference writes must come back bit for bit.
"""

import json
import math
import time
from fractions import Fraction

import boa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairshare as fs
from fairshare.errors import FormulaError
from fairshare.formulas import COMPONENTS, IntegerRule, Linear, export, quantise_weights

NAMES = list(COMPONENTS)


@st.composite
def rules(draw):
    """A Linear rule on 1-4 components with positive integer-drawn weights normalised to one."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    raw = draw(st.lists(st.integers(1, 10**6), min_size=len(names), max_size=len(names)))
    total = sum(raw)
    weights = {c: r / total for c, r in zip(names, raw)}
    drift = sum(weights.values()) - 1.0  # keep the float sum within Linear's 1e-9
    weights[names[0]] -= drift
    return Linear(weights)


@st.composite
def epochs(draw, rule: IntegerRule, zero_components: bool = True):
    """(emission, quantities) within the rule's bit budget."""
    k = draw(st.integers(1, 12))
    cap = (1 << rule.quantity_bits) - 1
    rows = []
    for _ in rule.components:
        per = cap // k
        row = draw(st.lists(st.integers(0, per), min_size=k, max_size=k))
        if not zero_components and sum(row) == 0:
            row[0] = 1
        rows.append(row)
    emission = draw(st.integers(0, (1 << rule.emission_bits) - 1))
    return emission, rows


@pytest.mark.property
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_integer_rule_bounds_hold(data):
    rule = export(data.draw(rules()), weight_bits=data.draw(st.sampled_from([16, 32, 64])))
    emission, rows = data.draw(epochs(rule))
    pay = rule.payouts(emission, rows)
    k = len(rows[0])
    # never over-spends
    assert sum(pay) <= emission and min(pay) >= 0
    # each payout is the exact rational value with the quantised weights, rounded down
    exact = rule.exact_value(emission, rows)
    assert pay == [math.floor(v) for v in exact]
    # undistributed remainder: below K when every component has a positive total; otherwise the empty components'
    # quantised share stays undistributed on top
    empty_share = sum(Fraction(rule.weights[c], 1 << rule.weight_bits)
                      for c, row in zip(rule.components, rows) if sum(row) == 0)
    remainder = emission - sum(pay)
    assert 0 <= remainder - emission * empty_share < k
    # the float rule's exact value is within E * sum |w - q / 2^P| + 1 of each payout
    float_exact = rule.exact_value(emission, rows, weights=rule.float_weights)
    weight_error = sum(abs(Fraction(w) - Fraction(rule.weights[c], 1 << rule.weight_bits))
                       for c, w in rule.float_weights.items())
    slack = emission * weight_error + 1
    assert all(abs(f - p) < slack for f, p in zip(float_exact, pay))


@pytest.mark.property
@settings(max_examples=30, deadline=None)
@given(rule=rules(), bits=st.integers(8, 96))
def test_quantised_weights_sum_to_one_and_are_within_one_unit(rule, bits):
    q = quantise_weights(rule.weights, bits)
    assert sum(q.values()) == 1 << bits
    total = sum(Fraction(w) for w in rule.weights.values())  # Linear accepts float sums within 1e-9 of one
    assert all(abs(Fraction(w) / total - Fraction(q[c], 1 << bits)) < Fraction(1, 1 << bits)
               for c, w in rule.weights.items())


def test_bit_budget_edges_stay_below_256_bits():
    for weights in ({"work": 1.0}, {"work": 0.5, "tasks": 0.25, "stake": 0.25},
                    {"work": 0.4, "tasks": 0.2, "stake": 0.2, "fees": 0.2}):
        rule = export(Linear(weights))
        assert rule.bounds["largest_intermediate_bits"] <= 256
        top = (1 << rule.quantity_bits) - 1
        rows = [[top - 1, 1] for _ in rule.components]
        pay = rule.payouts((1 << rule.emission_bits) - 1, rows)  # the reference checks 2^256 itself
        assert sum(pay) < 1 << rule.emission_bits


def test_a_day_of_an_18_decimal_token_fits_and_the_float_distance_is_stated():
    rule = export(Linear({"work": 0.7, "tasks": 0.3}))
    assert rule.emission_bits == 96 and 10**22 < 1 << 96 and 10**22 > (1 << 64)  # beyond u64
    pay = rule.payouts(10**22, {"work": [3, 1], "tasks": [1, 1]})
    assert pay == [6749999999999999986149, 3250000000000000013850]
    assert 10**22 - sum(pay) == 1 < 2
    # 64-bit weights: at most 5.6e-17 of the emission from the float rule's exact value (5.6e5 base units of 1e22)
    assert rule.bounds["float_distance_per_emission_unit"] < 6e-17


def test_export_errors():
    with pytest.raises(FormulaError, match=r"export needs a Linear rule .*got Capped"):
        export(fs.formulas.Capped(0.02))
    with pytest.raises(FormulaError, match=r"bit budget 96 \+ 64 \+ 2 x 60 = 280 exceeds 256; lower quantity_bits "
                                           r"to 48"):
        export(Linear({"work": 0.5, "tasks": 0.5}), quantity_bits=60)
    rule = export(Linear({"work": 1.0}), emission_bits=64)
    with pytest.raises(FormulaError, match=r"emission must be a whole number of base units in \[0, 2\^64\)"):
        rule.payouts(10**22, [[1]])
    with pytest.raises(FormulaError, match=r"quantities of 'work' must be whole numbers >= 0"):
        rule.payouts(1, [[1.5]])


def test_presets_with_a_linear_form_export():
    rule = export(fs.formulas.FloorPlusProportional(0.2))
    assert set(rule.components) == {"identity_floor", "work"}


def _run_vectors(rule, tmp_path):
    paths = rule.write(tmp_path)
    vectors = json.loads(paths["vectors"].read_text())
    assert vectors["components"] == list(rule.components)
    start = time.perf_counter()
    contract = boa.loads(paths["vyper"].read_text())
    compiled = time.perf_counter() - start
    start = time.perf_counter()
    for v in vectors["vectors"]:
        rows = [[int(x) for x in row] for row in v["quantities"]]
        assert contract.payouts(int(v["emission"]), *rows) == [int(p) for p in v["payouts"]]
    ran = time.perf_counter() - start
    # the standalone Python reference agrees too
    scope = {}
    exec(paths["reference"].read_text(), scope)
    for v in vectors["vectors"]:
        rows = {c: [int(x) for x in row] for c, row in zip(rule.components, v["quantities"])}
        assert scope["payouts"](int(v["emission"]), rows) == [int(p) for p in v["payouts"]]
    return compiled, ran, len(vectors["vectors"])


def test_generated_vyper_compiles_and_matches_the_vectors_on_the_evm(tmp_path):
    boa.interpret.set_cache_dir(str(tmp_path / "boa-cache"))  # an empty cache: every run compiles afresh
    timings = {}
    for name, weights in (("one", {"work": 1.0}), ("three", {"work": 0.55, "tasks": 0.25, "identity_floor": 0.2})):
        rule = export(Linear(weights), name=name)
        timings[name] = _run_vectors(rule, tmp_path / name)
    print("vyper compile s, run s, vectors:", timings)


def test_fallback_proposal_exports(tmp_path):
    from fairshare.cli import FALLBACK_NAME, fallback_rule

    rule = export(fallback_rule(), tmp_path, name=FALLBACK_NAME)
    assert (tmp_path / f"{FALLBACK_NAME}.vy").exists() and (tmp_path / f"{FALLBACK_NAME}_BOUNDS.md").exists()
    assert "never exceed the emission" in rule.describe_bounds()


def test_demo_writes_the_proposal_or_fallback_as_integer_arithmetic(tmp_path):
    from fairshare.cli import main

    out = tmp_path / "report"
    assert main(["demo", "--scale", "small", "--out", str(out), "--quiet", "--runs", "2"]) == 0
    exported = {p.name for p in (out / "export").iterdir()}
    stem = next(p.stem for p in (out / "export").glob("*.vy"))  # "proposal", or the fallback's name
    assert exported == {f"{stem}.vy", f"{stem}_reference.py", f"{stem}_vectors.json", f"{stem}_BOUNDS.md"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert sum(k.startswith("export/") for k in manifest["files"]) == 4  # the manifest lists and hashes them
    bounds = next((out / "export").glob("*_BOUNDS.md")).read_text()
    assert "never exceed the emission" in bounds and "below the number of recipients" in bounds
