"""Every fixture in fixtures/ replays to the outcome its expect block names."""

from __future__ import annotations

import pytest

from .conftest import FIXTURES

ALL = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".yaml", ".yml", ".json"))


def test_there_are_enough_fixtures() -> None:
    assert len(ALL) >= 8


@pytest.mark.parametrize("path", ALL, ids=[p.name for p in ALL])
def test_replay_check_passes(cli, path) -> None:
    r = cli("replay", path, "--headless", "--check")
    assert r.rc == 0, r.out + r.err
    assert "check ok" in r.out


@pytest.mark.parametrize("path", ALL, ids=[p.name for p in ALL])
def test_replay_json_is_deterministic_and_ends_with_the_result(cli, path) -> None:
    first = cli("replay", path, "--headless", "--json")
    second = cli("replay", path, "--headless", "--json")
    assert first.out == second.out
    assert first.out.splitlines()[-1].startswith('{"type":"result"')


def test_check_mismatch_prints_a_diff_and_exits_1(cli, tmp_path) -> None:
    text = (FIXTURES / "error-spike-at-25.yaml").read_text()
    wrong = text.replace("at: 13h5m", "at: 13h").replace(
        "planRef: plans/seed.yaml", f"planRef: {FIXTURES}/plans/seed.yaml"
    )
    path = tmp_path / "wrong.yaml"
    path.write_text(wrong)
    r = cli("replay", path, "--headless", "--check")
    assert r.rc == 1
    assert "check FAILED" in r.out
    assert "expect.at: want 13h0m0s, got 13h5m0s" in r.out
