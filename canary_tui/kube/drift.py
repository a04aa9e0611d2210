"""Weights changed behind the driver's back (a GitOps tool reverting them, someone's ``kubectl edit``):
noticed before the next write, said with who changed them (``managedFields``), and not fought."""

from __future__ import annotations

from typing import Any

from ..sanitize import clean
from .routers import ReplicasRouter, TrafficRouter

OURS = "canary-tui"  # the field manager the API server records for our writes (our User-Agent)
GITOPS_HINT = "if a GitOps tool manages it, make it ignore the weights: see docs/kubernetes.md, GitOps"


def last_manager(obj: dict[str, Any]) -> str | None:
    """Who last wrote the object, other than us: the newest ``managedFields`` entry not ours, as
    ``argocd-controller (Update at 2026-02-19T05:33:00Z)``; None when the server keeps no such entry."""
    entries = [
        e
        for e in (obj.get("metadata") or {}).get("managedFields") or []
        if isinstance(e, dict) and e.get("manager") and not str(e["manager"]).startswith(OURS)
    ]
    if not entries:
        return None
    newest = max(entries, key=lambda e: str(e.get("time") or ""))
    op, at = newest.get("operation") or "a write", newest.get("time")
    return clean(f"{newest['manager']} ({op}{f' at {at}' if at else ''})", 160)


def drifted(router: TrafficRouter, objects: list[dict[str, Any]], applied: int | None) -> str | None:
    """A sentence when the weights are not the ones we last set (``applied``), else None. The replicas
    router is left out: its replica counts move with autoscalers and rollouts of their own."""
    if applied is None or isinstance(router, ReplicasRouter):
        return None
    now = router.weight(objects)
    if now == applied:
        return None
    seen = f"canary {now}%" if now is not None else "weights that are not a stable/canary split"
    who = last_manager(objects[0]) if objects else None
    by = f"last changed by {who}" if who else "the server does not say who changed them"
    return (
        f"the weights of {router.label} were changed behind canary-tui's back: {seen}, not the {applied}% it "
        f"set ({by}); holding, not writing over them; {GITOPS_HINT}"
    )


def expected(router: TrafficRouter, canary_weight: int) -> int | None:
    """What ``drifted`` compares with after a write of ``canary_weight`` landed."""
    return None if isinstance(router, ReplicasRouter) else canary_weight
