"""Tokens, hashes and encryption at rest, all keyed from SECRET_KEY.

Rotating SECRET_KEY: set the new key, move the old one to SECRET_KEY_FALLBACKS
(comma-separated, newest first), run `shopsync secrets rotate` to re-encrypt what is
stored with the new key, then drop the fallback.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shopsync.errors import SecretsUnreadable

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
    """Encrypts credentials and signing secrets stored in the database.

    Encrypts with the current key; decrypts with it or any fallback (newest first).
    """

    def __init__(self, secret_key: str, fallbacks: Sequence[str] = ()) -> None:
        self._fernet = MultiFernet([_fernet_for(key) for key in (secret_key, *fallbacks)])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretsUnreadable(
                "stored secrets cannot be decrypted: SECRET_KEY is not the key that saved them "
                "(put that key in SECRET_KEY_FALLBACKS)"
            ) from None

    def rotate(self, token: str) -> str:
        """The same plaintext encrypted with the current key (SecretsUnreadable if no key fits)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretsUnreadable(
                "a stored secret cannot be decrypted with SECRET_KEY or SECRET_KEY_FALLBACKS"
            ) from None

    def encrypt_list(self, values: list[str]) -> str:
        return self.encrypt(json.dumps(values))

    def decrypt_list(self, token: str) -> list[str]:
        values = json.loads(self.decrypt(token))
        return [str(v) for v in values]


def _fernet_for(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"shopsync-vault").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


MIN_KEY_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 10
RUN_LENGTH = 8
DISTINCT_PIECES_SHARE = 0.75
KEYBOARD_RUNS = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiop", "asdfghjkl", "zxcvbnm")
# Words people put in keys they made up; five letters or more, so a random key of 40+
# characters contains one by chance about once in a million.
COMMON_WORDS = (
    "password",
    "passw0rd",
    "secret",
    "changeme",
    "change-me",
    "letmein",
    "qwerty",
    "admin",
    "welcome",
    "hello",
    "shopsync",
    "example",
    "default",
    "production",
    "development",
    "staging",
    "django",
    "flask",
    "heroku",
    "insecure",
    "dummy",
    "sample",
    "placeholder",
    "monkey",
    "dragon",
    "master",
    "iloveyou",
    "sunshine",
    "trustno1",
)


def weak_key_reason(key: str) -> str | None:
    """Why `key` is obviously guessable (too short, few characters, patterns, words), or None.

    Generated keys (`openssl rand -hex 32`, Heroku's `secret` generator,
    `secrets.token_urlsafe(48)`) pass; keys a person made up usually do not.
    """
    lowered = key.lower()
    if len(key) < MIN_KEY_LENGTH:
        return f"is shorter than {MIN_KEY_LENGTH} characters"
    if len(set(key)) < MIN_DISTINCT_CHARACTERS:
        return f"has fewer than {MIN_DISTINCT_CHARACTERS} different characters"
    if _repeats_a_pattern(key):
        return "repeats a short pattern"
    if any(_has_run(lowered, run) for run in KEYBOARD_RUNS):
        return "contains a run of consecutive letters, digits or keys"
    word = next((w for w in COMMON_WORDS if w in lowered), None)
    if word is not None:
        return f"contains the word {word!r}"
    return None


def _repeats_a_pattern(key: str) -> bool:
    # In a random key almost every three-character piece is new; a pattern repeats them.
    pieces = [key[i : i + 3] for i in range(len(key) - 2)]
    return len(set(pieces)) < len(pieces) * DISTINCT_PIECES_SHARE


def _has_run(text: str, alphabet: str) -> bool:
    for sequence in (alphabet, alphabet[::-1]):
        for start in range(len(sequence) - RUN_LENGTH + 1):
            if sequence[start : start + RUN_LENGTH] in text:
                return True
    return False
