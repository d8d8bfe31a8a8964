"""The appendix as a person reads it: no raw float, repr or dict; one stated price basis per section with USD;
the input hashes it was built from; the command that wrote it in its manifest."""

import hashlib
import html
import json
import re
import shlex

import pandas as pd
import pytest

import fairshare as fs
from fairshare import cli
from fairshare.report import build_report, write_report
from fairshare.report.format import describe_repr, describe_rule, format_frame, format_value, parameter_rows

#: A number with a decimal point and more than six significant digits (``17111.567419575633``).
_FLOAT = re.compile(r"(?<![\w.])[-+]?\d[\d,]*\.\d+(?:[eE][-+]?\d+)?")
#: A whole number of seven digits or more printed without thousands separators.
_BARE_INT = re.compile(r"(?<![\w.,])\d{7,}(?![\w.,])")
#: Python reprs and dicts: ``Linear(weights=``, ``History(80``, ``array(``, ``np.float64(``, ``{...``, ``[[``.
_REPR = re.compile(r"\b[A-Z][A-Za-z0-9_]*\((?:[a-z_]+=|\d)|\barray\(|\bnp\.\w+\(|\{'|\{\"|'\w+': |\"\w+\": |\[\[|\['")


def unreadable(text: str) -> list[str]:
    """Every raw float, unseparated long integer, repr or dict in ``text``, with a little context."""
    text = html.unescape(re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text))
    found = []
    for m in _FLOAT.finditer(text):
        mantissa = re.split(r"[eE]", m.group())[0]
        if len(re.sub(r"\D", "", mantissa).lstrip("0")) > 6:
            found.append(m)
    found += list(_BARE_INT.finditer(text)) + list(_REPR.finditer(text))
    return [f"{m.group()!r} in ...{text[max(0, m.start() - 60):m.end() + 40]}..." for m in found]


def sections(markdown: str) -> dict[str, str]:
    """The Markdown's numbered sections by title (the preface before section 1 left out)."""
    parts = re.split(r"^## \d+\. ", markdown, flags=re.M)[1:]
    return {p.split("\n", 1)[0]: p for p in parts}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """``fairshare demo`` on the small network written to a directory: read data with input hashes (the run
    tests/test_appendix.py checks, made once per session)."""
    from tests.test_appendix import demo_report

    return demo_report(tmp_path_factory)[:3]


@pytest.fixture(scope="module")
def designed(tmp_path_factory):
    """A report with an optimisation, its frontiers (one over price) and a simulation, built from Python."""
    from fairshare.optimization import NoAttackPays, default_constraints

    h = fs.datasets.open_inference_network(seed=0, scale="small")
    cons = [c for c in default_constraints() if not isinstance(c, NoAttackPays)]  # feasible on the small network
    opt = fs.optimize(h, constraints=cons, price_band=None)
    opt = opt.with_frontier(fs.frontier(h, over="price", values=[0.1, 0.2, 0.3], constraints=cons, price_band=None))
    budget = fs.frontier(h, over="budget", values=[0.5 * h.emission_tokens.mean(), 2.0 * h.emission_tokens.mean()],
                         constraints=cons, price_band=None)
    rules = {"status_quo": fs.formulas.STATUS_QUO, "capped_2pct": fs.formulas.Capped(0.02),
             "verified": fs.formulas.VerificationWeighted(), "optimised": opt.formula}
    ev = fs.evaluate(h, rules, trend_resamples=50)
    sim, note = cli.simulate_forward(h, opt.formula, 2)
    assert note is None
    out = write_report(build_report(h, ev, optimization=opt, simulation=sim, sensitivity={"budget": budget}),
                       tmp_path_factory.mktemp("designed") / "report")
    return out


@pytest.mark.parametrize("which", ["demo", "designed"])
def test_no_raw_float_repr_or_dict_anywhere(which, request):
    out = request.getfixturevalue(which)
    out = out[1] if isinstance(out, tuple) else out
    md = (out / "report.md").read_text()
    assert "Sensitivity" in sections(md)
    for name in ("report.md", "report.html"):
        assert unreadable((out / name).read_text()) == [], name
    for tex in (out / "tables").glob("*.tex"):
        assert unreadable(tex.read_text().replace("\\_", "_")) == [], tex.name


