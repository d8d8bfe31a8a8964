"""What every paper script shares: the seeded inputs, the scales, where outputs go, and how numbers are quoted.

Each script is ``run(build: Path, scale: str) -> dict``: it writes its figures
(PNG, PDF and the CSV of every plotted number) and tables (Markdown and CSV)
under ``build`` and returns the values the text quotes, by name.

A value the text quotes is one of three kinds:

- an :class:`Estimate`: a number with its interval and how the interval was
  obtained (bootstrap, runs, network seeds); the text quotes it as
  ``{{est:name}}``, rendered "x (95% CI a to b)";
- an :class:`Exact`: a number that has no sampling uncertainty, with the source
  that makes it so (a configuration read from a primary source, a closed form);
  quoted as ``{{exact:name}}``, rendered "x (exact; source)";
- anything else (counts of the inputs, settings, labels): quoted as ``{{name}}``.

The abstract and the findings quote only the first two kinds (``paper/build.py``
refuses anything else there).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

import fairshare as fs
from fairshare.report.format import format_frame, markdown_table

SEED = 0
#: Confidence level of every bootstrap interval the paper quotes.
CONFIDENCE = 0.95

#: What each scale computes. ``small`` is the test configuration (seconds); ``default`` is the paper.
SETTINGS = {
    "small": {"network_scale": "small", "resamples": 200, "seeds": (0, 1, 2), "runs": 8, "trend_resamples": 199},
    "default": {"network_scale": "default", "resamples": 2000, "seeds": (0, 1, 2, 3, 4), "runs": 20,
                "trend_resamples": 999},
}


def settings(scale: str) -> dict:
    """The settings of ``scale`` (``small`` or ``default``); any other name is an error naming the choices."""
    if scale not in SETTINGS:
        raise fs.errors.ConfigError(f"paper: unknown scale {scale!r}; use one of {', '.join(SETTINGS)}.")
    return SETTINGS[scale]


@dataclass(frozen=True)
class Estimate:
    """A quoted number with its interval: ``value`` (``low`` to ``high``), obtained as ``how`` says."""

    value: float
    low: float
    high: float
    fmt: str = "{:.2f}"
    how: str = "95% CI"

    def __post_init__(self):
        if not all(np.isfinite([self.value, self.low, self.high])):
            raise ValueError(f"Estimate needs finite numbers, got {self.value}, {self.low}, {self.high}")

    def render(self) -> str:
        f = self.fmt.format
        return f"{f(self.value)} ({self.how} {f(self.low)} to {f(self.high)})"


@dataclass(frozen=True)
class Exact:
    """A quoted number without sampling uncertainty, and why: ``source`` (a reference key or a closed form)."""

    value: object
    source: str
    fmt: str = "{}"

    def render(self) -> str:
        return f"{self.fmt.format(self.value)} (exact; {self.source})"


def percentile(values, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The central percentile interval of ``values``."""
    lo, hi = np.quantile(np.asarray(values, dtype=float), [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(lo), float(hi)


def boot(metric, x, scale: str, fmt: str = "{:.2f}", **kwargs) -> Estimate:
    """``metric`` of holdings ``x`` with its percentile bootstrap interval over holders (``fs.metrics.bootstrap``)."""
    r = fs.metrics.bootstrap(metric, np.asarray(x, dtype=float), n_resamples=settings(scale)["resamples"],
                             confidence=CONFIDENCE, seed=SEED, **kwargs)
    return Estimate(float(r.estimate), float(r.low), float(r.high), fmt)


def signed_format(*values, digits: int = 2) -> str:
    """A signed fixed-point format showing at least ``digits`` significant digits of the largest of ``values``
    (at least three decimals, at most ten): a difference of 3e-4 is shown as +0.00030, not +0.000."""
    largest = max((abs(float(v)) for v in values), default=0.0)
    decimals = 3 if largest == 0 else min(10, max(3, digits - 1 - int(np.floor(np.log10(largest)))))
    return "{:+." + str(decimals) + "f}"


def boot_difference(metric, a, b, scale: str, fmt: str | None = None, **kwargs) -> Estimate:
    """``metric(a) - metric(b)`` for two rules over the same holders, resampled with the same holder indices.

    Without ``fmt`` the number of decimals follows the size of the difference and its interval.
    """
    x = np.vstack([np.asarray(a, dtype=float), np.asarray(b, dtype=float)])
    r = fs.metrics.bootstrap(metric, x, n_resamples=settings(scale)["resamples"], confidence=CONFIDENCE, seed=SEED,
                             **kwargs)
    diff = r.resamples[0] - r.resamples[1]
    lo, hi = percentile(diff)
    value = float(r.estimate[0] - r.estimate[1])
    return Estimate(value, lo, hi, fmt or signed_format(value, lo, hi), "95% CI, paired bootstrap,")


def mean_share(x, axis=-1):
    """Share of holders with a true flag (a batched measure for ``fs.metrics.bootstrap``)."""
    return np.mean(x, axis=axis)


def median_of(x, axis=-1):
    """Median holding (a batched measure for ``fs.metrics.bootstrap``)."""
    return np.median(x, axis=axis)


def over_seeds(values, fmt: str = "{:.2f}") -> Estimate:
    """The value at seed 0 with the range over the network seeds (the built-in network redrawn).

    Values of a thousand or more are shown as whole numbers with thousands separators.
    """
    values = [float(v) for v in values]
    if max(abs(v) for v in values) >= 1000:
        fmt = "{:,.0f}"
    return Estimate(values[0], min(values), max(values), fmt, f"range over {len(values)} network seeds:")


@lru_cache(maxsize=None)
def network(scale: str, seed: int = SEED) -> fs.History:
    return fs.datasets.open_inference_network(seed=seed, scale=settings(scale)["network_scale"])


@lru_cache(maxsize=None)
def evaluation(scale: str, seed: int = SEED) -> fs.Evaluation:
    return fs.evaluate(network(scale, seed), fs.formulas.reference_rules(), seed=SEED,
                       trend_resamples=settings(scale)["trend_resamples"])


def figure(build: Path, name: str, draw) -> None:
    from fairshare import plotting

    (build / "figures").mkdir(parents=True, exist_ok=True)
    plotting.render(draw, build / "figures" / name)


def table(build: Path, name: str, frame, by: str = "column") -> None:
    (build / "tables").mkdir(parents=True, exist_ok=True)
    frame.to_csv(build / "tables" / f"{name}.csv")
    (build / "tables" / f"{name}.md").write_text(markdown_table(format_frame(frame, by=by)) + "\n")


def direction(est: Estimate, up: str = "a rise", down: str = "a fall",
              none: str = "no clear change (the interval includes zero)") -> str:
    """Words for the sign of an estimate: ``up`` or ``down`` when its interval excludes zero, else ``none``."""
    if est.low > 0:
        return up
    if est.high < 0:
        return down
    return none
