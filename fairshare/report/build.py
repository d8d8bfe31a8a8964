"""``build_report`` and ``write_report``: result objects to a report directory, whole or not at all."""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import plotting, results_io
from .._atomic import atomic_directory
from .._version import version
from .appendix import SECTION_BUILDERS
from .format import html_table, latex_table, markdown_table
from .sections import Figure, Section, Table, package_versions

__all__ = ["Report", "Section", "Table", "Figure", "build_report", "write_report", "package_versions"]

@dataclass(frozen=True)
class Report:
    """Sections in reading order, plus provenance and the result objects to save beside them.

    Parameters
    ----------
    title : str
        The appendix's title (the Markdown and HTML heading).
    sections : tuple of Section
        The sections, in reading order.
    provenance : dict
        Version, package versions and the inputs' and results' provenance (written to the manifest).
    results : dict, optional
        Result objects by name, saved under ``results/NAME/`` when savable.
    preface : tuple of str, optional
        The first lines, before section 1: what the data are (network, synthetic or real, price
        basis), the funding pool and, for the built-in networks, who OpenGradient pays today.
    command : str, optional
        The command line that produced the report, written to the manifest as ``command``.
    """

    title: str
    sections: tuple[Section, ...]
    provenance: dict
    results: dict = field(default_factory=dict)
    preface: tuple = ()
    command: str | None = None

    def markdown(self) -> str:
        lines = [f"# {self.title}", ""]
        for p in self.preface:
            lines += [p, ""]
        for i, s in enumerate(self.sections, 1):
            lines += [f"## {i}. {s.title}", ""]
            for p in s.paragraphs:
                lines += [p, ""]
            for t in s.tables:
                lines += [f"**{t.caption}**", "", markdown_table(t.shown), ""]
            for fig in s.figures:
                lines += [f"![{fig.caption}](figures/{fig.name}.png)", "", f"*{fig.caption}*", ""]
        return "\n".join(lines)

    def html(self, pngs: dict[str, bytes]) -> str:
        import html as _html

        body = [f"<h1>{_html.escape(self.title)}</h1>"]
        body += [f"<p>{_html.escape(p)}</p>" for p in self.preface]
        for i, s in enumerate(self.sections, 1):
            body.append(f"<h2>{i}. {_html.escape(s.title)}</h2>")
            body += [f"<p>{_html.escape(p)}</p>" for p in s.paragraphs]
            for t in s.tables:
                body.append(f"<h4>{_html.escape(t.caption)}</h4>{html_table(t.shown)}")
            for fig in s.figures:
                data = base64.b64encode(pngs[fig.name]).decode()
                body.append(f'<figure><img alt="{_html.escape(fig.caption)}" src="data:image/png;base64,{data}">'
                            f"<figcaption>{_html.escape(fig.caption)}</figcaption></figure>")
        return ("<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'>"
                f"<title>{_html.escape(self.title)}</title><style>{_CSS}</style></head>\n<body>\n"
                + "\n".join(body) + "\n</body></html>\n")

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def figures(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures]


_CSS = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:0.9em}"
        "th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right}"
        "th:first-child,td:first-child{text-align:left;position:sticky;left:0;background:#fff}"
        "th{vertical-align:bottom}.table-scroll{overflow-x:auto;max-width:100%;margin:0 0 1em}"
        "p,li,h1,h2,h3,h4,figcaption{overflow-wrap:anywhere}"
        "img{max-width:100%;height:auto}figcaption{font-style:italic}")