def test_the_scanner_finds_what_it_looks_for():
    for bad in ("17111.567419575633", "3.3333333333333335", "Linear(weights={'work': 1.0})", "{'n_nodes': 80}",
                "History(80 nodes, 45 operators)", "array([1, 2])", "np.float64(0.5)", "[['colocation', 5.0]]",
                "198729051 tokens"):
        assert unreadable(f"text {bad} text"), bad
    for fine in ("$0.263", "17,112", "0.587", "1.41e-09", "3.11.7", "98.5%", "best_attack by retail-0029",
                 "a3f5c2d9e8b71234567890abcdef", "(colocation, 5)"):
        assert not unreadable(f"text {fine} text"), fine


@pytest.mark.parametrize("which", ["demo", "designed"])
def test_each_section_with_usd_states_its_price_basis_once(which, request):
    out = request.getfixturevalue(which)
    out = out[1] if isinstance(out, tuple) else out
    by_title = sections((out / "report.md").read_text())
    with_usd = [t for t, text in by_title.items() if "$" in text]
    assert {"Summary", "Data", "Candidate rules", "Attacks: what gaming each rule nets"} <= set(with_usd)
    for title in with_usd:
        assert by_title[title].count("Price basis:") == 1, title
    for title, text in by_title.items():  # a section without USD states at most one basis (or none needed)
        assert text.count("Price basis:") <= 1, title
    assert "simulated token price path" in by_title["A/B simulation" if which == "demo" else "Simulation"]
    assert "per-epoch token prices" in by_title["Candidate rules"]
    if which == "designed":
        assert "the sweeps over price and the surface hold each point's token price flat" in by_title["Sensitivity"]


def test_provenance_shows_the_input_hashes_and_the_manifest_the_command(demo):
    data, out, argv = demo
    hashes = {str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
              for p in sorted(data.rglob("*")) if p.suffix in (".csv", ".parquet", ".json")}
    assert hashes
    section = sections((out / "report.md").read_text())["Provenance"]
    for name, digest in hashes.items():
        assert f"| file {name} | {digest} |" in section
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["provenance"]["history"]["input_sha256"] == hashes
    assert manifest["command"] == "fairshare " + shlex.join(argv)
    assert cli.build_parser().parse_args(shlex.split(manifest["command"])[1:]).data == str(data)
    assert f"Reproduce with: {manifest['command']}" in section


def test_a_report_built_from_python_says_it_has_no_command(designed):
    assert json.loads((designed / "manifest.json").read_text())["command"] is None
    section = sections((designed / "report.md").read_text())["Provenance"]
    assert "no command line was recorded" in section
    assert "| input files | none: generated in memory by fairshare.datasets.open_inference_network" in section
    assert "| optimisation inputs (SHA-256 of the problem's arrays) |" in section


def test_one_formatter_for_containers_rules_and_swept_values():
    assert format_value("demand_means_per_epoch", {"large": 2079.8940522720854, "small": 43.87962081855603}) == \
        "large: 2,080; small: 43.9"
    assert format_value("shares", [0.3, 0.075]) == "30.0%, 7.5%"
    assert format_value("operator_mean_nodes", [["colocation", 5.0]]) == "(colocation, 5)"
    assert format_value("best_attack", "idle_key by outsider") == "idle_key by outsider"
    assert format_value("version", "2.0") == "2.0"  # text stays text
    assert format_value("w_stake", 0.1532833965894877) == "15.3%"
    assert format_value("price", 0.1) == "$0.10"
    assert format_value("late_capital", True) == "yes"
    assert describe_rule(fs.formulas.VerificationWeighted()) == \
        "VerificationWeighted: multipliers vanilla: 1; tee: 1.5; zkml: 3"
    assert describe_rule(fs.formulas.STATUS_QUO) == fs.formulas.STATUS_QUO.describe()
    assert describe_rule(repr(fs.formulas.STATUS_QUO), {"status_quo": fs.formulas.STATUS_QUO}) == \
        f"status_quo ({fs.formulas.STATUS_QUO.describe()})"
    assert describe_repr("Linear(weights={'work': 0.5005238501480079})") == "Linear: weights work: 0.501"
    assert parameter_rows({"config": "{'supply': {'mean_stake_tokens': 5561.762880198635}}"}) == \
        [("config.supply.mean_stake_tokens", "5,562")]
    frame = pd.DataFrame({"objective": [0.1, 0.2]}, index=pd.Index([17111.567419575633, 45630.8464522017],
                                                                    name="budget"))
    assert list(format_frame(frame).index) == ["17,112", "45,631"]
