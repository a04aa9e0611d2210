"""``canary-tui manifests PLAN``: Istio (or Gateway API), PrometheusRule and RBAC YAML for a plan."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "print Istio, PrometheusRule and RBAC YAML for a plan"
DESCRIPTION = (
    "Print the Kubernetes objects a plan needs, consistent with it: the DestinationRule with the two subsets "
    "and the VirtualService at the first phase's weights (or the HTTPRoute), a PrometheusRule with a recording "
    "rule per gate and alerts at each gate's levels, and RBAC: a Role with exactly what `run` does and a "
    "read-only Role for `watch`. Nothing is sent to a cluster: pipe it to `kubectl apply -f -`."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("plan", type=Path, metavar="PLAN", help="a CanaryPlan YAML file")
    p.add_argument("--namespace", "-n", metavar="NS", help="override the plan's metadata.namespace")
    p.add_argument(
        "--istio-api",
        choices=("v1", "v1beta1"),
        default="v1",
        help="the networking.istio.io version to write: v1 (Istio 1.22+, the default) or v1beta1 (older Istio)",
    )


def run(args: argparse.Namespace) -> int:
    from ..core.planfile import load_plan
    from ..kube.manifests import render

    plan = load_plan(args.plan)
    print(render(plan, args.namespace, args.istio_api), end="")
    return 0
