"""Lists as a real API server serves them: ``labelSelector`` (refused when it does not parse),
``fieldSelector`` (only the fields each kind supports), ``limit`` and ``continue`` (410 Gone once the
list's resourceVersion was compacted away)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from fakeparts import ApiFailure, match_labels

_KEY = (
    r"(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
)
_VALUE = r"(?:[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_TERM = re.compile(
    rf"\s*(?:!{_KEY}|{_KEY}|{_KEY}\s*(?:=|==|!=)\s*{_VALUE}|{_KEY}\s+(?:in|notin)\s+\(\s*{_VALUE}(?:\s*,\s*{_VALUE})*\s*\))\s*"
)
COMMON_FIELDS = {"metadata.name", "metadata.namespace"}
FIELDS = {
    "pods": {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
             "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"},
    "events": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
               "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
               "reason", "reportingComponent", "source", "type"},
    "configmaps": set(),
    "leases": set(),
    "deployments": set(),
}  # fmt: skip
EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of the "
    "results. Continuing with the provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may show up in the list."
)


def _terms(selector: str) -> list[str]:
    return re.findall(r"[^,(]+(?:\([^)]*\))?", selector)


def check_label_selector(selector: str) -> None:
    if re.search(r"^\s*,|,\s*,|,\s*$", selector):
        raise ApiFailure(400, "BadRequest", "unable to parse requirement: found '', expected: identifier")
    for term in _terms(selector):
        if not _TERM.fullmatch(term):
            raise ApiFailure(
                400, "BadRequest", f"unable to parse requirement: {term.strip()!r}: invalid label selector"
            )


def _field(obj: dict[str, Any], path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    if path == "source" and isinstance(obj.get("source"), dict):
        cur = obj["source"].get("component")
    return "" if cur is None else str(cur).lower() if isinstance(cur, bool) else str(cur)


def field_filter(plural: str, selector: str) -> list[tuple[str, bool, str]]:
    """(field, equal?, value) terms; 400 for a field the kind does not support, as a real server says."""
    out = []
    for term in filter(None, (t.strip() for t in selector.split(","))):
        m = re.fullmatch(r"([A-Za-z.]+)\s*(==|=|!=)\s*(.*)", term)
        if m is None:
            raise ApiFailure(400, "BadRequest", f"invalid selector: {term!r}; can't understand {term!r}")
        if m.group(1) not in COMMON_FIELDS | FIELDS.get(plural, set()):
            raise ApiFailure(400, "BadRequest", f"field label not supported: {m.group(1)}")
        out.append((m.group(1), m.group(2) != "!=", m.group(3)))
    return out


def list_page(
    items: list[tuple[str, dict[str, Any]]], plural: str, query: dict[str, str], rv: int, compacted: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The page of (name, object) ``items`` (sorted by name) the query asks for, and the list's metadata."""
    labels = query.get("labelSelector", "")
    check_label_selector(labels)
    fields = field_filter(plural, query.get("fieldSelector", ""))
    chosen = [
        (n, o)
        for n, o in items
        if match_labels((o.get("metadata") or {}).get("labels") or {}, labels)
        and all((_field(o, f) == v) == eq for f, eq, v in fields)
    ]
    start, list_rv = "", rv
    if query.get("continue"):
        try:
            token = json.loads(base64.b64decode(query["continue"]))
            start, list_rv = str(token["start"]), int(token["rv"])
        except (ValueError, KeyError, TypeError):
            raise ApiFailure(400, "BadRequest", "continue key is not valid: illegal base64 data") from None
        if list_rv < compacted:
            fresh = _token(start, rv)
            raise ApiFailure(410, "Expired", EXPIRED, meta={"continue": fresh})
        chosen = [(n, o) for n, o in chosen if n > start]
    meta: dict[str, Any] = {"resourceVersion": str(list_rv)}
    try:
        limit = int(query.get("limit") or 0)
    except ValueError:  # as the API server decodes ListOptions
        raise ApiFailure(400, "BadRequest", f'strconv.ParseInt: parsing "{query["limit"]}": invalid syntax') from None
    if limit and len(chosen) > limit:
        meta["remainingItemCount"] = len(chosen) - limit
        chosen = chosen[:limit]
        meta["continue"] = _token(chosen[-1][0], list_rv)
    return [o for _, o in chosen], meta


def _token(start: str, rv: int) -> str:
    return base64.b64encode(json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}).encode()).decode()
