"""Hostile input (issue 15), one test per finding, on documents and names the tests make: each is
refused with exit 2 and one message line (or handled), no traceback, nothing raw on the terminal,
within a few seconds and a few hundred MB of the process's own peak memory (measured with wait4).
Run with ``-s`` to see the measured figures."""

from __future__ import annotations

import json
import os
import random
import threading
from pathlib import Path

import pytest

from canary_tui.core.durations import MAX_DURATION_TEXT

from .hostile_help import (
    EVIL,
    FEW_HUNDRED_MB,
    assert_clean_exit,
    assert_refused,
    fixture,
    plan,
    raw_in,
    run_cli,
    write_json,
)


def yaml_of(doc: object) -> str:
    import yaml

    return yaml.safe_dump(doc, sort_keys=False, width=200)


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("where", "text"),
    [
        ("phase", "99999999999999999999h"),
        ("phase", "99999999h"),  # past Go's 2562047h
        ("interval", "99999999999999999999h"),
        ("interval", "99999999h"),
        ("phase", "1" * 5000 + "s"),  # a very long number: refused before its digits are converted
    ],
)
def test_a_huge_duration_is_out_of_range_with_its_key_path(tmp_path: Path, where: str, text: str) -> None:
    doc = plan()
    if where == "phase":
        doc["spec"]["phases"][0]["duration"] = text
        path = "spec.phases[0].duration"
    else:
        doc["spec"]["interval"] = text
        path = "spec.interval"
    file = tmp_path / "plan.yaml"
    file.write_text(yaml_of(doc))
    assert_refused(run_cli("check", "--offline", file), f"{path}: duration", "out of range", MAX_DURATION_TEXT)


def test_a_huge_fixture_step_is_out_of_range_and_a_legal_one_past_9999_is_refused(tmp_path: Path) -> None:
    huge = write_json(tmp_path / "huge.json", fixture(step="99999999999999999999h"))
    assert_refused(run_cli("replay", "--headless", "--log", os.devnull, huge), "step: duration", "out of range")
    # Go's largest duration (292 years) is a legal step, but 40 samples of it end after the year 9999
    late = write_json(tmp_path / "late.json", fixture(n=40, step="2562047h"))
    assert_refused(run_cli("replay", "--headless", "--log", os.devnull, late), "step:", "after the year 9999")


def test_every_duration_at_gos_maximum_is_a_valid_plan(tmp_path: Path) -> None:
    doc = plan(interval="2562047h")
    for p in doc["spec"]["phases"]:
        p["duration"] = "2562047h" if p["weight"] < 100 else "0s"
    file = tmp_path / "plan.yaml"
    file.write_text(yaml_of(doc))
    r = run_cli("check", "--offline", file)
    assert_clean_exit(r, (0,))


def test_an_interval_longer_than_the_shortest_phase_is_refused_saying_why(tmp_path: Path) -> None:
    doc = plan(interval="13h")
    doc["spec"]["phases"][0]["duration"] = "6h"
    file = tmp_path / "plan.yaml"
    file.write_text(yaml_of(doc))
    assert_refused(run_cli("check", "--offline", file), "spec.interval", "longer than the shortest phase", "6h0m0s")


# --------------------------------------------------------------------------- YAML bombs


def billion_laughs(kind: str) -> str:
    lines = [
        f"apiVersion: canary-tui/v1alpha1\nkind: {kind}\n",
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n',
    ]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]\n")
    return "".join(lines)


def merge_key_bomb() -> str:
    """Each level merges the one below (``<<``) and refers to it eight times more."""
    lines = [
        "apiVersion: canary-tui/v1alpha1\nkind: CanaryPlan\n",
        "m0: &m0 {k0: 1, k1: 2, k2: 3, k3: 4, k4: 5, k5: 6, k6: 7, k7: 8}\n",
    ]
    for i in range(1, 11):
        refs = ", ".join(f"x{j}: *m{i - 1}" for j in range(8))
        lines.append(f"m{i}: &m{i} {{<<: *m{i - 1}, {refs}}}\n")
    return "".join(lines)


