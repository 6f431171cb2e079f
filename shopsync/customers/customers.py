"""Customers: one per store and email address, whichever provider names them first.

A provider's id for a customer (Stripe `cus_...`, a Shopify or WooCommerce customer id)
points at the customer it was first seen with. When that provider later reports another
address for the same id, the customer moves to it instead of a second customer being
made. If the store already has a customer with the new address, the two are merged into
that one: orders, subscriptions and provider ids follow it, transactional email stays off
if either had it off, and the more recent marketing statement wins.

Addresses move by the provider's clock (`work.at`): a snapshot older than the one that
set the current address never moves the customer back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select

from shopsync.clock import utcnow
from shopsync.customers import consent
from shopsync.models import Customer, CustomerIdentity, Order, Subscription
from shopsync.models.limits import column_limit
from shopsync.work import UnitOfWork

# Characters that never appear in an address a customer can receive mail at, and that
# would let a value smuggle a second recipient or header into a message.
FORBIDDEN_IN_EMAIL = frozenset('<>,;"()[]\\')


@dataclass(frozen=True)
class CustomerFacts:
    """What a source says about an order's customer; None means "not said"."""

    email: str | None = None
    name: str | None = None
    # The provider's own id for the customer, under the provider's name ("shopify").
    provider: str | None = None
    external_id: str | None = None
    # Whether the customer accepts marketing email, as the provider said at `work.at`.
    accepts_marketing: bool | None = None

    @property
    def identity(self) -> tuple[str, str] | None:
        if self.provider and self.external_id:
            return self.provider, self.external_id[: column_limit(CustomerIdentity, "external_id")]
        return None


def normalize_email(value: str | None) -> str | None:
    """The address customers are keyed by (trimmed, lower-cased), or None if it is not one."""
    if not value:
        return None
    email = value.strip().lower()
    local, at, domain = email.rpartition("@")
    if (
        not (local and at and domain)
        or len(email) > column_limit(Customer, "email")
        or any(c.isspace() or c in FORBIDDEN_IN_EMAIL or ord(c) < 32 for c in email)
        or "@" in local
    ):
        return None
    return email


def upsert_customer(work: UnitOfWork, facts: CustomerFacts) -> int | None:
    """The customer these facts describe, created, linked or moved as needed; its id.

    None when the facts name nobody shopsync can keep: no usable address and a provider
    id it has not seen.
    """
    email = normalize_email(facts.email)
    found = _by_identity(work, facts.identity) if facts.identity else None
    if found is not None:
        customer = _moved(work, found, email) if email else found
        if customer.name is None and facts.name:
            customer.name = _clip_name(facts.name)
            work.session.add(customer)
        customer_id = customer.id
    elif email is not None:
        customer_id = _upsert_by_email(work, email, facts.name)
        if facts.identity:
            _link(work, customer_id, facts.identity)
    else:
        return None
    assert customer_id is not None
    if facts.accepts_marketing is not None and facts.provider:
        consent.record_marketing(
            work, customer_id, accepts=facts.accepts_marketing, source=facts.provider
        )
    return customer_id


def find_customer(work: UnitOfWork, email: str) -> Customer | None:
    address = normalize_email(email)
    if address is None:
        return None
    statement = select(Customer).where(
        Customer.store_id == work.store_id, Customer.email == address
    )
    return work.session.exec(statement).first()


def move_address(work: UnitOfWork, old_email: str, new_email: str) -> int | None:
    """The customer at `old_email` moves to `new_email` (merged into its owner if the store
    has one there); the customer's id now, or None if nobody had the old address."""
    new = normalize_email(new_email)
    found = find_customer(work, old_email)
    if found is None or new is None:
        return None
    return _moved(work, found, new).id


def rename(work: UnitOfWork, customer_id: int, name: str | None) -> None:
    """The customer's name as a source that knows it better says (blank: unchanged)."""
    clipped = _clip_name(name)
    if clipped:
        table = Customer.__table__  # type: ignore[attr-defined]
        work.session.execute(update(table).where(table.c.id == customer_id).values(name=clipped))


