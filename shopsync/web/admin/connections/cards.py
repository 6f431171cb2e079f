"""The Connections page's cards: each provider page adds one when it is imported."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Card:
    label: str
    # The provider page's endpoint, and its provider's name in the overview.
    endpoint: str
    provider: str
    description: str
    position: int


_cards: dict[str, Card] = {}


def add(label: str, endpoint: str, *, provider: str, description: str, position: int) -> Card:
    card = Card(label, endpoint, provider, description, position)
    _cards[endpoint] = card
    return card


def all_cards() -> list[Card]:
    return sorted(_cards.values(), key=lambda card: (card.position, card.label))
