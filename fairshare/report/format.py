"""Numbers and tables for people: formats, and Markdown, LaTeX and HTML renderers.

Public through :mod:`fairshare.report`. One formatting rule per kind of column
(shares as percentages, money with thousands separators and units, counts as
whole numbers, ratios with three significant digits), applied once, so the
Markdown, LaTeX and HTML of a report show the same strings. Containers are
formatted element by element (a mapping as ``key: value`` pairs, a sequence as
a comma-separated list), text stays text, and a rule whose own description is
its Python repr is described field by field (:func:`describe_rule`), so no
table or paragraph shows a raw float, a repr or a dict.
"""

from __future__ import annotations

import ast
import dataclasses
import html
import math
import numbers
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["format_value", "format_frame", "markdown_table", "latex_table", "html_table", "describe_rule",
           "describe_repr", "readable_text", "parameter_rows", "price_basis", "interval_text", "difference_cells"]

_COUNT = ("nakamoto", "nodes", "operators", "holders", "streak", "requests", "epochs", "runs")
_SHARE = ("share", "coverage_share", "utilisation", "_pct_of", "fraction", "survival")
_MONEY = ("_usd",)
#: Exact names that are money although they carry no ``_usd`` (a frontier's swept token price).
_MONEY_NAMES = ("price",)
#: Exact names that are shares although they say no "share" (a simulation's share of retail operators covering
#: their costs).
_SHARE_NAMES = ("retail_coverage",)
#: Prefixes of share columns whose names say no "share" (a frontier's weights: ``w_work``).
_SHARE_PREFIXES = ("w_",)


