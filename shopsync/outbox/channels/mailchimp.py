"""Calls to a store's Mailchimp, one idempotent operation per message, through the adapter.

What each operation asks is in `mailchimp.operations`; what is written when, in
`mailchimp.outbound`. The store's account is read when the message is sent (its key
decrypted then, never stored in the message), so a reconnected account gets what is owed.

Each operation can be repeated safely (a retry, or the one double a worker dying
between "sent" and "recorded" can cause):
- member: PUT with `status_if_new` only. A new address gets subscribed (or pending); an
  existing member keeps the status Mailchimp has, so an unsubscribed or cleaned member is
  never subscribed again. One exception, because the customer did say yes: a contact
  Mailchimp holds as `transactional` (made by an earlier order's e-commerce customer) is
  moved to subscribed (or pending).
- order: the e-commerce store is made the first time (its id kept on the account), then
  the customer (PUT), each product (PATCH, else POST), the order (POST; if Mailchimp
  refuses it because it exists, it is there already).
- order_status: PATCH of the order; event and tags: POST about the member.

Outcomes: done → sent. No answer, a timeout, 429 or 5xx → retried on the Mailchimp
schedule (outbox.policy), dead after about a day. Another 4xx → failed, with the status
and Mailchimp's title (never its detail, which quotes addresses) shown on the order.
Except 404 for an order update, an event or tags: what they are about may still be on its
way (the order, the member), so they are retried. No account connected, or the
customer withdrew consent since → skipped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, select

from shopsync.crypto import Vault
from shopsync.mailchimp import accounts
from shopsync.mailchimp.accounts import MailchimpAccount
from shopsync.mailchimp.adapter import (
    MailchimpApi,
    MailchimpClient,
    MailchimpError,
    subscriber_hash,
)
from shopsync.mailchimp.operations import Op, order_key
from shopsync.models import (
    Customer,
    MailchimpConnection,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Store,
)
from shopsync.models.outbox import OUTBOX_FINAL_STATUSES
from shopsync.outbox.channels.base import Outcome

log = logging.getLogger(__name__)
BAD_REQUEST = 400
TRANSACTIONAL = "transactional"
# Operations about a member: sent only while the customer's marketing consent holds.
NEED_CONSENT = frozenset({Op.MEMBER, Op.EVENT, Op.TAGS})
# Operations whose 404 means "not there yet" rather than "never".
WAIT_ON_404 = frozenset({Op.ORDER_STATUS, Op.EVENT, Op.TAGS})


class MailchimpChannel:
    kind = OutboxKind.MAILCHIMP

    def __init__(self, engine: Engine, vault: Vault, api: MailchimpApi) -> None:
        self._engine = engine
        self._vault = vault
        self._api = api
        self._accounts: dict[int, MailchimpAccount | None] = {}
        self._clients: dict[int, MailchimpClient] = {}

    def deliver(self, messages: list[OutboxMessage]) -> Iterator[tuple[OutboxMessage, Outcome]]:
        for message in messages:
            yield message, self._deliver_one(message)

    def gave_up(self, message: OutboxMessage) -> None:
        log.warning("Mailchimp message %s given up after its last attempt", message.id)

    def _deliver_one(self, message: OutboxMessage) -> Outcome:
        account = self._account(message.store_id)
        if account is None:
            return Outcome.skipped("the store has no Mailchimp account connected")
        payload = json.loads(message.payload)
        try:
            op = Op(payload.get("op"))
        except ValueError:
            return Outcome.failed("not a Mailchimp operation shopsync knows")
        reason = self._reason_to_skip(message, op, payload)
        if reason is not None:
            return Outcome.skipped(reason)
        try:
            client = self._client(account)
            return Outcome.sent(OPERATIONS[op](Call(self, client, account), payload))
        except MailchimpError as error:
            return self._judge(message, op, error)
        except (KeyError, TypeError):
            return Outcome.failed(f"the stored {op.value} operation is incomplete")

    def _account(self, store_id: int) -> MailchimpAccount | None:
        if store_id not in self._accounts:
            with Session(self._engine) as session:
                self._accounts[store_id] = accounts.load(session, self._vault, store_id)
        return self._accounts[store_id]

    def _client(self, account: MailchimpAccount) -> MailchimpClient:
        """One client per store for the batch (the key is checked when it is made)."""
        if account.store_id not in self._clients:
            self._clients[account.store_id] = self._api.client(account.api_key)
        return self._clients[account.store_id]

    def _reason_to_skip(
        self, message: OutboxMessage, op: Op, payload: dict[str, Any]
    ) -> str | None:
        if op not in NEED_CONSENT:
            return None
        with Session(self._engine) as session:
            statement = select(Customer.marketing_consent).where(
                Customer.store_id == message.store_id, Customer.email == payload.get("email")
            )
            consent = session.exec(statement).first()
        return None if consent else "the customer has no marketing consent now"

    def _judge(self, message: OutboxMessage, op: Op, error: MailchimpError) -> Outcome:
        if error.transient:
            return Outcome.retry(error.detail)
        if error.not_found and op in WAIT_ON_404:
            if op is Op.ORDER_STATUS and self._order_not_coming(message):
                return Outcome.skipped("the paid order never reached Mailchimp")
            return Outcome.retry(f"{error.detail} (what it is about may still be on its way)")
        return Outcome.failed(error.detail)

    def _order_not_coming(self, message: OutboxMessage) -> bool:
        """The order's own message ended without being sent: no update can ever apply."""
        if message.order_id is None:
            return True
        with Session(self._engine) as session:
            statement = select(OutboxMessage.status).where(
                OutboxMessage.idempotency_key == order_key(message.order_id)
            )
            status = session.exec(statement).first()
        final = {s.value for s in OUTBOX_FINAL_STATUSES}
        return status is None or (status in final and status != OutboxStatus.SENT.value)

    def remember_store(self, account: MailchimpAccount, ecommerce_store_id: str) -> None:
        """Keep the e-commerce store's id on the account (unless it was reconnected since)."""
        table = MailchimpConnection.__table__  # type: ignore[attr-defined]
        statement = (
            update(table)
            .where(table.c.store_id == account.store_id, table.c.audience_id == account.audience_id)
            .values(ecommerce_store_id=ecommerce_store_id)
        )
        with self._engine.begin() as connection:
            connection.execute(statement)
        self._accounts.pop(account.store_id, None)

    def store_name(self, store_id: int) -> str:
        with Session(self._engine) as session:
            store = session.get(Store, store_id)
        return store.name if store else f"Store {store_id}"


