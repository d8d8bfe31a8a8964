"""The model registry: the models a task log may name without a ``models`` table.

Open models are known by their usual identifiers (the Hugging Face repository id, its bare
name, lower-case short names) with their total and active parameters, billions; a
mixture-of-experts model counts its active parameters (``deepseek-ai/DeepSeek-V3``: 37 of 671),
because work units scale with the parameters a token passes through (README "Data schema").
Each open model cites its model card [sources: hf-model-cards]. Closed models are known by the
names their providers' APIs use, with the providers' list prices (USD per million input and
output tokens) as OpenGradient's TEE gateway charges them [sources: og-tee-gateway]; they carry 0
active parameters, so a relayed request does no work on the node that relays it: its value to
the node is the fee margin (fees minus upstream cost).

A name the registry does not know still raises :class:`~fairshare.errors.AlignmentError` when a
history is built without a ``models`` table; give a ``models`` table (``model``,
``active_params_b``) for other models.

>>> from fairshare.data.models import lookup
>>> lookup("deepseek-ai/DeepSeek-V3").active_params_b
37.0
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ModelInfo", "OPEN_MODELS", "CLOSED_MODELS", "MODEL_REGISTRY", "LEGACY_NAMES", "lookup",
           "active_params_by_name"]


@dataclass(frozen=True)
class ModelInfo:
    """One model of the registry.

    Parameters
    ----------
    name : str
        Canonical identifier (the Hugging Face repository id of an open model, the API name of a
        closed one).
    total_params_b : float or None
        All parameters, billions (None for a closed model: not published).
    active_params_b : float
        Parameters a token passes through, billions (= total for a dense model; 0 for a closed
        model relayed to its provider).
    aliases : tuple of str
        Other names logs use for the same model.
    source : str
        Bibliography key of the figure (``docs/sources.md``) and where in it.
    closed : bool, default False
        True for a model served only by its provider's API.
    input_usd_per_mtok, output_usd_per_mtok : float or None
        List price of a closed model, USD per million input and output tokens.
    """

    name: str
    total_params_b: float | None
    active_params_b: float
    aliases: tuple[str, ...]
    source: str
    closed: bool = False
    input_usd_per_mtok: float | None = None
    output_usd_per_mtok: float | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical name and every alias."""
        return (self.name, *self.aliases)


def _open(repo: str, total: float, active: float | None = None, *aliases: str) -> ModelInfo:
    short = repo.split("/", 1)[1]
    names = tuple(dict.fromkeys(a for a in (short, short.lower(), *aliases) if a != repo))
    return ModelInfo(repo, total, total if active is None else active, names,
                     f"[sources: hf-model-cards] huggingface.co/{repo}")


#: Open-weight models: repository id, total and active parameters (billions, model cards).
OPEN_MODELS: tuple[ModelInfo, ...] = (
    _open("meta-llama/Llama-3.1-8B-Instruct", 8.0, None, "llama-3.1-8b", "llama3.1:8b", "meta-llama/Llama-3.1-8B",
          "meta-llama/Meta-Llama-3.1-8B-Instruct"),
    _open("meta-llama/Llama-3.1-70B-Instruct", 70.0, None, "llama-3.1-70b", "llama3.1:70b",
          "meta-llama/Meta-Llama-3.1-70B-Instruct"),
    _open("meta-llama/Llama-3.1-405B-Instruct", 405.0, None, "llama-3.1-405b", "llama3.1:405b"),
    _open("meta-llama/Llama-3.3-70B-Instruct", 70.0, None, "llama-3.3-70b", "llama3.3:70b"),
    _open("meta-llama/Llama-3.2-1B-Instruct", 1.23, None, "llama-3.2-1b", "llama3.2:1b"),
    _open("meta-llama/Llama-3.2-3B-Instruct", 3.21, None, "llama-3.2-3b", "llama3.2:3b"),
    _open("meta-llama/Meta-Llama-3-8B-Instruct", 8.0, None, "llama-3-8b", "llama3:8b"),
    _open("meta-llama/Meta-Llama-3-70B-Instruct", 70.0, None, "llama-3-70b", "llama3:70b"),
    _open("meta-llama/Llama-4-Scout-17B-16E-Instruct", 109.0, 17.0, "llama-4-scout"),
    _open("meta-llama/Llama-4-Maverick-17B-128E-Instruct", 400.0, 17.0, "llama-4-maverick"),
    _open("mistralai/Mistral-7B-Instruct-v0.3", 7.25, 7.0, "mistral-7b", "mistral:7b"),
    _open("mistralai/Mixtral-8x7B-Instruct-v0.1", 46.7, 12.9, "mixtral-8x7b", "mixtral:8x7b"),
    _open("mistralai/Mixtral-8x22B-Instruct-v0.1", 141.0, 39.0, "mixtral-8x22b", "mixtral:8x22b"),
    _open("mistralai/Mistral-Nemo-Instruct-2407", 12.2, None, "mistral-nemo"),
    _open("mistralai/Mistral-Small-24B-Instruct-2501", 24.0, None, "mistral-small-24b"),
    _open("Qwen/Qwen2.5-7B-Instruct", 7.61, None, "qwen2.5-7b", "qwen2.5:7b"),
    _open("Qwen/Qwen2.5-14B-Instruct", 14.7, None, "qwen2.5-14b", "qwen2.5:14b"),
    _open("Qwen/Qwen2.5-32B-Instruct", 32.5, None, "qwen2.5-32b", "qwen2.5:32b"),
    _open("Qwen/Qwen2.5-72B-Instruct", 72.7, None, "qwen2.5-72b", "qwen2.5:72b"),
    _open("Qwen/Qwen2.5-Coder-32B-Instruct", 32.5, None, "qwen2.5-coder-32b"),
    _open("Qwen/Qwen3-8B", 8.2, None, "qwen3:8b"),
    _open("Qwen/Qwen3-32B", 32.8, None, "qwen3:32b"),
    _open("Qwen/Qwen3-30B-A3B", 30.5, 3.3, "qwen3:30b-a3b"),
    _open("Qwen/Qwen3-235B-A22B", 235.0, 22.0, "qwen3:235b-a22b"),
    _open("deepseek-ai/DeepSeek-V3", 671.0, 37.0, "deepseek-v3", "deepseek-chat", "deepseek-ai/DeepSeek-V3-0324"),
    _open("deepseek-ai/DeepSeek-R1", 671.0, 37.0, "deepseek-r1", "deepseek-reasoner", "deepseek-ai/DeepSeek-R1-0528"),
    _open("deepseek-ai/DeepSeek-R1-Distill-Llama-70B", 70.6, None, "deepseek-r1-distill-llama-70b"),
    _open("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", 32.8, None, "deepseek-r1-distill-qwen-32b"),
    _open("google/gemma-2-9b-it", 9.24, None, "gemma2:9b"),
    _open("google/gemma-2-27b-it", 27.2, None, "gemma2:27b"),
    _open("google/gemma-3-27b-it", 27.0, None, "gemma3:27b"),
    _open("microsoft/Phi-3-mini-4k-instruct", 3.82, None, "phi3:mini", "phi-3-mini"),
    _open("microsoft/phi-4", 14.7, None, "phi4"),
    _open("openai/gpt-oss-120b", 117.0, 5.1, "gpt-oss:120b"),
    _open("openai/gpt-oss-20b", 21.0, 3.6, "gpt-oss:20b"),
    _open("moonshotai/Kimi-K2-Instruct", 1000.0, 32.0, "kimi-k2"),
    _open("nousresearch/hermes-4-405b", 405.0, None, "NousResearch/Hermes-4-405B"),
    _open("nousresearch/hermes-4-70b", 70.0, None, "NousResearch/Hermes-4-70B"),
)


