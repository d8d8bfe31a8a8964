"""Figures checked by content: plotted numbers equal the inputs, labels carry units, counts of lines and bands."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

import fairshare as fs  # noqa: E402
from fairshare import formulas as F  # noqa: E402
from fairshare import plotting  # noqa: E402
from fairshare.errors import ConfigError  # noqa: E402
from tests.test_results_io import hand_evaluation  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_every_helper_returns_axes_and_draws_on_given_axes():
    ev = hand_evaluation()
    calls = [lambda ax: plotting.lorenz({"a": [1, 2]}, ax=ax), lambda ax: plotting.coverage(ev, ax=ax),
             lambda ax: plotting.frontier(pd.DataFrame({"objective": [1.0, 2.0]}), ax=ax),
             lambda ax: plotting.emission_weights({"work": 1.0}, ax=ax),
             lambda ax: plotting.fan_chart(np.ones((3, 4)), ax=ax),
             lambda ax: plotting.unlock_calendar(pd.DataFrame({"team": [1.0, 2.0]}), ax=ax)]
    for call in calls:
        fig, ax = plt.subplots()
        assert call(ax) is ax and len(fig.axes) == 1
        assert isinstance(plotting.plotted_data(ax), pd.DataFrame)
        new = call(None)
        assert new is not ax and new.figure is not fig


def test_style_is_not_global():
    before = dict(matplotlib.rcParams)
    plotting.lorenz({"a": [1, 2]})
    assert matplotlib.rcParams["axes.prop_cycle"] == before["axes.prop_cycle"]
    with plotting.style():
        assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"] == list(plotting.PALETTE)


def test_palette_is_okabe_ito():
    assert set(plotting.PALETTE) == set(plotting.OKABE_ITO.values()) and len(plotting.PALETTE) == 8


def test_lorenz_plots_the_curves_of_the_holdings():
    holdings = {"flat": np.ones(4), "skewed": np.array([0.0, 1.0, 1.0, 8.0])}
    ax = plotting.lorenz(holdings, holders="operators")
    data = plotting.plotted_data(ax)
    for name, x in holdings.items():
        curve = fs.lorenz_curve(x)
        part = data[data["rule"] == name]
        np.testing.assert_array_equal(part["population_share"], curve.population_share)
        np.testing.assert_array_equal(part["holding_share"], curve.holding_share)
        assert part["gini"].iloc[0] == fs.gini(x)
    lines = ax.get_lines()
    assert len(lines) == 3  # equality + one per rule
    np.testing.assert_array_equal(lines[2].get_ydata(), fs.lorenz_curve(holdings["skewed"]).holding_share)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["equality", "flat (Gini 0.00)", "skewed (Gini 0.60)"]
    assert ax.get_xlabel() == "Share of operators, smallest first" and ax.get_ylabel() == "Share of reward tokens"


def test_lorenz_from_an_evaluation_picks_rules():
    ev = hand_evaluation()
    ax = plotting.lorenz(ev, ["floor", "capped"])
    data = plotting.plotted_data(ax)
    assert list(pd.unique(data["rule"])) == ["floor", "capped"]
    part = data[data["rule"] == "capped"]
    np.testing.assert_array_equal(part["holding_share"], fs.lorenz_curve(ev.detail["capped"]["reward_tokens"]
                                                                         .to_numpy()).holding_share)
    with pytest.raises(ConfigError, match=r"lorenz: no holdings for \['nope'\]; available: status_quo, capped"):
        plotting.lorenz(ev, ["nope"])


def detail_table():
    return pd.DataFrame({"class": ["retail", "retail", "datacenter", "retail", "proxy", "retail"],
                         "active": [True, True, True, True, True, False],
                         "coverage_ratio": [0.5, 2.0, 12.0, np.nan, 100.0, 0.1]},
                        index=pd.Index(["r1", "r2", "d", "r3", "p", "gone"], name="operator_id"))


def test_coverage_plots_every_active_finite_ratio_by_class():
    ax = plotting.coverage(detail_table())
    data = plotting.plotted_data(ax)
    assert list(data["entity"]) == ["r1", "r2", "d", "p"]
    assert list(data["coverage_ratio"]) == [0.5, 2.0, 12.0, 100.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["retail\nn=2 (+1 n/a)", "datacenter\nn=1", "proxy\nn=1"]
    assert "energy + depreciation" in ax.get_ylabel() and "USD" in ax.get_ylabel()
    assert ax.get_yscale() == "log"
    breakeven = [line for line in ax.get_lines() if line.get_label().startswith("break-even")]
    assert len(breakeven) == 1 and list(breakeven[0].get_ydata()) == [1.0, 1.0]
    points = np.concatenate([c.get_offsets()[:, 1] for c in ax.collections])
    assert sorted(points) == [0.5, 2.0, 12.0, 100.0]


def test_coverage_with_zero_ratio_uses_symlog_and_all_rows_when_asked():
    table = detail_table().assign(coverage_ratio=[0.0, 2.0, 12.0, 1.0, 100.0, 0.1])
    ax = plotting.coverage(table, active_only=False)
    assert ax.get_yscale() == "symlog"
    assert len(plotting.plotted_data(ax)) == 6


def test_coverage_from_evaluation_and_errors():
    ev = hand_evaluation()
    data = plotting.plotted_data(plotting.coverage(ev, "capped"))
    active = ev.detail["capped"][ev.detail["capped"]["active"]]
    assert list(data["entity"]) == list(active.index[np.isfinite(active["coverage_ratio"])])
    with pytest.raises(ConfigError, match="coverage: the table has no column class; pass an Evaluation's detail"):
        plotting.coverage(pd.DataFrame({"coverage_ratio": [1.0]}))
    with pytest.raises(ConfigError, match="no detail for rule 'x'"):
        plotting.coverage(ev, "x")


def test_frontier_marks_the_chosen_point_and_infeasible_values():
    price = [0.3, 0.05, 0.1, 0.2]
    table = pd.DataFrame({"status": ["optimal", "infeasible", "optimal", "optimal"],
                          "objective": [0.05, np.nan, 0.2, 0.1]}, index=pd.Index(price, name="price"))
    ax = plotting.frontier(table, chosen=0.2)
    data = plotting.plotted_data(ax)
    assert list(data["x"]) == [0.05, 0.1, 0.2, 0.3]
    assert list(data["feasible"]) == [False, True, True, True]
    assert list(data["chosen"]) == [False, False, True, False]
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == [0.1, 0.2, 0.3] and list(line.get_ydata()) == [0.2, 0.1, 0.05]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["frontier", "infeasible (1)", "chosen"]
    assert ax.get_xlabel() == "Token price (USD)" and ax.get_ylabel() == "Objective"
    with pytest.raises(ConfigError, match="chosen=0.05 is not a feasible swept value; feasible values: 0.1, 0.2, 0.3"):
        plotting.frontier(table, chosen=0.05)


def test_frontier_from_columns_and_labels():
    table = pd.DataFrame({"budget": [1e4, 2e4], "hhi": [0.2, 0.1]})
    ax = plotting.frontier(table, x="budget", y="hhi")
    assert ax.get_xlabel() == "Emission budget (tokens per epoch)"
    assert ax.get_ylabel() == "HHI of reward tokens (sum of squared shares)"
    assert list(plotting.plotted_data(ax)["y"]) == [0.2, 0.1]
    with pytest.raises(ConfigError, match="frontier: no column gini; columns: budget, hhi"):
        plotting.frontier(table, x="budget", y="gini")


def test_lorenz_with_many_rules_gives_each_its_own_colour_and_neighbours_other_styles():
    holdings = {f"rule_{i}": np.arange(1.0, 6.0) ** (i / 3) for i in range(10)}
    ax = plotting.lorenz(holdings)
    lines = ax.get_lines()[1:]  # after the line of equality
    colours = [matplotlib.colors.to_hex(line.get_color()) for line in lines]
    styles = [line.get_linestyle() for line in lines]
    assert len(set(colours)) == 10  # status quo and the tenth rule no longer look the same
    assert all(a != b for a, b in zip(styles, styles[1:])) and len(set(zip(colours, styles))) == 10
    assert plotting.OKABE_ITO["yellow"].lower() not in colours  # the palest colour waits for an eleventh rule
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1  # legend beside the axes
    few = plotting.lorenz({"a": [1, 2], "b": [1, 3]})
    assert {line.get_linestyle() for line in few.get_lines()[1:]} == {"-"}


def test_frontier_within_solver_tolerance_is_drawn_flat_with_a_note():
    noise = np.array([1e-11, -2e-11, 0.0, 3e-11])
    table = pd.DataFrame({"objective": 0.1534 + noise}, index=pd.Index([0.0, 0.01, 0.1, 1.0], name="identity_cost_usd"))
    ax = plotting.frontier(table, chosen=0.1)
    data = plotting.plotted_data(ax)
    np.testing.assert_array_equal(data["y"], 0.1534 + noise)  # the solved values are kept
    assert data["y_drawn"].nunique() == 1 and data["y_drawn"].iloc[0] == np.median(0.1534 + noise)
    assert len(set(ax.get_lines()[0].get_ydata())) == 1
    assert any("flat: 0.1534 at every feasible point" in t.get_text() for t in ax.texts)
    assert ax.get_xlabel() == "Identity cost (USD per key per epoch)"
    moving = table.assign(objective=0.1534 + 1e3 * noise)  # 3e-8 of its size: a response, drawn as solved
    ax = plotting.frontier(moving)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), 0.1534 + 1e3 * noise)
    assert not ax.texts


def test_render_keeps_a_legend_beside_the_axes(tmp_path):
    from PIL import Image

    holdings = {f"a_long_rule_name_{i}": np.arange(1.0, 6.0) ** (i / 3) for i in range(10)}
    plotting.render(lambda ax: plotting.lorenz(holdings, ax=ax), tmp_path / "many")
    plotting.render(lambda ax: plotting.lorenz(dict(list(holdings.items())[:2]), ax=ax), tmp_path / "few")
    assert Image.open(tmp_path / "many.png").width > Image.open(tmp_path / "few.png").width


def test_emission_weights_bars_equal_the_weights():
    rule = F.Linear({"stake": 0.25, "work": 0.6, "identity_floor": 0.15})
    ax = plotting.emission_weights(rule)
    data = plotting.plotted_data(ax)
    assert list(data["component"]) == ["work", "stake", "identity_floor"]  # COMPONENTS order
    assert list(data["weight"]) == [0.6, 0.25, 0.15]
    assert [p.get_width() for p in ax.patches] == [0.6, 0.25, 0.15]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["work", "stake", "identity floor"]
    assert ["60.0%", "25.0%", "15.0%"] == [t.get_text() for t in ax.texts]
    assert ax.get_xlabel() == "Share of emission (%)"


def test_emission_weights_grouped_and_errors():
    table = pd.DataFrame({"status quo": {"work": 0.5, "stake": 0.5}, "optimum": {"work": 0.9, "stake": 0.1}})
    ax = plotting.emission_weights(table)
    assert len(ax.patches) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["status quo", "optimum"]
    assert list(plotting.plotted_data(ax)["weight"]) == [0.5, 0.5, 0.9, 0.1]
    with pytest.raises(ConfigError, match="weights must be finite numbers >= 0"):
        plotting.emission_weights({"work": -0.1})
    with pytest.raises(ConfigError, match="emission_weights takes a dict or Series"):
        plotting.emission_weights(3.0)


def test_fan_chart_bands_are_quantiles_across_runs():
    rng = np.random.default_rng(1)
    runs = rng.normal(size=(50, 6))
    ax = plotting.fan_chart(runs, ylabel="Gini of reward tokens")
    data = plotting.plotted_data(ax)
    expected = np.quantile(runs, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    for i, q in enumerate(["q0.05", "q0.25", "q0.5", "q0.75", "q0.95"]):
        np.testing.assert_allclose(data[q], expected[i], rtol=0, atol=0)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2 and len(ax.get_lines()) == 1
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), expected[2])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["5%-95% of 50 runs", "25%-75% of 50 runs",
                                                                   "median"]
    assert ax.get_xlabel() == "Epoch" and ax.get_ylabel() == "Gini of reward tokens"


def test_fan_chart_tidy_and_wide_inputs_agree():
    rng = np.random.default_rng(2)
    runs = rng.uniform(size=(8, 5))
    tidy = pd.DataFrame({"run": np.repeat(np.arange(8), 5), "epoch": np.tile(np.arange(5), 8),
                         "reward_gini": runs.ravel()})
    wide = pd.DataFrame(runs.T, index=pd.RangeIndex(5, name="epoch"))
    a = plotting.plotted_data(plotting.fan_chart(tidy, value="reward_gini", quantiles=(0.1, 0.9)))
    b = plotting.plotted_data(plotting.fan_chart(wide, quantiles=(0.1, 0.9)))
    c = plotting.plotted_data(plotting.fan_chart(runs, quantiles=(0.1, 0.9)))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(b, c)
    with pytest.raises(ConfigError, match="no column 'value' in the tidy table; pass value= one of reward_gini"):
        plotting.fan_chart(tidy)
    with pytest.raises(ConfigError, match="quantiles must be at least two increasing values"):
        plotting.fan_chart(runs, quantiles=(0.9, 0.1))


def test_unlock_calendar_stacks_cumulative_tokens():
    unlocks = pd.DataFrame({"team": [0.0, 0.0, 5.0, 5.0], "ecosystem": [10.0, 1.0, 1.0, 1.0]},
                           index=pd.Index([0, 1, 2, 3], name="epoch"))
    ax = plotting.unlock_calendar(unlocks)
    data = plotting.plotted_data(ax)
    team = data[data["bucket"] == "team"]
    assert list(team["tokens"]) == [0.0, 0.0, 5.0, 10.0] and list(team["epoch"]) == [0, 1, 2, 3]
    assert list(data[data["bucket"] == "ecosystem"]["tokens"]) == [10.0, 11.0, 12.0, 13.0]
    areas = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(areas) == 2
    assert ax.get_ylabel() == "Unlocked tokens, cumulative"
    per = plotting.unlock_calendar(unlocks, cumulative=False, period="30 days")
    assert list(plotting.plotted_data(per)["tokens"]) == list(unlocks["team"]) + list(unlocks["ecosystem"])
    assert per.get_ylabel() == "Tokens unlocked per 30 days"
    with pytest.raises(ConfigError, match="bucket\\(s\\) team have negative or non-finite tokens"):
        plotting.unlock_calendar(unlocks.assign(team=[0.0, -1.0, 0.0, 0.0]))


def test_plotted_data_needs_a_fairshare_plot():
    _, ax = plt.subplots()
    with pytest.raises(ConfigError, match="these Axes hold no fairshare plot"):
        plotting.plotted_data(ax)
