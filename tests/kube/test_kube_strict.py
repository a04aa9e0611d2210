"""The fake API server refuses what a real kube-apiserver refuses, rule by rule, over plain HTTP: names,
labels, MicroTime and RFC 3339 times, the CRD schemas, apiVersion, sizes, Event namespaces, selectors,
pagination with 410 Gone, strategic merge on custom resources. (The product's tests run against it.)"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
import yaml
from kubehelpers import GATEWAY, ISTIO, ROOT, destination_rule, http_route, virtual_service

CM = "/api/v1/namespaces/shop/configmaps"
LEASES = "/apis/coordination.k8s.io/v1/namespaces/shop/leases"
EVENTS = "/api/v1/namespaces/shop/events"
VS = f"/apis/{ISTIO}/v1/namespaces/shop/virtualservices"


def send(fake, method: str, path: str, body=None, query=None, ctype="application/json") -> tuple[int, dict, list]:
    """(status, body, the Warning headers) of one request."""
    url = fake.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"Bearer {fake.token}")
    if data is not None:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}"), r.headers.get_all("Warning") or []
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}"), e.headers.get_all("Warning") or []


def call(fake, method: str, path: str, body=None, query=None, ctype="application/json") -> tuple[int, dict]:
    code, out, _ = send(fake, method, path, body, query, ctype)
    return code, out


def cm(name: str, data=None, labels=None) -> dict:
    meta = {"name": name, **({"labels": labels} if labels else {})}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data or {}}


def lease(**spec) -> dict:
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l"}, "spec": spec}


def event(**fields) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "checkout.17a0c0ffee"},
        "involvedObject": {"kind": "VirtualService", "name": "checkout", "namespace": "shop"},
        "reason": "PhaseEntered",
        "message": "phase canary",
        "type": "Normal",
        "firstTimestamp": "2026-02-19T05:33:00Z",
        "lastTimestamp": "2026-02-19T05:33:00Z",
        **fields,
    }


@pytest.mark.parametrize("name", ["Checkout", "checkout_state", "-checkout", "checkout.", "a" * 254])
def test_names_must_be_dns_subdomains(fake, name):
    code, out = call(fake, "POST", CM, cm(name))
    assert (code, out["reason"]) == (422, "Invalid")
    assert "metadata.name: Invalid value" in out["message"] and "RFC 1123 subdomain" in out["message"]
    assert call(fake, "POST", CM, cm("a" * 253))[0] == 201


@pytest.mark.parametrize(
    "labels",
    [{"canary tui/plan": "x"}, {"canary-tui/": "x"}, {"x" * 64: "v"}, {"plan": "has space"}, {"plan": "v" * 64}],
)
def test_label_keys_and_values_have_their_syntax(fake, labels):
    code, out = call(fake, "POST", CM, cm("state", labels=labels))
    assert code == 422 and "metadata.labels" in out["message"]
    assert call(fake, "POST", CM, cm("state", labels={"canary-tui/plan": "checkout", "empty": ""}))[0] == 201


@pytest.mark.parametrize("stamp", ["2026-02-19T05:33:00Z", "2026-02-19T05:33:00.123Z", "2026-02-19 05:33:00.123456Z"])
def test_lease_times_are_microtime(fake, stamp):
    code, out = call(fake, "POST", LEASES, lease(holderIdentity="a", renewTime=stamp))
    assert code == 400 and "spec.renewTime: parsing time" in out["message"]
    ok = lease(holderIdentity="a", renewTime="2026-02-19T05:33:00.123456Z", acquireTime="2026-02-19T05:33:00.0+00:00")
    assert call(fake, "POST", LEASES, ok)[0] == 400  # one digit is not six
    ok["spec"]["acquireTime"] = "2026-02-19T05:33:00.000000+00:00"
    assert call(fake, "POST", LEASES, ok)[0] == 201


def test_lease_numbers_are_int32_and_positive(fake):
    code, out = call(fake, "POST", LEASES, lease(leaseDurationSeconds="30"))
    assert code == 400 and "of type int32" in out["message"]
    code, out = call(fake, "POST", LEASES, lease(leaseDurationSeconds=0))
    assert code == 422 and "spec.leaseDurationSeconds" in out["message"]
    code, out = call(fake, "POST", LEASES, lease(leaseTransitions=-1))
    assert code == 422 and "spec.leaseTransitions" in out["message"]


def test_event_times_namespace_and_size(fake):
    assert call(fake, "POST", EVENTS, event(firstTimestamp="yesterday"))[0] == 400
    assert call(fake, "POST", EVENTS, event(eventTime="2026-02-19T05:33:00Z"))[0] == 400  # eventTime is MicroTime
    code, out = call(fake, "POST", EVENTS, event(involvedObject={"kind": "Pod", "name": "p", "namespace": "other"}))
    assert code == 422 and "does not match event.namespace" in out["message"]
    assert call(fake, "POST", EVENTS, event(reason="R" * 129))[0] == 422
    code, out = call(fake, "POST", EVENTS, event(message="x" * (1024 * 1024)))
    assert code == 413 and "request is too large" in out["message"]
    assert call(fake, "POST", EVENTS, event())[0] == 201


def test_configmaps_hold_at_most_one_mebibyte_under_valid_keys(fake):
    code, out = call(fake, "POST", CM, cm("big", {"state.json": "x" * (1024 * 1024)}))
    assert code == 422 and "must have at most 1048576 bytes" in out["message"]
    assert call(fake, "POST", CM, cm("state", {"state/json": "{}"}))[0] == 422
    assert call(fake, "POST", CM, cm("state", {"state.json": 1}))[0] == 400
    assert call(fake, "POST", CM, cm("fits", {"state.json": "x" * (1024 * 1024 - 10)}))[0] == 201


def test_annotations_kinds_namespaces_timestamps_and_binary_data(fake):
    def with_meta(**meta) -> dict:
        body = cm("state")
        body["metadata"].update(meta)
        return body

    code, out = call(fake, "POST", CM, with_meta(annotations={"canary tui/x": "v"}))
    assert code == 422 and "metadata.annotations" in out["message"]
    code, out = call(fake, "POST", CM, with_meta(annotations={"a": "x" * (256 * 1024)}))
    assert code == 422 and "must have at most 262144 bytes" in out["message"]
    code, out = call(fake, "POST", CM, with_meta(namespace="other"))
    assert code == 400 and "does not match the namespace sent on the request" in out["message"]
    code, out = call(fake, "POST", CM, {**cm("state"), "kind": "Secret"})
    assert code == 400 and "does not match the expected kind" in out["message"]
    code, out = call(fake, "POST", LEASES, {**lease(), "metadata": {"name": "l", "creationTimestamp": "today"}})
    assert code == 400 and "metadata.creationTimestamp: parsing time" in out["message"]
    code, out = call(fake, "POST", CM, {**cm("big"), "binaryData": {"blob": "x" * (1024 * 1024)}})
    assert code == 422 and "must have at most 1048576 bytes" in out["message"]
    assert call(fake, "POST", CM, with_meta(annotations={"canary-tui/phase": "canary"}))[0] == 201


def test_virtualservice_schema_types_required_fields_and_unknown_fields(fake):
    def vs(change) -> dict:
        obj = virtual_service()
        obj["metadata"] = {"name": "other"}
        change(obj["spec"]["http"][0]["route"][0])
        return obj

    code, out = call(fake, "POST", VS, vs(lambda d: d.update(weight="50")))
    assert code == 422 and "spec.http[0].route[0].weight in body must be of type integer" in out["message"]
    code, out = call(fake, "POST", VS, vs(lambda d: d["destination"].pop("host")))
    assert code == 422 and "spec.http[0].route[0].destination.host: Required value" in out["message"]
    code, out = call(fake, "POST", VS, vs(lambda d: d.update(wieght=50)), query={"fieldValidation": "Strict"})
    assert code == 400 and 'strict decoding error: unknown field "spec.http[0].route[0].wieght"' in out["message"]
    assert call(fake, "POST", VS, vs(lambda d: d.update(weight=50)))[0] == 201


def test_unknown_fields_are_refused_only_under_strict_field_validation(fake):
    """A real API server refuses unknown fields only with ``?fieldValidation=Strict``; by default (Warn) it
    drops them and says so in a Warning header; Ignore drops them silently. canary-tui sends Strict."""
    path = f"{VS}/checkout"

    def typo(directive: str | None):
        _, obj = call(fake, "GET", path)
        obj["spec"]["http"][0]["route"][0]["wieght"] = 50  # a typo (or a field an older CRD lacks)
        obj["metadata"]["owner"] = "me"
        return send(fake, "PUT", path, obj, query={"fieldValidation": directive} if directive else None)

    code, out, warnings = typo("Strict")
    assert (code, out["reason"]) == (400, "BadRequest") and not warnings
    assert out["message"] == (
        'strict decoding error: unknown field "metadata.owner", unknown field "spec.http[0].route[0].wieght"'
    )
    for directive in (None, "Warn"):  # the server's default is Warn
        code, stored, warnings = typo(directive)
        assert code == 200
        assert warnings == [
            '299 - "unknown field \\"metadata.owner\\"", 299 - "unknown field \\"spec.http[0].route[0].wieght\\""'
        ]
        assert "wieght" not in stored["spec"]["http"][0]["route"][0] and "owner" not in stored["metadata"]
        assert "wieght" not in json.dumps(fake.get(ISTIO, "virtualservices", "checkout"))  # pruned, not kept
    code, stored, warnings = typo("Ignore")
    assert code == 200 and warnings == [] and "wieght" not in json.dumps(stored)
    code, out, _ = typo("strict")
    assert (code, out["reason"]) == (422, "Invalid") and 'Unsupported value: "strict"' in out["message"]


def test_canary_tui_writes_with_strict_field_validation(fake, kenv, monkeypatch):
    from canary_tui.kube.client import ApiError, connect

    monkeypatch.setenv("KUBECONFIG", kenv["KUBECONFIG"])
    client = connect()
    obj = client.get(f"{VS}/checkout")
    obj["spec"]["http"][0]["route"][0]["wieght"] = 50
    with pytest.raises(ApiError) as e:
        client.replace(f"{VS}/checkout", obj)  # an error, not a weight silently dropped
    assert e.value.status == 400 and 'unknown field "spec.http[0].route[0].wieght"' in str(e.value)
    del obj["spec"]["http"][0]["route"][0]["wieght"]
    client.replace(f"{VS}/checkout", obj)
    client.create(CM, cm("state"))
    writes = [r for r in fake.requests if r.method in ("POST", "PUT")]
    assert len(writes) == 3 and all(r.query.get("fieldValidation") == "Strict" for r in writes)


def test_destinationrule_and_httproute_schemas(fake):
    dr = destination_rule()
    dr["metadata"] = {"name": "other"}
    del dr["spec"]["subsets"][0]["name"]
    code, out = call(fake, "POST", f"/apis/{ISTIO}/v1/namespaces/shop/destinationrules", dr)
    assert code == 422 and "spec.subsets[0].name: Required value" in out["message"]
    route = http_route()
    route["metadata"] = {"name": "other"}
    route["spec"]["rules"][0]["backendRefs"][0]["weight"] = 1.5
    code, out = call(fake, "POST", f"/apis/{GATEWAY}/v1/namespaces/shop/httproutes", route)
    assert code == 422 and "backendRefs[0].weight in body must be of type integer" in out["message"]


def test_what_manifests_prints_is_accepted(fake, cli):
    out = cli("manifests", ROOT / "fixtures" / "plans" / "seed.yaml", "--namespace", "shop").out
    paths = {"VirtualService": VS, "DestinationRule": f"/apis/{ISTIO}/v1/namespaces/shop/destinationrules"}
    for doc in yaml.safe_load_all(out):
        if doc["kind"] in paths:
            code, answer = call(fake, "POST", paths[doc["kind"]], doc)
            assert code == 201, answer


def test_a_body_at_another_version_than_the_url_is_refused(fake):
    fake.groups[ISTIO] = ["v1beta1", "v1"]
    beta = f"/apis/{ISTIO}/v1beta1/namespaces/shop/virtualservices/checkout"
    code, obj = call(fake, "GET", beta)
    assert code == 200 and obj["apiVersion"] == f"{ISTIO}/v1beta1"  # served at the version asked for
    assert call(fake, "PUT", beta, obj)[0] == 200
    code, obj = call(fake, "GET", beta)
    code, out = call(fake, "PUT", beta, {**obj, "apiVersion": f"{ISTIO}/v1"})
    assert code == 400 and "does not match the expected API version" in out["message"]


def test_strategic_merge_is_refused_on_custom_resources(fake):
    code, out = call(fake, "PATCH", f"{VS}/checkout", {"spec": {}}, ctype="application/strategic-merge-patch+json")
    assert (code, out["reason"]) == (415, "UnsupportedMediaType")


def test_limit_and_continue_and_410_once_compacted(fake):
    for i in range(5):
        assert call(fake, "POST", CM, cm(f"cm-{i}"))[0] == 201
    code, page = call(fake, "GET", CM, query={"limit": "2"})
    assert code == 200 and [o["metadata"]["name"] for o in page["items"]] == ["cm-0", "cm-1"]
    assert page["metadata"]["remainingItemCount"] == 3
    code, page2 = call(fake, "GET", CM, query={"limit": "2", "continue": page["metadata"]["continue"]})
    assert [o["metadata"]["name"] for o in page2["items"]] == ["cm-2", "cm-3"]
    fake.compact()
    code, out = call(fake, "GET", CM, query={"limit": "2", "continue": page2["metadata"]["continue"]})
    assert (code, out["reason"]) == (410, "Expired") and out["metadata"]["continue"]
    code, rest = call(fake, "GET", CM, query={"continue": out["metadata"]["continue"]})
    assert [o["metadata"]["name"] for o in rest["items"]] == ["cm-4"]  # the inconsistent remainder
    assert call(fake, "GET", CM, query={"continue": "not-a-token"})[0] == 400
    code, out = call(fake, "GET", CM, query={"limit": "ten"})
    assert (code, out["reason"]) == (400, "BadRequest") and 'parsing "ten": invalid syntax' in out["message"]


def test_field_and_label_selectors(fake):
    pods = "/api/v1/namespaces/shop/pods"
    canary = fake.pods_of("checkout-v2")
    fake.pod_state(canary[0], "Pending")
    code, out = call(fake, "GET", pods, query={"fieldSelector": "status.phase=Pending"})
    assert code == 200 and [p["metadata"]["name"] for p in out["items"]] == [canary[0]]
    query = {"fieldSelector": f"metadata.name!={canary[0]}", "labelSelector": "version=v2"}
    code, out = call(fake, "GET", pods, query=query)
    assert [p["metadata"]["name"] for p in out["items"]] == canary[1:]
    code, out = call(fake, "GET", pods, query={"fieldSelector": "status.ready=true"})
    assert code == 400 and "field label not supported: status.ready" in out["message"]
    code, out = call(fake, "GET", CM, query={"fieldSelector": "status.phase=Running"})
    assert code == 400
    for bad in ("version in (v1", "version=v 2", "=v2", "version==v2,,"):
        code, out = call(fake, "GET", pods, query={"labelSelector": bad})
        assert code == 400 and "unable to parse requirement" in out["message"], bad