def _closed(name: str, price_in: float, price_out: float, *aliases: str) -> ModelInfo:
    return ModelInfo(name, None, 0.0, aliases,
                     "[sources: og-tee-gateway] tee_gateway/model_registry.py", True, price_in, price_out)


#: Closed models relayed by OpenGradient's TEE gateway: API name, list price in / out (USD per 1M tokens).
CLOSED_MODELS: tuple[ModelInfo, ...] = (
    _closed("gpt-4.1", 2.0, 8.0, "gpt-4.1-2025-04-14", "openai/gpt-4.1"),
    _closed("gpt-4.1-mini", 0.40, 1.60, "openai/gpt-4.1-mini"),
    _closed("gpt-4.1-nano", 0.10, 0.40, "openai/gpt-4.1-nano"),
    _closed("o3", 10.0, 40.0, "openai/o3"),
    _closed("o4-mini", 1.10, 4.40, "openai/o4-mini"),
    _closed("gpt-5", 1.25, 10.0, "openai/gpt-5"),
    _closed("gpt-5-mini", 0.25, 2.0, "openai/gpt-5-mini"),
    _closed("claude-sonnet-4-5", 3.0, 15.0, "claude-sonnet-4.5", "anthropic/claude-sonnet-4.5"),
    _closed("claude-sonnet-4-6", 3.0, 15.0, "claude-sonnet-4.6", "anthropic/claude-sonnet-4.6"),
    _closed("claude-haiku-4-5", 1.0, 5.0, "claude-haiku-4-5-20251001", "claude-haiku-4.5"),
    _closed("claude-opus-4-5", 5.0, 25.0, "claude-opus-4-5-20251101", "claude-opus-4.5"),
    _closed("claude-opus-4-6", 5.0, 25.0, "claude-opus-4.6"),
    _closed("gemini-2.5-flash", 0.30, 2.50, "google/gemini-2.5-flash"),
    _closed("gemini-2.5-pro", 1.25, 10.0, "google/gemini-2.5-pro"),
    _closed("gemini-2.5-flash-lite", 0.10, 0.40, "google/gemini-2.5-flash-lite"),
    _closed("gemini-3-flash-preview", 0.50, 3.0),
    _closed("grok-4", 3.0, 15.0, "x-ai/grok-4"),
    _closed("grok-4-fast", 0.20, 0.50, "x-ai/grok-4-fast"),
    _closed("grok-4-1-fast", 0.20, 0.50, "grok-4.1-fast"),
)

#: Names of the registry before it knew real identifiers, kept with their values: a hosted model
#: of unknown size under ``proxy-hosted`` counts as an 8B equivalent, as it always has.
LEGACY_NAMES: dict[str, float] = {"proxy-hosted": 8.0}

#: Every known name (canonical and alias) to its model.
MODEL_REGISTRY: dict[str, ModelInfo] = {n: m for m in OPEN_MODELS + CLOSED_MODELS for n in m.names}


def lookup(name: str) -> ModelInfo:
    """The registry's model called ``name`` (any alias); ``KeyError`` for an unknown name.

    Parameters
    ----------
    name : str
        A model identifier as logs write it.
    """
    return MODEL_REGISTRY[name]


def active_params_by_name() -> dict[str, float]:
    """Active parameters (billions) of every known name, legacy names included."""
    out = {n: m.active_params_b for n, m in MODEL_REGISTRY.items()}
    out.update(LEGACY_NAMES)
    return out
