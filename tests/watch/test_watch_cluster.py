"""Acceptance: a watcher follows a live ``run`` on the fake API server to its outcome while 1,000 random
keys are pressed at it, and the server's request log shows it only ever read (GET: get, list).

The driver (``canary-tui run`` in a subprocess) talks to the fake server; the watcher (the app in this
process, built by the CLI's own ``open_follower``) talks to a mirror of it over the same objects, whose
request log therefore holds the watcher's requests and nothing else."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import time
from pathlib import Path

import pytest
from kubehelpers import lines, run_cli, start, stored_doc, vs_weights, wait_for
from textual.events import Key
from watch_helpers import Tree, run, screen_text

from canary_tui.commands.watch import open_follower
from canary_tui.errors import InputError
from canary_tui.tui.app import make_app
from canary_tui.watch.info import freshness

pytestmark = pytest.mark.slow

# every key the control room binds, in any mode, and keys of the screens it opens; quitting (q, ctrl+q)
# ends a watch app: the test then opens another, as a person would, so those two come less often
KEYS = {
    "p": "p", "h": "h", "r": "r", "space": " ", "plus": "+", "minus": "-", "equals_sign": "=", "n": "n",
    "g": "g", "slash": "/", "s": "s", "w": "w", "question_mark": "?", "colon": ":", "ctrl+p": None,
    "escape": "\x1b", "enter": "\r", "tab": "\t", "shift+tab": None, "up": None, "down": None, "left": None,
    "right": None, "pageup": None, "pagedown": None, "home": None, "end": None, "y": "y", "a": "a", "x": "x",
    "1": "1", "backspace": "\x7f", "ctrl+c": None, "q": "q", "ctrl+q": None,
}  # fmt: skip
WEIGHTS = [0.25 if k in ("q", "ctrl+q") else 1.0 for k in KEYS]
PRESSES = 1000
PATH = re.compile(
    r"^/(?:api/v1|apis/(?P<group>[^/]+)/[^/]+)/namespaces/[^/]+/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?(?:/(?P<sub>[^/]+))?$"
)


def watch_args(plan: Path, **kw) -> argparse.Namespace:
    base = dict(plan=plan, state_file=None, context=None, namespace=None, refresh="1s", theme=None)
    return argparse.Namespace(**{**base, **kw})


@pytest.fixture
def watcher_env(mirror, tmp_path, monkeypatch) -> Path:
    """This process as a watcher: its kubeconfig points at the mirror; it runs in an empty folder with an
    empty state folder, to show that it writes nothing."""
    quiet = tmp_path / "watcher"
    (quiet / "state").mkdir(parents=True)
    monkeypatch.setenv("KUBECONFIG", str(mirror.kubeconfig(tmp_path / "watcher.kubeconfig")))
    monkeypatch.setenv("CANARY_TUI_KUBE_TIMEOUT", "3")
    monkeypatch.setenv("XDG_STATE_HOME", str(quiet / "state"))
    monkeypatch.chdir(quiet)
    return quiet


def test_a_watcher_follows_a_run_to_its_outcome_and_only_reads(fake, mirror, kenv, write_plan, watcher_env):
    plan = write_plan("istio", durations=("10s", "10s", "10s"))
    args = watch_args(plan)
    rng = random.Random(6)
    seen: set[int] = set()
    presses = 0
    apps = 0
    driver = None
    last_text = ""

    async def session() -> bool:
        """One watch app until it is quit (True) or the test is done (False)."""
        nonlocal presses, apps, driver, last_text
        app = make_app(open_follower(args), mode="watch", actor="bob@wall", tick=0.25)
        apps += 1
        async with app.run_test(size=(120, 40)) as pilot:
            if driver is None:  # the watcher is up before the driver: it waits for a state
                await pilot.pause(0.3)
                assert "no release of checkout has started" in screen_text(app)
                driver = start(["run", str(plan), "--headless", "--json"], kenv)
            while True:
                if not app.is_running:
                    return True
                state = app.model.state
                if state is not None:
                    seen.add(state.phase_index)
                    seen.update(i for i, p in enumerate(app.model.plan.phases) for row in app.model.rows
                                if row.kind == "phase" and row.text.startswith(p.name + " "))  # fmt: skip
                finished = driver.poll() is not None
                if presses >= PRESSES and finished and state is not None and state.done:
                    await pilot.pause(0.3)
                    last_text = screen_text(app)
                    return False
                if presses < PRESSES:
                    # a key as a terminal sends it (the message the driver posts), without Pilot's wait
                    # for an idle screen after each one (40 ms or more): 1,000 keys within the release
                    key = rng.choices(list(KEYS), WEIGHTS)[0]
                    app.post_message(Key(key, KEYS[key]))
                    presses += 1
                    await asyncio.sleep(0.004)
                    if presses % 20 == 0:
                        await pilot.pause()
                else:
                    await pilot.pause(0.1)

    deadline = time.monotonic() + 120
    while run(session()):
        assert time.monotonic() < deadline, "the release did not end in time"
    out, err = driver.communicate(timeout=30)
    events = lines(out)
    result = events[-1]
    assert result["type"] == "result" and driver.returncode == 0, err
    driven = {e["index"] for e in events if e["type"] == "phase"}
    # the screen followed the phases to the same outcome
    assert seen == driven == {0, 1, 2, 3}
    header = last_text.splitlines()[0]
    assert "READ-ONLY" in header and result["outcome"] in header
    # read-only: every request of the watcher was a GET (get or list), and it wrote no file
    assert len(mirror.requests) > 20
    assert {(r.method, r.verb) for r in mirror.requests} <= {("GET", "get"), ("GET", "list"), ("GET", "watch")}
    assert Tree(watcher_env).files() == {}
    assert fake.writes()  # (the driver did write: the two logs are told apart)
    print(f"{presses} keys over {apps} watch app(s); {len(mirror.requests)} requests, all GET")


def allows(role: dict, verb: str, group: str, resource: str, name: str | None) -> bool:
    return any(
        group in rule["apiGroups"]
        and resource in rule["resources"]
        and verb in rule["verbs"]
        and ("resourceNames" not in rule or name in rule["resourceNames"])
        for rule in role["rules"]
    )


def test_the_watch_role_allows_everything_a_watcher_does(fake, mirror, kenv, write_plan, watcher_env):
    import yaml

    plan = write_plan("istio", durations=("1s", "1s", "1s"))
    rc, out, err = run_cli(["run", str(plan), "--headless"], kenv)
    assert rc == 0, err
    rc, out, err = run_cli(["manifests", str(plan)], kenv)
    roles = [d for d in yaml.safe_load_all(out) if d and d["kind"] == "Role"]
    role = next(r for r in roles if r["metadata"]["name"] == "canary-tui-watch-checkout")
    follower = open_follower(watch_args(plan))
    follower.poll()
    follower.poll()
    assert follower.state is not None and follower.state.outcome.value == "Promoted"
    assert freshness(follower.info, time.time()).stale is None  # decided: the free lease is no news
    used = set()
    for r in mirror.requests:
        m = PATH.match(r.path)
        if m is None:
            continue  # discovery (GET /apis): allowed to every authenticated user by default
        used.add((r.verb, m["group"] or "", m["plural"] + (f"/{m['sub']}" if m["sub"] else ""), m["name"]))
    assert {u[0] for u in used} <= {"get", "list"}
    for need in used:
        assert allows(role, *need), need


def test_watch_says_plainly_what_it_cannot_read(fake, mirror, write_plan, watcher_env):
    plan = write_plan("istio")
    mirror.forbid("get", "", "configmaps")
    with pytest.raises(InputError) as e:
        open_follower(watch_args(plan))
    texts = [str(p) for p in e.value.problems]
    assert texts[0].startswith(
        "forbidden: alice-kubeconfig may not get configmaps/canary-tui-checkout in namespace shop"
    )
    assert "prints the Role canary-tui-watch-checkout" in texts[1]
    with pytest.raises(InputError, match="no context 'nope'"):
        open_follower(watch_args(plan, context="nope"))
    with pytest.raises(InputError, match="at least 1s"):
        open_follower(watch_args(plan, refresh="500ms"))
    assert all(r.method == "GET" for r in mirror.requests)


def test_a_stale_lease_and_a_killed_driver_show_in_the_info(fake, mirror, kenv, write_plan, watcher_env):
    """A run killed mid-release leaves its lease to expire: the watcher says the state is stale."""
    plan = write_plan("istio", durations=("60s", "1s", "1s"))
    driver = start(["run", str(plan), "--headless", "--json"], kenv)
    try:
        # killed mid-release: once the weights moved and the first evaluation is stored
        wait_for(lambda: vs_weights(fake) == (95, 5), what="the driver's 5%")
        wait_for(lambda: (stored_doc(fake) or {}).get("state", {}).get("evaluations", 0) >= 1, what="an evaluation")
    finally:
        driver.kill()
        driver.communicate()
    follower = open_follower(watch_args(plan))
    follower.poll()
    assert follower.state is not None and follower.state.phase_index == 0 and not follower.state.done
    # the same machine: the lease names a process that is gone
    assert follower.info.gone is not None and f"pid {driver.pid}" in follower.info.gone
    # as another machine sees it: expiry is judged on the watcher's own clock (client-go's rule), so an
    # old renewTime alone proves nothing; the record must stay unchanged for leaseDurationSeconds
    lease = fake.get("coordination.k8s.io", "leases", "canary-tui-checkout")

    def age(lease_obj):
        lease_obj["spec"]["renewTime"] = "2020-01-01T00:00:00.000000Z"
        lease_obj["spec"]["leaseDurationSeconds"] = 1
        lease_obj["metadata"]["annotations"]["canary-tui/host"] = "elsewhere"

    fake.edit("coordination.k8s.io", "leases", "canary-tui-checkout", age)
    follower.poll()
    assert follower.info.lease is None  # first seen now: not stale yet, however old its renewTime
    deadline = time.monotonic() + 10
    while follower.info.lease is None:
        assert time.monotonic() < deadline, "the unchanged lease never went stale"
        time.sleep(0.1)
        follower.poll()
    assert "lease expired" in follower.info.lease and "while watched" in follower.info.lease
    assert lease["spec"]["holderIdentity"] in (follower.info.driver or "")
    doc = json.loads(fake.get("", "configmaps", "canary-tui-checkout")["data"]["state.json"])
    assert doc["planDocument"]["metadata"]["name"] == "checkout"
