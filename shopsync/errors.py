"""Exceptions shopsync raises on purpose.

    ShopsyncError
    ├── ConfigError            bad settings; raised at start-up
    │   └── SecretsUnreadable  stored secrets do not decrypt with SECRET_KEY (or a fallback)
    ├── InvalidSecret          a signing secret that cannot be right (empty, short, bad format)
    ├── WebhookError           a delivery we refuse (mapped to HTTP in web/webhooks.py)
    │   ├── InvalidSignature   400: missing/bad/stale/future signature, wrong secret
    │   ├── InvalidPayload     400: not UTF-8, not JSON, not an object, nested too deep
    │   └── PayloadTooLarge    413: over the body size cap
    ├── EventOutcome           raised by handlers to end processing without a retry
    │   ├── Ignored            the row is marked `ignored` (unknown type/account, test mode)
    │   └── Unprocessable      the row is marked `unprocessable` with the reason
    ├── NotYetKnown            the row is parked on a wait key (see shopsync.waits)
    ├── ProviderError          a provider API refused or failed (retried by the job)
    └── UnknownJob             a job in Redis names no shopsync job function: not run

Messages never contain secrets, signatures or payload content: they reach HTTP
responses and logs.
"""

from __future__ import annotations

import os
import traceback


class ShopsyncError(Exception):
    """Base of every error shopsync raises on purpose."""


class ConfigError(ShopsyncError):
    """The configuration cannot work; the message names the variable."""


class SecretsUnreadable(ConfigError):
    """Stored secrets were encrypted with a key that is neither SECRET_KEY nor a fallback."""


class InvalidSecret(ShopsyncError):
    """A signing secret is refused: anyone could forge deliveries signed with it."""


class UnknownJob(ShopsyncError):
    """A job in Redis names a function shopsync never queues (see shopsync.queue)."""


class WebhookError(ShopsyncError):
    """A delivery is refused; `status` is the HTTP answer."""

    status = 400


class InvalidSignature(WebhookError):
    """The delivery is not signed by a secret this endpoint accepts."""


class InvalidPayload(WebhookError):
    """The body cannot be read as the provider's format."""


class PayloadTooLarge(WebhookError):
    """The body is larger than the configured cap."""

    status = 413


class EventOutcome(ShopsyncError):
    """A verified event that ends without effects and must not be retried."""

    status = "ignored"


class Ignored(EventOutcome):
    """Nothing to do: unknown type, unknown account, test event on a live store."""

    status = "ignored"


class Unprocessable(EventOutcome):
    """Verified, but the content is inconsistent; no business write happens."""

    status = "unprocessable"


class NotYetKnown(ShopsyncError):
    """The work refers to something not seen yet; the event waits on `key`."""

    def __init__(self, key: str) -> None:
        super().__init__("waiting for something not yet known")
        self.key = key


class ProviderError(ShopsyncError):
    """A provider API call failed; jobs let it propagate so they are retried."""


def describe_error(error: BaseException) -> str:
    """Class and where in our code it was raised, with no message (it may hold payload data).

    Our own errors' messages are written to be safe, so they are kept.
    """
    if isinstance(error, ShopsyncError):
        return f"{type(error).__name__}: {error}"
    frame = innermost_own_frame(error)
    where = f" at {_short_path(frame.filename)}:{frame.lineno}" if frame else ""
    return f"{type(error).__name__}{where}"


def innermost_own_frame(error: BaseException) -> traceback.FrameSummary | None:
    """The deepest frame in shopsync's or the handlers' code: where to start looking."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [frame for frame in frames if _is_own(frame.filename)]
    chosen = own or frames
    return chosen[-1] if chosen else None


def message_free_trace(error: BaseException, limit: int = 30) -> str:
    """The traceback's frames and exception classes, never a message or a local value."""
    frames = traceback.extract_tb(error.__traceback__)[-limit:]
    lines = [f"{_short_path(f.filename)}:{f.lineno} in {f.name}" for f in frames]
    lines.append(type(error).__name__)
    cause = error.__cause__ or error.__context__
    if cause is not None:
        lines.append(f"while handling {type(cause).__name__}")
    return "\n".join(lines)


# shopsync and handlers are installed side by side (a checkout or site-packages).
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_OWN_DIRS = tuple(os.path.join(_ROOT, package) + os.sep for package in ("shopsync", "handlers"))


def _is_own(filename: str) -> bool:
    return filename.startswith(_OWN_DIRS)


def _short_path(filename: str) -> str:
    if _is_own(filename):
        return os.path.relpath(filename, _ROOT)
    return os.path.basename(filename)