@pytest.mark.parametrize(
    ("command", "text"),
    [
        ("check", billion_laughs("CanaryPlan")),
        ("replay", billion_laughs("MetricFixture")),
        ("check", merge_key_bomb()),
    ],
    ids=["billion-laughs-plan", "billion-laughs-fixture", "merge-key-bomb"],
)
def test_an_alias_bomb_under_one_kb_is_refused_before_it_expands(tmp_path: Path, command: str, text: str) -> None:
    assert len(text.encode()) < 1024
    file = tmp_path / "bomb.yaml"
    file.write_text(text)
    args = ("check", "--offline", file) if command == "check" else ("replay", "--headless", "--log", os.devnull, file)
    assert_refused(run_cli(*args), "YAML aliases expand to more than 10000 values", seconds=10, mb=100)


# --------------------------------------------------------------------------- depth


def deep_json(levels: int, head: str = "") -> str:
    return "{" + head + '"x":' + "[" * levels + "]" * levels + "}"


@pytest.mark.parametrize("command", ["check", "replay"])
def test_a_100000_deep_json_document_is_refused(tmp_path: Path, command: str) -> None:
    kind = "CanaryPlan" if command == "check" else "MetricFixture"
    file = tmp_path / "deep.json"
    file.write_text(deep_json(100_000, f'"apiVersion":"canary-tui/v1alpha1","kind":"{kind}",'))
    args = ("check", "--offline", file) if command == "check" else ("replay", "--headless", "--log", os.devnull, file)
    assert_refused(run_cli(*args), "nested deeper than 64 levels", mb=100)


def test_a_deep_yaml_document_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "deep.yaml"
    file.write_text("apiVersion: canary-tui/v1alpha1\nkind: CanaryPlan\nx: " + "[" * 200 + "]" * 200 + "\n")
    assert_refused(run_cli("check", "--offline", file), "nested deeper than 64 levels")


def test_a_100000_deep_state_file_is_refused_by_report(tmp_path: Path) -> None:
    file = tmp_path / "state.json"
    file.write_text(deep_json(100_000, '"kind":"CanaryState",'))
    assert_refused(run_cli("report", file, "-o", tmp_path / "r.html"), "nested deeper than 64 levels", mb=100)
    assert not (tmp_path / "r.html").exists()


