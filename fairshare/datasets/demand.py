"""Demand of the built-in network: models, request sizes, large jobs, verification and fees.

Traffic comes in four classes, each a stream of *units* the router places on nodes:

=========  ================  ============  ===================================================
class      model             verification  unit
=========  ================  ============  ===================================================
``large``  llama-3.3-70b     vanilla       one whole large-model job ([sources: azure-llm-trace-2023, syfi-tracelab]:
                                           big operators take
                                           whole large-model jobs; [sources: og-docs]: vanilla is the mode for
                                           "generative AI and other large models")
``small``  llama-3.1-8b      tee           a parcel of small chat requests settled together
                                           ([sources: og-settlement-relay] ``SETTLE_BATCH``); [sources: og-docs]: "all
                                           LLM inference
                                           defaults to TEE"; retail rigs serve 8B models [sources: gpu-benchmarks-llm]
``zkml``   mistral-7b        zkml          one request, settled on its own with its proof
                                           ([sources: og-settlement-relay] ``SETTLE_INDIVIDUAL``); [sources: og-docs]:
                                           ZKML is for
                                           "smaller models in high-impact use cases"
``proxy``  hosted models     tee           a parcel of requests to a hosted model, relayed by
                                           a TEE proxy node ([sources: og-docs, og-tee-gateway])
=========  ================  ============  ===================================================

Parameters
----------
=============================  ===================  ==========================================
parameter                      default              source
=============================  ===================  ==========================================
prompt tokens, lognormal       mu 6.63, sigma 0.99  [sources: azure-llm-trace-2023] Azure conversation trace fit (H)
output tokens, lognormal       mu 5.02, sigma 0.86  [sources: azure-llm-trace-2023] (H)
corr(prompt, output)           -0.11                [sources: azure-llm-trace-2023]; drawn as a log-correlation of
                                                    -0.189,
                                                    which gives -0.11 between the raw sizes
large job size, Pareto alpha   1.3                  [sources: syfi-tracelab] (range 1.1-1.5,
                                                    [sources: azure-llm-trace-2023, syfi-tracelab])
large job minimum              100 small requests   [sources: azure-llm-trace-2023, syfi-tracelab] ("x_min about 100x a
                                                    small task"); in
                                                    tokens 100 x (1,237 + 219) = 145,567
large job maximum              0.25 epoch of the    assumption: a whole job settles within one
                               fastest 70B node     epoch on one node (about 3,400 x x_min)
large job prompt share         0.849                a small request's mean prompt share
                                                    ([sources: azure-llm-trace-2023])
token share of large jobs      0.60                 [sources: azure-llm-trace-2023, syfi-tracelab] (50-70%)
verification overhead          vanilla 1, tee 2.5,  [sources: og-docs] (TEE 2-3x, ZKML 100-1000x); ZK-CRV
                               zkml 300             (1.5x) is not a mode of the schema
fee, open 8B (blended)         $0.05 / 1M tokens    [sources: open-model-prices] (0.03-0.6)
fee, open 70B (blended)        $0.30 / 1M tokens    [sources: open-model-prices] (0.13-0.9)
fee, hosted models (in / out)  rate card            [sources: og-tee-gateway] tee-gateway ``model_registry.py`` (H):
                                                    GPT-4.1 2/8, Claude Sonnet 4.5 3/15, Gemini
                                                    2.5 Flash 0.30/2.50, Grok-4-fast 0.20/0.50
proxy upstream cost            equal to the fee     [sources: og-tee-gateway]: proxy revenue is a pass-through of the
                                                    provider's list price
hosted model mix               equal shares         assumption (no public mix)
ZKML requests per small one    1e-5                 assumption (no public task mix)
=============================  ===================  ==========================================

Units are a representation choice, not a fact: a small or proxy parcel holds 1,024
requests and a large unit 8 jobs of one client (each job drawn on its own), so a year of a
busy network routes tens of millions of units rather than billions of requests.

Where sources conflict. [sources: azure-llm-trace-2023, syfi-tracelab] also says about 95% of task *count* is small,
and SyFI
sessions have p99/p50 of about 300. With Pareto alpha 1.3 and a minimum of 100 small
requests, a mean large job is about 4 x 100 small requests (396 with the cap), so a 5%
count share would put about 95% of tokens in large jobs, not 50-70%. The generator keeps
alpha, the minimum and the 60% token share (the figure that decides who captures the work,
which is what the toolkit measures) and lets the count share follow from them (0.38%); the
SyFI ratio describes coding-agent sessions, a different unit, and is not targeted.

Request sizes are the lognormal fits, not the trace's empirical quantiles: the fit's
median prompt (about 750 tokens) is below the trace's 1,020 because the trace is not
lognormal; the calibration report shows both.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import erf, exp, log, sqrt

import numpy as np
import pandas as pd

__all__ = [
    "ModelSpec",
    "MODELS",
    "VERIFICATION_OVERHEAD",
    "CLASSES",
    "RequestSizes",
    "LargeJobs",
    "models_table",
    "model_codes",
    "fees_usd",
    "lognormal_log_correlation",
]

#: Busy-time multiplier of each verification mode ([sources: og-docs] gives TEE 2-3x, ZKML 100-1000x).
VERIFICATION_OVERHEAD: dict[str, float] = {"vanilla": 1.0, "tee": 2.5, "zkml": 300.0}

#: Traffic classes in routing order (large jobs are booked first: whole-job contracts).
CLASSES: tuple[str, ...] = ("large", "small", "zkml", "proxy")


@dataclass(frozen=True)
class ModelSpec:
    """A model of the catalogue: its family (which nodes serve it), size and rate card.

    Fees are USD per million tokens. ``pass_through`` models are hosted by a provider,
    whose list price the proxy node pays upstream.

    Parameters
    ----------
    name : str
        Model name, written to the history's ``models`` table and the tasks' ``model`` column.
    family : {"8b", "70b", "hosted"}
        Serving family: a node serves the model when its archetype has a speed for this family.
    active_params_b : float
        Active parameters, billions (hosted models carry a nominal 8B-equivalent).
    fee_input_usd_per_mtok, fee_output_usd_per_mtok : float
        Client fee per million prompt tokens and per million output tokens, USD.
    pass_through : bool
        True for a hosted model relayed by a TEE proxy: its fee is paid upstream in full
        (``upstream_cost_usd`` equals ``fee_usd``).
    source : str
        Where the fee comes from (a ``docs/sources.md`` key).
    """

    name: str
    family: str
    active_params_b: float
    fee_input_usd_per_mtok: float
    fee_output_usd_per_mtok: float
    pass_through: bool
    source: str


#: Model catalogue. Open-model sizes from their model cards (as in ``schema.MODEL_ACTIVE_PARAMS_B``);
#: hosted models publish no size and carry the schema's nominal 8B-equivalent.
MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("llama-3.1-8b", "8b", 8.0, 0.05, 0.05, False, "fee [sources: open-model-prices] (blended)"),
    ModelSpec("llama-3.3-70b", "70b", 70.0, 0.30, 0.30, False, "fee [sources: open-model-prices] (blended)"),
    ModelSpec("mistral-7b", "8b", 7.0, 0.05, 0.05, False, "fee [sources: open-model-prices] (open 8B class)"),
    ModelSpec("gpt-4.1", "hosted", 8.0, 2.0, 8.0, True, "[sources: og-tee-gateway] rate card"),
    ModelSpec("claude-sonnet-4.5", "hosted", 8.0, 3.0, 15.0, True, "[sources: og-tee-gateway] rate card"),
    ModelSpec("gemini-2.5-flash", "hosted", 8.0, 0.30, 2.50, True, "[sources: og-tee-gateway] rate card"),
    ModelSpec("grok-4-fast", "hosted", 8.0, 0.20, 0.50, True, "[sources: og-tee-gateway] rate card"),
)

#: Model and verification mode of each class (the proxy class draws among hosted models).
CLASS_MODEL: dict[str, str] = {"large": "llama-3.3-70b", "small": "llama-3.1-8b", "zkml": "mistral-7b"}
CLASS_VERIFICATION: dict[str, str] = {"large": "vanilla", "small": "tee", "zkml": "zkml", "proxy": "tee"}


def model_codes() -> dict[str, int]:
    """Position of each model in :data:`MODELS` by name."""
    return {m.name: i for i, m in enumerate(MODELS)}


def hosted_codes() -> np.ndarray:
    """Codes of the hosted (pass-through) models."""
    return np.array([i for i, m in enumerate(MODELS) if m.pass_through], dtype=np.int64)


def models_table() -> pd.DataFrame:
    """The ``models`` table of the history (name and active parameters)."""
    return pd.DataFrame({"model": [m.name for m in MODELS],
                         "active_params_b": [m.active_params_b for m in MODELS]})


def fees_usd(model: np.ndarray, input_tokens: np.ndarray, output_tokens: np.ndarray) -> np.ndarray:
    """Client fee of each unit from the rate card (USD): tokens x price per million.

    Parameters
    ----------
    model : int array, shape ``(U,)``
        Model code of each unit (position in :data:`MODELS`).
    input_tokens, output_tokens : float arrays, shape ``(U,)``
        Prompt and output tokens of each unit.

    Returns
    -------
    ndarray, shape ``(U,)``
        Fee of each unit, USD.
    """
    fee_in = np.array([m.fee_input_usd_per_mtok for m in MODELS])[model]
    fee_out = np.array([m.fee_output_usd_per_mtok for m in MODELS])[model]
    return (input_tokens * fee_in + output_tokens * fee_out) / 1e6


def lognormal_log_correlation(raw_corr: float, sigma_a: float, sigma_b: float) -> float:
    """Correlation of the logs that gives ``raw_corr`` between two lognormal variables.

    Parameters
    ----------
    raw_corr : float
        Target correlation between the variables themselves (e.g. -0.11 between prompt and
        output tokens, [sources: azure-llm-trace-2023]).
    sigma_a, sigma_b : float
        Standard deviations of the two variables' logs.

    Notes
    -----
    ``corr(X, Y) = (exp(rho sa sb) - 1) / sqrt((exp(sa^2) - 1)(exp(sb^2) - 1))``, solved for rho.
    """
    scale = sqrt((exp(sigma_a ** 2) - 1.0) * (exp(sigma_b ** 2) - 1.0))
    return log(1.0 + raw_corr * scale) / (sigma_a * sigma_b)


@dataclass(frozen=True)
class RequestSizes:
    """Prompt and output tokens of one small request: a correlated lognormal pair ([sources: azure-llm-trace-2023]).

    Parameters
    ----------
    prompt_mu : float, default 6.63
        Mean of log prompt tokens (Azure conversation trace fit, [sources: azure-llm-trace-2023]).
    prompt_sigma : float, default 0.99
        Standard deviation of log prompt tokens ([sources: azure-llm-trace-2023]).
    output_mu : float, default 5.02
        Mean of log output tokens ([sources: azure-llm-trace-2023]).
    output_sigma : float, default 0.86
        Standard deviation of log output tokens ([sources: azure-llm-trace-2023]).
    corr : float, default -0.11
        Correlation between a request's prompt and output tokens (the raw sizes, not their logs;
        see :func:`lognormal_log_correlation`).
    """

    prompt_mu: float = 6.63
    prompt_sigma: float = 0.99
    output_mu: float = 5.02
    output_sigma: float = 0.86
    corr: float = -0.11

    @property
    def mean_prompt(self) -> float:
        return exp(self.prompt_mu + self.prompt_sigma ** 2 / 2)

    @property
    def mean_output(self) -> float:
        return exp(self.output_mu + self.output_sigma ** 2 / 2)

    @property
    def mean_tokens(self) -> float:
        return self.mean_prompt + self.mean_output

    def quantile(self, which: str, q: float) -> float:
        """Quantile ``q`` of the prompt or output size (``which`` = "prompt" / "output")."""
        mu, sigma = ((self.prompt_mu, self.prompt_sigma) if which == "prompt"
                     else (self.output_mu, self.output_sigma))
        return exp(mu + sigma * _normal_ppf(q))

    def sample(self, rng: np.random.Generator, n: int, requests: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Prompt and output token totals of ``n`` units of ``requests`` requests each.

        One request is drawn exactly. A sum of several is drawn as the lognormal with the
        sum's mean and variance (Fenton-Wilkinson); the raw correlation of the sums equals
        that of one request, and is matched the same way.
        """
        sa, ma = _sum_lognormal(self.prompt_mu, self.prompt_sigma, requests)
        sb, mb = _sum_lognormal(self.output_mu, self.output_sigma, requests)
        rho = lognormal_log_correlation(self.corr, sa, sb)
        z = rng.standard_normal((2, n))
        za = z[0]
        zb = rho * z[0] + sqrt(1.0 - rho * rho) * z[1]
        return np.exp(ma + sa * za), np.exp(mb + sb * zb)


