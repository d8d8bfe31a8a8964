"""OpenGradient as its public code describes it: who receives the emission today, dormant and activated."""

from _common import SEED, Exact, settings, table

import fairshare as fs


def run(build, scale):
    h = fs.datasets.opengradient_2026(seed=SEED, scale=settings(scale)["network_scale"])
    today = fs.datasets.who_is_paid_today(seed=SEED, scale=settings(scale)["network_scale"])
    table(build, "who_is_paid_today", today.T, by="row")
    dormant, active = today.iloc[0], today.iloc[1]
    svip = "the SVIP schedule [@og-svip-doc; @og-svip-module]"
    genesis = "four validators of equal placeholder voting power [@og-mainnet-genesis; @og-poa-governance]"
    return {
        "og_nodes": f"{h.n_nodes:,}", "og_epochs": f"{h.n_epochs:,}",
        "og_dormant_emission": Exact(f"{dormant['emission_tokens']:,.0f}", "the pool is dormant at genesis "
                                     "[@og-svip-doc]"),
        "og_active_emission": Exact(f"{active['emission_tokens']:,.0f}", svip),
        "og_validators_share": Exact(f"{active['validators_share']:.0%}", "the baseline pays validators by voting "
                                     "power [@og-svip-doc]"),
        "og_hhi": Exact(f"{active['hhi']:.2f}", genesis),
        "og_nakamoto": Exact(f"{active['nakamoto_1/2']:.0f}", genesis),
        "og_fee_margin": Exact(f"${active['gateway_fee_margin_usd']:,.2f}", "list prices passed upstream in full "
                               "[@og-tee-gateway]"),
    }
