"""Mailchimp audience events, one function each: the member is re-read before anything
changes (shopsync.mailchimp.members says what counts)."""

from __future__ import annotations

from typing import Any

from handlers.mailchimp.provider import NAME
from shopsync.errors import Ignored
from shopsync.mailchimp.members import MemberNews, follow_member, follow_new_address
from shopsync.pipeline.registry import EventContext, registry

REASON_LIMIT = 40


@registry.on(NAME, "subscribe", "unsubscribe", "profile", "cleaned")
def follow_member_status(ctx: EventContext) -> None:
    follow_member(ctx.work, _news(ctx, email=_data(ctx)["email"]))


@registry.on(NAME, "upemail")
def move_to_new_address(ctx: EventContext) -> None:
    data = _data(ctx)
    follow_new_address(ctx.work, _news(ctx, email=data["new_email"]), old_email=data["old_email"])


@registry.on(NAME, "campaign")
def note_campaign(_ctx: EventContext) -> None:
    raise Ignored("a campaign was sent: recorded, nothing to change")


def _data(ctx: EventContext) -> dict[str, Any]:
    data: dict[str, Any] = ctx.payload["data"]
    return data


def _news(ctx: EventContext, *, email: str) -> MemberNews:
    data = _data(ctx)
    reason = data.get("reason")
    if ctx.event.event_type == "unsubscribe" and data.get("action") == "delete":
        reason = f"deleted ({reason})" if reason else "deleted"
    return MemberNews(
        event=ctx.event.event_type,
        list_id=str(data["list_id"]),
        email=email,
        reason=str(reason)[:REASON_LIMIT] if isinstance(reason, str) and reason else None,
    )