def format_value(column: str, value) -> str:
    """The string a report shows for ``value`` in column ``column``.

    Parameters
    ----------
    column : str
        Column (or row) name: its ending or keywords choose the format (``_pct``: percent as given;
        share-like names: x 100 with a percent sign; counts: whole numbers; money: dollars).
    value : object
        The value; None and NaN show as ``n/a``, booleans as yes / no, text as given, a mapping as
        ``key: value`` pairs (each value formatted by its key), a list, tuple or array as its
        elements formatted by ``column`` and separated by commas (an inner sequence in parentheses),
        a formula by :func:`describe_rule`.

    Examples
    --------
    >>> format_value("budget", 17111.567419575633)
    '17,112'
    >>> format_value("demand_means_per_epoch", {"large": 2079.894, "small": 43.8796})
    'large: 2,080; small: 43.9'
    >>> format_value("shares", [0.3, 0.075])
    '30.0%, 7.5%'
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {format_value(k, v)}" for k, v in value.items()) or "none"
    if isinstance(value, (list, tuple, np.ndarray, pd.Series, pd.Index)):
        parts = [f"({format_value(column, v)})" if isinstance(v, (list, tuple, np.ndarray)) else format_value(column, v)
                 for v in (value.tolist() if hasattr(value, "tolist") else value)]
        return ", ".join(parts) or "none"
    if hasattr(value, "describe") and dataclasses.is_dataclass(value):
        return describe_rule(value)
    if not isinstance(value, numbers.Real):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return readable_text(str(value))
    value = float(value)
    if math.isnan(value):
        return "n/a"
    name = str(column).lower()
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return _unsigned_zero(_number(name, value))


def _number(name: str, value: float) -> str:
    if name.endswith("_pct"):
        return f"{value:,.1f}%"
    if any(k in name for k in _SHARE) or name.startswith(_SHARE_PREFIXES) or name in _SHARE_NAMES:
        return f"{100 * value:.1f}%"
    if any(k in name for k in _COUNT):
        return f"{value:,.0f}"
    if any(k in name for k in _MONEY) or name in _MONEY_NAMES:
        sign, value = ("-" if value < 0 else ""), abs(value)
        return f"{sign}${value:,.2f}" if value < 100 else f"{sign}${value:,.0f}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _unsigned_zero(text: str) -> str:
    """``-0``, ``-0.0%``, ``-$0.00`` (a negative that rounds to zero, or a negative zero) without its sign."""
    return text[1:] if text.startswith("-") and not re.search(r"[1-9]", text) else text


def describe_rule(rule, named: Mapping | None = None) -> str:
    """A rule in words: its own description, or its fields when that description is its repr.

    Parameters
    ----------
    rule : Formula or str
        A reward rule, or the repr of one as saved in a result's provenance (then looked up in
        ``named`` by repr; an unknown repr is shown by :func:`readable_text`).
    named : mapping of str to Formula, optional
        Rules by name (an evaluation's ``formulas``); a rule found there is shown as its name
        followed by its description.

    Examples
    --------
    >>> from fairshare.formulas import Linear, Power
    >>> describe_rule(Power(exponent=0.5))  # its describe() is its repr
    'Power: exponent 0.5, on work'
    >>> describe_rule("Linear(weights={'work': 1.0})", {"fallback": Linear({"work": 1.0})})
    'fallback (emission split 100.0% by work)'
    """
    named = dict(named or {})
    if isinstance(rule, str):
        found = [(n, r) for n, r in named.items() if repr(r) == rule]
        return f"{found[0][0]} ({describe_rule(found[0][1])})" if found else describe_repr(rule)
    found = [n for n, r in named.items() if r is rule or repr(r) == repr(rule)]
    text = rule.describe() if hasattr(rule, "describe") else repr(rule)
    if text == repr(rule) and dataclasses.is_dataclass(rule):
        parts = []
        for f in dataclasses.fields(rule):
            value = getattr(rule, f.name)
            shown = (f"({describe_rule(value)})" if hasattr(value, "describe") and dataclasses.is_dataclass(value)
                     else format_value(f.name, value))
            parts.append(f"{f.name.replace('_', ' ')} {shown}")
        text = f"{type(rule).__name__}: {', '.join(parts)}" if parts else type(rule).__name__
    return f"{found[0]} ({text})" if found else text


def describe_repr(text: str) -> str:
    """A saved repr of a settings object in words: ``Name(a=1.5, b='x')`` becomes ``Name: a 1.5, b x``.

    Each keyword's value is formatted by :func:`format_value` under its name (nested calls in
    parentheses); text that is not such a repr is shown by :func:`readable_text`.

    Parameters
    ----------
    text : str
        The repr, e.g. ``"Linear(weights={'work': 0.5005238501480079, 'stake': 0.4994761498519921})"``.

    Examples
    --------
    >>> describe_repr("Linear(weights={'work': 0.5005238501480079, 'stake': 0.4994761498519921})")
    'Linear: weights work: 0.501; stake: 0.499'
    """
    try:
        node = ast.parse(str(text).strip(), mode="eval").body
        return _call_words(node)
    except (SyntaxError, ValueError, TypeError):
        return readable_text(text)


def _call_words(node) -> str:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or node.args:
        raise ValueError("not a keyword-only call")
    parts = []
    for kw in node.keywords:
        if isinstance(kw.value, ast.Call):
            shown = f"({_call_words(kw.value)})"
        else:
            shown = format_value(kw.arg, ast.literal_eval(kw.value))
        parts.append(f"{kw.arg.replace('_', ' ')} {shown}")
    return f"{node.func.id}: {', '.join(parts)}" if parts else node.func.id


#: A number written with five or more decimals (a raw float printed by ``repr`` or ``str``).
_LONG_FLOAT = re.compile(r"(?<![\w.])[-+]?\d+\.\d{5,}(?:[eE][-+]?\d+)?(?![\w.])")


def readable_text(text: str) -> str:
    """Free text with its raw floats shortened to four significant digits and its dict braces dropped.

    For text a report did not write itself (a saved repr, an error message): ``0.5005238501480079``
    becomes ``0.5005``, ``{'work': 1.0}`` becomes ``work: 1.0``.

    Parameters
    ----------
    text : str
        The text.
    """
    text = _LONG_FLOAT.sub(lambda m: f"{float(m.group()):.4g}", str(text))
    while True:  # innermost braces first, until none is left
        shorter = re.sub(r"\{([^{}]*)\}", lambda m: re.sub(r"'([^']*)'", r"\1", m.group(1)), text)
        if shorter == text:
            return text
        text = shorter


def parameter_rows(values: Mapping, prefix: str = "") -> list[tuple[str, str]]:
    """``(name, shown value)`` rows of nested parameters, one row per leaf, names joined by dots.

    A string holding a Python literal of a mapping (a generator's configuration as saved in
    provenance) is read as that mapping.

    Parameters
    ----------
    values : mapping
        The parameters (nested mappings allowed).
    prefix : str, default ""
        Prepended to every name (``"config."``).

    Examples
    --------
    >>> parameter_rows({"seed": 0, "config": "{'supply': {'mean_stake_tokens': 5561.762880198635}}"})
    [('seed', '0'), ('config.supply.mean_stake_tokens', '5,562')]
    """
    rows = []
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            try:
                value = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                pass
        if isinstance(value, Mapping) and value:
            rows += parameter_rows(value, prefix=f"{name}.")
        else:
            rows.append((name, format_value(key, value)))
    return rows


def price_basis(history=None, *, flat_price: float | None = None, simulated: str | None = None) -> str:
    """The one sentence a report section states the price basis of its USD figures with.

    Parameters
    ----------
    history : History, optional
        The history whose per-epoch token prices value the section's tokens (its
        ``metadata.price_basis`` says what those prices are).
    flat_price : float, optional
        A flat token price, USD, used instead of the history's prices.
    simulated : str, optional
        The simulation's price settings (the repr of its ``Price``, as saved in its provenance):
        the section's tokens are valued at each run's own simulated price.
    """
    if simulated is not None:
        start = " from the history's price at the start" if "start_usd=None" in simulated else ""
        return f"Price basis: each run's own simulated token price path{start} ({describe_repr(simulated)})."
    if flat_price is not None:
        return f"Price basis: a flat token price of {format_value('price_usd', flat_price)} in every epoch."
    info = getattr(history, "metadata", None)
    what = info.price_basis if info is not None else "USD at each epoch's token price (market table)"
    return f"Price basis: the history's per-epoch token prices ({what})."


def interval_text(measure: str, value, low=None, high=None) -> str:
    """``value (low to high)`` with each number formatted as ``measure`` is; the value alone without an interval.

    Parameters
    ----------
    measure : str
        The measure's name (chooses the format, as in :func:`format_value`).
    value, low, high : float
        The estimate and its interval (NaN or None: no interval).

    Examples
    --------
    >>> interval_text("retail_survival", 0.12, 0.05, 0.2)
    '12.0% (5.0% to 20.0%)'
    """
    shown = format_value(measure, value)
    if low is None or high is None or low != low or high != high:
        return shown
    return f"{shown} ({format_value(measure, low)} to {format_value(measure, high)})"


def difference_cells(diff: pd.DataFrame) -> pd.Series:
    """One cell per measure of an A/B difference table (``SimulationResult.difference``): the difference with
    its interval, or the word for a measure the arms share (``unchanged``) or that does not vary (``deterministic``).

    Parameters
    ----------
    diff : pandas.DataFrame
        Indexed by measure, with ``difference``, ``low``, ``high`` and ``kind``.
    """
    cells = {}
    for measure, row in diff.iterrows():
        kind = row.get("kind", "outcome")
        if kind == "unchanged":  # the same under both arms in every run: 0 by construction
            cells[measure] = "none (unchanged)"
            continue
        text = interval_text(measure, row["difference"], row.get("low"), row.get("high"))
        cells[measure] = text if kind == "outcome" else f"{text}, {kind}"
    return pd.Series(cells, dtype=object)


def format_frame(frame: pd.DataFrame, by: str = "column") -> pd.DataFrame:
    """Every cell as its report string; ``by="row"`` formats by the row label instead (transposed tables).

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw numbers.
    by : {"column", "row"}, default "column"
        Format each cell by its column name, or by its row label. A float index (a swept
        value) is formatted by the index's name; other labels (names, integer ids) stay as given.
    """
    index = frame.index
    if not isinstance(index, pd.MultiIndex) and index.dtype.kind == "f":  # a swept value; labels and ids stay
        index = pd.Index([format_value(index.name, v) for v in index], name=index.name)
    if by == "row":
        return pd.DataFrame({c: [format_value(i, v) for i, v in frame[c].items()] for c in frame.columns},
                            index=index)
    return pd.DataFrame({c: [format_value(c, v) for v in frame[c]] for c in frame.columns}, index=index)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of string cells (the index is the first column).

    Parameters
    ----------
    frame : pandas.DataFrame
        String cells (:func:`format_frame`); the index name heads the first column.
    """
    head = [str(frame.index.name or "")] + [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(_md(h) for h in head) + " |", "|" + "---|" * len(head)]
    for label, row in frame.iterrows():
        lines.append("| " + " | ".join([_md(label)] + [_md(v) for v in row]) + " |")
    return "\n".join(lines)


