"""``canary-tui watch (PLAN | --state-file PATH)``: the control room, read-only, over someone else's release.

It reads the driver's state (the ConfigMap ``canary-tui-<plan>``, or a local ``--state-file``), the
Lease and the pods, and nothing else: the golden signals are those of the driver's last evaluations,
never queried again. It writes nothing, anywhere: no audit log, no state, no report, no cluster object.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ..core.model import Plan
    from ..watch.follower import Follower

HELP = "follow a release read-only (shared screen): the same control room, no way to change anything"
DESCRIPTION = (
    "Follow a release that another canary-tui drives, read-only: from the cluster (the state the driver "
    "keeps in ConfigMap canary-tui-<plan>, its Lease, the pods) with PLAN, or from a local state file "
    "written by `demo --state-file` or `run --state-file`. The screen is the control room marked "
    "READ-ONLY: who drives and since when, how fresh the state is (STALE when the driver has not written "
    "for 3 intervals or its lease expired), the gates of the driver's last evaluations, the decisions and "
    "who took them. No key can change the release, and watch writes nothing anywhere."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("plan", type=Path, nargs="?", metavar="PLAN", help="the CanaryPlan being driven on the cluster")
    p.add_argument("--state-file", type=Path, metavar="PATH", help="follow this state file instead of the cluster")
    p.add_argument("--context", metavar="C", help="kubeconfig context (default: the current one)")
    p.add_argument("--namespace", "-n", metavar="NS", help="override the plan's metadata.namespace")
    p.add_argument(
        "--refresh", metavar="D", help="how often to read the state, e.g. 2s (default: the plan's interval; >= 1s)"
    )
    p.add_argument("--theme", metavar="NAME", help="a Textual theme, or high-contrast for a wall screen")


def refresh_seconds(args: argparse.Namespace, plan: Plan | None = None) -> float | None:
    """``--refresh`` or the plan's interval, in seconds; at least 1 s (InputError otherwise). Without a
    plan: ``--refresh`` alone (None when not given), checked before anything is read."""
    from ..core.durations import parse_duration
    from ..errors import InputError

    if args.refresh is None:
        return max(1.0, plan.interval.total_seconds()) if plan is not None else None
    try:
        seconds = parse_duration(args.refresh).total_seconds()
    except ValueError as e:
        raise InputError(f"--refresh: {e}") from None
    if seconds < 1.0:
        raise InputError(f"--refresh {args.refresh}: at least 1s (the state changes once per evaluation)")
    return seconds


def open_follower(args: argparse.Namespace) -> Follower:
    """The follower the CLI runs (and the tests drive): from the file or the cluster. InputError (exit 2)
    when there is nothing to follow: no PLAN and no file, no cluster. A state file that is not there
    yet, or not valid yet, is waited for (saying so on stderr)."""
    from ..errors import InputError

    refresh_seconds(args)  # a bad --refresh says so before anything is read
    if args.state_file is not None:
        return _from_file(args)
    if args.plan is None:
        raise InputError("watch needs PLAN (follow its release on the cluster) or --state-file PATH")
    return _from_cluster(args)


WAIT_POLL = 0.25  # seconds between looks at a state file that is not there, or not valid, yet


def _from_file(args: argparse.Namespace, err: TextIO | None = None) -> Follower:
    from ..core.planfile import load_plan
    from ..errors import InputError
    from ..watch.follower import Follower
    from ..watch.sources import FileSource

    plan = _wait_for_plan(args.state_file, err or sys.stderr)
    if plan is None:
        if args.plan is None:
            raise InputError(
                f"{args.state_file}: the state file does not carry its plan (an older canary-tui wrote it): "
                "give the plan too, `canary-tui watch PLAN --state-file PATH`"
            )
        plan = load_plan(args.plan)
    return Follower(plan, FileSource(args.state_file), refresh=refresh_seconds(args, plan) or 1.0)


def _wait_for_plan(path: Path, err: TextIO) -> Plan | None:
    """The plan of the state file at ``path`` (None: the document carries none), once the file is
    there and valid: until then, say on ``err`` what is awaited (each time it changes) and look again
    every ``WAIT_POLL`` seconds. A driver started after the watcher creates the file later."""
    from ..errors import InputError
    from ..sanitize import visible
    from ..statefile import read_state_file
    from ..watch.feed import plan_from_document

    said: str | None = None
    seen: tuple[int, int, int] | None = None
    why = ""
    while True:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            why, seen = "to appear", None
        except OSError as e:
            why, seen = f"to be readable ({e.strerror or e})", None
        else:
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            if stamp != seen:
                seen = stamp
                try:
                    return plan_from_document(read_state_file(path), str(path))
                except InputError as e:
                    problem = e.problems[0].message if e.problems else str(e)
                    why = f"to become a valid state document (now: {problem})"
        if why != said:
            said = why
            print(visible(f"canary-tui: waiting for the state file {path} {why}; Ctrl-C to stop"), file=err, flush=True)
        time.sleep(WAIT_POLL)


def _from_cluster(args: argparse.Namespace) -> Follower:
    from dataclasses import replace

    from ..core.planfile import load_plan
    from ..errors import InputError, Problem
    from ..kube.client import ApiError, ConfigError
    from ..kube.resources import CONFIGMAPS, METRICS, api_error_text, discover
    from ..kube.state import configmap_name, read_configmap
    from ..watch.follower import Follower
    from ..watch.sources import ClusterSource
    from ..watch.view import ClusterView

    plan = load_plan(args.plan)
    try:
        view = ClusterView.connect(args.context)
    except ConfigError as e:
        raise InputError(str(e)) from None
    from ..kube.session import resolve_namespace

    namespace = resolve_namespace(args.namespace, plan, view.identity.namespace)
    user = view.identity.user
    try:
        apis = discover(view)  # type: ignore[arg-type]  # it only calls ``get``
        cm = read_configmap(view, namespace, configmap_name(plan.name))  # type: ignore[arg-type]
    except ApiError as e:
        if e.status == 403:
            name = configmap_name(plan.name)
            hint = f"`canary-tui manifests {args.plan}` prints the Role canary-tui-watch-{plan.name} to bind"
            texts = (api_error_text(e, "get", CONFIGMAPS, name, namespace, user), hint)
            raise InputError([Problem(None, None, None, text) for text in texts]) from None
        raise InputError(f"cannot reach the Kubernetes API server at {view.identity.server}: {e}") from None
    stored = _stored_plan(cm)
    if stored is not None and stored.name == plan.name:
        plan = stored  # what the driver runs, even if the file here was edited since
    if plan.namespace != namespace:
        plan = replace(plan, namespace=namespace)
    source = ClusterSource(view, plan, namespace, metrics=apis.served(METRICS))
    return Follower(plan, source, refresh=refresh_seconds(args, plan) or 1.0)


def _stored_plan(cm: Any) -> Plan | None:
    """The plan inside the stored state, when there is one and it is valid (else the caller keeps PLAN)."""
    from ..errors import InputError
    from ..kube.state import stored_document
    from ..watch.feed import plan_from_document

    try:
        doc = stored_document(cm)
        return plan_from_document(doc, "the stored state") if doc is not None else None
    except InputError:
        return None


def check_theme(name: str | None) -> None:
    from ..errors import InputError
    from ..tui.themes import theme_names

    if name is not None and name not in theme_names():
        raise InputError(f"--theme {name!r}: no such theme; one of {', '.join(theme_names())}")


def run(args: argparse.Namespace) -> int:
    from ..core.rule import EXIT_CODES, Outcome
    from ..identity import actor
    from ..tui.app import make_app

    check_theme(args.theme)
    try:
        follower = open_follower(args)
    except KeyboardInterrupt:  # stopped while waiting for the state file: nothing was followed
        print("canary-tui: stopped before the state file was there", file=sys.stderr)
        return EXIT_CODES[Outcome.INCOMPLETE]
    app = make_app(follower, mode="watch", actor=actor(), theme=args.theme, owns_process=True)
    try:
        app.run()
    finally:
        follower.stop()
        if app.started.is_set():
            app.ended.wait(5)
    if app.error is not None:
        raise app.error
    state = follower.state
    outcome = state.outcome if state is not None and state.outcome is not None else Outcome.INCOMPLETE
    return EXIT_CODES[outcome]
