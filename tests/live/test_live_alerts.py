"""Mid-release loss of metrics is loud: "metrics unavailable: ..." on the screen (the banner), in the
log at every evaluation with the time left, and in the notifications (webhook, Kubernetes Event)
when it starts, when its reason changes and when it ends, not at every evaluation."""

from __future__ import annotations

import argparse
import asyncio
import time

from dripserver import DripServer
from hookserver import HookServer
from kubehelpers import vs_weights
from livehelp import events, live_plan, prom
from tui_helpers import screen_text

from canary_tui.commands.run_live import prepare
from canary_tui.tui.widgets.alert import AlertBanner

SLOW = "deadline 0.4s exceeded"
QUERIES = ("sum(rate(errors", "histogram_quantile")  # the two gates' queries


def test_notifications_hear_when_metrics_go_and_come_back_the_log_hears_every_evaluation(
    fake, kenv, write_plan, drip: DripServer, hook: HookServer, spawn
):
    plan = live_plan(write_plan, metrics=prom(drip.url), notify=True, durations=("3s", "1s", "1s"))
    p = spawn("run", plan, "--headless", "--json", env={**kenv, "HOOK": hook.url()})
    p.until(lambda line: line.data["type"] == "evaluation")
    drip.drip = QUERIES  # every query overruns its deadline: blind
    said = [p.until(lambda line: line.data["type"] == "error") for _ in range(2)]
    drip.drip = ()
    back = p.until(lambda line: line.data["type"] == "error")
    result = p.until(lambda line: line.data["type"] == "result", timeout=30)
    assert p.proc.wait(10) == 0 and result.data["outcome"] == "Promoted"
    first = f"metrics unavailable: {SLOW} (all 2 query gates nodata, 1/4); rollback in 3s if it persists"
    assert [x.data["message"] for x in said] == [
        first,
        f"metrics unavailable: {SLOW} (all 2 query gates nodata, 2/4); rollback in 2s if it persists",
    ]
    again = f"metrics available again: query gates have data after 2 evaluations without ({SLOW})"
    assert back.data["message"] == again
    # the webhook: the start and the end, not the repeat
    assert [b["message"] for b in hook.bodies() if b["type"] == "error"] == [first, again]
    # the Events: the same two
    assert [e["message"] for e in events(fake, "MetricsUnavailable")] == [first]
    assert [e["message"] for e in events(fake, "MetricsAvailable")] == [again]
    assert events(fake, "MetricsAvailable")[0]["type"] == "Normal"
    assert vs_weights(fake) == (0, 100)


def test_a_live_controller_going_blind_shows_the_banner(
    fake, kenv, write_plan, drip: DripServer, monkeypatch, tmp_path
):
    from canary_tui.tui.app import make_app

    for key in ("KUBECONFIG", "CANARY_TUI_KUBE_TIMEOUT", "XDG_STATE_HOME"):
        monkeypatch.setenv(key, kenv[key])
    plan = live_plan(write_plan, metrics=prom(drip.url), durations=("60s", "60s", "60s"))
    args = argparse.Namespace(
        plan=plan, context=None, namespace=None, dry_run=False, state_file=None, headless=False, json=False,
        verbose=False, log=tmp_path / "audit.jsonl",
    )  # fmt: skip
    live = prepare(args)
    app = make_app(live.controller, mode="run", actor=live.actor, tick=0.2)

    async def until(pilot, condition, timeout=15.0):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {condition}"
            await pilot.pause(0.05)

    def banner() -> str:
        return app.query_one(AlertBanner).text

    async def scenario() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.model.state is not None and app.model.state.evaluations >= 1)
            assert banner() == ""
            drip.go_down()  # Prometheus is gone
            await until(pilot, lambda: banner().startswith("metrics unavailable: connection refused"))
            assert banner().endswith("(all 2 query gates nodata, 1/4); rollback in 3s if it persists")
            await pilot.pause(0.2)
            assert "⚠ metrics unavailable: connection refused" in screen_text(app)

    try:
        asyncio.run(scenario())
    finally:
        live.controller.stop("test over")
        live.close()
    assert vs_weights(fake) == (95, 5)  # blind: held where it was (noDataLimit would roll it back)
