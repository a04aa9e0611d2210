"""The API server says no: 403 at start (exit 2, naming verb and resource, and ``check`` says the same),
403 mid-run (tests/kube/test_kube_retry.py), a rollback
that cannot be written (retried and logged until it lands), 429 with Retry-After, 5xx, timeouts,
404/422, and a cluster that cannot be reached or configured."""

from __future__ import annotations

import json

from kubehelpers import ISTIO, finish, lines, run_cli, start, vs_weight_writes, vs_weights, wait_for

VS = "/virtualservices/checkout$"


def test_403_on_the_route_at_start_names_verb_and_resource_and_exits_2(fake, kenv, write_plan):
    fake.forbid("update", ISTIO, "virtualservices", "checkout")
    plan = write_plan("istio")
    rc, out, err = run_cli(["run", str(plan), "--headless", "--json"], kenv)
    assert rc == 2 and out == ""
    assert "forbidden: alice may not update virtualservices.networking.istio.io/checkout in namespace shop" in err
    assert "Traceback" not in err and "manifests" in err
    assert fake.writes() == []
    # check says the same, and exits 2
    rc, out, err = run_cli(["check", str(plan)], kenv)
    assert rc == 2
    assert (
        "FAIL access: forbidden: alice may not update virtualservices.networking.istio.io/checkout in namespace shop"
        in out
    )


def test_403_on_reading_the_route_is_named_even_without_access_reviews(fake, kenv, write_plan):
    fake.fail("POST", "selfsubjectaccessreviews", 404, times=None)
    fake.forbid("get", ISTIO, "virtualservices", "checkout")
    rc, _, err = run_cli(["run", str(write_plan("istio")), "--headless"], kenv)
    assert rc == 2
    assert "forbidden: alice may not get virtualservices.networking.istio.io/checkout in namespace shop" in err
    assert 'cannot get resource "virtualservices"' in err  # and what the server said


def test_a_rollback_that_cannot_be_written_is_retried_and_logged_until_it_lands(fake, kenv, write_plan, tmp_path):
    log = tmp_path / "audit.jsonl"
    proc = start(
        [
            "run",
            str(write_plan("istio", fail=True, durations=("30s", "1s", "1s"))),
            "--headless",
            "--json",
            "--log",
            str(log),
        ],
        kenv,
    )
    try:
        wait_for(lambda: vs_weights(fake) == (95, 5), what="5%")
        fake.forbid("update", ISTIO, "virtualservices", "checkout")
        wait_for(
            lambda: len([r for r in fake.requests if r.method == "PUT" and r.status == 403]) >= 3,
            timeout=30,
            what="refused rollbacks",
        )
        assert vs_weights(fake) == (95, 5)
        fake.allow_all()
        rc, out, err = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 1, err
    events = lines(out)
    assert events[-1]["type"] == "result" and events[-1]["outcome"] == "RolledBack"  # last, once it landed
    errors = [e["message"] for e in events if e["type"] == "error"]
    assert len(errors) >= 3 and all(m.startswith("rollback not written: forbidden:") for m in errors)
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    assert sum(1 for e in logged if e["type"] == "error" and e["message"].startswith("rollback not written")) == len(
        errors
    )
    assert vs_weights(fake) == (100, 0)


def test_429_honours_retry_after(fake, kenv, write_plan):
    fake.fail("PUT", VS, 429, retry_after="2", message="too many requests, slow down")
    rc, out, err = run_cli(["run", str(write_plan("istio")), "--headless", "--json"], kenv)
    assert rc == 0, err
    errors = [e["message"] for e in lines(out) if e["type"] == "error"]
    assert len(errors) == 1 and "429" in errors[0] and errors[0].endswith("retry 1 in 2s")
    puts = [r for r in fake.requests if r.method == "PUT" and "virtualservices" in r.path]
    assert puts[0].status == 429 and puts[1].status == 200 and puts[1].at - puts[0].at >= 1.9
    assert vs_weight_writes(fake) == [5, 25, 50, 100]


def test_5xx_and_timeouts_back_off_and_recover(fake, kenv, write_plan):
    kenv = {**kenv, "CANARY_TUI_KUBE_TIMEOUT": "1"}
    fake.fail("PUT", VS, 500, times=2, message="etcdserver: request timed out")
    fake.hang("PUT", VS, 2.5, times=1)
    rc, out, err = run_cli(
        ["run", str(write_plan("istio", durations=("4s", "1s", "1s"))), "--headless", "--json"], kenv
    )
    assert rc == 0, err
    errors = [e["message"] for e in lines(out) if e["type"] == "error"]
    assert len(errors) == 3
    assert "500" in errors[0] and "etcdserver: request timed out" in errors[0]
    assert "timeout: no answer within 1s" in errors[2]
    assert vs_weight_writes(fake) == [5, 25, 50, 100]


def test_422_is_reported_plainly(fake, kenv, write_plan):
    fake.fail(
        "PUT", VS, 422, message='VirtualService.networking.istio.io "checkout" is invalid: weight: must sum to 100'
    )
    rc, out, err = run_cli(["run", str(write_plan("istio")), "--headless", "--json"], kenv)
    assert rc == 0, err
    errors = [e["message"] for e in lines(out) if e["type"] == "error"]
    assert errors[0].startswith(
        "weight 5% not written: update virtualservices.networking.istio.io/checkout in namespace shop: "
        '422 Unprocessable Entity: VirtualService.networking.istio.io "checkout" is invalid: weight: must sum to 100'
    )


def test_missing_route_object_or_subset_exits_2(fake, kenv, write_plan):
    plan = write_plan("istio")
    fake.edit(ISTIO, "virtualservices", "checkout", lambda vs: vs["spec"]["http"][0]["route"].pop(1))
    rc, _, err = run_cli(["run", str(plan), "--headless"], kenv)
    assert rc == 2 and "route 'primary' has no destination with subset v2-canary (subsets: 'v1-stable')" in err
    fake.delete(ISTIO, "virtualservices", "checkout")
    rc, _, err = run_cli(["run", str(plan), "--headless"], kenv)
    assert rc == 2 and "not found: virtualservices.networking.istio.io/checkout in namespace shop" in err
    assert fake.writes() == []


def test_no_cluster_or_bad_context_exits_2(fake, kenv, write_plan, tmp_path):
    plan = write_plan("istio")
    rc, _, err = run_cli(["run", str(plan), "--headless", "--context", "nope"], kenv)
    assert rc == 2 and "no context 'nope'" in err and "elsewhere, fake" in err
    rc, _, err = run_cli(["run", str(plan), "--headless"], {**kenv, "KUBECONFIG": str(tmp_path / "missing")})
    assert rc == 2 and "no kubeconfig at" in err
    fake.stop()
    rc, _, err = run_cli(["run", str(plan), "--headless"], kenv)
    assert rc == 2 and "cannot reach the Kubernetes API server at http://127.0.0.1:" in err
    for text in (err,):
        assert "Traceback" not in text and fake.token not in text
