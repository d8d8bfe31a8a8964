"""subtensor's own epoch test cases as data, and their replay through :func:`yuma_chain_epoch` in either mode.

Source of every number: repository ``opentensor/subtensor``, file ``pallets/subtensor/src/tests/epoch.rs`` at commit
14bc6f9f964b9cc362e9635dd110a487fa5d15a0 (implementation ``pallets/subtensor/src/epoch/run_epoch.rs`` and
``epoch/math.rs``; mock defaults ``pallets/subtensor/src/tests/mock.rs``) [sources: subtensor-epoch]. One copy:
:func:`fairshare.presets.validation_table` and ``tests/test_yuma_chain.py`` both read it.

Tolerances are the chain's own for each assert: equality where a test asserts u16 values (bonds, dividends,
incentive, consensus), rao emissions or permits; the epsilon 1e-3 of ``run_epoch_and_check_bonds_dividends`` in the
Yuma3 scenarios (``assert_approx_eq``) and of ``assert_mat_compare`` in
``test_liquid_alpha_equal_values_against_itself``; 2e-10 where a value is taken from the test's printed log rather
than an assert (the log prints ten digits, the last within one unit of the value).

Float mode is the rule in real arithmetic (to float64 rounding); exact mode is the chain's I32F32 arithmetic. Where
the chain's asserted integer lies below the real value because of its own truncations (its test comments call these
"discrepancy": 274,999,999 rao against 0.5 x 0.55 x 1e9 = 275,000,000), float mode gives the real value and no
computation accurate to the real value can give the chain's: whether a truncation chain lands one unit low depends on
the I32F32 residues of every step (a share of exactly 0.0078125 loses nothing, one of 0.05 loses two rao), so only
replaying those steps, which exact mode does, reproduces them. Float mode is held there to the stated bounds below
instead of equality; ``docs/presets.md`` gives the measured differences.
"""

from __future__ import annotations

import numpy as np

from .fixedpoint import U16_MAX
from .yuma_chain import reset_bonds, weights_to_u16, yuma_chain_epoch

REPOSITORY = "opentensor/subtensor"
PATH = "pallets/subtensor/src/tests/epoch.rs"
COMMIT = "14bc6f9f964b9cc362e9635dd110a487fa5d15a0"
SOURCE = f"{REPOSITORY} {PATH} @ {COMMIT[:7]}"

EPS = 1e-3  # run_epoch_and_check_bonds_dividends / assert_mat_compare: epsilon I32F32::from_num(1e-3)
PRINTED = 2e-10  # the printed log: ten digits, its last one within one unit of the value (substrate-fixed display)
EMISSION = 1_000_000_000  # every case runs SubtensorModule::epoch(netuid, 1_000_000_000)
#: Float mode against the chain, where the chain asserts equality that float mode provably cannot meet: shares
#: (incentive, dividends, consensus, emission shares) differ by at most FLOAT_SHARE_BOUND in one epoch; in original
#: Yuma the chain's column max-upscaled bonds drift down one u16 step per epoch where float mode's stay (test_bonds'
#: own log: 12603, 12602, 12601), so a replayed sequence is held to one u16 step per epoch and FLOAT_DRIFT_BOUND on
#: shares; an emission in rao to floor(bound x emission) + 1 (the +1 is the final floor).
FLOAT_SHARE_BOUND = 2e-9
FLOAT_DRIFT_BOUND = 5e-6

MAX = U16_MAX
_A, _B = [MAX, 0], [0, MAX]  # all weight on server 1 / server 2

#: Mock defaults (mock.rs) and setup_yuma_3_scenario: bonds penalty 0, steepness 1000, moving average 975_000,
#: kappa u16::MAX / 2, liquid alpha on with alpha values from I32F32 0.1 and 0.3 (stored u16 6553 and 19660),
#: Yuma3 on, 3 validator permits.
YUMA3 = dict(variant="yuma3", bonds_penalty=0, bonds_moving_average=975_000, kappa=32767, liquid_alpha=True,
             alpha_low=6553, alpha_high=19660, alpha_sigmoid_steepness=1000, max_validators=3)

