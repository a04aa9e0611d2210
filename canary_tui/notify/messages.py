"""Which controller events a webhook hears about, and the messages: Slack blocks or the contract's JSON."""

from __future__ import annotations

import json
from typing import Any

from ..core.alerts import AVAILABLE, UNAVAILABLE
from ..core.events import ActionTaken, Decided, Event, Finished, Notice, PhaseEntered
from ..core.model import Plan
from ..sanitize import clean

SLACK_TEXT_LIMIT = 2900  # a Slack section's text may hold 3000 characters
ICONS = {
    "phase": ":arrow_forward:",
    "hold": ":double_vertical_bar:",
    "resume": ":arrow_forward:",
    "promote": ":white_check_mark:",
    "rollback": ":rotating_light:",
    "error": ":warning:",
    "recovered": ":white_check_mark:",
    "Promoted": ":tada:",
    "RolledBack": ":x:",
    "Incomplete": ":grey_question:",
}


def kind_of(event: Event) -> str | None:
    """The notification kind of an event (``spec.notify[].events``), or None for one never sent.

    PhaseEntered: phase; an accepted hold or resume: hold, resume (a refused action changes
    nothing and an operator's promote or rollback comes as its decision); Decided: promote or
    rollback; Finished: result; Notice (an operational error, metrics unavailable and available
    again): error, but not a repeat of the last evaluation's notice. Evaluations: never.
    """
    t = type(event)
    if t is PhaseEntered:
        return "phase"
    if t is Decided:
        return event.decision if event.decision in ("promote", "rollback") else None  # type: ignore[union-attr]
    if t is Finished:
        return "result"
    if t is Notice:
        return None if event.repeat else "error"  # type: ignore[union-attr]
    if t is ActionTaken and event.accepted and event.action in ("hold", "resume"):  # type: ignore[union-attr]
        return str(event.action)  # type: ignore[union-attr]
    return None


def json_body(event: Event, plan: Plan, mode: str | None = None) -> bytes:
    """The contract's JSON object of the event, plus ``plan``, ``namespace`` (and ``mode``) so a
    receiver serving several releases can tell them apart."""
    data: dict[str, Any] = event.to_json()
    data["plan"] = plan.name
    data["namespace"] = plan.namespace
    if mode:
        data["mode"] = mode
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def slack_escape(text: str) -> str:
    """Slack's three control characters; with them escaped no text can mention (<!channel>) or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def headline(kind: str, event: Event, plan: Plan) -> tuple[str, str]:
    """(icon key, one line in words) for a notification; the caller escapes and bolds."""
    if isinstance(event, PhaseEntered):
        if event.index == 0:
            return "phase", f"release started: phase {event.phase}, canary {event.weight}%"
        n = len(plan.phases)
        return "phase", f"entered phase {event.phase} ({event.index + 1}/{n}): canary {event.weight}%"
    if isinstance(event, ActionTaken):
        return kind, f"{event.action} by {event.actor}"
    if isinstance(event, Decided):
        verb = "promoted" if event.decision == "promote" else "ROLLED BACK"
        return kind, f"{verb} in phase {event.phase}: {event.reason}"
    if isinstance(event, Finished):
        return (
            event.outcome,
            f"{event.outcome} in phase {event.phase} after {event.to_json()['elapsed']}: {event.reason}",
        )
    if isinstance(event, Notice):
        if event.message.startswith(UNAVAILABLE):  # said as it is: the release is flying blind
            return "error", event.message
        if event.message.startswith(AVAILABLE):
            return "recovered", event.message
        return "error", f"operational error: {event.message}"
    return kind, kind


def slack_body(kind: str, event: Event, plan: Plan, mode: str | None = None) -> bytes:
    """A Slack message: a plain-text fallback and blocks (a section and a context line)."""
    icon_key, line = headline(kind, event, plan)
    line = clean(line, SLACK_TEXT_LIMIT)
    who = f"{plan.name} ({plan.namespace})"
    tag = f" [{mode}]" if mode and mode not in ("run",) else ""
    at = event.to_json().get("at", "")
    context = f"canary-tui{tag} · {plan.stable.version} → {plan.canary.version} · {at}"
    section = f"{ICONS.get(icon_key, '')} *{slack_escape(clean(who, 200))}*: {slack_escape(line)}".strip()
    body = {
        # the fallback text is mrkdwn too: escaped as well, so it cannot mention or link either
        "text": slack_escape(clean(f"{who}{tag}: {line}", SLACK_TEXT_LIMIT)),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": section}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(clean(context, 500))}]},
        ],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
