"""The paper rebuilds from its seeded scripts; every quoted number is computed, every figure saved with its data."""

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def test_paper_builds_on_the_small_network(tmp_path):
    sys.path.insert(0, str(ROOT / "paper"))
    try:
        import build
    finally:
        sys.path.remove(str(ROOT / "paper"))
    paper = build.build(tmp_path, "small")
    text = paper.read_text()
    assert "{{" not in text and "}}" not in text
    for fig in ("lorenz", "coverage"):
        assert f"figures/{fig}.png" in text
        data = pd.read_csv(tmp_path / "figures" / f"{fig}.csv")
        assert len(data) > 0
    import fairshare as fs

    ev = fs.evaluate(fs.datasets.open_inference_network(seed=0, scale="small"), fs.formulas.reference_rules())
    assert f"Gini coefficient of operators' rewards is\n{ev.scoreboard.loc['status_quo', 'gini']:.2f}" in text
    assert (tmp_path / "paper.html").read_text().count("data:image/png;base64,") == 2


def test_a_quoted_number_without_a_script_is_an_error(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "paper"))
    try:
        import build
    finally:
        sys.path.remove(str(ROOT / "paper"))
    template = tmp_path / "paper.md.in"
    template.write_text("The answer is {{not_computed}}.\n")
    monkeypatch.setattr(build, "HERE", tmp_path)
    (tmp_path / "scripts").symlink_to(ROOT / "paper" / "scripts")
    import pytest

    with pytest.raises(KeyError, match="quotes {{not_computed}}, which no script computes"):
        build.build(tmp_path / "out", "small")
