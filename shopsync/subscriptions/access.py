"""The access rule: what a customer's subscriptions give them now. The one place it lives.

    status (as the rule sees it)     access
    active, trialing                 yes
    past_due                         yes, until the grace period ends: the store's
                                     grace days (default 3) after the first failed
                                     payment of the unpaid invoice
    canceled, unpaid, incomplete,    no
    incomplete_expired, paused
    cancel_at_period_end             yes until the period ends (or `cancel_at`), then no
    pause_collection `void`          no until `resumes_at` (`keep_as_draft` and
                                     `mark_uncollectible` keep access: the store
                                     offers the service for free meanwhile)

The status the rule sees is the snapshot's, unless the subscription's newest invoice
says something newer (by the provider's clock, ties to the invoice): an invoice paid
after a past_due, unpaid or incomplete snapshot makes it active (and extends the period
to what the invoice paid for); a payment failed after an active or trialing snapshot
makes it past_due. So a renewal's events give the same access in any order.

Several subscriptions: access if any gives it; the answer's status, plan and grace are
those of the best one (active, then trialing, then past_due; the latest `until`).
Features: when the store uses Stripe Entitlements, the customer's active entitlement
summary; otherwise each granting subscription's items' price lookup keys (legacy
plans: the plan id). A customer without access has no features.

`next_check_at` is when the answer changes by time alone (a grace or period end): the
scheduled check and the relay's due-check look again then, with no webhook needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shopsync.clock import aware, iso, maybe_aware
from shopsync.models import Subscription
from shopsync.models.vocabulary import InvoiceOutcome, SubscriptionStatus
from shopsync.subscriptions.records import features_of

Status = SubscriptionStatus
GRANTING = (Status.ACTIVE, Status.TRIALING)
FAILING = (InvoiceOutcome.FAILED.value, InvoiceOutcome.ACTION_REQUIRED.value)
RECOVERED_BY_PAYMENT = (Status.PAST_DUE, Status.UNPAID, Status.INCOMPLETE)
# Which granting subscription speaks for the customer: lower is better.
PREFERENCE = {Status.ACTIVE: 0, Status.TRIALING: 1, Status.PAST_DUE: 2}
VOID_PAUSE = "void"


@dataclass(frozen=True)
class AccessRules:
    """The store's choices the rule depends on."""

    grace: timedelta
    use_entitlements: bool = False


@dataclass(frozen=True)
class Verdict:
    """One subscription, judged at one moment."""

    grants: bool
    status: Status
    until: datetime | None = None
    grace_until: datetime | None = None
    # When this verdict changes by time alone.
    changes_at: datetime | None = None
    # The line of the rule that applied, in words (the admin shows it as the "why").
    reason: str = field(default="", compare=False)


@dataclass(frozen=True)
class AccessAnswer:
    """What `GET /api/v1/access` says, and what the pushes carry."""

    access: bool
    status: str | None = None
    plan: str | None = None
    features: tuple[str, ...] = ()
    until: datetime | None = None
    grace_until: datetime | None = None
    next_check_at: datetime | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, object]:
        return {
            "access": self.access,
            "status": self.status,
            "plan": self.plan,
            "features": list(self.features),
            "until": iso(self.until),
            "grace_until": iso(self.grace_until),
        }


NO_ACCESS = AccessAnswer(access=False)


def effective_status(sub: Subscription) -> Status:
    """The snapshot's status, unless the newest invoice's outcome is newer than it."""
    status = Status(sub.status)
    if sub.invoice_outcome is None or sub.invoice_at is None:
        return status
    invoice_is_newer = sub.last_event_at is None or aware(sub.invoice_at) >= aware(
        sub.last_event_at
    )
    if not invoice_is_newer:
        return status
    if sub.invoice_outcome in FAILING and status in GRANTING:
        return Status.PAST_DUE
    if sub.invoice_outcome == InvoiceOutcome.PAID.value and status in RECOVERED_BY_PAYMENT:
        return Status.ACTIVE
    return status


def judge(sub: Subscription, rules: AccessRules, now: datetime) -> Verdict:
    """One subscription's verdict at `now`."""
    status = effective_status(sub)
    if status in GRANTING:
        return _granting(sub, status, now)
    if status is Status.PAST_DUE:
        return _in_grace(sub, rules, now)
    return Verdict(grants=False, status=status, reason=f"{_seen_as(sub, status)}: no access")


def decide(
    subscriptions: Sequence[Subscription],
    rules: AccessRules,
    now: datetime,
    *,
    entitlements: Sequence[str] | None = None,
) -> AccessAnswer:
    """The customer's answer at `now` from all their subscriptions."""
    if not subscriptions:
        return NO_ACCESS
    judged = [(sub, judge(sub, rules, now)) for sub in subscriptions]
    granting = [(sub, v) for sub, v in judged if v.grants]
    pending = [v.changes_at for _, v in judged if v.changes_at and v.changes_at > now]
    next_check = min(pending) if pending else None
    if not granting:
        sub, verdict = max(judged, key=lambda pair: _recency(pair[0]))
        return AccessAnswer(
            access=False, status=verdict.status.value, plan=sub.plan, next_check_at=next_check
        )
    sub, verdict = min(granting, key=lambda pair: _preference(pair[1]))
    endless = any(v.until is None for _, v in granting)
    return AccessAnswer(
        access=True,
        status=verdict.status.value,
        plan=sub.plan,
        features=_features(granting, rules, entitlements),
        until=None if endless else max(v.until for _, v in granting if v.until),
        grace_until=verdict.grace_until,
        next_check_at=next_check,
    )


