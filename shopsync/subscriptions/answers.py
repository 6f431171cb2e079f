"""A customer's access answer: worked out after every change, stored, told once per change.

`refresh_access` runs the access rule (subscriptions.access) at `now` over the
customer's subscriptions, compares with what the store's systems were last told
(`CustomerAccess`), and when it differs records the new answer with a new version and a
moment (`access` subject) that becomes the pushes. After the transaction commits, the
customer's cached answers are invalidated and, when the answer will change by time
alone, a check is scheduled for that moment.

A customer without access before and after is told nothing (an incomplete subscription
becoming canceled changes no one's access).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from shopsync.aftercommit import call_after_commit
from shopsync.clock import maybe_aware, utcnow
from shopsync.customers.email_settings import settings_of
from shopsync.models import Customer, CustomerAccess, CustomerIdentity, Subscription
from shopsync.subscriptions import cache
from shopsync.subscriptions.access import AccessAnswer, AccessRules, Explanation, decide, explain
from shopsync.subscriptions.cache import Lookup
from shopsync.work import Moment, UnitOfWork

ACCESS_SUBJECT = "access"
GRANTED, REVOKED, CHANGED = "granted", "revoked", "changed"
ENTITLEMENTS = "entitlements"
STRIPE = "stripe"

# (store id, customer id, when): set by the bootstrap to queue a check (RQ's scheduler).
Scheduler = Callable[[int, int, datetime], None]
_scheduler: Scheduler | None = None


def configure(scheduler: Scheduler | None) -> None:
    global _scheduler  # noqa: PLW0603 - one queue per process, like its runtime
    _scheduler = scheduler


def rules_for(session: Session, store_id: int) -> AccessRules:
    settings = settings_of(session, store_id)
    return AccessRules(
        grace=timedelta(days=settings.access_grace_days),
        use_entitlements=settings.features_source == ENTITLEMENTS,
    )


def answer_of(session: Session, store_id: int, customer_id: int, now: datetime) -> AccessAnswer:
    """The customer's answer at `now`, read-only (the API's path)."""
    subscriptions = _subscriptions(session, store_id, customer_id)
    row = session.get(CustomerAccess, customer_id)
    return decide(subscriptions, rules_for(session, store_id), now, entitlements=_entitlements(row))


def explanation_of(session: Session, store_id: int, customer_id: int, now: datetime) -> Explanation:
    """The customer's answer at `now` with the rule that gave it (the admin's "why")."""
    subscriptions = _subscriptions(session, store_id, customer_id)
    row = session.get(CustomerAccess, customer_id)
    rules = rules_for(session, store_id)
    return explain(subscriptions, rules, now, entitlements=_entitlements(row))


def refresh_access(
    work: UnitOfWork, customer_id: int, *, now: datetime | None = None
) -> AccessAnswer:
    """Work out the customer's answer at `now`; record and announce it if it changed."""
    now = now or utcnow()
    row = _access_row(work, customer_id)
    subscriptions = _subscriptions(work.session, work.store_id, customer_id)
    rules = rules_for(work.session, work.store_id)
    answer = decide(subscriptions, rules, now, entitlements=_entitlements(row))
    change = change_of(row, answer)
    check_moved = maybe_aware(row.next_check_at) != answer.next_check_at
    row.next_check_at = answer.next_check_at
    if change is not None:
        _record(row, answer, now)
        work.happened(Moment(ACCESS_SUBJECT, customer_id, f"{change}:{row.version}"))
    work.session.add(row)
    _after_commit(work, customer_id, answer.next_check_at if check_moved else None)
    return answer


def record_entitlements(work: UnitOfWork, customer_id: int, lookup_keys: Sequence[str]) -> bool:
    """Keep the customer's entitlement summary unless a newer one is recorded."""
    row = _access_row(work, customer_id)
    recorded = maybe_aware(row.entitlements_at)
    if recorded is not None and work.at < recorded:
        return False
    row.entitlements = json.dumps(sorted(set(lookup_keys)))
    row.entitlements_at = work.at
    work.session.add(row)
    return True


def change_of(row: CustomerAccess, answer: AccessAnswer) -> str | None:
    """How the answer differs from what was told: granted, revoked, changed, or None."""
    if row.access != answer.access:
        return GRANTED if answer.access else REVOKED
    if not answer.access:
        return None
    told = (
        row.status,
        row.plan,
        tuple(json.loads(row.features or "[]")),
        maybe_aware(row.until),
        maybe_aware(row.grace_until),
    )
    now = (answer.status, answer.plan, answer.features, answer.until, answer.grace_until)
    return CHANGED if told != now else None


def told_answer(row: CustomerAccess) -> AccessAnswer:
    """What the store's systems were last told."""
    return AccessAnswer(
        access=row.access,
        status=row.status,
        plan=row.plan,
        features=tuple(json.loads(row.features or "[]")),
        until=maybe_aware(row.until),
        grace_until=maybe_aware(row.grace_until),
    )


def lookups_of(session: Session, customer: Customer) -> list[Lookup]:
    """Every way the store's systems can ask about this customer."""
    statement = select(CustomerIdentity.external_id).where(
        CustomerIdentity.customer_id == customer.id, CustomerIdentity.provider == STRIPE
    )
    stripe_ids = [Lookup(STRIPE, value) for value in session.exec(statement)]
    return [Lookup("email", customer.email), *stripe_ids]


def _record(row: CustomerAccess, answer: AccessAnswer, now: datetime) -> None:
    row.access = answer.access
    row.status = answer.status
    row.plan = answer.plan
    row.features = json.dumps(list(answer.features))
    row.until = answer.until
    row.grace_until = answer.grace_until
    row.version += 1
    row.changed_at = now


def _after_commit(work: UnitOfWork, customer_id: int, check_at: datetime | None) -> None:
    customer = work.session.get(Customer, customer_id)
    lookups = lookups_of(work.session, customer) if customer is not None else []
    store_id = work.store_id

    def invalidate() -> None:
        access_cache = cache.current()
        if access_cache is not None and lookups:
            access_cache.forget(store_id, lookups)

    call_after_commit(work.session, invalidate)
    scheduler = _scheduler
    if check_at is not None and scheduler is not None:
        call_after_commit(work.session, lambda: scheduler(store_id, customer_id, check_at))


def _access_row(work: UnitOfWork, customer_id: int) -> CustomerAccess:
    """The customer's access row, created if new, locked for this transaction."""
    table = CustomerAccess.__table__  # type: ignore[attr-defined]
    dialect = postgresql if work.session.get_bind().dialect.name == "postgresql" else sqlite
    work.session.execute(
        dialect.insert(table)
        .values(
            customer_id=customer_id, store_id=work.store_id, access=False, features="[]", version=0
        )
        .on_conflict_do_nothing(index_elements=["customer_id"])
    )
    statement = (
        select(CustomerAccess)
        .where(CustomerAccess.customer_id == customer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return work.session.exec(statement).one()


def _subscriptions(session: Session, store_id: int, customer_id: int) -> list[Subscription]:
    statement = select(Subscription).where(
        Subscription.store_id == store_id, Subscription.customer_id == customer_id
    )
    return list(session.exec(statement))


def _entitlements(row: CustomerAccess | None) -> list[str] | None:
    if row is None or row.entitlements is None:
        return None
    return [str(key) for key in json.loads(row.entitlements)]
