"""The governance appendix `fairshare demo` writes: every section, readable numbers, one price basis per section,
the reproduce command, the labelled fallback, rebuilt whole from saved results, and answered on a real ledger."""

import json
import re
import shlex
from pathlib import Path

import pandas as pd
import pytest

import fairshare as fs
from fairshare import cli
from fairshare.report.appendix import QUESTION

REAL = Path(__file__).resolve().parent / "data" / "real"

#: The appendix's sections in reading order (the fallback's weights section is named after it).
TITLES = ["Summary", "The question, stated and answered", "Goals, KPIs and success thresholds",
          "Options and trade-offs", "Data", "Candidate rules",
          f"Fallback emission weights ({cli.FALLBACK_NAME})", "Cost coverage per operator class",
          "Winners and losers", "Attacks: what gaming each rule nets", "A/B simulation",
          "Scenarios: pessimistic, base, optimistic", "Sensitivity", "Worked examples per hardware class",
          "Ramp schedule", "Validation against an independent model", "Assumptions",
          "Security and incentive considerations", "Disclaimer and declaration of interests", "Provenance"]

_SHARED: dict = {}


def demo_report(tmp_path_factory):
    """``fairshare demo`` on the small network written to a directory (3 runs), once per test session, and the
    appendix rebuilt from its saved results with ``fairshare report --results``."""
    if "demo" not in _SHARED:
        root = tmp_path_factory.mktemp("appendix")
        fs.datasets.open_inference_network(seed=0, scale="small").write(root / "h")
        argv = ["demo", "--data", str(root / "h"), "--runs", "3", "--out", str(root / "report"), "--quiet"]
        assert cli.main(argv) == 0
        again = ["report", "--results", str(root / "report" / "results"), "--data", str(root / "h"),
                 "--out", str(root / "rebuilt"), "--quiet"]
        assert cli.main(again) == 0
        _SHARED["demo"] = (root / "h", root / "report", argv, root / "rebuilt", again)
    return _SHARED["demo"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_report(tmp_path_factory)


def sections(markdown: str) -> dict[str, str]:
    """The Markdown's numbered sections by title (the preface left out)."""
    parts = re.split(r"^## \d+\. ", markdown, flags=re.M)[1:]
    return {p.split("\n", 1)[0]: p for p in parts}


def test_every_section_is_present_in_order_in_markdown_and_html(demo):
    _, out, *_ = demo
    md, html = (out / "report.md").read_text(), (out / "report.html").read_text()
    assert list(sections(md)) == TITLES
    for i, title in enumerate(TITLES, 1):
        assert f"<h2>{i}. {title.replace('&', '&amp;')}</h2>" in html, title
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sections"] == TITLES


def test_one_price_basis_per_section(demo):
    _, out, *_ = demo
    for title, text in sections((out / "report.md").read_text()).items():
        count = text.count("Price basis:")
        assert count <= 1, title
        if "$" in text or "USD" in text:
            assert count == 1, title


def test_the_question_is_stated_and_answered_synthetic_without_a_ledger(demo):
    _, out, *_ = demo
    text = sections((out / "report.md").read_text())["The question, stated and answered"]
    assert QUESTION in text and "labelled synthetic" in text
    assert "Under today's rule: The retail share of rewards" in text
    assert f"Under {cli.FALLBACK_NAME}: The retail share of rewards" in text
    assert "no rule of the family meets the default problem" in text


def test_the_fallback_is_labelled_wherever_it_stands_in(demo):
    _, out, *_ = demo
    by_title = sections((out / "report.md").read_text())
    assert "the labelled fallback fallback_proportional_to_work" in by_title["Summary"]
    assert "it is not the optimiser's answer" in by_title["Summary"]
    assert "Current (status_quo) to fallback (fallback_proportional_to_work)" in by_title["Summary"]
    assert "labelled fallback" in by_title["Goals, KPIs and success thresholds"]
    assert "| the fallback |" in by_title["Options and trade-offs"]
    assert "(the labelled fallback)" in by_title["Security and incentive considerations"]
    assert "Proposed rule" not in "".join(by_title.values())


def test_current_to_proposed_table_adds_up(demo):
    _, out, *_ = demo
    table = pd.read_csv(out / "tables" / "current_to_proposed.csv", index_col=0)
    classes = table.drop(index="total")
    for col in ("today_tokens_per_year", "proposed_tokens_per_year", "today_usd_per_year", "proposed_usd_per_year"):
        assert table.loc["total", col] == pytest.approx(classes[col].sum(), rel=1e-12)
    assert table.loc["total", "today_tokens_per_year"] == pytest.approx(table.loc["total", "proposed_tokens_per_year"],
                                                                        rel=1e-9)  # one emission, split differently
    assert table.loc["total", "operators"] == classes["operators"].sum()


def test_ab_grid_routing_and_scenarios_come_from_the_saved_results(demo):
    _, out, *_ = demo
    saved = fs.results_io.load(out / "results" / "appendix")
    grid = saved.tables["ab_grid"]
    assert set(zip(grid["depth_usd"].fillna(-1), grid["clones"])) == {(-1, 0), (-1, 5), (8e5, 0), (8e5, 5)}
    assert set(saved.tables["stress"]["case"]) == {"pessimistic", "base", "optimistic"}
    md = sections((out / "report.md").read_text())
    assert "depth $800,000, 5 entrant clones" in md["A/B simulation"]
    assert "status_quo_open_routing" in md["A/B simulation"] and "status_quo_uniform_routing" in md["A/B simulation"]
    sim = fs.results_io.load(out / "results" / "simulation")
    assert sim.rules == ("status_quo", cli.FALLBACK_NAME, "status_quo_open_routing", "status_quo_uniform_routing")
    diff = sim.difference(cli.FALLBACK_NAME, "status_quo")
    cell = md["A/B simulation"].split("**Changing the emission against changing the routing", 1)[1]
    row = next(line for line in cell.splitlines() if line.startswith("| reward_hhi |"))
    d = diff.loc["reward_hhi"]
    shown = fs.report.format.interval_text("reward_hhi", d["difference"], d["low"], d["high"])
    assert row.split("|")[2].strip() == shown


def test_reproduce_command_in_the_manifest_and_the_provenance(demo):
    data, out, argv, rebuilt, again = demo
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "fairshare " + shlex.join(argv)
    assert f"Reproduce with: {manifest['command']}" in sections((out / "report.md").read_text())["Provenance"]
    re_manifest = json.loads((rebuilt / "manifest.json").read_text())
    assert re_manifest["command"] == manifest["command"]  # the command that computed the results
    assert re_manifest["provenance"]["rebuilt_by"] == "fairshare " + shlex.join(again)


def test_report_from_saved_results_equals_the_demos_appendix(demo):
    _, out, _, rebuilt, _ = demo
    assert (rebuilt / "report.md").read_text() == (out / "report.md").read_text()
    assert (rebuilt / "report.html").read_text() == (out / "report.html").read_text()
    tables = sorted(p.name for p in (out / "tables").iterdir())
    assert tables == sorted(p.name for p in (rebuilt / "tables").iterdir())
    for name in tables:
        assert (rebuilt / "tables" / name).read_bytes() == (out / "tables" / name).read_bytes(), name


def test_ledger_answers_the_question_on_real_payouts(demo, tmp_path):
    data, out, *_ = demo
    argv = ["report", "--results", str(out / "results"), "--data", str(data), "--out", str(tmp_path / "r"),
            "--quiet", "--ledger", str(REAL / "solana_block_rewards_830_858.csv"), "--ledger-time", "epoch",
            "--ledger-address", "pubkey", "--ledger-amount", "block_rewards_sol", "--ledger-unit", "token",
            "--ledger-decimals", "14", "--ledger-missing", "no_record", "--ledger-epoch", "2d",
            "--ledger-network", "Solana"]
    assert cli.main(argv) == 0
    text = sections((tmp_path / "r" / "report.md").read_text())["The question, stated and answered"]
    assert "Answered on a payout ledger (real data" in text and "Key-level verdict" in text
    assert "solana_block_rewards_830_858.csv" in text
    assert "**Trends of the ledger's payouts (real data)**" in text
    saved = fs.results_io.load(tmp_path / "r" / "results" / "appendix")
    assert saved.meta["convergence"]["synthetic"] is False and saved.meta["convergence"]["windows"] == 29
    again = tmp_path / "again"  # the rebuilt report keeps the ledger's answer
    assert cli.main(["report", "--results", str(tmp_path / "r" / "results"), "--data", str(data),
                     "--out", str(again), "--quiet"]) == 0
    assert (again / "report.md").read_text() == (tmp_path / "r" / "report.md").read_text()


def test_labels_need_a_ledger(demo, tmp_path, capsys):
    data, out, *_ = demo
    assert cli.main(["report", "--results", str(out / "results"), "--data", str(data), "--out", str(tmp_path / "r"),
                     "--labels", "labels.csv", "--quiet"]) == 4
    assert "give the ledger with --ledger FILE" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_a_saved_converge_result_answers_the_question(demo, tmp_path):
    data, out, *_ = demo
    rows = [(e, f"k{k}", str(1000 + e * k)) for e in range(12) for k in range(6)]
    pd.DataFrame(rows, columns=["epoch", "to", "value"]).to_csv(tmp_path / "payouts.csv", index=False)
    assert cli.main(["converge", str(tmp_path / "payouts.csv"), "--time", "epoch", "--address", "to", "--amount",
                     "value", "--epoch", "1d", "--synthetic", "--resamples", "99", "--network", "Toy",
                     "--out", str(tmp_path / "c"), "--quiet"]) == 0
    assert cli.main(["report", "--results", str(out / "results"), "--data", str(data), "--out", str(tmp_path / "r"),
                     "--ledger", str(tmp_path / "c"), "--quiet"]) == 0
    text = sections((tmp_path / "r" / "report.md").read_text())["The question, stated and answered"]
    numbers = json.loads((tmp_path / "c" / "numbers.json").read_text())
    assert "Answered on a payout ledger (synthetic data: Toy payouts saved by fairshare converge" in text
    assert f"Verdict: {numbers['statement']}" in text
