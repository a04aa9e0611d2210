"""The YAML ``manifests PLAN`` prints, built from the plan: DestinationRule and VirtualService (or
HTTPRoute) at the first phase's weights, a PrometheusRule (a recording rule per query gate, alerts at
each gate's levels), and the Roles for ``run`` and ``watch`` (from ``access``, the one list)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from typing import Any

from ..core.durations import format_short
from ..core.model import THRESHOLD_KEYS, Gate, GateSource, Plan, PodSignal, Router, Thresholds
from .access import Need, check_needs, watch_needs
from .resources import DESTINATION_RULES, HTTP_ROUTES, VIRTUAL_SERVICES

# The seed's DestinationRule had connection-pool limits and outlier detection without figures;
# these are Istio's documented example values, a sound start for an HTTP service.
CONNECTION_POOL = {
    "tcp": {"maxConnections": 100, "connectTimeout": "3s"},
    "http": {"http1MaxPendingRequests": 100, "http2MaxRequests": 1000, "maxRequestsPerConnection": 10, "maxRetries": 3},
}
OUTLIER_DETECTION = {"consecutive5xxErrors": 5, "interval": "30s", "baseEjectionTime": "30s", "maxEjectionPercent": 50}
PORT = 80


def _meta(name: str, plan: Plan, namespace: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "labels": {"app.kubernetes.io/managed-by": "canary-tui", "canary-tui/plan": plan.name},
    }


def destination_rule(plan: Plan, namespace: str, istio: str = "v1") -> dict[str, Any]:
    return {
        "apiVersion": DESTINATION_RULES.at(istio).api_version,
        "kind": "DestinationRule",
        "metadata": _meta(plan.traffic.virtual_service or plan.service, plan, namespace),
        "spec": {
            "host": plan.service,
            "trafficPolicy": {"connectionPool": CONNECTION_POOL, "outlierDetection": OUTLIER_DETECTION},
            "subsets": [{"name": v.subset, "labels": {"version": v.version}} for v in (plan.stable, plan.canary)],
        },
    }


def virtual_service(plan: Plan, namespace: str, istio: str = "v1") -> dict[str, Any]:
    w = plan.phases[0].weight
    return {
        "apiVersion": VIRTUAL_SERVICES.at(istio).api_version,
        "kind": "VirtualService",
        "metadata": _meta(plan.traffic.virtual_service or plan.service, plan, namespace),
        "spec": {
            "hosts": [plan.service],
            "http": [
                {
                    "name": plan.traffic.route or "primary",
                    "route": [
                        {"destination": {"host": plan.service, "subset": plan.stable.subset}, "weight": 100 - w},
                        {"destination": {"host": plan.service, "subset": plan.canary.subset}, "weight": w},
                    ],
                }
            ],
        },
    }


def http_route(plan: Plan, namespace: str) -> dict[str, Any]:
    """A mesh (GAMMA) route: parentRef is the Service; for ingress, point parentRefs at your Gateway.
    The backendRefs are per-version Services named like the Deployments."""
    w = plan.phases[0].weight
    return {
        "apiVersion": HTTP_ROUTES.api_version,
        "kind": "HTTPRoute",
        "metadata": _meta(plan.traffic.http_route or plan.service, plan, namespace),
        "spec": {
            "parentRefs": [{"group": "", "kind": "Service", "name": plan.service, "port": PORT}],
            "rules": [
                {
                    "backendRefs": [
                        {"name": plan.stable.deployment, "port": PORT, "weight": 100 - w},
                        {"name": plan.canary.deployment, "port": PORT, "weight": w},
                    ]
                }
            ],
        },
    }


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^a-zA-Z0-9]+", name) if part)


def _num(x: float) -> str:
    return repr(float(x)) if x != int(x) or abs(x) >= 1e15 else str(int(x))


def _alerts(
    plan: Plan,
    gate: Gate,
    t: Thresholds,
    series: tuple[str, str],
    labels: dict[str, str],
    phase: str | None = None,
    only: set[str] | None = None,
) -> list[dict[str, Any]]:
    """Alerts at a gate's fail levels (critical) and warn levels (warning), held as long as the
    controller needs to roll back (failureLimit evaluations). ``only``: these levels (a phase's overrides)."""
    hold = format_short(plan.interval * plan.failure_limit)
    prefix = camel(phase) if phase else "Canary"
    name = camel(gate.name)
    if name.startswith(prefix):
        prefix = ""
    canary_series, stable_series = series
    where = f" while phase {phase} is active" if phase else ""
    unit = f" {gate.unit}" if gate.unit else ""
    levels = [
        ("fail_above", "High", ">", "critical"),
        ("fail_below", "Low", "<", "critical"),
        ("warn_above", "HighWarning", ">", "warning"),
        ("warn_below", "LowWarning", "<", "warning"),
    ]
    out = []
    for attr, suffix, op, severity in levels:
        value = getattr(t, attr)
        if value is None or (only is not None and attr not in only):
            continue
        out.append(
            {
                "alert": f"{prefix}{name}{suffix}",
                "expr": f"{canary_series} {op} {_num(value)}",
                "for": hold,
                "labels": {**labels, "severity": severity, **({"phase": phase} if phase else {})},
                "annotations": {
                    "summary": f"{plan.canary.version} {gate.name} {op} {_num(value)}{unit}{where}",
                    "description": f"{gate.name} of {plan.service} {plan.canary.version} is {{{{ $value }}}}{unit} "
                    f"({op} {_num(value)}); canary-tui rolls back after {plan.failure_limit} such evaluations.",
                },
            }
        )
    if t.max_ratio_to_stable is not None and (only is None or "max_ratio_to_stable" in only):
        r = _num(t.max_ratio_to_stable)
        out.append(
            {
                "alert": f"{prefix}{name}AboveStable",
                "expr": f"{canary_series} > ignoring(version, track) ({r} * {stable_series})",
                "for": hold,
                "labels": {**labels, "severity": "critical", **({"phase": phase} if phase else {})},
                "annotations": {
                    "summary": f"{plan.canary.version} {gate.name} above {r} x stable{where}",
                    "description": f"{gate.name} of {plan.canary.version} is {{{{ $value }}}}{unit}, more than {r} x "
                    f"{plan.stable.version}'s.",
                },
            }
        )
    return out


def pod_query(plan: Plan, gate: Gate, namespace: str) -> str:
    """A pod gate's signal from kube-state-metrics. Restarts count the init containers and native
    sidecars too (kube-state-metrics keeps them in a metric of their own); readiness is the pod's
    Ready condition, which a native sidecar that is not ready turns false."""
    pods = f'namespace="{namespace}",pod=~"{plan.canary.deployment}-.*"'
    if gate.signal is PodSignal.RESTARTS:
        window = format_short(plan.interval * plan.failure_limit)
        return " + ".join(
            f"(sum(increase({metric}{{{pods}}}[{window}])) or vector(0))"
            for metric in ("kube_pod_container_status_restarts_total", "kube_pod_init_container_status_restarts_total")
        )
    return f'sum(kube_pod_status_ready{{{pods},condition="false"}})'


def prometheus_rule(plan: Plan, namespace: str) -> dict[str, Any]:
    base = {"canary_tui_plan": plan.name}
    records: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    for gate in plan.gates:
        record = f"canary_tui:{gate.name}"
        labels = {**base, "version": plan.canary.version, "track": "canary"}
        if gate.judge is not None:  # a statistical judge: its signal and the nearest threshold alert
            from .judgerules import judge_alerts, judge_records

            records += judge_records(plan, gate, namespace, base)
            pair = (f'{record}{{canary_tui_plan="{plan.name}",track="{t}"}}' for t in ("canary", "stable"))
            alerts += judge_alerts(plan, gate, (next(pair), next(pair)), base)
            continue
        if gate.source is GateSource.PODS:
            records.append({"record": record, "expr": pod_query(plan, gate, namespace), "labels": labels})
        else:
            for track, v in (("canary", plan.canary), ("stable", plan.stable)):
                expr = replace(plan, namespace=namespace).render_query(gate, v.version)
                records.append(
                    {"record": record, "expr": expr, "labels": {**base, "version": v.version, "track": track}}
                )
        series = (
            f'{record}{{canary_tui_plan="{plan.name}",track="canary"}}',
            f'{record}{{canary_tui_plan="{plan.name}",track="stable"}}',
        )
        alerts += _alerts(plan, gate, gate.thresholds, series, base)
        for i, phase in enumerate(plan.phases):
            if gate.name in phase.overrides:
                changed = {THRESHOLD_KEYS[k] for k in phase.overrides[gate.name]}
                alerts += _alerts(plan, gate, plan.thresholds(i)[gate.name], series, base, phase.name, changed)
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": _meta(f"canary-tui-{plan.name}", plan, namespace),
        "spec": {
            "groups": [
                {"name": f"canary-tui-{plan.name}.records", "interval": format_short(plan.interval), "rules": records},
                {"name": f"canary-tui-{plan.name}.alerts", "interval": format_short(plan.interval), "rules": alerts},
            ]
        },
    }


