"""The one place a process is put together: settings, logging, providers, runtime.

The web app, the worker and every CLI command start here, so all of them see the same
settings, the same registered providers and one engine and Redis client per process.
This is also the only place `shopsync` imports `handlers`.
"""

from __future__ import annotations

from shopsync.config import Settings
from shopsync.logs import configure_logging
from shopsync.runtime import Runtime, activate


def start(settings: Settings | None = None) -> Runtime:
    """Build and activate this process's runtime (settings from the environment if None)."""
    from handlers import load_all
    from shopsync.connections import line_items, stripe_reader
    from shopsync.connections.jobs import enqueue_fetch
    from shopsync.connections.stripe_api import StripeApi
    from shopsync.customers import (
        consent_news,  # noqa: F401 - registers its finisher
        notifications,  # registers its finisher
    )
    from shopsync.customers.letters import EmailContext
    from shopsync.mailchimp import (
        members,
        outbound,  # noqa: F401 - registers its finisher
    )
    from shopsync.mailchimp.adapter import MailchimpApi
    from shopsync.orders import announcements  # noqa: F401 - registers its finisher
    from shopsync.pipeline import jobs  # noqa: F401 - registers every job function
    from shopsync.subscriptions import announcements as access_announcements  # noqa: F401
    from shopsync.subscriptions import answers, cache, emails  # noqa: F401 - skip rule
    from shopsync.subscriptions.jobs import schedule_check

    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    load_all()
    # Emails are written only where they can be sent.
    notifications.configure(
        EmailContext(public_url=settings.public_url, default_from=settings.email_from)
        if settings.smtp_url
        else None
    )
    runtime = activate(Runtime(settings))
    if settings.redis_url is not None:
        cache.configure(lambda: runtime.redis)
        answers.configure(schedule_check)
        line_items.configure(enqueue_fetch)
    else:
        cache.configure(None)
        answers.configure(None)
        line_items.configure(None)
    stripe_reader.configure(
        StripeApi(base=settings.stripe_api_base, timeout=settings.outbound_timeout_seconds),
        runtime.vault,
    )
    members.configure(MailchimpApi.from_settings(settings), runtime.vault)
    return runtime
