"""Notifications from real runs (``canary-tui replay --headless``) to a local webhook receiver."""

from __future__ import annotations

import json
import time
from pathlib import Path

from notifyhelp import FIXTURES, fixture_with_notify, run_cli


def expected(log: Path, kinds: set[str]) -> list[dict]:
    """The events of the audit log a webhook asking for ``kinds`` should get, in order, without ``run``."""
    out = []
    for line in log.read_text().splitlines():
        e = json.loads(line)
        e.pop("run", None)
        t = e["type"]
        if t in ("phase", "result", "error"):
            kind = t
        elif t == "decision":
            kind = e["decision"]
        elif t == "action" and e["accepted"] and e["action"] in ("hold", "resume"):
            kind = e["action"]
        else:
            continue
        if kind in kinds:
            out.append(e)
    return out


def test_every_event_arrives_once_in_order_as_the_contracts_json(hook, tmp_path: Path) -> None:
    server = hook()
    fixture = fixture_with_notify(
        FIXTURES / "hold-resume.yaml",
        tmp_path / "f.yaml",
        [{"name": "audit", "format": "json", "url": server.url("/in/${HOOK_TOKEN}")}],
    )
    log = tmp_path / "a.jsonl"
    r = run_cli("replay", fixture, "--headless", "--log", log, env={"HOOK_TOKEN": "tok-123456"})
    assert r.returncode == 0, r.stderr
    assert "warning" not in r.stderr

    got = server.bodies()
    want = expected(log, {"phase", "hold", "resume", "promote", "rollback", "result", "error"})
    assert [b["type"] for b in got] == [w["type"] for w in want]
    assert [b.get("action") for b in got][:3] == [None, "hold", "resume"]
    for body, event in zip(got, want, strict=True):
        assert body.pop("plan") == "checkout" and body.pop("namespace") == "shop" and body.pop("mode") == "replay"
        assert body == event  # the contract's object, exactly as in the log
    assert all(r.path == "/in/tok-123456" for r in server.requests)
    assert all(r.headers["Content-Type"] == "application/json" for r in server.requests)


def test_a_webhook_gets_only_the_events_it_asked_for(hook, tmp_path: Path) -> None:
    server = hook()
    fixture = fixture_with_notify(
        FIXTURES / "error-spike-at-25.yaml",
        tmp_path / "f.yaml",
        [{"name": "pager", "format": "json", "urlEnv": "PAGER_URL", "events": ["rollback", "result"]}],
    )
    r = run_cli("replay", fixture, "--headless", "--log", tmp_path / "a.jsonl", env={"PAGER_URL": server.url()})
    assert r.returncode == 1, r.stderr
    got = server.bodies()
    assert [(b["type"], b.get("decision")) for b in got] == [("decision", "rollback"), ("result", None)]
    assert got[1]["outcome"] == "RolledBack" and "error_rate" in got[0]["reason"]


def test_slack_messages_are_blocks_and_outside_text_cannot_mention_or_link(hook, tmp_path: Path) -> None:
    server = hook()
    fixture = fixture_with_notify(
        FIXTURES / "operator-rollback.yaml",
        tmp_path / "f.yaml",
        [{"name": "team", "format": "slack", "urlEnv": "SLACK_URL"}],
        actions=[
            {"at": "3m", "action": "hold", "actor": "<!channel> <https://evil.example|click> & co"},
            {"at": "12m", "action": "rollback", "actor": "alice@laptop"},
        ],
    )
    r = run_cli("replay", fixture, "--headless", "--log", tmp_path / "a.jsonl", env={"SLACK_URL": server.url()})
    assert r.returncode == 1, r.stderr
    got = server.bodies()
    texts = [b["blocks"][0]["text"]["text"] for b in got]
    assert len(texts) == 4  # phase, hold, rollback, result
    assert texts[0].startswith(":arrow_forward: *checkout (shop)*: release started")
    hold = texts[1]
    assert "hold by &lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; co" in hold
    for b in got:
        raw = json.dumps(b)
        assert "<!channel>" not in raw and "<https://" not in raw
        assert b["blocks"][1]["type"] == "context" and "v1 → v2" in b["blocks"][1]["elements"][0]["text"]
        assert b["text"]  # the fallback text of notifications
    assert texts[2].startswith(":rotating_light:") and "ROLLED BACK" in texts[2] and "alice@laptop" in texts[2]
    assert texts[3].startswith(":x:") and "RolledBack" in texts[3]


def test_a_server_answering_500_is_retried_until_it_takes_the_event(hook, tmp_path: Path) -> None:
    server = hook("fail", failures=2)
    fixture = fixture_with_notify(
        FIXTURES / "operator-rollback.yaml",
        tmp_path / "f.yaml",
        [{"name": "flaky", "format": "json", "urlEnv": "HOOK", "events": ["rollback", "result"]}],
    )
    r = run_cli("replay", fixture, "--headless", "--log", tmp_path / "a.jsonl", env={"HOOK": server.url()})
    assert r.returncode == 1, r.stderr
    assert server.attempts == 4  # the rollback: 500, 500, 200; the result: 200
    assert [b["type"] for b in server.bodies()] == ["decision", "result"]
    assert "not delivered" not in r.stderr


def test_a_missing_variable_is_a_warning_and_the_run_goes_on(tmp_path: Path) -> None:
    fixture = fixture_with_notify(
        FIXTURES / "healthy-promotion.yaml",
        tmp_path / "f.yaml",
        [
            {"name": "team", "format": "slack", "url": "https://hooks.example.invalid/services/${NOT_SET_ANYWHERE}"},
            {"name": "ops", "format": "json", "urlEnv": "ALSO_NOT_SET"},
        ],
    )
    r = run_cli("replay", fixture, "--headless", "--log", tmp_path / "a.jsonl")
    assert r.returncode == 0, r.stderr
    assert "notify team: environment variable NOT_SET_ANYWHERE is not set; this webhook is off" in r.stderr
    assert "notify ops: environment variable ALSO_NOT_SET is not set; this webhook is off" in r.stderr
    assert "Traceback" not in r.stderr and "hooks.example.invalid" not in r.stderr


def test_a_hanging_receiver_holds_the_exit_only_for_the_bounded_wait_and_never_shows_the_url(
    hook, tmp_path: Path
) -> None:
    server = hook("hang")
    secret = "T0KEN-sup3r-s3cret"
    fixture = fixture_with_notify(
        FIXTURES / "error-spike-at-25.yaml",
        tmp_path / "f.yaml",
        [{"name": "stuck", "format": "json", "url": server.url("/hooks/${HOOK_SECRET}?key=${HOOK_SECRET}")}],
    )
    log = tmp_path / "a.jsonl"
    t = time.monotonic()
    r = run_cli("replay", fixture, "--headless", "--json", "--log", log, env={"HOOK_SECRET": secret})
    took = time.monotonic() - t
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout.splitlines()[-1])["type"] == "result"  # stdout is the contract's, untouched
    assert took < 8, took  # the run itself takes well under a second; then half a second for the notifications
    assert "notify stuck: gave up waiting after 0.5s" in r.stderr
    assert server.attempts >= 1
    for text in (r.stdout, r.stderr, log.read_text()):
        assert secret not in text and f"127.0.0.1:{server.port}" not in text  # (the bare port may be in a value)
