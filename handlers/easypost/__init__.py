"""EasyPost: carrier tracking updates for shipments the store has announced."""

from handlers.easypost import trackers  # noqa: F401 - registers handlers
from handlers.easypost.provider import PROVIDER

__all__ = ["PROVIDER"]
