"""The chart helpers of :mod:`fairshare.plotting`: each draws on an Axes and returns it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from ..errors import ConfigError
from ..metrics import gini, lorenz_curve
from ._inputs import runs_by_epoch, weights_frame
from .theme import (
    CLASS_COLOURS,
    OKABE_ITO,
    PALETTE,
    attach,
    colour_for,
    compact,
    figure_helper,
    plotted_data,
    series_style,
    share_axis,
    token_axis,
)

__all__ = ["lorenz", "coverage", "frontier", "emission_weights", "fan_chart", "unlock_calendar", "render",
           "AXIS_LABELS", "FLAT_RELATIVE"]

#: A frontier whose feasible values vary by less than this share of their largest magnitude (or of 1, when
#: every magnitude is below 1) is drawn flat: the differences are the solver's tolerance, not a response.
FLAT_RELATIVE = 1e-9

#: Axis labels (with units) of known swept values and objectives; other names are shown as given.
AXIS_LABELS = {
    "budget": "Emission budget (tokens per epoch)",
    "price": "Token price (USD)",
    "electricity_usd_per_kwh": "Electricity price (USD per kWh)",
    "depreciation_life_years": "Depreciation life (years)",
    "identity_cost_usd": "Identity cost (USD per key per epoch)",
    "take_rate": "Protocol's take of fees (share)",
    "coverage_level": "Coverage level (share of operators)",
    "nakamoto": "Nakamoto coefficient target (operators)",
    "hhi": "HHI of reward tokens (sum of squared shares)",
    "gini": "Gini of reward tokens",
    "theil": "Theil T of reward tokens",
    "objective": "Objective",
    "coverage_share": "Active operators covering costs (share)",
    "epoch": "Epoch",
}


# ---------------------------------------------------------------------------------------------- Lorenz
@figure_helper
def lorenz(data, rules=None, *, ax=None, holders: str | None = None):
    """Lorenz curves of reward tokens, one line per rule, with the line of equality.

    Parameters
    ----------
    data : Evaluation or dict of name -> array_like or Series
        An Evaluation plots each kept rule's per-entity ``reward_tokens``
        (its ``detail``); a dict plots each holdings vector.
    rules : list of str, optional
        Which names to plot, in this order (default: all).
    ax : matplotlib Axes, optional
    holders : str, optional
        What is counted on the x axis (default: the Evaluation's level + "s", or "holders").

    Returns
    -------
    matplotlib Axes
        ``plotted_data(ax)``: ``rule, population_share, holding_share`` (the curve points) and ``gini``.

    Notes
    -----
    Points from :func:`fairshare.lorenz_curve`; the Gini in the legend is
    :func:`fairshare.gini` of the same holdings (twice the area between the
    curve and the line of equality). With five rules or more the lines differ in
    style as well as colour (:func:`~fairshare.plotting.theme.series_style`; up to
    ten rules have ten colours) and the legend stands beside the axes.
    """
    if hasattr(data, "detail"):
        holdings = {name: frame["reward_tokens"] for name, frame in data.detail.items()}
        holders = holders or f"{data.level}s"
    elif isinstance(data, Mapping):
        holdings = dict(data)
    else:
        raise ConfigError(f"lorenz takes an Evaluation or a dict of name -> holdings, got {type(data).__name__}.")
    names = list(holdings) if rules is None else list(rules)
    missing = [n for n in names if n not in holdings]
    if missing or not names:
        raise ConfigError(f"lorenz: no holdings for {missing or 'any rule'}; available: "
                          f"{', '.join(map(str, holdings))}.")
    ax.plot([0, 1], [0, 1], color="#888888", linestyle="--", linewidth=1.0, label="equality")
    rows = []
    for i, name in enumerate(names):
        values = np.asarray(holdings[name], dtype=np.float64)
        curve = lorenz_curve(values)
        g = float(gini(values))
        ax.plot(curve.population_share, curve.holding_share, label=f"{name} (Gini {g:.2f})", drawstyle="default",
                **series_style(i, len(names)))
        rows.append(pd.DataFrame({"rule": name, "population_share": curve.population_share,
                                  "holding_share": np.asarray(curve.holding_share), "gini": g}))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    share_axis(ax.xaxis)
    share_axis(ax.yaxis)
    ax.set_xlabel(f"Share of {holders or 'holders'}, smallest first")
    ax.set_ylabel("Share of reward tokens")
    if len(names) >= 5:  # many rules: the legend would cover the curves
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, handlelength=3.0)
    else:
        ax.legend(loc="upper left")
    attach(ax, pd.concat(rows))


# ---------------------------------------------------------------------------------------------- coverage
@figure_helper
def coverage(data, rule: str | None = None, *, ax=None, active_only: bool = True):
    """Distribution of cost-coverage ratios (earned value / energy + depreciation) by operator class.

    One box per class (quartiles, whiskers at 1.5 IQR) with every entity as a
    point, and the break-even line at 1. The scale is logarithmic (symmetric
    logarithmic when some ratio is 0).

    Parameters
    ----------
    data : Evaluation or DataFrame
        An Evaluation (then ``rule``, default its baseline, picks the detail
        table) or a detail-like DataFrame with columns ``class`` and
        ``coverage_ratio`` (and ``active``, used with ``active_only``).
    rule : str, optional
    ax : matplotlib Axes, optional
    active_only : bool
        Plot only active entities (coverage is defined for them), when the table has ``active``.

    Returns
    -------
    matplotlib Axes
        ``plotted_data(ax)``: ``entity, class, coverage_ratio`` of every plotted point.
        Entities whose ratio is not finite are not drawn; their number is in the class label.
    """
    if hasattr(data, "detail"):
        rule = data.baseline if rule is None else rule
        if rule not in data.detail:
            raise ConfigError(f"coverage: no detail for rule {rule!r}; rules with detail: {', '.join(data.detail)}.")
        table, unit = data.detail[rule], data.level
    elif isinstance(data, pd.DataFrame):
        table, unit = data, "entity"
    else:
        raise ConfigError(f"coverage takes an Evaluation or a DataFrame, got {type(data).__name__}.")
    missing = [c for c in ("class", "coverage_ratio") if c not in table.columns]
    if missing:
        raise ConfigError(f"coverage: the table has no column {', '.join(missing)}; pass an Evaluation's detail "
                          "table (columns class and coverage_ratio).")
    if active_only and "active" in table.columns:
        table = table[table["active"].astype(bool)]
    ratio = table["coverage_ratio"].to_numpy(dtype=np.float64)
    finite = np.isfinite(ratio)
    present = list(pd.unique(table["class"]))
    classes = [c for c in CLASS_COLOURS if c in present] + sorted(c for c in present if c not in CLASS_COLOURS)
    labels, rows = [], []
    for pos, cls in enumerate(classes):
        mine = (table["class"] == cls).to_numpy()
        values = ratio[mine & finite]
        colour = CLASS_COLOURS.get(cls, colour_for(pos))
        if values.size:
            ax.boxplot(values, positions=[pos], widths=0.55, showfliers=False, patch_artist=True,
                       boxprops={"facecolor": colour, "alpha": 0.25, "edgecolor": colour},
                       medianprops={"color": colour, "linewidth": 2}, whiskerprops={"color": colour},
                       capprops={"color": colour})
            spread = np.linspace(-0.18, 0.18, values.size) if values.size > 1 else np.zeros(1)
            ax.scatter(pos + spread, values, s=14, color=colour, alpha=0.8, zorder=3, linewidths=0)
        skipped = int((mine & ~finite).sum())
        labels.append(f"{cls}\nn={values.size}" + (f" (+{skipped} n/a)" if skipped else ""))
        rows.append(pd.DataFrame({"entity": table.index[mine & finite], "class": cls, "coverage_ratio": values}))
    ax.axhline(1.0, color=OKABE_ITO["vermillion"], linestyle="--", linewidth=1.2, label="break-even (ratio 1)")
    if (ratio[finite] <= 0).any():
        ax.set_yscale("symlog", linthresh=0.1)
    else:
        ax.set_yscale("log")
    ax.set_xticks(range(len(classes)), labels)
    ax.set_xlim(-0.6, len(classes) - 0.4)
    ax.set_xlabel(f"{unit.capitalize()} class")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.set_ylabel("Coverage ratio\nearned USD / (energy + depreciation) USD")
    ax.legend(loc="best")
    attach(ax, pd.concat(rows) if rows else pd.DataFrame(columns=["entity", "class", "coverage_ratio"]))


# ---------------------------------------------------------------------------------------------- frontier
@figure_helper
def frontier(table, x: str | None = None, y: str = "objective", *, chosen=None, ax=None, xlabel: str | None = None,
             ylabel: str | None = None, label: str | None = None):
    """A frontier: the objective against a swept value (budget, price, ...), with a chosen point.

    Parameters
    ----------
    table : DataFrame or Frontier
        One row per swept value. A Frontier (``fs.frontier``) gives its
        ``table`` (swept value in the index). Rows whose ``status`` is
        ``"infeasible"`` or whose ``y`` is NaN are marked with a cross on the
        x axis.
    x : str, optional
        Column holding the swept value (default: the index).
    y : str
        Column holding the objective.
    chosen : float, optional
        The swept value of the chosen point (must be a row), marked and annotated.
    ax : matplotlib Axes, optional
    xlabel, ylabel, label : str, optional
        Axis labels (default: :data:`AXIS_LABELS` or the column name) and legend entry.

    Returns
    -------
    matplotlib Axes
        ``plotted_data(ax)``: ``x, y`` (as solved), ``y_drawn`` (as drawn), ``feasible``, ``chosen``.

    Notes
    -----
    Flat-range guard: when the feasible values vary by less than :data:`FLAT_RELATIVE` of their
    largest magnitude (or of 1, when every magnitude is below 1), the differences are solver
    tolerance, not a response to the swept value; the frontier is drawn as a flat line at their
    median with a note saying so, and ``y_drawn`` holds that median.
    """
    if hasattr(table, "table") and hasattr(table, "over"):
        x_name, table = table.over, table.table
    elif isinstance(table, pd.DataFrame):
        x_name = x or table.index.name or "value"
    else:
        raise ConfigError(f"frontier takes a DataFrame or a Frontier, got {type(table).__name__}.")
    if y not in table.columns or (x is not None and x not in table.columns):
        wanted = [c for c in (x, y) if c is not None and c not in table.columns]
        raise ConfigError(f"frontier: no column {', '.join(wanted)}; columns: {', '.join(map(str, table.columns))}.")
    xs = (table[x] if x is not None else table.index.to_series()).to_numpy(dtype=np.float64)
    ys = table[y].to_numpy(dtype=np.float64)
    feasible = np.isfinite(ys)
    if "status" in table.columns:
        feasible &= (table["status"] != "infeasible").to_numpy()
    order = np.argsort(xs, kind="stable")
    xs, ys, feasible = xs[order], ys[order], feasible[order]
    drawn = ys.copy()
    solved = ys[feasible]
    if solved.size > 1 and np.ptp(solved) <= FLAT_RELATIVE * max(float(np.abs(solved).max()), 1.0):
        level = float(np.median(solved))
        drawn[feasible] = level
        pad = 0.1 * abs(level) if level else 1.0
        ax.set_ylim(level - pad, level + pad)
        ax.text(0.02, 0.58, f"flat: {compact(level)} at every feasible point; it varies by less than "
                            f"{FLAT_RELATIVE:g} of its size,\nthe solver's tolerance, so the differences are not drawn",
                transform=ax.transAxes, va="bottom", fontsize=8.5, color="#444444")
    ax.plot(xs[feasible], drawn[feasible], marker="o", markersize=4, color=PALETTE[0], label=label or "frontier")
    if (~feasible).any():
        ax.plot(xs[~feasible], np.zeros((~feasible).sum()), linestyle="none", marker="x", color="#777777",
                transform=ax.get_xaxis_transform(), clip_on=False, label=f"infeasible ({(~feasible).sum()})")
    is_chosen = np.zeros(xs.size, dtype=bool)
    if chosen is not None:
        hit = np.flatnonzero(np.isclose(xs, float(chosen), rtol=1e-12, atol=0.0) & feasible)
        if hit.size == 0:
            raise ConfigError(f"frontier: chosen={chosen!r} is not a feasible swept value; feasible values: "
                              f"{', '.join(f'{v:g}' for v in xs[feasible])}.")
        is_chosen[hit[0]] = True
        cx, cy = xs[hit[0]], drawn[hit[0]]
        ax.plot([cx], [cy], marker="o", markersize=10, markerfacecolor="none", markeredgewidth=2,
                color=OKABE_ITO["vermillion"], linestyle="none", label="chosen")
        ax.annotate(f"({compact(cx)}, {compact(cy)})", (cx, cy), xytext=(8, 8), textcoords="offset points", fontsize=9,
                    color=OKABE_ITO["vermillion"])
    if x_name == "budget":
        token_axis(ax.xaxis)
    ax.set_xlabel(xlabel or AXIS_LABELS.get(x_name, str(x_name)))
    ax.set_ylabel(ylabel or AXIS_LABELS.get(y, str(y)))
    ax.legend(loc="best")
    attach(ax, pd.DataFrame({"x": xs, "y": ys, "y_drawn": drawn, "feasible": feasible, "chosen": is_chosen}))


# ---------------------------------------------------------------------------------------------- weights
@figure_helper
def emission_weights(weights, *, ax=None):
    """Horizontal bars of the share of emission on each reward component, labelled in percent.

    Parameters
    ----------
    weights : dict, Series, Linear, object with ``.weights``, or DataFrame
        One set of weights (component -> share of emission), or a DataFrame
        with components as rows and candidates (e.g. status quo, optimum) as
        columns, drawn as grouped bars. Components appear in the order of
        :data:`fairshare.formulas.COMPONENTS`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        ``plotted_data(ax)``: ``component, candidate, weight``.
    """
    frame = weights_frame(weights)
    n_comp, n_cand = frame.shape
    height = 0.8 / n_cand
    positions = np.arange(n_comp)
    rows = []
    for j, candidate in enumerate(frame.columns):
        offset = (j - (n_cand - 1) / 2) * height
        values = frame[candidate].to_numpy(dtype=np.float64)
        bars = ax.barh(positions + offset, values, height=height * 0.92, color=colour_for(j),
                       label=None if n_cand == 1 else str(candidate))
        ax.bar_label(bars, labels=[f"{v:.1%}" for v in values], padding=3, fontsize=8.5)
        rows.append(pd.DataFrame({"component": frame.index, "candidate": candidate, "weight": values}))
    ax.set_yticks(positions, [str(c).replace("_", " ") for c in frame.index])
    ax.invert_yaxis()
    ax.set_xlim(0, max(frame.to_numpy().max() * 1.18, 0.05))
    share_axis(ax.xaxis)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Share of emission (%)")
    ax.set_ylabel("Reward component")
    if n_cand > 1:
        ax.legend(loc="lower right")
    attach(ax, pd.concat(rows))


# ---------------------------------------------------------------------------------------------- fan chart
@figure_helper
def fan_chart(data, *, value: str = "value", quantiles=(0.05, 0.25, 0.5, 0.75, 0.95), ax=None,
              ylabel: str | None = None, colour: str | None = None, label: str | None = None):
    """Quantile bands across simulation runs, per epoch, with the median as a line.

    Parameters
    ----------
    data : DataFrame or array_like
        Tidy rows with columns ``run``, ``epoch`` and ``value`` (e.g.
        ``SimulationResult.to_frame()`` with ``value=`` a measure); a
        runs x epochs array; or an epoch x run table (``SimulationResult.measure``).
    value : str
        The value column of tidy rows.
    quantiles : sequence of float
        Increasing, in [0, 1]; paired from the outside in (first with last, ...)
        into bands, darker toward the centre; an unpaired middle one is the line.
    ax : matplotlib Axes, optional
    ylabel, colour, label : str, optional
        Y label (default ``value``), colour (default the first palette colour), legend prefix.

    Returns
    -------
    matplotlib Axes
        ``plotted_data(ax)``: ``epoch`` and one column ``q<quantile>`` per quantile
        (NaN values of a run are left out of that epoch's quantiles).
    """
    table = runs_by_epoch(data, value)
    q = np.asarray(quantiles, dtype=np.float64)
    if q.ndim != 1 or q.size < 2 or not ((q >= 0) & (q <= 1)).all() or (np.diff(q) <= 0).any():
        raise ConfigError(f"fan_chart: quantiles must be at least two increasing values in [0, 1], got {quantiles!r}.")
    epochs = table.index.to_numpy()
    values = table.to_numpy(dtype=np.float64)
    with np.errstate(all="ignore"):
        bands = np.full((q.size, epochs.size), np.nan)
        has = np.isfinite(values).any(axis=1)
        if has.any():
            bands[:, has] = np.nanquantile(values[has], q, axis=1)
    colour = colour or PALETTE[0]
    pairs = q.size // 2
    runs = table.shape[1]
    prefix = f"{label}: " if label else ""
    for k in range(pairs):
        alpha = 0.18 + 0.22 * k / max(pairs - 1, 1)
        ax.fill_between(epochs, bands[k], bands[-1 - k], color=colour, alpha=alpha, linewidth=0,
                        label=f"{prefix}{q[k]:.0%}-{q[-1 - k]:.0%} of {runs} runs")
    if q.size % 2:
        middle = "median" if q[pairs] == 0.5 else f"{q[pairs]:.0%} quantile"
        ax.plot(epochs, bands[pairs], color=colour, label=f"{prefix}{middle}")
    ax.set_xlabel(AXIS_LABELS["epoch"])
    ax.set_ylabel(ylabel or value)
    ax.legend(loc="best")
    frame = pd.DataFrame({"epoch": epochs, **{f"q{level:g}": bands[i] for i, level in enumerate(q)}})
    attach(ax, frame)


# ---------------------------------------------------------------------------------------------- unlocks
@figure_helper
def unlock_calendar(unlocks: pd.DataFrame, *, cumulative: bool = True, period: str = "epoch", ax=None):
    """Stacked areas of tokens unlocked per allocation bucket over epochs.

    Parameters
    ----------
    unlocks : DataFrame
        Epoch x bucket table of tokens unlocking in each epoch
        (``SimulationResult.unlocks``; or ``Vesting.released`` per bucket).
    cumulative : bool
        Stack the tokens unlocked so far (default) or the tokens unlocking in each row's period.
    period : str
        What one row covers, for the labels (``"epoch"``; ``"30 days"`` for
        ``SimulationResult.monthly_unlocks()``, which reads better per period:
        one-epoch unlocks at a TGE or a cliff are thin spikes on a daily axis).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        ``plotted_data(ax)``: ``epoch, bucket, tokens`` (cumulative when ``cumulative``).
    """
    if not isinstance(unlocks, pd.DataFrame) or unlocks.empty:
        raise ConfigError("unlock_calendar takes a non-empty DataFrame, epoch x bucket, of unlocked tokens.")
    values = unlocks.to_numpy(dtype=np.float64)
    bad = [str(c) for c, ok in zip(unlocks.columns, (np.isfinite(values) & (values >= 0)).all(axis=0)) if not ok]
    if bad:
        raise ConfigError(f"unlock_calendar: bucket(s) {', '.join(bad)} have negative or non-finite tokens; "
                          "unlocked tokens per epoch must be finite and >= 0.")
    stacked = np.cumsum(values, axis=0) if cumulative else values
    epochs = unlocks.index.to_numpy()
    colours = [colour_for(i) for i in range(values.shape[1])]
    ax.stackplot(epochs, stacked.T, labels=[str(c) for c in unlocks.columns], colors=colours, alpha=0.85,
                 linewidth=0.4, edgecolor="white")
    token_axis(ax.yaxis)
    if epochs[-1] > epochs[0]:
        ax.set_xlim(epochs[0], epochs[-1])
    ax.set_xlabel(f"{AXIS_LABELS['epoch']} (start of each {period})" if period != "epoch" else AXIS_LABELS["epoch"])
    ax.set_ylabel("Unlocked tokens, cumulative" if cumulative else f"Tokens unlocked per {period}")
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], names[::-1], loc="upper left", title="bucket")
    tidy = pd.DataFrame(stacked, index=pd.Index(epochs, name="epoch"), columns=list(unlocks.columns))
    attach(ax, tidy.melt(ignore_index=False, var_name="bucket", value_name="tokens").reset_index())


def render(draw, stem, *, figsize=(7.5, 4.6), dpi: int = 150) -> bytes:
    """Draw a figure with ``draw(ax)`` and write ``stem``.png, .pdf and .csv (its plotted numbers).

    The file writer of scripts and reports (the plot helpers never save). The
    files carry no creation dates, so the same figure gives the same bytes.
    Returns the PNG bytes.

    Parameters
    ----------
    draw : callable
        ``draw(ax)`` draws on a new Matplotlib Axes with a fairshare plot helper.
    stem : str or pathlib.Path
        Path of the files without suffix; ``.png``, ``.pdf`` and ``.csv`` are added.
    figsize : tuple of float, default (7.5, 4.6)
        Figure size, inches.
    dpi : int, default 150
        Resolution of the PNG, dots per inch.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    stem = Path(stem)
    figure, ax = plt.subplots(figsize=figsize)
    try:
        draw(ax)
        figure.tight_layout()
        # bbox_inches="tight": a legend placed beside the axes (many rules) is kept whole
        figure.savefig(stem.with_suffix(".png"), dpi=dpi, metadata={"Software": None}, bbox_inches="tight")
        figure.savefig(stem.with_suffix(".pdf"), metadata={"CreationDate": None, "Producer": None, "Creator": None},
                       bbox_inches="tight")
        plotted_data(ax).to_csv(stem.with_suffix(".csv"), index=False)
    finally:
        plt.close(figure)
    return stem.with_suffix(".png").read_bytes()
