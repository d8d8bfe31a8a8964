"""The paper rebuilds from its seeded scripts: every quoted number is computed, every headline number carries its
interval or its source, every citation resolves and every reference is cited, every figure is saved with its data.

One build of the small configuration is shared by the tests of this module (about 7-10 s on 2 cores, numba caches
warm).
"""

import importlib
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fairshare as fs

ROOT = Path(__file__).resolve().parents[1]
PAPER = ROOT / "paper"


def _import(name, where):
    sys.path.insert(0, str(where))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(where))


@pytest.fixture(scope="module")
def build():
    return _import("build", PAPER)


@pytest.fixture(scope="module")
def small(build, tmp_path_factory):
    out = tmp_path_factory.mktemp("paper") / "build"
    paper = build.build(out, "small")
    return out, paper.read_text()


def _prose(template: str) -> str:
    """The template's own words: without math, code spans, placeholders, citations and comments."""
    text = re.sub(r"<!--.*?-->", " ", template, flags=re.S)
    text = re.sub(r"\$\$.+?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", " ", text)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\{\{[^}]*\}\}", " ", text)
    return re.sub(r"\[@[^\]]*\]", " ", text)


def test_paper_builds_on_the_small_configuration(small):
    out, text = small
    assert not re.search(r"\{\{(?:table:|figure:|est:|exact:)?[\w.]+(?:\|[^}]*)?\}\}", text) and "\x00" not in text
    for section in ("## Abstract", "## Related work", "## Method", "## Results", "## Limitations",
                    "## Reproducibility", "## References"):
        assert section in text
    for fig in ("lorenz", "coverage", "bitcoin_unattributed"):
        assert f"figures/{fig}.png" in text
        assert len(pd.read_csv(out / "figures" / f"{fig}.csv")) > 0
    html = (out / "paper.html").read_text()
    assert html.count("data:image/png;base64,") == 3
    assert "$$" in text and 'class="math"' in html           # equations kept as TeX source in both
    assert "\\$" not in html                                  # escaped dollars of values are shown as dollars
    assert "PDF" not in {p.suffix for p in out.iterdir()} or (out / "paper.pdf").stat().st_size > 0


def test_every_number_in_the_text_comes_from_a_script():
    prose = _prose((PAPER / "paper.md.in").read_text())
    digits = re.findall(r".{0,30}\d.{0,30}", prose)
    assert not digits, f"numbers written into paper.md.in instead of computed: {digits[:5]}"


def test_quoted_numbers_are_the_computed_ones(small):
    _, text = small
    h = fs.datasets.open_inference_network(seed=0, scale="small")
    ev = fs.evaluate(h, fs.formulas.reference_rules(), trend_resamples=19)
    gini = ev.scoreboard.loc["status_quo", "gini"]
    assert f"Gini coefficient of operators' rewards is\n{gini:.2f} (95% CI " in text
    rules = _import("_common", PAPER / "scripts")
    detail = ev.detail["status_quo"]
    est = rules.boot(fs.gini, detail["reward_tokens"], "small")
    assert est.value == pytest.approx(gini) and est.low <= gini <= est.high
    assert est.render() in text


def test_every_headline_number_has_an_interval_or_a_source(small, build):
    _, text = small
    template = (PAPER / "paper.md.in").read_text()
    blocks = build.HEADLINE.findall(template)
    assert len(blocks) == 2                                   # the abstract and the findings
    for block in blocks:
        kinds = [m.group(1) for m in build.PLACEHOLDER.finditer(block)]
        assert kinds.count("est:") >= 5
    # In the built abstract and findings, every number sits inside a quoted estimate or exact value.
    quoted = re.compile(r"[+-]?[\d,.]+%? \((?:95% [^()]*?|range over \d+ network seeds:) [+-]?[\d,.]+%? to "
                        r"[+-]?[\d,.]+%?\)|(?:\S+ of )?\S+ \(exact; [^()]*(?:\([^()]*\)[^()]*)*\)")
    for section in ("## Abstract", "### Findings"):
        start = text.index(section) + len(section)
        body = text[start:text.index("\n#", start)]
        rest = re.sub(r"\[\d+(?:, \d+)*\]", " ", quoted.sub(" ", body))
        assert not re.search(r"\d", rest), f"{section}: a number without interval or source: " \
                                           f"{re.findall(r'.{0,40}[0-9].{0,20}', rest)[:3]}"


