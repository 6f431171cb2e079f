"""Mailchimp webhook bodies as Mailchimp documents them, for `shopsync simulate` and tests.

The fields and their values follow Mailchimp's own sample data for each type (its
"Sync audience data with webhooks" guide); only the audience and address change.
"""

from __future__ import annotations

from urllib.parse import urlencode

from shopsync.clock import utcnow

LIST_ID = "a6b5da1054"
MEMBER_ID = "8a25ff1d98"


def fired_at() -> str:
    """Now in Mailchimp's `fired_at` form (UTC, to the second)."""
    return utcnow().strftime("%Y-%m-%d %H:%M:%S")


def fields(
    event_type: str,
    email: str,
    *,
    list_id: str = LIST_ID,
    when: str | None = None,
    first_name: str = "Jenny",
    last_name: str = "Rosen",
    new_email: str | None = None,
    reason: str | None = None,
    action: str = "unsub",
) -> list[tuple[str, str]]:
    """The fields Mailchimp posts for one event, in its order."""
    head = [("type", event_type), ("fired_at", when or fired_at())]
    merges = [
        ("data[merges][EMAIL]", email),
        ("data[merges][FNAME]", first_name),
        ("data[merges][LNAME]", last_name),
        ("data[merges][INTERESTS]", "Group1,Group2"),
    ]
    member = [
        ("data[id]", MEMBER_ID),
        ("data[list_id]", list_id),
        ("data[email]", email),
        ("data[email_type]", "html"),
    ]
    opt = ("data[ip_opt]", "10.20.10.30")
    by_type = {
        "subscribe": [*head, *member, *merges, opt, ("data[ip_signup]", "10.20.10.30")],
        "unsubscribe": [
            *head,
            ("data[action]", action),
            ("data[reason]", reason or "manual"),
            *member,
            *merges,
            opt,
            ("data[campaign_id]", "cb398d21d2"),
        ],
        "profile": [*head, *member, *merges, opt],
        "upemail": [
            *head,
            ("data[list_id]", list_id),
            ("data[new_id]", "51da8c3259"),
            ("data[new_email]", new_email or "new." + email),
            ("data[old_email]", email),
        ],
        "cleaned": [
            *head,
            ("data[list_id]", list_id),
            ("data[campaign_id]", "4fjk2ma9xd"),
            ("data[reason]", reason or "hard"),
            ("data[email]", email),
        ],
        "campaign": [
            *head,
            ("data[id]", "5aa2102003"),
            ("data[subject]", "Test Campaign Subject"),
            ("data[status]", "sent"),
            ("data[reason]", ""),
            ("data[list_id]", list_id),
        ],
    }
    if event_type in by_type:
        return by_type[event_type]
    raise KeyError(
        f"no mailchimp sample for {event_type!r} "
        "(try subscribe, unsubscribe, profile, upemail, cleaned, campaign)"
    )


def body(event_type: str, email: str, **options: str) -> bytes:
    return urlencode(fields(event_type, email, **options)).encode()


def sample(event_type: str, subject: str) -> bytes:
    """A body for `shopsync simulate`: `subject` is the member's address (or an order id,
    which makes one up)."""
    email = subject if "@" in subject else f"{subject}@example.com"
    return body(event_type, email)
