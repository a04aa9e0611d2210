"""The pod table's columns: their widths at a given width, and pod names shortened in the middle.

When the table is too wide for its panel, the other columns give up their padding first (down to
their heading or their widest value), then the gaps narrow, and only then does the name column give
way: the name is what tells pods apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ...core.pods import Pod
from ..model import POD_COLUMNS, short_duration

HEADINGS = {"cpu": "CPU", "memory": "memory"}
RIGHT = {"restarts", "cpu", "memory", "age"}
GAP, TIGHT_GAP = 2, 1
ARROW = 2  # " ▲" after the heading of the column the table is sorted by
CONTAINER_LIMIT = 64  # "istio-proxy (sidecar): CrashLoopBackOff, 5 restarts, last Error"
SAMPLE = 200  # the rows measured for the columns other than the name (a thousand pods cost what 200 do)
# the name gives way (to 20 cells), then the container's story (to 24), then the name again (to 12)
GIVE_WAY = (("name", 20), ("container", 24), ("name", 12))


def cpu_text(p: Pod) -> str:
    return f"{p.cpu * 1000:.0f}m" if p.cpu is not None else "-"


def memory_text(p: Pod) -> str:
    return f"{p.memory_bytes / 2**20:.0f}Mi" if p.memory_bytes is not None else "-"


def age_text(p: Pod) -> str:
    return short_duration(p.age) if p.age is not None else "-"


def measure(
    rows: Sequence[Pod], names: Sequence[str], sort_column: str, story: Callable[[str | None], str]
) -> tuple[dict[str, int], dict[str, int]]:
    """The columns' roomy widths (each heading with room for the sort arrow) and their tight ones
    (the heading, the arrow only on the sorted column, or the widest value). ``story``: a container's
    cleaned story."""
    sample = rows[:SAMPLE]
    tight = {key: len(HEADINGS.get(key, key)) + (ARROW if key == sort_column else 0) for key in POD_COLUMNS}
    values: dict[str, list[int]] = {
        "name": [len(n) for n in names],
        "version": [min(len(p.version), 12) for p in sample],
        "phase": [min(len(p.phase), 22) for p in sample],  # Init:CrashLoopBackOff
        "ready": [3],
        "restarts": [len(str(p.restarts)) for p in sample],
        "cpu": [len(cpu_text(p)) for p in sample],
        "memory": [len(memory_text(p)) for p in sample],
        "age": [len(age_text(p)) for p in sample],
    }
    for key, lengths in values.items():
        tight[key] = max([tight[key], *lengths])
    roomy = {key: max(tight[key], len(HEADINGS.get(key, key)) + ARROW) for key in POD_COLUMNS}
    roomy["age"] = max(roomy["age"], 6)
    troubled = [len(story(p.container)) for p in sample if p.container]
    if troubled:  # the container that is not well (init, sidecar or app): only when a pod has one
        tight["container"] = roomy["container"] = min(max(len("container"), *troubled), CONTAINER_LIMIT)
    return roomy, tight


def total_width(widths: dict[str, int], gap: int) -> int:
    return sum(widths.values()) + gap * (len(widths) - 1)


def fitted(roomy: dict[str, int], tight: dict[str, int], room: int) -> tuple[dict[str, int], int]:
    """The column widths and the gap for ``room`` cells."""
    widths, gap = dict(roomy), GAP
    if total_width(widths, gap) > room:
        widths.update({k: v for k, v in tight.items() if k != "name"})
    if total_width(widths, gap) > room:
        gap = TIGHT_GAP
    excess = total_width(widths, gap) - room
    for key, least in GIVE_WAY:
        if excess > 0 and widths.get(key, 0) > least:
            cut = min(excess, widths[key] - least)
            widths[key] -= cut
            excess -= cut
    return widths, gap


def middle(name: str, width: int) -> str:
    """A pod name in exactly ``width`` cells, shortened in the middle when it is too long: the start
    (deployment, version) and the end (the hash that tells pods apart) stay, ``checkout-v2…7dq9d``."""
    if len(name) <= width:
        return name.ljust(width)
    if width < 5:
        return name[: max(0, width - 1)] + "…" if width > 0 else ""
    tail = len(name) - name.rfind("-") - 1 if "-" in name else width // 2
    tail = max(1, min(tail, (width - 1) // 2))
    return name[: width - 1 - tail] + "…" + name[len(name) - tail :]


def fit(text: str, width: int, right: bool) -> str:
    """``text`` in exactly ``width`` cells: padded, or cut with an ellipsis."""
    if len(text) > width:
        return text[: max(0, width - 1)] + "…" if width > 0 else ""
    return text.rjust(width) if right else text.ljust(width)
