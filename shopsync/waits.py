"""Waiting for something not known yet, by a key the domain names.

An event about an order, a payment or a parcel that shopsync has not seen yet cannot be
applied; the domain raises `NotYetKnown(key)` with a key such as `order:1001`,
`payment:pi_123` or `tracking:1Z999`. The module that owns each kind of key registers
how to tell which keys are known now. The pipeline only stores keys on parked inbox
rows and releases them: when work makes a key known (`UnitOfWork.made_known`), and in
the relay's pass, which asks `known_keys` about every parked key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from shopsync.errors import NotYetKnown

# Keys are stored in a 255-character column; values are clipped to leave room for a prefix.
VALUE_LIMIT = 200
SEPARATOR = ":"

__all__ = ["NotYetKnown", "WaitKind", "known_keys", "register"]

# (session, store id, the values of this kind's keys) -> the values that are known now.
Resolver = Callable[[Session, int, Sequence[str]], set[str]]


@dataclass(frozen=True)
class WaitKind:
    """One kind of key (`order`, `payment`, ...) and how to tell which are known."""

    prefix: str
    resolve: Resolver

    def key(self, value: str) -> str:
        return f"{self.prefix}{SEPARATOR}{value[:VALUE_LIMIT]}"


_kinds: dict[str, WaitKind] = {}


def register(prefix: str, resolve: Resolver) -> WaitKind:
    """Declare a kind of key; the module owning what it names calls this at import."""
    kind = WaitKind(prefix=prefix, resolve=resolve)
    _kinds[prefix] = kind
    return kind


def known_keys(session: Session, store_id: int, keys: Sequence[str]) -> set[str]:
    """The keys among `keys` that name something this store has now."""
    by_prefix: dict[str, list[str]] = {}
    for key in keys:
        prefix, _, value = key.partition(SEPARATOR)
        if prefix in _kinds and value:
            by_prefix.setdefault(prefix, []).append(value)
    known: set[str] = set()
    for prefix, values in by_prefix.items():
        kind = _kinds[prefix]
        known.update(kind.key(value) for value in kind.resolve(session, store_id, values))
    return known
