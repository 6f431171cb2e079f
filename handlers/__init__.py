"""One module or package per provider. Importing them fills `shopsync.pipeline.registry.registry`.

Adding a provider means adding a module here: `load_all` finds it by itself.
"""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    """Import every provider module once (idempotent)."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