#: The Yuma3 scenarios: stake, weights per epoch (validator rows, server columns), the targets of the epochs
#: checked (bonds as the chain writes them: the servers are the last columns), optional bond resets
#: ``(epoch, server column)`` applied after the epoch's weights are set, and parameter overrides.
YUMA3_SCENARIOS = {
    "test_yuma_3_kappa_moves_first": dict(
        stake=[8, 1, 1],
        weights=[[_A] * 3, [_B, _A, _A], [_B, _B, _A], [_B] * 3, [_B] * 3, [_B] * 3],
        bonds=[[[0.1013, 0], [0.1013, 0], [0.1013, 0]], [[0.0908, 0.1013], [0.3697, 0], [0.3697, 0]],
               [[0.0815, 0.1924], [0.3170, 0.1013], [0.5580, 0]],
               [[0.0731, 0.2742], [0.2765, 0.1924], [0.4306, 0.1013]],
               [[0.0656, 0.3478], [0.2435, 0.2742], [0.3589, 0.1924]],
               [[0.0588, 0.4139], [0.2157, 0.3478], [0.3089, 0.2742]]],
        dividends=[[0.8, 0.1, 0.1], [1.0, 0, 0], [0.9382, 0.0618, 0], [0.8819, 0.0773, 0.0407],
                   [0.8564, 0.0844, 0.0592], [0.8418, 0.0884, 0.0697]]),
    "test_yuma_3_kappa_moves_second": dict(
        stake=[8, 1, 1],
        weights=[[_A] * 3, [_A, _B, _A], [_B, _B, _A], [_B] * 3, [_B] * 3, [_B] * 3],
        bonds=[[[0.1013, 0], [0.1013, 0], [0.1013, 0]], [[0.1924, 0], [0.0908, 0.2987], [0.1924, 0]],
               [[0.1715, 0.1013], [0.0815, 0.3697], [0.4336, 0]],
               [[0.1531, 0.1924], [0.0731, 0.4336], [0.3608, 0.1013]],
               [[0.1369, 0.2742], [0.0656, 0.4910], [0.3103, 0.1924]],
               [[0.1225, 0.3478], [0.0588, 0.5426], [0.2712, 0.2742]]],
        dividends=[[0.8, 0.1, 0.1], [0.8446, 0.0498, 0.1056], [0.6868, 0.3132, 0], [0.7421, 0.2090, 0.0489],
                   [0.7625, 0.1706, 0.0669], [0.7730, 0.1508, 0.0762]]),
    "test_yuma_3_kappa_moves_last": dict(
        stake=[8, 1, 1],
        weights=[[_A] * 3, [_A, _B, _A], [_A, _B, _B], [_B] * 3, [_B] * 3, [_B] * 3],
        bonds=[[[0.1013, 0], [0.1013, 0], [0.1013, 0]], [[0.1924, 0], [0.0908, 0.2987], [0.1924, 0]],
               [[0.2742, 0], [0.0815, 0.5081], [0.1715, 0.2987]],
               [[0.2416, 0.1013], [0.0731, 0.5580], [0.1531, 0.3697]],
               [[0.2141, 0.1924], [0.0656, 0.6028], [0.1369, 0.4336]],
               [[0.1903, 0.2742], [0.0588, 0.6430], [0.1225, 0.4910]]],
        dividends=[[0.8, 0.1, 0.1], [0.8446, 0.0498, 0.1056], [0.8966, 0.0333, 0.0701], [0.4663, 0.3210, 0.2127],
                   [0.5976, 0.2340, 0.1683], [0.6592, 0.1932, 0.1475]]),
    "test_yuma_3_one_epoch_switch": dict(
        stake=[33, 33, 34],
        weights=[[_A] * 3, [_A] * 3, [_A, _A, _B], [_A] * 3, [_A] * 3, [_A] * 3],
        bonds=[[[0.1013, 0]] * 3, [[0.1924, 0]] * 3, [[0.2742, 0], [0.2742, 0], [0.1715, 0.2987]],
               [[0.3478, 0], [0.3478, 0], [0.2554, 0.2618]], [[0.4139, 0], [0.4139, 0], [0.3309, 0.2312]],
               [[0.4733, 0], [0.4733, 0], [0.3987, 0.2051]]],
        dividends=[[0.33, 0.33, 0.34], [0.33, 0.33, 0.34], [0.3782, 0.3782, 0.2436], [0.3628, 0.3628, 0.2745],
                   [0.3541, 0.3541, 0.2917], [0.3487, 0.3487, 0.3026]]),
    "test_yuma_3_liquid_alpha_disabled": dict(
        stake=[33, 33, 34],
        weights=[[_A] * 3, [_A] * 3, [_A, _A, _B], [_A] * 3, [_A] * 3, [_A] * 3],
        bonds=[[[0, 0.0250, 0]] * 3, [[0, 0.0494, 0]] * 3, [[0, 0.0731, 0], [0, 0.0731, 0], [0, 0.0481, 0.0250]],
               [[0, 0.0963, 0], [0, 0.0963, 0], [0, 0.0719, 0.0244]],
               [[0, 0.1189, 0], [0, 0.1189, 0], [0, 0.0951, 0.0238]],
               [[0, 0.1409, 0], [0, 0.1409, 0], [0, 0.1178, 0.0232]]],
        dividends=[[0.33, 0.33, 0.34], [0.33, 0.33, 0.34], [0.3734, 0.3734, 0.2532], [0.3611, 0.3611, 0.2779],
                   [0.3541, 0.3541, 0.2919], [0.3495, 0.3495, 0.3009]],
        params=dict(liquid_alpha=False)),
    "test_yuma_3_stable_miner": dict(
        stake=[8, 1, 1],
        # set_weights stores each row max-upscaled: (32767, 0, 32767) is stored as (65535, 0, 65535).
        weights=[[[MAX // 2, 0, MAX // 2]] * 3, [[MAX // 2, 0, MAX // 2], [0, MAX // 2, MAX // 2],
                                                 [MAX // 2, 0, MAX // 2]],
                 [[0, MAX // 2, MAX // 2], [0, MAX // 2, MAX // 2], [MAX // 2, 0, MAX // 2]],
                 [[0, MAX // 2, MAX // 2]] * 3, [[0, MAX // 2, MAX // 2]] * 3, [[0, MAX // 2, MAX // 2]] * 3],
        bonds=[[[0.0507, 0, 0.0507]] * 3, [[0.0962, 0, 0.0962], [0.0455, 0.1, 0.0962], [0.0962, 0, 0.0962]],
               [[0.0863, 0.0507, 0.1371], [0.0408, 0.1405, 0.1371], [0.1770, 0, 0.1371]],
               [[0.0774, 0.0962, 0.1739], [0.0367, 0.1770, 0.1739], [0.1579, 0.0507, 0.1739]],
               [[0.0694, 0.1371, 0.2069], [0.0329, 0.2097, 0.2069], [0.1411, 0.0962, 0.2069]],
               [[0.0623, 0.1739, 0.2366], [0.0296, 0.2391, 0.2366], [0.1263, 0.1371, 0.2366]]],
        dividends=[[0.8, 0.1, 0.1], [0.8226, 0.0745, 0.1028], [0.7750, 0.1685, 0.0565], [0.7864, 0.1372, 0.0764],
                   [0.7912, 0.1241, 0.0847], [0.7937, 0.1173, 0.0890]]),
    "test_yuma_3_bonds_reset": dict(
        stake=[8, 1, 1],
        weights=[[_A] * 3, [_A, _B, _B]] + [[_B] * 3] * 19 + [[_B, _A, _A]] + [[_A] * 3] * 19,
        checked=[0, 1, 2, 19, 20, 21, 40],
        bonds=[[[0.1013, 0]] * 3, [[0.1924, 0], [0.0908, 0.2987], [0.0908, 0.2987]],
               [[0.1715, 0.1013], [0.0815, 0.3697], [0.0815, 0.3697]],
               [[0.0269, 0.8539], [0.0131, 0.8975], [0.0131, 0.8975]], [[0, 0.8687], [0, 0.9079], [0, 0.9079]],
               [[0, 0.8820], [0.2987, 0.6386], [0.2987, 0.6386]],
               [[0.8687, 0.0578], [0.9079, 0.0523], [0.9079, 0.0523]]],
        dividends=[[0.8, 0.1, 0.1], [0.8944, 0.0528, 0.0528], [0.5230, 0.2385, 0.2385], [0.7919, 0.1040, 0.1040],
                   [0.7928, 0.1036, 0.1036], [0.8467, 0.0766, 0.0766], [0.7928, 0.1036, 0.1036]],
        # Epoch 20: after the weights are set, do_reset_bonds for uid 3 (server 1, column 0), then the epoch.
        resets=[(20, 0)]),
}

#: test_bonds (original Yuma): validators 1-4 (stake 1-4) weight servers 1-4 with these u16 values; then validators
#: 1, 1-2, 1-3 set only a self-weight (masked by the diagonal); then validator 3 weights server 4 only, 4 epochs.
TEST_BONDS_WEIGHTS = [MAX // 4, MAX // 2, (MAX // 4) * 3, MAX]
#: The asserts after each epoch: (server column, the four validators' stored u16 bonds on it).
TEST_BONDS_ASSERTS = [(0, [16383, 32767, 49151, 65535]), (0, [14582, 32767, 49151, 65535]),
                      (0, [12603, 28321, 49151, 65535]), (3, [12602, 28320, 49150, 65535]),
                      (3, [10951, 24609, 49150, 65535]), (3, [9559, 21482, 49150, 65535]),
                      (3, [8376, 18824, 49150, 65535])]
#: Printed log values: (epoch index, quantity, values to ten digits), and the first epoch's printed E in rao.
TEST_BONDS_PRINTED = [(0, "I", [0.0999975582, 0.2000012207, 0.2999926752, 0.4000085455]),
                      (0, "consensus", [0.0999975584, 0.2000012207, 0.2999926754, 0.400008545]),
                      (4, "D", [0.0728874663, 0.1637972582, 0.3271309866, 0.4361842885]),
                      (7, "D", [0.053130352, 0.1194037423, 0.3546237142, 0.472842191])]
TEST_BONDS_FIRST_EMISSION = ([49999998, 99999999, 150000000, 200000001], [49998779, 100000610, 149996337, 200004272])

#: test_active_stake: 4 uids of stake 1; uids 0 and 1 weight uids 2 and 3 equally. Epoch 1 all active; epoch 2 only
#: uid 0 set weights within the activity cutoff; epoch 3 both again. Per epoch: dividends (u16) of uids 0, 1; stored
#: bonds of uids 0, 1 on the servers; emission (rao) of uids 0, 1.
ACTIVE_STAKE = [dict(active=[True, True, True, True], dividends=[32767, 32767], bonds=[[MAX, MAX], [MAX, MAX]],
                     emission=[250000000, 250000000]),
                dict(active=[True, False, False, False], dividends=[36044, 29490], bonds=[[MAX, MAX], [53619, 53619]],
                     emission=[274999999, 224999999]),
                dict(active=[True, True, False, False], dividends=[35716, 29818], bonds=[[MAX, MAX], [54712, 54712]],
                     emission=[272501132, 227498866])]


def _check(case, variant, mode, quantity, diff, tolerance, unit, basis):
    return dict(case=case, variant=variant, mode=mode, quantity=quantity, largest_difference=float(diff),
                tolerance=float(tolerance), unit=unit, tolerance_basis=basis, passed=bool(diff <= tolerance))


def _rao_tolerance(mode, bound=FLOAT_SHARE_BOUND):
    if mode == "exact":
        return 0, "chain assert: equality"
    return int(np.floor(bound * EMISSION)) + 1, f"float bound: {bound:g} x emission + 1 rao (not equality)"


def _sequence(stake, weights, mode, resets=(), **params):
    bonds, outs = None, []
    resets = dict(resets)
    for epoch, W in enumerate(weights):
        if epoch in resets and bonds is not None:
            bonds = reset_bonds(bonds, resets[epoch])
        out = yuma_chain_epoch(stake, W, bonds, mode=mode, **params)
        bonds = out["bonds"]
        outs.append(out)
    return outs


def _yuma3(case, mode):
    data = YUMA3_SCENARIOS[case]
    weights = [weights_to_u16(np.array(W, dtype=float)) for W in data["weights"]]
    outs = _sequence(data["stake"], weights, mode, data.get("resets", ()), **{**YUMA3, **data.get("params", {})})
    epochs = data.get("checked", range(len(weights)))
    d_diff = b_diff = 0.0
    for k, epoch in enumerate(epochs):
        out = outs[epoch]
        d_diff = max(d_diff, np.abs(out["dividends_u16"] / MAX - np.asarray(data["dividends"][k])).max())
        target = np.asarray(data["bonds"][k])[:, -out["bonds"].shape[1]:]
        b_diff = max(b_diff, np.abs(out["bonds"] / MAX - target).max())  # get_bonds_fixed_proportion
    return [_check(case, "yuma3", mode, "dividends (u16 / 65535)", d_diff, EPS, "share", "chain epsilon 1e-3"),
            _check(case, "yuma3", mode, "stored bonds (u16 / 65535)", b_diff, EPS, "share",
                   "chain epsilon 1e-3 (the chain's helper zips bonds with target.skip(3) and so compares none)")]


def test_bonds_weights() -> list:
    """test_bonds' eight epochs of u16 weights (validators 1-4 as rows, servers 1-4 as columns).

    Returns
    -------
    list of ndarray, each (4, 4)
    """
    base = np.tile(TEST_BONDS_WEIGHTS, (4, 1))
    seq = [base.copy()]
    for silent in (1, 2, 3):  # a self-weight only: masked by the diagonal
        W = base.copy()
        W[:silent] = 0
        seq.append(W)
    W = base.copy()
    W[:2] = 0
    W[2] = [0, 0, 0, MAX]
    return seq + [W] * 4


def _test_bonds(mode):
    outs = _sequence([1, 2, 3, 4], test_bonds_weights(), mode, variant="original", emission=EMISSION)
    case, rows = "test_bonds", []
    worst, passed = 0, True
    for epoch, ((col, expected), out) in enumerate(zip(TEST_BONDS_ASSERTS, outs), start=1):
        diff = int(np.abs(out["bonds"][:, col] - np.asarray(expected)).max())
        worst = max(worst, diff)
        passed &= diff <= (0 if mode == "exact" else epoch)
    tol = 0 if mode == "exact" else len(TEST_BONDS_ASSERTS)
    row = _check(case, "original", mode, "stored bonds (u16), every assert", worst, tol, "u16",
                 "chain assert: equality" if mode == "exact" else
                 "float bound: one u16 step per epoch replayed (the chain's bonds drift, float mode's do not)")
    row["passed"] = bool(passed)
    rows.append(row)
    printed = max(np.abs(outs[e][key] - np.asarray(v)).max() for e, key, v in TEST_BONDS_PRINTED)
    rows.append(_check(case, "original", mode, "printed I, C, D (10 digits)", printed,
                       PRINTED if mode == "exact" else FLOAT_DRIFT_BOUND, "share",
                       "chain log: ten printed digits" if mode == "exact" else f"float bound: {FLOAT_DRIFT_BOUND:g}"))
    first = outs[0]
    rao = max(np.abs(np.asarray(first["validator_emission"], dtype=np.float64) - TEST_BONDS_FIRST_EMISSION[0]).max(),
              np.abs(np.asarray(first["server_emission"], dtype=np.float64) - TEST_BONDS_FIRST_EMISSION[1]).max())
    tol, basis = _rao_tolerance(mode)
    rows.append(_check(case, "original", mode, "printed emission E, epoch 1 (rao)", rao, tol, "rao",
                       basis.replace("chain assert", "chain log")))
    return rows


def _active_stake(mode):
    W = np.zeros((4, 4), dtype=np.int64)
    W[:2, 2:] = MAX
    bonds, u16, rao = None, 0, 0.0
    for step in ACTIVE_STAKE:
        out = yuma_chain_epoch([1, 1, 1, 1], W, bonds, variant="original", mode=mode, max_validators=4,
                               active=step["active"], emission=EMISSION)
        bonds = out["bonds"]
        u16 = max(u16, np.abs(out["dividends_u16"][:2] - step["dividends"]).max(),
                  np.abs(bonds[:2, 2:] - np.asarray(step["bonds"])).max())
        rao = max(rao, np.abs(np.asarray(out["validator_emission"][:2], dtype=np.float64) - step["emission"]).max())
    tol, basis = _rao_tolerance(mode)
    return [_check("test_active_stake", "original", mode, "dividends and stored bonds (u16)", u16, 0, "u16",
                   "chain assert: equality"),
            _check("test_active_stake", "original", mode, "emission (rao)", rao, tol, "rao", basis)]


def _ten_graph(mode):
    out = yuma_chain_epoch([1] * 10, np.zeros((10, 10), dtype=np.int64), variant="original", mode=mode,
                           emission=EMISSION)
    u16 = max(np.abs(out["dividends_u16"]).max(), np.abs(out["incentive_u16"]).max())
    rao = np.abs(np.asarray(out["validator_emission"], dtype=np.float64) - 99999999).max()
    tol, basis = _rao_tolerance(mode)
    return [_check("test_10_graph", "original", mode, "dividends and incentive (u16)", u16, 0, "u16",
                   "chain assert: equality"),
            _check("test_10_graph", "original", mode, "emission (rao)", rao, tol, "rao", basis)]


def _graph_512(mode):
    # 64 validators (stake 328_125_000_000_000 each) weight 448 servers equally; the setup epoch has no weights.
    V, servers = 64, 448
    W = np.full((V, servers), MAX, dtype=np.int64)
    stake = [328_125_000_000_000] * V
    bonds = yuma_chain_epoch(stake, np.zeros((V, servers), dtype=np.int64), variant="original", mode=mode)["bonds"]
    for _ in range(3):
        out = yuma_chain_epoch(stake, W, bonds, variant="original", mode=mode, emission=EMISSION)
        bonds = out["bonds"]
    consensus = np.floor(out["consensus"] * MAX)
    u16 = max(np.abs(out["dividends_u16"] - 1023).max(), np.abs(out["incentive_u16"] - 146).max(),
              np.abs(consensus - 146).max(), np.abs(bonds - MAX).max())
    rao = max(np.abs(np.asarray(out["validator_emission"], dtype=np.float64) - 7812500).max(),
              np.abs(np.asarray(out["server_emission"], dtype=np.float64) - 1116071).max())
    return [_check("test_512_graph", "original", mode, "dividends, incentive, consensus, bonds (u16)", u16, 0, "u16",
                   "chain assert: equality"),
            _check("test_512_graph", "original", mode, "emission (rao)", rao, 0, "rao", "chain assert: equality")]


def _zero_weights(mode):
    # uid 0 (stake 1) validates, uid 1 serves. Epochs 0-2: no weight survives the masks, so the emission goes to the
    # validator; epoch 3: uid 0 weights uid 1 and the emission splits in half.
    none = np.zeros((2, 2), dtype=np.int64)
    valid = np.array([[0, MAX], [0, 0]])
    rao = 0.0
    for W, expected in ((none, (EMISSION, 0)),) * 3 + ((valid, (EMISSION // 2, EMISSION // 2)),):
        out = yuma_chain_epoch([1, 0], W, variant="original", mode=mode, emission=EMISSION)
        rao = max(rao, abs(float(out["validator_emission"][0]) - expected[0]),
                  abs(float(out["server_emission"][1]) - expected[1]))
    return [_check("test_zero_weights", "original", mode, "emission (rao)", rao, 0, "rao", "chain assert: equality")]


def _validator_permits(mode):
    # Networks of 2, 4, 8 uids with 1, 2, 4 validator slots and a stake threshold equal to the slots; validators
    # blockwise or interleaved; stake 1 each (assignment 0) or uid + n for validators and uid for servers (1).
    wrong = 0
    for n, k in ((2, 1), (4, 2), (8, 4)):
        for interleave in (0, 1):
            validators = list(range(k)) if interleave == 0 else [u for u in range(n) if u % (n // k) == 0]
            servers = [u for u in range(n) if u not in validators]
            for assignment in (0, 1):
                stake = np.zeros(n, dtype=np.int64)
                for u in validators:
                    stake[u] = u + n if assignment else 1
                for u in servers:
                    stake[u] = u if assignment else 0
                W = np.zeros((n, n), dtype=np.int64)
                first = yuma_chain_epoch(stake, W, variant="original", mode=mode, max_validators=k,
                                         stake_threshold=k)["validator_permit"]
                wrong += sum(bool(first[u]) != bool(stake[u] >= k) for u in validators)
                wrong += int(first[servers].sum())
                stake[servers] += 2 * n
                second = yuma_chain_epoch(stake, W, variant="original", mode=mode, max_validators=k,
                                          stake_threshold=k)["validator_permit"]
                wrong += int(second[validators].sum())
                wrong += sum(bool(second[u]) != bool(stake[u] >= k) for u in servers)
    return [_check("test_validator_permits", "original", mode, "validator permits (wrong count)", wrong, 0, "count",
                   "chain assert: equality")]


def _liquid_alpha_equal(mode):
    # Liquid alpha with alpha_low == alpha_high == u16::MAX / 10 equals the fixed EMA with moving average 900_000.
    u16 = weights_to_u16(np.array([[0, 0.1, 0, 0], [0.2, 0.4, 0, 0.3], [0.1, 0, 0.4, 0.5]]))
    prev = yuma_chain_epoch([1, 2, 3], u16, variant="yuma3", mode=mode, bonds_penalty=0)["bonds"]
    on = yuma_chain_epoch([1, 2, 3], u16, prev, variant="yuma3", mode=mode, liquid_alpha=True,
                          alpha_low=MAX // 10, alpha_high=MAX // 10)
    off = yuma_chain_epoch([1, 2, 3], u16, prev, variant="yuma3", mode=mode)
    diff = np.abs(on["ema_bonds"] - off["ema_bonds"]).max()
    return [_check("test_liquid_alpha_equal_values_against_itself", "yuma3", mode, "EMA bonds, on against off", diff,
                   EPS, "share", "chain epsilon 1e-3 (assert_mat_compare)")]


_ORIGINAL = {"test_bonds": _test_bonds, "test_active_stake": _active_stake, "test_10_graph": _ten_graph,
             "test_512_graph": _graph_512, "test_zero_weights": _zero_weights,
             "test_validator_permits": _validator_permits,
             "test_liquid_alpha_equal_values_against_itself": _liquid_alpha_equal}

#: Every ported case, by its name in epoch.rs.
CASES = tuple(YUMA3_SCENARIOS) + tuple(_ORIGINAL)


def run_case(case: str, mode: str) -> list[dict]:
    """Replay one of subtensor's epoch test cases in ``mode``; one dict per checked quantity.

    Parameters
    ----------
    case : str
        A name of :data:`CASES` (the test's name in ``epoch.rs``).
    mode : {"exact", "float"}
        As in :func:`yuma_chain_epoch`.

    Returns
    -------
    list of dict
        Keys ``case``, ``variant``, ``mode``, ``quantity``, ``largest_difference``, ``tolerance``, ``unit``,
        ``tolerance_basis``, ``passed``.
    """
    if case in YUMA3_SCENARIOS:
        return _yuma3(case, mode)
    return _ORIGINAL[case](mode)
