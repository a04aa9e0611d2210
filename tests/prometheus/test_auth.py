"""Authentication and TLS: bearer token (env or file), basic auth, CA bundle, extra headers, and
secrets that never show in output, errors or the audit log."""

from __future__ import annotations

import os
import subprocess
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakeprom import FakePrometheus
from promhelp import gate, plan_text
from promserver import PrometheusServer

from canary_tui.core.planfile import load_plan
from canary_tui.errors import InputError
from canary_tui.prometheus.source import PrometheusMetrics

pytestmark = pytest.mark.prometheus

TOKEN = "tok-9f8e7d6c5b4a-SECRET"
PASSWORD = "pw-correct-horse-SECRET"
GATES = gate("error_rate", "value:0.001 {{version}}", failAbove=0.05) + gate(
    "latency", "value:0.2 {{version}}", failAbove=2
)


def write_plan(tmp_path: Path, address: str, metrics_extra: str, gates: str = GATES) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(plan_text(address, gates=gates, metrics_extra=metrics_extra, router="{router: simulated}"))
    return path


def read(plan_path: Path) -> dict:  # type: ignore[type-arg]
    plan = load_plan(plan_path)
    source = PrometheusMetrics.from_plan(plan)
    try:
        return dict(source.read(plan, 0, datetime.now(UTC)))
    finally:
        source.close()


def everything_written(state_home: Path, *texts: str) -> str:
    logs = [p.read_text() for p in state_home.rglob("*.jsonl")]
    return "\n".join([*texts, *logs])


def test_bearer_token_from_env_is_sent_and_never_shown(
    tmp_path: Path, fake: FakePrometheus, cli, state_home: Path
) -> None:  # type: ignore[no-untyped-def]
    fake.require_auth = f"Bearer {TOKEN}"
    extra = "    bearerTokenEnv: PROM_TOKEN\n    headers: {X-Scope-OrgID: team-checkout}\n"
    plan = write_plan(tmp_path, fake.url, extra)
    r = cli("run", plan, "--dry-run", "--headless", "--json", "-v", env={"PROM_TOKEN": TOKEN})
    assert r.rc == 0, r.err
    assert all(h.get("Authorization") == f"Bearer {TOKEN}" for _, _, h in fake.requests)
    assert all(h.get("X-Scope-OrgID") == "team-checkout" for _, _, h in fake.requests)
    assert TOKEN not in everything_written(state_home, r.out, r.err)


def test_a_refused_token_is_nodata_and_the_echoed_secret_is_scrubbed(
    tmp_path: Path, fake: FakePrometheus, state_home: Path
) -> None:
    fake.require_auth = "Bearer something-else"
    fake.secret_echo = True  # a proxy that echoes the header back in its error page
    os.environ["PROM_TOKEN_T2"] = TOKEN
    try:
        readings = read(write_plan(tmp_path, fake.url, "    bearerTokenEnv: PROM_TOKEN_T2\n"))
    finally:
        del os.environ["PROM_TOKEN_T2"]
    for r in readings.values():
        assert r.canary is None and r.error is not None
        assert r.error.startswith("HTTP 401 Unauthorized (check spec.metrics credentials)")
        assert TOKEN not in r.error and "***" in r.error


def test_the_start_probe_names_the_refusal_without_the_secret(
    tmp_path: Path, fake: FakePrometheus, cli, state_home: Path
) -> None:  # type: ignore[no-untyped-def]
    fake.require_auth = "Bearer something-else"
    fake.secret_echo = True
    plan = write_plan(tmp_path, fake.url, "    bearerTokenEnv: PROM_TOKEN\n")
    r = cli("run", plan, "--dry-run", "--headless", env={"PROM_TOKEN": TOKEN})
    assert r.rc == 2
    assert "HTTP 401" in r.err and "Traceback" not in r.err
    assert TOKEN not in everything_written(state_home, r.out, r.err)


def test_secrets_echoed_in_error_bodies_are_scrubbed(
    tmp_path: Path, fake: FakePrometheus, cli, state_home: Path
) -> None:  # type: ignore[no-untyped-def]
    fake.require_auth = f"Bearer {TOKEN}"
    fake.secret_echo = True
    gates = gate("echo_error", "error200 {{version}}", failAbove=1) + gate(
        "echo_page", "html502 {{version}}", failAbove=1
    )
    plan = write_plan(tmp_path, fake.url, "    bearerTokenEnv: PROM_TOKEN\n", gates)
    r = cli("run", plan, "--dry-run", "--headless", "--json", "-v", env={"PROM_TOKEN": TOKEN})
    assert r.rc == 2  # the start check names both broken gates, the echoed token scrubbed
    assert "gate echo_error" in r.err and "gate echo_page" in r.err and "***" in r.err
    assert TOKEN not in everything_written(state_home, r.out, r.err)
    # the same answers mid-release: nodata reasons, scrubbed too
    os.environ["PROM_TOKEN"] = TOKEN
    try:
        source = PrometheusMetrics.from_plan(load_plan(plan))
    finally:
        del os.environ["PROM_TOKEN"]
    try:
        readings = source.read(load_plan(plan), 0, datetime.now(UTC))
    finally:
        source.close()
    for reading in readings.values():
        assert reading.error is not None and "***" in reading.error and TOKEN not in reading.error


