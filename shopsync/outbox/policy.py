"""When a failed message is tried again, per channel, and when it is given up.

Store webhooks follow what receivers expect from Standard Webhooks senders (Svix's
schedule, stretched to about three days as Stripe retries its own): 5 s, 5 min, 30 min,
2 h, 5 h, 10 h, 10 h, 14 h, 24 h. Email and Mailchimp calls retry sooner and give up
after about a day: a confirmation that arrives days late helps nobody. Each delay gets up
to 20 % random jitter so a receiver that comes back is not hit by every sender at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from shopsync.models import OutboxKind

JITTER = 0.2

_S, _M, _H = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)
SCHEDULES: dict[OutboxKind, tuple[timedelta, ...]] = {
    OutboxKind.STORE_WEBHOOK: (
        5 * _S,
        5 * _M,
        30 * _M,
        2 * _H,
        5 * _H,
        10 * _H,
        10 * _H,
        14 * _H,
        24 * _H,
    ),
    OutboxKind.EMAIL: (30 * _S, 2 * _M, 10 * _M, 30 * _M, 1 * _H, 3 * _H, 6 * _H, 12 * _H),
    OutboxKind.MAILCHIMP: (30 * _S, 2 * _M, 10 * _M, 30 * _M, 1 * _H, 3 * _H, 6 * _H, 12 * _H),
}


@dataclass(frozen=True)
class RetrySchedule:
    delays: tuple[timedelta, ...]
    # Tests shrink every delay by this factor; production keeps 1.
    scale: float = 1.0

    @classmethod
    def for_kind(cls, kind: OutboxKind, scale: float = 1.0) -> RetrySchedule:
        return cls(delays=SCHEDULES[kind], scale=scale)

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def delay_after(self, attempts: int) -> timedelta | None:
        """The wait before attempt `attempts + 1`; None once every attempt is used."""
        if attempts < 1 or attempts > len(self.delays):
            return None
        base = self.delays[attempts - 1] * self.scale
        return base * (1 + random.uniform(0, JITTER))  # noqa: S311 - jitter, not security
