"""What a Mailchimp audience change does to the store's customers.

Mailchimp's webhooks are unsigned, so what one says is only a hint of which member to
look at. Before anything changes, the member is re-read from Mailchimp with the store's
key (`lists.get_list_member`), and the member's status there now is what counts:

    subscribed                                  marketing consent on
    unsubscribed, cleaned, archived,            marketing consent off
    transactional, or no such member (404)
    pending (double opt-in not confirmed yet)   nothing changes

A forged "unsubscribe" for a member who is subscribed therefore changes nothing. The
statement is recorded as Mailchimp's (`source` "mailchimp") at the event's `fired_at`,
so an older statement never undoes a newer one. A name comes from the member's FNAME
and LNAME as re-read; an address change (`upemail`) moves the customer only when the
new address is a member of the audience now.

Mailchimp unreachable (or rate limiting) raises `MailchimpError` so the event is tried
again later; a refusal that cannot succeed (a revoked key) makes the event unprocessable,
with Mailchimp's status as the reason. Each consent change becomes a `marketing` moment,
told to the store's subscribers (customers.consent_news).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from shopsync.crypto import Vault
from shopsync.customers import consent, customers
from shopsync.customers.consent_news import MARKETING_SUBJECT, marketing_moment
from shopsync.errors import Ignored, Unprocessable
from shopsync.mailchimp import accounts
from shopsync.mailchimp.accounts import MailchimpAccount
from shopsync.mailchimp.adapter import MailchimpApi, MailchimpClient, MailchimpError, Member
from shopsync.work import UnitOfWork

SOURCE = "mailchimp"
SUBSCRIBED = "subscribed"
# Statuses that say nothing yet about what the member chose.
UNDECIDED = frozenset(("pending",))

__all__ = ["MARKETING_SUBJECT", "MemberNews", "configure", "follow_member", "follow_new_address"]


@dataclass(frozen=True)
class MemberNews:
    """What a webhook says happened to a member: which one to re-read, and why."""

    event: str
    list_id: str
    email: str
    # Mailchimp's reason (unsubscribe: manual/abuse, cleaned: hard/abuse), or None.
    reason: str | None = None


_configured: tuple[MailchimpApi, Vault] | None = None


def configure(api: MailchimpApi | None, vault: Vault | None) -> None:
    """Set by the process's bootstrap: how handlers reach Mailchimp with a store's key."""
    global _configured  # noqa: PLW0603 - one per process, like its runtime
    _configured = (api, vault) if api is not None and vault is not None else None


def follow_member(work: UnitOfWork, news: MemberNews) -> None:
    """Bring the customer in line with the member as Mailchimp has it now."""
    account, client = _connected(work.session, work.store_id, news.list_id)
    member = _reread(client, account, news.email)
    _apply(work, news, member)


def follow_new_address(work: UnitOfWork, news: MemberNews, *, old_email: str) -> None:
    """`upemail`: the customer moves from `old_email` to the member's new address."""
    account, client = _connected(work.session, work.store_id, news.list_id)
    member = _reread(client, account, news.email)
    if member is None:
        raise Ignored("the new address is not a member of the audience (not moved)")
    customers.move_address(work, old_email, news.email)
    _apply(work, news, member)


def _apply(work: UnitOfWork, news: MemberNews, member: Member | None) -> None:
    status = member.status if member else None
    name = _name(member)
    customer_id = _customer_id(work, news.email, name, known_member=member is not None)
    if name:
        customers.rename(work, customer_id, name)
    if status in UNDECIDED:
        return
    accepts = status == SUBSCRIBED
    before = consent.marketing_consent_of(work, customer_id)
    recorded = consent.record_marketing(work, customer_id, accepts=accepts, source=SOURCE)
    if recorded and before != accepts:
        moment = marketing_moment(
            customer_id, accepts=accepts, source=SOURCE, event=news.event, reason=news.reason
        )
        work.happened(moment)


def _customer_id(work: UnitOfWork, email: str, name: str | None, *, known_member: bool) -> int:
    """The customer with this address; made only for a real member (Mailchimp says so)."""
    if not known_member:
        found = customers.find_customer(work, email)
        if found is None or found.id is None:
            raise Ignored("no such member at Mailchimp and no such customer")
        return found.id
    customer_id = customers.upsert_customer(work, customers.CustomerFacts(email=email, name=name))
    if customer_id is None:
        raise Unprocessable("the member's address cannot be a customer's")
    return customer_id


def _connected(
    session: Session, store_id: int, list_id: str
) -> tuple[MailchimpAccount, MailchimpClient]:
    if _configured is None:
        raise Ignored("this process cannot reach Mailchimp")
    api, vault = _configured
    account = accounts.load(session, vault, store_id)
    if account is None:
        raise Ignored("the store is not connected to Mailchimp")
    if account.audience_id != list_id:
        raise Ignored("the event is about another audience than the connected one")
    return account, api.client(account.api_key)


def _reread(client: MailchimpClient, account: MailchimpAccount, email: str) -> Member | None:
    try:
        return client.member(account.audience_id, email)
    except MailchimpError as error:
        if error.transient:
            raise
        raise Unprocessable(f"could not re-read the member: {error.detail}") from None


def _name(member: Member | None) -> str | None:
    if member is None:
        return None
    return " ".join(part for part in (member.first_name, member.last_name) if part) or None
