"""Read-only by construction: the watcher's cluster client has no way to write, and only GETs reach the
API server."""

from __future__ import annotations

import inspect

import pytest

from canary_tui.kube.client import ApiError, Client, ConfigError, ReadClient
from canary_tui.watch.view import ClusterView

WRITING = ("create", "replace", "patch", "delete", "post", "put", "update", "review", "request", "write", "apply")


def test_the_view_has_no_write_method_and_holds_no_client(fake, mirror, tmp_path, monkeypatch):
    members = {name for name, _ in inspect.getmembers(ClusterView) if not name.startswith("__")}
    assert members == {"connect", "get", "identity", "list", "_ClusterView__fetch"}
    assert not [m for m in members if any(w in m.lower() for w in WRITING)]
    assert not issubclass(ClusterView, ReadClient)
    monkeypatch.setenv("KUBECONFIG", str(mirror.kubeconfig(tmp_path / "kubeconfig")))
    view = ClusterView.connect()
    # what it keeps: one function and who it is; nothing that is (or has) a client
    kept = [getattr(view, slot) for slot in ("_ClusterView__fetch", "identity")]
    assert not any(isinstance(k, ReadClient) for k in kept)
    with pytest.raises(AttributeError):
        view.extra = "no new attributes either"  # type: ignore[attr-defined]
    assert not any(isinstance(v, Client) for v in vars(type(view)).values())


def test_get_and_list_are_gets(fake, mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(mirror.kubeconfig(tmp_path / "kubeconfig")))
    view = ClusterView.connect("fake")
    assert view.identity.user == "alice-kubeconfig" and view.identity.context == "fake"
    dep = view.get("/apis/apps/v1/namespaces/shop/deployments/checkout-v2")
    assert dep["metadata"]["name"] == "checkout-v2"
    pods = view.list("/api/v1/namespaces/shop/pods", {"labelSelector": "app=checkout,version=v2"})
    assert len(pods) == 2
    with pytest.raises(ApiError) as e:
        view.get("/api/v1/namespaces/shop/configmaps/nope")
    assert e.value.not_found
    assert [(r.method, r.verb) for r in mirror.requests] == [("GET", "get"), ("GET", "list"), ("GET", "get")]
    assert fake.requests == []


def test_a_context_that_does_not_exist_is_a_config_error(mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(mirror.kubeconfig(tmp_path / "kubeconfig")))
    with pytest.raises(ConfigError, match="no context 'prod'"):
        ClusterView.connect("prod")