class Call:
    """One message's call: the client for the store's key, its account, the channel."""

    def __init__(
        self, channel: MailchimpChannel, client: MailchimpClient, account: MailchimpAccount
    ) -> None:
        self.channel = channel
        self.client = client
        self.account = account

    @property
    def audience(self) -> str:
        return self.account.audience_id


def _member(call: Call, payload: dict[str, Any]) -> str:
    email, wanted = payload["email"], payload["status_if_new"]
    body = {
        "email_address": email,
        "status_if_new": wanted,
        "merge_fields": payload.get("merge_fields") or {},
    }
    member_id = subscriber_hash(email)
    answer = call.client.call("lists", "set_list_member", call.audience, member_id, body)
    status = str(answer.get("status") or "")
    if status == TRANSACTIONAL:
        call.client.call(
            "lists", "update_list_member", call.audience, member_id, {"status": wanted}
        )
        return f"member was {TRANSACTIONAL}, now {wanted}"
    return f"member {status or 'saved'}"


def _order(call: Call, payload: dict[str, Any]) -> str:
    order = payload["order"]
    store_id = _ecommerce_store(call, order["currency_code"])
    customer = payload["customer"]
    call.client.call("ecommerce", "set_store_customer", store_id, customer["id"], customer)
    for product in payload["products"]:
        _upsert_product(call.client, store_id, product)
    try:
        call.client.call("ecommerce", "add_store_order", store_id, order)
    except MailchimpError as error:
        if not _exists(call.client, error, "get_order", store_id, order["id"]):
            raise
        return f"order {order['id']} was in Mailchimp already"
    return f"order {order['id']} added"


