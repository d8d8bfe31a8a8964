"""The governance appendix: complete, faithful to the results, reproducible file for file."""

import hashlib
import json

import pytest

import fairshare as fs
from fairshare.report import build_report, write_report
from fairshare.report.format import format_value


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    h = fs.datasets.open_inference_network(seed=0, scale="small")
    ev = fs.evaluate(h, fs.formulas.reference_rules(), trend_resamples=100)
    report = build_report(h, ev)
    first = write_report(report, tmp_path_factory.mktemp("a") / "report")
    second = write_report(build_report(h, ev), tmp_path_factory.mktemp("b") / "report")
    return h, ev, report, first, second


def test_every_section_is_present(written):
    _, _, report, first, _ = written
    md = (first / "report.md").read_text()
    for i, title in enumerate(["Summary", "The question, stated and answered", "Goals, KPIs and success thresholds",
                               "Options and trade-offs", "Data", "Candidate rules", "Proposed emission weights",
                               "Cost coverage per operator class", "Winners and losers",
                               "Attacks: what gaming each rule nets", "Simulation", "Scenarios", "Sensitivity",
                               "Worked examples", "Ramp schedule", "Validation against an independent model",
                               "Assumptions", "Security and incentive considerations",
                               "Disclaimer and declaration of interests", "Provenance"], 1):
        assert f"## {i}. {title}" in md


def test_numbers_in_the_markdown_equal_the_results(written):
    _, ev, _, first, _ = written
    md = (first / "report.md").read_text()
    row = next(line for line in md.splitlines() if line.startswith("| median_retail_coverage |"))
    cells = [c.strip() for c in row.strip("|").split("|")][1:]
    assert cells == [format_value("median_retail_coverage", v) for v in ev.scoreboard["median_retail_coverage"]]
    gaming = md.split("**Gross split, merge and fake-demand ratios**", 1)[1]
    row = next(line for line in gaming.splitlines() if line.startswith("| floor_20pct |"))
    cells = [c.strip() for c in row.split("|")]
    assert format_value("sybil_gain_k10", ev.scoreboard.loc["floor_20pct", "sybil_gain_k10"]) in cells
    attacks = md.split("**Net gain of each attack (largest over attackers and sizes)**", 1)[1]
    row = next(line for line in attacks.splitlines() if line.startswith("| floor_20pct |"))
    cells = [c.strip() for c in row.split("|")]
    for col in ("net_gain_split", "best_attack_net_gain", "best_attack"):
        assert format_value(col, ev.scoreboard.loc["floor_20pct", col]) in cells, col


def test_manifest_lists_and_hashes_every_file(written):
    _, _, _, first, _ = written
    manifest = json.loads((first / "manifest.json").read_text())
    files = {str(p.relative_to(first)) for p in first.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == files
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((first / name).read_bytes()).hexdigest() == digest
    assert manifest["provenance"]["packages"]["fairshare"] == fs.__version__
    assert manifest["provenance"]["history"]["seed"] == 0


def test_two_runs_write_identical_files_but_the_timestamp(written):
    _, _, _, first, second = written
    a, b = (json.loads((d / "manifest.json").read_text()) for d in (first, second))
    a.pop("created"), b.pop("created")
    assert a == b


def test_outputs_of_every_kind(written):
    _, _, report, first, _ = written
    assert {p.suffix for p in (first / "figures").iterdir()} == {".png", ".pdf", ".csv"}
    assert (first / "tables" / "scoreboard.tex").read_text().startswith("\\begin{table}")
    html = (first / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(report.figures())
    reloaded = fs.results_io.load(first / "results" / "evaluation")
    assert reloaded.scoreboard.equals(written[1].scoreboard)
    appendix = fs.results_io.load(first / "results" / "appendix")  # what a rebuilt report needs beside it
    assert isinstance(appendix, fs.results_io.TableSet) and appendix.tables == {}


def test_formats_for_people():
    assert format_value("coverage_share", 0.1232) == "12.3%"
    assert format_value("fees_usd", 23_911_970.4) == "$23,911,970"
    assert format_value("fees_usd", 12.345) == "$12.35"
    assert format_value("nakamoto_1/3", 2.0) == "2"
    assert format_value("largest_loss_pct", 99.56) == "99.6%"
    assert format_value("gini", float("nan")) == "n/a"
    assert format_value("gini", 0.97974) == "0.98"
