"""The outbox: messages by kind and status with their attempts; one in full; replays."""

from __future__ import annotations

from flask import abort, render_template, url_for
from flask.typing import ResponseReturnValue

from shopsync.admin import outbox
from shopsync.web.admin import nav
from shopsync.web.admin.guard import (
    admin_blueprint,
    choice_arg,
    current_store_id,
    int_arg,
    replayed,
    runtime,
)

bp = admin_blueprint("admin_outbox", __name__, "/outbox")
nav.add("Outbox", "admin_outbox.index", position=40)


@bp.get("")
def index() -> str:
    filters = outbox.MessageFilter(
        kind=choice_arg("kind", outbox.KINDS),
        status=choice_arg("status", outbox.STATUSES),
        before=int_arg("before"),
    )
    page = outbox.list_messages(runtime().engine, store_id=current_store_id(), filters=filters)
    return render_template(
        "admin/outbox/list.html",
        page=page,
        filters=filters,
        kinds=outbox.KINDS,
        statuses=outbox.STATUSES,
    )


@bp.get("/<int:message_id>")
def show(message_id: int) -> str:
    detail = outbox.message_detail(
        runtime().engine, store_id=current_store_id(), message_id=message_id
    )
    if detail is None:
        abort(404)
    return render_template("admin/outbox/detail.html", detail=detail)


@bp.post("/<int:message_id>/replay")
def replay(message_id: int) -> ResponseReturnValue:
    queued = outbox.replay(runtime(), store_id=current_store_id(), message_ids=[message_id])
    return replayed(queued, "message", url_for(".show", message_id=message_id))


@bp.post("/replay-dead")
def replay_dead() -> ResponseReturnValue:
    queued = outbox.replay_dead(runtime(), store_id=current_store_id())
    return replayed(queued, "message", url_for(".index", status="dead"))