def _granting(sub: Subscription, status: Status, now: datetime) -> Verdict:
    seen = _seen_as(sub, status)
    if sub.pause_behavior == VOID_PAUSE:
        resumes = maybe_aware(sub.pause_resumes_at)
        if resumes is None or now < resumes:
            until = f" until {iso(resumes)}" if resumes else ""
            reason = f"{seen}, but collection is paused (void){until}: no access meanwhile"
            return Verdict(grants=False, status=status, changes_at=resumes, reason=reason)
    ends = _scheduled_end(sub, status)
    if ends is not None and now >= ends:
        reason = f"{seen}, set to cancel at {iso(ends)}, which has passed: no access"
        return Verdict(grants=False, status=Status.CANCELED, reason=reason)
    reason = f"{seen}: access" + (f" until it cancels at {iso(ends)}" if ends else "")
    return Verdict(grants=True, status=status, until=ends, changes_at=ends, reason=reason)


def _scheduled_end(sub: Subscription, status: Status) -> datetime | None:
    """When a subscription set to cancel stops giving access (None: it renews)."""
    ends: list[datetime] = []
    if sub.cancel_at_period_end:
        period_end = _period_end(sub, status)
        if period_end is not None:
            ends.append(period_end)
    if sub.cancel_at is not None:
        ends.append(aware(sub.cancel_at))
    return min(ends) if ends else None


def _period_end(sub: Subscription, status: Status) -> datetime | None:
    ends = [aware(t) for t in (sub.current_period_end,) if t is not None]
    paid = sub.invoice_outcome == InvoiceOutcome.PAID.value and sub.paid_through is not None
    if paid and status in GRANTING and sub.paid_through is not None:
        ends.append(aware(sub.paid_through))
    return max(ends) if ends else None


def _in_grace(sub: Subscription, rules: AccessRules, now: datetime) -> Verdict:
    failing = sub.invoice_outcome in FAILING and sub.failed_since is not None
    started = sub.failed_since if failing else sub.last_event_at
    seen = _seen_as(sub, Status.PAST_DUE)
    if started is None:
        return Verdict(grants=False, status=Status.PAST_DUE, reason=f"{seen}: no access")
    grace_until = aware(started) + rules.grace
    grace = f"the grace period ({rules.grace.days} days after the first failed payment)"
    if now >= grace_until:
        reason = f"{seen}: {grace} ended at {iso(grace_until)}: no access"
        return Verdict(grants=False, status=Status.PAST_DUE, grace_until=grace_until, reason=reason)
    return Verdict(
        grants=True,
        status=Status.PAST_DUE,
        until=grace_until,
        grace_until=grace_until,
        changes_at=grace_until,
        reason=f"{seen}: access during {grace}, until {iso(grace_until)}",
    )


def _seen_as(sub: Subscription, status: Status) -> str:
    """The status the rule used, and why when the newest invoice changed it."""
    if status.value == sub.status:
        return status.value
    outcome = (sub.invoice_outcome or "").replace("_", " ")
    return (
        f"{status.value} (its newest invoice, {outcome}, is newer than the {sub.status} snapshot)"
    )


@dataclass(frozen=True)
class Explanation:
    """An answer with its why: each subscription's verdict and what decided."""

    answer: AccessAnswer
    # (subscription, its verdict), the one that speaks for the customer first.
    verdicts: list[tuple[Subscription, Verdict]]
    summary: str
    features_from: str


def explain(
    subscriptions: Sequence[Subscription],
    rules: AccessRules,
    now: datetime,
    *,
    entitlements: Sequence[str] | None = None,
) -> Explanation:
    """`decide`'s answer, with the line of the rule each subscription met."""
    answer = decide(subscriptions, rules, now, entitlements=entitlements)
    judged = [(sub, judge(sub, rules, now)) for sub in subscriptions]
    judged.sort(key=lambda pair: (not pair[1].grants, _preference(pair[1])))
    granting = [sub.external_id for sub, verdict in judged if verdict.grants]
    if not subscriptions:
        summary = "the customer has no subscription"
    elif granting:
        others = f" ({len(granting) - 1} more also give access)" if len(granting) > 1 else ""
        summary = f"{granting[0]} gives access and speaks for the customer{others}"
    else:
        summary = "none of the customer's subscriptions gives access"
    source = "Stripe Entitlements" if rules.use_entitlements else "the prices' lookup keys"
    return Explanation(answer=answer, verdicts=judged, summary=summary, features_from=source)


def _preference(verdict: Verdict) -> tuple[int, float]:
    # Among equals, the one that lasts longest (None: it renews) speaks.
    lasting = float("inf") if verdict.until is None else verdict.until.timestamp()
    return PREFERENCE.get(verdict.status, len(PREFERENCE)), -lasting


def _recency(sub: Subscription) -> tuple[float, str]:
    when = aware(sub.last_event_at).timestamp() if sub.last_event_at else 0.0
    return when, sub.external_id


def _features(
    granting: list[tuple[Subscription, Verdict]],
    rules: AccessRules,
    entitlements: Sequence[str] | None,
) -> tuple[str, ...]:
    if rules.use_entitlements:
        return tuple(sorted(set(entitlements or ())))
    return tuple(sorted({feature for sub, _ in granting for feature in features_of(sub)}))
