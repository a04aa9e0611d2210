"""kubectl's conventions: several KUBECONFIG files merged as kubectl merges them (for each name the first
file wins, the current-context is the first file's, relative paths are each file's own), the namespace
from --namespace, then the plan, then the kube context, then the in-cluster service account, then
"default", and the in-cluster configuration (service-account token, CA, namespace) over HTTPS."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fakeapi import FakeKube
from kubehelpers import ISTIO, ROOT, finish, lines, run_cli, seed, stored_doc, vs_weights

from canary_tui.kube.client import ApiError, ConfigError, connect

CM = "/api/v1/namespaces/shop/configmaps"


def write(path: Path, doc: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def config(clusters=(), users=(), contexts=(), current: str | None = None) -> dict:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": s}} for n, s in clusters],
        "users": [{"name": n, "user": u} for n, u in users],
        "contexts": [{"name": n, "context": c} for n, c in contexts],
    }
    if current is not None:
        doc["current-context"] = current
    return doc


@pytest.fixture
def two_files(fake, tmp_path) -> tuple[Path, Path]:
    """Two kubeconfig files in two folders, each naming a token file relative to its own folder. The
    second file repeats the first's names with values that cannot work (another server, a wrong token,
    another namespace), and has a context of its own whose user is the second file's."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "alice.token").write_text(fake.token)
    (tmp_path / "b" / "bob.token").write_text(fake.token)
    first = write(
        tmp_path / "a" / "config",
        config(
            clusters=[("fake", fake.url)],
            users=[("alice", {"tokenFile": "alice.token"})],
            contexts=[("fake", {"cluster": "fake", "user": "alice", "namespace": "shop"})],
            current="fake",
        ),
    )
    second = write(
        tmp_path / "b" / "config",
        config(
            clusters=[("fake", "http://127.0.0.1:9")],
            users=[("alice", {"token": "not-the-token"}), ("bob", {"tokenFile": "bob.token"})],
            contexts=[
                ("fake", {"cluster": "fake", "user": "alice", "namespace": "other"}),
                ("second", {"cluster": "fake", "user": "bob", "namespace": "second-ns"}),
            ],
            current="second",
        ),
    )
    return first, second


def test_kubeconfig_files_are_merged_as_kubectl_merges_them(fake, two_files, tmp_path, monkeypatch):
    first, second = two_files
    monkeypatch.chdir(tmp_path)  # relative token files are found beside their kubeconfig, not here
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(tmp_path / "missing"), str(first), "", str(second)]))
    client = connect()
    # the current-context is the first file's; its cluster, user and namespace are the first file's too
    assert (client.identity.context, client.identity.user, client.identity.namespace) == ("fake", "alice", "shop")
    assert client.identity.server == fake.url
    assert client.get(CM)["kind"] == "ConfigMapList"  # the first file's server and token
    # a context only the second file has works, with its user's token file beside the second file
    other = connect("second")
    assert (other.identity.user, other.identity.namespace) == ("bob", "second-ns")
    assert other.get(CM)["kind"] == "ConfigMapList"
    # the other way round, the second file's current-context and names win
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(second), str(first)]))
    assert connect().identity.context == "second"
    with pytest.raises(ApiError) as e:
        connect("fake").get(CM)
    assert e.value.reason == "connection refused"  # now the second file's cluster named "fake"
    with pytest.raises(ConfigError, match=r"no context .nope. in .*b/config, .*a/config \(contexts: fake, second\)"):
        connect("nope")


def kubeconfig_with(fake, path: Path, namespace: str | None) -> Path:
    context = {"cluster": "fake", "user": "alice-kubeconfig", **({"namespace": namespace} if namespace else {})}
    return write(
        path,
        config([("fake", fake.url)], [("alice-kubeconfig", {"token": fake.token})], [("fake", context)], "fake"),
    )


def without_namespace(plan: Path, namespace: str | None = None) -> Path:
    text = plan.read_text(encoding="utf-8")
    meta = f"{{name: checkout, namespace: {namespace}}}" if namespace else "{name: checkout}"
    plan.write_text(text.replace("metadata: {name: checkout, namespace: shop}", f"metadata: {meta}"))
    return plan