def identities_of(work: UnitOfWork, customer_id: int) -> list[tuple[str, str]]:
    statement = select(CustomerIdentity.provider, CustomerIdentity.external_id).where(
        CustomerIdentity.customer_id == customer_id
    )
    return [(provider, external_id) for provider, external_id in work.session.exec(statement)]


def _by_identity(work: UnitOfWork, identity: tuple[str, str]) -> Customer | None:
    provider, external_id = identity
    statement = (
        select(Customer)
        .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)  # type: ignore[arg-type]
        .where(
            CustomerIdentity.store_id == work.store_id,
            CustomerIdentity.provider == provider,
            CustomerIdentity.external_id == external_id,
        )
        .with_for_update()
    )
    return work.session.exec(statement).first()


def _upsert_by_email(work: UnitOfWork, email: str, name: str | None) -> int:
    """The store's customer with this address, created if new: one statement, no flush."""
    table = Customer.__table__  # type: ignore[attr-defined]
    insert = (
        _dialect(work)
        .insert(table)
        .values(
            store_id=work.store_id,
            email=email,
            name=_clip_name(name),
            email_at=work.at,
            transactional_email=True,
            marketing_consent=False,
            created_at=utcnow(),
        )
    )
    # Updating on conflict makes RETURNING give the existing row's id; a missing name is
    # filled in on the way.
    statement = insert.on_conflict_do_update(
        index_elements=["store_id", "email"],
        set_={"name": func.coalesce(table.c.name, insert.excluded.name)},
    ).returning(table.c.id)
    customer_id: int = work.session.execute(statement).scalar_one()
    return customer_id


def _link(work: UnitOfWork, customer_id: int, identity: tuple[str, str]) -> None:
    """Point the provider's id at the customer, unless it already points somewhere."""
    table = CustomerIdentity.__table__  # type: ignore[attr-defined]
    provider, external_id = identity
    statement = (
        _dialect(work)
        .insert(table)
        .values(
            store_id=work.store_id,
            customer_id=customer_id,
            provider=provider,
            external_id=external_id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["store_id", "provider", "external_id"])
    )
    work.session.execute(statement)


def _moved(work: UnitOfWork, customer: Customer, email: str) -> Customer:
    """The customer at `email`: moved there, merged into its owner, or left (stale news)."""
    if customer.email == email:
        return customer
    if customer.email_at is not None and work.at < customer.email_at:
        return customer
    owner = work.session.exec(
        select(Customer)
        .where(Customer.store_id == work.store_id, Customer.email == email)
        .with_for_update()
    ).first()
    if owner is None:
        customer.email, customer.email_at = email, work.at
        work.session.add(customer)
        work.session.flush()
        return customer
    _merge(work, customer, into=owner)
    return owner


def _merge(work: UnitOfWork, source: Customer, *, into: Customer) -> None:
    """Fold `source` into `into`, which keeps its address; `source` is deleted."""
    for model in (Order, Subscription, CustomerIdentity):
        table = model.__table__  # type: ignore[union-attr]
        work.session.execute(
            update(table).where(table.c.customer_id == source.id).values(customer_id=into.id)
        )
    into.name = into.name or source.name
    into.transactional_email = into.transactional_email and source.transactional_email
    consent.take_newer_marketing(into, source)
    into.email_at = max(work.at, into.email_at) if into.email_at else work.at
    work.session.add(into)
    work.session.execute(delete(Customer).where(Customer.id == source.id))  # type: ignore[arg-type]
    work.session.expunge(source)
    work.session.flush()


def _clip_name(name: str | None) -> str | None:
    return name.strip()[: column_limit(Customer, "name")] or None if name else None


def _dialect(work: UnitOfWork):  # type: ignore[no-untyped-def]
    return postgresql if work.session.get_bind().dialect.name == "postgresql" else sqlite
