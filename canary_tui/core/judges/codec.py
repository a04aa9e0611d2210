"""Judge states and judge statistics as JSON-ready data and back, so a resumed run goes on with them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..durations import format_time, parse_time
from ..gates import JudgeStats
from ..model import CountsJudge, Judge
from . import JudgeState, WindowState
from .counts import CountsState, grid_of


def _num(x: float | None) -> float | str | None:
    if x is None or x != x:
        return None
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return x


def _back(x: Any) -> float | None:
    if x is None:
        return None
    if x == "+Inf":
        return math.inf
    if x == "-Inf":
        return -math.inf
    return float(x)


def judges_to_dict(states: Mapping[str, JudgeState]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, st in states.items():
        if isinstance(st, CountsState):
            out[name] = {
                "kind": "counts",
                "loglik": list(st.loglik),
                "totals": [st.canary_errors, st.canary_requests, st.stable_errors, st.stable_requests],
                "mantelHaenszel": [st.mh_num, st.mh_den],
                "intervals": st.intervals,
                "rejected": st.rejected,
                "noise": [st.noise_sum, st.noise_weight],
                "interval": [_num(st.low), _num(st.high)],
            }
        else:
            out[name] = {
                "kind": "window",
                "samples": [[format_time(at), _num(c), _num(s)] for at, c, s in st.samples],
            }
    return out


def judges_from_dict(data: Mapping[str, Any], judges: Mapping[str, Judge]) -> dict[str, JudgeState]:
    """Rebuild the judge states; ValueError when they do not fit the plan's judges."""
    out: dict[str, JudgeState] = {}
    for name, d in data.items():
        judge = judges.get(name)
        if judge is None:
            raise ValueError(f"the state has judge evidence for {name!r}, which has no judge in the plan")
        if isinstance(judge, CountsJudge):
            if d.get("kind") != "counts":
                raise ValueError(f"{name}: the state's judge is not a counts judge")
            loglik = tuple(float(v) for v in d["loglik"])
            if len(loglik) != len(grid_of(judge).ratios) or not all(math.isfinite(v) for v in loglik):
                raise ValueError(f"{name}: the state's evidence does not fit the plan's maxRatio values")
            ce, cr, se, sr = (float(v) for v in d["totals"])
            num, den = (float(v) for v in d["mantelHaenszel"])
            noise_sum, noise_weight = (float(v) for v in d.get("noise", [0.0, 0.0]))  # absent: none seen yet
            low, high = (_back(v) for v in d.get("interval", [0.0, "+Inf"]))
            noise_ok = math.isfinite(noise_sum) and 0 <= noise_weight < math.inf
            if low is None or high is None or not 0 <= low <= high or not noise_ok:
                raise ValueError(f"{name}: the state's confidence sequence or noise is not valid")
            out[name] = CountsState(
                loglik,
                ce,
                cr,
                se,
                sr,
                num,
                den,
                int(d["intervals"]),
                bool(d["rejected"]),
                noise_sum,
                noise_weight,
                low,
                high,
            )
        else:
            if d.get("kind") != "window":
                raise ValueError(f"{name}: the state's judge is not a mann-whitney window")
            out[name] = WindowState(tuple((parse_time(at), _back(c), _back(s)) for at, c, s in d["samples"]))
    return out


def stats_to_dict(stats: JudgeStats) -> dict[str, Any]:
    return {k: _num(v) for k, v in stats._asdict().items() if v is not None}


def stats_from_dict(data: Mapping[str, Any] | None) -> JudgeStats | None:
    if not data:
        return None
    fields = JudgeStats._fields
    return JudgeStats(**{k: _back(v) for k, v in data.items() if k in fields})
