"""What watching costs: the state document's size, the driver's extra work per save, and one poll of a
watcher (from a file, and from the fake API server of the tests, with the requests it makes).

Run: .venv/bin/python benchmarks/watch_poll.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kube"))

from fakeapi import FakeKube  # noqa: E402
from kubehelpers import plan_text, seed  # noqa: E402

from canary_tui.commands import demo as demo_command  # noqa: E402
from canary_tui.statefile import DocumentBuilder, encode, read_state_file, write_state_file  # noqa: E402


def median_ms(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def demo_doc(tmp: Path, evaluations: int | None = None) -> tuple[Path, object, list[object]]:
    """A real demo controller's state file (demo plan: 8 gates, 1 check), and its last snapshot."""
    path = tmp / "state.json"
    args = argparse.Namespace(scenario="healthy", seed=0, start=None, plan=None, state_file=path)
    plan, start = demo_command.load(args)
    controller, _ = demo_command.build(args, plan, start, None, [])
    last: list[object] = []
    controller.listeners.append(lambda snap: last.append(snap))
    controller.run()
    return path, plan, last


def sizes(path: Path) -> None:
    doc = read_state_file(path)
    whole = len(encode(doc))
    print(f"state document after a healthy demo release ({doc['state']['evaluations']} evaluations):")
    for key in ("recent", "planDocument", "history", "pods", "state", "process"):
        print(f"  {key:<13} {len(json.dumps(doc[key], separators=(',', ':'))):>7,} bytes")
    print(f"  {'whole':<13} {whole:>7,} bytes")
    per = [len(json.dumps(e, separators=(",", ":"))) for e in doc["recent"]["evaluations"]]
    print(f"  one evaluation in `recent`: {statistics.median(per):.0f} bytes (median)")


def save_cost(plan: object, snaps: list[object]) -> None:
    builder = DocumentBuilder(plan, mode="demo")  # type: ignore[arg-type]
    for s in snaps:
        builder.document(s)  # type: ignore[arg-type]
    snap = snaps[-1]
    build = median_ms(lambda: builder.document(snap), 500)  # type: ignore[arg-type]
    enc = median_ms(lambda: encode(builder.document(snap)), 500)  # type: ignore[arg-type]
    print(f"driver, per save: build the document {build:.3f} ms, build and encode {enc:.3f} ms (median of 500)")


def file_poll(path: Path) -> None:
    from canary_tui.watch.feed import plan_from_document
    from canary_tui.watch.follower import Follower
    from canary_tui.watch.sources import FileSource

    plan = plan_from_document(read_state_file(path), str(path))
    assert plan is not None
    doc = read_state_file(path)

    def changed() -> None:
        f = Follower(plan, FileSource(path), refresh=1.0)
        f.poll()

    same = Follower(plan, FileSource(path), refresh=1.0)
    same.poll()
    print(
        f"watcher, one poll of the file: first read (parse, state, every event) {median_ms(changed, 200):.2f} ms; "
        f"unchanged (stat only) {median_ms(same.poll, 2000):.3f} ms"
    )
    f = Follower(plan, FileSource(path), refresh=1.0)
    f.poll()

    def rewrite() -> None:  # the driver wrote again: a new file (same content), read and fed again
        write_state_file(path, doc)
        f.poll()

    print(f"watcher, a poll after the driver rewrote the file: {median_ms(rewrite, 200):.2f} ms (write included)")


def cluster_poll(tmp: Path) -> None:
    from canary_tui.commands.watch import open_follower

    fake = FakeKube().start()
    seed(fake)
    plan_path = tmp / "plan.yaml"
    plan_path.write_text(plan_text("istio", durations=("1s", "1s", "1s")))
    env = {**os.environ, "KUBECONFIG": str(fake.kubeconfig(tmp / "kubeconfig")), "XDG_STATE_HOME": str(tmp / "s")}
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "canary_tui", "run", str(plan_path), "--headless"], env=env, cwd=ROOT, check=True
    )
    os.environ["KUBECONFIG"] = env["KUBECONFIG"]
    try:
        for latency in (0.0, 0.025):
            fake.latency = latency
            before = len(fake.requests)
            args = argparse.Namespace(
                plan=plan_path, state_file=None, context=None, namespace=None, refresh="1s", theme=None
            )
            t = time.perf_counter()
            f = open_follower(args)
            f.poll()
            first = (time.perf_counter() - t) * 1000
            start_requests = fake.requests[before:]
            mark = len(fake.requests)
            polls = [median_ms(f.poll, 20)]
            per = fake.requests[mark:]
            kinds = Counter(f"{r.method} {r.verb} {r.path.split('/')[-1]}" for r in per)
            print(
                f"watcher on the fake API server, round trip +{latency * 1000:.0f} ms: "
                f"start and first poll {first:.0f} ms "
                f"({len(start_requests)} requests); then one poll {polls[0]:.1f} ms, "
                f"{len(per) / 20:.0f} requests each: {dict((k, v // 20) for k, v in kinds.items())}"
            )
            assert all(r.method == "GET" for r in fake.requests[before:])
    finally:
        fake.stop()


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    path, plan, snaps = demo_doc(tmp)
    sizes(path)
    save_cost(plan, snaps)
    file_poll(path)
    cluster_poll(tmp)


if __name__ == "__main__":
    main()
