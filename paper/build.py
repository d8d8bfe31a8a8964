"""Rebuild the paper: every figure, table and quoted number from its seeded script.

Usage: ``python paper/build.py [--scale default|small] [--out paper/build]``

Runs each script in ``paper/scripts`` (in the order of ``SCRIPTS``), which
writes its figures (PNG, PDF, and the CSV of every plotted number) and tables
under the build directory and returns the values the text quotes; then fills
``paper/paper.md.in``:

- ``{{name}}`` becomes a value (counts, settings, labels);
- ``{{est:name}}`` a number with its interval, "x (95% CI a to b)" (an
  ``Estimate`` of ``scripts/_common.py``), ``{{exact:name}}`` a number without
  sampling uncertainty with its source, "x (exact; source)" (an ``Exact``), and
  ``{{num:name}}`` either (a simulated difference is an ``Exact`` zero when it is
  identical in every run, an ``Estimate`` otherwise);
  between ``<!-- headline -->`` and ``<!-- /headline -->`` only these two kinds
  may quote numbers (a bare ``{{name}}`` there may only hold words), so every
  headline number carries its interval or its source;
- ``{{table:name}}`` a table, ``{{figure:name|caption}}`` a figure;
- ``[@key]`` or ``[@key; @other]`` a numbered citation of ``paper/references.md``,
  and ``{{references}}`` the list of cited works. A key missing from the file is
  an error, and so is an entry of the file the text never cites.

A placeholder with no value is an error, so the text cannot quote a number no
script computed. Writes ``paper.md`` and a self-contained ``paper.html`` (equations
stay TeX source, readable as written: no MathJax is fetched, the build needs no
network), and ``paper.pdf`` only where pandoc and xelatex are installed (the build
says when it skips it). The build directory is written whole or not at all.
"""

from __future__ import annotations

import argparse
import base64
import html
import importlib
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCRIPTS = ("network", "rules", "optimiser", "simulation", "opengradient", "real", "provenance")
PLACEHOLDER = re.compile(r"\{\{(table:|figure:|est:|exact:|num:)?([\w.]+)(?:\|([^}]*))?\}\}")
CITATION = re.compile(r"\[(@[\w-]+(?:;\s*@[\w-]+)*)\]")
REFERENCE = re.compile(r"^\[([\w-]+)\]:\s+(.+)$")
HEADLINE = re.compile(r"<!-- headline -->(.*?)<!-- /headline -->", re.S)
#: Display math ($$ ... $$, possibly over several lines) and inline math ($...$, pandoc's rule: no space inside the
#: dollars, no digit right after the closing one).
MATH = re.compile(r"\$\$.+?\$\$|\$(?=\S)[^$\n]+?(?<=\S)\$(?!\d)", re.S)


def references(path: Path | None = None) -> dict[str, str]:
    """The bibliography: ``[key]: entry`` lines of ``paper/references.md``, by key (a repeated key is an error)."""
    out = {}
    for line in (path or HERE / "references.md").read_text().splitlines():
        m = REFERENCE.match(line)
        if m:
            if m.group(1) in out:
                raise KeyError(f"references.md lists {m.group(1)!r} twice")
            out[m.group(1)] = m.group(2).strip()
    return out


def _values(out: Path, scale: str) -> dict:
    sys.path.insert(0, str(HERE / "scripts"))
    try:
        values = {}
        for name in SCRIPTS:
            values.update(importlib.import_module(name).run(out, scale))
    finally:
        sys.path.remove(str(HERE / "scripts"))
    return values