def build_report(history, evaluation, *, optimization=None, simulation=None, sensitivity=None,
                 question: str | None = None,
                 title: str = "Emission rules for inference nodes: an appendix", relaxations=None,
                 command: str | None = None, tables: dict | None = None, facts: dict | None = None,
                 rebuilt_by: str | None = None) -> Report:
    """Assemble the appendix from a history and the results computed on it.

    Everything the appendix shows comes from the result objects and from ``tables`` and ``facts``,
    which are saved beside them as ``results/appendix`` (a :class:`~fairshare.results_io.TableSet`),
    so that the saved results rebuild the same appendix (``fairshare report --results DIR``).

    Parameters
    ----------
    history : History
    evaluation : Evaluation
        Scoreboard of the candidate rules (``fs.evaluate``).
    optimization, simulation : optional
        ``fs.optimize`` and ``fs.simulate`` results; their sections say so when absent.
    sensitivity : dict of name -> Frontier, optional
        More sweeps of the optimum (budget, cost inputs) beside the optimisation's own frontier
        (saved as tables ``frontier_NAME``).
    question : str, optional
        The optimiser's answer to the governance question, in one or two sentences (saved as the
        fact ``answer``).
    title : str, default "Emission rules for inference nodes: an appendix"
        The report's title.
    relaxations : pandas.DataFrame, optional
        When the default problem could not be had: for each of its constraints dropped, whether the others
        hold and from which to which budget (``InfeasibleError.relaxations``; saved as the table
        ``relaxations``).
    command : str, optional
        The command line that computed the results (``fairshare demo ...``): shown in the provenance
        section and written to the manifest as ``command``; None when built from Python.
    tables : dict of str to pandas.DataFrame, optional
        The appendix's computed tables (:func:`fairshare.report.pipeline.appendix_tables`: ``ab_grid``,
        ``stress``, ``worked_examples``, ...; ``convergence_series`` and ``convergence_trends`` of a ledger).
    facts : dict, optional
        Facts stated beside them (``proposal_label``, ``grid``, ``stress``, ``convergence``, ...).
    rebuilt_by : str, optional
        The ``fairshare report`` command line that rebuilt the appendix from saved results (manifest only).
    """
    from ..results_io import TableSet

    tables = dict(tables or {})
    facts = dict(facts or {})
    for over, front in (sensitivity or {}).items():
        tables[f"frontier_{over}"] = front if isinstance(front, pd.DataFrame) else front.to_frame()
    if relaxations is not None:
        tables["relaxations"] = relaxations
    if question:
        facts["answer"] = question
    if command:
        facts["command"] = command
    appendix = TableSet(tables, facts)
    context = {"history": history, "evaluation": evaluation, "optimization": optimization,
               "simulation": simulation, "tables": tables, "facts": facts, "command": facts.get("command")}
    sections = tuple(s for build in SECTION_BUILDERS for s in [build(context)] if s is not None)
    provenance = {"fairshare_version": version, "packages": package_versions(),
                  "history": {"summary": repr(history), **history.provenance},
                  "evaluation": evaluation.provenance}
    for name, result in (("optimization", optimization), ("simulation", simulation)):
        if result is not None and getattr(result, "provenance", None) is not None:
            provenance[name] = result.provenance
    if rebuilt_by:
        provenance["rebuilt_by"] = rebuilt_by
    results = {"evaluation": evaluation}
    results.update({k: v for k, v in (("optimization", optimization), ("simulation", simulation))
                    if v is not None})
    results["appendix"] = appendix
    return Report(title=title, sections=sections, provenance=provenance, results=results,
                  preface=data_statement(history, evaluation), command=facts.get("command"))


