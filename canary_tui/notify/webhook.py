"""A webhook as an event sink: queued on the controller's thread, sent from a thread of its own.

``emit`` only filters and enqueues (a bounded queue; when full the event is dropped and counted),
so a slow, hanging or failing receiver never delays an evaluation. Each message is retried with
exponential backoff (Retry-After honoured), then given up and reported; nothing here is fatal.
When the run ends (``close``), backing off stops: what is left is tried at once, within the close's
short wait, and abandoned after it (a hung receiver never holds the exit).
The URL is a secret: no message, warning or error ever contains it or its secret parts.
"""

from __future__ import annotations

import contextlib
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from ..core.events import Event
from ..core.extensions import Notify, NotifyFormat
from ..core.model import Plan
from ..retry_after import retry_after_seconds
from ..sanitize import clean
from .messages import json_body, kind_of, slack_body

_STOP = object()


@dataclass(frozen=True)
class Delivery:
    """How hard to try: per attempt timeout, attempts, backoff between them (seconds)."""

    timeout: float = 5.0
    attempts: int = 4
    backoff: float = 1.0
    max_backoff: float = 30.0
    queue_size: int = 1000


class Redactor:
    """Removes the URL and its secret parts (the values of its variables) from any text."""

    def __init__(self, url: str, secrets: Iterable[str]) -> None:
        from urllib.parse import urlsplit

        found = [url, *secrets]
        try:
            parts = urlsplit(url)
            found += [parts.path, parts.query, parts.netloc if "@" in parts.netloc else ""]
        except ValueError:  # not a URL urllib can split: the whole of it, and the secrets, go
            pass
        # longest first, so a secret inside the URL is not left half-replaced
        self.secrets = sorted({s for s in found if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "***")
        return text


class WebhookSink:
    """One ``spec.notify`` entry. ``problems`` keeps what went wrong (secret-free) for the caller;
    ``warn`` is told each problem as it happens (default: standard error)."""

    def __init__(
        self,
        notify: Notify,
        url: str,
        plan: Plan,
        *,
        secrets: Iterable[str] = (),
        warn: Callable[[str], None] | None = None,
        mode: str | None = None,
        delivery: Delivery | None = None,
    ) -> None:
        self.name = clean(notify.name, 80)
        self.kinds = notify.events
        self.format = notify.format
        self.plan = plan
        self.mode = mode
        self.delivery = delivery or Delivery()
        self._url = url
        self._redact = Redactor(url, secrets)
        self._warn = warn
        self._queue: queue.Queue[object] = queue.Queue(maxsize=self.delivery.queue_size)
        self._rng = random.Random()
        self._closing = threading.Event()  # gave up: the sender stops at its next step
        self._hurry = threading.Event()  # the run is over: no more backing off (``_end``: by when)
        self._end: float | None = None
        self._closed = False
        self._lock = threading.Lock()
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        self.attempts = 0
        self.problems: list[str] = []
        self._thread = threading.Thread(target=self._work, name=f"notify-{self.name}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ the controller's thread

    def emit(self, event: Event) -> None:
        kind = kind_of(event)
        if kind is None or kind not in self.kinds or self._closed:
            return
        try:
            self._queue.put_nowait((kind, event))
        except queue.Full:
            self.dropped += 1
            if self.dropped & (self.dropped - 1) == 0:  # the 1st, 2nd, 4th, 8th... drop: no flood
                self._problem(
                    f"the receiver is not keeping up: {self.dropped} notification(s) dropped "
                    f"(queue of {self.delivery.queue_size} full)"
                )

    def close(self, timeout: float = 10.0) -> bool:
        """Send what is queued, waiting at most ``timeout`` seconds; True when all was delivered or
        given up. Afterwards ``emit`` ignores events. Safe to call more than once."""
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._closing.is_set():  # gave up already: said so once
                return not self._thread.is_alive()
            if not self._closed:
                self._closed = True
                self._end = deadline
                self._hurry.set()
                self._stop(deadline)
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            pending = self._queue.qsize()
            waited = f"{round(timeout, 2):g}s"
            self._problem(f"gave up waiting after {waited}: about {pending + 1} notification(s) not delivered")
            self._closing.set()
            return False
        lost = self.failed + self.dropped
        if lost:  # once more at the end: a screen may have hidden the warnings as they came
            self._problem(f"{lost} notification(s) not delivered, {self.sent} delivered")
        return True

    def _stop(self, deadline: float) -> None:
        while True:
            try:
                self._queue.put(_STOP, timeout=max(0.01, deadline - time.monotonic()))
                return
            except queue.Full:
                if time.monotonic() >= deadline:
                    return

    # ------------------------------------------------------------ the sender's thread

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            kind, event = cast(tuple[str, Event], item)
            try:
                body = self._body(kind, event)
            except Exception as e:  # a message that cannot be made is reported, never raised
                self._problem(f"{kind} notification not sent: cannot build it ({type(e).__name__})")
                continue
            try:
                self._deliver(kind, body)
            except Exception as e:  # whatever happens, the sender goes on with the next message
                self.failed += 1
                self._problem(f"{kind} notification not delivered: {type(e).__name__}")
            if self._closing.is_set():
                return

    def _body(self, kind: str, event: Event) -> bytes:
        if self.format is NotifyFormat.SLACK:
            return slack_body(kind, event, self.plan, self.mode)
        return json_body(event, self.plan, self.mode)

    def _deliver(self, kind: str, body: bytes) -> None:
        d = self.delivery
        reason = ""
        for attempt in range(1, d.attempts + 1):
            if self._closing.is_set():
                break
            self.attempts += 1
            ok, retry, reason, after = self._post(body)
            if ok:
                self.sent += 1
                return
            if not retry or attempt == d.attempts:
                break
            if after is not None:  # the receiver said when: no sooner (and no later than max_backoff)
                delay = min(d.max_backoff, after)
            else:
                delay = min(d.max_backoff, d.backoff * 2 ** (attempt - 1)) * (0.75 + self._rng.random() / 2)
            if not self._pause(delay, asked=after is not None):
                break
        self.failed += 1
        tries = f"after {attempt} attempt{'s' if attempt > 1 else ''}"
        self._problem(f"{kind} notification not delivered {tries}: {reason}")

    def _pause(self, delay: float, asked: bool) -> bool:
        """Wait ``delay`` before the next attempt; False to give up. Once the run is over (``close``),
        our own backoff ends at once (the last messages are tried again now, within the close's wait),
        and a wait the receiver asked for (Retry-After) that ends after the close's deadline is given up."""
        until = time.monotonic() + delay
        while True:
            if self._closing.is_set():
                return False
            if self._end is not None:
                if not asked:
                    return True
                if until > self._end:
                    return False
            left = until - time.monotonic()
            if left <= 0:
                return True
            self._hurry.wait(left)

    def _post(self, body: bytes) -> tuple[bool, bool, str, float | None]:
        """One POST: (delivered, worth retrying, why not, Retry-After seconds)."""
        import urllib.error
        import urllib.request

        from .. import __version__

        headers = {"Content-Type": "application/json", "User-Agent": f"canary-tui/{__version__}"}
        try:
            request = urllib.request.Request(self._url, data=body, method="POST", headers=headers)
            with _opener().open(request, timeout=self.delivery.timeout) as answer:
                answer.read(65536)
                return True, False, "", None
        except urllib.error.HTTPError as e:
            code = e.code
            after = retry_after_seconds(e.headers.get("Retry-After") if e.headers else None)
            retry = code >= 500 or code in (408, 425, 429)
            return False, retry, f"HTTP {code} {clean(e.reason or '', 80)}".strip(), after
        except urllib.error.URLError as e:
            why = e.reason
            if isinstance(why, TimeoutError):
                return False, True, f"no answer within {self.delivery.timeout:g}s", None
            return False, True, f"cannot connect: {clean(why, 200)}", None
        except TimeoutError:
            return False, True, f"no answer within {self.delivery.timeout:g}s", None
        except (OSError, ValueError) as e:
            # ValueError: a malformed URL; its message would contain the URL, so only the type is said
            detail = clean(e, 200) if isinstance(e, OSError) else "malformed URL"
            return False, isinstance(e, OSError), f"{type(e).__name__}: {detail}", None

    def _problem(self, message: str) -> None:
        text = self._redact(f"notify {self.name}: {message}")
        self.problems.append(text)
        if self._warn is not None:
            with contextlib.suppress(Exception):  # a broken warning channel must not stop the sender
                self._warn(text)


if TYPE_CHECKING:
    from urllib.request import OpenerDirector

_OPENER: OpenerDirector | None = None


def _opener() -> OpenerDirector:
    """urllib's opener without redirects: a POST would turn into a GET, or go somewhere not configured."""
    global _OPENER
    if _OPENER is None:
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
                return None  # the 3xx answer becomes an HTTPError: not delivered, not retried

        _OPENER = urllib.request.build_opener(NoRedirect)
    return _OPENER
