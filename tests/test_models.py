"""The model registry and the schema for the real network: roles, rent, pools, closed models at 0 work."""

import numpy as np
import pandas as pd
import pytest

import fairshare as fs
from fairshare.data.models import CLOSED_MODELS, MODEL_REGISTRY, OPEN_MODELS, lookup
from fairshare.errors import AlignmentError, RangeError, SchemaError

#: A dozen names as real logs write them, open and closed, with active parameters (billions).
REAL_NAMES = {
    "meta-llama/Llama-3.1-8B-Instruct": 8.0,
    "meta-llama/Llama-3.3-70B-Instruct": 70.0,
    "Qwen/Qwen2.5-72B-Instruct": 72.7,
    "qwen2.5:7b": 7.61,
    "deepseek-ai/DeepSeek-V3": 37.0,
    "deepseek-r1": 37.0,
    "mistralai/Mixtral-8x7B-Instruct-v0.1": 12.9,
    "openai/gpt-oss-120b": 5.1,
    "google/gemma-2-9b-it": 9.24,
    "gpt-4.1": 0.0,
    "claude-sonnet-4-5": 0.0,
    "gemini-2.5-flash": 0.0,
    "grok-4-fast": 0.0,
}


def _tiny(models):
    nodes = pd.DataFrame({
        "node_id": ["a", "b"], "operator_id": ["x", "y"], "hardware": ["h100_sxm_x8", "tee_proxy"],
        "gpu_count": [8, 0], "power_w": [6000.0, 90.0], "idle_power_w": [1200.0, 55.0], "pue": [1.15, 1.15],
        "electricity_usd_per_kwh": [0.08, 0.08], "capex_usd": [2.0e5, 0.0], "lifetime_days": [1826.0, 1826.0],
        "residual_fraction": [0.1, 0.0], "stake_tokens": [100.0, 0.0], "joined_epoch": [0, 0],
        "region": ["us", "us"],
    })
    tasks = pd.DataFrame({
        "epoch": 0, "node_id": ["a" if MODEL_REGISTRY[m].active_params_b > 0 else "b" for m in models],
        "model": list(models), "input_tokens": 1000.0, "output_tokens": 200.0, "busy_seconds": 1.0,
        "verification": "tee", "fee_usd": 0.01,
    })
    market = pd.DataFrame({"epoch": [0], "emission_tokens": [100.0], "token_price_usd": [0.16]})
    return nodes, tasks, market


def test_a_log_naming_a_dozen_real_models_loads_without_a_models_table():
    nodes, tasks, market = _tiny(REAL_NAMES)
    h = fs.History.from_frames(nodes, tasks, market)
    f = fs.aggregate(h)
    params = h.models.set_index("model")["active_params_b"]
    for name, active in REAL_NAMES.items():
        assert params[name] == pytest.approx(active), name
    assert list(h.tasks["model"]) == list(REAL_NAMES)                # names kept as written
    proxy = list(h.node_ids).index("b")
    assert f.work_units[0, proxy] == 0.0                              # relayed closed models: no work
    assert f.work_units[0, list(h.node_ids).index("a")] > 0


def test_mixture_of_experts_counts_active_parameters_and_every_model_cites_a_source():
    v3 = lookup("deepseek-ai/DeepSeek-V3")
    assert (v3.total_params_b, v3.active_params_b) == (671.0, 37.0)
    assert lookup("Mixtral-8x7B-Instruct-v0.1") is lookup("mistralai/Mixtral-8x7B-Instruct-v0.1")
    for m in OPEN_MODELS + CLOSED_MODELS:
        assert m.source.startswith("[" + "sources: "), m.name  # a bibliography key
        assert 0 <= m.active_params_b <= (m.total_params_b or 0) or m.closed
    for m in CLOSED_MODELS:
        assert m.active_params_b == 0 and m.input_usd_per_mtok > 0 and m.output_usd_per_mtok > 0
    assert (lookup("gpt-4.1").input_usd_per_mtok, lookup("gpt-4.1").output_usd_per_mtok) == (2.0, 8.0)
    # the names of the first registry keep their values, so no existing history changes
    old = {"llama-3.1-8b": 8.0, "llama-3.1-70b": 70.0, "llama-3.3-70b": 70.0, "mistral-7b": 7.0, "proxy-hosted": 8.0}
    assert {k: fs.data.schema.MODEL_ACTIVE_PARAMS_B[k] for k in old} == old


