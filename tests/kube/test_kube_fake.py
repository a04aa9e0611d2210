"""The fake API server behaves like a real one where canary-tui (and watch) depend on it, checked
through the kubernetes client's own typed APIs: resourceVersion conflicts, the patch types each kind
accepts (strategic merge refused on custom resources), and the faults it injects on demand."""

from __future__ import annotations

import json
import time

import pytest
from kubehelpers import ISTIO


@pytest.fixture
def api(fake, kenv):
    from kubernetes import config

    return config.new_client_from_config(config_file=kenv["KUBECONFIG"])


def test_custom_resources_take_json_and_merge_patches_but_not_strategic_merge(api, fake):
    from kubernetes.client import CustomObjectsApi
    from kubernetes.client.exceptions import ApiException

    crs = CustomObjectsApi(api)
    args = (ISTIO, "v1", "shop", "virtualservices", "checkout")
    with pytest.raises(ApiException) as e:
        crs.patch_namespaced_custom_object(
            *args, body={"spec": {"hosts": ["x"]}}, _content_type="application/strategic-merge-patch+json"
        )
    assert e.value.status == 415
    crs.patch_namespaced_custom_object(
        *args, body={"spec": {"gateways": ["mesh"]}}
    )  # merge patch, the client's default
    vs = crs.get_namespaced_custom_object(*args)
    assert vs["spec"]["gateways"] == ["mesh"] and len(vs["spec"]["http"]) == 2
    bad_test = [
        {"op": "test", "path": "/spec/http/0/route/1/weight", "value": 50},
        {"op": "replace", "path": "/spec/http/0/route/1/weight", "value": 50},
    ]
    with pytest.raises(ApiException) as e:
        crs.patch_namespaced_custom_object(*args, body=bad_test, _content_type="application/json-patch+json")
    assert e.value.status == 422
    stale = {**vs, "metadata": {**vs["metadata"], "resourceVersion": "1"}}
    with pytest.raises(ApiException) as e:
        crs.replace_namespaced_custom_object(*args, body=stale)
    assert e.value.status == 409
    blind = {**vs, "metadata": {k: v for k, v in vs["metadata"].items() if k != "resourceVersion"}}
    with pytest.raises(ApiException) as e:
        crs.replace_namespaced_custom_object(*args, body=blind)
    assert e.value.status == 422  # a custom resource is never updated without a resourceVersion


def test_built_in_kinds_take_strategic_merge_and_scale(api, fake):
    from kubernetes.client import AppsV1Api, CoreV1Api

    apps = AppsV1Api(api)
    apps.patch_namespaced_deployment_scale("checkout-v2", "shop", {"spec": {"replicas": 3}})
    assert apps.read_namespaced_deployment_scale("checkout-v2", "shop").spec.replicas == 3
    pods = CoreV1Api(api).list_namespaced_pod("shop", label_selector="app=checkout,version=v2")
    assert len(pods.items) == 3 and all(p.status.phase == "Running" for p in pods.items)


def test_faults_on_demand_and_the_request_log(api, fake, kenv):
    from kubernetes import client, config
    from kubernetes.client import CoreV1Api
    from kubernetes.client.exceptions import ApiException

    # the stock client sleeps Retry-After inside the call (urllib3's default Retry) and tries again
    fake.fail("GET", "/pods$", 429, retry_after="1")
    started = time.monotonic()
    CoreV1Api(api).list_namespaced_pod("shop")
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in fake.requests[-2:]] == [429, 200]
    # canary-tui's configuration turns that off: the 429 and its Retry-After reach the caller at once
    cfg = client.Configuration()
    config.load_kube_config(config_file=kenv["KUBECONFIG"], client_configuration=cfg)
    cfg.retries = False
    core = CoreV1Api(client.ApiClient(cfg))
    fake.fail("GET", "/pods$", 429, retry_after="7")
    with pytest.raises(ApiException) as e:
        core.list_namespaced_pod("shop")
    assert e.value.status == 429 and e.value.headers["Retry-After"] == "7"
    fake.forbid("list", "", "pods")
    with pytest.raises(ApiException) as e:
        core.list_namespaced_pod("shop")
    assert e.value.status == 403 and 'cannot list resource "pods"' in json.loads(e.value.body)["message"]
    assert [(r.method, r.verb, r.status) for r in fake.requests[-2:]] == [("GET", "list", 429), ("GET", "list", 403)]
