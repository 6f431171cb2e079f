"""The demo store `shopsync dev` creates once and `shopsync simulate` sends to.

Only what the database cannot give back is kept in instance/demo_store.json (mode
0600): which store it is and its API key (stored hashed). Its webhook URLs and
secrets are read from the database each time, so they follow the current public URL.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from shopsync.private_files import private_directory, write_private

DEMO_FILE = "demo_store.json"
DEMO_STORE_NAME = "Demo store"


@dataclass(frozen=True)
class DemoStore:
    store_id: int
    name: str
    api_key: str

    def save(self, instance_path: Path) -> None:
        write_private(
            private_directory(instance_path) / DEMO_FILE, json.dumps(asdict(self), indent=2)
        )


def load_demo_store(instance_path: Path) -> DemoStore | None:
    try:
        recorded = json.loads((instance_path / DEMO_FILE).read_text())
        return DemoStore(
            store_id=int(recorded["store_id"]),
            name=str(recorded["name"]),
            api_key=str(recorded["api_key"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
