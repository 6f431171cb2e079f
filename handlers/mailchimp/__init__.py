"""Mailchimp: audience subscribes, unsubscribes, profiles and address changes (unsigned:
a secret URL, and every member re-read from Mailchimp)."""

from handlers.mailchimp import members  # noqa: F401 - registers handlers
from handlers.mailchimp.provider import PROVIDER

__all__ = ["PROVIDER"]
