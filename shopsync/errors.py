"""Exceptions shopsync raises on purpose.

    ShopsyncError
    ├── ConfigError            bad settings; raised at start-up
    ├── WebhookError           a delivery we refuse (mapped to HTTP in web/webhooks.py)
    │   ├── InvalidSignature   400: missing/bad/stale/future signature, wrong secret
    │   ├── InvalidPayload     400: not UTF-8, not JSON, not an object, nested too deep
    │   └── PayloadTooLarge    413: over the body size cap
    ├── EventOutcome           raised by handlers to end processing without a retry
    │   ├── Ignored            the row is marked `ignored` (unknown type/account, test mode)
    │   └── Unprocessable      the row is marked `unprocessable` with the reason
    ├── OrderNotYetKnown       the row is parked until the order arrives
    └── ProviderError          a provider API refused or failed (retried by the job)

Messages never contain secrets, signatures or payload content: they reach HTTP
responses and logs.
"""

from __future__ import annotations

import traceback


class ShopsyncError(Exception):
    """Base of every error shopsync raises on purpose."""


class ConfigError(ShopsyncError):
    """The configuration cannot work; the message names the variable."""


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


class OrderNotYetKnown(ShopsyncError):
    """The event refers to an order not seen yet; the row is parked until it arrives."""

    def __init__(self, external_id: str) -> None:
        super().__init__("order not yet known")
        self.external_id = external_id


class ProviderError(ShopsyncError):
    """A provider API call failed; jobs let it propagate so they are retried."""


def describe_error(error: BaseException) -> str:
    """Class and raising location of an error, with no message (it may hold payload data).

    Our own errors' messages are written to be safe, so they are kept.
    """
    if isinstance(error, ShopsyncError):
        return f"{type(error).__name__}: {error}"
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}{where}"