def test_a_100000_deep_log_line_is_left_out_and_an_all_deep_log_refused(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    log.write_text(deep_json(100_000, '"type":"start","run":"r1",') + "\n")
    assert_refused(run_cli("report", log, "-o", tmp_path / "r.html"), "not an audit log", "1 line could not be read")


def test_a_deep_line_in_a_real_log_is_left_out_and_said(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    fix = write_json(tmp_path / "fix.json", fixture())
    assert_clean_exit(run_cli("replay", "--headless", "--log", log, fix), (0, 1, 3))
    run = json.loads(log.read_text().splitlines()[0])["run"]
    with log.open("a") as f:
        f.write(deep_json(100_000, f'"type":"error","run":"{run}",') + "\n")
        f.write(f'{{"type":"error","run":"{run}","x":' + "[" * 100 + "]" * 100 + "}\n")  # parses, but deeper than 64
    r = run_cli("report", log, "-o", "-", "--format", "md")
    assert_clean_exit(r, (0,))
    assert "2 lines of the log could not be read" in r.out


def test_a_state_file_over_16_mb_is_refused_by_stat(tmp_path: Path) -> None:
    file = tmp_path / "state.json"
    with file.open("w") as f:
        f.write('{"apiVersion":"canary-tui/v1alpha1","kind":"CanaryState","pad":"')
        f.write("x" * (17 << 20))
        f.write('"}\n')
    assert_refused(
        run_cli("report", file, "-o", tmp_path / "r.html"), "is 17.0 MB: a state file may be at most 16.0 MB"
    )


def test_a_long_log_line_is_left_out_unread(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    fix = write_json(tmp_path / "fix.json", fixture())
    assert_clean_exit(run_cli("replay", "--headless", "--log", log, fix), (0, 1, 3))
    run = json.loads(log.read_text().splitlines()[0])["run"]
    with log.open("a") as f:
        f.write(f'{{"type":"error","run":"{run}","message":"' + "y" * (5 << 20) + '"}\n')
    r = run_cli("report", log, "-o", "-", "--format", "md")
    assert_clean_exit(r, (0,))
    assert "1 line of the log could not be read" in r.out
    assert r.peak_mb < 200, r.describe()


# --------------------------------------------------------------------------- size


def write_big_fixture(path: Path, samples_per_list: int, gates: int, block: bool = False) -> None:
    """A fixture of ``gates`` gates, each list ``samples_per_list`` long: one-line lists as `record`
    writes them, or block lists (one ``- value`` line per sample)."""
    rnd = random.Random(15)
    doc = fixture(plan(gates=[{"name": f"g{i}", "query": f"m{i}", "failAbove": 10.0} for i in range(gates)]))
    doc.pop("series")
    with path.open("w") as f:
        f.write(yaml_of(doc))
        f.write("series:\n")
        for i in range(gates):
            f.write(f"  g{i}:\n")
            for side in ("canary", "stable"):
                values = [repr(rnd.random() * 0.01) for _ in range(samples_per_list)]
                if block:
                    f.write(f"    {side}:\n" + "".join(f"      - {v}\n" for v in values))
                else:
                    f.write(f"    {side}: [{', '.join(values)}]\n")


@pytest.mark.slow
def test_a_50_mb_yaml_fixture_is_handled_within_seconds(tmp_path: Path) -> None:
    file = tmp_path / "big.yaml"
    write_big_fixture(file, 620_000, 2)
    assert file.stat().st_size > 50_000_000
    r = run_cli("replay", "--headless", "--log", os.devnull, file)
    print(f"  50 MB one-line lists: {r.seconds:.2f}s, {r.peak_mb:.0f} MB, rc {r.rc}")
    assert_clean_exit(r, (0, 1, 3))
    assert r.seconds < 30 and r.peak_mb < FEW_HUNDRED_MB, r.describe()


@pytest.mark.slow
def test_a_50_mb_block_style_fixture_is_refused_within_seconds(tmp_path: Path) -> None:
    file = tmp_path / "block.yaml"
    write_big_fixture(file, 560_000, 2, block=True)
    assert file.stat().st_size > 50_000_000
    assert_refused(
        run_cli("replay", "--headless", "--log", os.devnull, file),
        "outside its sample lists",
        "at most 4.0 MB",
        "one-line lists",
    )


def test_a_fixture_over_the_size_limit_is_refused_by_stat_before_reading(tmp_path: Path) -> None:
    file = tmp_path / "huge.json"
    with file.open("wb") as f:
        f.truncate(257 << 20)  # sparse: nothing is written, the size alone is refused
    assert_refused(run_cli("replay", "--headless", file), "is 257.0 MB: a fixture may be at most 256.0 MB", mb=100)


def test_a_plan_over_1_mb_is_refused_by_stat(tmp_path: Path) -> None:
    file = tmp_path / "plan.yaml"
    file.write_text("# " + "x" * (1 << 20) + "\n" + yaml_of(plan()))
    assert_refused(run_cli("check", "--offline", file), "bytes: a plan may be at most 1.0 MB (1,048,576 bytes)")


@pytest.mark.slow
def test_a_day_at_one_second_as_record_writes_it_loads(tmp_path: Path) -> None:
    """24 h at 1 s, 6 gates and 2 counts gates, in record's own JSON and YAML writers."""
    from canary_tui.prometheus.recorder import write

    n = 24 * 3600 + 1
    rnd = random.Random(1)
    v = "{{version}}"
    gates = [{"name": f"g{i}", "query": f"m{i}{{v={v}}}", "failAbove": 10.0} for i in range(6)]
    gates += [
        {"name": f"c{i}", "judge": "counts", "errors": f"e{i}{{v={v}}}", "requests": f"r{i}{{v={v}}}"} for i in range(2)
    ]
    phases = [{"name": "canary", "weight": 5, "duration": "12h"}, {"name": "full", "weight": 100, "duration": "0s"}]
    doc = fixture(plan(interval="5m", gates=gates, phases=phases))

    def cumulative(rate: float) -> list[float]:
        t, out = 0.0, []
        for _ in range(n):
            t += rate * (0.5 + rnd.random())
            out.append(t)
        return out

    doc["step"] = "1s"
    doc["series"] = {
        f"g{i}": {s: [rnd.random() * 0.01 for _ in range(n)] for s in ("canary", "stable")} for i in range(6)
    }
    for i in range(2):
        doc["series"][f"c{i}"] = {
            s: {"errors": cumulative(0.3), "requests": cumulative(1234.5)} for s in ("canary", "stable")
        }
    for suffix in (".json", ".yaml"):
        path = tmp_path / f"day{suffix}"
        write(doc, path)
        r = run_cli("replay", "--headless", "--log", os.devnull, path)
        print(
            f"  24 h @ 1 s, 8 gates, {path.stat().st_size / 1e6:.0f} MB {suffix}: {r.seconds:.2f}s, {r.peak_mb:.0f} MB"
        )
        assert_clean_exit(r, (0, 1, 3))
        assert "Promoted" in r.out or "RolledBack" in r.out, r.describe()
        assert r.peak_mb < FEW_HUNDRED_MB, r.describe()


def test_the_limits_hold_a_day_at_one_second_of_32_gates_as_record_writes_it() -> None:
    """What docs/fixtures.md promises: 24 h at 1 s of a plan with 32 gates, counts gates (four lists)
    included, in full-precision numbers as record writes them, fits every fixture limit."""
    from canary_tui.core.source import FIXTURE
    from canary_tui.prometheus.recorder import MAX_SAMPLES, _json_value

    n = 24 * 3600 + 1
    lists = 32 * 4
    assert n <= FIXTURE.max_samples and n <= MAX_SAMPLES
    assert lists * n <= FIXTURE.max_total_samples
    rnd = random.Random(2)
    t = 0.0
    worst = []
    for _ in range(2000):  # cumulative counts with fractions: the longest numbers record writes
        t += 1234.5 * (0.5 + rnd.random()) * 50
        worst.append(t)
    per_sample = len(json.dumps([_json_value(v) for v in worst])) / len(worst)
    per_sample = max(per_sample, len(json.dumps([rnd.random() * 0.01 for _ in range(2000)])) / 2000)
    assert lists * n * per_sample < FIXTURE.max_bytes, f"{per_sample:.1f} bytes a sample"


def test_too_many_samples_are_refused_naming_the_limit(tmp_path: Path) -> None:
    file = tmp_path / "many.json"
    doc = fixture()
    doc["series"]["error_rate"]["canary"] = "LIST"
    text = json.dumps(doc).replace('"LIST"', "[" + ",".join(["0"] * 1_000_001) + "]")
    file.write_text(text)
    assert_refused(run_cli("replay", "--headless", file), "a sample list holds over 1000000 samples")


# --------------------------------------------------------------------------- names and kinds


def test_escapes_in_a_file_name_are_shown_not_obeyed(tmp_path: Path) -> None:
    file = tmp_path / f"bad{EVIL}.yaml"
    r = run_cli("check", "--offline", file)
    assert_refused(r, "no such file", "\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m\\u202e\\x9b2J")


def test_escapes_in_a_key_and_a_value_are_shown_not_obeyed(tmp_path: Path) -> None:
    doc = plan()
    doc["spec"][f"fail{EVIL}Limit"] = 2
    file = write_json(tmp_path / "key.json", doc)
    assert_refused(run_cli("check", "--offline", file), "spec.fail\\x1b]0;pwned\\x07", "unknown key")
    doc = plan(interval=f"5m{EVIL}")
    file = write_json(tmp_path / "value.json", doc)
    assert_refused(run_cli("check", "--offline", file), "spec.interval", "\\x1b]0;pwned")


def test_escapes_in_a_fixture_series_key_are_shown_not_obeyed(tmp_path: Path) -> None:
    doc = fixture()
    doc["series"][f"error{EVIL}"] = doc["series"]["error_rate"]
    file = write_json(tmp_path / "fix.json", doc)
    r = run_cli("replay", "--headless", "--log", os.devnull, file)
    assert r.rc == 2 and "Traceback" not in r.err, r.describe()
    assert "error\\x1b]0;pwned" in r.err and not raw_in(r.err), r.describe()


def test_escapes_in_a_plan_ref_are_shown_not_obeyed(tmp_path: Path) -> None:
    doc = fixture()
    del doc["plan"]
    doc["planRef"] = f"nope{EVIL}.yaml"
    file = write_json(tmp_path / "fix.json", doc)
    assert_refused(run_cli("replay", "--headless", file), "planRef", "no such file", "nope\\x1b]0;pwned")


def test_a_fixture_given_to_check_says_what_it_is(tmp_path: Path) -> None:
    file = write_json(tmp_path / "fix.json", fixture())
    assert_refused(run_cli("check", "--offline", file), "is a MetricFixture; `check` takes a CanaryPlan", "`replay`")


def test_a_plan_given_to_replay_says_what_it_is(tmp_path: Path) -> None:
    file = tmp_path / "plan.yaml"
    file.write_text(yaml_of(plan()))
    assert_refused(run_cli("replay", "--headless", file), "is a CanaryPlan; `replay` takes a MetricFixture", "`check`")


def test_a_plan_ref_to_itself_is_a_cycle(tmp_path: Path) -> None:
    doc = fixture()
    del doc["plan"]
    doc["planRef"] = "self.yaml"
    file = tmp_path / "self.yaml"
    file.write_text(yaml_of(doc))
    r = run_cli("replay", "--headless", file)
    assert_refused(r, "planRef: planRef cycle:", f"{file} -> {file}")


@pytest.mark.parametrize(
    ("char", "code"), [("\x1b", "U+001B"), ("\x07", "U+0007"), ("\x9b", "U+009B"), ("\x7f", "U+007F")]
)
def test_a_raw_control_character_in_yaml_is_named_with_its_line_and_column(
    tmp_path: Path, char: str, code: str
) -> None:
    lines = yaml_of(plan()).splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("service:"))
    lines[at] = lines[at].replace("checkout", f"check{char}out")
    file = tmp_path / "ctl.yaml"
    file.write_text("\n".join(lines) + "\n")
    column = lines[at].index(char) + 1
    assert_refused(
        run_cli("check", "--offline", file),
        f"ctl.yaml:{at + 1}:",
        f"control character {code} at column {column}",
        "\\u",
    )


def test_the_stored_state_and_queue_in_a_configmap_are_read_bounded() -> None:
    """What a watcher or a driver reads from the cluster (no cluster needed: the ConfigMap's data)."""
    from canary_tui.errors import InputError
    from canary_tui.kube.state import queue_of, stored_document

    deep = deep_json(100_000, '"kind":"CanaryState",')
    cm = {"metadata": {"name": f"canary-tui-x{EVIL}"}, "data": {"state.json": deep, "queue.json": "[" * 100_000}}
    with pytest.raises(InputError) as e:
        stored_document(cm)
    assert len(e.value.problems) == 1 and "nested deeper than 64 levels" in str(e.value)
    assert not raw_in(str(e.value)) and "canary-tui-x\\x1b]0;pwned" in str(e.value)
    assert queue_of(cm) == []
    cm["data"]["queue.json"] = "[" * 200 + "]" * 200  # valid JSON, too deep
    assert queue_of(cm) == []
    cm["data"]["state.json"] = '{"kind": "CanaryState", "pad": "' + "x" * (17 << 20) + '"}'
    with pytest.raises(InputError, match=r"a state file may be at most 16\.0 MB"):
        stored_document(cm)


def test_report_reads_a_log_from_a_pipe(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    fix = write_json(tmp_path / "fix.json", fixture())
    assert_clean_exit(run_cli("replay", "--headless", "--log", log, fix), (0,))
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(log.read_bytes()))
    writer.start()
    r = run_cli("report", fifo, "-o", "-", "--format", "md")
    writer.join(30)
    assert_clean_exit(r, (0,))
    assert "**Promoted**" in r.out
