"""Every Mailchimp Marketing API call shopsync makes, behind one typed adapter over the SDK.

`MailchimpApi(base, timeout).client(api_key)` checks the key's shape and data centre
before anything is sent (the SDK builds its host from whatever follows the dash), then
gives a `MailchimpClient` whose calls all:

- go to `https://<dc>.api.mailchimp.com/3.0`, or to `MAILCHIMP_API_BASE` (tests' stand-in);
- time out after `timeout` seconds (the SDK's own default is two minutes);
- wait for one of at most `MAX_CONNECTIONS_PER_KEY` slots per key in this process
  (Mailchimp refuses an eleventh concurrent connection with a 429);
- raise `MailchimpError` on failure, and nothing else the SDK would.

Typed methods cover what connecting and inbound webhooks need (`ping`, `audiences`,
`audience`, `member`, `create_webhook`, `delete_webhook`). Other endpoints go through
`call(group, method, *args, **kwargs)`: the SDK method by its attribute names, e.g.
`client.call("ecommerce", "add_store_order", store_id, body)` or
`client.call("lists", "set_list_member", list_id, subscriber_hash(email), body)`; it
returns the JSON object Mailchimp answered (`{}` for an empty 204).

Errors, as this module raises them:

    ProviderError
    └── MailchimpError       `transient`: try again later (no answer, timeout, 429, 5xx);
                             otherwise permanent (other 4xx). `status` is Mailchimp's
                             HTTP status (None without an answer), `title` its problem
                             title ("Resource Not Found", "Member Exists").

`MailchimpError`'s message (`detail`) never holds the key, the request or Mailchimp's own
`detail` text (it quotes addresses): only the status, Mailchimp's title and the call.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mailchimp_marketing
import requests
from mailchimp_marketing.api_client import ApiClientError

from shopsync.errors import ProviderError

if TYPE_CHECKING:
    from shopsync.config import Settings

# Mailchimp's limit on simultaneous connections per API key.
MAX_CONNECTIONS_PER_KEY = 10
# `<hex>-<data centre>`, as Mailchimp issues keys: us21, eu1, ...
KEY_FORM = re.compile(r"^[0-9a-f]{16,64}-([a-z]{2}[0-9]{1,3})$")
TOO_MANY_REQUESTS = 429
NOT_FOUND = 404
SERVER_ERROR = 500
TITLE_LIMIT = 60
SAFE_TITLE = re.compile(r"^[A-Za-z0-9 .,'()-]+$")

JsonObject = dict[str, Any]


class MailchimpError(ProviderError):
    """A Mailchimp call failed; `transient` says whether trying again later can work."""

    def __init__(
        self, detail: str, *, transient: bool, status: int | None = None, title: str | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.transient = transient
        self.status = status
        self.title = title

    @property
    def not_found(self) -> bool:
        return self.status == NOT_FOUND


class InvalidApiKey(MailchimpError):
    """The key cannot be a Mailchimp key (checked before any request)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, transient=False)


@dataclass(frozen=True)
class Audience:
    id: str
    name: str
    member_count: int | None = None


@dataclass(frozen=True)
class Member:
    """A member of an audience as Mailchimp has it now."""

    email: str
    # subscribed, unsubscribed, cleaned, pending, transactional or archived.
    status: str
    first_name: str | None = None
    last_name: str | None = None
    last_changed: str | None = None


def data_centre(api_key: str) -> str:
    """The key's data centre (`us21`); InvalidApiKey if the key is not in Mailchimp's form."""
    found = KEY_FORM.fullmatch(api_key)
    if found is None:
        raise InvalidApiKey(
            "a Mailchimp API key looks like <32 hex characters>-<data centre>, e.g. …-us21 "
            "(Account > Extras > API keys)"
        )
    return found.group(1)


def subscriber_hash(email: str) -> str:
    """Mailchimp's id of a member: the MD5 of the lower-cased address."""
    return hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class MailchimpApi:
    """Where Mailchimp is and how long to wait for it."""

    base: str | None = None
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> MailchimpApi:
        """`MAILCHIMP_API_BASE` and `SHOPSYNC_OUTBOUND_TIMEOUT_SECONDS`."""
        return cls(base=settings.mailchimp_api_base, timeout=settings.outbound_timeout_seconds)

    def client(self, api_key: str) -> MailchimpClient:
        server = data_centre(api_key)
        host = (self.base or f"https://{server}.api.mailchimp.com/3.0").rstrip("/")
        return MailchimpClient(api_key=api_key, server=server, host=host, timeout=self.timeout)


