"""Where emails go: an SMTP relay described by one URL (`SMTP_URL`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from shopsync.errors import ConfigError

SMTP_DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
SMTP_DEFAULT_TIMEOUT = 10.0
SMTP_OPTIONS = ("timeout", "cafile")


@dataclass(frozen=True)
class SmtpServer:
    """An SMTP relay, from `SMTP_URL`.

    `smtp://user:password@host:587` upgrades with STARTTLS when the server offers it
    (and never sends the password without TLS); `smtps://host:465` is TLS from the first
    byte. `?timeout=SECONDS` bounds every network step; `?cafile=PATH` trusts a private
    CA. User and password are percent-decoded.
    """

    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = SMTP_DEFAULT_TIMEOUT
    cafile: str | None = None


def parse_smtp_url(value: str) -> SmtpServer:
    parts = urlsplit(value)
    if parts.scheme not in SMTP_DEFAULT_PORTS:
        raise ConfigError("SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ConfigError("SMTP_URL has no host (smtp://user:password@host:587)")
    try:
        port = parts.port or SMTP_DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ConfigError("SMTP_URL has an invalid port") from None
    options = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    unknown = sorted(set(options) - set(SMTP_OPTIONS))
    if unknown:
        raise ConfigError(f"SMTP_URL option {unknown[0]!r} is unknown (use timeout, cafile)")
    return SmtpServer(
        host=parts.hostname,
        port=port,
        implicit_tls=parts.scheme == "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        timeout=_smtp_timeout(options.get("timeout")),
        cafile=options.get("cafile"),
    )


def _smtp_timeout(value: str | None) -> float:
    if value is None:
        return SMTP_DEFAULT_TIMEOUT
    try:
        timeout = float(value)
    except ValueError:
        raise ConfigError("SMTP_URL timeout must be a number of seconds") from None
    if not 0 < timeout <= 300:
        raise ConfigError("SMTP_URL timeout must be more than 0 and at most 300 seconds")
    return timeout