def role(name: str, plan: Plan, namespace: str, needs: list[Need]) -> dict[str, Any]:
    """A Role granting exactly ``needs``: named objects by resourceNames, the rest by resource."""
    verbs: dict[tuple[str, str, str | None], set[str]] = defaultdict(set)
    for n in needs:
        verbs[(n.kind.group, n.kind.plural + (f"/{n.kind.sub}" if n.kind.sub else ""), n.name)].add(n.verb)
    merged: dict[tuple[str, str, tuple[str, ...], bool], list[str]] = defaultdict(list)
    for (group, resource, obj), vs in verbs.items():
        merged[(group, resource, tuple(sorted(vs)), obj is not None)].append(obj or "")
    rules = []
    for (group, resource, granted, named), names in merged.items():
        rule: dict[str, Any] = {"apiGroups": [group], "resources": [resource]}
        if named:
            rule["resourceNames"] = sorted(names)
        rule["verbs"] = list(granted)
        rules.append(rule)
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": _meta(name, plan, namespace),
        "rules": rules,
    }


def manifests(plan: Plan, namespace: str | None = None, istio: str = "v1") -> list[tuple[str, dict[str, Any]]]:
    """(comment, object) in the order printed; ``istio`` the networking.istio.io version to write
    (``v1`` from Istio 1.22 on, ``v1beta1`` before; ``run`` and ``check`` ask the cluster instead)."""
    ns = namespace or plan.namespace
    out: list[tuple[str, dict[str, Any]]] = []
    if plan.traffic.router is Router.ISTIO:
        out.append(
            (
                "The two subsets; connection-pool limits and outlier detection as the seed had",
                destination_rule(plan, ns, istio),
            )
        )
        out.append(
            (
                f"Traffic at the first phase ({plan.phases[0].name}); canary-tui sets the weights from here on",
                virtual_service(plan, ns, istio),
            )
        )
    elif plan.traffic.router is Router.GATEWAY_API:
        out.append(
            (
                f"Traffic at the first phase ({plan.phases[0].name}); canary-tui sets the weights from here on",
                http_route(plan, ns),
            )
        )
    judged = [g.name for g in plan.gates if g.judge is not None]
    comment = "A recording rule per gate, and alerts at each gate's fail (critical) and warn (warning) levels"
    if judged:
        from .judgerules import NOTE

        comment += "\n# " + NOTE.format(names=", ".join(judged))
    out.append((comment, prometheus_rule(plan, ns)))
    out.append(
        (
            "What `canary-tui run`, `check` and promote/hold/resume/rollback do, and nothing more",
            role(f"canary-tui-run-{plan.name}", plan, ns, check_needs(plan)),
        )
    )
    out.append(
        (
            "Read-only, for `canary-tui watch`: the gets and lists it makes, and nothing more",
            role(f"canary-tui-watch-{plan.name}", plan, ns, watch_needs(plan)),
        )
    )
    return out


def render(plan: Plan, namespace: str | None = None, istio: str = "v1") -> str:
    """The manifests as one multi-document YAML text."""
    import yaml

    docs = []
    for comment, obj in manifests(plan, namespace, istio):
        body = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, width=1_000_000, allow_unicode=True)
        docs.append(f"# {comment}\n{body}")
    ns = namespace or plan.namespace
    head = f"# canary-tui manifests for plan {plan.name} (namespace {ns}); apply with kubectl apply -f -\n"
    return head + "---\n".join(docs)