class MailchimpClient:
    """One key's calls (see the module docstring)."""

    def __init__(self, *, api_key: str, server: str, host: str, timeout: float) -> None:
        self._sdk: Any = mailchimp_marketing.Client()
        self._sdk.set_config({"api_key": api_key, "server": server, "timeout": timeout})
        # The SDK replaces every "server" in the whole URL (ids included) with the data
        # centre: give it the finished host and no server so it replaces nothing.
        self._sdk.api_client.host = host
        self._sdk.api_client.server = ""
        self._slots = _slots_for(api_key)
        self._timeout = timeout
        self.server = server

    def ping(self) -> None:
        """The key works (Mailchimp answers 401 otherwise)."""
        self.call("ping", "get")

    def audiences(self) -> list[Audience]:
        found = self.call(
            "lists", "get_all_lists", count=1000, fields=["lists.id", "lists.name", "lists.stats"]
        )
        lists = found.get("lists")
        return [_audience(item) for item in lists if isinstance(item, dict)] if lists else []

    def audience(self, list_id: str) -> Audience | None:
        try:
            return _audience(self.call("lists", "get_list", list_id))
        except MailchimpError as error:
            if error.not_found:
                return None
            raise

    def member(self, list_id: str, email: str) -> Member | None:
        """The member with this address as Mailchimp has it now; None if it has none."""
        try:
            found = self.call("lists", "get_list_member", list_id, subscriber_hash(email))
        except MailchimpError as error:
            if error.not_found:
                return None
            raise
        merges = found.get("merge_fields") if isinstance(found.get("merge_fields"), dict) else {}
        return Member(
            email=str(found.get("email_address") or email),
            status=str(found.get("status") or ""),
            first_name=_text(merges.get("FNAME")) if merges else None,
            last_name=_text(merges.get("LNAME")) if merges else None,
            last_changed=_text(found.get("last_changed")),
        )

    def create_webhook(
        self, list_id: str, *, url: str, events: dict[str, bool], sources: dict[str, bool]
    ) -> str:
        """Register an audience webhook; its id. Mailchimp checks the URL with a GET first."""
        created = self.call(
            "lists",
            "create_list_webhook",
            list_id,
            {"url": url, "events": events, "sources": sources},
        )
        webhook_id = created.get("id")
        if not isinstance(webhook_id, str) or not webhook_id:
            raise MailchimpError("Mailchimp created the webhook without an id", transient=False)
        return webhook_id

    def delete_webhook(self, list_id: str, webhook_id: str) -> bool:
        """Delete it; False if Mailchimp no longer had it."""
        try:
            self.call("lists", "delete_list_webhook", list_id, webhook_id)
        except MailchimpError as error:
            if error.not_found:
                return False
            raise
        return True

    def call(self, group: str, method: str, *args: Any, **kwargs: Any) -> JsonObject:
        """Any SDK method, `client.<group>.<method>(*args, **kwargs)`; its JSON answer."""
        function = getattr(getattr(self._sdk, group), method)
        what = f"{group}.{method}"
        if not self._slots.acquire(timeout=self._timeout):
            raise MailchimpError(
                f"Mailchimp {what}: {MAX_CONNECTIONS_PER_KEY} calls with this key are "
                "already under way",
                transient=True,
            )
        try:
            answer = function(*args, **kwargs)
        except ApiClientError as error:
            raise _classified(what, error) from None
        finally:
            self._slots.release()
        return _answer(what, answer)


_slots: dict[str, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _slots_for(api_key: str) -> threading.BoundedSemaphore:
    """The process's connection slots for this key (keyed by its hash, not the key)."""
    name = hashlib.sha256(api_key.encode()).hexdigest()
    with _slots_lock:
        if name not in _slots:
            _slots[name] = threading.BoundedSemaphore(MAX_CONNECTIONS_PER_KEY)
        return _slots[name]


def _answer(what: str, answer: object) -> JsonObject:
    """The SDK hands back a bare `requests.Response` when the body was empty, error or not."""
    if isinstance(answer, requests.Response):
        if not answer.ok:
            raise _failure(what, answer.status_code, None)
        return {}
    if isinstance(answer, dict):
        return answer
    raise MailchimpError(f"Mailchimp {what}: the answer is not a JSON object", transient=True)


def _classified(what: str, error: ApiClientError) -> MailchimpError:
    status = error.status_code
    if status is None:
        # No answer at all: the SDK wraps requests' exception (timeout, refused, reset).
        cause = type(error.text).__name__ if isinstance(error.text, Exception) else "no answer"
        return MailchimpError(f"Mailchimp {what}: no answer ({cause})", transient=True)
    return _failure(what, int(status), _title(error.text))


def _failure(what: str, status: int, title: str | None) -> MailchimpError:
    transient = status == TOO_MANY_REQUESTS or status >= SERVER_ERROR
    named = f", {title}" if title else ""
    return MailchimpError(
        f"Mailchimp {what}: {status}{named}", transient=transient, status=status, title=title
    )


def _title(text: object) -> str | None:
    """Mailchimp's problem title ("Member Exists"): a category, never the member's data."""
    if isinstance(text, str):
        try:
            text = json.loads(text)
        except ValueError:
            return None
    title = text.get("title") if isinstance(text, dict) else None
    if isinstance(title, str) and len(title) <= TITLE_LIMIT and SAFE_TITLE.fullmatch(title):
        return title
    return None


def _audience(item: JsonObject) -> Audience:
    stats = item.get("stats") if isinstance(item.get("stats"), dict) else {}
    count = stats.get("member_count") if stats else None
    return Audience(
        id=str(item.get("id") or ""),
        name=str(item.get("name") or ""),
        member_count=count if isinstance(count, int) else None,
    )


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