def test_token_file_is_read_and_rotation_is_picked_up(tmp_path: Path, fake: FakePrometheus) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    fake.require_auth = f"Bearer {TOKEN}"
    plan_path = write_plan(tmp_path, fake.url, f"    bearerTokenFile: {token_file}\n")
    plan = load_plan(plan_path)
    source = PrometheusMetrics.from_plan(plan)
    try:
        assert source.read(plan, 0, datetime.now(UTC))["error_rate"].canary == 0.001
        rotated = "tok-rotated-0000-SECRET"
        token_file.write_text(rotated)
        os.utime(token_file, (time.time() + 5, time.time() + 5))
        fake.require_auth = f"Bearer {rotated}"
        fake.secret_echo = True
        assert source.read(plan, 0, datetime.now(UTC))["error_rate"].canary == 0.001
        fake.require_auth = "Bearer nobody"
        r = source.read(plan, 0, datetime.now(UTC))["error_rate"]
        assert r.error is not None and rotated not in r.error and TOKEN not in r.error
    finally:
        source.close()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "    bearerTokenEnv: NOT_SET_ANYWHERE\n",
            "spec.metrics.bearerTokenEnv: environment variable NOT_SET_ANYWHERE is not set or empty",
        ),
        ("    bearerTokenFile: /nonexistent/token\n", "spec.metrics.bearerTokenFile: cannot read /nonexistent/token"),
        ("    caFile: /nonexistent/ca.pem\n", "spec.metrics.caFile: no such file '/nonexistent/ca.pem'"),
        (
            "    bearerTokenEnv: PROM_TOKEN\n    basicAuth: {username: a, passwordEnv: PROM_TOKEN}\n",
            "spec.metrics.basicAuth: give either a bearer token or basicAuth, not both",
        ),
    ],
)
def test_missing_credentials_are_bad_input(tmp_path: Path, fake: FakePrometheus, cli, extra: str, message: str) -> None:  # type: ignore[no-untyped-def]
    plan = write_plan(tmp_path, fake.url, extra)
    r = cli("run", plan, "--dry-run", "--headless", env={"PROM_TOKEN": TOKEN})
    assert r.rc == 2
    assert message in r.err and "Traceback" not in r.err
    with pytest.raises(InputError):
        PrometheusMetrics.from_plan(load_plan(plan))


# ---------------------------------------------------------------------- a real Prometheus behind TLS and basic auth


def bcrypt(password: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt

    return crypt.crypt(password, "$2b$10$" + "canarytuisaltcanarytu.")


@pytest.fixture
def secure_prom(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Prometheus serving HTTPS with a self-signed certificate and basic auth (user alice)."""
    d = tmp_path / "tls"
    d.mkdir()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(d / "key.pem"),
            "-out",
            str(d / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    web = d / "web.yml"
    web.write_text(
        f"tls_server_config:\n  cert_file: {d / 'cert.pem'}\n  key_file: {d / 'key.pem'}\n"
        f"basic_auth_users:\n  alice: '{bcrypt(PASSWORD)}'\n"
    )
    server = PrometheusServer(d / "prom", web_config=web, scheme="https").start()
    try:
        yield server, d / "cert.pem"
    finally:
        server.stop()


def test_basic_auth_and_ca_file_against_a_real_prometheus(tmp_path: Path, secure_prom) -> None:  # type: ignore[no-untyped-def]
    server, ca = secure_prom
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD)
    gates = gate("one", "vector(0.25)", failAbove=1)
    good = f"    caFile: {ca}\n    basicAuth: {{username: alice, passwordFile: {password_file}}}\n"
    assert read(write_plan(tmp_path, server.url, good, gates))["one"].canary == 0.25

    password_file.write_text("wrong-password")
    r = read(write_plan(tmp_path, server.url, good, gates))["one"]
    assert r.canary is None and r.error is not None and r.error.startswith("HTTP 401")

    password_file.write_text(PASSWORD)
    no_ca = f"    basicAuth: {{username: alice, passwordFile: {password_file}}}\n"
    r = read(write_plan(tmp_path, server.url, no_ca, gates))["one"]
    assert r.error is not None and r.error.startswith("TLS error") and "certificate verify failed" in r.error

    insecure = no_ca + "    insecureSkipVerify: true\n"
    assert read(write_plan(tmp_path, server.url, insecure, gates))["one"].canary == 0.25


def test_check_against_a_secured_prometheus(tmp_path: Path, secure_prom, cli) -> None:  # type: ignore[no-untyped-def]
    server, ca = secure_prom
    extra = f"    caFile: {ca}\n    basicAuth: {{username: alice, passwordEnv: PROM_PASSWORD}}\n"
    plan = write_plan(tmp_path, server.url, extra, gate("one", "vector(0.25)", failAbove=1))
    r = cli("check", plan, env={"PROM_PASSWORD": PASSWORD})
    assert r.rc == 0, r.out + r.err
    assert PASSWORD not in r.out + r.err
    r = cli("check", plan, env={"PROM_PASSWORD": "nope"})
    assert r.rc == 2 and "HTTP 401" in r.out and "nope" not in r.out + r.err
