"""A worker killed mid-send: the message still arrives, and the one possible double is counted."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from handlers.stripe import samples
from shopsync.models import OutboxMessage
from shopsync.outbox import http
from shopsync.runtime import Runtime
from shopsync.stores import subscribers
from tests.processes import shopsync_worker, wait_until
from tests.receivers import Answer, running_receiver
from tests.support import StoreFixture, deliver


def the_message(rt: Runtime) -> OutboxMessage:
    with Session(rt.engine) as session:
        return session.exec(select(OutboxMessage)).one()


@pytest.mark.slow
def test_worker_killed_mid_delivery_delivers_again_with_the_same_id_and_counts_it(
    environ: dict[str, str],
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    tmp_path: Path,
) -> None:
    env = {
        **environ,
        "SHOPSYNC_CLAIM_SECONDS": "2",
        "SHOPSYNC_RELAY_SECONDS": "1",
        "SHOPSYNC_RELAY_GRACE_SECONDS": "2",
    }
    with running_receiver() as receiver:
        created = subscribers.add_subscriber(
            runtime.engine,
            runtime.vault,
            store_id=store.id,
            url=receiver.url,
            event_types=("order.paid",),
            policy=http.TargetPolicy.ANY,
        )
        receiver.secret = created.secret
        # The first attempt reaches the receiver, which takes its time answering.
        receiver.answer_next(Answer(delay=8))
        session = samples.checkout_session("C-1", amount=990, payment_status="paid")
        event = samples.event("checkout.session.completed", session, livemode=True)
        assert deliver(client, store, "stripe", event).status_code == 200

        doomed = shopsync_worker(env, log=tmp_path / "doomed.log")
        assert receiver.arrived.wait(timeout=40), "the first attempt never arrived"
        doomed.signal_tree(signal.SIGKILL)  # sent, not yet recorded: the window
        doomed.stop()
        assert the_message(runtime).status == "sending"

        with shopsync_worker(env, log=tmp_path / "second.log"):
            wait_until(
                lambda: the_message(runtime).status == "sent",
                timeout=40,
                what="the second worker to deliver it",
            )
        first, second = receiver.requests
    assert first.message_id == second.message_id  # the receiver can drop the double
    assert first.verified and second.verified
    message = the_message(runtime)
    assert (message.attempts, message.redeliveries) == (2, 1)