def fill(text: str, values: dict, out: Path) -> str:
    """``text`` with every placeholder replaced (math spans are left alone); an unknown or mistyped one raises."""
    from _common import Estimate, Exact

    for block in HEADLINE.findall(text):
        plain = [m.group(0) for m in PLACEHOLDER.finditer(block) if m.group(1) not in ("est:", "exact:", "num:")
                 and (m.group(1) or re.search(r"\d", str(values.get(m.group(2), "0"))))]
        if plain:
            raise ValueError(f"paper.md.in quotes {', '.join(plain)} in a headline section; headline numbers must "
                             "be {{est:...}} (with an interval) or {{exact:...}} (with a source)")

    def one(match):
        kind, name, caption = match.group(1), match.group(2), match.group(3)
        if kind == "table:":
            path = out / "tables" / f"{name}.md"
            if not path.exists():
                raise KeyError(f"paper.md.in shows table {name!r}, which no script writes")
            return path.read_text().strip()
        if kind == "figure:":
            if not (out / "figures" / f"{name}.png").exists():
                raise KeyError(f"paper.md.in shows figure {name!r}, which no script draws")
            return f"![{caption or name}](figures/{name}.png)\n\n*{caption or name}*"
        if kind is None and name == "references":
            return "\x00references\x00"
        if name not in values:
            raise KeyError(f"paper.md.in quotes {{{{{kind or ''}{name}}}}}, which no script computes")
        value = values[name]
        want = {"est:": Estimate, "exact:": Exact, "num:": (Estimate, Exact)}.get(kind)
        if want is not None and not isinstance(value, want):
            raise TypeError(f"paper.md.in quotes {{{{{kind}{name}}}}}, but the script gives {type(value).__name__}, "
                            f"not {' or '.join(w.__name__ for w in (want if isinstance(want, tuple) else (want,)))}")
        if want is None and isinstance(value, (Estimate, Exact)):
            raise TypeError(f"paper.md.in quotes {{{{{name}}}}} bare; quote it as "
                            f"{{{{{'est' if isinstance(value, Estimate) else 'exact'}:{name}}}}}")
        text = value.render() if want is not None else str(value)
        return text.replace("$", "\\$")

    return PLACEHOLDER.sub(one, text)


def cite(text: str, bibliography: dict[str, str]) -> tuple[str, list[str]]:
    """Numbered citations in order of first use, and the keys cited; a key not in the bibliography raises."""
    order: list[str] = []

    def one(match):
        keys = [k.strip().lstrip("@") for k in match.group(1).split(";")]
        for k in keys:
            if k not in bibliography:
                raise KeyError(f"the paper cites [@{k}], which paper/references.md does not list")
            if k not in order:
                order.append(k)
        return "[" + ", ".join(str(order.index(k) + 1) for k in keys) + "]"

    return CITATION.sub(one, text), order


def build(out: Path, scale: str = "default") -> Path:
    """Run the scripts into ``out`` (written whole or not at all) and write the paper; returns ``out/paper.md``."""
    from fairshare._atomic import atomic_directory

    out = Path(out)
    bibliography = references()
    template = (HERE / "paper.md.in").read_text()
    maths: list[str] = []

    def protect(match):
        maths.append(match.group(0))
        return f"\x00{len(maths) - 1}\x00"

    protected = MATH.sub(protect, template)
    with atomic_directory(out, overwrite=True) as tmp:
        values = _values(tmp, scale)
        sys.path.insert(0, str(HERE / "scripts"))
        try:
            filled = fill(protected, values, tmp)
        finally:
            sys.path.remove(str(HERE / "scripts"))
        filled = HEADLINE.sub(lambda m: m.group(1), filled)
        filled, cited = cite(filled, bibliography)
        unused = sorted(set(bibliography) - set(cited))
        if unused:
            raise KeyError(f"paper/references.md lists {', '.join(unused)}, which the paper never cites")
        refs = "\n".join(f"{i}. {bibliography[k]}" for i, k in enumerate(cited, 1))
        filled = filled.replace("\x00references\x00", refs)
        markdown = re.sub("\x00(\\d+)\x00", lambda m: maths[int(m.group(1))], filled)
        (tmp / "paper.md").write_text(markdown)
        (tmp / "paper.html").write_text(_html(filled, maths, tmp))
        print("Equations: TeX source in paper.md and paper.html (no MathJax is fetched: the build needs no network).")
        print(_pdf(tmp))
    return out / "paper.md"


def _pdf(out: Path) -> str:
    """Write ``paper.pdf`` with pandoc and xelatex where both are installed; otherwise say that it was skipped."""
    missing = [tool for tool in ("pandoc", "xelatex") if shutil.which(tool) is None]
    if missing:
        return f"PDF skipped: {' and '.join(missing)} not installed (paper.md and paper.html are complete)."
    subprocess.run(["pandoc", "paper.md", "-o", "paper.pdf", "--pdf-engine=xelatex", "--resource-path", "."],
                   cwd=out, check=True)
    return "PDF written: paper.pdf (pandoc, xelatex)."


