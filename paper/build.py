"""Rebuild the paper: every figure, table and quoted number from its seeded script.

Usage: ``python paper/build.py [--scale default] [--out paper/build]``

Runs each script in ``paper/scripts`` (in the order of ``SCRIPTS``), which
writes its figures (PNG, PDF, and the CSV of every plotted number) and tables
under the build directory and returns the values the text quotes; then fills
``paper/paper.md.in``: ``{{name}}`` becomes a value, ``{{table:name}}`` a
table, ``{{figure:name|caption}}`` a figure. Writes ``paper.md`` and a
self-contained ``paper.html`` (no LaTeX needed). A placeholder with no value
is an error, so the text cannot quote a number no script computed.
"""

from __future__ import annotations

import argparse
import base64
import html
import importlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("network", "rules")
PLACEHOLDER = re.compile(r"\{\{(table:|figure:)?([\w.]+)(?:\|([^}]*))?\}\}")


def build(out: Path, scale: str) -> Path:
    sys.path.insert(0, str(HERE / "scripts"))
    try:
        values = {}
        for name in SCRIPTS:
            values.update(importlib.import_module(name).run(out, scale))
    finally:
        sys.path.remove(str(HERE / "scripts"))
    text = (HERE / "paper.md.in").read_text()

    def fill(match):
        kind, name, caption = match.group(1), match.group(2), match.group(3)
        if kind == "table:":
            return (out / "tables" / f"{name}.md").read_text().strip()
        if kind == "figure:":
            if not (out / "figures" / f"{name}.png").exists():
                raise KeyError(f"paper.md.in shows figure {name!r}, which no script draws")
            return f"![{caption or name}](figures/{name}.png)\n\n*{caption or name}*"
        if name not in values:
            raise KeyError(f"paper.md.in quotes {{{{{name}}}}}, which no script computes")
        return str(values[name])

    markdown = PLACEHOLDER.sub(fill, text)
    (out / "paper.md").write_text(markdown)
    (out / "paper.html").write_text(_html(markdown, out))
    return out / "paper.md"


def _html(markdown: str, out: Path) -> str:
    """A plain, self-contained HTML rendering (headings, paragraphs, tables, embedded figures)."""
    parts, table = [], []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            rows = [[html.escape(c.strip()) for c in r.strip("|").split("|")] for r in table if "---" not in r]
            head, body = rows[0], rows[1:]
            parts.append("<table><tr>" + "".join(f"<th>{c}</th>" for c in head) + "</tr>"
                         + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in body)
                         + "</table>")
            table = []
        figure = re.match(r"!\[(.*)\]\((.*)\)", line)
        if figure:
            data = base64.b64encode((out / figure.group(2)).read_bytes()).decode()
            parts.append(f'<img alt="{html.escape(figure.group(1))}" src="data:image/png;base64,{data}">')
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            parts.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
        elif line.strip():
            parts.append(f"<p>{html.escape(line)}</p>")
    style = "body{font-family:Georgia,serif;max-width:820px;margin:2em auto;line-height:1.5}img{max-width:100%}" \
            "table{border-collapse:collapse;font-size:0.85em}td,th{border-bottom:1px solid #ccc;padding:2px 6px}"
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{style}</style></head><body>" + "\n".join(
        parts) + "</body></html>\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="default", help="built-in network scale (small for a quick check)")
    parser.add_argument("--out", default=str(HERE / "build"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(build(out, args.scale))


if __name__ == "__main__":
    main()
