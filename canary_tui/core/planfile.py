"""Load and validate a CanaryPlan document (contract section 1; gates and phases in gatefile.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path as FsPath
from types import MappingProxyType
from typing import Any

from ..errors import InputError, Problem, WrongKind
from .durations import format_duration
from .extfile import read_checks, read_notify
from .gatefile import effective_thresholds, read_gates, read_phases
from .judgefile import check_judges, effective_judges, with_grid
from .model import (
    BasicAuth,
    Metrics,
    Phase,
    Plan,
    Promotion,
    Provider,
    Router,
    Traffic,
    Version,
)
from .reader import Reader
from .source import FIXTURE, PLAN, Document, Path, load_document, read_bytes

API_VERSION = "canary-tui/v1alpha1"
DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"

DEFAULT_INTERVAL = timedelta(minutes=5)
DEFAULT_FAILURE_LIMIT = 2
DEFAULT_NO_DATA_LIMIT = 4
DEFAULT_MIN_HEALTH_SCORE = 80.0


def load_plan(path: str | FsPath) -> Plan:
    """Read, parse and validate a plan file; raises InputError naming file, key path and line."""
    doc = load_document(path, PLAN)
    refuse_other_kind(doc, "CanaryPlan")
    return parse_plan(doc)


def read_text(path: str | FsPath) -> str:
    """A plan's or a fixture's text, its size checked first (prefer ``source.load_document``)."""
    data = read_bytes(path, FIXTURE)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError([Problem(str(path), None, None, f"not UTF-8 text ({e.reason})")]) from None


KINDS = {
    "CanaryPlan": "a CanaryPlan",
    "MetricFixture": "a MetricFixture",
    "CanaryState": "a CanaryState (a state file)",
}
TAKES = {
    "CanaryPlan": "use `check`, `run` or `manifests` for plans",
    "MetricFixture": "use `replay`, `whatif` or `tune` for fixtures",
    "CanaryState": "use `watch --state-file` or `report` for state files",
}


def refuse_other_kind(doc: Document, want: str) -> None:
    """One message when the file is another kind of canary-tui document than the one wanted
    (the CLI names the command: ``x.yaml is a MetricFixture; `check` takes a CanaryPlan``)."""
    data = doc.data
    kind = data.get("kind") if isinstance(data, dict) else None
    if isinstance(kind, str) and kind != want and kind in KINDS:
        raise WrongKind(doc.file, KINDS[kind], want, TAKES[kind])


def parse_plan(doc: Document, prefix: Path = (), data: Any = None) -> Plan:
    """Validate ``data`` (default: the whole document) found at ``prefix`` inside ``doc``."""
    r = Reader(doc, prefix)
    plan = _PlanBuilder(r).build(doc.data if data is None else data)
    if r.problems or plan is None:
        raise InputError(r.problems)
    return plan


class _PlanBuilder:
    def __init__(self, r: Reader) -> None:
        self.r = r

    def build(self, data: Any) -> Plan | None:
        r = self.r
        if data is None:
            r.problem((), "empty document: want a CanaryPlan")
            return None
        top = r.mapping(
            data, (), ["apiVersion", "kind", "metadata", "spec"], ["apiVersion", "kind", "metadata", "spec"]
        )
        if top is None:
            return None
        api = r.get(top, (), "apiVersion", "str")
        if api is not None and api != API_VERSION:
            r.problem(("apiVersion",), f"want {API_VERSION!r}, got {api!r}")
        kind = r.get(top, (), "kind", "str")
        if kind is not None and kind != "CanaryPlan":
            r.problem(("kind",), f"want 'CanaryPlan', got {kind!r}")

        name, namespace = self.metadata(top.get("metadata"))
        spec = r.mapping(top.get("spec", {}), ("spec",), SPEC_KEYS, ["service", "stable", "canary", "phases", "gates"])
        if spec is None:
            return None
        sp: Path = ("spec",)
        service = r.get(spec, sp, "service", "str")
        stable = self.version(spec, "stable", service)
        canary = self.version(spec, "canary", service)
        if stable and canary and stable.version == canary.version:
            r.problem(("spec", "canary", "version"), f"canary and stable are both {canary.version!r}")
        traffic = self.traffic(spec.get("traffic", {}))
        metrics = self.metrics(spec.get("metrics", {}))
        said = len(r.problems)
        interval = r.duration(spec, sp, "interval", DEFAULT_INTERVAL)
        if len(r.problems) > said:  # a bad interval (the default stands in): no second message about it
            interval = None
        if interval is not None and interval <= timedelta(0):
            r.problem(("spec", "interval"), "must be greater than 0s")
        failure_limit = self.positive_int(spec, "failureLimit", DEFAULT_FAILURE_LIMIT)
        no_data_limit = self.positive_int(spec, "noDataLimit", DEFAULT_NO_DATA_LIMIT)
        min_score = r.get(spec, sp, "minHealthScore", "number", DEFAULT_MIN_HEALTH_SCORE)
        if min_score is not None and not 0 <= min_score <= 100:
            r.problem(("spec", "minHealthScore"), f"must be between 0 and 100, got {min_score:g}")
        promotion = r.choice(spec, sp, "promotion", [p.value for p in Promotion], "auto")
        gates = read_gates(self.r, spec.get("gates"))
        phases = read_phases(self.r, spec.get("phases"), gates)
        if interval is not None and phases is not None:
            self.interval_fits(interval, phases)
        phase_names = {p.name for p in phases} if phases is not None else None
        checks = read_checks(r, spec.get("checks", []), phase_names, {g.name for g in gates or []})
        notify = read_notify(r, spec.get("notify", []))
        if r.problems or None in (name, service, stable, canary, interval, gates, phases):
            return None
        assert name and service and stable and canary and interval and gates and phases
        by_phase = effective_thresholds(self.r, gates, phases)
        judges = effective_judges(gates, phases)
        gates = with_grid(gates, judges)
        check_judges(r, gates, phases, interval)
        if r.problems:
            return None
        return Plan(
            name=name,
            namespace=namespace,
            service=service,
            stable=stable,
            canary=canary,
            traffic=traffic,
            metrics=metrics,
            interval=interval,
            failure_limit=failure_limit,
            no_data_limit=no_data_limit,
            min_health_score=float(min_score if min_score is not None else DEFAULT_MIN_HEALTH_SCORE),
            promotion=Promotion(promotion),
            phases=tuple(phases),
            gates=tuple(gates),
            source=self.r.doc.file,
            thresholds_by_phase=by_phase,
            checks=checks,
            notify=notify,
            judges_by_phase=judges,
            namespace_given=isinstance(meta := top.get("metadata"), dict) and meta.get("namespace") is not None,
        )

    # ------------------------------------------------------------------ sections

    def metadata(self, value: Any) -> tuple[str | None, str]:
        r = self.r
        m = r.mapping(
            value if value is not None else {}, ("metadata",), ["name", "namespace", "labels", "annotations"], ["name"]
        )
        if m is None:
            return None, "default"
        name = r.name(m, ("metadata",), "name", DNS_LABEL, "name (lowercase letters, digits and '-')")
        if name and len(name) > 52:
            r.problem(("metadata", "name"), "at most 52 characters (it names the canary-tui-<name> Lease)")
        namespace = r.name(m, ("metadata",), "namespace", DNS_LABEL, "namespace") or "default"
        for key in ("labels", "annotations"):
            extra = r.get(m, ("metadata",), key, "mapping", {})
            for k, v in extra.items():
                if not isinstance(v, str):
                    r.problem(("metadata", key, k), "want a string value")
        return name, namespace

    def version(self, spec: dict[str, Any], side: str, service: str | None) -> Version | None:
        r = self.r
        m = r.mapping(spec.get(side, {}), ("spec", side), ["version", "deployment", "subset"], ["version"])
        if m is None:
            return None
        p: Path = ("spec", side)
        version = r.name(m, p, "version", r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?", "version label")
        if version is None:
            return None
        deployment = r.name(m, p, "deployment", DNS_LABEL, "Deployment name") or f"{service or 'app'}-{version}"
        subset = r.get(m, p, "subset", "str") or version
        return Version(version=version, deployment=deployment, subset=subset)

    def traffic(self, value: Any) -> Traffic:
        r = self.r
        p: Path = ("spec", "traffic")
        m = r.mapping(value, p, ["router", "virtualService", "route", "httpRoute", "replicas"])
        if m is None:
            return Traffic()
        router = Router(r.choice(m, p, "router", [x.value for x in Router], "simulated"))
        vs = r.get(m, p, "virtualService", "str")
        route = r.get(m, p, "route", "str")
        http_route = r.get(m, p, "httpRoute", "str")
        replicas = r.get(m, p, "replicas", "int")
        if router is Router.ISTIO and vs is None:
            r.problem(p, "router istio needs virtualService: the VirtualService whose weights are set")
        if router is Router.GATEWAY_API and http_route is None:
            r.problem(p, "router gateway-api needs httpRoute: the HTTPRoute whose backendRefs weights are set")
        for key, val, want in (
            ("virtualService", vs, Router.ISTIO),
            ("route", route, Router.ISTIO),
            ("httpRoute", http_route, Router.GATEWAY_API),
            ("replicas", replicas, Router.REPLICAS),
        ):
            if val is not None and router is not want:
                r.problem((*p, key), f"only used with router {want.value} (router is {router.value})")
        if replicas is not None and replicas < 1:
            r.problem((*p, "replicas"), "must be at least 1")
        return Traffic(router=router, virtual_service=vs, route=route, http_route=http_route, replicas=replicas)

    def metrics(self, value: Any) -> Metrics:
        r = self.r
        p: Path = ("spec", "metrics")
        keys = [
            "provider",
            "address",
            "timeout",
            "bearerTokenEnv",
            "bearerTokenFile",
            "basicAuth",
            "caFile",
            "insecureSkipVerify",
            "headers",
        ]
        m = r.mapping(value, p, keys)
        if m is None:
            return Metrics()
        provider = Provider(r.choice(m, p, "provider", [x.value for x in Provider], "simulated"))
        address = r.get(m, p, "address", "str")
        if provider is Provider.PROMETHEUS and address is None:
            r.problem(p, "provider prometheus needs address, e.g. http://prometheus:9090")
        if address is not None and not re.match(r"https?://[^\s/]+", address):
            r.problem((*p, "address"), f"want an http:// or https:// URL, got {address!r}")
        timeout = r.duration(m, p, "timeout", None)
        basic = None
        if "basicAuth" in m:
            b = r.mapping(m["basicAuth"], (*p, "basicAuth"), ["username", "passwordEnv", "passwordFile"], ["username"])
            if b is not None:
                bp: Path = (*p, "basicAuth")
                user = r.get(b, bp, "username", "str")
                penv = r.get(b, bp, "passwordEnv", "str")
                pfile = r.get(b, bp, "passwordFile", "str")
                if penv is None and pfile is None:
                    r.problem(bp, "needs passwordEnv or passwordFile (a password is never written in the plan)")
                if user:
                    basic = BasicAuth(user, penv, pfile)
        headers = r.get(m, p, "headers", "mapping", {})
        for k, v in headers.items():
            if not isinstance(v, str):
                r.problem((*p, "headers", k), f"want a string, got {v!r}")
        return Metrics(
            provider=provider,
            address=address,
            timeout=timeout,
            bearer_token_env=r.get(m, p, "bearerTokenEnv", "str"),
            bearer_token_file=r.get(m, p, "bearerTokenFile", "str"),
            basic_auth=basic,
            ca_file=r.get(m, p, "caFile", "str"),
            insecure_skip_verify=bool(r.get(m, p, "insecureSkipVerify", "bool", False)),
            headers=MappingProxyType({str(k): str(v) for k, v in headers.items()}),
        )

    def interval_fits(self, interval: timedelta, phases: list[Phase]) -> None:
        """An interval no longer than the shortest non-zero phase: else that phase soaks a whole
        interval longer than planned (its promotion waits for the next evaluation)."""
        timed = [(i, p) for i, p in enumerate(phases) if p.duration > timedelta(0)]
        if not timed:
            return
        i, shortest = min(timed, key=lambda ip: ip[1].duration)
        if interval > shortest.duration:
            short = format_duration(shortest.duration)
            self.r.problem(
                ("spec", "interval"),
                f"{format_duration(interval)} is longer than the shortest phase "
                f"(spec.phases[{i}] {shortest.name!r}, {short}): it would soak a whole interval, not {short}; "
                f"use an interval of at most {short}",
            )

    def positive_int(self, spec: dict[str, Any], key: str, default: int) -> int:
        value = self.r.get(spec, ("spec",), key, "int", default)
        if value is None or value < 1:
            if value is not None:
                self.r.problem(("spec", key), f"must be at least 1, got {value}")
            return default
        return int(value)


SPEC_KEYS = [
    "service",
    "stable",
    "canary",
    "traffic",
    "metrics",
    "interval",
    "failureLimit",
    "noDataLimit",
    "minHealthScore",
    "promotion",
    "phases",
    "gates",
    "checks",
    "notify",
]
