"""What the fake API server refuses, as a real kube-apiserver does on the paths canary-tui uses: names and
labels, MicroTime and RFC 3339 times, the CRD schemas of VirtualService, DestinationRule and HTTPRoute
(types, required fields), unknown fields as the ``fieldValidation`` parameter says (Strict: refused with
400; Warn, the default, and Ignore: dropped, Warn with a Warning header each), the apiVersion of a body,
object sizes (1 MiB for ConfigMaps and Events), and Events whose namespace is not their object's."""

# ruff: noqa: E501 - messages are a real API server's, word for word
from __future__ import annotations

import json
import re
from typing import Any

from fakeparts import ApiFailure, now_text

SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
LABEL = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
MICRO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)")  # Go's RFC3339Micro, parsed strictly
ONE_MIB = 1024 * 1024

# A schema: "str" "int" "bool" "num" "any", a dict (an object; a key ending in "!" is required),
# ["list", item] or ["map", value].
DURATION = "str"
PORT = {"number": "int", "name": "str"}
DESTINATION = {"host!": "str", "subset": "str", "port": PORT}
HTTP_ROUTE_DEST = {"destination!": DESTINATION, "weight": "int", "headers": "any"}
STRING_MATCH = {"exact": "str", "prefix": "str", "regex": "str"}
VS_MATCH = {
    "name": "str",
    "uri": STRING_MATCH,
    "scheme": STRING_MATCH,
    "method": STRING_MATCH,
    "authority": STRING_MATCH,
    "headers": ["map", STRING_MATCH],
    "port": "int",
    "sourceLabels": ["map", "str"],
    "gateways": ["list", "str"],
    "queryParams": ["map", STRING_MATCH],
    "ignoreUriCase": "bool",
    "withoutHeaders": ["map", STRING_MATCH],
    "sourceNamespace": "str",
}
VS_HTTP = {
    "name": "str",
    "match": ["list", VS_MATCH],
    "route": ["list", HTTP_ROUTE_DEST],
    "redirect": "any",
    "delegate": "any",
    "rewrite": "any",
    "timeout": DURATION,
    "retries": {"attempts": "int", "perTryTimeout": DURATION, "retryOn": "str", "retryRemoteLocalities": "bool"},
    "fault": "any",
    "mirror": "any",
    "mirrors": "any",
    "mirrorPercentage": "any",
    "corsPolicy": "any",
    "headers": "any",
    "directResponse": "any",
}
VIRTUAL_SERVICE = {
    "hosts": ["list", "str"],
    "gateways": ["list", "str"],
    "http": ["list", VS_HTTP],
    "tls": "any",
    "tcp": "any",
    "exportTo": ["list", "str"],
}
TRAFFIC_POLICY = {
    "loadBalancer": "any",
    "connectionPool": {
        "tcp": {
            "maxConnections": "int",
            "connectTimeout": DURATION,
            "tcpKeepalive": "any",
            "maxConnectionDuration": DURATION,
        },
        "http": {
            "http1MaxPendingRequests": "int",
            "http2MaxRequests": "int",
            "maxRequestsPerConnection": "int",
            "maxRetries": "int",
            "idleTimeout": DURATION,
            "h2UpgradePolicy": "str",
            "useClientProtocol": "bool",
            "maxConcurrentStreams": "int",
        },
    },
    "outlierDetection": {
        "consecutive5xxErrors": "int",
        "consecutiveGatewayErrors": "int",
        "consecutiveLocalOriginFailures": "int",
        "splitExternalLocalOriginErrors": "bool",
        "interval": DURATION,
        "baseEjectionTime": DURATION,
        "maxEjectionPercent": "int",
        "minHealthPercent": "int",
    },
    "tls": "any",
    "portLevelSettings": "any",
    "tunnel": "any",
    "proxyProtocol": "any",
}
DESTINATION_RULE = {
    "host!": "str",
    "trafficPolicy": TRAFFIC_POLICY,
    "subsets": ["list", {"name!": "str", "labels": ["map", "str"], "trafficPolicy": TRAFFIC_POLICY}],
    "exportTo": ["list", "str"],
    "workloadSelector": "any",
}
PARENT_REF = {"group": "str", "kind": "str", "namespace": "str", "name!": "str", "sectionName": "str", "port": "int"}
BACKEND_REF = {
    "group": "str",
    "kind": "str",
    "name!": "str",
    "namespace": "str",
    "port": "int",
    "weight": "int",
    "filters": "any",
}
HTTP_ROUTE = {
    "parentRefs": ["list", PARENT_REF],
    "hostnames": ["list", "str"],
    "rules": ["list", {"name": "str", "matches": "any", "filters": "any", "backendRefs": ["list", BACKEND_REF],
                       "timeouts": {"request": DURATION, "backendRequest": DURATION}, "retry": "any",
                       "sessionPersistence": "any"}],
}  # fmt: skip
SCHEMAS = {"VirtualService": VIRTUAL_SERVICE, "DestinationRule": DESTINATION_RULE, "HTTPRoute": HTTP_ROUTE}
META_KEYS = {
    "name",
    "generateName",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
    "selfLink",
}
TYPES = {"str": str, "bool": bool, "num": (int, float)}


