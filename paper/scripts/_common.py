"""What every paper script shares: the seeded inputs, and where outputs go.

Each script is ``run(build: Path, scale: str) -> dict``: it writes its figures
(PNG, PDF and the CSV of every plotted number) and tables (Markdown and CSV)
under ``build`` and returns the values the text quotes, by name.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import fairshare as fs
from fairshare.report.format import format_frame, markdown_table

SEED = 0


@lru_cache(maxsize=None)
def network(scale: str) -> fs.History:
    return fs.datasets.open_inference_network(seed=SEED, scale=scale)


@lru_cache(maxsize=None)
def evaluation(scale: str) -> fs.Evaluation:
    return fs.evaluate(network(scale), fs.formulas.reference_rules(), seed=SEED)


def figure(build: Path, name: str, draw) -> None:
    from fairshare import plotting

    (build / "figures").mkdir(parents=True, exist_ok=True)
    plotting.render(draw, build / "figures" / name)


def table(build: Path, name: str, frame, by: str = "column") -> None:
    (build / "tables").mkdir(parents=True, exist_ok=True)
    frame.to_csv(build / "tables" / f"{name}.csv")
    (build / "tables" / f"{name}.md").write_text(markdown_table(format_frame(frame, by=by)) + "\n")
