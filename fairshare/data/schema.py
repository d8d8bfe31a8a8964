"""The table schema of a fairshare history: columns, kinds, units and ranges.

One declaration serves validation, the README's schema table and the writers,
so the three cannot drift apart. Units are in the column names (``_usd``,
``_tokens``, ``_kwh``, ``_w``, ``_seconds``) and repeated in ``unit``.

Definitions follow DESIGN.md "Units, time and identity": an *epoch* is an
integer index of length ``History.epoch_seconds``; ``joined_epoch`` and
``left_epoch`` are inclusive; ``busy_seconds`` is wall-clock occupancy of the
node (concurrent requests of one batch count once).
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import active_params_by_name

__all__ = [
    "Column",
    "TABLES",
    "VERIFICATION_MODES",
    "NODE_TIERS",
    "NODE_ROLES",
    "POOL_COLUMN",
    "pool_column",
    "HARDWARE_TIERS",
    "MODEL_ACTIVE_PARAMS_B",
    "table_columns",
    "TASK_LABELS",
]

#: Verification modes of a task, in the order of their integer codes.
#: DESIGN.md components ``verified_work_tee`` and ``verified_work_zkml``.
VERIFICATION_MODES: tuple[str, ...] = ("vanilla", "tee", "zkml")

#: Node tiers (the setting a node runs in), in the order of their integer codes.
NODE_TIERS: tuple[str, ...] = ("home", "colocation", "datacenter", "proxy")

#: Roles of a node, in the order of their integer codes: an inference node serves tasks on its
#: own hardware, a gateway relays requests to hosted models (its work is 0; its value is the fee
#: margin), a validator runs consensus (DESIGN.md "Units, time and identity"). A nodes table
#: without a ``role`` column holds inference nodes only.
NODE_ROLES: tuple[str, ...] = ("inference", "gateway", "validator")

#: Market columns holding one emission pool each: ``emission_<pool>_tokens`` (e.g.
#: ``emission_svip_tokens``); the ``pools`` table says which roles each pool pays.
POOL_COLUMN = r"^emission_([a-z][a-z0-9_]*)_tokens$"


def pool_column(pool: str) -> str:
    """The market column of emission pool ``pool`` (``"svip"`` -> ``"emission_svip_tokens"``).

    Parameters
    ----------
    pool : str
        Pool name: lower-case letters, digits and underscores, starting with a letter.
    """
    return f"emission_{pool}_tokens"


#: Tier of the hardware archetypes fairshare knows (fairshare's node
#: archetypes). A nodes table with other hardware must carry a ``tier`` column.
HARDWARE_TIERS: dict[str, str] = {
    "rtx3090": "home",
    "rtx4090": "home",
    "rtx5090": "home",
    "mac_m2_ultra": "home",
    "mac_m3_ultra": "home",
    "a100_80gb": "colocation",
    "l40s": "colocation",
    "h100_sxm_x8": "datacenter",
    "h200_sxm_x8": "datacenter",
    "tee_proxy": "proxy",
}

#: Active parameters (billions) of every model name fairshare knows (:mod:`fairshare.data.models`:
#: open models by their usual identifiers, closed models at 0); a history whose tasks name other
#: models must carry a ``models`` table. The names of the first registry keep their values
#: (``llama-3.1-8b`` 8, ``llama-3.1-70b`` and ``llama-3.3-70b`` 70, ``mistral-7b`` 7, and
#: ``proxy-hosted``, a hosted model of unknown size, a nominal 8B equivalent).
MODEL_ACTIVE_PARAMS_B: dict[str, float] = active_params_by_name()

#: Work units' default parameters (their definition and sources: :mod:`fairshare.features`): the work of a
#: prompt token relative to a generated token, the active parameters (billions) of the model whose generated
#: token is one work unit, and the tokens per request at or below which a row is a small task. Here, below
#: the features, because a task log read into memory is summed as it is read (:mod:`.io`).
PREFILL_WEIGHT = 130.6 / 7139.0
SIZE_REFERENCE_PARAMS_B = 8.0
SMALL_TASK_TOKENS = 8192.0


@dataclass(frozen=True)
class Column:
    """One column of one table.

    ``kind`` is ``"str"``, ``"int"`` or ``"float"``. ``low``/``high`` are
    inclusive bounds (``None`` for open); ``low_open`` makes ``low`` strict.
    ``required=False`` columns may be absent (``default`` then fills them, and
    ``None`` means the column stays absent). ``nullable`` columns may hold
    missing values, whose meaning ``doc`` states.

    Parameters
    ----------
    name : str
        Column name, as in the input files (units in the name: ``_usd``, ``_w``, ...).
    kind : {"str", "int", "float"}
        ``"str"``: a label (strings or integers, coded on reading); ``"int"``: whole numbers;
        ``"float"``: real numbers.
    unit : str
        Unit shown in the schema table and messages (``""`` for labels).
    doc : str
        One-line meaning of the column, shown in the README's schema table.
    required : bool, default True
        Whether the table must have the column.
    low : float, optional
        Lower bound, inclusive unless ``low_open``; None for no bound.
    high : float, optional
        Upper bound, inclusive; None for no bound.
    low_open : bool, default False
        Make ``low`` a strict bound (values must be > ``low``).
    nullable : bool, default False
        Whether the column may hold missing values (a nullable ``"int"`` column is read as float64 with NaN).
    default : object, optional
        Value filling an absent optional column (e.g. ``requests`` 1, ``upstream_cost_usd`` 0.0); None leaves
        it absent.
    """

    name: str
    kind: str
    unit: str
    doc: str
    required: bool = True
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    nullable: bool = False
    default: object = None


def _nonneg(name, unit, doc, **kw):
    return Column(name, "float", unit, doc, low=0.0, **kw)


TABLES: dict[str, tuple[Column, ...]] = {
    "nodes": (
        Column("node_id", "str", "", "unique key of the node (what the protocol sees)"),
        Column("operator_id", "str", "", "the operator (person or company) running the node"),
        Column("hardware", "str", "", "hardware archetype, e.g. rtx4090, h100_sxm_x8"),
        Column("gpu_count", "int", "GPUs", "accelerators in the node (0 for CPU enclaves)", low=0),
        _nonneg("power_w", "W", "busy power draw of the whole node at the wall"),
        _nonneg("idle_power_w", "W", "idle power draw of the whole node at the wall"),
        Column("pue", "float", "ratio", "power usage effectiveness of the site (>= 1)", low=1.0),
        _nonneg("electricity_usd_per_kwh", "USD/kWh", "electricity tariff paid by the operator"),
        _nonneg("capex_usd", "USD", "purchase price of the node's hardware"),
        Column("lifetime_days", "float", "days", "depreciation life", low=0.0, low_open=True),
        Column("residual_fraction", "float", "fraction", "resale value at end of life, share of capex",
               low=0.0, high=1.0),
        _nonneg("stake_tokens", "tokens", "stake bonded to the node at joining"),
        Column("joined_epoch", "int", "epoch", "first active epoch (inclusive)"),
        Column("left_epoch", "int", "epoch", "last active epoch (inclusive); missing: active to the end",
               required=False, nullable=True),
        Column("region", "str", "", "electricity / jurisdiction region label"),
        Column("tier", "str", "", "setting: home, colocation, datacenter or proxy; "
               "derived from hardware when absent", required=False),
        Column("role", "str", "", "inference, gateway or validator; inference when absent", required=False),
        _nonneg("rent_usd_per_day", "USD/day", "rent of a rented instance (e.g. a cloud enclave) while active; "
                "0 when absent", required=False),
    ),
    "tasks": (
        Column("epoch", "int", "epoch", "epoch the task was settled in (or give a timestamp column)"),
        Column("node_id", "str", "", "node that served the task"),
        Column("model", "str", "", "model served"),
        Column("requests", "int", "requests", "requests settled in this row (a row may be a batch)",
               required=False, low=1, default=1),
        _nonneg("input_tokens", "tokens", "prompt (prefill) tokens, summed over the row's requests"),
        _nonneg("output_tokens", "tokens", "generated (decode) tokens, summed over the row's requests"),
        _nonneg("busy_seconds", "s", "wall-clock occupancy of the node by this row"),
        Column("verification", "str", "", "vanilla, tee or zkml"),
        _nonneg("fee_usd", "USD", "fees paid by the client for this row"),
        _nonneg("upstream_cost_usd", "USD", "cost a proxy node paid a hosted-model provider",
                required=False, default=0.0),
    ),
    "market": (
        Column("epoch", "int", "epoch", "epoch index; the market table defines the history's epochs"),
        _nonneg("emission_tokens", "tokens", "tokens the reward rules split among the history's nodes in the "
                "epoch (the sum of the pools when a pools table is given)"),
        _nonneg("token_price_usd", "USD/token", "token price in the epoch"),
    ),
    "models": (
        Column("model", "str", "", "model name as in the tasks table"),
        Column("active_params_b", "float", "billions", "active parameters per token; 0 for a closed model "
               "relayed to its provider (no work on the node)", low=0.0),
    ),
    "pools": (
        Column("pool", "str", "", "emission pool; the market table holds its emission_<pool>_tokens column"),
        Column("pays", "str", "", "roles the pool pays, joined by '+' (e.g. validator, inference+gateway)"),
    ),
    "stake": (
        Column("epoch", "int", "epoch", "epoch from which the value holds"),
        Column("node_id", "str", "", "node"),
        _nonneg("stake_tokens", "tokens", "stake bonded to the node from this epoch on"),
    ),
    "uptime": (
        Column("epoch", "int", "epoch", "epoch"),
        Column("node_id", "str", "", "node"),
        _nonneg("online_seconds", "s", "seconds the node was online and serving in the epoch"),
    ),
}

#: Text (label) columns of the tasks table: a Parquet task log is read with them dictionary-encoded, so no
#: string per row is built.
TASK_LABELS: tuple[str, ...] = tuple(c.name for c in TABLES["tasks"] if c.kind == "str")

#: Tables a history must have; the others are optional.
REQUIRED_TABLES: tuple[str, ...] = ("nodes", "tasks", "market")


def table_columns(table: str) -> dict[str, Column]:
    """The columns of ``table`` by name.

    Parameters
    ----------
    table : str
        Table name, a key of :data:`TABLES` (``"nodes"``, ``"tasks"``, ``"market"``, ``"models"``,
        ``"stake"`` or ``"uptime"``); another name raises ``KeyError``.
    """
    return {c.name: c for c in TABLES[table]}
