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
from typing import TYPE_CHECKING, Any, Protocol

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
    # The URL's last part after the endpoint key, for providers whose credential it is.
    path_secret: str | None = None


class EndpointSetup(Protocol):
    """What a verifier knows of the endpoint a delivery came to."""

    @property
    def store_id(self) -> int: ...

    @property
    def secrets(self) -> Sequence[str]: ...

    @property
    def account_ref(self) -> str | None:
        """The provider account the endpoint serves (a Shopify shop domain), if pinned."""


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


Verifier = Callable[[IncomingRequest, EndpointSetup, float], Delivery | None]
Handler = Callable[[EventContext], None]
Screen = Callable[[EventContext], None]
Decoder = Callable[[str], dict[str, Any]]
# Says what is wrong with a signing secret that cannot be right, or None if it may be.
SecretCheck = Callable[[str], str | None]

MIN_SECRET_LENGTH = 16


class Signer(Protocol):
    """Signs a body the way the provider would, for `shopsync simulate` and tests.

    The event type is given because some providers (Shopify, WooCommerce) name it only in
    an unsigned header: a body alone cannot tell orders/updated from orders/paid.
    """

    def __call__(
        self, body: bytes, secret: str, *, timestamp: float, event_id: str, event_type: str
    ) -> dict[str, str]: ...


def plain_secret_problem(secret: str, *, min_length: int = MIN_SECRET_LENGTH) -> str | None:
    """What is wrong with a shared HMAC secret: empty, short, or holding whitespace."""
    if not secret:
        return "is empty"
    if any(character.isspace() for character in secret):
        return "contains whitespace (a copy-and-paste slip?)"
    if len(secret) < min_length:
        return f"is shorter than {min_length} characters"
    return None


@dataclass(frozen=True)
class Provider:
    """How one provider's webhooks are verified and read.

    `verify` returns None for a provider's URL check (a ping): answered 200, stored
    nowhere. Only a provider with `answers_get` (Mailchimp checks a URL with a GET) is
    handed GET and HEAD requests; the others answer them 405. `screen` may raise
    `Ignored` before dispatch (test-mode events, say).
    `decode` turns the stored payload text back into a dict for handlers. `sign`
    produces the provider's headers for a body, for `shopsync simulate` and tests.
    `normalize_account` is set by providers whose endpoints can be pinned to one
    account (`shopsync store set-account`): it returns the stored form of a value or
    raises ValueError saying what a valid one looks like.
    `check_secret` refuses signing secrets that cannot be right (empty, short, the
    wrong format), so nobody can forge deliveries to an endpoint with a weak one.
    `secret_in_path` is for a provider that signs nothing (Mailchimp): the endpoint's
    secret is a second path part after the key (`/webhooks/<provider>/<key>/<secret>`),
    compared in constant time before `verify`; a wrong or missing one is answered as an
    unknown endpoint (404). Other providers' URLs have no such part.
    """

    name: str
    event_types: frozenset[str]
    verify: Verifier
    new_secret: Callable[[], str]
    sign: Signer
    decode: Decoder = decode_stored_object
    check_secret: SecretCheck = plain_secret_problem
    screen: Screen | None = None
    # Builds a realistic body for (event type, store order id), for `shopsync simulate`.
    sample: Callable[[str, str], bytes] | None = None
    # The (provider, event type) deliveries `shopsync simulate` sends before the sample
    # for (event type, order id, whether the order is known): a carrier's tracker is
    # about a parcel the store must have announced first.
    prelude: Callable[[str, str, bool], list[tuple[str, str]]] | None = None
    description: str = ""
    normalize_account: Callable[[str], str] | None = None
    # Who issues the signing secret and where it goes, told when an endpoint is made
    # (`{store_id}` is filled in).
    signing_setup: str = "configure the sender with this signing secret"
    answers_get: bool = False
    secret_in_path: bool = False


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
