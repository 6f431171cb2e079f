"""One package or module per provider. Importing them fills `shopsync.registry.registry`."""

from __future__ import annotations

import importlib

PROVIDER_MODULES = ("handlers.stripe",)


def load_all() -> None:
    """Import every provider module once (idempotent)."""
    for name in PROVIDER_MODULES:
        importlib.import_module(name)