def _order_status(call: Call, payload: dict[str, Any]) -> str:
    store_id = call.account.ecommerce_store_id
    if store_id is None:
        # As Mailchimp would answer: judged like its 404 (wait for the order, or give up).
        raise MailchimpError("the order is not in Mailchimp yet", transient=False, status=404)
    changes = payload["changes"]
    call.client.call("ecommerce", "update_order", store_id, payload["order_id"], changes)
    return f"order {payload['order_id']} {changes['financial_status']}"


def _event(call: Call, payload: dict[str, Any]) -> str:
    body = {
        "name": payload["name"],
        "properties": payload.get("properties") or {},
        "occurred_at": payload.get("occurred_at"),
    }
    member_id = subscriber_hash(payload["email"])
    call.client.call("lists", "create_list_member_event", call.audience, member_id, body)
    return f"event {payload['name']}"


def _tags(call: Call, payload: dict[str, Any]) -> str:
    member_id = subscriber_hash(payload["email"])
    body = {"tags": payload["tags"]}
    call.client.call("lists", "update_list_member_tags", call.audience, member_id, body)
    return "tags " + ", ".join(f"{t['name']} {t['status']}" for t in payload["tags"])


def _ecommerce_store(call: Call, currency: str) -> str:
    """The audience's e-commerce store, made (once) the first time an order is sent.

    Its id names the store and the audience, so an account reconnected to another
    audience gets a store of its own (Mailchimp never moves a store between audiences).
    """
    account = call.account
    store_id = f"shopsync-{account.store_id}-{account.audience_id}"
    if account.ecommerce_store_id == store_id:
        return store_id
    body = {
        "id": store_id,
        "list_id": account.audience_id,
        "name": call.channel.store_name(account.store_id),
        "currency_code": currency,
        "platform": "shopsync",
    }
    try:
        call.client.call("ecommerce", "add_store", body)
    except MailchimpError as error:
        if not _exists(call.client, error, "get_store", store_id):
            raise
    call.channel.remember_store(account, store_id)
    return store_id


def _upsert_product(client: MailchimpClient, store_id: str, product: dict[str, Any]) -> None:
    """PATCH what Mailchimp has (most products were sold before), else POST it."""
    changes = {k: v for k, v in product.items() if k != "id"}
    try:
        client.call("ecommerce", "update_store_product", store_id, product["id"], changes)
        return
    except MailchimpError as error:
        if not error.not_found:
            raise
    try:
        client.call("ecommerce", "add_store_product", store_id, product)
    except MailchimpError as error:
        # Another worker added it in between: update it after all.
        if error.transient or error.status != BAD_REQUEST:
            raise
        client.call("ecommerce", "update_store_product", store_id, product["id"], changes)


def _exists(client: MailchimpClient, error: MailchimpError, getter: str, *ids: str) -> bool:
    """After a 400 to an add: whether Mailchimp has it already (an earlier attempt made it)."""
    if error.transient or error.status != BAD_REQUEST:
        return False
    try:
        client.call("ecommerce", getter, *ids)
    except MailchimpError as lookup:
        if lookup.not_found:
            return False
        raise
    return True


Operation = Callable[[Call, dict[str, Any]], str]
OPERATIONS: dict[Op, Operation] = {
    Op.MEMBER: _member,
    Op.ORDER: _order,
    Op.ORDER_STATUS: _order_status,
    Op.EVENT: _event,
    Op.TAGS: _tags,
}
