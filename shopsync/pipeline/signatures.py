"""HMAC helpers shared by the providers that sign a raw body with a shared secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence

from shopsync.errors import InvalidSignature


def hmac_sha256_base64(body: bytes, secret: str) -> bytes:
    """base64 of HMAC-SHA256 of `body` keyed with the secret's UTF-8 bytes."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())


def require_matching_signature(
    signature: str, secrets: Sequence[str], expected: Callable[[str], bytes]
) -> None:
    """Pass if `signature` matches any secret (several while one is rotated); constant time."""
    given = signature.encode()
    if not any(hmac.compare_digest(expected(secret), given) for secret in secrets):
        raise InvalidSignature("signature does not match this endpoint's secrets")