def test_unknown_names_keep_their_clear_error():
    nodes, tasks, market = _tiny(["gpt-4.1"])
    tasks.loc[0, "model"] = "my-private-model-13b"
    with pytest.raises(AlignmentError, match=r"tasks\.model.*my-private-model-13b"):
        fs.History.from_frames(nodes, tasks, market)


def test_roles_rent_and_pools_load_and_round_trip(tmp_path):
    nodes, tasks, market = _tiny(["meta-llama/Llama-3.1-8B-Instruct", "gpt-4.1"])
    nodes["role"] = ["inference", "gateway"]
    nodes["rent_usd_per_day"] = [0.0, 4.608]
    market["emission_svip_tokens"] = [60.0]
    market["emission_ecosystem_tokens"] = [40.0]
    pools = pd.DataFrame({"pool": ["svip", "ecosystem"], "pays": ["validator", "gateway+inference"]})
    h = fs.History.from_frames(nodes, tasks, market, pools=pools)
    assert list(h.role_labels) == ["inference", "gateway"]
    assert h.pools["pays"].tolist() == ["validator", "inference+gateway"]   # roles in schema order
    costs = fs.economics.node_costs(h, fs.aggregate(h))
    np.testing.assert_allclose(costs.rent_usd[0], [0.0, 4.608])
    np.testing.assert_allclose(costs.total_usd, costs.energy_usd + costs.depreciation_usd + costs.rent_usd)
    back = fs.History.read(h.write(tmp_path / "h", format="csv"))
    assert back.equals(h)


def test_existing_histories_have_no_roles_rent_or_pools():
    h = fs.datasets.open_inference_network(seed=0, scale="small")
    assert h.node_role is None and h.pools is None and h.pool_emission_tokens is None
    assert set(h.role_labels) == {"inference"} and "role" not in h.nodes.columns
    assert fs.economics.node_costs(h, fs.aggregate(h)).rent_usd is None   # nothing added: numbers unchanged


def test_bad_roles_rent_and_pools_raise_one_line_errors():
    nodes, tasks, market = _tiny(["gpt-4.1"])
    with pytest.raises(SchemaError, match=r"nodes\.role: 1 row \(row 1\) hold unknown roles \('miner'\)"):
        fs.History.from_frames(nodes.assign(role=["inference", "miner"]), tasks, market)
    with pytest.raises(RangeError, match=r"nodes\.rent_usd_per_day: 1 row \(row 1\)"):
        fs.History.from_frames(nodes.assign(rent_usd_per_day=[0.0, -1.0]), tasks, market)
    with pytest.raises(SchemaError, match=r"market: pool column\(s\) emission_svip_tokens without a pools table"):
        fs.History.from_frames(nodes, tasks, market.assign(emission_svip_tokens=[100.0]))


def test_pools_must_add_up_to_the_emission_the_rules_split():
    nodes, tasks, market = _tiny(["gpt-4.1"])
    market["emission_svip_tokens"] = [90.0]
    with pytest.raises(AlignmentError, match=r"market\.emission_tokens: 1 row \(row 0\) differ from the sum"):
        fs.History.from_frames(nodes, tasks, market, pools=pd.DataFrame({"pool": ["svip"], "pays": ["validator"]}))
    with pytest.raises(SchemaError, match=r"pools\.pays: row 0 \('validator\+gateway'\)"):
        market["emission_svip_tokens"] = [100.0]
        fs.History.from_frames(nodes, tasks, market,
                               pools=pd.DataFrame({"pool": ["svip"], "pays": ["validator+gateway"]}))
