"""Governance-proposal appendix: Markdown, LaTeX tables and a self-contained HTML page.

:func:`build_report` turns result objects into a :class:`Report` (sections of
paragraphs, tables and figures); :func:`write_report` writes a report
directory whole or not at all::

    report.md            the appendix (figures linked from figures/)
    report.html          the same, self-contained (figures embedded)
    tables/NAME.tex      one LaTeX table per table (booktabs), tables/NAME.csv the raw numbers
    figures/NAME.png     each figure, also .pdf, and NAME.csv: every plotted number
    results/NAME/        the result objects, reloadable with fairshare.results_io.load
    manifest.json        version, inputs, parameters, seeds, package versions, every file with its hash

Two runs on the same inputs write identical files, apart from the creation
time in the manifest.

============  ==================================================================
module        job
============  ==================================================================
``build``     ``Report``, ``build_report``, ``write_report``
``sections``  the evidence sections (data, rules, coverage, attacks, simulation, sensitivity, provenance)
``appendix``  the reader-facing sections (summary, question, KPIs, options, ...) and the reading order
``pipeline``  the appendix's computations (proposal or fallback, A/B grid, scenarios, ...); saved results
``format``    numbers and tables for people; Markdown, LaTeX, HTML renderers
============  ==================================================================
"""

from .build import Report, build_report, write_report
from .format import format_frame, format_value, html_table, latex_table, markdown_table
from .sections import Figure, Section, Table, package_versions

__all__ = ["Report", "Section", "Table", "Figure", "build_report", "write_report", "package_versions",
           "format_value", "format_frame", "markdown_table", "latex_table", "html_table"]
