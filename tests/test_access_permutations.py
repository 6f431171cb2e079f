"""Any arrival order of a renewal's events, duplicates included, ends in the same access."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopsync.runtime import Runtime
from tests.billing import DAY, Billing, ago
from tests.support import make_store, work_queue

RENEWAL = ago(hours=20).replace(microsecond=0)


def renewal_events(billing: Billing, *, recovered: bool) -> list[dict[str, Any]]:
    renewal = RENEWAL
    period = (renewal, renewal + 30 * DAY)
    failed = renewal + timedelta(minutes=60)
    paid = renewal + timedelta(hours=10)

    def invoice(event_type: str, at: datetime) -> dict[str, Any]:
        return billing.invoice(
            event_type, at, invoice_id="in_renewal", created=renewal, period=period
        )

    events = [
        billing.snapshot("updated", renewal, period=period),
        invoice("invoice.payment_failed", failed),
        billing.snapshot("updated", failed, status="past_due", period=period),
        invoice("invoice.payment_failed", failed + timedelta(hours=4)),
    ]
    if recovered:
        events += [
            invoice("invoice.paid", paid),
            invoice("invoice.payment_succeeded", paid),
            billing.snapshot("updated", paid, period=period),
        ]
    return events


def final_answer(
    client: FlaskClient, runtime: Runtime, order: list[int], recovered: bool
) -> dict[str, Any]:
    store = make_store(runtime, name="Permutations", livemode=True)
    billing = Billing(client, store, runtime)
    billing.start(RENEWAL - 30 * DAY)
    events = renewal_events(billing, recovered=recovered)
    for index in order:
        billing.send(events[index % len(events)], work=False)
    work_queue(runtime)
    return billing.answer()


@pytest.mark.parametrize("recovered", [True, False], ids=["paid-in-grace", "still-failing"])
def test_every_order_of_a_renewals_events_gives_the_same_access(
    client: FlaskClient, runtime: Runtime, recovered: bool
) -> None:
    count = 7 if recovered else 4
    expected = final_answer(client, runtime, list(range(count)), recovered)
    assert expected["access"] is True
    assert expected["status"] == ("active" if recovered else "past_due")

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        order=st.permutations(list(range(count))),
        repeats=st.lists(st.integers(0, count - 1), max_size=3),
    )
    def check(order: list[int], repeats: list[int]) -> None:
        answer = final_answer(client, runtime, [*order, *repeats], recovered)
        assert answer == {
            **expected,
            "grace_until": answer["grace_until"],
            "until": answer["until"],
        }
        assert (answer["grace_until"], answer["until"]) == (
            expected["grace_until"],
            expected["until"],
        )

    check()
