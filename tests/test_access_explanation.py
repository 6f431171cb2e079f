"""The access rule explains its answer: which line applied to each subscription, and which
subscription speaks for the customer (what the admin's customer page shows as "why")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shopsync.clock import utcnow
from shopsync.models import Subscription
from shopsync.subscriptions.access import AccessRules, decide, explain

NOW = utcnow()
RULES = AccessRules(grace=timedelta(days=3))


def sub(external_id: str, status: str, **fields: Any) -> Subscription:
    return Subscription(store_id=1, external_id=external_id, status=status, **fields)


def test_no_subscription_means_no_access_and_says_so() -> None:
    why = explain([], RULES, NOW)
    assert not why.answer.access and why.summary == "the customer has no subscription"


def test_the_best_granting_subscription_speaks_and_every_verdict_has_its_line() -> None:
    subscriptions = [
        sub("sub_old", "canceled"),
        sub("sub_trial", "trialing"),
        sub(
            "sub_main",
            "active",
            cancel_at_period_end=True,
            current_period_end=NOW + timedelta(days=9),
        ),
    ]
    why = explain(subscriptions, RULES, NOW)
    assert why.answer == decide(subscriptions, RULES, NOW)
    assert (
        why.summary == "sub_main gives access and speaks for the customer (1 more also give access)"
    )
    reasons = {s.external_id: v.reason for s, v in why.verdicts}
    assert reasons["sub_old"] == "canceled: no access"
    assert reasons["sub_trial"] == "trialing: access"
    assert reasons["sub_main"].startswith("active: access until it cancels at ")
    assert next(s.external_id for s, _ in why.verdicts) == "sub_main"


def test_a_void_pause_an_ended_period_and_an_ended_grace_each_say_why_not() -> None:
    paused = sub("sub_p", "active", pause_behavior="void", pause_resumes_at=NOW + timedelta(days=2))
    ended = sub("sub_e", "active", cancel_at=NOW - timedelta(hours=1))
    lapsed = sub(
        "sub_l",
        "past_due",
        invoice_outcome="failed",
        invoice_at=NOW - timedelta(days=5),
        failed_since=NOW - timedelta(days=5),
        last_event_at=NOW - timedelta(days=6),
    )
    why = explain([paused, ended, lapsed], RULES, NOW)
    reasons = {s.external_id: v.reason for s, v in why.verdicts}
    assert "collection is paused (void) until" in reasons["sub_p"]
    assert "set to cancel at" in reasons["sub_e"] and "which has passed" in reasons["sub_e"]
    assert "the grace period (3 days after the first failed payment) ended at" in reasons["sub_l"]
    assert why.summary == "none of the customer's subscriptions gives access"
    assert why.features_from == "the prices' lookup keys"
