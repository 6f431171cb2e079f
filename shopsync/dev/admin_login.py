"""`shopsync dev`'s admin login: a generated password, kept in instance/ (0600)."""

from __future__ import annotations

import json
import secrets

from shopsync.admin.users import AdminUserError, authenticate, create_user, set_password
from shopsync.private_files import write_private
from shopsync.runtime import Runtime

LOGIN_FILE = "dev_admin.json"
EMAIL = "admin@example.com"


def ensure_dev_admin(rt: Runtime) -> tuple[str, str]:
    """The dev admin's email and password, creating (or repairing) the account."""
    path = rt.settings.instance_path / LOGIN_FILE
    if path.exists():
        saved = json.loads(path.read_text())
        email, password = str(saved["email"]), str(saved["password"])
        if authenticate(rt.engine, email=email, password=password) is not None:
            return email, password
    password = secrets.token_urlsafe(12)
    try:
        create_user(rt.engine, email=EMAIL, password=password)
    except AdminUserError:  # the database kept the user but instance/ lost the file
        set_password(rt.engine, email=EMAIL, password=password)
    write_private(path, json.dumps({"email": EMAIL, "password": password}))
    return EMAIL, password
