"""Validation of the plan extensions ``spec.checks`` and ``spec.notify`` (see docs/checks.md, docs/notifications.md)."""

from __future__ import annotations

from datetime import timedelta
from types import MappingProxyType
from typing import Any

from .extensions import ENV_REF, NOTIFY_EVENTS, Check, CheckWhen, CommandProbe, HttpProbe, Notify, NotifyFormat
from .reader import Reader
from .source import Path

CHECK_NAME = r"[a-z0-9]([-a-z0-9_]*[a-z0-9])?"
DEFAULT_CHECK_TIMEOUT = timedelta(seconds=30)


def read_checks(r: Reader, value: Any, phase_names: set[str] | None, gate_names: set[str]) -> tuple[Check, ...]:
    items = r.get({"checks": value}, ("spec",), "checks", "list", [])
    out: list[Check] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        p: Path = ("spec", "checks", i)
        m = r.mapping(item, p, ["name", "when", "phases", "timeout", "http", "command"], ["name"])
        if m is None:
            continue
        name = r.name(m, p, "name", CHECK_NAME, "check name")
        if name is not None and (name in seen or name in gate_names):
            r.problem((*p, "name"), f"{name!r} is already the name of a {'check' if name in seen else 'gate'}")
            name = None
        when = CheckWhen(r.choice(m, p, "when", [w.value for w in CheckWhen], "promote"))
        timeout = r.duration(m, p, "timeout", DEFAULT_CHECK_TIMEOUT) or DEFAULT_CHECK_TIMEOUT
        if timeout <= timedelta(0):
            r.problem((*p, "timeout"), "must be greater than 0s")
        phases = None
        if "phases" in m:
            listed = r.get(m, p, "phases", "list", [])
            phases = tuple(str(x) for x in listed)
            for j, ph in enumerate(listed):
                if phase_names is not None and ph not in phase_names:
                    r.problem((*p, "phases", j), f"no phase named {ph!r} in spec.phases")
        http = _http(r, m.get("http"), (*p, "http")) if "http" in m else None
        command = _command(r, m.get("command"), (*p, "command")) if "command" in m else None
        if ("http" in m) == ("command" in m):
            r.problem(p, "a check needs exactly one of http or command")
        if name is None:
            continue
        seen.add(name)
        out.append(Check(name=name, when=when, timeout=timeout, phases=phases, http=http, command=command))
    return tuple(out)


def _http(r: Reader, value: Any, p: Path) -> HttpProbe | None:
    m = r.mapping(value, p, ["url", "method", "expectStatus", "bodyContains", "headers"], ["url"])
    if m is None:
        return None
    url = r.get(m, p, "url", "str")
    if url is not None and not url.startswith(("http://", "https://")):
        r.problem((*p, "url"), f"want an http:// or https:// URL, got {url!r}")
    method = (r.get(m, p, "method", "str", "GET") or "GET").upper()
    if method not in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        r.problem((*p, "method"), f"unknown HTTP method {method!r}")
    status = r.get(m, p, "expectStatus", "int", 200)
    if status is not None and not 100 <= status <= 599:
        r.problem((*p, "expectStatus"), f"not an HTTP status: {status}")
    headers = r.get(m, p, "headers", "mapping", {})
    for k, v in headers.items():
        if not isinstance(v, str):
            r.problem((*p, "headers", k), "want a string (use ${VAR} for secrets)")
    if url is None:
        return None
    return HttpProbe(
        url=url,
        method=method,
        expect_status=int(status or 200),
        body_contains=r.get(m, p, "bodyContains", "str"),
        headers=MappingProxyType({str(k): str(v) for k, v in headers.items()}),
    )


def _command(r: Reader, value: Any, p: Path) -> CommandProbe | None:
    if not isinstance(value, dict):
        r.problem(p, "want a mapping with argv: [program, arg, ...] (no shell)")
        return None
    m = r.mapping(value, p, ["argv"], ["argv"])
    argv = r.get(m or {}, p, "argv", "list", [])
    if not argv or not all(isinstance(a, str) and a for a in argv):
        r.problem((*p, "argv"), "want a non-empty list of strings, e.g. [./smoke-test.sh, --quick]")
        return None
    return CommandProbe(tuple(argv))


def read_notify(r: Reader, value: Any) -> tuple[Notify, ...]:
    items = r.get({"notify": value}, ("spec",), "notify", "list", [])
    out: list[Notify] = []
    names: set[str] = set()
    for i, item in enumerate(items):
        p: Path = ("spec", "notify", i)
        m = r.mapping(item, p, ["name", "url", "urlEnv", "format", "events"])
        if m is None:
            continue
        name = r.get(m, p, "name", "str", f"webhook-{i + 1}") or f"webhook-{i + 1}"
        if name in names:
            r.problem((*p, "name"), f"duplicate notification name {name!r}")
        names.add(name)
        fmt = NotifyFormat(r.choice(m, p, "format", [f.value for f in NotifyFormat], "json"))
        url = r.get(m, p, "url", "str")
        url_env = r.get(m, p, "urlEnv", "str")
        if (url is None) == (url_env is None):
            r.problem(
                p, "give exactly one of url (with ${VAR} for its secret part) or urlEnv (a variable with the URL)"
            )
        elif url is not None and not ENV_REF.search(url):
            r.problem(
                (*p, "url"),
                "a webhook URL is a secret: put it (or its secret part) in a variable, e.g. "
                "https://hooks.slack.com/services/${SLACK_WEBHOOK_PATH}, or use urlEnv",
            )
        events = r.get(m, p, "events", "list", list(NOTIFY_EVENTS))
        for j, e in enumerate(events):
            if e not in NOTIFY_EVENTS:
                r.problem((*p, "events", j), f"want one of {', '.join(NOTIFY_EVENTS)}, got {e!r}")
        out.append(Notify(name=name, format=fmt, events=frozenset(str(e) for e in events), url=url, url_env=url_env))
    return tuple(out)
