"""The controller's Cluster on Kubernetes: pods from the two Deployments, weights through a router.

A weight write reads the route object, computes the whole object to write, checks the lease, and
PUTs it with the resourceVersion it was read at. On 409 it reads again and re-validates the decision
(the stored state must still want this weight, and the lease must still be ours) before writing
again, so a concurrent edit is never overwritten and a promotion never lands over a rollback.
429 carries Retry-After to the controller's retry; 5xx, timeouts and refused connections are retried
by the controller with jittered backoff. 400/403/404/422 cannot heal by themselves: they are not
retryable (the controller stops moving traffic after a few attempts), and a 403 names the Role to bind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from ..core.pods import Pod
from ..ports import WriteError
from .client import ApiError, Client
from .drift import drifted, expected
from .lease import Lease
from .pods import PodReader
from .resources import api_error_text
from .routers import RouteProblem, TrafficRouter

MAX_CONFLICTS = 5
MANIFESTS_HINT = "see `canary-tui manifests PLAN` for the Role a run needs"


def write_error(e: ApiError, text: str) -> WriteError:
    """The controller's WriteError for a refused request: retryable only when it may heal (429, 5xx,
    timeouts, refused connections); a 403 says where to find the missing permission."""
    if e.status == 403:
        text = f"{text}; {MANIFESTS_HINT}"
    return WriteError(text, e.transient, e.retry_after)


class KubeCluster:
    def __init__(
        self,
        client: Client,
        router: TrafficRouter,
        pods: PodReader,
        lease: Lease,
        *,
        stored_weight: Callable[[], int | None] | None = None,
        on_lost: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.router = router
        self.pod_reader = pods
        self.lease = lease
        self.stored_weight = stored_weight
        self.on_lost = on_lost
        self.writes = 0  # object writes that landed (for the end-of-run summary)
        self.applied: int | None = None  # the canary weight our last write left (drift is judged against it)

    def pods(self, at: datetime) -> Sequence[Pod] | None:
        return self.pod_reader.read(at)

    def set_weight(self, canary_weight: int) -> None:
        user = self.client.identity.user
        ns = self.router.namespace
        for _ in range(MAX_CONFLICTS):
            try:
                objects = self.router.read(self.client)
            except ApiError as e:
                raise write_error(e, api_error_text(e, "get", self.router.kind, self.router.name, ns, user)) from None
            # weights changed behind our back: hold rather than fight (a rollback to 0% always goes through)
            problem = drifted(self.router, objects, self.applied) if canary_weight else None
            if problem:
                raise WriteError(problem, retryable=False)
            try:
                writes = self.router.writes(objects, canary_weight)
            except RouteProblem as e:
                raise WriteError(str(e), retryable=False) from None
            current = None
            try:
                for current in writes:
                    self.lease.check_before_write()
                    self.client.replace(current.kind.path(ns, current.name), current.body)
                    self.writes += 1
                self.applied = expected(self.router, canary_weight)
                return
            except ApiError as e:
                if e.status != 409:
                    assert current is not None
                    text = api_error_text(e, "update", current.kind, current.name, ns, user)
                    raise write_error(e, text) from None
            # 409: someone changed the object since we read it. Re-validate before trying again.
            self._revalidate(canary_weight)
        raise WriteError(f"{self.router.label} kept changing under us ({MAX_CONFLICTS} conflicts in a row)", True)

    def _revalidate(self, canary_weight: int) -> None:
        self.lease.check_before_write()
        if self.stored_weight is None:
            return
        try:
            stored = self.stored_weight()
        except (ApiError, WriteError) as e:
            raise WriteError(
                f"conflict on {self.router.label}, and the stored decision cannot be read: {e}", True
            ) from None
        if stored is not None and stored != canary_weight:
            reason = (
                f"the stored decision changed under us: it now wants canary {stored}%, not {canary_weight}%; "
                "not writing"
            )
            self.lease.fence(reason)  # no write of ours may land after this, state included
            if self.on_lost is not None:
                self.on_lost(reason)
            raise WriteError(reason, retryable=False)
