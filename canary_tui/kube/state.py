"""The driver's state in the cluster: ConfigMap ``canary-tui-<plan>``, written with resourceVersion.

``state.json`` holds the state document (``canary_tui.statefile``), ``queue.json`` the operator
actions queued from other terminals. The driver takes queued actions at each evaluation and, in the
same write as the state they led to, drops them from the queue and records their ids in
``appliedActions``: an action is applied exactly once even if the driver is killed in between.
"""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..core.durations import format_time, parse_time
from ..core.rule import Action, ActionKind
from ..ports import WriteError
from ..sanitize import clean
from ..statefile import DocumentBuilder, StateFileStore, encode, parse_document
from .client import ApiError, Client, ReadClient
from .cluster import write_error
from .lease import Lease
from .resources import CONFIGMAPS, api_error_text

if TYPE_CHECKING:
    from ..controller import Snapshot

STATE_KEY = "state.json"
QUEUE_KEY = "queue.json"
KEEP_APPLIED = 100
MAX_CONFLICTS = 5


def configmap_name(plan_name: str) -> str:
    return f"canary-tui-{plan_name}"


def read_configmap(client: ReadClient, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        return client.get(CONFIGMAPS.path(namespace, name))
    except ApiError as e:
        if e.not_found:
            return None
        raise


def stored_document(cm: dict[str, Any] | None) -> dict[str, Any] | None:
    """The state document in the ConfigMap, None when it has none. InputError when it is garbage."""
    text = ((cm or {}).get("data") or {}).get(STATE_KEY)
    if not text:
        return None
    name = (cm or {}).get("metadata", {}).get("name", "the ConfigMap")
    if not isinstance(text, str):
        from ..errors import InputError, Problem

        raise InputError([Problem(f"ConfigMap {name} key {STATE_KEY}", None, None, "not a state document: not text")])
    return parse_document(text, f"ConfigMap {name} key {STATE_KEY}")


def queue_of(cm: dict[str, Any] | None) -> list[dict[str, Any]]:
    text = ((cm or {}).get("data") or {}).get(QUEUE_KEY)
    if not text:
        return []
    from ..core.source import STATE, loads_bounded

    if not isinstance(text, str) or len(text) > STATE.max_bytes:
        return []
    try:
        queue = loads_bounded(text, STATE.max_depth)
    except ValueError:  # not JSON, or nested too deep: no queued actions can be read from it
        return []
    return [q for q in queue if isinstance(q, dict) and isinstance(q.get("id"), str)] if isinstance(queue, list) else []


def _body(
    cm: dict[str, Any] | None,
    namespace: str,
    name: str,
    plan_name: str,
    data: dict[str, str],
    doc: dict[str, Any] | None,
) -> dict[str, Any]:
    body: dict[str, Any] = (
        copy.deepcopy(cm)
        if cm
        else {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace}}
    )
    meta: dict[str, Any] = body.setdefault("metadata", {})
    meta["labels"] = {
        **(meta.get("labels") or {}),
        "app.kubernetes.io/managed-by": "canary-tui",
        "canary-tui/plan": plan_name,
    }
    if doc is not None:
        state = doc["state"]
        meta["annotations"] = {
            **(meta.get("annotations") or {}),
            "canary-tui/phase": doc["plan"]["phases"][state["phaseIndex"]]["name"],
            "canary-tui/canary-weight": str(doc["weights"]["canary"]),
            "canary-tui/outcome": state.get("outcome") or "",
            "canary-tui/driver": doc.get("driver") or "",
        }
    body["data"] = {**(body.get("data") or {}), **data}
    return body


