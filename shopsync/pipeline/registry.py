"""The provider registry: how each provider's deliveries are verified, and who handles what.

A provider module in `handlers/` registers itself with `registry.add_provider(...)` and
its event handlers with `@registry.on(provider, event_type)`. Registering a handler
for an event type the provider did not declare fails at import, so a typo in an event
name cannot silently drop events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import Headers

from shopsync.pipeline.payloads import decode_stored_object

if TYPE_CHECKING:
    from shopsync.models import Store, WebhookEvent
    from shopsync.work import UnitOfWork


class UnknownEventType(LookupError):
    """A handler names an event type its provider never sends."""


@dataclass(frozen=True)
class IncomingRequest:
    """What a provider sent, before anything parsed it."""

    method: str
    # Case-insensitive in practice (werkzeug's Headers); providers look names up as documented.
    headers: Headers
    body: bytes
    content_type: str = ""


@dataclass(frozen=True)
class Delivery:
    """A verified delivery, ready for the inbox."""

    event_id: str
    event_type: str
    occurred_at: datetime
    payload_text: str


@dataclass
class EventContext:
    """What a handler gets: the event, its payload, and the unit of work to change things.

    Handlers read the payload and call the domain with `work`; the domain never sees
    the event row itself.
    """

    event: WebhookEvent
    payload: dict[str, Any]
    work: UnitOfWork
    # The functions registered for this event's type, in registration order.
    handlers: list[Handler] = field(default_factory=list)

    @property
    def store(self) -> Store:
        return self.work.store


Verifier = Callable[[IncomingRequest, Sequence[str], float], Delivery | None]
Handler = Callable[[EventContext], None]
Screen = Callable[[EventContext], None]
Decoder = Callable[[str], dict[str, Any]]
# Signs a body the way the provider would: (body, secret, unix time, event id) -> headers.
Signer = Callable[[bytes, str, float, str], dict[str, str]]


@dataclass(frozen=True)
class Provider:
    """How one provider's webhooks are verified and read.

    `verify` returns None for a provider's URL check (a ping): answered 200, stored
    nowhere. Only a provider with `answers_get` (Mailchimp checks a URL with a GET) is
    handed GET and HEAD requests; the others answer them 405. `screen` may raise
    `Ignored` before dispatch (test-mode events, say).
    `decode` turns the stored payload text back into a dict for handlers. `sign`
    produces the provider's headers for a body, for `shopsync simulate` and tests.
    """

    name: str
    event_types: frozenset[str]
    verify: Verifier
    new_secret: Callable[[], str]
    sign: Signer
    decode: Decoder = decode_stored_object
    screen: Screen | None = None
    # Builds a realistic body for (event type, store order id), for `shopsync simulate`.
    sample: Callable[[str, str], bytes] | None = None
    description: str = ""
    answers_get: bool = False


@dataclass
class Registry:
    providers: dict[str, Provider] = field(default_factory=dict)
    handlers: dict[tuple[str, str], list[Handler]] = field(default_factory=dict)

    def add_provider(self, provider: Provider) -> Provider:
        self.providers[provider.name] = provider
        return provider

    def on(self, provider: str, *event_types: str) -> Callable[[Handler], Handler]:
        """Register the decorated function for these event types of `provider`."""
        known = self.providers[provider].event_types
        unknown = [t for t in event_types if t not in known]
        if unknown:
            raise UnknownEventType(f"{provider} sends no event type {', '.join(unknown)}")

        def register(handler: Handler) -> Handler:
            for event_type in event_types:
                self.handlers.setdefault((provider, event_type), []).append(handler)
            return handler

        return register

    def handlers_for(self, provider: str, event_type: str) -> list[Handler]:
        return self.handlers.get((provider, event_type), [])

    def provider(self, name: str) -> Provider | None:
        return self.providers.get(name)


registry = Registry()
