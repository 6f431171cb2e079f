"""The inbox: events by provider, type and status; one event in full; replays."""

from __future__ import annotations

from flask import abort, render_template, url_for
from flask.typing import ResponseReturnValue

from shopsync.admin import events
from shopsync.web.admin import nav
from shopsync.web.admin.guard import (
    admin_blueprint,
    choice_arg,
    current_store_id,
    int_arg,
    replayed,
    runtime,
    text_arg,
)

bp = admin_blueprint("admin_events", __name__, "/events")
nav.add("Events", "admin_events.index", position=30)


@bp.get("")
def index() -> str:
    store_id = current_store_id()
    engine = runtime().engine
    providers = events.providers_of(engine, store_id=store_id)
    filters = events.EventFilter(
        provider=choice_arg("provider", providers),
        event_type=text_arg("type", 120) or None,
        status=choice_arg("status", events.STATUSES),
        before=int_arg("before"),
    )
    page = events.list_events(engine, store_id=store_id, filters=filters)
    return render_template(
        "admin/events/list.html",
        page=page,
        filters=filters,
        providers=providers,
        statuses=events.STATUSES,
    )


@bp.get("/<int:event_id>")
def show(event_id: int) -> str:
    detail = events.event_detail(runtime().engine, store_id=current_store_id(), event_id=event_id)
    if detail is None:
        abort(404)
    return render_template("admin/events/detail.html", detail=detail)


@bp.post("/<int:event_id>/replay")
def replay(event_id: int) -> ResponseReturnValue:
    queued = events.replay(runtime(), store_id=current_store_id(), event_ids=[event_id])
    return replayed(queued, "event", url_for(".show", event_id=event_id))


@bp.post("/replay-dead")
def replay_dead() -> ResponseReturnValue:
    queued = events.replay_dead(runtime(), store_id=current_store_id())
    return replayed(queued, "event", url_for(".index", status="dead"))