def invalid(kind: str, name: str, field: str, detail: str) -> ApiFailure:
    return ApiFailure(422, "Invalid", f'{kind} "{name}" is invalid: {field}: {detail}')


def _check(value: Any, schema: Any, where: str, problems: list[str]) -> None:
    if schema == "any":
        return
    if schema == "int":
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            problems.append(f'{where}: Invalid value: "{_type(value)}": {where} in body must be of type integer')
        return
    if isinstance(schema, str):
        if (isinstance(value, bool) and schema != "bool") or not isinstance(value, TYPES[schema]):
            want = {"str": "string", "bool": "boolean", "num": "number"}[schema]
            problems.append(f'{where}: Invalid value: "{_type(value)}": {where} in body must be of type {want}')
        return
    if isinstance(schema, list):
        container, item = schema
        if container == "list":
            if not isinstance(value, list):
                problems.append(f'{where}: Invalid value: "{_type(value)}": {where} in body must be of type array')
                return
            for i, v in enumerate(value):
                _check(v, item, f"{where}[{i}]", problems)
        else:
            if not isinstance(value, dict):
                problems.append(f'{where}: Invalid value: "{_type(value)}": {where} in body must be of type object')
                return
            for k, v in value.items():
                _check(v, item, f"{where}.{k}", problems)
        return
    if not isinstance(value, dict):
        problems.append(f'{where}: Invalid value: "{_type(value)}": {where} in body must be of type object')
        return
    fields = {k.rstrip("!"): s for k, s in schema.items()}
    for k in schema:
        if k.endswith("!") and k[:-1] not in value:
            problems.append(f"{where}.{k[:-1]}: Required value")
    for k, v in value.items():
        if k in fields and v is not None:  # (unknown fields were refused or dropped by ``decode``)
            _check(v, fields[k], f"{where}.{k}", problems)


def _type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "integer" if isinstance(value, int) else "number"
    )


def _prune(value: Any, schema: Any, where: str, found: list[str]) -> Any:
    """``value`` without the fields ``schema`` does not declare (the API server's pruning); their paths
    go to ``found``. Values of the wrong type are left for ``_check``."""
    if isinstance(schema, str):
        return value
    if isinstance(schema, list):
        container, item = schema
        if container == "list" and isinstance(value, list):
            return [_prune(v, item, f"{where}[{i}]", found) for i, v in enumerate(value)]
        if container == "map" and isinstance(value, dict):
            return {k: _prune(v, item, f"{where}.{k}", found) for k, v in value.items()}
        return value
    if not isinstance(value, dict):
        return value
    fields = {k.rstrip("!"): s for k, s in schema.items()}
    out = {}
    for k, v in value.items():
        if k not in fields:
            found.append(f'unknown field "{where}.{k}"')
        else:
            out[k] = _prune(v, fields[k], f"{where}.{k}", found)
    return out


def decode(kind: str, obj: dict[str, Any], directive: str) -> list[str]:
    """Fields the kind does not declare (in metadata; in the spec of a custom resource), as the API server
    decodes a body under ``?fieldValidation=``: Strict refuses them (400 BadRequest, every one named);
    Warn (the server's default) and Ignore drop them from ``obj``. The warnings to send (Warn only)."""
    found: list[str] = []
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        found += [f'unknown field "metadata.{k}"' for k in meta if k not in META_KEYS]
    schema = SCHEMAS.get(kind)
    spec = obj.get("spec")
    pruned = _prune(spec, schema, "spec", found) if schema is not None and isinstance(spec, dict) else spec
    if not found:
        return []
    if directive == "Strict":
        raise ApiFailure(400, "BadRequest", f"strict decoding error: {', '.join(found)}")
    if isinstance(meta, dict):
        for k in [k for k in meta if k not in META_KEYS]:
            del meta[k]
    if pruned is not spec:
        obj["spec"] = pruned
    return found if directive == "Warn" else []


