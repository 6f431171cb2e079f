"""The project's `instance/` folder: finding it, and what a running `shopsync dev` left there.

Every command of one project must use the same instance (its SQLite database, its
generated SECRET_KEY, the demo store), from whichever directory it is run. So the
folder is looked for, never silently made: `instance/` next to the `pyproject.toml`
of the directory or the nearest parent that has one. `shopsync dev` writes where its
database, Redis and web server are into `dev_server.json` there (mode 0600), so other
commands of the project find them while it runs.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from shopsync.private_files import private_directory, write_private

INSTANCE_DIR = "instance"
PROJECT_MARKER = "pyproject.toml"
DEV_SERVER_FILE = "dev_server.json"


def find_instance_path(start: Path) -> Path:
    """`instance/` of the project around `start`: one that exists wins over a new one."""
    projects = [d for d in (start, *start.parents) if (d / PROJECT_MARKER).is_file()]
    for project in projects:
        if (project / INSTANCE_DIR).is_dir():
            return project / INSTANCE_DIR
    return (projects[0] if projects else start) / INSTANCE_DIR


@dataclass(frozen=True)
class DevServer:
    """Where a running `shopsync dev` serves and keeps its data."""

    pid: int
    public_url: str
    database_url: str
    redis_url: str

    def save(self, instance_path: Path) -> Path:
        path = private_directory(instance_path) / DEV_SERVER_FILE
        write_private(path, json.dumps(asdict(self), indent=2))
        return path

    @staticmethod
    def forget(instance_path: Path) -> None:
        (instance_path / DEV_SERVER_FILE).unlink(missing_ok=True)


def running_dev_server(instance_path: Path) -> DevServer | None:
    """What the `shopsync dev` of this instance recorded, if it is still running."""
    try:
        recorded = json.loads((instance_path / DEV_SERVER_FILE).read_text())
        server = DevServer(**recorded)
    except (OSError, ValueError, TypeError):
        return None
    return server if _alive(server.pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
