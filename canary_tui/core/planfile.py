"""Load and validate a CanaryPlan document; every rule of contract section 1 is checked here."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from pathlib import Path as FsPath
from types import MappingProxyType
from typing import Any

from ..errors import InputError, Problem
from .extfile import read_checks, read_notify
from .model import (
    THRESHOLD_KEYS,
    BasicAuth,
    Gate,
    GateSource,
    Metrics,
    Phase,
    Plan,
    PodSignal,
    Promotion,
    Provider,
    Router,
    Thresholds,
    Traffic,
    Version,
    apply_overrides,
)
from .reader import Reader
from .source import Document, Path, parse_text

API_VERSION = "canary-tui/v1alpha1"
DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
GATE_NAME = r"[a-z0-9_]+"
PLACEHOLDER = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")
PLACEHOLDERS = {"version", "namespace", "service"}
KNOWN_PLACEHOLDERS = "{{version}} {{namespace}} {{service}}"

DEFAULT_INTERVAL = timedelta(minutes=5)
DEFAULT_FAILURE_LIMIT = 2
DEFAULT_NO_DATA_LIMIT = 4
DEFAULT_MIN_HEALTH_SCORE = 80.0


def load_plan(path: str | FsPath) -> Plan:
    """Read, parse and validate a plan file; raises InputError naming file, key path and line."""
    text = read_text(path)
    return parse_plan(parse_text(text, str(path)))


def read_text(path: str | FsPath) -> str:
    try:
        return FsPath(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(str(path), None, None, "no such file")]) from None
    except IsADirectoryError:
        raise InputError([Problem(str(path), None, None, "is a directory, not a file")]) from None
    except UnicodeDecodeError as e:
        raise InputError([Problem(str(path), None, None, f"not UTF-8 text ({e.reason})")]) from None
    except OSError as e:
        raise InputError([Problem(str(path), None, None, e.strerror or str(e))]) from None


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
        interval = r.duration(spec, sp, "interval", DEFAULT_INTERVAL)
        if interval is not None and interval <= timedelta(0):
            r.problem(("spec", "interval"), "must be greater than 0s")
        failure_limit = self.positive_int(spec, "failureLimit", DEFAULT_FAILURE_LIMIT)
        no_data_limit = self.positive_int(spec, "noDataLimit", DEFAULT_NO_DATA_LIMIT)
        min_score = r.get(spec, sp, "minHealthScore", "number", DEFAULT_MIN_HEALTH_SCORE)
        if min_score is not None and not 0 <= min_score <= 100:
            r.problem(("spec", "minHealthScore"), f"must be between 0 and 100, got {min_score:g}")
        promotion = r.choice(spec, sp, "promotion", [p.value for p in Promotion], "auto")
        gates = self.gates(spec.get("gates"))
        phases = self.phases(spec.get("phases"), gates)
        phase_names = {p.name for p in phases} if phases is not None else None
        checks = read_checks(r, spec.get("checks", []), phase_names, {g.name for g in gates or []})
        notify = read_notify(r, spec.get("notify", []))
        if r.problems or None in (name, service, stable, canary, interval, gates, phases):
            return None
        assert name and service and stable and canary and interval and gates and phases
        by_phase = self.effective_thresholds(gates, phases)
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

    def positive_int(self, spec: dict[str, Any], key: str, default: int) -> int:
        value = self.r.get(spec, ("spec",), key, "int", default)
        if value is None or value < 1:
            if value is not None:
                self.r.problem(("spec", key), f"must be at least 1, got {value}")
            return default
        return int(value)

    def gates(self, value: Any) -> list[Gate] | None:
        r = self.r
        p: Path = ("spec", "gates")
        if value is None:
            return None
        items = r.get({"gates": value}, ("spec",), "gates", "list")
        if items is None:
            return None
        if not items:
            r.problem(p, "at least one gate is needed")
            return None
        gates: list[Gate] = []
        seen: set[str] = set()
        for i, item in enumerate(items):
            gate = self.gate(item, (*p, i))
            if gate is None:
                continue
            if gate.name in seen:
                r.problem((*p, i, "name"), f"duplicate gate name {gate.name!r}")
                continue
            seen.add(gate.name)
            gates.append(gate)
        if gates and sum(g.weight for g in gates) <= 0:
            r.problem(p, "at least one gate needs a weight above 0 (the health score divides by the sum)")
        return gates if len(gates) == len(items) else None

    def gate(self, value: Any, p: Path) -> Gate | None:
        r = self.r
        keys = ["name", "source", "query", "signal", "unit", "weight", *THRESHOLD_KEYS]
        m = r.mapping(value, p, keys, ["name"])
        if m is None:
            return None
        name = r.name(m, p, "name", GATE_NAME, "gate name ([a-z0-9_]+)")
        source = GateSource(r.choice(m, p, "source", [s.value for s in GateSource], "prometheus"))
        query = r.get(m, p, "query", "str")
        signal_text = r.get(m, p, "signal", "str")
        signal = None
        if source is GateSource.PROMETHEUS:
            if query is None and "query" not in m:
                r.problem(p, "a prometheus gate needs query (or set source: pods)")
            if signal_text is not None:
                r.problem((*p, "signal"), "only pod gates (source: pods) take a signal")
            if query is not None:
                for ph in PLACEHOLDER.findall(query):
                    if ph not in PLACEHOLDERS:
                        r.problem(
                            (*p, "query"),
                            f"unknown placeholder {{{{{ph}}}}}; known: " + KNOWN_PLACEHOLDERS,
                        )
        else:
            if query is not None:
                r.problem((*p, "query"), "a pod gate has no query: it reads the canary's pods")
            choices = [s.value for s in PodSignal]
            if signal_text is None:
                r.problem(p, f"a pod gate needs signal: one of {', '.join(choices)}")
            elif signal_text not in choices:
                r.problem((*p, "signal"), f"want one of {', '.join(choices)}, got {signal_text!r}")
            else:
                signal = PodSignal(signal_text)
        unit = r.get(m, p, "unit", "str", "") or ""
        weight = r.get(m, p, "weight", "number", 1.0)
        if weight is not None and weight < 0:
            r.problem((*p, "weight"), "must be 0 or more")
        levels = self.levels(m, p)
        thresholds = Thresholds(**levels)
        if not thresholds.has_fail_level:
            r.problem(p, "needs at least one of failAbove, failBelow, maxRatioToStable")
        self.check_levels(thresholds, p, source)
        if name is None:
            return None
        return Gate(
            name=name,
            thresholds=thresholds,
            source=source,
            query=query,
            signal=signal,
            unit=unit,
            weight=float(weight or 0.0),
        )

    def levels(self, m: dict[str, Any], p: Path) -> dict[str, float | None]:
        """The threshold keys present in ``m``; ``null`` means "not set" (useful in overrides)."""
        out: dict[str, float | None] = {}
        for key, attr in THRESHOLD_KEYS.items():
            if key not in m:
                continue
            if m[key] is None:
                out[attr] = None
                continue
            value = self.r.get(m, p, key, "number")
            if value is not None and math.isnan(value):
                self.r.problem((*p, key), "NaN is not a threshold")
                continue
            if value is not None:
                out[attr] = value
        return out

    def check_levels(self, t: Thresholds, p: Path, source: GateSource) -> None:
        r = self.r
        if t.max_ratio_to_stable is not None:
            if source is GateSource.PODS:
                r.problem((*p, "maxRatioToStable"), "a pod gate is never relative to stable")
            elif t.max_ratio_to_stable <= 0:
                r.problem((*p, "maxRatioToStable"), "must be greater than 0")
        if t.warn_above is not None and t.fail_above is not None and t.warn_above > t.fail_above:
            r.problem(
                (*p, "warnAbove"), f"{t.warn_above:g} is above failAbove {t.fail_above:g}: the warning could never show"
            )
        if t.warn_below is not None and t.fail_below is not None and t.warn_below < t.fail_below:
            r.problem(
                (*p, "warnBelow"), f"{t.warn_below:g} is below failBelow {t.fail_below:g}: the warning could never show"
            )
        if t.fail_above is not None and t.fail_below is not None and t.fail_below > t.fail_above:
            r.problem(
                (*p, "failBelow"), f"{t.fail_below:g} is above failAbove {t.fail_above:g}: every value would fail"
            )

    def phases(self, value: Any, gates: list[Gate] | None) -> list[Phase] | None:
        r = self.r
        p: Path = ("spec", "phases")
        if value is None:
            return None
        items = r.get({"phases": value}, ("spec",), "phases", "list")
        if items is None:
            return None
        if not items:
            r.problem(p, "at least one phase is needed")
            return None
        gate_names = {g.name for g in gates or []}
        phases: list[Phase] = []
        names: set[str] = set()
        previous: int | None = None
        for i, item in enumerate(items):
            pp: Path = (*p, i)
            m = r.mapping(item, pp, ["name", "weight", "duration", "gates"], ["name", "weight", "duration"])
            if m is None:
                continue
            name = r.name(m, pp, "name", r"[a-z0-9]([-a-z0-9_]*[a-z0-9])?", "phase name")
            if name in names:
                r.problem((*pp, "name"), f"duplicate phase name {name!r}")
            weight = r.get(m, pp, "weight", "int")
            if weight is not None:
                if not 1 <= weight <= 100:
                    r.problem((*pp, "weight"), f"must be between 1 and 100, got {weight}")
                elif previous is not None and weight <= previous:
                    r.problem((*pp, "weight"), f"weights must strictly increase: {weight} follows {previous}")
                previous = weight
            duration = r.duration(m, pp, "duration", None)
            overrides = self.overrides(m.get("gates", {}), (*pp, "gates"), gate_names if gates is not None else None)
            if name is None or weight is None or duration is None:
                continue
            names.add(name)
            phases.append(Phase(name=name, weight=weight, duration=duration, overrides=overrides))
        if len(phases) == len(items) and phases[-1].weight != 100:
            r.problem(
                (*p, len(items) - 1, "weight"), f"the last phase must send 100% to the canary, got {phases[-1].weight}"
            )
        return phases if len(phases) == len(items) else None

    def overrides(self, value: Any, p: Path, gate_names: set[str] | None) -> MappingProxyType[str, Any]:
        r = self.r
        m = r.get({"gates": value}, p[:-1], "gates", "mapping", {})
        out: dict[str, Any] = {}
        for gate_name, levels in m.items():
            gp: Path = (*p, gate_name)
            if gate_names is not None and gate_name not in gate_names:
                r.problem(gp, f"no gate named {gate_name!r} in spec.gates")
                continue
            lm = r.mapping(levels, gp, list(THRESHOLD_KEYS))
            if lm is None:
                continue
            if not lm:
                r.problem(gp, "an override needs at least one threshold")
            out[gate_name] = MappingProxyType(self.override_levels(lm, gp))
        return MappingProxyType(out)

    def override_levels(self, lm: dict[str, Any], gp: Path) -> dict[str, float | None]:
        attrs = self.levels(lm, gp)
        back = {v: k for k, v in THRESHOLD_KEYS.items()}
        return {back[a]: v for a, v in attrs.items()}

    def effective_thresholds(
        self, gates: list[Gate], phases: list[Phase]
    ) -> tuple[MappingProxyType[str, Thresholds], ...]:
        by_phase = []
        for i, phase in enumerate(phases):
            table: dict[str, Thresholds] = {}
            for gate in gates:
                t = gate.thresholds
                if gate.name in phase.overrides:
                    t = apply_overrides(t, phase.overrides[gate.name])
                    gp: Path = ("spec", "phases", i, "gates", gate.name)
                    if not t.has_fail_level:
                        self.r.problem(
                            gp, "this override leaves the gate without failAbove, failBelow or maxRatioToStable"
                        )
                    self.check_levels(t, gp, gate.source)
                table[gate.name] = t
            by_phase.append(MappingProxyType(table))
        return tuple(by_phase)


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
