"""Files only their owner may read: the development instance's database, key and demo store.

`instance/` holds a SQLite database full of customers' names and emails, the key that
encrypts signing secrets, and the demo store's credentials. Each is created with its
final permissions (0600 files in a 0700 directory), never created first and narrowed
after, so no other user of the machine can open it even for a moment. SQLite creates
its -wal and -shm files with the database file's own permissions.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600


def private_directory(path: Path) -> Path:
    """Create `path` (and missing parents) for its owner only; narrow it if it exists."""
    path.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):  # not ours: leave it as it is
        path.chmod(PRIVATE_DIRECTORY)
    return path


def write_private(path: Path, text: str) -> None:
    """Write `text` to a file only its owner can read, whatever the umask."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "w") as file:
        os.fchmod(file.fileno(), PRIVATE_FILE)
        file.write(text)


def create_private(path: Path) -> None:
    """Create an empty file only its owner can read, unless it exists already."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