_INLINE = [(re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
           (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
           (re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])"), r"<em>\1</em>")]


def _inline(text: str, maths: list[str]) -> str:
    text = html.escape(text, quote=False).replace("\\$", "$")
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    text = re.sub(r"\[(\d+(?:, \d+)*)\]", lambda m: "[" + ", ".join(
        f'<a href="#cite-{n}">{n}</a>' for n in m.group(1).split(", ")) + "]", text)

    def math(m):
        tex = maths[int(m.group(1))]
        if tex.startswith("$$"):
            return f'<div class="math">{html.escape(tex)}</div>'
        return f'<span class="math">{html.escape(tex)}</span>'

    return re.sub("\x00(\\d+)\x00", math, text)


def _html(markdown: str, maths: list[str], out: Path) -> str:
    """A plain, self-contained HTML rendering: headings, paragraphs, lists, tables, embedded figures, TeX as written."""
    parts, table, para, items = [], [], [], []

    def flush():
        nonlocal para, items
        if para:
            parts.append(f"<p>{_inline(' '.join(para), maths)}</p>")
            para = []
        if items:
            tag, entries = items[0], items[1:]
            parts.append(f"<{tag}>" + "".join(f'<li id="{i}">{_inline(e, maths)}</li>' if i else
                                              f"<li>{_inline(e, maths)}</li>" for i, e in entries) + f"</{tag}>")
            items = []

    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            flush()
            table.append(line)
            continue
        if table:
            rows = [[_inline(c.strip(), maths) for c in r.strip("|").split("|")] for r in table
                    if not re.fullmatch(r"\|[\s:|-]+\|", r.strip())]
            head, body = rows[0], rows[1:]
            parts.append("<table><tr>" + "".join(f"<th>{c}</th>" for c in head) + "</tr>"
                         + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in body)
                         + "</table>")
            table = []
        figure = re.match(r"!\[(.*)\]\((.*)\)", line)
        numbered = re.match(r"(\d+)\. (.*)", line)
        if figure:
            flush()
            data = base64.b64encode((out / figure.group(2)).read_bytes()).decode()
            parts.append(f'<img alt="{html.escape(figure.group(1))}" src="data:image/png;base64,{data}">')
        elif line.startswith("#"):
            flush()
            level = len(line) - len(line.lstrip("#"))
            parts.append(f"<h{level}>{_inline(line.lstrip('#').strip(), maths)}</h{level}>")
        elif line.startswith("- "):
            if para or (items and items[0] != "ul"):
                flush()
            items = items or ["ul"]
            items.append((None, line[2:]))
        elif numbered:
            if para or (items and items[0] != "ol"):
                flush()
            items = items or ["ol"]
            items.append((f"cite-{numbered.group(1)}", numbered.group(2)))
        elif line.startswith("  ") and items:
            items[-1] = (items[-1][0], items[-1][1] + " " + line.strip())
        elif re.fullmatch("\x00\\d+\x00", line.strip()) and maths[int(line.strip()[1:-1])].startswith("$$"):
            flush()
            parts.append(_inline(line.strip(), maths))
        elif line.strip():
            if items:
                flush()
            para.append(line.strip())
        else:
            flush()
    style = ("body{font-family:Georgia,serif;max-width:820px;margin:2em auto;padding:0 1em;line-height:1.5}"
             "img{max-width:100%}table{border-collapse:collapse;font-size:0.85em;display:block;overflow-x:auto}"
             "td,th{border-bottom:1px solid #ccc;padding:2px 6px;text-align:left}"
             ".math{font-family:monospace;white-space:pre-wrap}div.math{margin:1em 2em}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><meta name='viewport' "
            f"content='width=device-width, initial-scale=1'><title>{_title(markdown)}</title><style>{style}</style>"
            f"</head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


def _title(markdown: str) -> str:
    first = next((line for line in markdown.splitlines() if line.startswith("# ")), "# paper")
    return html.escape(first[2:].strip())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="default", choices=("default", "small"),
                        help="default: the paper; small: the quick configuration the tests build")
    parser.add_argument("--out", default=str(HERE / "build"))
    args = parser.parse_args(argv)
    # The paper describes this checkout's code: import it rather than another installed copy.
    sys.path.insert(0, str(ROOT))
    start = time.perf_counter()
    paper = build(Path(args.out), args.scale)
    words = len(re.findall(r"\b\w[\w'-]*\b", paper.read_text()))
    print(f"{paper} ({words:,} words, built in {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
