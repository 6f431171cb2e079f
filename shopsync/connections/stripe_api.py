"""The few Stripe API calls shopsync makes, behind one typed adapter.

Every call goes through a `stripe.StripeClient` built for it, with the request timeout
and the API base from the settings (`STRIPE_API_BASE` points tests at a stand-in) and
`stripe.api_version` pinned by the SDK. Calls that create pass an idempotency key, so
a retry (by the SDK or by the caller) gets the same object back, never a second one.

Errors, as this module raises them:

    ProviderError
    ├── InvalidApiKey       401: the key is wrong, revoked or expired
    └── StripeUnavailable   no answer, a timeout or a 5xx: try again later

Stripe's own messages are not passed on (they can quote the request); the HTTP status
and Stripe's error code are.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, cast

import stripe

from shopsync.errors import ProviderError

MAX_NETWORK_RETRIES = 1
NOT_FOUND = 404


class InvalidApiKey(ProviderError):
    """Stripe refused the key."""


class StripeUnavailable(ProviderError):
    """Stripe did not answer in time, or answered with a server error."""


@dataclass(frozen=True)
class KeyCheck:
    livemode: bool
    account_id: str | None


@dataclass(frozen=True)
class CreatedEndpoint:
    id: str
    secret: str
    url: str
    enabled_events: tuple[str, ...]


@dataclass(frozen=True)
class RemoteEndpoint:
    """A webhook endpoint as Stripe has it now."""

    id: str
    status: str
    url: str
    enabled_events: tuple[str, ...]


@dataclass(frozen=True)
class CheckoutItem:
    """One line of a Checkout Session, as Stripe lists it."""

    name: str
    quantity: int
    unit_amount: int | None


@dataclass(frozen=True)
class StripeApi:
    """Where Stripe is and how long to wait for it."""

    base: str | None = None
    timeout: float = 10.0
    # The SDK's own retries of a failed call (a page that only reads wants none).
    retries: int = MAX_NETWORK_RETRIES

    def client(self, api_key: str) -> stripe.StripeClient:
        return stripe.StripeClient(
            api_key,
            base_addresses={"api": self.base} if self.base else None,
            http_client=stripe.RequestsClient(timeout=self.timeout),
            max_network_retries=self.retries,
        )

    def check_key(self, api_key: str) -> KeyCheck:
        """The key works: the account it belongs to (a restricted key may not read it)."""
        client = self.client(api_key)
        with Translated():
            with suppress(stripe.PermissionError):
                account = client.v1.accounts.retrieve_current()
                return KeyCheck(livemode=is_live_key(api_key), account_id=account.id)
            # A restricted key without either read is valid; its scope shows later.
            with suppress(stripe.PermissionError):
                client.v1.balance.retrieve()
            return KeyCheck(livemode=is_live_key(api_key), account_id=None)

    def create_endpoint(
        self, api_key: str, *, url: str, events: Sequence[str], idempotency_key: str
    ) -> CreatedEndpoint:
        with Translated():
            created = self.client(api_key).v1.webhook_endpoints.create(
                {
                    "url": url,
                    "enabled_events": cast(Any, list(events)),
                    "api_version": stripe.api_version,  # type: ignore[typeddict-item]
                    "description": "shopsync",
                },
                {"idempotency_key": idempotency_key},
            )
        if not created.secret:
            raise ProviderError("Stripe created the endpoint without returning its secret")
        return CreatedEndpoint(
            id=created.id,
            secret=created.secret,
            url=created.url,
            enabled_events=tuple(created.enabled_events),
        )

    def delete_endpoint(self, api_key: str, endpoint_id: str) -> bool:
        """Delete it; False if Stripe no longer had it."""
        with Translated():
            try:
                self.client(api_key).v1.webhook_endpoints.delete(endpoint_id)
            except stripe.InvalidRequestError as error:
                if error.http_status == NOT_FOUND:
                    return False
                raise
        return True

    def endpoint(self, api_key: str, endpoint_id: str) -> RemoteEndpoint | None:
        """The endpoint as Stripe has it; None if Stripe no longer has it."""
        with Translated():
            try:
                found = self.client(api_key).v1.webhook_endpoints.retrieve(endpoint_id)
            except stripe.InvalidRequestError as error:
                if error.http_status == NOT_FOUND:
                    return None
                raise
        return RemoteEndpoint(
            id=found.id,
            status=found.status,
            url=found.url,
            enabled_events=tuple(found.enabled_events),
        )

    def checkout_line_items(self, api_key: str, session_id: str) -> list[CheckoutItem]:
        """Every line item of a Checkout Session (all pages)."""
        with Translated():
            listed = self.client(api_key).v1.checkout.sessions.line_items.list(
                session_id, {"limit": 100}
            )
            return [_checkout_item(item.to_dict()) for item in listed.auto_paging_iter()]

    def subscription(self, api_key: str, subscription_id: str) -> dict[str, Any]:
        with Translated():
            found = self.client(api_key).v1.subscriptions.retrieve(subscription_id)
        return found.to_dict()

    def active_entitlements(self, api_key: str, customer: str) -> list[str]:
        """Every active entitlement's feature lookup key (all pages)."""
        with Translated():
            listed = self.client(api_key).v1.entitlements.active_entitlements.list(
                {"customer": customer, "limit": 100}
            )
            return [item.lookup_key for item in listed.auto_paging_iter()]


def _checkout_item(item: dict[str, Any]) -> CheckoutItem:
    price = item.get("price") if isinstance(item.get("price"), dict) else {}
    quantity = item.get("quantity")
    count = quantity if isinstance(quantity, int) and quantity > 0 else 1
    unit = price.get("unit_amount") if price else None
    if not isinstance(unit, int):
        subtotal = item.get("amount_subtotal")
        unit = subtotal // count if isinstance(subtotal, int) else None
    name = item.get("description") or (price.get("nickname") if price else None) or "Item"
    return CheckoutItem(name=str(name), quantity=count, unit_amount=unit)


def is_live_key(api_key: str) -> bool:
    return api_key.startswith(("sk_live_", "rk_live_"))


def key_problem(api_key: str) -> str | None:
    """What is wrong with the shape of a key, or None (only secret and restricted keys)."""
    prefixes = ("sk_test_", "rk_test_", "sk_live_", "rk_live_")
    if not api_key.startswith(prefixes):
        return "a Stripe secret key starts with sk_test_, sk_live_, rk_test_ or rk_live_"
    if any(character.isspace() for character in api_key) or len(api_key) < 20:
        return "the key is incomplete (a copy-and-paste slip?)"
    return None


class Translated:
    """Stripe's exceptions as this module's (see the module docstring)."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: object
    ) -> None:
        if error is None or not isinstance(error, stripe.StripeError):
            return
        if isinstance(error, stripe.AuthenticationError):
            raise InvalidApiKey("Stripe refused the API key (401)") from None
        status = error.http_status
        if isinstance(error, stripe.APIConnectionError) or status is None or status >= 500:
            raise StripeUnavailable(f"Stripe did not answer ({type(error).__name__})") from None
        code = f", {error.code}" if error.code else ""
        raise ProviderError(f"Stripe refused the request ({status}{code})") from None
