"""Numbers and tables for people: formats, and Markdown, LaTeX and HTML renderers.

Public through :mod:`fairshare.report`. One formatting rule per kind of column
(shares as percentages, money with thousands separators and units, counts as
whole numbers, ratios with three significant digits), applied once, so the
Markdown, LaTeX and HTML of a report show the same strings.
"""

from __future__ import annotations

import html
import math

import pandas as pd

__all__ = ["format_value", "format_frame", "markdown_table", "latex_table", "html_table"]

_COUNT = ("nakamoto", "nodes", "operators", "holders", "streak", "requests", "epochs", "runs")
_SHARE = ("share", "coverage_share", "utilisation", "_pct_of", "fraction", "survival")
_MONEY = ("_usd",)


def format_value(column: str, value) -> str:
    """The string a report shows for ``value`` in column ``column``.

    Parameters
    ----------
    column : str
        Column (or row) name: its ending or keywords choose the format (``_pct``: percent as given;
        share-like names: x 100 with a percent sign; counts: whole numbers; money: dollars).
    value : object
        The value; None and NaN show as ``n/a``, booleans as yes / no, non-numbers as ``str(value)``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, (bool,)):
        return "yes" if value else "no"
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return str(value)
    name = str(column).lower()
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if name.endswith("_pct"):
        return f"{value:,.1f}%"
    if any(k in name for k in _SHARE):
        return f"{100 * value:.1f}%"
    if any(k in name for k in _COUNT):
        return f"{value:,.0f}"
    if any(k in name for k in _MONEY):
        return f"${value:,.2f}" if abs(value) < 100 else f"${value:,.0f}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def format_frame(frame: pd.DataFrame, by: str = "column") -> pd.DataFrame:
    """Every cell as its report string; ``by="row"`` formats by the row label instead (transposed tables).

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw numbers.
    by : {"column", "row"}, default "column"
        Format each cell by its column name, or by its row label.
    """
    if by == "row":
        return pd.DataFrame({c: [format_value(i, v) for i, v in frame[c].items()] for c in frame.columns},
                            index=frame.index)
    return pd.DataFrame({c: [format_value(c, v) for v in frame[c]] for c in frame.columns}, index=frame.index)


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
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in [frame.index.name or ""] + list(frame.columns))
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in [label] + list(row)) + "</tr>"
                   for label, row in frame.iterrows())
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
