"""The start check asks with the namespace the release runs in, and it never strands a release that
is already under way: a resumed run with Prometheus down goes on blind, loudly, and rolls back by
``noDataLimit`` (never promotes blind)."""

from __future__ import annotations

import json
import signal

from dripserver import DripServer
from fakeprom import FakePrometheus
from kubehelpers import finish, lines, run_cli, start, stored_doc, vs_weights, wait_for
from livehelp import live_plan, prom

GATES = (
    '    - {name: error_rate, query: \'errors{namespace="{{namespace}}",version="{{version}}"}\', failAbove: 0.05}\n'
    '    - {name: latency_p99, query: \'latency{namespace="{{namespace}}",version="{{version}}"}\', failAbove: 2.0}\n'
)


def only_in(p: FakePrometheus, namespace: str) -> None:
    """Series exist in ``namespace`` only: the gates' queries in "default" or "other" find nothing."""
    for ns in ("default", "shop", "other"):
        if ns == namespace:
            continue
        for metric in ("errors", "latency"):
            for version in ("v1", "v2"):
                p.aliases[f'{metric}{{namespace="{ns}",version="{version}"}}'] = "empty"


def asked_namespaces(p: FakePrometheus) -> set[str]:
    out = set()
    for _, query, _ in p.requests:
        text = (query.get("query") or [""])[0]
        if "namespace=" in text:
            out.add(text.split('namespace="')[1].split('"')[0])
    return out


def test_a_plan_without_a_namespace_is_checked_and_run_in_the_kube_contexts(fake, kenv, write_plan):
    """kubectl's order (--namespace, the plan, the context, the service account, "default"), resolved
    before Prometheus is asked: the context says shop, so do the queries."""
    with FakePrometheus() as p:
        only_in(p, "shop")
        plan = live_plan(write_plan, metrics=prom(p.url), namespace=False, gates=GATES)
        rc, out, err = run_cli(["check", str(plan)], kenv)
        assert rc == 0, out + err
        assert "valid CanaryPlan 'checkout' in namespace 'shop'" in out
        assert "ok   gate error_rate: stable v1 = " in out and "ok   gate latency_p99: stable v1 = " in out
        rc, out, err = run_cli(["run", str(plan), "--headless", "--json"], kenv)
        assert rc == 0, err
        assert "2 gate(s) give a value for stable" in err
        assert lines(out)[-1]["outcome"] == "Promoted"
        assert asked_namespaces(p) == {"shop"}
    assert vs_weights(fake) == (0, 100)


def test_check_asks_prometheus_in_the_namespace_given_by_flag(fake, kenv, write_plan):
    with FakePrometheus() as p:
        only_in(p, "other")
        plan = live_plan(write_plan, metrics=prom(p.url), gates=GATES)  # the plan says shop
        rc, out, _ = run_cli(["check", str(plan), "--namespace", "other"], kenv)
        assert "valid CanaryPlan 'checkout' in namespace 'other'" in out
        assert "ok   gate error_rate: stable v1 = " in out  # asked in other, where the series are
        assert rc == 2 and "FAIL stable deployment" in out  # (the Deployments are in shop)
        assert asked_namespaces(p) == {"other"}


def test_a_stopped_release_is_resumed_blind_when_prometheus_is_down_and_rolls_back_by_no_data_limit(
    fake, kenv, write_plan, drip: DripServer
):
    """Argo Rollouts and Flagger go on evaluating (and fail the analysis) when the metrics are gone; a
    resumed run does the same: it is not refused (nobody would drive the release then), it never
    promotes blind, and noDataLimit rolls it back unless the metrics come back."""
    plan = live_plan(write_plan, metrics=prom(drip.url), no_data_limit=3, durations=("60s", "60s", "60s"))
    driver = start(["run", str(plan), "--headless", "--json"], kenv)
    try:
        wait_for(lambda: (stored_doc(fake) or {}).get("state", {}).get("evaluations", 0) >= 2, what="evaluation 1")
        driver.send_signal(signal.SIGTERM)
        rc, _, err = finish(driver)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert rc == 3, err
    assert vs_weights(fake) == (95, 5)
    drip.go_down()

    rc, out, err = run_cli(["run", str(plan), "--headless", "--json"], kenv)
    assert rc == 1, err
    assert (
        f"canary-tui: warning: start check: FAIL prometheus: {drip.url} did not answer vector(1): connection refused"
        in err
    )
    assert "warning: resuming checkout although the start check failed" in err
    assert f"`canary-tui rollback {plan}` rolls it back now" in err
    assert "resuming in phase canary (1/4, canary 5%)" in err
    got = lines(out)
    blind = [e["message"] for e in got if e["type"] == "error"]
    assert blind[0] == (
        "metrics unavailable: connection refused (all 2 query gates nodata, 1/3); rollback in 2s if it persists"
    )
    decision = next(e for e in got if e["type"] == "decision")
    assert decision["decision"] == "rollback", decision
    assert "error_rate no data for 3 consecutive evaluations (connection refused)" in decision["reason"]
    assert not any(e["type"] == "phase" for e in got)  # never promoted blind
    assert got[-1]["type"] == "result" and got[-1]["outcome"] == "RolledBack"
    assert vs_weights(fake) == (100, 0)


def test_a_new_release_with_prometheus_down_is_still_refused_before_any_write(fake, kenv, write_plan):
    """No stored state: the start check refuses (exit 2), as before; nothing written, no lease taken."""
    down = DripServer()
    down.go_down()
    plan = live_plan(write_plan, metrics=prom(down.url))
    rc, out, err = run_cli(["run", str(plan), "--headless", "--json"], kenv)
    assert rc == 2 and out == "", err
    assert "the start check failed: run writes nothing until it passes" in err
    assert fake.writes(ok=False) == []
    assert json.dumps(stored_doc(fake)) == "null"


def test_a_dry_run_of_a_plan_without_a_namespace_says_which_one_it_asks_for(kenv, write_plan):
    """A dry run does not talk to the cluster, so it cannot know the context's namespace: it says so
    before its start check, and --namespace makes it ask where a live run would."""
    with FakePrometheus() as p:
        only_in(p, "shop")
        plan = live_plan(write_plan, metrics=prom(p.url), namespace=False, gates=GATES)
        rc, out, err = run_cli(["run", str(plan), "--dry-run", "--headless"], kenv)
        assert rc == 2, out + err
        assert 'the plan names no namespace: the queries ask for {{namespace}} = "default"' in out
        assert "FAIL gate error_rate: stable v1: empty result" in err
        rc, out, err = run_cli(["run", str(plan), "--dry-run", "--headless", "--namespace", "shop"], kenv)
        assert rc == 0, out + err
        assert "the plan names no namespace" not in out + err