def check_schema(kind: str, obj: dict[str, Any]) -> None:
    """A custom resource against its CRD's schema (unknown fields already refused or dropped): 422."""
    schema = SCHEMAS.get(kind)
    if schema is None:
        return
    problems: list[str] = []
    _check(obj.get("spec") or {}, schema, "spec", problems)
    name = (obj.get("metadata") or {}).get("name", "")
    if problems:
        raise ApiFailure(422, "Invalid", f'{kind}.{_group(kind)} "{name}" is invalid: [{", ".join(problems)}]')


def _group(kind: str) -> str:
    return "gateway.networking.k8s.io" if kind == "HTTPRoute" else "networking.istio.io"


def check_name(kind: str, name: str) -> None:
    if len(name) > 253 or not SUBDOMAIN.fullmatch(name):
        raise invalid(
            kind,
            name,
            "metadata.name",
            f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
            "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
            "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            + (" and must be no more than 253 characters" if len(name) > 253 else ""),
        )


def _label_key(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not SUBDOMAIN.fullmatch(prefix)):
        return "prefix part a lowercase RFC 1123 subdomain"
    if not name or len(name) > 63 or not LABEL.fullmatch(name):
        return "name part must consist of alphanumeric characters, '-', '_' or '.', at most 63, and must start and end with an alphanumeric character"
    return None


def check_meta(kind: str, obj: dict[str, Any]) -> None:
    meta = obj.get("metadata") or {}
    name = meta.get("name", "")
    for k, v in (meta.get("labels") or {}).items():
        problem = _label_key(str(k))
        if problem:
            raise invalid(kind, name, "metadata.labels", f'Invalid value: "{k}": {problem}')
        if not isinstance(v, str):
            raise ApiFailure(
                400,
                "BadRequest",
                f"json: cannot unmarshal {_type(v)} into Go struct field ObjectMeta.metadata.labels of type string",
            )
        if v and (len(v) > 63 or not LABEL.fullmatch(v)):
            raise invalid(
                kind,
                name,
                "metadata.labels",
                f"Invalid value: \"{v}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', at most 63",
            )
    annotations = meta.get("annotations") or {}
    for k, v in annotations.items():
        problem = _label_key(str(k))
        if problem:
            raise invalid(kind, name, "metadata.annotations", f'Invalid value: "{k}": {problem}')
        if not isinstance(v, str):
            raise ApiFailure(
                400,
                "BadRequest",
                f"json: cannot unmarshal {_type(v)} into Go struct field ObjectMeta.metadata.annotations of type string",
            )
    if sum(len(k) + len(v) for k, v in annotations.items()) > 256 * 1024:
        raise invalid(kind, name, "metadata.annotations", "Too long: must have at most 262144 bytes")


def _time(value: Any, field: str, micro: bool) -> None:
    pattern = MICRO if micro else RFC3339
    if value is not None and (not isinstance(value, str) or not pattern.fullmatch(value)):
        layout = "2006-01-02T15:04:05.000000Z07:00" if micro else "2006-01-02T15:04:05Z07:00"
        raise ApiFailure(400, "BadRequest", f'{field}: parsing time "{value}" as "{layout}": cannot parse')


