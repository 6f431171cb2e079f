"""The store's Mailchimp account as the admin's Mailchimp page shows it, and why a
connection was refused, in one line that says what to do.

The page reads only what is stored (no call to Mailchimp). The key is shown as its
last four characters before the data centre (`…cdef-us21`): the data centre is not a
secret, and is shown on its own anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from shopsync.errors import ShopsyncError
from shopsync.mailchimp import accounts, connection
from shopsync.mailchimp.adapter import InvalidApiKey, MailchimpError
from shopsync.mailchimp.connection import AudienceNotFound, ConnectionStatus
from shopsync.runtime import Runtime

HINT_CHARACTERS = 4
UNAUTHORIZED = 401
FORBIDDEN = 403
WEBHOOK_CALL = "lists.create_list_webhook"


@dataclass(frozen=True)
class MailchimpPage:
    status: ConnectionStatus
    key_hint: str | None = None


def mailchimp_status(rt: Runtime, *, store_id: int) -> ConnectionStatus:
    services = connection.services_for(rt)
    return connection.status(services, store_id=store_id, public_url=rt.settings.public_url)


def mailchimp_page(rt: Runtime, *, store_id: int) -> MailchimpPage:
    found = mailchimp_status(rt, store_id=store_id)
    if not found.connected:
        return MailchimpPage(status=found)
    with Session(rt.engine) as session:
        account = accounts.load(session, rt.vault, store_id)
    return MailchimpPage(status=found, key_hint=key_hint(account.api_key) if account else None)


def key_hint(api_key: str) -> str:
    """`…cdef-us21`: four characters of the secret part, and the data centre."""
    secret, _, server = api_key.rpartition("-")
    return f"…{secret[-HINT_CHARACTERS:]}-{server}"


def refusal(error: ShopsyncError) -> tuple[int, str]:
    """The HTTP status and the line a page shows for a connection that failed."""
    if isinstance(error, AudienceNotFound):
        return 422, (
            "this Mailchimp account has no audience with that ID: leave the field empty to "
            "choose from its audiences"
        )
    if isinstance(error, InvalidApiKey) or not isinstance(error, MailchimpError):
        return 422, str(error)
    if error.transient:
        return 502, f"Mailchimp could not be reached or is busy ({error.detail}); try again shortly"
    if error.status in (UNAUTHORIZED, FORBIDDEN):
        return 422, (
            f"Mailchimp refused the key ({error.detail}): check it under Account > Extras > "
            "API keys, or make a new one"
        )
    if WEBHOOK_CALL in error.detail:
        # Mailchimp saves a webhook only after its URL answered a GET from the internet.
        return 502, (
            f"Mailchimp did not take the webhook ({error.detail}): it must reach this "
            "deployment's PUBLIC_URL from the internet"
        )
    return 502, f"Mailchimp refused the request ({error.detail})"