def test_a_bare_number_in_a_headline_section_is_an_error(build, tmp_path):
    common = _import("_common", PAPER / "scripts")
    text = "<!-- headline -->Gini {{gini}}.<!-- /headline -->"
    with pytest.raises(ValueError, match="headline numbers must be"):
        build.fill(text, {"gini": "0.95"}, tmp_path)
    with pytest.raises(TypeError, match="quote it as"):
        build.fill("Gini {{gini}}.", {"gini": common.Estimate(0.9, 0.8, 1.0)}, tmp_path)
    with pytest.raises(TypeError, match="not Estimate"):
        build.fill("Gini {{est:gini}}.", {"gini": "0.9"}, tmp_path)
    ok = build.fill("<!-- headline -->Gini {{est:gini}}, {{word}}.<!-- /headline -->",
                    {"gini": common.Estimate(0.9, 0.8, 1.0), "word": "no clear trend"}, tmp_path)
    assert "0.90 (95% CI 0.80 to 1.00)" in ok


def test_every_citation_resolves_and_every_reference_is_cited(small, build):
    _, text = small
    refs = build.references()
    template = (PAPER / "paper.md.in").read_text()
    cited = {k.strip().lstrip("@") for m in build.CITATION.finditer(template) for k in m.group(1).split(";")}
    assert cited <= set(refs)
    numbers = {int(n) for m in re.finditer(r"\[(\d+(?:, \d+)*)\]", text) for n in m.group(1).split(", ")}
    assert numbers == set(range(1, len(refs) + 1))           # every entry cited, numbered in order of use
    listed = text[text.index("## References"):]
    assert len(re.findall(r"^\d+\. ", listed, flags=re.M)) == len(refs)
    with pytest.raises(KeyError, match="does not list"):
        build.cite("see [@no-such-work]", refs)


def test_the_references_are_the_repository_bibliography_where_keys_overlap(build):
    sources = (ROOT / "docs" / "sources.md").read_text()
    keys = set(re.findall(r"^\| `([\w-]+)` \|", sources, flags=re.M))
    refs = build.references()
    for key in ("leshno-strack-2020", "chen-papadimitriou-roughgarden-2019", "brunjes-2020", "politis-white-2004",
                "goncalves-vogelsang-2011", "filecoin-fip-0081", "render-rnp-019", "livepeer-protocol"):
        assert key in refs and key in keys


def test_a_quoted_number_without_a_script_is_an_error(build, tmp_path):
    with pytest.raises(KeyError, match="quotes {{not_computed}}, which no script computes"):
        build.fill("The answer is {{not_computed}}.\n", {}, tmp_path)


def test_the_cap_is_compared_with_its_own_base(small):
    out, _ = small
    pairs = pd.read_csv(out / "tables" / "cap_pairs.csv", index_col=0)
    assert set(pairs.index) == {"status_quo", "work_only"}
    assert np.allclose(pairs["gini_capped"] - pairs["gini_base"], pairs["gini_difference"])
    assert (pairs["gini_difference_low"] <= pairs["gini_difference"]).all()
    assert (pairs["gini_difference"] <= pairs["gini_difference_high"]).all()


def test_reproducibility_section_names_the_command_and_the_inputs(small):
    out, text = small
    assert "`python paper/build.py --scale small`" in text
    inputs = pd.read_csv(out / "tables" / "inputs.csv", index_col=0)
    assert inputs["sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert any("bitcoin" in i for i in inputs.index) and any("open_inference_network" in i for i in inputs.index)


@pytest.mark.slow
def test_paper_builds_on_the_default_configuration(build, tmp_path):
    paper = build.build(tmp_path / "build", "default")
    assert not re.search(r"\{\{[\w:.]+\}\}", paper.read_text())