@pytest.mark.parametrize(
    ("flag", "in_plan", "in_context", "resolved"),
    [
        ("shop", "nowhere", "other", "shop"),  # --namespace first
        (None, "shop", "other", "shop"),  # then the plan's metadata.namespace
        (None, None, "shop", "shop"),  # then the kube context's
        (None, None, None, "default"),  # then "default"
    ],
)
def test_the_namespace_comes_from_the_flag_the_plan_the_context_then_default(
    fake, kenv, write_plan, tmp_path, flag, in_plan, in_context, resolved
):
    plan = without_namespace(write_plan("istio"), in_plan)
    env = {**kenv, "KUBECONFIG": str(kubeconfig_with(fake, tmp_path / "kubeconfig", in_context))}
    rc, out, err = run_cli(["check", str(plan), *(["--namespace", flag] if flag else [])], env)
    assert f"in namespace '{resolved}'" in out.splitlines()[0]
    assert re.search(rf"cluster: {re.escape(fake.url)} as alice \(context fake\), namespace {resolved}$", out, re.M)
    if resolved == "shop":
        assert rc == 0, out + err  # everything found there
    else:
        assert rc == 2 and "not found" in out  # nothing of the release in "default"


def test_a_plan_without_a_namespace_runs_in_the_contexts_namespace(fake, kenv, write_plan, tmp_path):
    plan = without_namespace(write_plan("istio"))
    env = {**kenv, "KUBECONFIG": str(kubeconfig_with(fake, tmp_path / "kubeconfig", "shop"))}
    rc, out, err = run_cli(["run", str(plan), "--headless", "--json"], env)
    assert rc == 0, err
    assert lines(out)[-1]["outcome"] == "Promoted"
    assert vs_weights(fake) == (0, 100)
    doc = stored_doc(fake)
    assert doc is not None and doc["plan"]["namespace"] == "shop"
    assert {r.path.split("/namespaces/")[1].split("/")[0] for r in fake.writes()} == {"shop"}


IN_CLUSTER = """
import os, runpy, sys
from pathlib import Path
sa = Path(os.environ["TEST_SA_DIR"])  # the pod's /var/run/secrets/kubernetes.io/serviceaccount
import kubernetes.config.incluster_config as incluster
incluster.SERVICE_TOKEN_FILENAME = str(sa / "token")
incluster.SERVICE_CERT_FILENAME = str(sa / "ca.crt")
import canary_tui.kube.client as client
client.SA_DIR = sa
sys.argv = ["canary-tui", *sys.argv[1:]]
runpy.run_module("canary_tui", run_name="__main__")
"""


@pytest.fixture
def in_cluster(tmp_path, state_home):
    """A fake API server over HTTPS (a self-signed certificate for 127.0.0.1), and the environment of a
    process in a pod of namespace shop: KUBERNETES_SERVICE_HOST/PORT, a service-account folder with the
    token, the CA and the namespace, and no kubeconfig anywhere."""
    sa = tmp_path / "serviceaccount"
    sa.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(tmp_path / "key.pem"), "-out", str(sa / "ca.crt")],
        check=True, capture_output=True,
    )  # fmt: skip
    server = FakeKube().start(tls=(sa / "ca.crt", tmp_path / "key.pem"))
    seed(server)
    (sa / "token").write_text(server.token)
    (sa / "namespace").write_text("shop\n")
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env.update(
        HOME=str(tmp_path / "home"),  # no ~/.kube/config
        KUBERNETES_SERVICE_HOST="127.0.0.1",
        KUBERNETES_SERVICE_PORT=str(server.port),
        TEST_SA_DIR=str(sa),
        XDG_STATE_HOME=str(state_home),
        NO_COLOR="1",
        CANARY_TUI_KUBE_TIMEOUT="3",
    )
    try:
        yield server, env
    finally:
        server.stop()


def in_pod(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", IN_CLUSTER, *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return finish(proc, timeout=90)


def test_in_a_pod_the_service_account_gives_the_token_the_ca_and_the_namespace(in_cluster, write_plan):
    server, env = in_cluster
    plan = without_namespace(write_plan("istio"))
    rc, out, err = in_pod(["check", str(plan)], env)
    assert rc == 0, out + err
    assert f"cluster: {server.url} as alice" in out and out.rstrip().count("FAIL") == 0
    assert "namespace shop" in out  # the service account's namespace: the plan names none
    rc, out, err = in_pod(["run", str(plan), "--headless", "--json"], env)
    assert rc == 0, err
    assert lines(out)[-1]["outcome"] == "Promoted"
    vs = server.get(ISTIO, "virtualservices", "checkout")
    assert [d["weight"] for d in vs["spec"]["http"][0]["route"]] == [0, 100]
    assert server.requests and all(r.status != 401 for r in server.requests)  # the token was sent (over TLS)