class ClusterStore:
    """The controller's StateStore and inbox in the cluster. Every write first checks the lease."""

    def __init__(
        self,
        client: Client,
        namespace: str,
        plan_name: str,
        lease: Lease,
        builder: DocumentBuilder,
        *,
        file: StateFileStore | None = None,
        applied: Iterable[str] = (),
        cm: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.plan_name = plan_name
        self.name = configmap_name(plan_name)
        self.lease = lease
        self.builder = builder
        self.file = file
        self.applied: list[str] = list(applied)[-KEEP_APPLIED:]
        self._cm = cm
        self._last: str | None = None

    # ------------------------------------------------------------------ StateStore

    def save(self, snapshot: Snapshot) -> None:
        doc = self.builder.document(snapshot)
        doc["appliedActions"] = self.applied[-KEEP_APPLIED:]
        if self.file is not None:
            self.file.write(doc)
        key = encode({k: v for k, v in doc.items() if k != "updatedAt"})
        if key == self._last:
            return
        self.write(doc)
        self._last = key

    def write(self, doc: dict[str, Any]) -> None:
        """Write the document (and the queue minus applied actions); WriteError when it does not land."""
        path = CONFIGMAPS.path(self.namespace, self.name)
        user = self.client.identity.user
        for _ in range(MAX_CONFLICTS):
            self.lease.check_before_write()
            queue = [q for q in queue_of(self._cm) if q["id"] not in self.applied]
            data = {STATE_KEY: encode(doc), QUEUE_KEY: json.dumps(queue, separators=(",", ":"))}
            body = _body(self._cm, self.namespace, self.name, self.plan_name, data, doc)
            verb = "update" if self._cm is not None else "create"
            try:
                if self._cm is None:
                    self._cm = self.client.create(CONFIGMAPS.path(self.namespace, None), body)
                else:
                    self._cm = self.client.replace(path, body)
                return
            except ApiError as e:
                if e.status == 409:  # someone queued an action, or it was created meanwhile: merge again
                    self._refresh()
                    continue
                if e.status == 404 and self._cm is not None:  # deleted under us: create it again
                    self._cm = None
                    continue
                raise write_error(e, api_error_text(e, verb, CONFIGMAPS, self.name, self.namespace, user)) from None
        raise WriteError(f"ConfigMap {self.name} kept changing under us ({MAX_CONFLICTS} conflicts in a row)", True)

    def _refresh(self) -> None:
        try:
            self._cm = read_configmap(self.client, self.namespace, self.name)
        except ApiError as e:
            raise WriteError(f"cannot read ConfigMap {self.name}: {e}", e.transient, e.retry_after) from None

    # ------------------------------------------------------------------ reading

    @property
    def cm(self) -> dict[str, Any] | None:
        """The ConfigMap as last read or written."""
        return self._cm

    def load(self) -> dict[str, Any] | None:
        """The stored document (and remember the ConfigMap for the next write)."""
        self._cm = read_configmap(self.client, self.namespace, self.name)
        return stored_document(self._cm)

    def inbox(self, now: datetime) -> list[Action]:
        """Operator actions queued since the last evaluation, oldest first, each taken once."""
        try:
            cm = read_configmap(self.client, self.namespace, self.name)
        except ApiError:
            return []  # read again at the next evaluation
        if cm is not None:
            self._cm = cm
        out: list[Action] = []
        for q in queue_of(cm):
            if q["id"] in self.applied:
                continue
            try:
                kind = ActionKind(str(q.get("action")))
                at = parse_time(str(q.get("at")))
            except ValueError:
                continue
            self.applied.append(q["id"])
            out.append(Action(min(at, now), kind, clean(q.get("actor") or "unknown", 120)))
        return out

    def stored_weight(self, plan: Any) -> int | None:
        """The canary weight the stored decision wants (re-validation after a conflict)."""
        from ..statefile import document_state

        self._refresh()
        doc = stored_document(self._cm)
        if doc is None:
            return None
        try:
            return document_state(doc, plan).canary_weight(plan)
        except ValueError:
            return None


def enqueue(
    client: Client, namespace: str, plan_name: str, kind: ActionKind, actor: str, now: datetime
) -> dict[str, Any]:
    """Queue an operator action for the driver (PUT with resourceVersion, again on conflict)."""
    name = configmap_name(plan_name)
    entry = {
        "id": now.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4),
        "action": kind.value,
        "actor": actor,
        "at": format_time(now),
    }
    for _ in range(MAX_CONFLICTS):
        cm = read_configmap(client, namespace, name)
        if cm is None:
            raise ApiError(404, "NotFound", f"ConfigMap {name} does not exist: no release state yet")
        body = copy.deepcopy(cm)
        body.setdefault("data", {})[QUEUE_KEY] = json.dumps([*queue_of(cm), entry], separators=(",", ":"))
        try:
            client.replace(CONFIGMAPS.path(namespace, name), body)
            return entry
        except ApiError as e:
            if e.status != 409:
                raise
    raise ApiError(409, "Conflict", f"ConfigMap {name} kept changing ({MAX_CONFLICTS} conflicts in a row)")