def _md(value) -> str:
    return str(value).replace("|", "\\|")


def latex_table(frame: pd.DataFrame, caption: str, label: str) -> str:
    """A ``table``/``tabular`` environment (booktabs rules) of string cells.

    Parameters
    ----------
    frame : pandas.DataFrame
        String cells (:func:`format_frame`); the index name heads the first column.
    caption : str
        The table's caption (escaped for LaTeX).
    label : str
        The LaTeX label key, for example ``"tab:scoreboard"`` (not escaped).
    """
    cols = "l" + "r" * len(frame.columns)
    head = " & ".join(_tex(h) for h in [frame.index.name or ""] + list(frame.columns))
    body = "\n".join(" & ".join(_tex(v) for v in [label_] + list(row)) + r" \\"
                     for label_, row in frame.iterrows())
    return (f"\\begin{{table}}[ht]\n\\centering\n\\caption{{{_tex(caption)}}}\n\\label{{{label}}}\n"
            f"\\begin{{tabular}}{{{cols}}}\n\\toprule\n{head} \\\\\n\\midrule\n{body}\n\\bottomrule\n"
            "\\end{tabular}\n\\end{table}\n")


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
        "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "∞": r"$\infty$"}


def _tex(value) -> str:
    return "".join(_TEX.get(ch, ch) for ch in str(value))


def html_table(frame: pd.DataFrame) -> str:
    """An HTML table of string cells (escaped).

    Parameters
    ----------
    frame : pandas.DataFrame
        String cells (:func:`format_frame`); the index name heads the first column.
    """
    # a header may break after an underscore (<wbr>: the text is unchanged); a wide table scrolls in its own box
    head = "".join(f"<th>{html.escape(str(h)).replace('_', '_<wbr>')}</th>"
                   for h in [frame.index.name or ""] + list(frame.columns))
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in [label] + list(row)) + "</tr>"
                   for label, row in frame.iterrows())
    return f'<div class="table-scroll"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'
