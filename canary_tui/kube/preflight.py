"""Pre-flight checks of a plan against its cluster (``check PLAN``): reads and access reviews only.

The Deployments and the route object exist, the subsets or backendRefs match the plan, the
DestinationRule defines the subsets, and the current identity may do everything ``run`` does
(SelfSubjectAccessReview), each problem named with its verb and resource.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..core.model import Plan, Router
from ..errors import InputError
from ..preflight import CheckResult
from ..sanitize import clean
from .access import run_needs, try_review
from .client import ApiError
from .leaseinfo import lease_name, read_lease
from .resources import DEPLOYMENTS, DESTINATION_RULES, ISTIO, api_error_text, describe
from .routers import ReplicasRouter
from .session import Session, open_route, open_session
from .state import configmap_name, read_configmap, stored_document


def check_cluster(
    plan: Plan, context: str | None, namespace: str | None, session: Session | None = None
) -> list[CheckResult]:
    """``session``: one the caller opened already (to resolve the namespace first)."""
    try:
        s = session or open_session(plan, context, namespace)
    except InputError as e:
        return [CheckResult("cluster", False, str(e))]
    c = s.client.identity
    out = [
        CheckResult(
            "cluster", True, f"{c.server} as {s.user} (context {c.context or 'in-cluster'}), namespace {s.namespace}"
        )
    ]
    out += _deployments(s)
    out += _route(s)
    if plan.traffic.router is Router.ISTIO:
        out.append(_destination_rule(s))
    out += _access(s)
    out += _state(s)
    return out


def _deployments(s: Session) -> list[CheckResult]:
    out = []
    for side, v in (("stable", s.plan.stable), ("canary", s.plan.canary)):
        try:
            dep = s.client.get(DEPLOYMENTS.path(s.namespace, v.deployment))
        except ApiError as e:
            out.append(
                CheckResult(
                    f"{side} deployment",
                    False,
                    api_error_text(e, "get", DEPLOYMENTS, v.deployment, s.namespace, s.user),
                )
            )
            continue
        spec, status = dep.get("spec") or {}, dep.get("status") or {}
        ready = f"{status.get('readyReplicas') or 0}/{spec.get('replicas', 0)} ready"
        if not (spec.get("selector") or {}).get("matchLabels") and not (spec.get("selector") or {}).get(
            "matchExpressions"
        ):
            out.append(CheckResult(f"{side} deployment", False, f"{v.deployment} has no pod selector"))
        else:
            out.append(CheckResult(f"{side} deployment", True, f"{v.deployment}: {ready}"))
    return out


def _route(s: Session) -> list[CheckResult]:
    try:
        router, objects = open_route(s)
    except InputError as e:
        return [CheckResult("traffic", False, str(e))]
    if isinstance(router, ReplicasRouter):
        c, st = router.replicas(objects[0]), router.replicas(objects[1])
        total = router.total or c + st
        if total < 1:
            return [CheckResult("traffic", False, f"{router.label} have 0 replicas in all: set spec.traffic.replicas")]
        return [
            CheckResult(
                "traffic", True, f"{router.label}: canary {c}, stable {st} replicas; total {total} shared by weight"
            )
        ]
    weight = router.weight(objects)
    now = f"canary at {weight}%" if weight is not None else "weights not a stable/canary split yet"
    return [
        CheckResult("traffic", True, f"{router.label}: {s.plan.stable.subset} and {s.plan.canary.subset} found, {now}")
    ]


def _destination_rule(s: Session) -> CheckResult:
    kind = s.apis.kind(DESTINATION_RULES)
    if not s.apis.served(ISTIO):
        return CheckResult("subsets", False, "the cluster does not serve networking.istio.io")
    try:
        items: list[dict[str, Any]] = s.client.get(kind.path(s.namespace)).get("items") or []
    except ApiError as e:
        return CheckResult(
            "subsets", True, f"not checked: {api_error_text(e, 'list', kind, None, s.namespace, s.user)}"
        )
    host = s.plan.service
    wanted = {s.plan.stable.subset, s.plan.canary.subset}
    for dr in items:
        h = (dr.get("spec") or {}).get("host") or ""
        if h == host or h.startswith(host + "."):
            names = {x.get("name") for x in (dr.get("spec") or {}).get("subsets") or []}
            missing = sorted(wanted - names)
            name = clean((dr.get("metadata") or {}).get("name"), 60)
            if missing:
                return CheckResult(
                    "subsets",
                    False,
                    f"DestinationRule {name} (host {clean(h, 80)}) lacks subset(s) {', '.join(missing)}",
                )
            return CheckResult("subsets", True, f"DestinationRule {name} defines {', '.join(sorted(wanted))}")
    return CheckResult(
        "subsets",
        False,
        f"no DestinationRule for host {host} in {describe(kind, None, s.namespace)}: the subsets are undefined",
    )


def _access(s: Session) -> list[CheckResult]:
    verdicts, problem = try_review(s.client, s.namespace, run_needs(s.plan))
    if problem:
        return [CheckResult("access", False, problem)]
    out = []
    for v in verdicts:
        if not v.allowed:
            text = f"forbidden: {s.user} may not {v.need.text(s.namespace)} (needed to {v.need.why})"
            out.append(CheckResult("access", not v.need.required, text + ("" if v.need.required else "; optional")))
    if not out:
        out.append(CheckResult("access", True, f"{s.user} has all {len(verdicts)} permissions run needs"))
    return out


def _state(s: Session) -> list[CheckResult]:
    out = []
    now = datetime.now(UTC)
    try:
        info, _ = read_lease(s.client, s.namespace, lease_name(s.plan.name))
        if info is not None and info.held(now):
            out.append(CheckResult("lock", True, f"driven now by {info.describe(now)}: a second run would be refused"))
        else:
            out.append(CheckResult("lock", True, f"lease {lease_name(s.plan.name)} free"))
        doc = stored_document(read_configmap(s.client, s.namespace, configmap_name(s.plan.name)))
    except (ApiError, InputError) as e:
        return [CheckResult("state", False, f"cannot read the stored state: {e}")]
    if doc is None:
        out.append(
            CheckResult(
                "state", True, f"no stored state: run starts a new release (ConfigMap {configmap_name(s.plan.name)})"
            )
        )
    else:
        st = doc.get("state") or {}
        phases = (doc.get("plan") or {}).get("phases") or []
        i = st.get("phaseIndex", 0)
        phase = phases[i]["name"] if isinstance(i, int) and 0 <= i < len(phases) else "?"
        outcome = st.get("outcome")
        what = f"ended {outcome}" if outcome and outcome != "Incomplete" else f"in phase {phase}: run resumes it"
        out.append(CheckResult("state", True, f"stored release {what} (ConfigMap {configmap_name(s.plan.name)})"))
    return out