def _sum_lognormal(mu: float, sigma: float, k: int) -> tuple[float, float]:
    """(sigma, mu) of the lognormal matching the mean and variance of a sum of ``k`` draws."""
    if k == 1:
        return sigma, mu
    s2 = log(1.0 + (exp(sigma ** 2) - 1.0) / k)
    return sqrt(s2), log(k) + mu + sigma ** 2 / 2 - s2 / 2


def _normal_ppf(q: float) -> float:
    """Standard normal quantile by bisection on ``erf`` (exact to 1e-12; no scipy)."""
    lo, hi = -12.0, 12.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if 0.5 * (1.0 + erf(mid / sqrt(2.0))) < q:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class LargeJobs:
    """Size of a whole large-model job in tokens: a Pareto tail truncated at ``max_tokens``.

    ``min_tokens`` is x_min; a job's prompt share equals a small request's mean prompt share.

    Parameters
    ----------
    alpha : float
        Pareto tail exponent (> 1 for a finite mean; 1.3 in the built-in network, [sources: syfi-tracelab]).
    min_tokens : float
        Smallest job, tokens (x_min: 100 mean small requests in the built-in network,
        [sources: azure-llm-trace-2023, syfi-tracelab]).
    max_tokens : float
        Largest job, tokens: the truncation point of the tail.
    prompt_share : float
        Share of a job's tokens that are prompt tokens; the rest are output tokens.
    """

    alpha: float
    min_tokens: float
    max_tokens: float
    prompt_share: float

    @property
    def mean_tokens(self) -> float:
        """Mean of the truncated Pareto: alpha x_min (1 - c^(1-alpha)) / ((alpha-1)(1 - c^-alpha))."""
        a, c = self.alpha, self.max_tokens / self.min_tokens
        return a * self.min_tokens * (1.0 - c ** (1.0 - a)) / ((a - 1.0) * (1.0 - c ** -a))

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Prompt and output tokens of ``n`` jobs (inverse-CDF draws of the truncated Pareto)."""
        c_tail = (self.min_tokens / self.max_tokens) ** self.alpha
        u = rng.random(n)
        total = self.min_tokens * (1.0 - u * (1.0 - c_tail)) ** (-1.0 / self.alpha)
        prompt = total * self.prompt_share
        return prompt, total - prompt
