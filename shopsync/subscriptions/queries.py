"""Answering "does this customer have access?" fast enough for every page view.

The answer is computed at the moment of asking (so a grace or period end is honoured to
the second) and cached in Redis until a change or its next deadline (see
subscriptions.cache). Without Redis it is computed from the database each time.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import Engine
from sqlmodel import Session, select

from shopsync.customers.customers import normalize_email
from shopsync.models import Customer, CustomerIdentity
from shopsync.subscriptions import cache
from shopsync.subscriptions.access import NO_ACCESS
from shopsync.subscriptions.answers import STRIPE, answer_of
from shopsync.subscriptions.cache import Lookup, Seen

log = logging.getLogger(__name__)
STRIPE_CUSTOMER_PREFIX = "cus_"
MAX_REF_LENGTH = 255


class BadLookup(ValueError):
    """The question names no customer shopsync could know; the message says why."""


def lookup_for(*, email: str | None, customer: str | None) -> Lookup:
    """Exactly one of an email address or a Stripe customer id."""
    if (email is None) == (customer is None):
        raise BadLookup("give either email or customer (a Stripe cus_ id)")
    if email is not None:
        address = normalize_email(email)
        if address is None:
            raise BadLookup("email is not an address")
        return Lookup("email", address)
    assert customer is not None
    ref = customer.strip()
    if not ref.startswith(STRIPE_CUSTOMER_PREFIX) or len(ref) > MAX_REF_LENGTH:
        raise BadLookup("customer must be a Stripe customer id (cus_...)")
    return Lookup(STRIPE, ref)


def access_answer(
    engine: Engine, *, store_id: int, lookup: Lookup, now: datetime
) -> dict[str, Any]:
    """The answer as the API gives it: from the cache, else computed (and cached)."""
    access_cache, seen = _cached(store_id, lookup)
    if seen is not None and seen.answer is not None:
        return seen.answer
    with Session(engine) as session:
        customer_id = _customer_id(session, store_id, lookup)
        answer = answer_of(session, store_id, customer_id, now) if customer_id else NO_ACCESS
    body = answer.as_dict()
    if access_cache is not None and seen is not None:
        try:
            access_cache.put(store_id, lookup, seen, body, cache.ttl_ms(now, answer.next_check_at))
        except RedisError as error:
            log.warning("access answer not cached: %s", type(error).__name__)
    return body


def _cached(store_id: int, lookup: Lookup) -> tuple[cache.AccessCache | None, Seen | None]:
    access_cache = cache.current()
    if access_cache is None:
        return None, None
    try:
        return access_cache, access_cache.get(store_id, lookup)
    except RedisError as error:
        log.warning("access cache unavailable: %s", type(error).__name__)
        return None, None


def _customer_id(session: Session, store_id: int, lookup: Lookup) -> int | None:
    if lookup.kind == STRIPE:
        by_identity = select(CustomerIdentity.customer_id).where(
            CustomerIdentity.store_id == store_id,
            CustomerIdentity.provider == STRIPE,
            CustomerIdentity.external_id == lookup.value,
        )
        return session.exec(by_identity).first()
    by_email = select(Customer.id).where(
        Customer.store_id == store_id, Customer.email == lookup.value
    )
    return session.exec(by_email).first()