def data_statement(history, evaluation) -> tuple[str, ...]:
    """The report's first lines: which network every number comes from, synthetic or real, the
    price basis, the funding pool and its effect on stakers, and who OpenGradient pays today.

    Parameters
    ----------
    history : History
        The history the report is about (its ``metadata`` states what its data are).
    evaluation : Evaluation
        The scoreboard (its ``staker_yield`` column gives the funding pool's effect).
    """
    from ..datasets import funding_pool_effect, who_is_paid_today
    from ..datasets.network import SCALES

    info = history.metadata
    if info is None:
        lines = [f"Data: a history read from {history.provenance.get('source', 'tables given in memory')}; it does "
                 "not state its network or whether it is measured or synthetic. Price basis: USD at each epoch's "
                 "token price (market table)."]
    else:
        lines = [info.statement() + f" Every number below comes from this network ({info.network})"
                 + (", synthetic data." if info.synthetic else ".")]
    board = evaluation.scoreboard
    if "staker_yield" in board.columns and len(board):
        base = evaluation.baseline if evaluation.baseline in board.index else board.index[0]
        if info is not None and info.baseline:
            rule0 = history.baseline
            same = [n for n, rule in evaluation.formulas.items() if rule is rule0 or repr(rule) == repr(rule0)]
            base = same[0] if same else base
        fx = funding_pool_effect(history, board, baseline=base)
        named = f" (= {info.baseline})" if info is not None and info.baseline and info.baseline != base else ""
        moves = ", ".join(f"{n} {y:.3g} ({c:+.0%} security budget)" if c == c else f"{n} {y:.3g}"
                          for n, y, c in zip(fx.index, fx["staker_yield"], fx["security_budget_change"]) if n != base)
        lines.append(f"Funding pool: {fx['funding_pool'].iloc[0]}. Staker yield (tokens per bonded token per year) "
                     f"under the baseline {base}{named}: {fx['staker_yield_baseline'].iloc[0]:.3g}; under the other "
                     "rules: "
                     f"{moves or 'none'}. Bonded stake {fx['bonded_tokens'].iloc[0]:,.0f} tokens "
                     f"({fx['bonded_ratio'].iloc[0]:.2%} of circulating OPG).")
    if info is not None and info.network in ("open_inference_network", "opengradient_2026"):
        scale = history.provenance.get("scale")
        today = who_is_paid_today(int(history.provenance.get("seed", 0)), scale if scale in SCALES else "small")
        cells = "; ".join(f"{name}: {row.emission_tokens:,.0f} OPG emitted, validators {row.validators_share:.0%}, "
                          f"gateways {row.gateways_share:.0%}, {int(row.operators_paid)} operators paid, "
                          f"HHI {row.hhi:.2f}"
                          if row.emission_tokens > 0 else f"{name}: no emission, nobody is paid"
                          for name, row in today.iterrows())
        margin = today["gateway_fee_margin_usd"].iloc[0]
        lines.append("OpenGradient as deployed (opengradient_2026, synthetic, same seed and scale): inference nodes "
                     f"earn fees only, passed upstream at list prices (margin ${margin:,.0f}); "
                     f"who receives the emission today: {cells}.")
    return tuple(lines)


def write_report(report: Report, directory, *, overwrite: bool = False, extra=None) -> Path:
    """Write ``report`` to ``directory`` (see the module docstring); return the directory.

    Parameters
    ----------
    report : Report
        The report to write.
    directory : str or pathlib.Path
        The report directory; written to a temporary sibling and renamed into place.
    overwrite : bool, default False
        Replace an existing non-empty ``directory`` (an error otherwise).
    extra : callable, optional
        Called with the temporary directory before the manifest is written, to add files that the
        manifest then lists (the CLI's integer export of the proposal).
    """
    directory = Path(directory)
    with atomic_directory(directory, overwrite=overwrite) as tmp:
        (tmp / "tables").mkdir()
        (tmp / "figures").mkdir()
        for t in report.tables():
            t.frame.to_csv(tmp / "tables" / f"{t.name}.csv")
            (tmp / "tables" / f"{t.name}.tex").write_text(latex_table(t.shown, t.caption, f"tab:{t.name}"))
        pngs = {fig.name: plotting.render(fig.draw, tmp / "figures" / fig.name) for fig in report.figures()}
        (tmp / "report.md").write_text(report.markdown())
        (tmp / "report.html").write_text(report.html(pngs))
        for name, result in report.results.items():
            if results_io.savable(result):
                results_io.save(result, tmp / "results" / name)
        if extra is not None:
            extra(tmp)
        files = sorted(p for p in tmp.rglob("*") if p.is_file())
        manifest = {
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "title": report.title,
            "command": report.command,
            "sections": [s.title for s in report.sections],
            "provenance": report.provenance,
            "files": {str(p.relative_to(tmp)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
    return directory
