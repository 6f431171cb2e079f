"""What a channel is: something that sends a batch of messages and judges each outcome."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from shopsync.models import OutboxKind, OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Outcome:
    """How one attempt ended. `detail` is short and safe to show: no secrets, no payload."""

    status: OutboxStatus
    detail: str

    @classmethod
    def sent(cls, detail: str) -> Outcome:
        return cls(OutboxStatus.SENT, detail)

    @classmethod
    def retry(cls, detail: str) -> Outcome:
        """A transient failure: tried again on the channel's schedule."""
        return cls(OutboxStatus.RETRY, detail)

    @classmethod
    def failed(cls, detail: str) -> Outcome:
        """Refused for good: trying again cannot succeed."""
        return cls(OutboxStatus.FAILED, detail)

    @classmethod
    def skipped(cls, detail: str) -> Outcome:
        """Not sent on purpose (destination disabled, superseded, no consent)."""
        return cls(OutboxStatus.SKIPPED, detail)


class Channel(Protocol):
    """Sends messages of one kind. Yields each outcome as soon as it is known, so the
    caller records it at once and the sent-but-not-recorded window stays one message."""

    kind: OutboxKind

    def deliver(self, messages: list[OutboxMessage]) -> Iterator[tuple[OutboxMessage, Outcome]]:
        """Send each message (reusing one connection where the transport allows)."""
        ...

    def gave_up(self, message: OutboxMessage) -> None:
        """Told when a message's last attempt failed (to disable a dead destination)."""
        ...
