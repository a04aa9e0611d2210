"""A time-bounded fuzz test (issue 15): random byte-level mutations of valid plans and fixtures (the
repository's own and generated ones), fed to ``check`` and ``replay`` for ``FUZZ_SECONDS`` (default
20) in this process, then a few in subprocesses. It fails on any exception (a traceback for a user),
an exit code outside 0-3, or a raw control character in what was printed. Seeded (``FUZZ_SEED``,
default 15): a failure names the seed, the run and the input file it kept."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import yaml

from .hostile_help import (
    EVIL,
    ROOT,
    assert_clean_exit,
    check_args,
    fixture,
    plan,
    raw_in,
    replay_args,
    run_cli,
    run_in_process,
)

SECONDS = float(os.environ.get("FUZZ_SECONDS", "20"))
SEED = int(os.environ.get("FUZZ_SEED", "15"))
FIXTURES = ROOT / "fixtures"

TOKENS = [
    b"0", b"-1", b"99999999999999999999h", b"2562047h", b"1e308", b"nan", b".inf", b"null", b"~", b"[]", b"{}",
    b"&a x", b"*a", b"<<: *a", b"\x1b", b"\xc2\x9b", b"\xe2\x80\xae", b"\\e[31m", b"\\u202e", b"'", b'"', b":",
    b"- ", b"\n", b"  ", b"\t", b"true", b"0s", b"1ns", b"100", b"101", b"!!python/object x", b"!!binary x",
    b"2026-13-45T99:00:00Z", b"9999-12-31T23:59:59Z", b"[[[[[[[[[[", b"]]]]", b"---\n", b"...\n", b"%YAML 1.1\n",
    b"? ", b"|\n", b">-\n", b"\xff\xfe", b"\xef\xbb\xbf", b"\x00", EVIL.encode(),
]  # fmt: skip


def seeds() -> dict[str, list[bytes]]:
    plans = [(FIXTURES / "plans" / name).read_bytes() for name in ("seed.yaml", "judges.yaml", "demo.yaml")]
    plans.append(yaml.safe_dump(plan(), sort_keys=False).encode())
    fixtures = [
        (FIXTURES / name).read_bytes()
        for name in ("healthy-promotion.yaml", "crashloop-pods.yaml", "judges-healthy.yaml", "checks-rollback.yaml")
    ]
    fixtures.append(yaml.safe_dump(fixture(n=6), sort_keys=False).encode())
    import json

    fixtures.append(json.dumps(fixture(n=6)).encode())
    return {"check": plans, "replay": fixtures}


def mutate(rnd: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.random()
        i = rnd.randrange(len(b) + 1)
        if op < 0.3:
            b[i : i + rnd.randint(0, 8)] = rnd.choice(TOKENS)
        elif op < 0.45 and len(b) > 10:
            j = rnd.randrange(len(b))
            del b[j : j + rnd.randint(1, 20)]
        elif op < 0.7:  # a scalar value after ": "
            k = b.find(b": ", i)
            if k >= 0:
                ends = [x for x in (b.find(b"\n", k), b.find(b",", k), b.find(b"}", k)) if x >= 0]
                b[k + 2 : min(ends or [len(b)])] = rnd.choice(TOKENS)
        elif op < 0.85:  # a piece of the document copied elsewhere
            j = rnd.randrange(len(b) + 1)
            b[i:i] = b[j : j + rnd.randint(1, 200)]
        else:
            b[i:i] = bytes([rnd.randrange(256)])
    return bytes(b)


def test_mutated_plans_and_fixtures_never_crash_nor_leak(tmp_path: Path) -> None:
    rnd = random.Random(SEED)
    pool = seeds()
    deadline = time.monotonic() + SECONDS
    runs = 0
    codes: dict[int, int] = {}
    while time.monotonic() < deadline:
        command = rnd.choice(["check", "replay"])
        data = mutate(rnd, rnd.choice(pool[command]))
        path = tmp_path / f"in{runs}.{rnd.choice(['yaml', 'json'])}"
        path.write_bytes(data)
        args = check_args(path) if command == "check" else replay_args(path)
        try:
            rc, out = run_in_process(*args)
        except BaseException as e:
            raise AssertionError(f"seed {SEED}, run {runs}: {' '.join(args)} raised {e!r} (input kept)") from e
        assert rc in (0, 1, 2, 3), f"seed {SEED}, run {runs}: {' '.join(args)} exit {rc}\n{out[-600:]}"
        assert "Traceback" not in out, f"seed {SEED}, run {runs}: {' '.join(args)}\n{out[-2000:]}"
        assert not raw_in(out), f"seed {SEED}, run {runs}: {' '.join(args)}: raw {raw_in(out)}\n{out[-600:]!r}"
        codes[rc] = codes.get(rc, 0) + 1
        path.unlink()
        runs += 1
    print(f"  {runs} fuzz runs in {SECONDS:.0f}s, exit codes {dict(sorted(codes.items()))}")
    assert runs > 20


def test_a_few_mutations_in_real_processes(tmp_path: Path) -> None:
    """The same, as a user runs it: a real process, its stderr, its exit code."""
    rnd = random.Random(SEED + 1)
    pool = seeds()
    for n in range(4):
        command = ("check", "replay")[n % 2]
        path = tmp_path / f"in{n}.yaml"
        path.write_bytes(mutate(rnd, rnd.choice(pool[command])))
        r = run_cli(*(check_args(path) if command == "check" else replay_args(path)))
        assert_clean_exit(r)
        if r.rc == 2:
            assert r.err_lines and all(line.startswith("canary-tui: error: ") for line in r.err_lines), r.describe()