def check_kind(kind: str, obj: dict[str, Any], ns: str) -> None:
    """The built-in kinds' own rules on the fields canary-tui writes."""
    meta = obj.get("metadata") or {}
    name = meta.get("name", "")
    _time(meta.get("creationTimestamp"), "metadata.creationTimestamp", micro=False)
    if kind == "ConfigMap":
        data = obj.get("data") or {}
        for k, v in data.items():
            if len(k) > 253 or not CONFIG_KEY.fullmatch(k):
                raise invalid(
                    kind,
                    name,
                    f"data[{k}]",
                    f"Invalid value: \"{k}\": a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                )
            if not isinstance(v, str):
                raise ApiFailure(
                    400,
                    "BadRequest",
                    f"json: cannot unmarshal {_type(v)} into Go struct field ConfigMap.data of type string",
                )
        size = sum(len(k) + len(v.encode()) for k, v in data.items())
        size += sum(len(k) + len(v) for k, v in (obj.get("binaryData") or {}).items())
        if size > ONE_MIB:
            raise invalid(kind, name, "[]", f"Too long: must have at most {ONE_MIB} bytes")
    elif kind == "Event":
        if len(json.dumps(obj).encode()) > ONE_MIB:
            raise ApiFailure(413, "RequestEntityTooLarge", "etcdserver: request is too large")
        involved = obj.get("involvedObject") or {}
        if involved.get("namespace") and involved["namespace"] != ns:
            raise invalid(
                kind,
                name,
                "involvedObject.namespace",
                f'Invalid value: "{involved["namespace"]}": does not match event.namespace',
            )
        for field in ("reason", "reportingInstance", "reportingComponent", "action"):
            if len(str(obj.get(field) or "")) > 128:
                raise invalid(kind, name, field, "Too long: must have at most 128 bytes")
        for field in ("firstTimestamp", "lastTimestamp"):
            _time(obj.get(field), field, micro=False)
        _time(obj.get("eventTime"), "eventTime", micro=True)
    elif kind == "Lease":
        spec = obj.get("spec") or {}
        for field in ("acquireTime", "renewTime"):
            _time(spec.get(field), f"spec.{field}", micro=True)
        for field in ("leaseDurationSeconds", "leaseTransitions"):
            v = spec.get(field)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
                raise ApiFailure(
                    400,
                    "BadRequest",
                    f"json: cannot unmarshal {_type(v)} into Go struct field LeaseSpec.spec.{field} of type int32",
                )
        if spec.get("leaseDurationSeconds") is not None and spec["leaseDurationSeconds"] <= 0:
            raise invalid(kind, name, "spec.leaseDurationSeconds", "Invalid value: must be greater than 0")
        if spec.get("leaseTransitions") is not None and spec["leaseTransitions"] < 0:
            raise invalid(kind, name, "spec.leaseTransitions", "Invalid value: must be greater than or equal to 0")


def validate(kind: str, api_version: str, obj: Any, ns: str, directive: str = "Strict") -> list[str]:
    """Every rule above for a body written at ``api_version`` (the URL's) in namespace ``ns``, unknown
    fields as ``directive`` (the request's ``fieldValidation``) says. The warnings for the answer."""
    if not isinstance(obj, dict):
        raise ApiFailure(400, "BadRequest", "the body of the request is not a JSON object")
    if obj.get("apiVersion") and obj["apiVersion"] != api_version:
        raise ApiFailure(
            400,
            "BadRequest",
            f"the API version in the data ({obj['apiVersion']}) does not match the expected API version "
            f"({api_version})",
        )
    if obj.get("kind") and obj["kind"] != kind:
        raise ApiFailure(
            400, "BadRequest", f"the kind in the data ({obj['kind']}) does not match the expected kind ({kind})"
        )
    warnings = decode(kind, obj, directive)
    meta = obj.get("metadata") or {}
    if meta.get("namespace") and meta["namespace"] != ns:
        raise ApiFailure(
            400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request"
        )
    name = meta.get("name") or (meta["generateName"] + "x7k2q" if meta.get("generateName") else None)
    if name is not None:
        check_name(kind, name)
    check_meta(kind, obj)
    check_kind(kind, obj, ns)
    check_schema(kind, obj)
    return warnings


def managed(obj: dict[str, Any], manager: str, operation: str) -> None:
    """Record ``manager`` in ``metadata.managedFields`` as the API server does on every write (one entry
    per manager and operation, its time the write's; the fieldsV1 set left coarse: the whole spec)."""
    meta = obj.setdefault("metadata", {})
    entries = [
        e for e in meta.get("managedFields") or [] if (e.get("manager"), e.get("operation")) != (manager, operation)
    ]
    entries.append(
        {
            "manager": manager,
            "operation": operation,
            "apiVersion": obj.get("apiVersion", "v1"),
            "time": now_text(),
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {}} if "spec" in obj else {"f:data": {}},
        }
    )
    meta["managedFields"] = entries
