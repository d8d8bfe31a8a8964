"""The built-in network before any rule: who does the work, and what it costs."""

from _common import network, table

import fairshare as fs
from fairshare.report.format import describe_rule


def run(build, scale):
    h = network(scale)
    f = fs.aggregate(h)
    summary = fs.features.network_summary(h, f)
    table(build, "network_summary", summary)
    coverage = fs.datasets.emission_coverage(h, f)
    return {"n_nodes": f"{h.n_nodes:,}", "n_operators": f"{h.n_operators:,}", "n_epochs": h.n_epochs,
            "n_tasks": f"{h.n_tasks:,}",
            "datacenter_work_share": f"{summary.loc['datacenter', 'work_share']:.0%}",
            "home_utilisation": f"{summary.loc['home', 'utilisation']:.0%}",
            "emission_over_cost": f"{coverage['emission_over_cost']:.2f}",
            "fees_over_cost": f"{coverage['fees_over_cost']:.1f}",
            "full_coverage_multiple": f"{coverage['emission_multiple_for_full_coverage']:.2f}",
            "sq_rule": describe_rule(h.baseline)}
