"""Tokens, hashes and encryption at rest, all keyed from SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shopsync.errors import ConfigError

TOKEN_BYTES = 24


def new_token(prefix: str = "") -> str:
    """An unguessable URL-safe token (192 bits)."""
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def same_secret(a: str, b: str) -> bool:
    """Constant-time equality for secrets and their hashes."""
    return hmac.compare_digest(a.encode(), b.encode())


class Vault:
    """Encrypts credentials and signing secrets stored in the database."""

    def __init__(self, secret_key: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"shopsync-vault"
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ConfigError(
                "stored secrets cannot be decrypted: SECRET_KEY is not the one that saved them"
            ) from None

    def encrypt_list(self, values: list[str]) -> str:
        return self.encrypt(json.dumps(values))

    def decrypt_list(self, token: str) -> list[str]:
        values = json.loads(self.decrypt(token))
        return [str(v) for v in values]
